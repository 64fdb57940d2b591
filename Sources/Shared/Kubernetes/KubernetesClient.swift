import Foundation

/// The Kubernetes calls kubectl-agw makes, and nothing more; tests replace it with closures.
public protocol KubernetesAPI: Sendable {
    func getService(namespace: String, name: String) async throws -> Service
    /// `namespace` nil lists across all namespaces.
    func listServices(namespace: String?, labelSelector: String?, fieldSelector: String?) async throws -> ObjectList<Service>
    /// A JSON merge patch (RFC 7386) with `fieldManager=kubectl-agw`.
    func mergePatchService(namespace: String, name: String, patch: JSON) async throws -> Service
    /// One watch request on one Service; the stream ends when the server closes it.
    func watchService(namespace: String, name: String, resourceVersion: String, timeoutSeconds: Int) async throws
        -> AsyncThrowingStream<WatchEvent, any Error>
    func listEvents(namespace: String, involvedObjectUID: String) async throws -> [KubeEvent]
    func listPods(namespace: String, labelSelector: String) async throws -> [Pod]
}

/// One decoded watch event.
public enum WatchEvent: Sendable, Equatable {
    case added(Service)
    case modified(Service)
    case deleted(Service)
    /// Only the resourceVersion is meaningful.
    case bookmark(resourceVersion: String)
    /// The server ended the watch with a Status (410 when the resourceVersion is too old).
    case error(KubeStatus)
}

/// The real client: REST over the libcurl transport, authenticated the way the kubeconfig says.
public struct KubernetesClient: KubernetesAPI {
    public let config: RESTConfig
    let transport: any HTTPTransport
    let authenticator: KubeAuthenticator
    let userAgent: String

    public init(
        config: RESTConfig, transport: any HTTPTransport = CurlTransport(), authenticator: KubeAuthenticator? = nil,
        userAgent: String = UserAgent.kubernetes
    ) {
        self.config = config
        self.transport = transport
        self.authenticator = authenticator ?? KubeAuthenticator(config: config)
        self.userAgent = userAgent
    }

    // MARK: Requests

    func url(_ path: String, query: [(String, String)] = []) throws -> URL {
        guard var components = URLComponents(url: config.server, resolvingAgainstBaseURL: false) else {
            throw KubernetesError.configuration("invalid server URL \(config.server)")
        }
        components.percentEncodedPath = components.percentEncodedPath + path
        if !query.isEmpty {
            components.percentEncodedQuery = query.map { "\($0.0)=\(Self.queryEscape($0.1))" }.joined(separator: "&")
        }
        guard let url = components.url else { throw KubernetesError.configuration("cannot build a URL for \(path)") }
        return url
    }

    static func queryEscape(_ value: String) -> String { URLEscaping.component(value) }

    static func pathEscape(_ value: String) -> String { URLEscaping.component(value) }

    func makeRequest(
        _ method: String, _ url: URL, body: Data?, contentType: String?, credentials: AppliedCredentials,
        timeout: Duration?
    ) -> HTTPRequest {
        var headers: HTTPHeaders = ["Accept": "application/json", "User-Agent": userAgent]
        if let contentType { headers["Content-Type"] = contentType }
        if let authorization = credentials.authorization { headers["Authorization"] = authorization }
        if let user = config.impersonate { headers["Impersonate-User"] = user }
        if let uid = config.impersonateUID { headers["Impersonate-Uid"] = uid }
        for group in config.impersonateGroups { headers.add("Impersonate-Group", group) }
        for (key, values) in config.impersonateExtra.sorted(by: { $0.key < $1.key }) {
            for value in values { headers.add("Impersonate-Extra-" + Self.queryEscape(key), value) }
        }
        var tls = config.tls
        if let certificate = credentials.clientCertificatePEM, let key = credentials.clientKeyPEM {
            tls.clientCertificatePEM = certificate
            tls.clientKeyPEM = key
        }
        return HTTPRequest(
            method: method, url: url, headers: headers, body: body, tls: tls, proxy: config.proxyURL,
            connectTimeout: .seconds(30), timeout: timeout, acceptCompression: !config.disableCompression)
    }

    /// Sends one request; on 401 with exec credentials the plugin runs again and the request is sent once more.
    func send(_ method: String, _ path: String, query: [(String, String)] = [], body: Data? = nil, contentType: String? = nil)
        async throws -> HTTPResponse
    {
        let url = try url(path, query: query)
        var attempt = 0
        while true {
            attempt += 1
            let credentials = try await authenticator.current()
            let request = makeRequest(
                method, url, body: body, contentType: contentType, credentials: credentials,
                timeout: config.requestTimeout ?? .seconds(60))
            let response: HTTPResponse
            do {
                response = try await transport.send(request)
            } catch let error as HTTPTransportError {
                throw Self.translate(error, server: config.server)
            }
            if response.status == 401 && credentials.refreshable && attempt == 1 {
                await authenticator.invalidate(credentials)
                continue
            }
            return try Self.check(response)
        }
    }

    static func check(_ response: HTTPResponse) throws -> HTTPResponse {
        if response.isSuccess { return response }
        let status = KubeStatus.from(status: response.status, body: response.body)
        if response.status == 401 { throw KubernetesError.unauthorized(status.message) }
        throw KubernetesError.server(status)
    }

    static func translate(_ error: HTTPTransportError, server: URL) -> KubernetesError {
        let host = server.host.map { h in server.port.map { "\(h):\($0)" } ?? h } ?? server.absoluteString
        switch error.kind {
        case .connectionRefused: return .connectionRefused(host: host)
        case .timedOut:
            return .timedOut("the request to \(host) timed out (\(error.message)); raise --request-timeout or check the network")
        default: return .transport(error.message)
        }
    }

    func decode(_ response: HTTPResponse) throws -> JSON {
        do {
            return try JSON.parse(response.body)
        } catch {
            throw KubernetesError.invalidResponse("\(error)")
        }
    }

    /// The API server's `gitVersion` from `/version`.
    public func serverVersion() async throws -> String {
        try decode(try await send("GET", "/version"))["gitVersion"]?.stringValue ?? "unknown"
    }

    // MARK: KubernetesAPI

    static func servicePath(_ namespace: String, _ name: String) -> String {
        "/api/v1/namespaces/\(pathEscape(namespace))/services/\(pathEscape(name))"
    }

    public func getService(namespace: String, name: String) async throws -> Service {
        Service(try decode(try await send("GET", Self.servicePath(namespace, name))))
    }

    public func listServices(namespace: String?, labelSelector: String?, fieldSelector: String?) async throws -> ObjectList<Service> {
        let path = namespace.map { "/api/v1/namespaces/\(Self.pathEscape($0))/services" } ?? "/api/v1/services"
        var query: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { query.append(("fieldSelector", fieldSelector)) }
        let list = try decode(try await send("GET", path, query: query))
        return ObjectList(
            items: (list["items"]?.arrayValue ?? []).map(Service.init),
            resourceVersion: list.value(at: "metadata", "resourceVersion")?.stringValue ?? "")
    }

    /// Namespace names (completion offers them for `-n`).
    public func listNamespaceNames() async throws -> [String] {
        let list = try decode(try await send("GET", "/api/v1/namespaces"))
        return (list["items"]?.arrayValue ?? []).compactMap { $0.value(at: "metadata", "name")?.stringValue }.sorted()
    }

    public func mergePatchService(namespace: String, name: String, patch: JSON) async throws -> Service {
        let response = try await send(
            "PATCH", Self.servicePath(namespace, name), query: [("fieldManager", "kubectl-agw")], body: patch.data,
            contentType: "application/merge-patch+json")
        return Service(try decode(response))
    }

    public func listEvents(namespace: String, involvedObjectUID: String) async throws -> [KubeEvent] {
        let list = try decode(
            try await send(
                "GET", "/api/v1/namespaces/\(Self.pathEscape(namespace))/events",
                query: [("fieldSelector", "involvedObject.uid=\(involvedObjectUID)")]))
        return (list["items"]?.arrayValue ?? []).map(KubeEvent.init)
    }

    public func listPods(namespace: String, labelSelector: String) async throws -> [Pod] {
        let list = try decode(
            try await send("GET", "/api/v1/namespaces/\(Self.pathEscape(namespace))/pods", query: [("labelSelector", labelSelector)]))
        return (list["items"]?.arrayValue ?? []).map(Pod.init)
    }

    public func watchService(namespace: String, name: String, resourceVersion: String, timeoutSeconds: Int) async throws
        -> AsyncThrowingStream<WatchEvent, any Error>
    {
        let url = try url(
            "/api/v1/namespaces/\(Self.pathEscape(namespace))/services",
            query: [
                ("fieldSelector", "metadata.name=\(name)"), ("watch", "1"), ("resourceVersion", resourceVersion),
                ("allowWatchBookmarks", "true"), ("timeoutSeconds", String(timeoutSeconds)),
            ])
        var attempt = 0
        var response: HTTPStreamingResponse
        while true {
            attempt += 1
            let credentials = try await authenticator.current()
            // The server ends the watch after timeoutSeconds; allow a margin before giving up on it.
            let request = makeRequest(
                "GET", url, body: nil, contentType: nil, credentials: credentials,
                timeout: .seconds(timeoutSeconds + 30))
            do {
                response = try await transport.stream(request)
            } catch let error as HTTPTransportError {
                throw Self.translate(error, server: config.server)
            }
            if response.status == 401 && credentials.refreshable && attempt == 1 {
                _ = try? await response.collect()
                await authenticator.invalidate(credentials)
                continue
            }
            break
        }
        if !(200..<300).contains(response.status) {
            _ = try Self.check(HTTPResponse(status: response.status, headers: response.headers, body: try await response.collect()))
        }
        let body = response.body
        return AsyncThrowingStream { continuation in
            let task = Task {
                var splitter = JSONStreamSplitter()
                do {
                    for try await chunk in body {
                        for value in splitter.append(chunk) {
                            continuation.yield(try Self.decodeWatchEvent(value))
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    static func decodeWatchEvent(_ data: Data) throws -> WatchEvent {
        let json: JSON
        do {
            json = try JSON.parse(data)
        } catch {
            throw KubernetesError.invalidResponse("watch event: \(error)")
        }
        let object = json["object"] ?? .null
        switch json["type"]?.stringValue {
        case "ADDED": return .added(Service(object))
        case "MODIFIED": return .modified(Service(object))
        case "DELETED": return .deleted(Service(object))
        case "BOOKMARK": return .bookmark(resourceVersion: object.value(at: "metadata", "resourceVersion")?.stringValue ?? "")
        case "ERROR":
            return .error(KubeStatus.from(status: object["code"]?.intValue ?? 500, body: object.data))
        default:
            throw KubernetesError.invalidResponse("watch event of unknown type \(json["type"]?.serialized() ?? "null")")
        }
    }
}

/// The User-Agent values, in client-go's shape: `<name>/<version> (<os>/<arch>) kubernetes/<commit>`.
public enum UserAgent {
    public static var platform: String {
        #if os(Linux)
            let os = "linux"
        #elseif os(macOS)
            let os = "darwin"
        #else
            let os = "unknown"
        #endif
        #if arch(x86_64)
            let arch = "amd64"
        #elseif arch(arm64)
            let arch = "arm64"
        #else
            let arch = "unknown"
        #endif
        return "\(os)/\(arch)"
    }

    public static var kubernetes: String { "kubectl-agw/\(Version.current) (\(platform)) kubernetes/unknown" }
}

/// The tool's version, printed by `kubectl agw version` and sent in User-Agent headers.
public enum Version {
    public static let current = "0.1.0"
}
