import Foundation

/// The kubectl flags that override the kubeconfig (`--context`, `-n`, `--server`, …), as typed by the user.
public struct KubeOverrides: Sendable, Equatable {
    public var kubeconfig: String?
    public var context: String?
    public var cluster: String?
    public var user: String?
    public var namespace: String?
    public var server: String?
    public var token: String?
    public var insecureSkipTLSVerify: Bool?
    public var certificateAuthority: String?
    public var clientCertificate: String?
    public var clientKey: String?
    public var tlsServerName: String?
    public var requestTimeout: String?
    public var impersonate: String?
    public var impersonateGroups: [String] = []
    public var impersonateUID: String?

    public init() {}
}

/// How requests prove who the user is. The secret values never appear in a description.
public enum KubeCredentials: Sendable, Equatable, CustomStringConvertible {
    case none
    case bearer(String)
    /// Re-read on every use: projected service-account tokens rotate.
    case bearerFile(String)
    case basic(username: String, password: String)
    case exec(ExecConfig)

    public var description: String {
        switch self {
        case .none: return "none"
        case .bearer: return "bearer token"
        case .bearerFile(let path): return "bearer token from \(path)"
        case .basic(let username, _): return "basic auth as \(username)"
        case .exec(let config): return "exec plugin \(config.command)"
        }
    }
}

/// Everything needed to talk to one API server: the result of kubeconfig + flags + environment.
public struct RESTConfig: Sendable, Equatable {
    public var server: URL
    public var contextName: String?
    public var clusterName: String?
    public var userName: String?
    public var namespace: String
    /// True when the namespace came from `-n` rather than the context or the default.
    public var namespaceExplicit: Bool
    public var tls: TLSOptions
    public var proxyURL: String?
    public var disableCompression: Bool
    public var credentials: KubeCredentials
    public var impersonate: String?
    public var impersonateUID: String?
    public var impersonateGroups: [String]
    public var impersonateExtra: [String: [String]]
    public var requestTimeout: Duration?
    /// The cluster as exec plugins see it with `provideClusterInfo` (`spec.cluster`).
    public var execClusterInfo: JSON

    public init(server: URL, namespace: String = "default") {
        self.server = server
        self.namespace = namespace
        self.namespaceExplicit = false
        self.tls = TLSOptions()
        self.disableCompression = false
        self.credentials = .none
        self.impersonateGroups = []
        self.impersonateExtra = [:]
        self.execClusterInfo = .null
    }
}

/// Where in-cluster configuration lives; tests point it at a temporary folder.
public struct InClusterPaths: Sendable, Equatable {
    public var tokenFile: String
    public var caFile: String
    public var namespaceFile: String

    public init(root: String = "/var/run/secrets/kubernetes.io/serviceaccount") {
        tokenFile = root + "/token"
        caFile = root + "/ca.crt"
        namespaceFile = root + "/namespace"
    }
}

/// Turns a merged kubeconfig and the override flags into a `RESTConfig`, following client-go's rules
/// (reference/kubernetes.md §1.5–1.8).
public struct ClientConfigResolver: Sendable {
    public var environment: [String: String]
    public var inCluster: InClusterPaths

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, inCluster: InClusterPaths = InClusterPaths()) {
        self.environment = environment
        self.inCluster = inCluster
    }

    /// Loads the kubeconfig named by the flags and environment and resolves it.
    public func resolve(_ overrides: KubeOverrides) throws(KubeconfigError) -> RESTConfig {
        let loader = KubeconfigLoader(environment: environment)
        let config = try loader.load(explicit: overrides.kubeconfig)
        let searched = loader.candidateFiles(explicit: overrides.kubeconfig)
        return try resolve(config, overrides, searched: searched)
    }

    public func resolve(_ config: Kubeconfig, _ overrides: KubeOverrides, searched: [String] = []) throws(KubeconfigError) -> RESTConfig {
        let timeout = try Self.parseRequestTimeout(overrides.requestTimeout)
        let contextName = nonEmpty(overrides.context) ?? nonEmpty(config.currentContext)
        // In-cluster config applies only when the kubeconfig gives nothing to go on.
        if config.isEmpty && overrides.context == nil && overrides.server == nil && overrides.cluster == nil,
            var inClusterConfig = try inClusterConfig()
        {
            if let namespace = nonEmpty(overrides.namespace) {
                inClusterConfig.namespace = namespace
                inClusterConfig.namespaceExplicit = true
            }
            inClusterConfig.requestTimeout = timeout
            if let token = nonEmpty(overrides.token) { inClusterConfig.credentials = .bearer(token) }
            return inClusterConfig
        }
        if config.isEmpty && overrides.server == nil {
            throw config.files.isEmpty ? .noConfiguration(searched: searched) : .noCurrentContext(files: config.files)
        }

        var context = KubeContext()
        if let contextName {
            guard let found = config.contexts[contextName] else { throw .contextNotFound(contextName, files: config.files) }
            context = found
        } else if overrides.server == nil && overrides.cluster == nil {
            throw .noCurrentContext(files: config.files)
        }

        let clusterName = nonEmpty(overrides.cluster) ?? nonEmpty(context.cluster)
        var cluster = KubeCluster()
        if let clusterName {
            if let found = config.clusters[clusterName] {
                cluster = found
            } else if overrides.server == nil {
                throw .clusterNotFound(clusterName)
            }
        }
        let userName = nonEmpty(overrides.user) ?? nonEmpty(context.user)
        var user = KubeAuthInfo()
        if let userName {
            guard let found = config.users[userName] else { throw .userNotFound(userName) }
            user = found
        }

        // --server replaces the server and clears a tls-server-name the flags did not also set.
        if let server = nonEmpty(overrides.server) {
            cluster.server = server
            cluster.tlsServerName = nil
        }
        if let serverName = nonEmpty(overrides.tlsServerName) { cluster.tlsServerName = serverName }
        // --insecure-skip-tls-verify=true or --certificate-authority replace the CA file, data and insecure together.
        if overrides.insecureSkipTLSVerify == true || nonEmpty(overrides.certificateAuthority) != nil {
            cluster.certificateAuthority = nonEmpty(overrides.certificateAuthority).map(absolute)
            cluster.certificateAuthorityData = nil
            cluster.insecureSkipTLSVerify = overrides.insecureSkipTLSVerify ?? false
        }
        if let certificate = nonEmpty(overrides.clientCertificate) {
            user.clientCertificate = absolute(certificate)
            user.clientCertificateData = nil
        }
        if let key = nonEmpty(overrides.clientKey) {
            user.clientKey = absolute(key)
            user.clientKeyData = nil
        }
        if let token = nonEmpty(overrides.token) {
            user.token = token
            user.tokenFile = nil
        }
        if let impersonate = nonEmpty(overrides.impersonate) { user.impersonate = impersonate }
        if let uid = nonEmpty(overrides.impersonateUID) { user.impersonateUID = uid }
        if !overrides.impersonateGroups.isEmpty { user.impersonateGroups = overrides.impersonateGroups }

        let displayCluster = clusterName ?? "(from --server)"
        guard !cluster.server.isEmpty else { throw .noServer(cluster: displayCluster) }
        try validate(cluster, name: displayCluster)
        try validate(user, name: userName ?? "")

        guard let serverURL = Self.serverURL(cluster.server) else { throw .invalidServer(cluster.server) }
        var rest = RESTConfig(server: serverURL)
        rest.contextName = contextName
        rest.clusterName = clusterName
        rest.userName = userName
        if let namespace = nonEmpty(overrides.namespace) {
            rest.namespace = namespace
            rest.namespaceExplicit = true
        } else {
            rest.namespace = context.namespace ?? "default"
        }
        rest.requestTimeout = timeout
        rest.proxyURL = cluster.proxyURL
        rest.disableCompression = cluster.disableCompression
        rest.tls.insecureSkipVerify = cluster.insecureSkipTLSVerify
        rest.tls.serverName = cluster.tlsServerName
        rest.tls.caPEM = cluster.certificateAuthorityData
        if rest.tls.caPEM == nil { rest.tls.caPEM = try readFile(cluster.certificateAuthority, "certificate-authority", displayCluster) }
        rest.execClusterInfo = Self.execClusterInfo(cluster, caPEM: rest.tls.caPEM)

        // Credentials travel only over https, as in client-go.
        if serverURL.scheme?.lowercased() == "https" {
            rest.tls.clientCertificatePEM = user.clientCertificateData
            if rest.tls.clientCertificatePEM == nil {
                rest.tls.clientCertificatePEM = try readFile(user.clientCertificate, "client-certificate", userName ?? "")
            }
            rest.tls.clientKeyPEM = user.clientKeyData
            if rest.tls.clientKeyPEM == nil { rest.tls.clientKeyPEM = try readFile(user.clientKey, "client-key", userName ?? "") }
            rest.credentials = try credentials(user, name: userName ?? "")
        }
        rest.impersonate = user.impersonate
        rest.impersonateUID = user.impersonateUID
        rest.impersonateGroups = user.impersonateGroups
        rest.impersonateExtra = user.impersonateExtra
        return rest
    }

    /// client-go keeps a path on the server URL (Rancher proxies) and drops query and fragment.
    static func serverURL(_ server: String) -> URL? {
        guard var components = URLComponents(string: server), let scheme = components.scheme?.lowercased(),
            scheme == "https" || scheme == "http", components.host?.isEmpty == false
        else { return nil }
        components.query = nil
        components.fragment = nil
        if components.path.hasSuffix("/") { components.path.removeLast() }
        return components.url
    }

    private func credentials(_ user: KubeAuthInfo, name: String) throws(KubeconfigError) -> KubeCredentials {
        if let provider = user.authProviderName {
            if provider == "azure" { throw .azureAuthProviderRemoved(user: name) }
            throw .unsupportedAuthProvider(name: provider, user: name)
        }
        if let token = user.token { return .bearer(token) }
        if let tokenFile = user.tokenFile { return .bearerFile(tokenFile) }
        if let exec = user.exec { return .exec(exec) }
        if let username = user.username { return .basic(username: username, password: user.password ?? "") }
        return .none
    }

    private func validate(_ cluster: KubeCluster, name: String) throws(KubeconfigError) {
        if cluster.certificateAuthority != nil && cluster.certificateAuthorityData != nil {
            throw .invalid(
                "certificate-authority-data and certificate-authority are both specified for \(name). certificate-authority-data will override; remove one of them"
            )
        }
        if cluster.insecureSkipTLSVerify && (cluster.certificateAuthority != nil || cluster.certificateAuthorityData != nil) {
            throw .invalid(
                "specifying a root certificates file with the insecure flag is not allowed (cluster \(name)); remove insecure-skip-tls-verify or the certificate authority"
            )
        }
        if let proxy = cluster.proxyURL {
            let scheme = URLComponents(string: proxy)?.scheme?.lowercased() ?? ""
            guard ["http", "https", "socks5"].contains(scheme) else {
                throw .invalid("proxy-url \"\(proxy)\" for cluster \(name) must use http, https or socks5")
            }
        }
    }

    private func validate(_ user: KubeAuthInfo, name: String) throws(KubeconfigError) {
        let hasCertificate = user.clientCertificate != nil || user.clientCertificateData != nil
        let hasKey = user.clientKey != nil || user.clientKeyData != nil
        if user.clientCertificate != nil && user.clientCertificateData != nil {
            throw .invalid(
                "client-cert-data and client-cert are both specified for \(name). client-cert-data will override; remove one of them")
        }
        if user.clientKey != nil && user.clientKeyData != nil {
            throw .invalid(
                "client-key-data and client-key are both specified for \(name); client-key-data will override; remove one of them")
        }
        if hasCertificate && !hasKey {
            throw .invalid("client-key-data or client-key must be specified for \(name) to use the clientCert authentication method")
        }
        if hasKey && !hasCertificate {
            throw .invalid("client-cert-data or client-cert must be specified for \(name) to use the clientCert authentication method")
        }
        if user.exec != nil && user.authProviderName != nil {
            throw .invalid("authProvider cannot be provided in combination with an exec plugin for \(name)")
        }
        if user.token != nil && user.username != nil {
            throw .invalid("more than one authentication method found for \(name); found token and basic auth, only one is allowed")
        }
    }

    private func readFile(_ path: String?, _ field: String, _ owner: String) throws(KubeconfigError) -> Data? {
        guard let path else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalid("unable to read \(field) \(path) for \(owner): no such file or not readable")
        }
        return data
    }

    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    private func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    /// In-cluster config when running in a pod: service host/port from the environment, token and CA from files.
    func inClusterConfig() throws(KubeconfigError) -> RESTConfig? {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty,
            FileManager.default.fileExists(atPath: inCluster.tokenFile)
        else { return nil }
        let literalHost = host.contains(":") ? "[\(host)]" : host
        guard let url = URL(string: "https://\(literalHost):\(port)") else { throw .invalidServer("https://\(literalHost):\(port)") }
        var rest = RESTConfig(server: url)
        rest.credentials = .bearerFile(inCluster.tokenFile)
        rest.tls.caPEM = FileManager.default.contents(atPath: inCluster.caFile)
        let fileNamespace = (try? String(contentsOfFile: inCluster.namespaceFile, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        rest.namespace = nonEmpty(environment["POD_NAMESPACE"]) ?? nonEmpty(fileNamespace) ?? "default"
        rest.contextName = "in-cluster"
        return rest
    }

    static func execClusterInfo(_ cluster: KubeCluster, caPEM: Data?) -> JSON {
        var info = JSONObject()
        info["server"] = .string(cluster.server)
        if let name = cluster.tlsServerName { info["tls-server-name"] = .string(name) }
        if cluster.insecureSkipTLSVerify { info["insecure-skip-tls-verify"] = true }
        if let caPEM { info["certificate-authority-data"] = .string(caPEM.base64EncodedString()) }
        if let proxy = cluster.proxyURL { info["proxy-url"] = .string(proxy) }
        if cluster.disableCompression { info["disable-compression"] = true }
        if let config = cluster.execExtension { info["config"] = config }
        return .object(info)
    }

    /// `--request-timeout`: a bare integer is seconds, else a Go duration (`1h2m3s`, `500ms`); 0 means none.
    public static func parseRequestTimeout(_ text: String?) throws(KubeconfigError) -> Duration? {
        guard let text, !text.isEmpty else { return nil }
        if let seconds = Int(text) {
            guard seconds >= 0 else { throw .invalidRequestTimeout(text) }
            return seconds == 0 ? nil : .seconds(seconds)
        }
        guard let duration = parseGoDuration(text) else { throw .invalidRequestTimeout(text) }
        return duration == .zero ? nil : duration
    }

    /// Go's `time.ParseDuration` for non-negative values: a sequence of number+unit (ns, us, µs, ms, s, m, h).
    public static func parseGoDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.filter({ rest.hasPrefix($0.0) }).max(by: { $0.0.count < $1.0.count }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        return .milliseconds(Int64((total * 1000).rounded()))
    }
}
