import Foundation
import Sandbox
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Tab completion through the real kubectl (`kubectl __complete agw …` runs `kubectl_complete-agw`) and
/// through the generated shell scripts, against the sandbox.
@Suite("completion end to end")
struct CompletionEndToEndTests {
    typealias World = ExposeTests.World

    /// With a generous budget: the tests run side by side on two cores, where a second is not always enough.
    static func environment(_ world: World) throws -> [String: String] {
        var environment = world.environment
        environment["PATH"] = try BuiltProducts.searchPath(withCompleterIn: world.home.path + "/bin")
        environment["KUBECTL_AGW_COMPLETION_TIMEOUT"] = "10s"
        return environment
    }

    /// Candidates (values only) and the directive of `kubectl __complete agw WORDS…`.
    static func complete(_ environment: [String: String], _ words: String...) async throws -> (values: [String], directive: String) {
        let result = try await ChildProcess.run("kubectl", ["__complete", "agw"] + words, environment: environment, timeout: .seconds(30))
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let directive = lines.last ?? ""
        return (lines.dropLast().map { String($0.split(separator: "\t").first ?? "") }, directive)
    }

    /// `--output=<format>` → `--output`.
    static func flagName(_ word: String) -> String { String(word.prefix { $0 != "=" && $0 != "<" }) }

    @Test("kubectl completes subcommands, svc/NAME from the cluster and the Service's ports")
    func throughKubectl() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        let environment = try Self.environment(world)
        #expect(try await Self.complete(environment, "").values == ["expose", "status", "unexpose", "version", "completion", "help"])
        let services = try await Self.complete(environment, "expose", "svc/")
        #expect(services.values == ["svc/frontend"])
        #expect(services.directive == ":4", "no file names")
        #expect(try await Self.complete(environment, "expose", "fr").values == ["frontend"])
        #expect(try await Self.complete(environment, "expose", "svc/frontend", "--port", "").values == ["http", "80"])
        #expect(try await Self.complete(environment, "expose", "--context", "").values == ["agw-sandbox"])
        #expect(try await Self.complete(environment, "expose", "--kubeconfig", "").directive == ":0", "file names for a path")
    }

    @Test("every flag in each command's --help is offered, kubectl's connection flags included")
    func everyFlag() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        let environment = try Self.environment(world)
        for command in ["expose", "status", "unexpose", "version"] {
            let help = try await world.agw(command, "--help")
            // The OPTIONS lines: "  -o, --output <output>   …", "  --dry-run   …".
            let optionLines = help.stdout.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("-") }
            let words: [String] = optionLines.flatMap { line in
                line.split(whereSeparator: { (character: Character) in " ,".contains(character) }).prefix(3).map(String.init)
            }
            let documented = Set(words.filter { $0.hasPrefix("--") && $0.count > 2 }.map(Self.flagName))
            let offered = Set(try await Self.complete(environment, command, "--").values)
            #expect(documented.subtracting(offered).isEmpty, "\(command): not offered: \(documented.subtracting(offered).sorted())")
            #expect(offered.contains("--context") && offered.contains("--namespace"))
        }
    }

    @Test("-n and --context typed earlier scope the Services; status and unexpose offer only exposed ones")
    func scoping() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        let environment = try Self.environment(world)
        let api = world.session.kubernetes.api
        try await api.create("namespaces", namespace: "", ["metadata": ["name": "shop"]])
        try await api.create(
            "services", namespace: "shop",
            ["metadata": ["name": "web"], "spec": ["type": "ClusterIP", "ports": [["port": 80]]]])
        #expect(try await Self.complete(environment, "expose", "-n", "shop", "svc/").values == ["svc/web"])
        #expect(try await Self.complete(environment, "expose", "--namespace=shop", "").values == ["web"])
        #expect(try await Self.complete(environment, "expose", "-n", "").values.contains("shop"))

        // A second context pointing at a cluster that is not there: nothing, quietly.
        var offline = environment
        offline["KUBECONFIG"] =
            try world.home.write(
                "offline.yaml",
                """
                apiVersion: v1
                kind: Config
                clusters:
                - name: gone
                  cluster:
                    server: https://127.0.0.1:9
                contexts:
                - name: gone
                  context: {cluster: gone, user: nobody}
                users:
                - name: nobody
                  user: {token: nothing}
                current-context: gone
                """) + ":" + world.session.kubeconfigPath
        #expect(try await Self.complete(offline, "expose", "svc/").values.isEmpty, "the first file's context is current: unreachable")
        #expect(try await Self.complete(offline, "expose", "--context", "agw-sandbox", "svc/").values == ["svc/frontend"])
        #expect(Set(try await Self.complete(offline, "expose", "--context", "").values) == ["agw-sandbox", "gone"])

        #expect(try await Self.complete(environment, "status", "").values.isEmpty, "nothing is exposed yet")
        #expect(try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes").status == 0)
        #expect(try await Self.complete(environment, "status", "").values == ["frontend"])
        #expect(try await Self.complete(environment, "unexpose", "svc/").values == ["svc/frontend"])
        #expect(try await Self.complete(environment, "unexpose", "-n", "shop", "svc/").values.isEmpty)
    }

    @Test("--gateway: the first TAB fills the cache in the background, later ones answer from it without asking Azure")
    func gatewaysFromCache() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        let environment = try Self.environment(world)
        var first: [String] = []
        for _ in 0..<20 where first.isEmpty {
            first = try await Self.complete(environment, "expose", "--gateway", "").values
        }
        #expect(first == ["mygw"])
        let file = try #require(
            try FileManager.default.contentsOfDirectory(atPath: world.home.path + "/.cache/kubectl-agw").first { $0.hasSuffix(".json") })
        let attributes = try FileManager.default.attributesOfItem(atPath: world.home.path + "/.cache/kubectl-agw/" + file)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        await world.session.azure.azure.clearRequests()
        #expect(try await Self.complete(environment, "expose", "--gateway", "m").values == ["mygw"])
        #expect(try await Self.complete(environment, "expose", "-g", "").values == [SandboxSession.resourceGroup])
        #expect(await world.session.azure.azure.requests.isEmpty, "answered from the cache")
    }

    @Test("an exec credential plugin that would wait for a person is cut off: no candidates, exit 0, no prompt, not left running")
    func execPluginNeverPrompts() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        var environment = try Self.environment(world)
        environment["KUBECTL_AGW_COMPLETION_TIMEOUT"] = nil  // the default second
        let pidFile = world.home.path + "/plugin.pid"
        let plugin = try world.home.script(
            "bin/slow-login", "echo $$ > \(pidFile)\necho 'To sign in, open https://microsoft.com/devicelogin' >&2\nexec sleep 30")
        let kubeconfig = try String(contentsOfFile: world.session.kubeconfigPath, encoding: .utf8)
        let tokenLine = try #require(kubeconfig.split(separator: "\n").first { $0.contains("token:") })
        environment["KUBECONFIG"] = try world.home.write(
            "exec.yaml",
            kubeconfig.replacingOccurrences(
                of: String(tokenLine),
                with: """
                        exec:
                          apiVersion: client.authentication.k8s.io/v1
                          command: \(plugin)
                          interactiveMode: IfAvailable
                    """))
        // What kubectl runs for `kubectl agw expose svc/<TAB>` (kubectl 1.32 itself also runs the plugin for its
        // own setup and waits for it, so the completer is called directly here, the way kubectl calls it).
        let started = ContinuousClock.now
        let result = try await ChildProcess.run(
            BuiltProducts.searchPath(withCompleterIn: world.home.path + "/bin").split(separator: ":")[0] + "/kubectl_complete-agw",
            ["expose", "svc/"], environment: environment)
        #expect(ContinuousClock.now - started < .seconds(15), "completion does not wait for the plugin's 30 s")
        #expect(result.status == 0)
        #expect(result.stdout == ":4\n", "\(result.stdout)")
        #expect(!result.stdout.contains("devicelogin") && !result.stderr.contains("devicelogin"), "the plugin's prompt never shows")
        let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        try await Task.sleep(for: .milliseconds(200))
        // Gone, or a zombie waiting for whoever inherited it (a container's PID 1 may never reap it).
        let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: ")").last?
            .split(separator: " ").first
        #expect(state == nil || state == "Z", "the plugin ended with the completion (state \(state.map(String.init) ?? "gone"))")
    }

    @Test("a cluster that never answers: no candidates, exit 0, within the one-second budget")
    func unreachableWithinBudget() async throws {
        let home = try TemporaryDirectory()
        // A listener that accepts connections and never says a word, as a black-holed VPN does.
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(silent, $0, length) == 0 && listen(silent, 16) == 0 && getsockname(silent, $0, &length) == 0
            }
        }
        try #require(listening)
        let kubeconfig = try home.write(
            "config",
            """
            apiVersion: v1
            kind: Config
            clusters:
            - name: silent
              cluster: {server: "https://127.0.0.1:\(UInt16(bigEndian: address.sin_port))", insecure-skip-tls-verify: true}
            contexts:
            - name: silent
              context: {cluster: silent, user: someone}
            users:
            - name: someone
              user: {token: anything}
            current-context: silent
            """)
        let environment = [
            "HOME": home.path, "KUBECONFIG": kubeconfig, "PATH": try BuiltProducts.searchPath(withCompleterIn: home.path + "/bin"),
        ]
        let completer = home.path + "/bin/kubectl_complete-agw"
        for words in [["expose", "svc/"], ["expose", "-n", ""], ["status", ""]] {
            let started = ContinuousClock.now
            let result = try await ChildProcess.run(completer, words, environment: environment, timeout: .seconds(30))
            let took = ContinuousClock.now - started
            #expect(result.status == 0 && result.stdout == ":4\n" && result.stderr.isEmpty, "\(words): \(result.stdout)\(result.stderr)")
            #expect(took < .seconds(5), "\(words) answered after \(took), not at its one-second budget")
        }
    }

    @Test("the scripts in completions/ are what 'kubectl agw completion SHELL' prints")
    func scriptsSnapshot() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("completions")
        for (shell, file) in [
            ("bash", "kubectl-agw.bash"), ("zsh", "_kubectl-agw"), ("fish", "kubectl-agw.fish"), ("powershell", "kubectl-agw.ps1"),
        ] {
            let printed = try await world.agw("completion", shell)
            #expect(printed.status == 0)
            let stored = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            #expect(printed.stdout == stored, "completions/\(file) is stale: run 'kubectl-agw completion \(shell) > completions/\(file)'")
        }
        let bad = try await world.agw("completion", "tcsh")
        #expect(bad.status == 1 && bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
    }

    @Test("the bash and fish scripts complete kubectl-agw run directly; the zsh one parses and registers")
    func scriptsWork() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        let environment = try Self.environment(world)
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("completions").path
        let bash = try await ChildProcess.run(
            "bash",
            [
                "-c",
                """
                source \(folder)/kubectl-agw.bash
                for line in 'kubectl-agw expose svc/f' 'kubectl-agw expose --output=j' 'kubectl-agw st'; do
                  COMP_LINE="$line"; COMP_POINT=${#COMP_LINE}; COMPREPLY=(); _kubectl_agw; printf '%s\\n' "${COMPREPLY[@]}"
                done
                """,
            ], environment: environment)
        #expect(bash.stdout.split(separator: "\n") == ["svc/frontend", "json", "status"], "\(bash.stdout)\(bash.stderr)")

        let fish = try await ChildProcess.run(
            "fish",
            ["-c", "source \(folder)/kubectl-agw.fish; complete -C 'kubectl-agw expose svc/f'; complete -C 'kubectl-agw expose -o '"],
            environment: environment)
        #expect(
            fish.stdout.split(separator: "\n").map { String($0.split(separator: "\t").first ?? "") }
                == ["svc/frontend", "json", "table", "wide", "yaml"] || fish.stdout.contains("svc/frontend"),
            "\(fish.stdout)\(fish.stderr)")
        #expect(fish.stdout.contains("yaml"))

        let zsh = try await ChildProcess.run(
            "zsh",
            [
                "-c",
                "autoload -Uz compinit && compinit -u -d \(world.home.path)/zcompdump; source \(folder)/_kubectl-agw; print -r -- $_comps[kubectl-agw]",
            ],
            environment: environment)
        #expect(zsh.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "_kubectl_agw", "\(zsh.stdout)\(zsh.stderr)")
    }
}
