import Foundation

/// Plans the gateway side of an expose: pure, no I/O. Given the gateway as read and the targets, it returns
/// the gateway as it should be after one PUT, which entries change, and what each target gets.
public struct GatewayPlanner: Sendable {
    public let naming: ResourceNaming

    /// Rule priorities 19000-20000 belong to the ingress controller.
    static let highestPriority = 18999
    static let limits: [(GatewayDocument.Collection, Int)] = [
        (.backendAddressPools, 100), (.backendHttpSettingsCollection, 100), (.httpListeners, 100), (.frontendPorts, 100),
        (.requestRoutingRules, 400), (.probes, 100),
    ]

    public init(naming: ResourceNaming) { self.naming = naming }

    public func plan(_ gateway: GatewayDocument, targets: [ExposeTarget], settings: ExposeSettings) throws(PlanError) -> GatewayPlan {
        try preflight(gateway, force: settings.force)
        var work = Work(original: gateway, document: gateway)
        if let pool = settings.backendPool {
            return try planManual(&work, targets: targets, pool: pool, settings: settings)
        }
        let frontend = try chooseFrontend(gateway, settings.frontend)
        let frontendPort = work.frontendPort(settings.frontendPort, naming: naming)
        let withPath = targets.filter { $0.path != nil }
        guard withPath.isEmpty || withPath.count == targets.count else { throw .mixedRouting }
        var routes: [ExposedRoute] = []
        if withPath.isEmpty {
            let plain = targets.filter { $0.hostName == nil }
            if plain.count > 1 {
                throw .samePortWithoutRoutes(port: settings.frontendPort, services: plain.map { "\($0.namespace)/\($0.service)" })
            }
            for target in targets {
                routes.append(try planSingle(&work, target, frontend: frontend, port: frontendPort, settings: settings))
            }
        } else {
            let byHost = Dictionary(grouping: targets) { $0.hostName ?? "" }
            for host in byHost.keys.sorted() {
                let group = (byHost[host] ?? []).sorted { ($0.namespace, $0.service, $0.port) < ($1.namespace, $1.service, $1.port) }
                routes += try planShared(
                    &work, group, host: host.isEmpty ? nil : host, frontend: frontend, port: frontendPort, settings: settings)
            }
        }
        try checkLimits(work.document)
        // Shared listeners plan their Services in name order; callers pair routes with their targets by position.
        let ordered = targets.compactMap { target in
            routes.first { $0.namespace == target.namespace && $0.service == target.service && $0.port == target.port }
        }
        return GatewayPlan(document: work.document, changes: work.changes, routes: ordered)
    }

    // MARK: Checks

    func preflight(_ gateway: GatewayDocument, force: Bool) throws(PlanError) {
        let tier = gateway.skuTier ?? gateway.skuName ?? "unknown"
        guard ["Standard_v2", "WAF_v2", "Basic"].contains(tier) else { throw .notV2(gateway: gateway.name, sku: tier) }
        let operational = gateway.operationalState ?? "Unknown"
        let provisioning = gateway.provisioningState ?? "Unknown"
        guard operational == "Running", provisioning == "Succeeded" else {
            throw .notRunning(gateway: gateway.name, operational: operational, provisioning: provisioning)
        }
        if gateway.tags.keys.contains("managed-by-k8s-ingress") && !force { throw .managedByIngressController(gateway: gateway.name) }
        let unprioritised = gateway.items(.requestRoutingRules).filter { $0.value(at: "properties", "priority")?.intValue == nil }
        if !unprioritised.isEmpty {
            throw .rulesWithoutPriority(gateway: gateway.name, rules: unprioritised.compactMap { $0["name"]?.stringValue })
        }
    }

    func chooseFrontend(_ gateway: GatewayDocument, _ choice: FrontendChoice?) throws(PlanError) -> (kind: FrontendChoice, name: String) {
        let configurations = gateway.items(.frontendIPConfigurations)
        func kind(_ entry: JSON) -> FrontendChoice {
            entry.value(at: "properties", "publicIPAddress") != nil ? .public : .private
        }
        let wanted = choice ?? (configurations.contains { kind($0) == .public } ? .public : .private)
        guard let match = configurations.first(where: { kind($0) == wanted }), let name = match["name"]?.stringValue else {
            throw .noFrontend(
                gateway: gateway.name, wanted: wanted,
                available: configurations.map { "\($0["name"]?.stringValue ?? "?") (\(kind($0).rawValue))" })
        }
        return (wanted, name)
    }

    func checkLimits(_ document: GatewayDocument) throws(PlanError) {
        for (collection, limit) in Self.limits {
            let count = document.items(collection).count
            if count > limit { throw .limit(collection: collection.rawValue, count: count, limit: limit) }
        }
    }

    // MARK: Routing shapes

    /// One Service on its own listener (plain, or multi-site with a host name).
    func planSingle(
        _ work: inout Work, _ target: ExposeTarget, frontend: (kind: FrontendChoice, name: String), port: (name: String, number: Int),
        settings: ExposeSettings
    ) throws(PlanError) -> ExposedRoute {
        let base = naming.base(namespace: target.namespace, service: target.service, port: target.port)
        let names = (
            pool: naming.pool(base), settings: naming.settings(base), probe: naming.probe(base), listener: naming.listener(base),
            rule: naming.rule(base)
        )
        let frontendID = work.document.subresourceID(.frontendIPConfigurations, frontend.name)
        let portID = work.document.subresourceID(.frontendPorts, port.name)
        var route = ExposedRoute(
            namespace: target.namespace, service: target.service, port: target.port, address: target.address, frontend: frontend.kind,
            frontendIPConfiguration: frontend.name, frontendPort: port.number, frontendPortName: port.name, hostName: target.hostName,
            path: nil, pool: names.pool, settings: names.settings, probe: names.probe, listener: names.listener, rule: names.rule)

        // Who serves this frontend, port and host today?
        let occupant = work.document.items(.httpListeners).first { listener in
            Self.sameListenerKey(listener, frontendID: frontendID, portID: portID, hosts: target.hostName.map { [$0] } ?? [])
        }
        if let occupant, let occupantName = occupant["name"]?.stringValue, occupantName != names.listener {
            let rule = work.document.items(.requestRoutingRules).first {
                Self.sameID(
                    $0.value(at: "properties", "httpListener", "id")?.stringValue, work.document.subresourceID(.httpListeners, occupantName)
                )
            }
            if let adopted = try adopt(
                &work, target: target, names: (names.pool, names.settings, names.probe), occupant: occupantName, rule: rule)
            {
                route.adopted = adopted
                route.pool = adopted.pool
                route.listener = occupantName
                route.rule = adopted.rule
                route.priority = rule?.value(at: "properties", "priority")?.intValue
                return route
            }
            if let host = target.hostName { throw .listenerTaken(listener: occupantName, host: host, port: port.number) }
            throw .portInUse(port: port.number, frontend: frontend.name, listener: occupantName, rule: rule?["name"]?.stringValue)
        }

        work.upsert(.probes, probe(work.document, names.probe, target))
        work.upsert(.backendHttpSettingsCollection, httpSettings(work.document, names.settings, probe: names.probe, target))
        work.upsert(.backendAddressPools, pool(names.pool, addresses: [target.address]))
        work.upsert(
            .httpListeners, listener(names.listener, frontendID: frontendID, portID: portID, hosts: target.hostName.map { [$0] } ?? []))
        let priority = try choosePriority(work.document, rule: names.rule, requested: settings.priority)
        route.priority = priority
        work.upsert(
            .requestRoutingRules,
            [
                "name": .string(names.rule),
                "properties": [
                    "ruleType": "Basic", "priority": .int(priority),
                    "httpListener": ["id": .string(work.document.subresourceID(.httpListeners, names.listener))],
                    "backendAddressPool": ["id": .string(work.document.subresourceID(.backendAddressPools, names.pool))],
                    "backendHttpSettings": ["id": .string(work.document.subresourceID(.backendHttpSettingsCollection, names.settings))],
                ],
            ])
        return route
    }

    /// Several Services behind one listener, routed by URL path.
    func planShared(
        _ work: inout Work, _ targets: [ExposeTarget], host: String?, frontend: (kind: FrontendChoice, name: String),
        port: (name: String, number: Int), settings: ExposeSettings
    ) throws(PlanError) -> [ExposedRoute] {
        let shared = naming.sharedBase(frontendPort: port.number, host: host)
        let listenerName = naming.sharedListener(shared)
        let mapName = naming.sharedPathMap(shared)
        let ruleName = naming.sharedRule(shared)
        let frontendID = work.document.subresourceID(.frontendIPConfigurations, frontend.name)
        let portID = work.document.subresourceID(.frontendPorts, port.name)
        if let occupant = work.document.items(.httpListeners).first(where: {
            Self.sameListenerKey($0, frontendID: frontendID, portID: portID, hosts: host.map { [$0] } ?? [])
        }), let occupantName = occupant["name"]?.stringValue, occupantName != listenerName {
            if let host { throw .listenerTaken(listener: occupantName, host: host, port: port.number) }
            throw .portInUse(port: port.number, frontend: frontend.name, listener: occupantName, rule: nil)
        }
        // Path rules already in the tool's map for other Services stay; ours are replaced.
        let existingMap = work.document.item(.urlPathMaps, named: mapName)
        var pathRules = existingMap?.value(at: "properties", "pathRules")?.arrayValue ?? []
        var routes: [ExposedRoute] = []
        for target in targets {
            let base = naming.base(namespace: target.namespace, service: target.service, port: target.port)
            let names = (pool: naming.pool(base), settings: naming.settings(base), probe: naming.probe(base), path: naming.pathRule(base))
            work.upsert(.probes, probe(work.document, names.probe, target))
            work.upsert(.backendHttpSettingsCollection, httpSettings(work.document, names.settings, probe: names.probe, target))
            work.upsert(.backendAddressPools, pool(names.pool, addresses: [target.address]))
            let prefix = Self.normalizedPath(target.path ?? "/")
            let entry: JSON = [
                "name": .string(names.path),
                "properties": [
                    "paths": [.string(prefix), .string(prefix + "/*")],
                    "backendAddressPool": ["id": .string(work.document.subresourceID(.backendAddressPools, names.pool))],
                    "backendHttpSettings": ["id": .string(work.document.subresourceID(.backendHttpSettingsCollection, names.settings))],
                ],
            ]
            if let index = pathRules.firstIndex(where: { $0["name"]?.stringValue == names.path }) {
                pathRules[index] = Self.merged(existing: pathRules[index], desired: entry)
            } else {
                pathRules.append(entry)
            }
            routes.append(
                ExposedRoute(
                    namespace: target.namespace, service: target.service, port: target.port, address: target.address,
                    frontend: frontend.kind,
                    frontendIPConfiguration: frontend.name, frontendPort: port.number, frontendPortName: port.name, hostName: host,
                    path: prefix,
                    pool: names.pool, settings: names.settings, probe: names.probe, listener: listenerName, rule: ruleName,
                    pathMap: mapName,
                    pathRule: names.path))
        }
        // The map's default backend: the first Service in name order, so requests outside every path still land somewhere owned.
        let defaultTarget = targets[0]
        let defaultBase = naming.base(namespace: defaultTarget.namespace, service: defaultTarget.service, port: defaultTarget.port)
        let defaultPool =
            existingMap?.value(at: "properties", "defaultBackendAddressPool")
            ?? ["id": .string(work.document.subresourceID(.backendAddressPools, naming.pool(defaultBase)))]
        let defaultSettings =
            existingMap?.value(at: "properties", "defaultBackendHttpSettings")
            ?? ["id": .string(work.document.subresourceID(.backendHttpSettingsCollection, naming.settings(defaultBase)))]
        work.upsert(
            .urlPathMaps,
            [
                "name": .string(mapName),
                "properties": [
                    "defaultBackendAddressPool": defaultPool, "defaultBackendHttpSettings": defaultSettings, "pathRules": .array(pathRules),
                ],
            ])
        work.upsert(.httpListeners, listener(listenerName, frontendID: frontendID, portID: portID, hosts: host.map { [$0] } ?? []))
        let priority = try choosePriority(work.document, rule: ruleName, requested: settings.priority)
        work.upsert(
            .requestRoutingRules,
            [
                "name": .string(ruleName),
                "properties": [
                    "ruleType": "PathBasedRouting", "priority": .int(priority),
                    "httpListener": ["id": .string(work.document.subresourceID(.httpListeners, listenerName))],
                    "urlPathMap": ["id": .string(work.document.subresourceID(.urlPathMaps, mapName))],
                ],
            ])
        return routes.map { route in
            var route = route
            route.priority = priority
            return route
        }
    }

    /// `--backend-pool`: only add the address to an existing pool.
    func planManual(_ work: inout Work, targets: [ExposeTarget], pool name: String, settings: ExposeSettings) throws(PlanError)
        -> GatewayPlan
    {
        guard var pool = work.document.item(.backendAddressPools, named: name) else {
            throw .backendPoolMissing(
                pool: name, available: work.document.items(.backendAddressPools).compactMap { $0["name"]?.stringValue })
        }
        var addresses = pool.value(at: "properties", "backendAddresses")?.arrayValue ?? []
        for target in targets where !addresses.contains(where: { $0["ipAddress"]?.stringValue == target.address }) {
            addresses.append(["ipAddress": .string(target.address)])
        }
        if pool["properties"] == nil { pool["properties"] = [:] }
        pool["properties"]?["backendAddresses"] = .array(addresses)
        work.upsert(.backendAddressPools, pool)
        let routes = targets.map { target in
            ExposedRoute(
                namespace: target.namespace, service: target.service, port: target.port, address: target.address, frontend: .public,
                frontendIPConfiguration: "", frontendPort: settings.frontendPort, frontendPortName: "", hostName: nil, path: nil, pool: name
            )
        }
        return GatewayPlan(document: work.document, changes: work.changes, routes: routes)
    }

    /// Takes over a portal-default route: a foreign listener without a host whose rule sends traffic to a pool
    /// with no targets. The pool gets the address, the rule gets our settings (and probe); both are recorded.
    func adopt(
        _ work: inout Work, target: ExposeTarget, names: (pool: String, settings: String, probe: String), occupant: String, rule: JSON?
    )
        throws(PlanError) -> AdoptedRoute?
    {
        guard target.hostName == nil, var rule, let ruleName = rule["name"]?.stringValue,
            rule.value(at: "properties", "ruleType")?.stringValue == "Basic",
            let poolID = rule.value(at: "properties", "backendAddressPool", "id")?.stringValue,
            let poolName = poolID.split(separator: "/").last.map(String.init),
            var pool = work.document.item(.backendAddressPools, named: poolName)
        else { return nil }
        let addresses = pool.value(at: "properties", "backendAddresses") ?? .array([])
        let ourSettingsID = work.document.subresourceID(.backendHttpSettingsCollection, names.settings)
        let alreadyOurs = Self.sameID(rule.value(at: "properties", "backendHttpSettings", "id")?.stringValue, ourSettingsID)
        let isEmpty = (addresses.arrayValue ?? []).isEmpty
        let holdsOnlyUs = (addresses.arrayValue ?? []).allSatisfy { $0["ipAddress"]?.stringValue != nil } && alreadyOurs
        guard isEmpty || holdsOnlyUs else { return nil }
        let originalSettings = rule.value(at: "properties", "backendHttpSettings", "id")?.stringValue ?? ""
        work.upsert(.probes, probe(work.document, names.probe, target))
        work.upsert(.backendHttpSettingsCollection, httpSettings(work.document, names.settings, probe: names.probe, target))
        if pool["properties"] == nil { pool["properties"] = [:] }
        pool["properties"]?["backendAddresses"] = [["ipAddress": .string(target.address)]]
        work.upsert(.backendAddressPools, pool)
        rule["properties"]?["backendHttpSettings"] = ["id": .string(ourSettingsID)]
        work.upsert(.requestRoutingRules, rule)
        return AdoptedRoute(
            rule: ruleName, pool: poolName, originalSettingsID: alreadyOurs ? "" : originalSettings,
            originalAddresses: alreadyOurs ? .array([]) : addresses)
    }

    // MARK: Entries

    func probe(_ document: GatewayDocument, _ name: String, _ target: ExposeTarget) -> JSON {
        [
            "name": .string(name),
            "properties": [
                "protocol": "Http", "host": .string(target.hostName ?? target.address), "path": .string(target.probePath),
                "interval": 30, "timeout": 30, "unhealthyThreshold": 3, "pickHostNameFromBackendHttpSettings": false,
                "minServers": 0, "match": ["statusCodes": ["200-399"]],
            ],
        ]
    }

    func httpSettings(_ document: GatewayDocument, _ name: String, probe: String, _ target: ExposeTarget) -> JSON {
        [
            "name": .string(name),
            "properties": [
                "port": .int(target.port), "protocol": "Http", "cookieBasedAffinity": "Disabled", "requestTimeout": 30,
                "pickHostNameFromBackendAddress": false, "probe": ["id": .string(document.subresourceID(.probes, probe))],
            ],
        ]
    }

    func pool(_ name: String, addresses: [String]) -> JSON {
        ["name": .string(name), "properties": ["backendAddresses": .array(addresses.map { ["ipAddress": .string($0)] })]]
    }

    func listener(_ name: String, frontendID: String, portID: String, hosts: [String]) -> JSON {
        var properties: JSONObject = JSONObject([
            ("frontendIPConfiguration", ["id": .string(frontendID)]), ("frontendPort", ["id": .string(portID)]), ("protocol", "Http"),
        ])
        if !hosts.isEmpty {
            properties["hostNames"] = .array(hosts.map { .string($0) })
            properties["requireServerNameIndication"] = false
        }
        return ["name": .string(name), "properties": .object(properties)]
    }

    /// The rule's existing priority, else `--priority` if free, else the lowest free one.
    func choosePriority(_ document: GatewayDocument, rule: String, requested: Int?) throws(PlanError) -> Int {
        let others = document.items(.requestRoutingRules).filter { $0["name"]?.stringValue != rule }
        let used = Dictionary(
            others.compactMap { entry -> (Int, String)? in
                guard let priority = entry.value(at: "properties", "priority")?.intValue else { return nil }
                return (priority, entry["name"]?.stringValue ?? "")
            }, uniquingKeysWith: { first, _ in first })
        if let requested {
            guard (1...Self.highestPriority).contains(requested) else { throw .priorityOutOfRange(requested) }
            if let owner = used[requested] { throw .priorityTaken(priority: requested, rule: owner) }
            return requested
        }
        if let current = document.item(.requestRoutingRules, named: rule)?.value(at: "properties", "priority")?.intValue,
            used[current] == nil
        {
            return current
        }
        guard let free = (1...Self.highestPriority).first(where: { used[$0] == nil }) else { throw .noFreePriority }
        return free
    }

    // MARK: Helpers

    static func sameID(_ lhs: String?, _ rhs: String?) -> Bool {
        guard let lhs, let rhs else { return false }
        return lhs.caseInsensitiveCompare(rhs) == .orderedSame
    }

    static func sameListenerKey(_ listener: JSON, frontendID: String, portID: String, hosts: [String]) -> Bool {
        guard sameID(listener.value(at: "properties", "frontendIPConfiguration", "id")?.stringValue, frontendID),
            sameID(listener.value(at: "properties", "frontendPort", "id")?.stringValue, portID)
        else { return false }
        var existing = (listener.value(at: "properties", "hostNames")?.arrayValue ?? []).compactMap(\.stringValue)
        if let host = listener.value(at: "properties", "hostName")?.stringValue, !host.isEmpty { existing.append(host) }
        return Set(existing.map { $0.lowercased() }) == Set(hosts.map { $0.lowercased() })
    }

    /// `/web/` and `web` both mean `/web`.
    static func normalizedPath(_ path: String) -> String {
        var trimmed = path.trimmingCharacters(in: .whitespaces)
        while trimmed.hasSuffix("/*") { trimmed.removeLast(2) }
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed.hasPrefix("/") ? trimmed : "/" + trimmed
    }

    /// The desired entry with the server's read-only fields (id, etag, type, provisioningState) kept from the existing one.
    static func merged(existing: JSON, desired: JSON) -> JSON {
        var result = desired
        for key in ["id", "etag", "type"] { if let value = existing[key] { result[key] = value } }
        if let state = existing.value(at: "properties", "provisioningState") { result["properties"]?["provisioningState"] = state }
        return result
    }

    /// The document being edited and the record of what changed.
    struct Work {
        let original: GatewayDocument
        var document: GatewayDocument
        var changes: [GatewayChange] = []

        /// Adds or replaces an entry; identical content (ignoring what the server fills in) is no change.
        mutating func upsert(_ collection: GatewayDocument.Collection, _ desired: JSON) {
            guard let name = desired["name"]?.stringValue else { return }
            let existing = document.item(collection, named: name)
            if let existing, Self.contains(Self.comparable(existing), Self.comparable(desired)) { return }
            document.upsert(collection, existing.map { GatewayPlanner.merged(existing: $0, desired: desired) } ?? desired)
            let kind: GatewayChange.Kind = original.item(collection, named: name) == nil ? .added : .changed
            changes.removeAll { $0.collection == collection && $0.name == name }
            changes.append(GatewayChange(kind: kind, collection: collection, name: name))
        }

        /// The frontend port entry with that number, created (`agw-<cluster>-port-<n>`) when the gateway has none.
        mutating func frontendPort(_ number: Int, naming: ResourceNaming) -> (name: String, number: Int) {
            if let existing = document.items(.frontendPorts).first(where: { $0.value(at: "properties", "port")?.intValue == number }),
                let name = existing["name"]?.stringValue
            {
                return (name, number)
            }
            let name = naming.frontendPort(number)
            upsert(.frontendPorts, ["name": .string(name), "properties": ["port": .int(number)]])
            return (name, number)
        }

        /// Whether `existing` already says everything `desired` says. ARM may add defaults to what it stores, so
        /// extra fields on the server's side are no difference; arrays must match element by element.
        static func contains(_ existing: JSON, _ desired: JSON) -> Bool {
            switch (existing, desired) {
            case (.object(let have), .object(let want)):
                return want.allSatisfy { member in have[member.key].map { contains($0, member.value) } ?? false }
            case (.array(let have), .array(let want)):
                return have.count == want.count && zip(have, want).allSatisfy { contains($0, $1) }
            default:
                return existing == desired
            }
        }

        /// An entry as it compares: without server-filled fields, IDs in lower case.
        static func comparable(_ entry: JSON) -> JSON {
            func clean(_ value: JSON, top: Bool) -> JSON {
                switch value {
                case .object(var object):
                    if top {
                        for key in ["id", "etag", "type"] { object[key] = nil }
                    }
                    object["provisioningState"] = nil
                    var result = JSONObject()
                    for member in object {
                        if member.key == "id", case .string(let text) = member.value {
                            result[member.key] = .string(text.lowercased())
                        } else {
                            result[member.key] = clean(member.value, top: false)
                        }
                    }
                    return .object(result)
                case .array(let items): return .array(items.map { clean($0, top: false) })
                default: return value
                }
            }
            return clean(entry, top: true)
        }
    }
}
