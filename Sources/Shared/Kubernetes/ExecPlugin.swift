import Foundation

/// What an exec credential plugin handed back.
public struct ExecCredential: Sendable, Equatable {
    public var token: String?
    public var clientCertificatePEM: Data?
    public var clientKeyPEM: Data?
    /// nil: never expires (client-go keeps such a credential until a 401).
    public var expiration: Date?

    public init(token: String? = nil, clientCertificatePEM: Data? = nil, clientKeyPEM: Data? = nil, expiration: Date? = nil) {
        self.token = token
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.expiration = expiration
    }
}

/// Why an exec plugin gave no credential; each message says what to do next.
public enum ExecPluginError: Error, Equatable, CustomStringConvertible, Sendable {
    case notFound(command: String, installHint: String?)
    case failed(command: String, exitCode: Int32)
    case timedOut(command: String, seconds: Int)
    case interactiveRequired(command: String)
    case invalidOutput(command: String, reason: String)
    case couldNotStart(command: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let command, let hint):
            let advice =
                hint.map { " " + ExecPluginError.neutralized($0) } ?? " Install it or fix users[].user.exec.command in your kubeconfig."
            return "exec: executable \(command) not found.\(advice)"
        case .failed(let command, let code):
            return "exec: executable \(command) failed with exit code \(code); run it by hand to see why (its messages are printed above)"
        case .timedOut(let command, let seconds):
            return "exec: executable \(command) did not finish within \(seconds)s"
        case .interactiveRequired(let command):
            return "exec: executable \(command) needs an interactive terminal (interactiveMode: Always) but standard input is not one"
        case .invalidOutput(let command, let reason):
            return "exec: executable \(command) returned an invalid credential: \(reason)"
        case .couldNotStart(let command, let reason):
            return "exec: executable \(command) could not be started: \(reason)"
        }
    }

    /// The hint comes from a kubeconfig: strip escape sequences so it cannot drive the terminal.
    static func neutralized(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0.value >= 0x20 || $0 == "\n" || $0 == "\t" }.map(Character.init))
    }
}

/// Runs exec credential plugins as child processes (argument vector, no shell), as client-go does (§2).
public struct ExecPluginRunner: Sendable {
    /// The environment the plugin inherits (the config's `env` and `KUBERNETES_EXEC_INFO` are added).
    public var environment: [String: String]
    /// Whether a person may be asked for input: false in completion, where nothing may prompt.
    public var allowInteractive: Bool
    /// Whether our standard input is a terminal.
    public var stdinIsTerminal: Bool
    /// Limit for one run; nil for none (a device-code login takes as long as the person needs).
    public var timeout: Duration?

    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment, allowInteractive: Bool = true,
        stdinIsTerminal: Bool = isatty(STDIN_FILENO) == 1, timeout: Duration? = nil
    ) {
        self.environment = environment
        self.allowInteractive = allowInteractive
        self.stdinIsTerminal = stdinIsTerminal
        self.timeout = timeout
    }

    /// Runs the plugin once and validates what it printed.
    public func run(_ config: ExecConfig, clusterInfo: JSON) async throws(ExecPluginError) -> ExecCredential {
        let interactive: Bool
        switch config.interactiveMode ?? .ifAvailable {
        case .never: interactive = false
        case .ifAvailable: interactive = allowInteractive && stdinIsTerminal
        case .always:
            guard allowInteractive && stdinIsTerminal else { throw .interactiveRequired(command: config.command) }
            interactive = true
        }
        guard let executable = Subprocess.find(config.command, environment: environment) else {
            throw .notFound(command: config.command, installHint: config.installHint)
        }
        var spec = JSONObject()
        spec["interactive"] = .bool(interactive)
        if config.provideClusterInfo { spec["cluster"] = clusterInfo }
        let input: JSON = ["apiVersion": .string(config.apiVersion), "kind": "ExecCredential", "spec": .object(spec)]
        var childEnvironment = environment
        for variable in config.env { childEnvironment[variable.name] = variable.value }
        childEnvironment["KUBERNETES_EXEC_INFO"] = input.serialized()

        let output = try await spawn(
            executable: executable, arguments: config.args, environment: childEnvironment,
            interactive: interactive, command: config.command)
        return try Self.parseOutput(output, config: config)
    }

    private func spawn(executable: String, arguments: [String], environment: [String: String], interactive: Bool, command: String)
        async throws(ExecPluginError) -> Data
    {
        let result: SubprocessResult
        do {
            // Where nobody may be asked (completion), what the plugin says to a person is not shown either.
            result = try await Subprocess.run(
                executable: executable, arguments: arguments, environment: environment, interactive: interactive,
                captureStderr: !allowInteractive, timeout: timeout)
        } catch {
            throw .couldNotStart(command: command, reason: "\(error)")
        }
        if result.timedOut { throw .timedOut(command: command, seconds: timeout.map { Int($0.components.seconds) } ?? 0) }
        guard result.status == 0 else { throw .failed(command: command, exitCode: result.status) }
        return result.stdout
    }

    /// Validates an ExecCredential the way client-go does (§2.2).
    static func parseOutput(_ data: Data, config: ExecConfig) throws(ExecPluginError) -> ExecCredential {
        let command = config.command
        let json: JSON
        do {
            json = try JSON.parse(data)
        } catch {
            throw .invalidOutput(command: command, reason: "its output is not JSON (\(error))")
        }
        guard json["kind"]?.stringValue == "ExecCredential" else {
            throw .invalidOutput(command: command, reason: "kind is not ExecCredential")
        }
        let returned = json["apiVersion"]?.stringValue ?? ""
        guard returned == config.apiVersion else {
            throw .invalidOutput(
                command: command,
                reason: "exec plugin is configured to use API version \(config.apiVersion), plugin returned version \(returned)")
        }
        guard let status = json["status"], status.objectValue != nil else {
            throw .invalidOutput(command: command, reason: "exec plugin didn't return a status field")
        }
        var credential = ExecCredential()
        credential.token = status["token"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        credential.clientCertificatePEM = status["clientCertificateData"]?.stringValue.flatMap { $0.isEmpty ? nil : Data($0.utf8) }
        credential.clientKeyPEM = status["clientKeyData"]?.stringValue.flatMap { $0.isEmpty ? nil : Data($0.utf8) }
        if (credential.clientCertificatePEM == nil) != (credential.clientKeyPEM == nil) {
            throw .invalidOutput(command: command, reason: "exec plugin returned only certificate or key, not both")
        }
        if credential.token == nil && credential.clientCertificatePEM == nil {
            throw .invalidOutput(command: command, reason: "exec plugin didn't return a token or cert/key pair")
        }
        if let stamp = status["expirationTimestamp"]?.stringValue, !stamp.isEmpty {
            guard let date = RFC3339.parse(stamp) else {
                throw .invalidOutput(command: command, reason: "expirationTimestamp \"\(stamp)\" is not an RFC 3339 time")
            }
            credential.expiration = date
        }
        return credential
    }
}

/// RFC 3339 times with or without fractional seconds (Kubernetes and Azure use both).
public enum RFC3339 {
    public static func parse(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = withFraction.date(from: text) { return date }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: text) { return date }
        // More than three fractional digits (Go writes nanoseconds): drop the extra ones.
        if let dot = text.firstIndex(of: "."), let zone = text[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
            let digits = text[text.index(after: dot)..<zone].prefix(3)
            return withFraction.date(from: String(text[..<dot]) + "." + digits + String(text[zone...]))
        }
        return nil
    }

    public static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
