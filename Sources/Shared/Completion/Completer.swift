import Foundation

/// Where completion gets its names. A struct of closures, so tests stub only what they touch; `live` reads
/// the kubeconfig, the cluster and the gateway cache the way the commands do, but never prompts.
public struct CompletionSources: Sendable {
    /// Services in the line's namespace (all namespaces for `-A`).
    public var services: @Sendable (CompletionLine) async throws -> [Service]
    public var namespaces: @Sendable (CompletionLine) async throws -> [String]
    /// Reads files only.
    public var kubeconfig: @Sendable (CompletionLine) throws -> Kubeconfig
    /// From the cache only; may start a background refresh.
    public var gateways: @Sendable (CompletionLine) async -> [GatewayCache.Entry]
    public var subscriptions: @Sendable () throws -> [AzureCLIConfig.Subscription]
    public var clouds: @Sendable () throws -> [String]

    public init(
        services: @escaping @Sendable (CompletionLine) async throws -> [Service] = { _ in [] },
        namespaces: @escaping @Sendable (CompletionLine) async throws -> [String] = { _ in [] },
        kubeconfig: @escaping @Sendable (CompletionLine) throws -> Kubeconfig = { _ in Kubeconfig() },
        gateways: @escaping @Sendable (CompletionLine) async -> [GatewayCache.Entry] = { _ in [] },
        subscriptions: @escaping @Sendable () throws -> [AzureCLIConfig.Subscription] = { [] },
        clouds: @escaping @Sendable () throws -> [String] = { [] }
    ) {
        self.services = services
        self.namespaces = namespaces
        self.kubeconfig = kubeconfig
        self.gateways = gateways
        self.subscriptions = subscriptions
        self.clouds = clouds
    }
}

/// Answers one completion request: parses the words, picks what kind of value is wanted and asks the sources.
/// Every lookup runs within `budget`; a lookup that fails or runs late gives no candidates and no error.
public struct Completer: Sendable {
    public let sources: CompletionSources
    public let budget: Duration

    public init(sources: CompletionSources, budget: Duration = .seconds(1)) {
        self.sources = sources
        self.budget = budget
    }

    public func complete(_ words: [String]) async -> CompletionAnswer {
        let line = CompletionLine.parse(words)
        if let flag = line.pendingFlag {
            return await values(flag.kind, line)
        }
        if line.current.hasPrefix("-") { return flags(line) }
        guard let command = line.command else {
            return filtered(CommandTable.commands.map { CompletionCandidate($0.name, $0.help) }, line)
        }
        if command.arguments == .service || command.arguments == .exposedService || command.arguments == .subcommand {
            return await values(command.arguments, line)
        }
        // A command with a fixed number of arguments offers nothing once they are given.
        if case .choices = command.arguments, !line.positionals.isEmpty { return CompletionAnswer() }
        return await values(command.arguments, line)
    }

    /// The command's flags not yet given (repeatable ones always), long names, and short ones for `-`.
    func flags(_ line: CompletionLine) -> CompletionAnswer {
        var candidates: [CompletionCandidate] = []
        for flag in line.flags where flag.repeatable || !line.isSet(flag.long) {
            candidates.append(CompletionCandidate("--" + flag.long, flag.help))
            if line.current == "-", let short = flag.short { candidates.append(CompletionCandidate("-\(short)", flag.help)) }
        }
        return filtered(candidates, line)
    }

    func values(_ kind: CompletionKind, _ line: CompletionLine) async -> CompletionAnswer {
        switch kind {
        case .none, .free: return CompletionAnswer()
        case .file: return CompletionAnswer([], .files)
        case .choices(let choices): return filtered(choices.map { CompletionCandidate($0) }, line)
        case .subcommand:
            guard line.positionals.isEmpty else { return CompletionAnswer() }
            return filtered(CommandTable.commands.filter { $0.name != "help" }.map { CompletionCandidate($0.name, $0.help) }, line)
        case .service, .exposedService: return await services(line, exposedOnly: kind == .exposedService)
        case .servicePort: return await ports(line)
        case .namespace:
            let names = await within { try await sources.namespaces(line) } ?? []
            return filtered(names.map { CompletionCandidate($0) }, line)
        case .context, .cluster, .user:
            guard let config = try? sources.kubeconfig(line) else { return CompletionAnswer() }
            switch kind {
            case .context:
                return filtered(
                    config.contexts.keys.sorted().map { name in
                        CompletionCandidate(
                            name, config.contexts[name].map { "cluster \($0.cluster), namespace \($0.namespace ?? "default")" })
                    }, line)
            case .cluster: return filtered(config.clusters.keys.sorted().map { CompletionCandidate($0) }, line)
            default: return filtered(config.users.keys.sorted().map { CompletionCandidate($0) }, line)
            }
        case .gateway:
            let group = line.value("resource-group")
            let entries = await within { await sources.gateways(line) } ?? []
            let matching = entries.filter { group == nil || $0.resourceGroup.caseInsensitiveCompare(group ?? "") == .orderedSame }
            return filtered(matching.map { CompletionCandidate($0.name, "resource group \($0.resourceGroup)") }, line)
        case .resourceGroup:
            let entries = await within { await sources.gateways(line) } ?? []
            var seen = Set<String>()
            let groups = entries.map(\.resourceGroup).filter { seen.insert($0.lowercased()).inserted }.sorted()
            return filtered(groups.map { CompletionCandidate($0) }, line)
        case .subscription:
            let subscriptions = (try? sources.subscriptions()) ?? []
            return filtered(subscriptions.map { CompletionCandidate($0.id, $0.name + ($0.isDefault ? " (default)" : "")) }, line)
        case .cloud:
            return filtered(((try? sources.clouds()) ?? []).map { CompletionCandidate($0) }, line)
        }
    }

    /// `svc/NAME` when the word starts with a Service kind, bare names otherwise; exposed ones only for status
    /// and unexpose; names already on the line are not offered again.
    func services(_ line: CompletionLine, exposedOnly: Bool) async -> CompletionAnswer {
        let kinds = ["svc/", "service/", "services/"]
        let prefix = kinds.first { line.current.lowercased().hasPrefix($0) }.map { String(line.current.prefix($0.count)) } ?? ""
        let all = await within { try await sources.services(line) } ?? []
        let given = Set(line.positionals.map { $0.split(separator: "/").last.map(String.init) ?? $0 })
        let candidates =
            all
            .filter { !exposedOnly || $0.annotations[ServiceAnnotations.gateway] != nil }
            .filter { !given.contains($0.name) }
            .map { service -> CompletionCandidate in
                let gateway = service.annotations[ServiceAnnotations.gateway].flatMap { try? ResourceID(parsing: $0).name }
                let description =
                    gateway.map { "exposed on \($0)" }
                    ?? "\(service.type)\(service.ingressIPs.first.map { " " + $0 } ?? "")"
                return CompletionCandidate(prefix + service.name, description)
            }
        return filtered(candidates, line)
    }

    /// The ports of the first Service named on the line: names and numbers.
    func ports(_ line: CompletionLine) async -> CompletionAnswer {
        guard let first = line.positionals.first else { return CompletionAnswer() }
        let name = first.split(separator: "/").last.map(String.init) ?? first
        let all = await within { try await sources.services(line) } ?? []
        guard let service = all.first(where: { $0.name == name }) else { return CompletionAnswer() }
        var candidates: [CompletionCandidate] = []
        for port in service.ports where port.protocol.uppercased() == "TCP" {
            let description = "\(port.protocol) \(port.port)" + (port.targetPort.map { " → \($0)" } ?? "")
            if let portName = port.name { candidates.append(CompletionCandidate(portName, description)) }
            candidates.append(CompletionCandidate(String(port.port), description))
        }
        return filtered(candidates, line)
    }

    func filtered(_ candidates: [CompletionCandidate], _ line: CompletionLine) -> CompletionAnswer {
        let matching = candidates.filter { $0.value.hasPrefix(line.current) }
        return CompletionAnswer(
            matching.map { CompletionCandidate(line.valuePrefix + $0.value, $0.description) }, .noFileComp)
    }

    /// Runs a lookup for at most `budget`; late or failed is nil. The late lookup is left behind, not awaited
    /// (its own request timeout ends it, and the process exits as soon as the answer is printed).
    func within<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async -> T? {
        await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            let once = ResumeOnce(continuation)
            Task { once.resume(try? await work()) }
            Task { [budget] in
                try? await Task.sleep(for: budget)
                once.resume(nil)
            }
        }
    }
}

/// Resumes a continuation once, whoever comes first.
final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, Never>?

    init(_ continuation: CheckedContinuation<T, Never>) { self.continuation = continuation }

    func resume(_ value: T) {
        let waiting = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume(returning: value)
    }
}
