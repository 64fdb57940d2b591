import Foundation

/// The checks ARM and the Network resource provider apply to an Application Gateway PUT, and the fields
/// they fill in. Written from the 2026-03-01 spec and the service's documented limits, independently of
/// the client.
enum GatewayRules {
    /// Collections whose entries are sub-resources the body may reference: every array of named objects
    /// under `properties` (newer api-versions keep adding them), plus the ones the spec lists.
    static func collections(in properties: [String: Value]) -> [String] {
        let named = properties.filter { _, value in
            guard case .array(let entries) = value, let first = entries.first else { return false }
            return first["name"]?.string != nil && first["properties"] != nil
        }.map(\.key)
        return Array(Set(named).union(knownCollections)).sorted()
    }

    static let knownCollections = [
        "gatewayIPConfigurations", "authenticationCertificates", "trustedRootCertificates", "trustedClientCertificates", "sslCertificates",
        "frontendIPConfigurations", "frontendPorts", "probes", "backendAddressPools", "backendHttpSettingsCollection",
        "backendSettingsCollection",
        "httpListeners", "listeners", "sslProfiles", "urlPathMaps", "requestRoutingRules", "routingRules", "rewriteRuleSets",
        "redirectConfigurations", "privateLinkConfigurations", "loadDistributionPolicies", "entraJWTValidationConfigs",
    ]

    static let limits: [(collection: String, limit: Int, code: String)] = [
        ("backendAddressPools", 100, "ApplicationGatewayBackendAddressPoolLimitReached"),
        ("backendHttpSettingsCollection", 100, "ApplicationGatewayBackendHttpSettingsLimitReached"),
        ("httpListeners", 100, "ApplicationGatewayHttpListenerLimitReached"),
        ("frontendPorts", 100, "ApplicationGatewayFrontendPortLimitReached"),
        ("requestRoutingRules", 400, "ApplicationGatewayRequestRoutingRuleLimitReached"),
    ]

    static func isV2(_ gateway: Value) -> Bool {
        let tier = gateway.lookup("properties.sku.tier")?.string ?? gateway.lookup("properties.sku.name")?.string ?? ""
        return ["Standard_v2", "WAF_v2", "Basic"].contains(tier)
    }

    /// Rejects what the service rejects, with its error codes.
    static func validate(_ gateway: Value, id: String) throws(ARMFailure) {
        guard let properties = gateway["properties"]?.object else {
            throw .badRequest(
                "InvalidRequestContent", "The request content was invalid and could not be deserialized: 'properties' is required.")
        }
        let prefix = id.lowercased()
        var known = Set<String>()
        let collections = collections(in: properties)
        for collection in collections {
            var names = Set<String>()
            for entry in properties[collection]?.array ?? [] {
                guard let name = entry["name"]?.string, !name.isEmpty else {
                    throw .badRequest("InvalidRequestFormat", "Every entry of \(collection) needs a name.")
                }
                guard name.count <= 80 else {
                    throw .badRequest("InvalidResourceName", "Resource name \(name) is invalid. The name can be up to 80 characters long.")
                }
                guard names.insert(name.lowercased()).inserted else {
                    throw .badRequest(
                        "DuplicateResourceName", "Resource \(id) has two child resources with the same name (\(name)) in \(collection).")
                }
                known.insert("\(prefix)/\(collection.lowercased())/\(name.lowercased())")
            }
        }
        for (collection, limit, code) in limits {
            let count = properties[collection]?.array?.count ?? 0
            if count > limit {
                throw .badRequest(code, "Application Gateway \(id) has \(count) \(collection), more than the limit of \(limit).")
            }
        }
        // Every reference to a sub-resource of this gateway must name one that the body defines.
        for collection in collections {
            for entry in properties[collection]?.array ?? [] {
                let owner = "\(id)/\(collection)/\(entry["name"]?.string ?? "")"
                for reference in references(in: entry["properties"] ?? .null) where reference.lowercased().hasPrefix(prefix + "/") {
                    if !known.contains(reference.lowercased()) && !isNestedReference(reference, in: properties, prefix: prefix) {
                        throw .badRequest(
                            "InvalidResourceReference",
                            "Resource \(reference) referenced by resource \(owner) was not found. Please make sure that the referenced resource exists, and that both resources are in the same region."
                        )
                    }
                }
            }
        }
        // Frontend ports: one entry per port number.
        var ports: [Int: String] = [:]
        for entry in properties["frontendPorts"]?.array ?? [] {
            guard let port = entry.lookup("properties.port")?.int, (1...65535).contains(port) else {
                throw .badRequest(
                    "ApplicationGatewayFrontendPortInvalid",
                    "Frontend port \(entry["name"]?.string ?? "") must have a port between 1 and 65535.")
            }
            if let other = ports[port] {
                throw .badRequest(
                    "ApplicationGatewayFrontendPortsUsingSamePort",
                    "Two Frontend Ports of Application Gateway \(id) are using the same port number \(port): \(other) and \(entry["name"]?.string ?? "")."
                )
            }
            ports[port] = entry["name"]?.string ?? ""
        }
        // Listeners: (frontend IP, frontend port, host names) must be unique.
        var listeners: [String: String] = [:]
        for entry in properties["httpListeners"]?.array ?? [] {
            let ip = entry.lookup("properties.frontendIPConfiguration.id")?.string?.lowercased() ?? ""
            let port = entry.lookup("properties.frontendPort.id")?.string?.lowercased() ?? ""
            var hosts = (entry.lookup("properties.hostNames")?.array ?? []).compactMap(\.string).map { $0.lowercased() }
            if let host = entry.lookup("properties.hostName")?.string, !host.isEmpty { hosts.append(host.lowercased()) }
            let key = "\(ip)|\(port)|\(hosts.sorted().joined(separator: ","))"
            let name = entry["name"]?.string ?? ""
            if let other = listeners[key] {
                throw .badRequest(
                    "ApplicationGatewayHttpListenersUsingSameFrontendPortAndFrontendIpConfig",
                    "Two Http Listeners of Application Gateway \(id) are using the same Frontend Port, Frontend IP configuration and host names (\(other) and \(name))."
                )
            }
            listeners[key] = name
        }
        // Rules on v2: every rule has a priority, 1-20000, all different.
        if isV2(gateway) {
            var priorities: [Int: String] = [:]
            for entry in properties["requestRoutingRules"]?.array ?? [] {
                let name = entry["name"]?.string ?? ""
                guard let priority = entry.lookup("properties.priority")?.int else {
                    throw .badRequest(
                        "ApplicationGatewayRequestRoutingRulePriorityCannotBeEmpty",
                        "Priority for the request routing rule \(name) cannot be empty. All request routing rules should have a priority defined starting from api-version 2021-08-01"
                    )
                }
                guard (1...20000).contains(priority) else {
                    throw .badRequest(
                        "ApplicationGatewayRequestRoutingRulePriorityOutOfRange",
                        "Priority \(priority) of request routing rule \(name) is out of range; it must be between 1 and 20000.")
                }
                if let other = priorities[priority] {
                    throw .badRequest(
                        "ApplicationGatewayRequestRoutingRulesWithSamePriority",
                        "Request routing rules \(other) and \(name) of Application Gateway \(id) have the same priority \(priority).")
                }
                priorities[priority] = name
            }
        }
    }

    /// Path rules live inside URL path maps: `urlPathMaps/{map}/pathRules/{rule}`.
    static func isNestedReference(_ reference: String, in properties: [String: Value], prefix: String) -> Bool {
        for map in properties["urlPathMaps"]?.array ?? [] {
            let mapName = (map["name"]?.string ?? "").lowercased()
            for rule in map.lookup("properties.pathRules")?.array ?? [] {
                if reference.lowercased() == "\(prefix)/urlpathmaps/\(mapName)/pathrules/\((rule["name"]?.string ?? "").lowercased())" {
                    return true
                }
            }
        }
        return false
    }

    /// Every `{"id": …}` inside a value.
    static func references(in value: Value) -> [String] {
        switch value {
        case .object(let members):
            var found: [String] = []
            if members.count == 1, let id = members["id"]?.string { found.append(id) }
            for (key, member) in members where key != "id" { found += references(in: member) }
            return found
        case .array(let items): return items.flatMap(references(in:))
        default: return []
        }
    }

    /// What ARM fills in on a PUT: ids, types and etags of sub-resources, provisioning states.
    static func normalize(_ gateway: Value, id: String, name: String, etag: String, state: String) -> Value {
        var result = gateway
        result["id"] = .string(id)
        result["name"] = .string(name)
        result["type"] = "Microsoft.Network/applicationGateways"
        result["etag"] = .string(etag)
        guard case .object(var properties)? = result["properties"] else { return result }
        for collection in collections(in: properties) {
            guard case .array(let entries)? = properties[collection] else { continue }
            properties[collection] = .array(
                entries.map { entry in
                    var entry = entry
                    let entryName = entry["name"]?.string ?? ""
                    entry["id"] = .string("\(id)/\(collection)/\(entryName)")
                    entry["etag"] = .string(etag)
                    entry["type"] = .string("Microsoft.Network/applicationGateways/\(collection)")
                    if case .object = entry["properties"] ?? .null {
                        entry.set(["properties", "provisioningState"], .string(state))
                    }
                    return entry
                })
        }
        properties["provisioningState"] = .string(state)
        if properties["operationalState"] == nil { properties["operationalState"] = "Running" }
        if properties["resourceGuid"] == nil { properties["resourceGuid"] = .string(UUID().uuidString.lowercased()) }
        result["properties"] = .object(properties)
        return result
    }
}
