import Foundation

/// An ARM error answer: HTTP status and the `{"error":{code,message}}` envelope.
public struct ARMFailure: Error, Sendable, Equatable {
    public var status: Int
    public var code: String
    public var message: String
    public var headers: [(String, String)] = []

    public init(status: Int, code: String, message: String, headers: [(String, String)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public static func == (lhs: ARMFailure, rhs: ARMFailure) -> Bool {
        lhs.status == rhs.status && lhs.code == rhs.code && lhs.message == rhs.message
    }

    var body: Value { ["error": ["code": .string(code), "message": .string(message)]] }

    static func badRequest(_ code: String, _ message: String) -> ARMFailure { ARMFailure(status: 400, code: code, message: message) }
}
