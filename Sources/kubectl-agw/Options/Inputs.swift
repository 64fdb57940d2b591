import Foundation
import Shared

/// Typed values of the arguments several commands share, with the same one-line errors everywhere.
enum Inputs {
    /// `--timeout` as a Go duration (10m, 90s).
    static func timeout(_ text: String) throws(ExposeError) -> Duration {
        guard let value = ClientConfigResolver.parseGoDuration(text) else {
            throw .usage("--timeout '\(text)' is not a duration; use e.g. 10m or 90s")
        }
        return value
    }

    /// Service arguments: svc/NAME, service/NAME or NAME.
    static func services(_ texts: [String]) throws(ServicePlanError) -> [ServiceReference] {
        try texts.map { text throws(ServicePlanError) in try ServiceReference(parsing: text) }
    }
}
