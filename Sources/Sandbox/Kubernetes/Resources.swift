import Foundation

/// The resources the local API server serves, with what discovery says about them.
struct ResourceInfo: Sendable {
    let name: String
    let kind: String
    let namespaced: Bool
    let shortNames: [String]
    let subresources: [String]
    /// `v1` for the core group, `apps/v1` for Deployments.
    var groupVersion = "v1"

    static let all: [ResourceInfo] = [
        ResourceInfo(name: "namespaces", kind: "Namespace", namespaced: false, shortNames: ["ns"], subresources: ["status"]),
        ResourceInfo(name: "services", kind: "Service", namespaced: true, shortNames: ["svc"], subresources: ["status"]),
        ResourceInfo(name: "pods", kind: "Pod", namespaced: true, shortNames: ["po"], subresources: ["status"]),
        ResourceInfo(name: "events", kind: "Event", namespaced: true, shortNames: ["ev"], subresources: []),
        // Stored and served, not reconciled: no controller creates or deletes pods for them.
        ResourceInfo(
            name: "deployments", kind: "Deployment", namespaced: true, shortNames: ["deploy"], subresources: ["status"],
            groupVersion: "apps/v1"),
    ]

    static let namespaces = all[0]

    static func named(_ name: String) -> ResourceInfo? { all.first { $0.name == name } }

    static func named(_ name: String, in groupVersion: String) -> ResourceInfo? {
        all.first { $0.name == name && $0.groupVersion == groupVersion }
    }
}

/// Defaulting and validation the real API server applies to the objects we serve.
struct ResourceRules: Sendable {
    var nextClusterIP = 10
    var nextNodePort = 30_080

    /// Fills in what the API server defaults on create.
    mutating func defaultOnCreate(_ resource: String, _ object: inout Value) {
        switch resource {
        case "services":
            if object.lookup("spec.type") == nil { object.set(["spec", "type"], "ClusterIP") }
            if object.lookup("spec.clusterIP") == nil, object.lookup("spec.type")?.string != "ExternalName" {
                let ip = "10.0.\(nextClusterIP / 250).\(nextClusterIP % 250 + 1)"
                nextClusterIP += 1
                object.set(["spec", "clusterIP"], .string(ip))
                object.set(["spec", "clusterIPs"], [.string(ip)])
                object.set(["spec", "ipFamilies"], ["IPv4"])
                object.set(["spec", "ipFamilyPolicy"], "SingleStack")
            }
            if object.lookup("spec.sessionAffinity") == nil { object.set(["spec", "sessionAffinity"], "None") }
            if object.lookup("spec.internalTrafficPolicy") == nil { object.set(["spec", "internalTrafficPolicy"], "Cluster") }
            defaultServiceSpec(&object)
            object["status"] = ["loadBalancer": [:]]
        case "pods":
            if object.lookup("status.phase") == nil {
                object["status"] = [
                    "phase": "Running", "podIP": .string("10.244.0.\(nextClusterIP % 250 + 2)"),
                    "conditions": [["type": "Ready", "status": "True"], ["type": "ContainersReady", "status": "True"]],
                ]
                nextClusterIP += 1
            }
        case "namespaces":
            object["status"] = ["phase": "Active"]
        default:
            break
        }
    }

    /// Defaults that apply on every write of a Service spec (ports, node ports for LoadBalancer).
    mutating func defaultServiceSpec(_ object: inout Value) {
        let type = object.lookup("spec.type")?.string ?? "ClusterIP"
        if type == "LoadBalancer" || type == "NodePort" {
            if object.lookup("spec.externalTrafficPolicy") == nil { object.set(["spec", "externalTrafficPolicy"], "Cluster") }
        }
        if type == "LoadBalancer", object.lookup("spec.allocateLoadBalancerNodePorts") == nil {
            object.set(["spec", "allocateLoadBalancerNodePorts"], true)
        }
        guard case .array(var ports)? = object.lookup("spec.ports") else { return }
        for index in ports.indices {
            if ports[index]["protocol"] == nil { ports[index]["protocol"] = "TCP" }
            if ports[index]["targetPort"] == nil { ports[index]["targetPort"] = ports[index]["port"] ?? .null }
            if (type == "LoadBalancer" || type == "NodePort") && ports[index]["nodePort"] == nil {
                ports[index]["nodePort"] = .int(nextNodePort)
                nextNodePort += 1
            }
            if type == "ClusterIP" { ports[index]["nodePort"] = nil }
        }
        object.set(["spec", "ports"], .array(ports))
    }

    /// Rejects what the API server rejects (422 Invalid with the causes).
    func validate(_ resource: String, _ object: Value, old: Value?) throws(APIError) {
        let name = object.lookup("metadata.name")?.string ?? ""
        var causes: [String] = []
        if let annotations = object.lookup("metadata.annotations"), annotations != .null {
            if let members = annotations.object {
                for (key, value) in members where value.string == nil {
                    causes.append("metadata.annotations[\(key)]: Invalid value: annotation values must be strings")
                }
            } else {
                causes.append("metadata.annotations: Invalid value: must be a map of strings")
            }
        }
        if resource == "services" {
            let type = object.lookup("spec.type")?.string ?? "ClusterIP"
            if !["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"].contains(type) {
                causes.append(
                    "spec.type: Unsupported value: \"\(type)\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""
                )
            }
            let ports = object.lookup("spec.ports")?.array ?? []
            if ports.isEmpty && type != "ExternalName" { causes.append("spec.ports: Required value") }
            var seen = Set<String>()
            for (index, port) in ports.enumerated() {
                guard let number = port["port"]?.int, (1...65535).contains(number) else {
                    causes.append("spec.ports[\(index)].port: Invalid value: must be between 1 and 65535, inclusive")
                    continue
                }
                let identity = "\(number)/\(port["protocol"]?.string ?? "TCP")"
                if !seen.insert(identity).inserted { causes.append("spec.ports[\(index)]: Duplicate value: \(identity)") }
            }
            if let old {
                if let oldClass = old.lookup("spec.loadBalancerClass"), oldClass != .null,
                    oldClass != object.lookup("spec.loadBalancerClass")
                {
                    causes.append("spec.loadBalancerClass: Invalid value: field is immutable")
                }
                if let oldIP = old.lookup("spec.clusterIP")?.string, let newIP = object.lookup("spec.clusterIP")?.string, oldIP != newIP {
                    causes.append("spec.clusterIP: Invalid value: \"\(newIP)\": field is immutable")
                }
            }
        }
        if !causes.isEmpty {
            throw .invalid(resource == "services" ? "Service" : resource, name, causes)
        }
    }
}

/// Server-side printing: the `Table` objects `kubectl get` asks for, with kubectl's usual columns.
enum Tables {
    static func table(_ resource: String, _ objects: [Value], resourceVersion: Int, wide: Bool) -> Value {
        let columns = columnNames(resource)
        let definitions: [Value] = columns.enumerated().map { index, name in
            [
                "name": .string(name),
                "type": name == "Age" || name == "Last Seen" ? "string" : (name == "Restarts" ? "integer" : "string"),
                "format": name == "Name" ? "name" : "", "description": .string(name),
                "priority": .int(name == "Selector" || name == "IP" ? 1 : 0),
            ]
        }
        let rows: [Value] = objects.map { object in
            ["cells": .array(cells(resource, object)), "object": object]
        }
        return [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": ["resourceVersion": .string(String(resourceVersion))],
            "columnDefinitions": .array(definitions), "rows": .array(rows),
        ]
    }

    static func columnNames(_ resource: String) -> [String] {
        switch resource {
        case "services": return ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"]
        case "pods": return ["Name", "Ready", "Status", "Restarts", "Age", "IP"]
        case "events": return ["Last Seen", "Type", "Reason", "Object", "Message"]
        case "namespaces": return ["Name", "Status", "Age"]
        case "deployments": return ["Name", "Ready", "Up-to-date", "Available", "Age"]
        default: return ["Name", "Age"]
        }
    }

    static func cells(_ resource: String, _ object: Value) -> [Value] {
        let name = Value.string(object.lookup("metadata.name")?.string ?? "")
        let age = Value.string(ageText(object.lookup("metadata.creationTimestamp")?.string))
        switch resource {
        case "services":
            let type = object.lookup("spec.type")?.string ?? "ClusterIP"
            let ingress = (object.lookup("status.loadBalancer.ingress")?.array ?? []).compactMap {
                $0["ip"]?.string ?? $0["hostname"]?.string
            }
            let external: String
            if !ingress.isEmpty {
                external = ingress.joined(separator: ",")
            } else {
                external = type == "LoadBalancer" ? "<pending>" : "<none>"
            }
            let ports = (object.lookup("spec.ports")?.array ?? []).map { port -> String in
                let number = port["port"]?.int ?? 0
                let node = port["nodePort"]?.int.map { ":\($0)" } ?? ""
                return "\(number)\(node)/\(port["protocol"]?.string ?? "TCP")"
            }.joined(separator: ",")
            let selector = (object.lookup("spec.selector")?.object ?? [:]).sorted { $0.key < $1.key }
                .map { "\($0.key)=\($0.value.string ?? "")" }.joined(separator: ",")
            return [
                name, .string(type), .string(object.lookup("spec.clusterIP")?.string ?? "<none>"), .string(external),
                .string(ports.isEmpty ? "<none>" : ports), age, .string(selector.isEmpty ? "<none>" : selector),
            ]
        case "pods":
            let containers = object.lookup("spec.containers")?.array?.count ?? 1
            let ready = (object.lookup("status.conditions")?.array ?? []).contains {
                $0["type"]?.string == "Ready" && $0["status"]?.string == "True"
            }
            return [
                name, .string("\(ready ? containers : 0)/\(containers)"), .string(object.lookup("status.phase")?.string ?? "Pending"), 0,
                age,
                .string(object.lookup("status.podIP")?.string ?? "<none>"),
            ]
        case "events":
            let kind = object.lookup("involvedObject.kind")?.string?.lowercased() ?? ""
            let involved = "\(kind)/\(object.lookup("involvedObject.name")?.string ?? "")"
            return [
                .string(ageText(object.lookup("lastTimestamp")?.string)), .string(object["type"]?.string ?? "Normal"),
                .string(object["reason"]?.string ?? ""), .string(involved), .string(object["message"]?.string ?? ""),
            ]
        case "namespaces":
            return [name, .string(object.lookup("status.phase")?.string ?? "Active"), age]
        case "deployments":
            let wanted = object.lookup("spec.replicas")?.int ?? 1
            let ready = object.lookup("status.readyReplicas")?.int ?? 0
            return [
                name, .string("\(ready)/\(wanted)"), .int(object.lookup("status.updatedReplicas")?.int ?? 0),
                .int(object.lookup("status.availableReplicas")?.int ?? 0), age,
            ]
        default:
            return [name, age]
        }
    }

    /// kubectl's short ages: 45s, 3m12s, 2d4h.
    static func ageText(_ timestamp: String?) -> String {
        guard let timestamp, let date = ISO8601DateFormatter().date(from: timestamp) else { return "<unknown>" }
        let seconds = max(0, Int(Date().timeIntervalSince(date)))
        if seconds < 120 { return "\(seconds)s" }
        if seconds < 600 { return "\(seconds / 60)m\(seconds % 60 == 0 ? "" : "\(seconds % 60)s")" }
        if seconds < 3 * 3600 { return "\(seconds / 60)m" }
        if seconds < 48 * 3600 { return "\(seconds / 3600)h" }
        return "\(seconds / 86400)d"
    }
}
