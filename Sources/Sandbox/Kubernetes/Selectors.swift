import Foundation

/// A label selector (`a=b,c!=d,e,!f,g in (x,y),h notin (z)`) as the API server parses it.
struct LabelSelector: Sendable {
    enum Requirement: Sendable {
        case equals(String, String)
        case notEquals(String, String)
        case exists(String)
        case notExists(String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
    }

    var requirements: [Requirement] = []

    /// Matches everything.
    static let everything = LabelSelector()

    private init() {}

    init(_ text: String?) throws(APIError) {
        guard let text, !text.isEmpty else { return }
        for part in Self.splitTopLevel(text) {
            let term = part.trimmingCharacters(in: .whitespaces)
            if term.isEmpty { continue }
            if let range = term.range(of: " notin ") {
                requirements.append(
                    .notIn(String(term[..<range.lowerBound]).trimmingCharacters(in: .whitespaces), try Self.set(term[range.upperBound...])))
            } else if let range = term.range(of: " in ") {
                requirements.append(
                    .isIn(String(term[..<range.lowerBound]).trimmingCharacters(in: .whitespaces), try Self.set(term[range.upperBound...])))
            } else if let range = term.range(of: "!=") {
                requirements.append(.notEquals(String(term[..<range.lowerBound]), String(term[range.upperBound...])))
            } else if let range = term.range(of: "==") {
                requirements.append(.equals(String(term[..<range.lowerBound]), String(term[range.upperBound...])))
            } else if let range = term.range(of: "=") {
                requirements.append(.equals(String(term[..<range.lowerBound]), String(term[range.upperBound...])))
            } else if term.hasPrefix("!") {
                requirements.append(.notExists(String(term.dropFirst())))
            } else {
                requirements.append(.exists(term))
            }
        }
    }

    static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if character == "," && depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        return parts
    }

    static func set(_ text: Substring) throws(APIError) -> Set<String> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("("), trimmed.hasSuffix(")") else {
            throw .badRequest("unable to parse requirement: expected a parenthesised set in \"\(text)\"")
        }
        return Set(trimmed.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    func matches(_ labels: [String: Value]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): return labels[key]?.string == value
            case .notEquals(let key, let value): return labels[key]?.string != value
            case .exists(let key): return labels[key] != nil
            case .notExists(let key): return labels[key] == nil
            case .isIn(let key, let values): return labels[key]?.string.map(values.contains) ?? false
            case .notIn(let key, let values): return !(labels[key]?.string.map(values.contains) ?? false)
            }
        }
    }
}

/// A field selector (`metadata.name=web,involvedObject.uid=…`): equality and inequality on dotted paths.
struct FieldSelector: Sendable {
    var terms: [(path: String, value: String, negated: Bool)] = []

    /// Matches everything.
    static let everything = FieldSelector()

    private init() {}

    init(path: String, equals value: String) {
        terms = [(path, value, false)]
    }

    init(_ text: String?) throws(APIError) {
        guard let text, !text.isEmpty else { return }
        for part in text.split(separator: ",") {
            let term = String(part)
            if let range = term.range(of: "!=") {
                terms.append((String(term[..<range.lowerBound]), String(term[range.upperBound...]), true))
            } else if let range = term.range(of: "==") ?? term.range(of: "=") {
                terms.append((String(term[..<range.lowerBound]), String(term[range.upperBound...]), false))
            } else {
                throw .badRequest("invalid field selector \"\(term)\": expected field=value")
            }
        }
    }

    /// Name-only selectors let a single-object watch skip everything else.
    var name: String? { terms.first { $0.path == "metadata.name" && !$0.negated }?.value }

    func matches(_ object: Value) -> Bool {
        terms.allSatisfy { term in
            let actual = object.lookup(term.path)?.scalarText ?? ""
            return term.negated ? actual != term.value : actual == term.value
        }
    }
}
