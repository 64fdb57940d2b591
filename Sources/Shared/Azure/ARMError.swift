import Foundation

/// Failures talking to Azure Resource Manager, worded as az words them: `(Code) message`.
public enum ARMError: Error, Equatable, CustomStringConvertible, Sendable {
    /// An error response: HTTP status, ARM's code and message, and the request IDs support asks for.
    case response(status: Int, code: String, message: String, requestID: String?, clientRequestID: String)
    /// `If-Match` did not match: the resource changed since it was read.
    case preconditionFailed(resource: String, clientRequestID: String)
    case transport(String)
    case credential(String)
    /// A long-running operation ended `Failed` or `Canceled`.
    case operationFailed(status: String, code: String, message: String, clientRequestID: String)
    case timedOut(String)
    case invalidResponse(String)
    case configuration(String)

    public var description: String {
        switch self {
        case .response(let status, let code, let message, let requestID, let clientRequestID):
            let ids = ["HTTP \(status)", requestID.map { "x-ms-request-id \($0)" }, "client request id \(clientRequestID)"].compactMap {
                $0
            }
            return "(\(code)) \(message) [\(ids.joined(separator: ", "))]"
        case .preconditionFailed(let resource, let clientRequestID):
            return
                "(PreconditionFailed) \(resource) changed since it was read (its etag no longer matches); run the command again to work from its current state [HTTP 412, client request id \(clientRequestID)]"
        case .transport(let message): return "cannot reach Azure Resource Manager: \(message)"
        case .credential(let message): return message
        case .operationFailed(let status, let code, let message, let clientRequestID):
            return "(\(code)) the operation ended \(status): \(message) [client request id \(clientRequestID)]"
        case .timedOut(let message): return message
        case .invalidResponse(let message): return "Azure Resource Manager sent a response kubectl-agw cannot read: \(message)"
        case .configuration(let message): return message
        }
    }

    /// ARM's error code, when there is one.
    public var code: String? {
        switch self {
        case .response(_, let code, _, _, _), .operationFailed(_, let code, _, _): return code
        case .preconditionFailed: return "PreconditionFailed"
        default: return nil
        }
    }

    public var status: Int? {
        switch self {
        case .response(let status, _, _, _, _): return status
        case .preconditionFailed: return 412
        default: return nil
        }
    }

    /// Decodes the `{"error":{code,message}}` envelope (or the bare inner object).
    static func fromResponse(_ response: HTTPResponse, clientRequestID: String) -> ARMError {
        let json = try? JSON.parse(response.body)
        let inner = json?["error"] ?? json
        let code = inner?["code"]?.stringValue ?? HTTPStatusText.reason(response.status)
        var message = inner?["message"]?.stringValue ?? String(decoding: response.body.prefix(300), as: UTF8.self)
        if message.isEmpty { message = "HTTP \(response.status)" }
        let details =
            inner?["details"]?.arrayValue?.compactMap { detail -> String? in
                guard let code = detail["code"]?.stringValue, let text = detail["message"]?.stringValue else { return nil }
                return "(\(code)) \(text)"
            } ?? []
        if !details.isEmpty { message += " " + details.joined(separator: " ") }
        return .response(
            status: response.status, code: code, message: message, requestID: response.headers["x-ms-request-id"],
            clientRequestID: clientRequestID)
    }
}

/// Reason phrases for errors without a body.
enum HTTPStatusText {
    static func reason(_ status: Int) -> String {
        switch status {
        case 400: return "BadRequest"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "NotFound"
        case 409: return "Conflict"
        case 412: return "PreconditionFailed"
        case 429: return "TooManyRequests"
        case 500: return "InternalServerError"
        case 502: return "BadGateway"
        case 503: return "ServiceUnavailable"
        case 504: return "GatewayTimeout"
        default: return "HTTP\(status)"
        }
    }
}
