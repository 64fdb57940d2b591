import Foundation

/// How failures are worded on stderr: kubectl's prefixes, one line.
public enum ErrorText {
    /// Errors that already carry kubectl's wording keep it; anything else gets `error: `.
    public static func line(for error: any Error, fallback: String) -> String {
        let text: String
        switch error {
        case let error as KubernetesError: text = error.description
        case let error as KubeconfigError: text = error.description
        case let error as ExecPluginError: text = error.description
        case let error as HTTPTransportError: text = error.description
        case let error as ARMError: text = error.description
        case let error as CredentialError: text = error.description
        case let error as AzureConfigError: text = error.description
        case let error as PlanError: text = error.description
        case let error as ServicePlanError: text = error.description
        case let error as ExposeError: text = error.description
        case let error as GatewayLocatorError: text = error.description
        case let error as GatewayDocumentError: text = error.description
        case let error as ResourceIDError: text = error.description
        default: text = fallback
        }
        let prefixes = [
            "error: ", "Error from server", "Error: ", "The connection to the server", "Unable to connect", "Error in configuration",
        ]
        if prefixes.contains(where: text.hasPrefix) { return text }
        return "error: " + text
    }
}

extension ErrorText {
    /// A usage error in one line: the parser's message and the help command it names.
    public static func usageLine(message: String, fullMessage: String) -> String {
        var first = message.split(separator: "\n").first.map(String.init) ?? message
        if first.hasSuffix(".") { first.removeLast() }
        guard let start = fullMessage.range(of: "'kubectl agw"), let end = fullMessage[start.upperBound...].range(of: "--help'") else {
            return first
        }
        let helpCommand = fullMessage[start.lowerBound..<end.upperBound]
        return first + "; see " + helpCommand
    }
}

/// The client and server versions, for `kubectl agw version`.
public struct VersionReport: Sendable, Equatable {
    public var client: String
    public var platform: String
    public var server: String?

    public init(client: String, platform: String, server: String?) {
        self.client = client
        self.platform = platform
        self.server = server
    }

    public var text: String {
        var lines = ["Client Version: v\(client) (\(platform))"]
        if let server { lines.append("Server Version: \(server)") }
        return lines.joined(separator: "\n")
    }

    public var json: JSON {
        var object = JSONObject()
        object["clientVersion"] = ["version": .string("v" + client), "platform": .string(platform)]
        if let server { object["serverVersion"] = ["gitVersion": .string(server)] }
        return .object(object)
    }
}
