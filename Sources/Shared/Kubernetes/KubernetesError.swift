import Foundation

/// A Kubernetes `Status` object (the body of every API error).
public struct KubeStatus: Sendable, Equatable {
    public var code: Int
    public var reason: String
    public var message: String
    public var retryAfterSeconds: Int?

    public init(code: Int, reason: String, message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// Decodes a Status body, or describes a non-Status body by its HTTP code as client-go does.
    public static func from(status: Int, body: Data) -> KubeStatus {
        if let json = try? JSON.parse(body), json["kind"]?.stringValue == "Status" {
            return KubeStatus(
                code: json["code"]?.intValue ?? status,
                reason: json["reason"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? reasonForCode(status),
                message: json["message"]?.stringValue ?? "",
                retryAfterSeconds: json.value(at: "details", "retryAfterSeconds")?.intValue)
        }
        let text = String(decoding: body.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return KubeStatus(
            code: status, reason: reasonForCode(status),
            message: text.isEmpty ? "the server responded with HTTP \(status)" : text)
    }

    static func reasonForCode(_ code: Int) -> String {
        switch code {
        case 400: return "BadRequest"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "NotFound"
        case 405: return "MethodNotAllowed"
        case 406: return "NotAcceptable"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 413: return "RequestEntityTooLarge"
        case 415: return "UnsupportedMediaType"
        case 422: return "Invalid"
        case 429: return "TooManyRequests"
        case 503: return "ServiceUnavailable"
        case 504: return "Timeout"
        default: return code >= 500 ? "InternalError" : "Unknown"
        }
    }
}

/// Failures talking to the cluster, worded as kubectl words them.
public enum KubernetesError: Error, Equatable, CustomStringConvertible, Sendable {
    case server(KubeStatus)
    case unauthorized(String)
    case connectionRefused(host: String)
    case transport(String)
    case credentials(ExecPluginError)
    case configuration(String)
    case invalidResponse(String)
    case timedOut(String)
    case conflictRetriesExhausted(resource: String, attempts: Int)

    public var description: String {
        switch self {
        case .server(let status): return "Error from server (\(status.reason)): \(status.message)"
        case .unauthorized(let message):
            return
                "error: You must be logged in to the server (\(message.isEmpty ? "Unauthorized" : message)); check the user in your kubeconfig or log in again"
        case .connectionRefused(let host):
            return "The connection to the server \(host) was refused - did you specify the right host or port?"
        case .transport(let message): return "Unable to connect to the server: \(message)"
        case .credentials(let error): return "getting credentials: \(error)"
        case .configuration(let message): return "error: \(message)"
        case .invalidResponse(let message): return "error: the server sent a response kubectl-agw cannot read: \(message)"
        case .timedOut(let message): return "error: \(message)"
        case .conflictRetriesExhausted(let resource, let attempts):
            return "error: \(resource) kept changing while kubectl-agw updated it (\(attempts) attempts); run the command again"
        }
    }

    /// The HTTP status, for server errors.
    public var statusCode: Int? {
        if case .server(let status) = self { return status.code }
        return nil
    }
}
