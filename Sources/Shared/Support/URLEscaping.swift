import Foundation

/// Percent-encoding for one URL component (path segment, query value, form value): everything but
/// RFC 3986's unreserved characters is escaped.
enum URLEscaping {
    static let unreserved: CharacterSet = {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return allowed
    }()

    static func component(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }
}
