import Foundation

/// `kubectl agw unexpose`'s inputs, typed and checked before anything is read.
public struct UnexposeOptions: Sendable, Equatable {
    public var targets: [ServiceReference]
    public var namespace: String
    /// Only Services exposed on this gateway (name or ID); a Service on another one is an input error.
    public var gateway: String?
    /// Also remove the internal annotation, so Azure gives the Service a public IP again.
    public var restorePublic: Bool
    public var yes: Bool
    public var dryRun: Bool
    public var noWait: Bool
    public var timeout: Duration

    public init(
        targets: [ServiceReference], namespace: String, gateway: String? = nil, restorePublic: Bool = false, yes: Bool = false,
        dryRun: Bool = false, noWait: Bool = false, timeout: Duration = .seconds(600)
    ) {
        self.targets = targets
        self.namespace = namespace
        self.gateway = gateway
        self.restorePublic = restorePublic
        self.yes = yes
        self.dryRun = dryRun
        self.noWait = noWait
        self.timeout = timeout
    }

    public func validate() throws(ExposeError) {
        guard !targets.isEmpty else { throw .usage("name at least one Service, e.g. kubectl agw unexpose svc/frontend") }
        let names = targets.map(\.name)
        if Set(names).count != names.count { throw .usage("a Service is named twice: \(names.joined(separator: ", "))") }
        guard timeout > .zero else { throw .usage("--timeout must be positive, e.g. 10m") }
    }
}

/// What unexpose did for one Service (`-o json` item).
public struct UnexposeItem: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        /// Taken off the gateway (or its annotations removed).
        case unexposed
        /// Nothing was left to do.
        case notExposed = "not exposed"
    }

    public var namespace: String
    public var service: String
    public var gateway: String?
    public var removed: [String]
    public var restored: [String]
    public var outcome: Outcome
    /// The internal annotation was removed (`--restore-public`): Azure gives the Service a public IP again.
    public var madePublic: Bool
    public var note: String?

    public var json: JSON {
        var object = JSONObject()
        object["namespace"] = .string(namespace)
        object["service"] = .string(service)
        object["gateway"] = gateway.map(JSON.string) ?? .null
        object["result"] = .string(outcome.rawValue)
        object["removed"] = .array(removed.map(JSON.string))
        object["restored"] = .array(restored.map(JSON.string))
        object["public"] = .bool(madePublic)
        object["note"] = note.map(JSON.string) ?? .null
        return .object(object)
    }
}

/// What an unexpose did.
public struct UnexposeResult: Sendable, Equatable {
    public var items: [UnexposeItem]
    public var gatewaysWritten: Int
    public var backups: [String]

    public var json: JSON { ["items": .array(items.map(\.json))] }
}

/// Runs an unexpose: reads the Services and their gateways, plans every change, and only then writes —
/// one update per gateway (see `GatewayWriter`), then one merge patch per Service removing the tool's
/// annotations. The gateway goes first: if it fails, the annotations still say what to remove next time.
public struct UnexposeExecutor: Sendable {
    public let kube: any KubernetesAPI
    public let arm: any ResourceManager
    public let progress: any ProgressReporter
    public let backups: BackupStore
    public let confirm: @Sendable (String) async -> Bool
    public let pause: @Sendable (Duration) async throws -> Void

    public init(
        kube: any KubernetesAPI, arm: any ResourceManager, progress: any ProgressReporter, backups: BackupStore,
        confirm: @escaping @Sendable (String) async -> Bool = { _ in false },
        pause: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.kube = kube
        self.arm = arm
        self.progress = progress
        self.backups = backups
        self.confirm = confirm
        self.pause = pause
    }

    /// One Service as read, with what its annotations say.
    struct Entry {
        var service: Service
        var gatewayID: String?
        var target: UnexposeTarget?
    }

    /// One gateway and the plan for the Services on it (`before` nil: the gateway no longer exists).
    public struct GatewayStep: Sendable, Equatable {
        public var gatewayID: String
        public var before: GatewayDocument?
        public var plan: UnexposePlan?
        /// Indexes into the Services, in plan order.
        var members: [Int]
    }

    /// What a dry run shows, and what a run carries out.
    public struct Preview: Sendable, Equatable {
        public var servicePatches: [(service: String, patch: JSON)]
        public var gateways: [GatewayStep]

        public static func == (lhs: Preview, rhs: Preview) -> Bool {
            lhs.servicePatches.map(\.service) == rhs.servicePatches.map(\.service)
                && lhs.servicePatches.map(\.patch) == rhs.servicePatches.map(\.patch) && lhs.gateways == rhs.gateways
        }
    }

    // MARK: Read and validate

    func read(_ options: UnexposeOptions) async throws -> [Entry] {
        progress.phase("reading \(options.targets.map(\.description).joined(separator: ", ")) in namespace \(options.namespace)")
        var entries: [Entry] = []
        for reference in options.targets {
            let service = try await kube.getService(namespace: options.namespace, name: reference.name)
            let gatewayID = service.annotations[ServiceAnnotations.gateway]
            let target = RouteRecord(service.annotations[ServiceAnnotations.route]).map { record in
                UnexposeTarget(namespace: service.namespace, service: service.name, record: record, addresses: service.ingressIPs)
            }
            if let wanted = options.gateway, let gatewayID, !Self.matches(gatewayID, wanted) {
                throw ExposeError.usage(
                    "svc/\(service.name) is exposed on gateway \(gatewayID), not \(wanted); leave out --gateway or name that gateway")
            }
            entries.append(Entry(service: service, gatewayID: gatewayID, target: target))
        }
        return entries
    }

    static func matches(_ id: String, _ wanted: String) -> Bool {
        id.caseInsensitiveCompare(wanted) == .orderedSame
            || (try? ResourceID(parsing: id))?.name.caseInsensitiveCompare(wanted) == .orderedSame
    }

    /// The merge patch for one Service: the tool's annotations go; with `--restore-public` the internal ones too
    /// (a private `azure-load-balancer-ipv4` cannot be kept by a public load balancer). Nil when nothing is left.
    static func patch(_ service: Service, restorePublic: Bool) -> JSON? {
        // A Service the tool never exposed is not its to change, not even with --restore-public.
        guard service.annotations[ServiceAnnotations.gateway] != nil || service.annotations[ServiceAnnotations.route] != nil else {
            return nil
        }
        var keys = [ServiceAnnotations.gateway, ServiceAnnotations.route]
        if restorePublic {
            keys += [ServiceAnnotations.internalLoadBalancer, ServiceAnnotations.internalSubnet]
            if let ipv4 = service.annotations[ServiceAnnotations.ipv4], PrivateAddress.isPrivate(ipv4) {
                keys.append(ServiceAnnotations.ipv4)
            }
        }
        var annotations = JSONObject()
        for key in keys where service.annotations[key] != nil { annotations[key] = .null }
        return annotations.isEmpty ? nil : ["metadata": ["annotations": .object(annotations)]]
    }

    /// Validates every input against the real Services and gateways and plans every change; writes nothing.
    func prepare(_ options: UnexposeOptions, operation: ARMOperation) async throws -> ([Entry], Preview) {
        let entries = try await read(options)
        var order: [String] = []
        var members: [String: [Int]] = [:]
        for (index, entry) in entries.enumerated() {
            guard let id = entry.gatewayID, entry.target != nil else { continue }
            if members[id.lowercased()] == nil { order.append(id) }
            members[id.lowercased(), default: []].append(index)
        }
        var steps: [GatewayStep] = []
        for id in order {
            let indexes = members[id.lowercased()] ?? []
            progress.phase("reading gateway \((try? ResourceID(parsing: id))?.name ?? id)")
            let document: GatewayDocument?
            do {
                document = try GatewayDocument(try await arm.get(id, operation: operation).body ?? .null)
            } catch let error as ARMError where error.status == 404 {
                progress.warning("gateway \(id) no longer exists; only the Services' kubectl-agw.io annotations are removed")
                document = nil
            }
            let plan = try document.map { document throws(UnexposePlanError) in
                try UnexposePlanner.plan(document, targets: indexes.compactMap { entries[$0].target })
            }
            steps.append(GatewayStep(gatewayID: document?.id.description ?? id, before: document, plan: plan, members: indexes))
        }
        var patches: [(service: String, patch: JSON)] = []
        for entry in entries {
            let service = entry.service
            let patch = Self.patch(service, restorePublic: options.restorePublic)
            let turnsPublic = patch?.value(at: "metadata", "annotations", ServiceAnnotations.internalLoadBalancer) != nil
            if turnsPublic && !options.dryRun && !options.yes {
                let question =
                    "Service \(service.namespace)/\(service.name) will get a public IP: anyone on the internet can reach it directly, past the gateway's WAF. Continue? [y/N] "
                guard await confirm(question) else {
                    throw ExposeError.usage(
                        "--restore-public gives \(service.namespace)/\(service.name) a public IP reachable from the internet; run again with --yes to go ahead"
                    )
                }
            }
            if let patch {
                patches.append(("\(service.namespace)/\(service.name)", patch))
            }
        }
        return (entries, Preview(servicePatches: patches, gateways: steps))
    }

    /// `--dry-run`: everything validated and planned, nothing written.
    public func preview(_ options: UnexposeOptions) async throws -> Preview {
        try await prepare(options, operation: ARMOperation()).1
    }

    // MARK: Run

    public func run(_ options: UnexposeOptions) async throws -> UnexposeResult {
        let operation = ARMOperation()
        let (entries, preview) = try await prepare(options, operation: operation)
        let writer = GatewayWriter(arm: arm, progress: progress, backups: backups, pause: pause)
        var items = entries.map { entry in
            UnexposeItem(
                namespace: entry.service.namespace, service: entry.service.name, gateway: entry.gatewayID, removed: [], restored: [],
                outcome: .notExposed, madePublic: false,
                note: entry.gatewayID != nil && entry.target == nil
                    ? "its \(ServiceAnnotations.route) annotation was missing or unreadable, so nothing was removed from the gateway; check it with 'kubectl agw status'"
                    : nil)
        }
        var written = 0
        var saved: [String] = []
        // 1. Each gateway: one update taking off every Service on it.
        for step in preview.gateways {
            guard let before = step.before else { continue }
            let targets = step.members.compactMap { entries[$0].target }
            var byTarget: [[GatewayChange]] = step.plan?.changesByTarget ?? []
            let outcome = try await writer.write(
                first: before, operation: operation, noWait: options.noWait, timeout: options.timeout,
                unchanged: "holds nothing of \(targets.map { "\($0.namespace)/\($0.service)" }.joined(separator: ", "))",
                plan: { current in
                    let plan = try UnexposePlanner.plan(current, targets: targets)
                    byTarget = plan.changesByTarget
                    return plan.edit
                },
                verify: { after in
                    let check = try UnexposePlanner.plan(after, targets: targets)
                    if !check.isUnchanged {
                        throw ExposeError.verificationFailed(
                            "after the update the gateway still holds \(check.changes.map(\.description).joined(separator: ", ")); another writer changed it — run the command again"
                        )
                    }
                })
            if outcome.written { written += 1 }
            if let backup = outcome.backup { saved.append(backup) }
            for (position, index) in step.members.enumerated() where byTarget.indices.contains(position) {
                let changes = byTarget[position]
                items[index].gateway = outcome.gateway.id.description
                items[index].removed = changes.filter { $0.kind == .removed }.map { "\($0.collection.rawValue)/\($0.name)" }
                items[index].restored = changes.filter { $0.kind == .changed }.map { "\($0.collection.rawValue)/\($0.name)" }
                if outcome.written && !changes.isEmpty { items[index].outcome = .unexposed }
            }
        }
        // 2. Each Service: the annotations go (re-checked against the Service as it is now).
        for (index, entry) in entries.enumerated() {
            let service = entry.service
            let restorePublic = options.restorePublic
            guard let planned = Self.patch(service, restorePublic: restorePublic) else { continue }
            let turnsPublic = planned.value(at: "metadata", "annotations", ServiceAnnotations.internalLoadBalancer) != nil
            progress.phase("removing the kubectl-agw.io annotations from \(service.namespace)/\(service.name)")
            let (_, changed) = try await ServicePatcher(api: kube).patch(namespace: service.namespace, name: service.name) { current in
                Self.patch(current, restorePublic: restorePublic)
            }
            if changed { items[index].outcome = .unexposed }
            if turnsPublic {
                items[index].madePublic = true
                items[index].note =
                    "Azure now replaces the internal load balancer with a public one; watch it with 'kubectl get svc \(service.name) -n \(service.namespace) -w'"
            } else if changed && service.annotations[ServiceAnnotations.internalLoadBalancer] == "true" {
                items[index].note =
                    items[index].note ?? "the Service stays on its internal load balancer (--restore-public makes it public)"
            }
        }
        return UnexposeResult(items: items, gatewaysWritten: written, backups: saved)
    }
}
