import Foundation

/// The three patch types the API server accepts for built-in types.
enum Patches {
    /// RFC 7386 JSON merge patch: objects merge, `null` deletes, everything else replaces.
    static func merge(_ target: Value, _ patch: Value) -> Value {
        guard case .object(let patchMembers) = patch else { return patch }
        var result = target.object ?? [:]
        for (key, value) in patchMembers {
            if value == .null {
                result[key] = nil
            } else {
                result[key] = merge(result[key] ?? .null, value)
            }
        }
        return .object(result)
    }

    /// Merge keys of the lists strategic merge patch merges by element instead of replacing
    /// (the `patchMergeKey` tags of core/v1 types that kubectl users touch).
    static let mergeKeys: [String: String] = [
        "ports": "port", "containers": "name", "initContainers": "name", "env": "name", "volumes": "name",
        "volumeMounts": "mountPath", "ownerReferences": "uid", "conditions": "type", "ingress": "ip", "imagePullSecrets": "name",
    ]

    /// Strategic merge patch: like a merge patch, but lists with a merge key merge element by element,
    /// `$patch: delete` removes an element, `$patch: replace` replaces a map, and `finalizers` merge as sets.
    static func strategic(_ target: Value, _ patch: Value, field: String? = nil) throws(APIError) -> Value {
        guard case .object(var patchMembers) = patch else { return patch }
        if patchMembers["$patch"]?.string == "replace" {
            patchMembers["$patch"] = nil
            return .object(patchMembers)
        }
        patchMembers["$retainKeys"] = nil
        var result = target.object ?? [:]
        for (key, value) in patchMembers {
            if key.hasPrefix("$setElementOrder/") || key.hasPrefix("$deleteFromPrimitiveList/") {
                if key.hasPrefix("$deleteFromPrimitiveList/") {
                    let list = String(key.dropFirst("$deleteFromPrimitiveList/".count))
                    let removed = Set((value.array ?? []).compactMap(\.scalarText))
                    result[list] = .array((result[list]?.array ?? []).filter { !removed.contains($0.scalarText ?? "") })
                }
                continue
            }
            if value == .null {
                result[key] = nil
            } else if case .array(let patchItems) = value, let mergeKey = mergeKeys[key], case .array(let items)? = result[key] {
                result[key] = .array(try mergeList(items, patchItems, key: mergeKey))
            } else if key == "finalizers", case .array(let patchItems) = value, case .array(let items)? = result[key] {
                var merged = items
                for item in patchItems where !merged.contains(item) { merged.append(item) }
                result[key] = .array(merged)
            } else if case .object = value {
                result[key] = try strategic(result[key] ?? .object([:]), value, field: key)
            } else {
                result[key] = value
            }
        }
        return .object(result)
    }

    private static func mergeList(_ items: [Value], _ patchItems: [Value], key: String) throws(APIError) -> [Value] {
        var result = items
        for patchItem in patchItems {
            guard let identity = patchItem[key] else {
                throw .badRequest("strategic merge patch: list element without merge key \"\(key)\"")
            }
            let index = result.firstIndex { $0[key] == identity }
            if patchItem["$patch"]?.string == "delete" {
                if let index { result.remove(at: index) }
            } else if let index {
                result[index] = try strategic(result[index], patchItem)
            } else {
                result.append(try strategic(.object([:]), patchItem))
            }
        }
        return result
    }

    /// RFC 6902 JSON patch.
    static func json(_ target: Value, _ patch: Value) throws(APIError) -> Value {
        guard case .array(let operations) = patch else { throw .badRequest("json patch must be a list of operations") }
        var document = target
        for operation in operations {
            guard let op = operation["op"]?.string, let path = operation["path"]?.string else {
                throw .badRequest("json patch operation needs \"op\" and \"path\"")
            }
            let pointer = try parsePointer(path)
            switch op {
            case "add": document = try apply(document, pointer, .add(operation["value"] ?? .null))
            case "remove": document = try apply(document, pointer, .remove)
            case "replace":
                _ = try read(document, pointer)
                document = try apply(document, pointer, .replace(operation["value"] ?? .null))
            case "test":
                guard try read(document, pointer) == (operation["value"] ?? .null) else {
                    throw APIError(
                        code: 422, reason: "Invalid",
                        message: "the server rejected our request due to an error in our request: testing value \(path) failed")
                }
            case "move", "copy":
                guard let from = operation["from"]?.string else { throw .badRequest("json patch \(op) needs \"from\"") }
                let fromPointer = try parsePointer(from)
                let value = try read(document, fromPointer)
                if op == "move" { document = try apply(document, fromPointer, .remove) }
                document = try apply(document, pointer, .add(value))
            default:
                throw .badRequest("unexpected json patch operation \"\(op)\"")
            }
        }
        return document
    }

    private enum Edit {
        case add(Value)
        case replace(Value)
        case remove
    }

    static func parsePointer(_ path: String) throws(APIError) -> [String] {
        guard path.isEmpty || path.hasPrefix("/") else { throw .badRequest("invalid JSON pointer \"\(path)\"") }
        return path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func read(_ document: Value, _ pointer: [String]) throws(APIError) -> Value {
        var current = document
        for token in pointer {
            switch current {
            case .object(let members):
                guard let next = members[token] else {
                    throw .badRequest("json patch: path /\(pointer.joined(separator: "/")) does not exist")
                }
                current = next
            case .array(let items):
                guard let index = Int(token), items.indices.contains(index) else {
                    throw .badRequest("json patch: index \(token) is out of range")
                }
                current = items[index]
            default:
                throw .badRequest("json patch: path /\(pointer.joined(separator: "/")) does not exist")
            }
        }
        return current
    }

    private static func apply(_ document: Value, _ pointer: [String], _ edit: Edit) throws(APIError) -> Value {
        guard let token = pointer.first else {
            switch edit {
            case .add(let value), .replace(let value): return value
            case .remove: return .null
            }
        }
        let rest = Array(pointer.dropFirst())
        switch document {
        case .object(var members):
            if rest.isEmpty {
                switch edit {
                case .add(let value), .replace(let value): members[token] = value
                case .remove:
                    guard members[token] != nil else { throw .badRequest("json patch: cannot remove missing member \"\(token)\"") }
                    members[token] = nil
                }
            } else {
                guard let child = members[token] else { throw .badRequest("json patch: missing path segment \"\(token)\"") }
                members[token] = try apply(child, rest, edit)
            }
            return .object(members)
        case .array(var items):
            if rest.isEmpty {
                switch edit {
                case .add(let value):
                    if token == "-" {
                        items.append(value)
                    } else {
                        guard let index = Int(token), index >= 0, index <= items.count else {
                            throw .badRequest("json patch: bad index \(token)")
                        }
                        items.insert(value, at: index)
                    }
                case .replace(let value):
                    guard let index = Int(token), items.indices.contains(index) else { throw .badRequest("json patch: bad index \(token)") }
                    items[index] = value
                case .remove:
                    guard let index = Int(token), items.indices.contains(index) else { throw .badRequest("json patch: bad index \(token)") }
                    items.remove(at: index)
                }
            } else {
                guard let index = Int(token), items.indices.contains(index) else { throw .badRequest("json patch: bad index \(token)") }
                items[index] = try apply(items[index], rest, edit)
            }
            return .array(items)
        default:
            throw .badRequest("json patch: cannot descend into a scalar at \"\(token)\"")
        }
    }
}
