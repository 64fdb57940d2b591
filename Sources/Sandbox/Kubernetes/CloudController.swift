import Foundation
import Synchronization

/// How the simulated Azure cloud provider hands out load-balancer addresses.
public struct LoadBalancerOptions: Sendable {
    /// Time from a Service change to its new address (AKS: a minute or two; the sandbox: short).
    public var delay: Duration
    /// Subnets internal load balancers may use, by name; the first is the default (the node subnet).
    public var privateSubnets: [(name: String, cidr: String)]
    /// Where public frontend addresses come from.
    public var publicCIDR: String

    public init(
        delay: Duration = .seconds(2), privateSubnets: [(name: String, cidr: String)] = [("aks-subnet", "10.224.0.0/16")],
        publicCIDR: String = "20.62.130.0/24"
    ) {
        self.delay = delay
        self.privateSubnets = privateSubnets
        self.publicCIDR = publicCIDR
    }
}

/// Plays the Azure cloud controller for LoadBalancer Services: after a delay a Service gets an ingress IP,
/// private only when `service.beta.kubernetes.io/azure-load-balancer-internal` is exactly "true", with the
/// events the real service controller posts (reference/kubernetes.md §5.5).
public actor CloudController {
    static let internalAnnotation = "service.beta.kubernetes.io/azure-load-balancer-internal"
    static let subnetAnnotation = "service.beta.kubernetes.io/azure-load-balancer-internal-subnet"
    static let ipv4Annotation = "service.beta.kubernetes.io/azure-load-balancer-ipv4"

    /// The frontend a Service asks for.
    struct Desired: Equatable, Sendable {
        var isInternal: Bool
        var subnet: String?
        var requestedIP: String?
    }

    struct Key: Hashable, Sendable {
        let namespace: String
        let name: String
    }

    private let store: KubeStore
    private let options: LoadBalancerOptions
    /// Service changes announced but not yet taken up; `settle` waits for these too.
    nonisolated let announced = Mutex(0)
    private var provisioned: [Key: (desired: Desired, ip: String)] = [:]
    private var pending: [Key: Desired] = [:]
    private var failures: [Key: String] = [:]
    private var publicOnly: Set<Key> = []
    private var nextHost: [String: UInt32] = [:]
    /// Reconciles of one Service run one after another; each waits for the one before it.
    private var running: [Key: Task<Void, Never>] = [:]
    private var runningIDs: [Key: UUID] = [:]

    init(store: KubeStore, options: LoadBalancerOptions) {
        self.store = store
        self.options = options
    }

    // MARK: Test controls

    /// From now on, ensuring this Service's load balancer fails with `message` and assigns no address.
    public func failLoadBalancer(namespace: String, name: String, message: String) {
        failures[Key(namespace: namespace, name: name)] = message
    }

    /// This Service never gets an internal address (a cluster whose cloud provider ignores the annotation).
    public func onlyPublic(namespace: String, name: String) {
        publicOnly.insert(Key(namespace: namespace, name: name))
    }

    /// Recreates this Service's load-balancer frontend, which gives it a new address (as when an internal
    /// load balancer is rebuilt).
    public func reprovision(namespace: String, name: String) {
        let key = Key(namespace: namespace, name: name)
        provisioned[key] = nil
        announce(namespace: namespace, name: name)
    }

    /// Waits until no reconcile is pending (tests use it to settle).
    public func settle() async {
        while true {
            if let task = running.values.first {
                await task.value
            } else if announced.withLock({ $0 }) > 0 {
                try? await Task.sleep(for: .milliseconds(5))
            } else {
                return
            }
        }
    }

    /// Called synchronously by the store for every Service change, before the reconcile is queued.
    nonisolated func announce(namespace: String, name: String) {
        announced.withLock { $0 += 1 }
        Task {
            await self.serviceChanged(namespace: namespace, name: name)
            self.announced.withLock { $0 -= 1 }
        }
    }

    // MARK: Reconcile

    private func serviceChanged(namespace: String, name: String) {
        let key = Key(namespace: namespace, name: name)
        let previous = running[key]
        let id = UUID()
        runningIDs[key] = id
        running[key] = Task {
            await previous?.value
            await self.reconcile(key)
            self.finished(key, id)
        }
    }

    private func finished(_ key: Key, _ id: UUID) {
        // Only the newest task for a key unregisters itself; an older one finishing must not hide it.
        if runningIDs[key] == id {
            running[key] = nil
            runningIDs[key] = nil
        }
    }

    private func desired(_ service: Value) -> Desired? {
        guard service.lookup("spec.type")?.string == "LoadBalancer" else { return nil }
        if let lbClass = service.lookup("spec.loadBalancerClass"), lbClass != .null { return nil }
        let annotations = service.lookup("metadata.annotations")?.object ?? [:]
        let key = Key(namespace: service.lookup("metadata.namespace")?.string ?? "", name: service.lookup("metadata.name")?.string ?? "")
        let isInternal = annotations[Self.internalAnnotation]?.string == "true" && !publicOnly.contains(key)
        let requested = annotations[Self.ipv4Annotation]?.string ?? service.lookup("spec.loadBalancerIP")?.string
        return Desired(
            isInternal: isInternal, subnet: isInternal ? annotations[Self.subnetAnnotation]?.string : nil,
            requestedIP: requested.flatMap { $0.isEmpty ? nil : $0 })
    }

    private func reconcile(_ key: Key) async {
        guard let service = try? await store.get("services", key.namespace, key.name) else {
            provisioned[key] = nil
            return
        }
        let currentIPs = (service.lookup("status.loadBalancer.ingress")?.array ?? []).compactMap { $0["ip"]?.string }
        guard let want = desired(service) else {
            provisioned[key] = nil
            if !currentIPs.isEmpty { await setIngress(key, nil) }
            return
        }
        if let done = provisioned[key], done.desired == want, currentIPs == [done.ip] { return }

        await recordEvent(service, type: "Normal", reason: "EnsuringLoadBalancer", message: "Ensuring load balancer")
        try? await Task.sleep(for: options.delay)
        // The Service may have changed while we waited; the reconcile queued behind us will handle it.
        guard let latest = try? await store.get("services", key.namespace, key.name), desired(latest) == want else { return }

        if let message = failures[key] {
            await recordEvent(
                latest, type: "Warning", reason: "SyncLoadBalancerFailed",
                message: "Error syncing load balancer: failed to ensure load balancer: \(message)")
            return
        }
        switch allocate(key, want) {
        case .success(let ip):
            provisioned[key] = (want, ip)
            await setIngress(key, ip)
            await recordEvent(latest, type: "Normal", reason: "EnsuredLoadBalancer", message: "Ensured load balancer")
        case .failure(let problem):
            await recordEvent(
                latest, type: "Warning", reason: "SyncLoadBalancerFailed",
                message: "Error syncing load balancer: failed to ensure load balancer: \(problem.message)")
        }
    }

    struct AllocationProblem: Error {
        let message: String
    }

    private func allocate(_ key: Key, _ want: Desired) -> Result<String, AllocationProblem> {
        let cidr: String
        if want.isInternal {
            let subnetName = want.subnet ?? options.privateSubnets.first?.name ?? ""
            guard let subnet = options.privateSubnets.first(where: { $0.name == subnetName }) else {
                return .failure(
                    AllocationProblem(
                        message:
                            "ensure(\(key.namespace)/\(key.name)): lb(kubernetes-internal) - failed to get subnet: aks-vnet/\(subnetName)"))
            }
            cidr = subnet.cidr
        } else {
            cidr = options.publicCIDR
        }
        let inUse = Set(provisioned.filter { $0.key != key }.map(\.value.ip))
        if let requested = want.requestedIP {
            guard IPv4.contains(cidr, requested) else {
                return .failure(
                    AllocationProblem(
                        message:
                            "Code=\"PrivateIPAddressNotInSubnet\" Message=\"Private static IP address \(requested) does not belong to the range of subnet prefix \(cidr).\""
                    ))
            }
            guard !inUse.contains(requested) else {
                return .failure(
                    AllocationProblem(
                        message:
                            "Code=\"PrivateIPAddressIsAllocated\" Message=\"IP configuration \(key.name) is using the private IP address \(requested) which is already allocated to resource another-frontend.\""
                    ))
            }
            return .success(requested)
        }
        if let current = provisioned[key], current.desired.isInternal == want.isInternal, current.desired.subnet == want.subnet {
            return .success(current.ip)
        }
        var host = nextHost[cidr] ?? 4
        while true {
            guard let ip = IPv4.host(cidr, host) else { return .failure(AllocationProblem(message: "subnet \(cidr) is full")) }
            host += 1
            if !inUse.contains(ip) {
                nextHost[cidr] = host
                return .success(ip)
            }
        }
    }

    private func setIngress(_ key: Key, _ ip: String?) async {
        _ = try? await store.update("services", key.namespace, key.name) { (object: Value) throws(APIError) -> Value in
            var object = object
            object["status"] = ["loadBalancer": ip.map { ["ingress": [["ip": .string($0), "ipMode": "VIP"]]] } ?? [:]]
            return object
        }
    }

    /// Posts an event as the service controller does; a repeat of the same reason and message counts up.
    private func recordEvent(_ service: Value, type: String, reason: String, message: String) async {
        await EventRecorder.record(
            store: store, involved: service, kind: "Service", type: type, reason: reason, message: message,
            component: "service-controller")
    }
}

/// Writes core/v1 Events the way client-go's recorder does, aggregating repeats.
enum EventRecorder {
    static func record(store: KubeStore, involved: Value, kind: String, type: String, reason: String, message: String, component: String)
        async
    {
        let namespace = involved.lookup("metadata.namespace")?.string ?? "default"
        let uid = involved.lookup("metadata.uid")?.string ?? ""
        let now = KubeStore.timestamp()
        let existing = await store.list(
            "events", namespace: namespace, fields: FieldSelector(path: "involvedObject.uid", equals: uid),
            labels: .everything
        ).items
            .first { $0["reason"]?.string == reason && $0["message"]?.string == message }
        if let existing, let name = existing.lookup("metadata.name")?.string {
            _ = try? await store.update("events", namespace, name) { (event: Value) throws(APIError) -> Value in
                var event = event
                event["count"] = .int((event["count"]?.int ?? 1) + 1)
                event["lastTimestamp"] = .string(now)
                return event
            }
            return
        }
        let name = "\(involved.lookup("metadata.name")?.string ?? "object").\(String(format: "%016x", UInt64.random(in: 0...UInt64.max)))"
        let event: Value = [
            "kind": "Event", "apiVersion": "v1",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "involvedObject": [
                "kind": .string(kind), "namespace": .string(namespace), "name": involved.lookup("metadata.name") ?? "",
                "uid": .string(uid), "apiVersion": "v1", "resourceVersion": involved.lookup("metadata.resourceVersion") ?? "",
            ],
            "reason": .string(reason), "message": .string(message), "type": .string(type), "count": 1,
            "source": ["component": .string(component)], "firstTimestamp": .string(now), "lastTimestamp": .string(now),
            "reportingComponent": .string(component), "reportingInstance": "",
        ]
        _ = try? await store.create("events", namespace, event)
    }
}

/// IPv4 arithmetic for CIDR blocks.
enum IPv4 {
    static func parse(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".").compactMap { UInt32($0) }
        guard parts.count == 4, parts.allSatisfy({ $0 < 256 }) else { return nil }
        return parts.reduce(0) { $0 << 8 | $1 }
    }

    static func format(_ value: UInt32) -> String {
        [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xFF) }.joined(separator: ".")
    }

    static func block(_ cidr: String) -> (base: UInt32, size: UInt32)? {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, let base = parse(String(parts[0])), let bits = UInt32(parts[1]), bits <= 32 else { return nil }
        let size: UInt32 = bits == 0 ? UInt32.max : (1 << (32 - bits))
        return (base & ~(size &- 1), size)
    }

    static func contains(_ cidr: String, _ address: String) -> Bool {
        guard let block = block(cidr), let value = parse(address) else { return false }
        return value >= block.base && value - block.base < block.size
    }

    static func host(_ cidr: String, _ offset: UInt32) -> String? {
        guard let block = block(cidr), offset < block.size - 1 else { return nil }
        return format(block.base + offset)
    }
}
