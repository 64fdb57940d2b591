import Foundation

/// Runs an expose: reads, validates everything, then writes — one Service patch per target, one gateway PUT
/// for all of them — and verifies. This is the only code that changes the cluster or the gateway.
public struct ExposeExecutor: Sendable {
    public let kube: any KubernetesAPI
    public let arm: any ResourceManager
    public let subscription: String
    public let naming: ResourceNaming
    public let progress: any ProgressReporter
    public let backups: BackupStore
    /// Asks the user (on a terminal) whether a public Service may turn internal; false when nobody can answer.
    public let confirm: @Sendable (String) async -> Bool
    /// Waits between gateway write attempts; tests shorten it.
    public let pause: @Sendable (Duration) async throws -> Void
    /// Completion's gateway names, kept current by the gateways expose finds.
    public let gatewayCache: GatewayCache?

    public init(
        kube: any KubernetesAPI, arm: any ResourceManager, subscription: String, naming: ResourceNaming, progress: any ProgressReporter,
        backups: BackupStore, confirm: @escaping @Sendable (String) async -> Bool = { _ in false },
        pause: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }, gatewayCache: GatewayCache? = nil
    ) {
        self.gatewayCache = gatewayCache
        self.kube = kube
        self.arm = arm
        self.subscription = subscription
        self.naming = naming
        self.progress = progress
        self.backups = backups
        self.confirm = confirm
        self.pause = pause
    }

    /// Placeholder address used to validate the gateway plan before the real one exists; never written.
    static let placeholder = "0.0.0.0"

    /// Everything read before any write.
    struct Snapshot {
        var services: [Service]
        var ports: [ServicePort]
        var probePaths: [String]
        var gateway: GatewayDocument
    }

    /// What a dry run shows.
    public struct Preview: Sendable, Equatable {
        public var servicePatches: [(service: String, patch: JSON)]
        public var gatewayChanges: [GatewayChange]
        public var routes: [ExposedRoute]
        public var gatewayBefore: GatewayDocument
        public var gatewayAfter: GatewayDocument

        public static func == (lhs: Preview, rhs: Preview) -> Bool {
            lhs.servicePatches.map(\.service) == rhs.servicePatches.map(\.service)
                && lhs.servicePatches.map(\.patch) == rhs.servicePatches.map(\.patch)
                && lhs.gatewayChanges == rhs.gatewayChanges && lhs.routes == rhs.routes
        }
    }

    // MARK: Read and validate

    func read(_ options: ExposeOptions, operation: ARMOperation) async throws -> Snapshot {
        progress.phase("reading \(options.targets.map(\.description).joined(separator: ", ")) in namespace \(options.namespace)")
        var services: [Service] = []
        var ports: [ServicePort] = []
        var probePaths: [String] = []
        for target in options.targets {
            let service = try await kube.getService(namespace: options.namespace, name: target.name)
            let port = try ServicePlanner.port(of: service, requested: options.port)
            var probePath = options.probePath
            if probePath == nil, let selector = service.labelSelector {
                let pods = (try? await kube.listPods(namespace: options.namespace, labelSelector: selector)) ?? []
                probePath = ServicePlanner.probePath(pods: pods, targetPort: port.targetPort)
            }
            services.append(service)
            ports.append(port)
            probePaths.append(probePath ?? "/")
        }
        progress.phase("reading gateway \(options.gateway)")
        let gateway = try await GatewayLocator(arm: arm, subscription: subscription, cache: gatewayCache)
            .locate(options.gateway, resourceGroup: options.resourceGroup, operation: operation)
        return Snapshot(services: services, ports: ports, probePaths: probePaths, gateway: gateway)
    }

    func targets(_ snapshot: Snapshot, _ options: ExposeOptions, addresses: [String]) -> [ExposeTarget] {
        snapshot.services.indices.map { index in
            let service = snapshot.services[index]
            return ExposeTarget(
                namespace: service.namespace, service: service.name, port: snapshot.ports[index].port, address: addresses[index],
                probePath: snapshot.probePaths[index],
                hostName: options.hostName.map { ServicePlanner.expand($0, namespace: service.namespace, service: service.name) },
                path: options.path.map { ServicePlanner.expand($0, namespace: service.namespace, service: service.name) })
        }
    }

    /// Validates every input against the real Service and gateway and returns the planned changes; writes nothing.
    func prepare(_ options: ExposeOptions, operation: ARMOperation) async throws -> (Snapshot, [ServicePlan], GatewayPlan, [JSON]) {
        let snapshot = try await read(options, operation: operation)
        let planner = GatewayPlanner(naming: naming)
        let currentPrivate = snapshot.services.map { service in
            service.annotations[ServiceAnnotations.internalLoadBalancer] == "true"
                ? service.ingressIPs.first(where: PrivateAddress.isPrivate) : nil
        }
        let gatewayPlan = try planner.plan(
            snapshot.gateway, targets: targets(snapshot, options, addresses: currentPrivate.map { $0 ?? Self.placeholder }),
            settings: options.settings)
        var servicePlans: [ServicePlan] = []
        var records: [JSON] = []
        for (index, service) in snapshot.services.enumerated() {
            let record = RouteRecord.annotation(for: gatewayPlan.routes[index], previous: service.annotations[ServiceAnnotations.route])
            records.append(record)
            var confirmed = options.yes
            let publicIPs =
                service.annotations[ServiceAnnotations.internalLoadBalancer] == "true"
                ? [] : service.ingressIPs.filter { !PrivateAddress.isPrivate($0) }
            if !confirmed && !publicIPs.isEmpty && !options.dryRun {
                confirmed = await confirm(
                    "Service \(service.namespace)/\(service.name) has the public IP \(publicIPs.joined(separator: ", ")); making it internal deletes that IP. Continue? [y/N] "
                )
            }
            servicePlans.append(
                try ServicePlanner.plan(
                    service, port: snapshot.ports[index], subnet: options.subnet, ip: options.ip,
                    gatewayID: snapshot.gateway.id.description,
                    route: record, confirmed: confirmed || options.dryRun))
        }
        return (snapshot, servicePlans, gatewayPlan, records)
    }

    /// `--dry-run`: everything validated and planned, nothing written.
    public func preview(_ options: ExposeOptions) async throws -> Preview {
        let (snapshot, servicePlans, gatewayPlan, _) = try await prepare(options, operation: ARMOperation())
        return Preview(
            servicePatches: servicePlans.compactMap { plan in plan.patch.map { ("\(plan.namespace)/\(plan.name)", $0) } },
            gatewayChanges: gatewayPlan.changes, routes: gatewayPlan.routes, gatewayBefore: snapshot.gateway,
            gatewayAfter: gatewayPlan.document)
    }

    // MARK: Run

    public func run(_ options: ExposeOptions) async throws -> ExposeResult {
        let operation = ARMOperation()
        let (snapshot, servicePlans, _, records) = try await prepare(options, operation: operation)
        if options.settings.force && snapshot.gateway.tags.keys.contains("managed-by-k8s-ingress") {
            progress.warning(
                "gateway \(snapshot.gateway.name) is managed by the Application Gateway Ingress Controller; unless AGIC is set to leave foreign configuration alone (prohibited targets), it deletes what kubectl-agw adds within seconds"
            )
        }
        for plan in servicePlans where !plan.managedBy.isEmpty {
            progress.warning(
                "\(plan.namespace)/\(plan.name) is managed by \(plan.managedBy.joined(separator: " and ")); add the annotation \(ServiceAnnotations.internalLoadBalancer): \"true\" to its source too, or a later sync makes it public again"
            )
        }

        // 1. The Services: one merge patch each, then wait for all their internal IPs at once (Azure builds the
        //    load balancers in parallel, so several Services take as long as the slowest, not the sum).
        var addresses: [String] = Array(repeating: "", count: servicePlans.count)
        var serviceChanged: [Bool] = []
        var waiting: [Int] = []
        for (index, plan) in servicePlans.enumerated() {
            var changed = false
            if plan.patch != nil {
                progress.phase("making \(plan.namespace)/\(plan.name) an internal load balancer")
                let (port, record, gatewayID) = (plan.port, records[index], snapshot.gateway.id.description)
                (_, changed) = try await ServicePatcher(api: kube).patch(namespace: plan.namespace, name: plan.name) { current in
                    // Re-checked against the Service as it is now: only what is still missing is sent.
                    try ServicePlanner.plan(
                        current, port: port, subnet: options.subnet, ip: options.ip, gatewayID: gatewayID, route: record,
                        confirmed: true
                    ).patch
                }
            }
            serviceChanged.append(changed)
            let loadBalancerKeys = [ServiceAnnotations.internalLoadBalancer, ServiceAnnotations.internalSubnet, ServiceAnnotations.ipv4]
            let touchesLoadBalancer =
                plan.patch?.value(at: "spec", "type") != nil
                || loadBalancerKeys.contains { plan.patch?.value(at: "metadata", "annotations", $0) != nil }
            if let ip = plan.currentPrivateIP, !touchesLoadBalancer {
                addresses[index] = ip
            } else {
                waiting.append(index)
            }
        }
        if !waiting.isEmpty {
            let names = waiting.map { "\(servicePlans[$0].namespace)/\(servicePlans[$0].name)" }
            progress.startWaiting("waiting for an internal IP for \(names.joined(separator: ", ")) (Azure takes a minute or two)")
            defer { progress.stopWaiting() }
            try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for index in waiting {
                    // Any address the Service had before the patch is the old frontend, never the new one.
                    let (plan, before) = (servicePlans[index], snapshot.services[index].ingressIPs)
                    group.addTask { (index, try await self.waitForInternalIP(plan, excluding: before, timeout: options.timeout)) }
                }
                for try await (index, ip) in group { addresses[index] = ip }
            }
        }

        // 2. The gateway: one PUT for all targets, planned on the gateway as read; If-Match refuses it if the gateway
        //    changed meanwhile, and the writer then reads it again and plans again.
        let (final, written, backup) = try await writeGateway(options, snapshot: snapshot, addresses: addresses, operation: operation)
        // 3. Health, as the gateway sees it.
        var items: [ExposeItem] = []
        for (index, route) in final.routes.enumerated() {
            let (health, log) =
                options.noWait ? ("Unknown", "not checked: --no-wait") : await health(route, gateway: final.document, operation: operation)
            items.append(
                ExposeItem(
                    namespace: route.namespace, service: route.service, ip: addresses[index], gateway: final.document.id.description,
                    route: route,
                    changed: written || serviceChanged[index], health: health, healthLog: log,
                    advice: HealthAdvice.explain(health: health, log: log ?? "")))
        }
        return ExposeResult(items: items, gatewayWritten: written, backupPath: backup)
    }

    /// Watches the Service until it has a private ingress IP that is not one of its old public ones.
    func waitForInternalIP(_ plan: ServicePlan, excluding publicBefore: [String], timeout: Duration) async throws -> String {
        let started = Date()
        let reporter = progress
        let kube = self.kube
        let eventsTask = Task {
            var seen = Set<String>()
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                guard let service = try? await kube.getService(namespace: plan.namespace, name: plan.name),
                    let events = try? await kube.listEvents(namespace: plan.namespace, involvedObjectUID: service.uid)
                else { continue }
                for event in events where (event.lastTimestamp ?? .distantPast) >= started.addingTimeInterval(-2) {
                    let key = "\(event.reason)|\(event.message)|\(event.count)"
                    guard seen.insert(key).inserted else { continue }
                    if event.type == "Warning" {
                        reporter.warning("\(event.reason): \(event.message)")
                    } else {
                        reporter.note("\(event.reason): \(event.message)")
                    }
                }
            }
        }
        defer { eventsTask.cancel() }
        do {
            let service = try await ServiceWatcher(api: kube).wait(namespace: plan.namespace, name: plan.name, timeout: timeout) {
                service in
                service.ingressIPs.contains { PrivateAddress.isPrivate($0) && !publicBefore.contains($0) }
            }
            let ip = service.ingressIPs.first { PrivateAddress.isPrivate($0) && !publicBefore.contains($0) } ?? ""
            progress.phase("\(plan.namespace)/\(plan.name) has the internal IP \(ip)")
            return ip
        } catch let error as KubernetesError {
            guard case .timedOut = error else { throw error }
            let service = try? await kube.getService(namespace: plan.namespace, name: plan.name)
            let events = (try? await kube.listEvents(namespace: plan.namespace, involvedObjectUID: service?.uid ?? "")) ?? []
            if let failure = events.filter({ $0.reason == "SyncLoadBalancerFailed" }).max(by: {
                ($0.lastTimestamp ?? .distantPast) < ($1.lastTimestamp ?? .distantPast)
            }) {
                throw ExposeError.loadBalancerFailed(service: "\(plan.namespace)/\(plan.name)", message: failure.message)
            }
            if let publicIP = service?.ingressIPs.first(where: { !PrivateAddress.isPrivate($0) }) {
                throw ExposeError.publicIPOnly(service: "\(plan.namespace)/\(plan.name)", ip: publicIP)
            }
            throw KubernetesError.timedOut(
                "timed out waiting for an internal IP on services/\(plan.name) after \(timeout.components.seconds)s; see 'kubectl describe svc \(plan.name) -n \(plan.namespace)'"
            )
        }
    }

    /// One gateway update for every target (see `GatewayWriter`), verified against the plan; returns the plan
    /// on the gateway as it is afterwards (its routes are what the result reports).
    func writeGateway(_ options: ExposeOptions, snapshot: Snapshot, addresses: [String], operation: ARMOperation) async throws
        -> (GatewayPlan, Bool, String?)
    {
        let planner = GatewayPlanner(naming: naming)
        let wanted = targets(snapshot, options, addresses: addresses)
        let writer = GatewayWriter(arm: arm, progress: progress, backups: backups, pause: pause)
        let outcome = try await writer.write(
            first: snapshot.gateway, operation: operation, noWait: options.noWait, timeout: options.timeout,
            unchanged: "already routes to \(addresses.joined(separator: ", "))",
            plan: { try planner.plan($0, targets: wanted, settings: options.settings).edit },
            verify: { after in
                let check = try planner.plan(after, targets: wanted, settings: options.settings)
                if !check.isUnchanged {
                    throw ExposeError.verificationFailed(
                        "after the update the gateway differs from the plan (\(check.changes.map(\.description).joined(separator: ", "))); another writer changed it — run the command again"
                    )
                }
            })
        return (try planner.plan(outcome.gateway, targets: wanted, settings: options.settings), outcome.written, outcome.backup)
    }

    /// Asks the gateway to probe the route's pool with its settings now (getBackendHealthOnDemand).
    func health(_ route: ExposedRoute, gateway: GatewayDocument, operation: ARMOperation) async -> (String, String?) {
        guard let settings = route.settings else { return ("Unknown", "not checked: the pool is not the tool's") }
        progress.phase("asking the gateway for the health of \(route.namespace)/\(route.service)")
        let path = gateway.id.description + "/getBackendHealthOnDemand"
        let probe = route.probe.flatMap { gateway.item(.probes, named: $0) }
        let body: JSON = [
            "protocol": "Http", "host": probe?.value(at: "properties", "host") ?? .string(route.address),
            "path": probe?.value(at: "properties", "path") ?? "/", "timeout": 30, "pickHostNameFromBackendHttpSettings": false,
            "match": ["statusCodes": ["200-399"]],
            "backendAddressPool": ["id": .string(gateway.subresourceID(.backendAddressPools, route.pool))],
            "backendHttpSettings": ["id": .string(gateway.subresourceID(.backendHttpSettingsCollection, settings))],
        ]
        do {
            let started = try await arm.post(path, body: body, operation: operation)
            let result = try await arm.waitForCompletion(
                method: "POST", path: path, initial: started, operation: operation, timeout: .seconds(300)
            ) { _ in }
            let servers = result.body?.value(at: "backendHealthHttpSettings")?["servers"]?.arrayValue ?? []
            let server = servers.first { $0["address"]?.stringValue == route.address } ?? servers.first
            return (server?["health"]?.stringValue ?? "Unknown", server?["healthProbeLog"]?.stringValue)
        } catch {
            return ("Unknown", "the health check failed: \(error)")
        }
    }
}

/// Passes a value only when it differs from the previous one (operation states repeat on every poll).
final class ChangeFilter: @unchecked Sendable {
    private let lock = NSLock()
    private var last: String?

    func isNew(_ value: String) -> Bool {
        lock.withLock {
            defer { last = value }
            return value != last
        }
    }
}

/// Keeps a copy of the gateway before each write (mode 0600), under the user's state directory.
public struct BackupStore: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// `$XDG_STATE_HOME/kubectl-agw/backups`, else `~/.local/state/kubectl-agw/backups`.
    public init(environment: [String: String]) {
        let base =
            environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.local/state")
        directory = base + "/kubectl-agw/backups"
    }

    public func save(_ gateway: GatewayDocument) throws -> String {
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
        let path = "\(directory)/\(gateway.id.resourceGroup)-\(gateway.name)-\(formatter.string(from: Date())).json"
        guard
            FileManager.default.createFile(
                atPath: path, contents: Data(gateway.json.prettyPrinted().utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw ExposeError.verificationFailed("cannot write the gateway backup \(path); check that \(directory) is writable")
        }
        return path
    }
}
