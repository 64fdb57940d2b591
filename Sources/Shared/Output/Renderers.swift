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
            for item in items where !item.inSync || !["Up", "NotChecked"].contains(item.health) {
                text += "\n\n\(item.namespace)/\(item.service):"
                for problem in item.problems { text += "\n  - \(problem)" }
                if item.health != "Up", let log = item.healthLog { text += "\n  health \(item.health): \(log)" }
                if let advice = item.advice { text += "\n  what to check: \(advice)" }
            }
            return text
        }
    }

    /// One gateway's changes as JSON entries: what changes, with the entry before and after.
    static func changeEntries(_ changes: [GatewayChange], before: GatewayDocument, after: GatewayDocument) -> [JSON] {
        changes.map { change in
            var entry = JSONObject()
            entry["change"] = .string(change.kind.rawValue)
            entry["collection"] = .string(change.collection.rawValue)
            entry["name"] = .string(change.name)
            entry["before"] = before.item(change.collection, named: change.name) ?? .null
            entry["after"] = after.item(change.collection, named: change.name) ?? .null
            return .object(entry)
        }
    }

    /// A readable diff of one gateway update: `+`, `~` and `-` lines with the entries' properties.
    static func changeLines(_ changes: [GatewayChange], before: GatewayDocument, after: GatewayDocument) -> [String] {
        guard !changes.isEmpty else { return ["Gateway \(before.name): unchanged"] }
        var lines = ["Gateway \(before.name): one update"]
        for change in changes {
            lines.append("  \(change.description)")
            if let old = before.item(change.collection, named: change.name), change.kind != .added {
                lines.append("      before: \(old["properties"]?.serialized() ?? "{}")")
            }
            if let new = after.item(change.collection, named: change.name) {
                lines.append("      after:  \(new["properties"]?.serialized() ?? "{}")")
            }
        }
        return lines
    }

    /// The Service merge patches of a dry run, indented.
    static func patchLines(_ patches: [(service: String, patch: JSON)]) -> [String] {
        patches.flatMap { patch in
            [
                "Service \(patch.service): merge patch",
                patch.patch.prettyPrinted().split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"),
            ]
        }
    }

    static func patchEntries(_ patches: [(service: String, patch: JSON)]) -> [JSON] {
        patches.map { ["service": .string($0.service), "mergePatch": $0.patch] }
    }

    /// `--dry-run`: the Service patches and a readable diff of the gateway.
    public static func preview(_ preview: ExposeExecutor.Preview, format: OutputFormat) -> String {
        let document: JSON = [
            "dryRun": true, "servicePatches": .array(patchEntries(preview.servicePatches)),
            "gatewayChanges": .array(changeEntries(preview.gatewayChanges, before: preview.gatewayBefore, after: preview.gatewayAfter)),
        ]
        switch format {
        case .json: return document.prettyPrinted()
        case .yaml: return yaml(document)
        case .table, .wide:
            var lines = patchLines(preview.servicePatches)
            lines += changeLines(preview.gatewayChanges, before: preview.gatewayBefore, after: preview.gatewayAfter)
            for route in preview.routes {
                let rule = route.rule.map { "rule \($0)" + (route.priority.map { " (priority \($0))" } ?? "") } ?? "pool \(route.pool)"
                lines.append(
                    "Route: \(listener(route)) -> \(rule) -> pool \(route.pool) -> \(route.namespace)/\(route.service):\(route.port)")
            }
            lines.append("Dry run: nothing was written.")
            return lines.joined(separator: "\n")
        }
    }

    /// `unexpose --dry-run`: the Service patches and each gateway's diff.
    public static func unexposePreview(_ preview: UnexposeExecutor.Preview, format: OutputFormat) -> String {
        let gateways: [JSON] = preview.gateways.map { step in
            var entry = JSONObject()
            entry["gateway"] = .string(step.gatewayID)
            entry["exists"] = .bool(step.before != nil)
            if let before = step.before, let plan = step.plan {
                entry["changes"] = .array(changeEntries(plan.changes, before: before, after: plan.document))
            } else {
                entry["changes"] = .array([])
            }
            return .object(entry)
        }
        let document: JSON = ["dryRun": true, "servicePatches": .array(patchEntries(preview.servicePatches)), "gateways": .array(gateways)]
        switch format {
        case .json: return document.prettyPrinted()
        case .yaml: return yaml(document)
        case .table, .wide:
            var lines = patchLines(preview.servicePatches)
            for step in preview.gateways {
                guard let before = step.before, let plan = step.plan else {
                    lines.append("Gateway \(step.gatewayID): no longer exists; nothing to remove from it")
                    continue
                }
                lines += changeLines(plan.changes, before: before, after: plan.document)
            }
            if preview.servicePatches.isEmpty && preview.gateways.isEmpty { lines.append("Nothing is exposed by kubectl-agw here.") }
            lines.append("Dry run: nothing was written.")
            return lines.joined(separator: "\n")
        }
    }

    public static func unexpose(_ result: UnexposeResult, format: OutputFormat) -> String {
        switch format {
        case .json: return result.json.prettyPrinted()
        case .yaml: return yaml(result.json)
        case .table, .wide:
            var headers = ["NAMESPACE", "SERVICE", "GATEWAY", "REMOVED", "RESTORED", "RESULT"]
            if format == .wide { headers += ["ENTRIES"] }
            let rows = result.items.map { item -> [String] in
                var row = [
                    item.namespace, item.service, item.gateway.map { (try? ResourceID(parsing: $0).name) ?? $0 } ?? "<none>",
                    String(item.removed.count), String(item.restored.count), item.outcome.rawValue,
                ]
                if format == .wide {
                    row.append((item.removed.map { "-" + $0 } + item.restored.map { "~" + $0 }).joined(separator: ","))
                }
                return row
            }
            var text = table(headers, rows)
            for item in result.items {
                if let note = item.note { text += "\n\n\(item.namespace)/\(item.service): \(note)" }
            }
            return text
        }
    }
}
