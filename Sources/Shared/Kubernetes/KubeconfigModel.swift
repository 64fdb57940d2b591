import Foundation

/// A cluster entry (`clusters[].cluster`), paths already made absolute against its file.
public struct KubeCluster: Sendable, Equatable {
    public var server: String = ""
    public var tlsServerName: String?
    public var insecureSkipTLSVerify = false
    public var certificateAuthority: String?
    public var certificateAuthorityData: Data?
    public var proxyURL: String?
    public var disableCompression = false
    /// The `client.authentication.k8s.io/exec` extension, passed to exec plugins as `spec.cluster.config`.
    public var execExtension: JSON?
    /// The file this entry came from.
    public var origin: String = ""

    public init() {}
}

/// How an exec plugin may talk to the user.
public enum InteractiveMode: String, Sendable, Equatable {
    case never = "Never"
    case ifAvailable = "IfAvailable"
    case always = "Always"
}

/// `users[].user.exec`: an external command that prints an ExecCredential.
public struct ExecConfig: Sendable, Equatable {
    public var command: String
    public var args: [String] = []
    public var env: [ExecEnvVar] = []
    public var apiVersion: String
    public var installHint: String?
    public var provideClusterInfo = false
    public var interactiveMode: InteractiveMode?

    public init(command: String, apiVersion: String) {
        self.command = command
        self.apiVersion = apiVersion
    }
}

/// One `name`/`value` pair of an exec plugin's environment.
public struct ExecEnvVar: Sendable, Equatable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A user entry (`users[].user`), paths already made absolute against its file.
public struct KubeAuthInfo: Sendable, Equatable {
    public var clientCertificate: String?
    public var clientCertificateData: Data?
    public var clientKey: String?
    public var clientKeyData: Data?
    public var token: String?
    public var tokenFile: String?
    public var impersonate: String?
    public var impersonateUID: String?
    public var impersonateGroups: [String] = []
    public var impersonateExtra: [String: [String]] = [:]
    public var username: String?
    public var password: String?
    public var authProviderName: String?
    public var exec: ExecConfig?
    public var origin: String = ""

    public init() {}
}

/// A context entry (`contexts[].context`).
public struct KubeContext: Sendable, Equatable {
    public var cluster: String = ""
    public var user: String = ""
    public var namespace: String?
    public var origin: String = ""

    public init() {}
}

/// The kubeconfig after merging every file the loading rules name.
public struct Kubeconfig: Sendable, Equatable {
    public var clusters: [String: KubeCluster] = [:]
    public var users: [String: KubeAuthInfo] = [:]
    public var contexts: [String: KubeContext] = [:]
    public var currentContext: String?
    /// The files that were read, in precedence order.
    public var files: [String] = []

    public init() {}

    public var isEmpty: Bool { clusters.isEmpty && users.isEmpty && contexts.isEmpty && (currentContext ?? "").isEmpty }
}
