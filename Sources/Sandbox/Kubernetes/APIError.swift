import Foundation

/// An API error, answered as a Kubernetes `Status` object with the matching HTTP code.
public struct APIError: Error, Sendable, Equatable {
    public var code: Int
    public var reason: String
    public var message: String
    public var details: Value?

    public init(code: Int, reason: String, message: String, details: Value? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
    }

    public var status: Value {
        var status: Value = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure", "message": .string(message),
            "reason": .string(reason), "code": .int(code),
        ]
        if let details { status["details"] = details }
        return status
    }

    static func notFound(_ resource: String, _ name: String) -> APIError {
        APIError(
            code: 404, reason: "NotFound", message: "\(resource) \"\(name)\" not found",
            details: ["name": .string(name), "kind": .string(resource)])
    }

    static func alreadyExists(_ resource: String, _ name: String) -> APIError {
        APIError(
            code: 409, reason: "AlreadyExists", message: "\(resource) \"\(name)\" already exists",
            details: ["name": .string(name), "kind": .string(resource)])
    }

    static func conflict(_ resource: String, _ name: String) -> APIError {
        APIError(
            code: 409, reason: "Conflict",
            message:
                "Operation cannot be fulfilled on \(resource) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again",
            details: ["name": .string(name), "kind": .string(resource)])
    }

    static func badRequest(_ message: String) -> APIError { APIError(code: 400, reason: "BadRequest", message: message) }

    static func invalid(_ resource: String, _ name: String, _ causes: [String]) -> APIError {
        APIError(
            code: 422, reason: "Invalid", message: "\(resource) \"\(name)\" is invalid: \(causes.joined(separator: ", "))",
            details: ["name": .string(name), "kind": .string(resource)])
    }

    static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")

    static func gone(_ message: String) -> APIError { APIError(code: 410, reason: "Expired", message: message) }
}
