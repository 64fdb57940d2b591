import Foundation
import Yams

/// `-o` formats.
public enum OutputFormat: String, Sendable, CaseIterable {
    case table, wide, json, yaml
}

/// Pure renderers: values in, text out.
public enum Render {
    /// kubectl's table layout: UPPERCASE headers, columns padded by three spaces.
    public static func table(_ headers: [String], _ rows: [[String]]) -> String {
        let all = [headers] + rows
        let widths = headers.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 3, withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n")
    }

    public static func yaml(_ json: JSON) -> String {
        (try? Yams.serialize(node: node(json))) ?? json.prettyPrinted()
    }

    static func node(_ json: JSON) -> Node {
        switch json {
        case .null: return Node("null", Tag(.null))
        case .bool(let value): return Node(value ? "true" : "false", Tag(.bool))
        case .number(let text): return Node(text, Tag(text.contains(".") || text.contains("e") ? .float : .int))
        case .string(let text): return Node(text, Tag(.str), .doubleQuoted)
        case .array(let items): return Node(items.map(node))
        case .object(let object): return Node(object.members.map { (Node($0.key), node($0.value)) })
        }
    }

    /// The listener as one cell: `public:80 web.example.com/web`.
    static func listener(_ route: ExposedRoute) -> String {
        var text = "\(route.frontend.rawValue):\(route.frontendPort)"
        if let host = route.hostName { text += " " + host }
        if let path = route.path { text += (route.hostName == nil ? " " : "") + path + "/*" }
        return text
    }

    public static func expose(_ result: ExposeResult, format: OutputFormat) -> String {
        switch format {
        case .json: return result.json.prettyPrinted()
        case .yaml: return yaml(result.json)
        case .table, .wide:
            var headers = ["NAMESPACE", "SERVICE", "IP", "GATEWAY", "LISTENER", "HEALTH", "CHANGED"]
            if format == .wide { headers += ["POOL", "RULE", "PRIORITY", "PROBE"] }
            let rows = result.items.map { item -> [String] in
                var row = [
                    item.namespace, item.service, item.ip, (try? ResourceID(parsing: item.gateway).name) ?? item.gateway,
                    listener(item.route), item.health, item.changed ? "yes" : "unchanged",
                ]
                if format == .wide {
                    row += [
                        item.route.pool, item.route.rule ?? "<none>", item.route.priority.map(String.init) ?? "<none>",
                        item.route.probe ?? "<none>",
                    ]
                }
                return row
            }
            var text = table(headers, rows)
            for item in result.items where item.health != "Up" {
                if let log = item.healthLog { text += "\n\n\(item.namespace)/\(item.service): \(item.health): \(log)" }
                if let advice = item.advice { text += "\n  what to check: \(advice)" }
            }
            return text
        }
    }

    public static func status(_ items: [StatusItem], format: OutputFormat) -> String {
        let json: JSON = ["items": .array(items.map(\.json))]
        switch format {
        case .json: return json.prettyPrinted()
        case .yaml: return yaml(json)
        case .table, .wide:
            guard !items.isEmpty else { return "No exposed Services found." }
            var headers = ["NAMESPACE", "SERVICE", "IP", "GATEWAY", "LISTENER", "HEALTH", "SYNC"]
            if format == .wide { headers += ["POOL", "RULE", "PRIORITY", "PROBE"] }
            let rows = items.map { item -> [String] in
                var row = [
                    item.namespace, item.service, item.ip ?? "<none>", (try? ResourceID(parsing: item.gateway).name) ?? item.gateway,
                    item.listener,
                    item.health, item.inSync ? "InSync" : "Drifted",
                ]
                if format == .wide {
                    row += [
                        item.pool ?? "<none>", item.rule ?? "<none>", item.priority.map(String.init) ?? "<none>", item.probe ?? "<none>",
                    ]
                }
                return row
            }
            var text = table(headers, rows)
            for item in items where !item.inSync || item.health != "Up" {
                text += "\n\n\(item.namespace)/\(item.service):"
                for problem in item.problems { text += "\n  - \(problem)" }
                if item.health != "Up", let log = item.healthLog { text += "\n  health \(item.health): \(log)" }
                if let advice = item.advice { text += "\n  what to check: \(advice)" }
            }
            return text
        }
    }

    /// `--dry-run`: the Service patches and a readable diff of the gateway.
    public static func preview(_ preview: ExposeExecutor.Preview, format: OutputFormat) -> String {
        var entries: [JSON] = []
        for change in preview.gatewayChanges {
            var entry = JSONObject()
            entry["change"] = .string(change.kind.rawValue)
            entry["collection"] = .string(change.collection.rawValue)
            entry["name"] = .string(change.name)
            entry["before"] = preview.gatewayBefore.item(change.collection, named: change.name) ?? .null
            entry["after"] = preview.gatewayAfter.item(change.collection, named: change.name) ?? .null
            entries.append(.object(entry))
        }
        let patches: [JSON] = preview.servicePatches.map { ["service": .string($0.service), "mergePatch": $0.patch] }
        let document: JSON = ["dryRun": true, "servicePatches": .array(patches), "gatewayChanges": .array(entries)]
        switch format {
        case .json: return document.prettyPrinted()
        case .yaml: return yaml(document)
        case .table, .wide:
            var lines: [String] = []
            for patch in preview.servicePatches {
                lines.append("Service \(patch.service): merge patch")
                lines.append(patch.patch.prettyPrinted().split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            }
            if preview.gatewayChanges.isEmpty {
                lines.append("Gateway \(preview.gatewayBefore.name): unchanged")
            } else {
                lines.append("Gateway \(preview.gatewayBefore.name): one update")
                for change in preview.gatewayChanges {
                    lines.append("  \(change.description)")
                    if let before = preview.gatewayBefore.item(change.collection, named: change.name), change.kind == .changed {
                        lines.append("      before: \(before["properties"]?.serialized() ?? "{}")")
                    }
                    if let after = preview.gatewayAfter.item(change.collection, named: change.name) {
                        lines.append("      after:  \(after["properties"]?.serialized() ?? "{}")")
                    }
                }
            }
            for route in preview.routes {
                let rule = route.rule.map { "rule \($0)" + (route.priority.map { " (priority \($0))" } ?? "") } ?? "pool \(route.pool)"
                lines.append(
                    "Route: \(listener(route)) -> \(rule) -> pool \(route.pool) -> \(route.namespace)/\(route.service):\(route.port)")
            }
            lines.append("Dry run: nothing was written.")
            return lines.joined(separator: "\n")
        }
    }
}
