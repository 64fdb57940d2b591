import Foundation

/// What the value of a flag or an argument is, for completion.
public enum CompletionKind: Sendable, Equatable {
    /// Takes no value (`--dry-run`).
    case none
    /// A value that cannot be guessed (`--hostname`): no candidates, no file names.
    case free
    /// A path: the shell completes file names.
    case file
    case choices([String])
    case service
    /// Only Services kubectl-agw exposed (status, unexpose).
    case exposedService
    case servicePort
    case namespace
    case context
    case cluster
    case user
    case gateway
    case resourceGroup
    case subscription
    case cloud
    case subcommand
}

/// One flag as completion knows it.
public struct FlagSpec: Sendable, Equatable {
    public var long: String
    public var short: Character?
    public var kind: CompletionKind
    public var help: String
    public var repeatable = false

    init(_ long: String, _ short: Character? = nil, _ kind: CompletionKind, _ help: String, repeatable: Bool = false) {
        self.long = long
        self.short = short
        self.kind = kind
        self.help = help
        self.repeatable = repeatable
    }

    public var takesValue: Bool { kind != .none }
}

/// One command: its arguments and flags.
public struct CommandSpec: Sendable, Equatable {
    public var name: String
    public var help: String
    public var arguments: CompletionKind
    public var flags: [FlagSpec]
}

/// The commands and flags of kubectl-agw as completion offers them. The executable declares the same flags
/// for ArgumentParser; an end-to-end test checks every flag in each command's `--help` is offered here.
public enum CommandTable {
    /// kubectl's connection flags, which kubectl does not complete for plugins.
    static let kube: [FlagSpec] = [
        FlagSpec("kubeconfig", nil, .file, "Path to the kubeconfig file to use"),
        FlagSpec("context", nil, .context, "The name of the kubeconfig context to use"),
        FlagSpec("cluster", nil, .cluster, "The name of the kubeconfig cluster to use"),
        FlagSpec("user", nil, .user, "The name of the kubeconfig user to use"),
        FlagSpec("namespace", "n", .namespace, "The namespace"),
        FlagSpec("server", "s", .free, "The address and port of the Kubernetes API server"),
        FlagSpec("token", nil, .free, "Bearer token for authentication to the API server"),
        FlagSpec("insecure-skip-tls-verify", nil, .choices(["true", "false"]), "Do not verify the server's certificate"),
        FlagSpec("certificate-authority", nil, .file, "Path to a CA certificate file"),
        FlagSpec("client-certificate", nil, .file, "Path to a client certificate file for TLS"),
        FlagSpec("client-key", nil, .file, "Path to a client key file for TLS"),
        FlagSpec("tls-server-name", nil, .free, "Server name to use for certificate validation"),
        FlagSpec("request-timeout", nil, .free, "How long to wait for one request"),
        FlagSpec("as", nil, .free, "Username to impersonate"),
        FlagSpec("as-group", nil, .free, "Group to impersonate", repeatable: true),
        FlagSpec("as-uid", nil, .free, "UID to impersonate"),
    ]

    /// What ArgumentParser gives every command.
    static let standard: [FlagSpec] = [
        FlagSpec("help", "h", .none, "Show help information"),
        FlagSpec("version", nil, .none, "Show the version"),
    ]

    static let azure: [FlagSpec] = [
        FlagSpec("subscription", nil, .subscription, "Azure subscription name or ID"),
        FlagSpec("cloud", nil, .cloud, "Azure cloud as az names it"),
        FlagSpec("api-version", nil, .choices([ARMClient.defaultAPIVersion]), "ARM api-version for Application Gateway calls"),
    ]

    static let output = FlagSpec("output", "o", .choices(OutputFormat.allCases.map(\.rawValue)), "Output format")

    public static let commands: [CommandSpec] = [
        CommandSpec(
            name: "expose", help: "Put Services behind an Application Gateway through an internal load balancer",
            arguments: .service,
            flags: [
                FlagSpec("gateway", nil, .gateway, "The gateway: its name, or its full resource ID"),
                FlagSpec("resource-group", "g", .resourceGroup, "The gateway's resource group"),
                FlagSpec("port", nil, .servicePort, "The Service port, by name or number"),
                FlagSpec("frontend", nil, .choices(FrontendChoice.allCases.map(\.rawValue)), "Which frontend IP configuration"),
                FlagSpec("frontend-port", nil, .free, "The gateway port to listen on"),
                FlagSpec("hostname", nil, .free, "Host name for a multi-site listener"),
                FlagSpec("path", nil, .free, "Path prefix for path-based routing"),
                FlagSpec("probe-path", nil, .free, "Path the gateway probes"),
                FlagSpec("priority", nil, .free, "Routing rule priority, 1-18999"),
                FlagSpec("subnet", nil, .free, "Subnet for the internal load balancer"),
                FlagSpec("ip", nil, .free, "Static private IP for the internal load balancer"),
                FlagSpec("backend-pool", nil, .free, "Only add the Service's IP to this existing backend pool"),
                FlagSpec("timeout", nil, .free, "How long to wait for the IP and the gateway update"),
                FlagSpec("dry-run", nil, .none, "Print the Service patch and the gateway diff; write nothing"),
                FlagSpec("no-wait", nil, .none, "Return once the gateway update is accepted"),
                FlagSpec("yes", "y", .none, "Do not ask before a public Service loses its public IP"),
                FlagSpec("force", nil, .none, "Go on even if the ingress controller manages the gateway"),
                output,
            ] + azure + kube + standard),
        CommandSpec(
            name: "status", help: "Show the exposed Services, their drift and their backend health", arguments: .exposedService,
            flags: [
                FlagSpec("all-namespaces", "A", .none, "Look in every namespace"),
                FlagSpec("gateway", nil, .gateway, "Only Services on this gateway"),
                FlagSpec("no-health", nil, .none, "Skip the backend-health query"),
                output,
            ] + azure + kube + standard),
        CommandSpec(
            name: "unexpose", help: "Take Services off their Application Gateway", arguments: .exposedService,
            flags: [
                FlagSpec("gateway", nil, .gateway, "Only act if the Services are exposed on this gateway"),
                FlagSpec("restore-public", nil, .none, "Also give the Service a public IP again"),
                FlagSpec("timeout", nil, .free, "How long to wait for the gateway update"),
                FlagSpec("dry-run", nil, .none, "Print the Service patches and the gateway diff; write nothing"),
                FlagSpec("no-wait", nil, .none, "Return once the gateway update is accepted"),
                FlagSpec("yes", "y", .none, "Do not ask before --restore-public makes a Service public"),
                output,
            ] + azure + kube + standard),
        CommandSpec(
            name: "version", help: "Print the kubectl-agw version and the cluster's Kubernetes version", arguments: .none,
            flags: [
                FlagSpec("client", nil, .none, "Print only the client version"),
                FlagSpec("output", "o", .choices(["text", "json"]), "Output format"),
            ] + kube + standard),
        CommandSpec(
            name: "completion", help: "Print a shell completion script for kubectl-agw",
            arguments: .choices(ScriptShell.allCases.map(\.rawValue)),
            flags: standard),
        CommandSpec(name: "help", help: "Show help for a command", arguments: .subcommand, flags: []),
    ]

    public static func command(named name: String) -> CommandSpec? { commands.first { $0.name == name } }
}

/// The shells `kubectl agw completion` writes scripts for.
public enum ScriptShell: String, Sendable, CaseIterable {
    case bash, zsh, fish, powershell
}
