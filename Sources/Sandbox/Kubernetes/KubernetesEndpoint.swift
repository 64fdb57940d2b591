import Foundation

/// The local Kubernetes API listening on 127.0.0.1 over HTTPS, with the CA that signed it.
public final class KubernetesEndpoint: Sendable {
    public let api: LocalKubernetes
    public let server: LocalHTTPSServer
    public let ca: CertificateAuthority

    public var url: String { server.baseURL }

    private init(api: LocalKubernetes, server: LocalHTTPSServer, ca: CertificateAuthority) {
        self.api = api
        self.server = server
        self.ca = ca
    }

    /// Starts a fresh cluster: namespaces default, kube-system, kube-public, kube-node-lease; nothing else.
    public static func start(options: LocalKubernetes.Options = .init(), ca: CertificateAuthority? = nil, port: Int = 0) async throws
        -> KubernetesEndpoint
    {
        let ca = try ca ?? CertificateAuthority()
        let api = await LocalKubernetes(options: options)
        let server = try await LocalHTTPSServer.start(ca: ca, port: port) { request in
            await api.handle(request)
        }
        await api.setServerAddress("127.0.0.1:\(server.port)")
        return KubernetesEndpoint(api: api, server: server, ca: ca)
    }

    public func stop() async {
        await api.store.closeWatches()
        await server.stop()
    }

    /// How a generated kubeconfig authenticates.
    public enum Credential: Sendable {
        case token(String)
        case clientCertificate(CertificateAuthority.Issued)
        /// An exec plugin: the command and its arguments.
        case exec(command: String, args: [String], apiVersion: String, interactiveMode: String?)
    }

    /// A kubeconfig (YAML) with one cluster, user and context, all named `name`.
    public func kubeconfig(name: String = "sandbox", credential: Credential, namespace: String? = nil) -> String {
        var lines = [
            "apiVersion: v1", "kind: Config", "current-context: \(name)", "clusters:", "- name: \(name)", "  cluster:",
            "    server: \(url)", "    certificate-authority-data: \(Data(ca.certificatePEM.utf8).base64EncodedString())",
            "contexts:", "- name: \(name)", "  context:", "    cluster: \(name)", "    user: \(name)",
        ]
        if let namespace { lines.append("    namespace: \(namespace)") }
        lines += ["users:", "- name: \(name)", "  user:"]
        switch credential {
        case .token(let token):
            lines.append("    token: \(token)")
        case .clientCertificate(let issued):
            lines.append("    client-certificate-data: \(Data(issued.certificatePEM.utf8).base64EncodedString())")
            lines.append("    client-key-data: \(Data(issued.privateKeyPEM.utf8).base64EncodedString())")
        case .exec(let command, let args, let apiVersion, let interactiveMode):
            lines += ["    exec:", "      apiVersion: \(apiVersion)", "      command: \(command)"]
            if !args.isEmpty {
                lines.append("      args:")
                lines += args.map { "      - \"\($0)\"" }
            }
            if let interactiveMode { lines.append("      interactiveMode: \(interactiveMode)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
