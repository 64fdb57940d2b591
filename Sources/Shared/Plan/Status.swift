import Foundation

/// One exposed Service as `kubectl agw status` reports it.
public struct StatusItem: Sendable, Equatable {
    public var namespace: String
    public var service: String
    public var ip: String?
    public var gateway: String
    public var listener: String
    public var pool: String?
    public var rule: String?
    public var priority: Int?
    public var probe: String?
    public var health: String
    public var healthLog: String?
    public var advice: String?
    public var problems: [String]
    public var gatewayState: String?

    public var inSync: Bool { problems.isEmpty }

    public var json: JSON {
        var object = JSONObject()
        object["namespace"] = .string(namespace)
        object["service"] = .string(service)
        object["ip"] = ip.map(JSON.string) ?? .null
        object["gateway"] = .string(gateway)
        object["listener"] = .string(listener)
        object["pool"] = pool.map(JSON.string) ?? .null
        object["rule"] = rule.map(JSON.string) ?? .null
        object["priority"] = priority.map(JSON.int) ?? .null
        object["probe"] = probe.map(JSON.string) ?? .null
        object["health"] = .string(health)
        object["healthProbeLog"] = healthLog.map(JSON.string) ?? .null
        object["advice"] = advice.map(JSON.string) ?? .null
        object["inSync"] = .bool(inSync)
        object["problems"] = .array(problems.map(JSON.string))
        object["gatewayState"] = gatewayState.map(JSON.string) ?? .null
        return .object(object)
    }
}

/// Judges one exposed Service against its gateway: pure.
public enum StatusJudge {
    /// Health per (pool, settings) pair from a `backendhealth` answer, by server address.
    public typealias HealthIndex = [String: [(address: String, health: String, log: String?)]]

    public static func index(_ backendHealth: JSON?) -> HealthIndex {
        var index: HealthIndex = [:]
        for pool in backendHealth?["backendAddressPools"]?.arrayValue ?? [] {
            let poolID = pool.value(at: "backendAddressPool", "id")?.stringValue?.lowercased() ?? ""
            for settings in pool["backendHttpSettingsCollection"]?.arrayValue ?? [] {
                let settingsID = settings.value(at: "backendHttpSettings", "id")?.stringValue?.lowercased() ?? ""
                index[poolID + "|" + settingsID] = (settings["servers"]?.arrayValue ?? []).map {
                    ($0["address"]?.stringValue ?? "", $0["health"]?.stringValue ?? "Unknown", $0["healthProbeLog"]?.stringValue)
                }
            }
        }
        return index
    }

    public static func judge(_ service: Service, gateway: GatewayDocument?, gatewayID: String, health: HealthIndex?) -> StatusItem {
        let record = RouteRecord(service.annotations[ServiceAnnotations.route])
        let privateIP = service.ingressIPs.first(where: PrivateAddress.isPrivate)
        let repair = "kubectl agw expose svc/\(service.name) -n \(service.namespace) --gateway \(gatewayID)"
        var problems: [String] = []
        var item = StatusItem(
            namespace: service.namespace, service: service.name, ip: privateIP, gateway: gatewayID, listener: "<unknown>",
            pool: record?.pool,
            rule: record?.rule, priority: nil, probe: record?.probe, health: "Unknown", healthLog: nil, advice: nil, problems: [],
            gatewayState: nil)

        if service.annotations[ServiceAnnotations.internalLoadBalancer] != "true" {
            problems.append(
                "the Service lost its internal annotation (\(ServiceAnnotations.internalLoadBalancer): \"true\"), so Azure may give it a public IP; run '\(repair)'"
            )
        }
        if let publicIP = service.ingressIPs.first(where: { !PrivateAddress.isPrivate($0) }) {
            problems.append("the Service has the public IP \(publicIP); run '\(repair)' to make it internal again")
        }
        if privateIP == nil {
            problems.append("the Service has no internal IP (yet); see 'kubectl describe svc \(service.name) -n \(service.namespace)'")
        }
        guard let gateway else {
            problems.append(
                "the gateway \(gatewayID) no longer exists; expose the Service on another gateway, or remove the kubectl-agw.io annotations"
            )
            item.problems = problems
            return item
        }
        item.gatewayState = "\(gateway.operationalState ?? "Unknown")/\(gateway.provisioningState ?? "Unknown")"
        if gateway.operationalState != "Running" || gateway.provisioningState != "Succeeded" {
            problems.append(
                "the gateway is \(gateway.operationalState ?? "Unknown") with provisioning state \(gateway.provisioningState ?? "Unknown")")
        }
        guard let record else {
            problems.append("the Service's \(ServiceAnnotations.route) annotation is missing or unreadable; run '\(repair)'")
            item.problems = problems
            return item
        }
        // Every entry the tool recorded must still be on the gateway.
        let owned: [(GatewayDocument.Collection, String?)] = [
            (.backendAddressPools, record.pool), (.backendHttpSettingsCollection, record.settings), (.probes, record.probe),
            (.httpListeners, record.listener), (.requestRoutingRules, record.rule), (.urlPathMaps, record.pathMap),
        ]
        for (collection, name) in owned {
            if let name, gateway.item(collection, named: name) == nil {
                problems.append("\(collection.rawValue)/\(name) is missing from the gateway; run '\(repair)' to recreate it")
            }
        }
        let addresses =
            (gateway.item(.backendAddressPools, named: record.pool)?.value(at: "properties", "backendAddresses")?.arrayValue ?? [])
            .compactMap { $0["ipAddress"]?.stringValue ?? $0["fqdn"]?.stringValue }
        if let ip = privateIP, gateway.item(.backendAddressPools, named: record.pool) != nil, !addresses.contains(ip) {
            let held = addresses.isEmpty ? "no address" : addresses.joined(separator: ", ")
            problems.append("pool \(record.pool) holds \(held) but the Service's internal IP is \(ip); run '\(repair)' to repair it")
        }
        if let settingsName = record.settings, let settings = gateway.item(.backendHttpSettingsCollection, named: settingsName) {
            if let port = settings.value(at: "properties", "port")?.intValue, record.port != 0, port != record.port {
                problems.append(
                    "HTTP settings \(settingsName) were changed to port \(port) (the Service port is \(record.port)); run '\(repair)'")
            }
            if let probe = record.probe,
                !GatewayPlanner.sameID(settings.value(at: "properties", "probe", "id")?.stringValue, gateway.subresourceID(.probes, probe))
            {
                problems.append("HTTP settings \(settingsName) no longer use the probe \(probe); run '\(repair)'")
            }
        }
        if let ruleName = record.rule, let rule = gateway.item(.requestRoutingRules, named: ruleName) {
            item.priority = rule.value(at: "properties", "priority")?.intValue
            if record.pathMap == nil,
                !GatewayPlanner.sameID(
                    rule.value(at: "properties", "backendAddressPool", "id")?.stringValue,
                    gateway.subresourceID(.backendAddressPools, record.pool))
            {
                problems.append("rule \(ruleName) no longer sends traffic to pool \(record.pool); run '\(repair)'")
            }
        }
        if let listenerName = record.listener, let listener = gateway.item(.httpListeners, named: listenerName) {
            let port = listener.value(at: "properties", "frontendPort", "id")?.stringValue.flatMap { id in
                gateway.items(.frontendPorts).first {
                    GatewayPlanner.sameID($0["id"]?.stringValue, id)
                        || GatewayPlanner.sameID(gateway.subresourceID(.frontendPorts, $0["name"]?.stringValue ?? ""), id)
                }
            }?.value(at: "properties", "port")?.intValue
            let frontendID = listener.value(at: "properties", "frontendIPConfiguration", "id")?.stringValue ?? ""
            let frontend = gateway.items(.frontendIPConfigurations).first {
                GatewayPlanner.sameID(gateway.subresourceID(.frontendIPConfigurations, $0["name"]?.stringValue ?? ""), frontendID)
            }
            let kind = frontend?.value(at: "properties", "publicIPAddress") != nil ? "public" : "private"
            let hosts = (listener.value(at: "properties", "hostNames")?.arrayValue ?? []).compactMap(\.stringValue)
            item.listener = "\(kind):\(port.map(String.init) ?? "?")" + (hosts.isEmpty ? "" : " " + hosts.joined(separator: ","))
        }
        // Health for this Service's address through its pool and settings.
        if let health, let settings = record.settings, let ip = privateIP {
            let key =
                gateway.subresourceID(.backendAddressPools, record.pool).lowercased() + "|"
                + gateway.subresourceID(.backendHttpSettingsCollection, settings).lowercased()
            let servers = (health[key] ?? []).filter { $0.address == ip }
            if let server = servers.first {
                item.health = server.health
                item.healthLog = server.log
                item.advice = HealthAdvice.explain(health: server.health, log: server.log ?? "")
            } else {
                item.health = "Unknown"
                item.healthLog = "the gateway reported no probe for \(ip) through \(record.pool)"
            }
        }
        item.problems = problems
        return item
    }
}

/// Reads what status needs — one Kubernetes list, then per gateway one GET and one backend-health query,
/// gateways in parallel — and judges every exposed Service.
public struct StatusReader: Sendable {
    public let kube: any KubernetesAPI
    public let arm: any ResourceManager
    public let subscription: String
    /// Completion's gateway names, kept current by the gateways status reads.
    public let gatewayCache: GatewayCache?

    public init(kube: any KubernetesAPI, arm: any ResourceManager, subscription: String, gatewayCache: GatewayCache? = nil) {
        self.kube = kube
        self.arm = arm
        self.subscription = subscription
        self.gatewayCache = gatewayCache
    }

    /// `namespace` nil: all namespaces. `names` limits to those Services; `gateway` to one gateway (name or ID).
    public func read(namespace: String?, names: [String], gateway: String?, withHealth: Bool = true) async throws -> [StatusItem] {
        var services = try await kube.listServices(namespace: namespace, labelSelector: nil, fieldSelector: nil).items
            .filter { $0.annotations[ServiceAnnotations.gateway] != nil }
        if !names.isEmpty {
            let missing = names.filter { name in !services.contains { $0.name == name } }
            if let first = missing.first {
                throw KubernetesError.configuration(
                    "service \(first) in namespace \(namespace ?? "(all)") was not exposed by kubectl-agw (or does not exist); list exposed Services with 'kubectl agw status -A'"
                )
            }
            services = services.filter { names.contains($0.name) }
        }
        if let gateway {
            services = services.filter { service in
                let id = service.annotations[ServiceAnnotations.gateway] ?? ""
                return id.caseInsensitiveCompare(gateway) == .orderedSame
                    || (try? ResourceID(parsing: id))?.name.caseInsensitiveCompare(gateway) == .orderedSame
            }
        }
        let gatewayIDs = Set(services.compactMap { $0.annotations[ServiceAnnotations.gateway] }.map { $0.lowercased() })
        let arm = self.arm
        // One GET and one backend-health query per gateway, all gateways at once.
        let fetched = try await withThrowingTaskGroup(of: (String, GatewayDocument?, StatusJudge.HealthIndex?).self) { group in
            for id in gatewayIDs {
                group.addTask {
                    let operation = ARMOperation()
                    let document: GatewayDocument
                    do {
                        document = try GatewayDocument(try await arm.get(id, operation: operation).body ?? .null)
                    } catch let error as ARMError where error.status == 404 {
                        return (id, nil, nil)  // the gateway is gone: a problem to report, not a failure
                    }
                    guard withHealth else { return (id, document, nil) }
                    // Health is best effort: without it the report still shows drift.
                    let path = document.id.description + "/backendhealth"
                    let health = try? await arm.waitForCompletion(
                        method: "POST", path: path, initial: try await arm.post(path, body: nil, operation: operation),
                        operation: operation,
                        timeout: .seconds(300)
                    ) { _ in }
                    return (id, document, health.map { StatusJudge.index($0.body) })
                }
            }
            var results: [String: (GatewayDocument?, StatusJudge.HealthIndex?)] = [:]
            for try await (id, document, health) in group { results[id] = (document, health) }
            return results
        }
        let seen = fetched.values.compactMap { $0.0 }.filter { $0.id.subscription.caseInsensitiveCompare(subscription) == .orderedSame }
        gatewayCache?.remember(
            seen.map { GatewayCache.Entry(name: $0.name, resourceGroup: $0.id.resourceGroup) }, subscription: subscription)
        return services.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }.map { service in
            let id = service.annotations[ServiceAnnotations.gateway] ?? ""
            let (document, health) = fetched[id.lowercased()] ?? (nil, nil)
            var item = StatusJudge.judge(service, gateway: document, gatewayID: document?.id.description ?? id, health: health)
            if !withHealth {
                item.health = "NotChecked"
                item.healthLog = nil
            } else if document != nil && health == nil {
                item.healthLog = "the gateway's backend-health query failed; run 'kubectl agw status' again, or check it in the portal"
            }
            return item
        }
    }
}
