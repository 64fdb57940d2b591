import Foundation
import Shared
import TestSupport
import Testing

/// Completion's parsing and answers, with fake sources.
@Suite("completion")
struct CompletionTests {
    static func service(_ name: String, namespace: String = "default", exposedOn gateway: String? = nil, ports: JSON = [])
        -> Service
    {
        var metadata: JSON = ["name": .string(name), "namespace": .string(namespace)]
        if let gateway {
            metadata["annotations"] = [
                "kubectl-agw.io/gateway": .string(
                    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationGateways/\(gateway)")
            ]
        }
        return Service(["metadata": metadata, "spec": ["type": "LoadBalancer", "ports": ports]])
    }

    static let sources = CompletionSources(
        services: { line in
            let namespace = line.value("namespace") ?? "default"
            let all = [
                service("frontend", ports: [["name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"]]),
                service("api", exposedOn: "mygw"), service("web", namespace: "shop"),
            ]
            return all.filter { $0.namespace == namespace }
        },
        namespaces: { _ in ["default", "shop"] },
        kubeconfig: { _ in
            var config = Kubeconfig()
            var context = KubeContext()
            context.cluster = "aks-prod"
            config.contexts = ["prod": context, "dev": KubeContext()]
            return config
        },
        gateways: { _ in
            [GatewayCache.Entry(name: "mygw", resourceGroup: "net-rg"), GatewayCache.Entry(name: "othergw", resourceGroup: "edge-rg")]
        })

    static func values(_ words: [String]) async -> [String] {
        await Completer(sources: sources).complete(words).candidates.map(\.value)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var words: [String]
        var expected: [String]
        var testDescription: String { words.map { $0.isEmpty ? "''" : $0 }.joined(separator: " ") }
    }

    @Test(
        "what completes where",
        arguments: [
            Case(words: [""], expected: ["expose", "status", "unexpose", "version", "completion", "help"]),
            Case(words: ["st"], expected: ["status"]),
            Case(words: ["expose", ""], expected: ["frontend", "api"]),
            Case(words: ["expose", "svc/"], expected: ["svc/frontend", "svc/api"]),
            Case(words: ["expose", "service/f"], expected: ["service/frontend"]),
            Case(words: ["expose", "frontend", ""], expected: ["api"]),
            Case(words: ["expose", "-n", "shop", ""], expected: ["web"]),
            Case(words: ["expose", "--namespace=shop", "svc/"], expected: ["svc/web"]),
            Case(words: ["status", ""], expected: ["api"]),
            Case(words: ["unexpose", "svc/"], expected: ["svc/api"]),
            Case(words: ["expose", "svc/frontend", "--port", ""], expected: ["http", "80"]),
            Case(words: ["expose", "-n", ""], expected: ["default", "shop"]),
            Case(words: ["status", "--context", ""], expected: ["dev", "prod"]),
            Case(words: ["expose", "--context=p"], expected: ["--context=prod"]),
            Case(words: ["expose", "--gateway", ""], expected: ["mygw", "othergw"]),
            Case(words: ["expose", "-g", "edge-rg", "--gateway", ""], expected: ["othergw"]),
            Case(words: ["expose", "-g", ""], expected: ["edge-rg", "net-rg"]),
            Case(words: ["expose", "--frontend", ""], expected: ["public", "private"]),
            Case(words: ["expose", "-o", "y"], expected: ["yaml"]),
            Case(words: ["version", "-o", ""], expected: ["text", "json"]),
            Case(words: ["expose", "--hostname", ""], expected: []),
            Case(words: ["completion", ""], expected: ["bash", "zsh", "fish", "powershell"]),
            Case(words: ["completion", "bash", ""], expected: []),
            Case(words: ["help", ""], expected: ["expose", "status", "unexpose", "version", "completion"]),
            Case(words: ["expose", "--dry-run", "--dry"], expected: []),
            Case(words: ["status", "--all"], expected: ["--all-namespaces"]),
            Case(words: ["expose", "--insecure-skip-tls-verify", ""], expected: ["true", "false"]),
        ])
    func completes(_ example: Case) async {
        #expect(await Self.values(example.words) == example.expected)
    }

    @Test("flags: the command's and kubectl's, long names, short ones after a lone dash, given ones not again")
    func flags() async {
        let all = await Self.values(["expose", "--"])
        for flag in ["--gateway", "--port", "--dry-run", "--subscription", "--kubeconfig", "--context", "--namespace", "--as-group"] {
            #expect(all.contains(flag), "\(flag)")
        }
        #expect(!all.contains("-n"))
        #expect(await Self.values(["expose", "-"]).contains("-n"))
        let again = await Self.values(["expose", "--gateway", "mygw", "--as-group", "a", "--"])
        #expect(!again.contains("--gateway") && again.contains("--as-group"), "repeatable flags stay")
    }

    @Test("directives: no file names for names, file names for paths")
    func directives() async {
        let completer = Completer(sources: Self.sources)
        #expect(await completer.complete(["expose", "svc/"]).directive == .noFileComp)
        #expect(await completer.complete(["expose", "--kubeconfig", ""]).directive == .files)
        #expect(await completer.complete(["expose", "--certificate-authority="]).directive == .files)
        #expect(await completer.complete(["expose", "--hostname", ""]).directive == .noFileComp)
    }

    @Test("the answer kubectl reads: value<TAB>description lines, then :directive")
    func answerText() {
        let answer = CompletionAnswer(
            [CompletionCandidate("svc/web", "exposed on mygw\nsecond line"), CompletionCandidate("80")], .noFileComp)
        #expect(answer.text == "svc/web\texposed on mygw\n80\n:4\n")
        #expect(CompletionAnswer([], .files).text == ":0\n")
    }

    @Test("a lookup that fails gives no candidates; one that hangs is abandoned at the budget")
    func failuresAreQuiet() async {
        struct Unreachable: Error {}
        let failing = CompletionSources(services: { _ in throw Unreachable() })
        #expect(await Completer(sources: failing).complete(["expose", ""]) == CompletionAnswer())
        let hanging = CompletionSources(services: { _ in
            try await Task.sleep(for: .seconds(30))
            return [Self.service("late")]
        })
        let started = ContinuousClock.now
        let answer = await Completer(sources: hanging, budget: .milliseconds(200)).complete(["expose", ""])
        #expect(answer == CompletionAnswer())
        #expect(ContinuousClock.now - started < .seconds(10), "the answer does not wait for the hanging lookup")
    }

    @Test(
        "parsing the line",
        arguments: [
            (["expose", "--context", "prod", "-n", "shop", "svc/web", ""], "prod", "shop", ["svc/web"]),
            (["expose", "--context=prod", "-nshop", ""], "prod", "shop", []),
            (["status", "-A", "--", "-weird", ""], nil, nil, ["-weird"]),
        ] as [([String], String?, String?, [String])])
    func parsing(_ words: [String], _ context: String?, _ namespace: String?, _ positionals: [String]) {
        let line = CompletionLine.parse(words)
        #expect(line.kubeOverrides.context == context)
        #expect(line.kubeOverrides.namespace == namespace)
        #expect(line.positionals == positionals)
        #expect(line.command?.name == words.first)
    }
}

@Suite("the gateway cache for completion")
struct GatewayCacheTests {
    @Test("stored lists are read back, private to the user, fresh for the TTL, and remembered gateways merge in")
    func roundTrip() throws {
        let home = try TemporaryDirectory()
        let cache = GatewayCache(directory: home.path + "/cache/kubectl-agw", ttl: 60)
        #expect(cache.read(subscription: "SUB") == nil)
        let now = Date()
        cache.store([GatewayCache.Entry(name: "mygw", resourceGroup: "rg")], subscription: "SUB", now: now)
        let contents = try #require(cache.read(subscription: "sub"))
        #expect(contents.entries == [GatewayCache.Entry(name: "mygw", resourceGroup: "rg")])
        #expect(cache.isFresh(contents, now: now.addingTimeInterval(30)))
        #expect(!cache.isFresh(contents, now: now.addingTimeInterval(90)))
        let attributes = try FileManager.default.attributesOfItem(atPath: home.path + "/cache/kubectl-agw/gateways-sub.json")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let folder = try FileManager.default.attributesOfItem(atPath: home.path + "/cache/kubectl-agw")
        #expect((folder[.posixPermissions] as? Int) == 0o700)

        cache.remember(
            [GatewayCache.Entry(name: "edge", resourceGroup: "rg2"), GatewayCache.Entry(name: "MYGW", resourceGroup: "RG")],
            subscription: "sub")
        let merged = try #require(cache.read(subscription: "sub"))
        #expect(merged.entries.map(\.name) == ["mygw", "edge"])
        #expect(Int(merged.fetched.timeIntervalSince1970) == Int(now.timeIntervalSince1970), "remembering keeps the list's age")
    }

    @Test("one background refresh at a time")
    func refreshClaim() throws {
        let home = try TemporaryDirectory()
        let cache = GatewayCache(directory: home.path)
        #expect(cache.claimRefresh(subscription: "s"))
        #expect(!cache.claimRefresh(subscription: "s"))
        cache.finishRefresh(subscription: "s")
        #expect(cache.claimRefresh(subscription: "s"))
    }
}
