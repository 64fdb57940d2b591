import Foundation

/// An ARM long-running operation as a small state machine; `ARMClient` drives it with real requests, and
/// the transitions are pure so tests check them without I/O.
///
/// States: `.polling(url, via)` → (poll response) → `.polling` | `.succeeded(finalGet)` | `.failed`.
/// The final GET of a PUT/PATCH is always the original resource URL (ARM's rule for those methods).
public enum LROState: Equatable, Sendable {
    public enum Via: Equatable, Sendable {
        /// `Azure-AsyncOperation`: GET returns `{"status": …}`.
        case asyncOperation
        /// `Location`: 202 while in progress, any other 2xx when done.
        case location
        /// No header: GET the resource until `properties.provisioningState` is terminal.
        case provisioningState
    }

    case polling(url: URL, via: Via)
    /// Done; `finalURL` is where the result is read (nil: the last response is the result).
    case succeeded(finalURL: URL?)
    case failed(status: String, code: String, message: String)

    /// The state after the first response to a PUT, PATCH, POST or DELETE.
    public static func start(method: String, status: Int, headers: HTTPHeaders, body: JSON?, resourceURL: URL) -> LROState {
        let finalURL: URL? = ["PUT", "PATCH"].contains(method) ? resourceURL : nil
        if let text = headers["Azure-AsyncOperation"], let url = URL(string: text) {
            return .polling(url: url, via: .asyncOperation)
        }
        if let text = headers["Location"], let url = URL(string: text), status == 202 || status == 201 {
            return .polling(url: url, via: .location)
        }
        if ["PUT", "PATCH"].contains(method) {
            switch status {
            case 202: return .polling(url: resourceURL, via: .provisioningState)
            case 200, 201:
                let state = body?.value(at: "properties", "provisioningState")?.stringValue
                guard let state, !isTerminal(state) else { return terminal(state ?? "Succeeded", body, finalURL: finalURL) }
                return .polling(url: resourceURL, via: .provisioningState)
            default: return .succeeded(finalURL: finalURL)
            }
        }
        return .succeeded(finalURL: finalURL)
    }

    /// The state after one poll response (a 2xx; errors are handled by the caller).
    public func next(status: Int, headers: HTTPHeaders, body: JSON?, method: String, resourceURL: URL) -> LROState {
        guard case .polling(let url, let via) = self else { return self }
        let finalURL: URL? = ["PUT", "PATCH"].contains(method) ? resourceURL : nil
        switch via {
        case .asyncOperation:
            guard let state = body?["status"]?.stringValue else {
                return .failed(status: "Failed", code: "BadResponse", message: "the operation status has no \"status\" field")
            }
            if Self.isTerminal(state) {
                let resultURL = body?["resourceLocation"]?.stringValue.flatMap(URL.init(string:)) ?? finalURL
                return Self.terminal(state, body, finalURL: resultURL, errorAtTop: true)
            }
            return .polling(url: headers["Azure-AsyncOperation"].flatMap(URL.init(string:)) ?? url, via: .asyncOperation)
        case .location:
            if status == 202 {
                return .polling(url: headers["Location"].flatMap(URL.init(string:)) ?? url, via: .location)
            }
            // Done: for a POST the result is this response itself (nil); PUT/PATCH read the resource.
            return .succeeded(finalURL: finalURL)
        case .provisioningState:
            let state = body?.value(at: "properties", "provisioningState")?.stringValue ?? "Succeeded"
            return Self.isTerminal(state) ? Self.terminal(state, body, finalURL: finalURL) : self
        }
    }

    static func isTerminal(_ state: String) -> Bool {
        ["succeeded", "failed", "canceled", "cancelled"].contains(state.lowercased())
    }

    static func terminal(_ state: String, _ body: JSON?, finalURL: URL?, errorAtTop: Bool = false) -> LROState {
        if state.lowercased() == "succeeded" { return .succeeded(finalURL: finalURL) }
        let error = errorAtTop ? body?["error"] : body?.value(at: "properties", "error") ?? body?["error"]
        return .failed(
            status: state.lowercased() == "failed" ? "Failed" : "Canceled", code: error?["code"]?.stringValue ?? state,
            message: error?["message"]?.stringValue ?? "the operation ended \(state) without an error message")
    }
}
