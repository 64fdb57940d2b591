import ArgumentParser
import Shared

/// kubectl's connection flags. kubectl passes them to plugins unparsed, so every command that talks to the
/// cluster accepts them after the command name, as `kubectl agw expose … --context prod -n web`.
struct KubeFlags: ParsableArguments {
    @Option(name: .customLong("kubeconfig"), help: "Path to the kubeconfig file to use (only this file, as kubectl).")
    var kubeconfig: String?

    @Option(help: "The name of the kubeconfig context to use.")
    var context: String?

    @Option(help: "The name of the kubeconfig cluster to use.")
    var cluster: String?

    @Option(help: "The name of the kubeconfig user to use.")
    var user: String?

    @Option(name: [.customShort("n"), .long], help: "The namespace (default: the context's, else \"default\").")
    var namespace: String?

    @Option(name: [.customShort("s"), .long], help: "The address and port of the Kubernetes API server.")
    var server: String?

    @Option(help: ArgumentHelp("Bearer token for authentication to the API server.", valueName: "token"))
    var token: String?

    @Option(name: .customLong("insecure-skip-tls-verify"), help: "Do not verify the server's certificate (insecure).")
    var insecureSkipTLSVerify: Bool?

    @Option(name: .customLong("certificate-authority"), help: "Path to a CA certificate file.")
    var certificateAuthority: String?

    @Option(name: .customLong("client-certificate"), help: "Path to a client certificate file for TLS.")
    var clientCertificate: String?

    @Option(name: .customLong("client-key"), help: "Path to a client key file for TLS.")
    var clientKey: String?

    @Option(name: .customLong("tls-server-name"), help: "Server name to use for certificate validation.")
    var tlsServerName: String?

    @Option(name: .customLong("request-timeout"), help: "How long to wait for one request (e.g. 30s, 1m); 0 waits forever.")
    var requestTimeout: String?

    @Option(name: .customLong("as"), help: "Username to impersonate.")
    var impersonate: String?

    @Option(name: .customLong("as-group"), help: "Group to impersonate (repeatable).")
    var impersonateGroups: [String] = []

    @Option(name: .customLong("as-uid"), help: "UID to impersonate.")
    var impersonateUID: String?

    var overrides: KubeOverrides {
        var overrides = KubeOverrides()
        overrides.kubeconfig = kubeconfig
        overrides.context = context
        overrides.cluster = cluster
        overrides.user = user
        overrides.namespace = namespace
        overrides.server = server
        overrides.token = token
        overrides.insecureSkipTLSVerify = insecureSkipTLSVerify
        overrides.certificateAuthority = certificateAuthority
        overrides.clientCertificate = clientCertificate
        overrides.clientKey = clientKey
        overrides.tlsServerName = tlsServerName
        overrides.requestTimeout = requestTimeout
        overrides.impersonate = impersonate
        overrides.impersonateGroups = impersonateGroups
        overrides.impersonateUID = impersonateUID
        return overrides
    }

    /// Reads the kubeconfig and flags into a client (no network yet).
    func client() throws -> KubernetesClient {
        KubernetesClient(config: try ClientConfigResolver().resolve(overrides))
    }
}
