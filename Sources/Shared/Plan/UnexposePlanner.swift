import Foundation

/// One exposed Service to take off its gateway, as its `kubectl-agw.io/route` annotation recorded it.
public struct UnexposeTarget: Sendable, Equatable {
    public var namespace: String
    public var service: String
    public var record: RouteRecord
    /// The Service's load-balancer addresses now: what a `--backend-pool` route added to a pool it does not own.
    public var addresses: [String]

    public init(namespace: String, service: String, record: RouteRecord, addresses: [String]) {
        self.namespace = namespace
        self.service = service
        self.record = record
        self.addresses = addresses
    }
}

/// The gateway after taking the targets off, and which changes belong to which target. Equatable, so tests
/// compare whole plans.
public struct UnexposePlan: Sendable, Equatable {
    public var document: GatewayDocument
    public var changes: [GatewayChange]
    /// Per target, in the order given: the changes made for it.
    public var changesByTarget: [[GatewayChange]]

    public var isUnchanged: Bool { changes.isEmpty }
    public var edit: GatewayEdit { GatewayEdit(document: document, changes: changes) }
}

/// Why an unexpose cannot be planned; nothing has been written when one is thrown.
public enum UnexposePlanError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A foreign entry uses one the tool would remove; removing it would break that entry (ARM refuses the PUT).
    case stillReferenced(entry: String, by: String)

    public var description: String {
        switch self {
        case .stillReferenced(let entry, let owner):
            return
                "\(entry) is still used by \(owner), which kubectl-agw did not create; point \(owner) elsewhere (or delete it) first, then run the command again"
        }
    }
}

/// Plans an unexpose: pure, no I/O. Removes exactly what expose created for the targets — by the names their
/// annotations recorded, and only names of the tool's own shape (`agw-<cluster>-…`) — puts an adopted
/// portal route back as it was, and removes a frontend port the tool created once no listener uses it.
/// Everything else in the document is left exactly as it came.
public enum UnexposePlanner {
    public static func plan(_ gateway: GatewayDocument, targets: [UnexposeTarget]) throws(UnexposePlanError) -> UnexposePlan {
        var work = Work(original: gateway, document: gateway)
        var byTarget: [[GatewayChange]] = []
        for target in targets {
            let before = work.changes.count
            take(&work, target)
            byTarget.append(Array(work.changes[before...]))
        }
        // Frontend ports the tool created go once no listener uses them; the first target naming one gets the change.
        for (index, target) in targets.enumerated() {
            guard let port = target.record.frontendPort, ResourceNaming.isOwned(port),
                work.document.item(.frontendPorts, named: port) != nil
            else { continue }
            let id = work.document.subresourceID(.frontendPorts, port)
            let used = work.document.items(.httpListeners).contains {
                GatewayPlanner.sameID($0.value(at: "properties", "frontendPort", "id")?.stringValue, id)
            }
            if !used {
                work.remove(.frontendPorts, port)
                if let change = work.changes.last { byTarget[index].append(change) }
            }
        }
        try checkReferences(work)
        return UnexposePlan(document: work.document, changes: work.changes, changesByTarget: byTarget)
    }

    /// Takes one target's route off the document.
    static func take(_ work: inout Work, _ target: UnexposeTarget) {
        let record = target.record
        let document = work.document
        let ourSettingsID = record.settings.map { document.subresourceID(.backendHttpSettingsCollection, $0) }
        if let adopted = record.adopted {
            restore(&work, adopted, ourSettingsID: ourSettingsID, addresses: target.addresses)
        } else if let mapName = record.pathMap {
            takePathRule(&work, record, mapName: mapName)
        } else if record.settings == nil {
            // `--backend-pool`: only the Service's addresses were added to a pool the tool does not own.
            removeAddresses(&work, pool: record.pool, addresses: target.addresses)
        } else {
            work.removeOwned(.requestRoutingRules, record.rule)
            work.removeOwned(.httpListeners, record.listener)
        }
        work.removeOwned(.backendAddressPools, record.pool)
        work.removeOwned(.backendHttpSettingsCollection, record.settings)
        work.removeOwned(.probes, record.probe)
    }

    /// Puts a portal-default route back: the rule's original HTTP settings, the pool's original addresses
    /// (addresses someone else added since are kept). A rule someone has since pointed elsewhere is theirs.
    static func restore(_ work: inout Work, _ adopted: AdoptedRoute, ourSettingsID: String?, addresses: [String]) {
        guard var rule = work.document.item(.requestRoutingRules, named: adopted.rule),
            GatewayPlanner.sameID(rule.value(at: "properties", "backendHttpSettings", "id")?.stringValue, ourSettingsID)
        else { return }
        rule["properties"]?["backendHttpSettings"] = ["id": .string(adopted.originalSettingsID)]
        work.replace(.requestRoutingRules, rule)
        guard var pool = work.document.item(.backendAddressPools, named: adopted.pool) else { return }
        let original = adopted.originalAddresses.arrayValue ?? []
        let current = pool.value(at: "properties", "backendAddresses")?.arrayValue ?? []
        let othersAdded = current.filter { entry in
            !original.contains(entry) && !addresses.contains(entry["ipAddress"]?.stringValue ?? entry["fqdn"]?.stringValue ?? "")
        }
        if pool["properties"] == nil { pool["properties"] = [:] }
        pool["properties"]?["backendAddresses"] = .array(original + othersAdded)
        work.replace(.backendAddressPools, pool)
    }

    /// Removes the target's path rule from the shared path map; the map, its rule and listener go with the last
    /// path rule. A default backend that pointed at the removed Service moves to the first remaining one.
    static func takePathRule(_ work: inout Work, _ record: RouteRecord, mapName: String) {
        guard var map = work.document.item(.urlPathMaps, named: mapName) else {
            work.removeOwned(.requestRoutingRules, record.rule)
            work.removeOwned(.httpListeners, record.listener)
            return
        }
        let rules = map.value(at: "properties", "pathRules")?.arrayValue ?? []
        let remaining = rules.filter { $0["name"]?.stringValue != record.pathRule }
        if remaining.isEmpty && ResourceNaming.isOwned(mapName) {
            work.removeOwned(.requestRoutingRules, record.rule)
            work.removeOwned(.urlPathMaps, mapName)
            work.removeOwned(.httpListeners, record.listener)
            return
        }
        guard remaining.count != rules.count || pointsAt(map, record, work.document) else { return }
        map["properties"]?["pathRules"] = .array(remaining)
        if pointsAt(map, record, work.document), let next = remaining.first {
            map["properties"]?["defaultBackendAddressPool"] = next.value(at: "properties", "backendAddressPool") ?? .null
            map["properties"]?["defaultBackendHttpSettings"] = next.value(at: "properties", "backendHttpSettings") ?? .null
        }
        work.replace(.urlPathMaps, map)
    }

    /// Whether a path map's default backend is the record's pool.
    static func pointsAt(_ map: JSON, _ record: RouteRecord, _ document: GatewayDocument) -> Bool {
        GatewayPlanner.sameID(
            map.value(at: "properties", "defaultBackendAddressPool", "id")?.stringValue,
            document.subresourceID(.backendAddressPools, record.pool))
    }

    static func removeAddresses(_ work: inout Work, pool name: String, addresses: [String]) {
        guard var pool = work.document.item(.backendAddressPools, named: name) else { return }
        let current = pool.value(at: "properties", "backendAddresses")?.arrayValue ?? []
        let kept = current.filter { !addresses.contains($0["ipAddress"]?.stringValue ?? "") }
        guard kept.count != current.count else { return }
        pool["properties"]?["backendAddresses"] = .array(kept)
        work.replace(.backendAddressPools, pool)
    }

    /// No entry left in the document may reference one that was removed.
    static func checkReferences(_ work: Work) throws(UnexposePlanError) {
        let removed = work.changes.filter { $0.kind == .removed }
        guard !removed.isEmpty else { return }
        let removedIDs = Dictionary(
            removed.map { (work.document.subresourceID($0.collection, $0.name).lowercased(), "\($0.collection.rawValue)/\($0.name)") },
            uniquingKeysWith: { first, _ in first })
        for member in work.document.json["properties"]?.objectValue ?? JSONObject() {
            for entry in member.value.arrayValue ?? [] {
                let owner = "\(member.key)/\(entry["name"]?.stringValue ?? "?")"
                for reference in references(in: entry["properties"] ?? .null) {
                    if let gone = removedIDs[reference.lowercased()] { throw .stillReferenced(entry: gone, by: owner) }
                }
            }
        }
    }

    /// Every `id` string inside a value.
    static func references(in value: JSON) -> [String] {
        switch value {
        case .object(let object):
            return object.members.flatMap { member -> [String] in
                if member.key == "id", let text = member.value.stringValue { return [text] }
                return references(in: member.value)
            }
        case .array(let items): return items.flatMap(references(in:))
        default: return []
        }
    }

    /// The document being edited and the record of what changed.
    struct Work {
        let original: GatewayDocument
        var document: GatewayDocument
        var changes: [GatewayChange] = []

        /// Removes an entry the tool owns (by the shape of its name); foreign or absent names are left alone.
        mutating func removeOwned(_ collection: GatewayDocument.Collection, _ name: String?) {
            guard let name, ResourceNaming.isOwned(name), document.item(collection, named: name) != nil else { return }
            remove(collection, name)
        }

        mutating func remove(_ collection: GatewayDocument.Collection, _ name: String) {
            document.remove(collection, named: name)
            changes.removeAll { $0.collection == collection && $0.name == name }
            changes.append(GatewayChange(kind: .removed, collection: collection, name: name))
        }

        /// Replaces an entry in place; identical content is no change.
        mutating func replace(_ collection: GatewayDocument.Collection, _ entry: JSON) {
            guard let name = entry["name"]?.stringValue, document.item(collection, named: name) != entry else { return }
            document.upsert(collection, entry)
            if !changes.contains(where: { $0.collection == collection && $0.name == name }) {
                changes.append(GatewayChange(kind: .changed, collection: collection, name: name))
            }
        }
    }
}
