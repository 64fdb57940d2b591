import Foundation

/// A Service as the API returned it. The whole object is kept; the accessors read the fields we use.
public struct Service: Sendable, Equatable {
    public var object: JSON

    public init(_ object: JSON) { self.object = object }

    public var name: String { object.value(at: "metadata", "name")?.stringValue ?? "" }
    public var namespace: String { object.value(at: "metadata", "namespace")?.stringValue ?? "" }
    public var uid: String { object.value(at: "metadata", "uid")?.stringValue ?? "" }
    public var resourceVersion: String { object.value(at: "metadata", "resourceVersion")?.stringValue ?? "" }
    public var annotations: [String: String] { Self.stringMap(object.value(at: "metadata", "annotations")) }
    public var labels: [String: String] { Self.stringMap(object.value(at: "metadata", "labels")) }
    public var type: String { object.value(at: "spec", "type")?.stringValue ?? "ClusterIP" }
    public var selector: [String: String] { Self.stringMap(object.value(at: "spec", "selector")) }
    public var loadBalancerClass: String? { object.value(at: "spec", "loadBalancerClass")?.stringValue }
    public var loadBalancerIP: String? { object.value(at: "spec", "loadBalancerIP")?.stringValue }
    public var loadBalancerSourceRanges: [String] {
        object.value(at: "spec", "loadBalancerSourceRanges")?.arrayValue?.compactMap(\.stringValue) ?? []
    }
    public var externalTrafficPolicy: String? { object.value(at: "spec", "externalTrafficPolicy")?.stringValue }

    /// `spec.selector` as a label selector (`app=web,tier=front`) for listing the Service's pods; nil without one.
    public var labelSelector: String? {
        let pairs = selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return pairs.isEmpty ? nil : pairs.joined(separator: ",")
    }

    public var ports: [ServicePort] {
        object.value(at: "spec", "ports")?.arrayValue?.map(ServicePort.init) ?? []
    }

    /// `status.loadBalancer.ingress[].ip` in order.
    public var ingressIPs: [String] {
        object.value(at: "status", "loadBalancer", "ingress")?.arrayValue?.compactMap { $0["ip"]?.stringValue } ?? []
    }

    /// Field managers from `managedFields`, to spot Helm, Argo CD or Flux.
    public var fieldManagers: [String] {
        object.value(at: "metadata", "managedFields")?.arrayValue?.compactMap { $0["manager"]?.stringValue } ?? []
    }

    static func stringMap(_ value: JSON?) -> [String: String] {
        var result: [String: String] = [:]
        for member in value?.objectValue ?? JSONObject() {
            if let text = member.value.stringValue { result[member.key] = text }
        }
        return result
    }
}

/// One `spec.ports[]` entry.
public struct ServicePort: Sendable, Equatable {
    public var name: String?
    public var port: Int
    public var `protocol`: String
    /// A number or a named container port.
    public var targetPort: String?
    public var nodePort: Int?

    public init(name: String? = nil, port: Int, protocol: String = "TCP", targetPort: String? = nil, nodePort: Int? = nil) {
        self.name = name
        self.port = port
        self.protocol = `protocol`
        self.targetPort = targetPort
        self.nodePort = nodePort
    }

    init(_ json: JSON) {
        name = json["name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        port = json["port"]?.intValue ?? 0
        `protocol` = json["protocol"]?.stringValue ?? "TCP"
        targetPort = json["targetPort"]?.stringValue ?? json["targetPort"]?.intValue.map(String.init)
        nodePort = json["nodePort"]?.intValue
    }
}

/// A list response: the items and the collection's resourceVersion (where a watch starts).
public struct ObjectList<Item: Sendable & Equatable>: Sendable, Equatable {
    public var items: [Item]
    public var resourceVersion: String

    public init(items: [Item], resourceVersion: String) {
        self.items = items
        self.resourceVersion = resourceVersion
    }
}

/// A core/v1 Event, reduced to what progress and diagnosis show.
public struct KubeEvent: Sendable, Equatable {
    public var type: String
    public var reason: String
    public var message: String
    public var count: Int
    public var lastTimestamp: Date?
    public var source: String

    public init(_ json: JSON) {
        type = json["type"]?.stringValue ?? "Normal"
        reason = json["reason"]?.stringValue ?? ""
        message = json["message"]?.stringValue ?? ""
        count = json["count"]?.intValue ?? 1
        let stamp =
            json["lastTimestamp"]?.stringValue ?? json["eventTime"]?.stringValue
            ?? json.value(at: "metadata", "creationTimestamp")?.stringValue
        lastTimestamp = stamp.flatMap(RFC3339.parse)
        source = json.value(at: "source", "component")?.stringValue ?? json["reportingComponent"]?.stringValue ?? ""
    }
}

/// An HTTP readiness probe of one container: what the gateway's own probe should ask for.
public struct ReadinessProbe: Sendable, Equatable {
    public var container: String
    public var path: String
    public var port: String
    public var host: String?
    public var scheme: String

    public init(container: String, path: String, port: String, host: String? = nil, scheme: String = "HTTP") {
        self.container = container
        self.path = path
        self.port = port
        self.host = host
        self.scheme = scheme
    }
}

/// A Pod, reduced to readiness and its probes.
public struct Pod: Sendable, Equatable {
    public var object: JSON

    public init(_ object: JSON) { self.object = object }

    public var name: String { object.value(at: "metadata", "name")?.stringValue ?? "" }
    public var isReady: Bool {
        object.value(at: "status", "conditions")?.arrayValue?.contains {
            $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
        } ?? false
    }

    /// The `httpGet` readiness probes of the pod's containers.
    public var readinessProbes: [ReadinessProbe] {
        (object.value(at: "spec", "containers")?.arrayValue ?? []).compactMap { container in
            guard let get = container.value(at: "readinessProbe", "httpGet") else { return nil }
            let port = get["port"]?.stringValue ?? get["port"]?.intValue.map(String.init) ?? ""
            return ReadinessProbe(
                container: container["name"]?.stringValue ?? "", path: get["path"]?.stringValue ?? "/", port: port,
                host: get["host"]?.stringValue, scheme: get["scheme"]?.stringValue ?? "HTTP")
        }
    }

    /// Container ports by name, to resolve a named targetPort.
    public var namedPorts: [String: Int] {
        var result: [String: Int] = [:]
        for container in object.value(at: "spec", "containers")?.arrayValue ?? [] {
            for port in container["ports"]?.arrayValue ?? [] {
                if let name = port["name"]?.stringValue, let number = port["containerPort"]?.intValue { result[name] = number }
            }
        }
        return result
    }
}
