import ArgumentParser
import Foundation
import Shared

/// `kubectl agw completion SHELL`: the completion script for `kubectl-agw` run directly.
struct CompletionScriptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print a shell completion script for kubectl-agw.",
        discussion: """
            'kubectl agw <TAB>' is completed by kubectl itself (1.26 or newer), which runs kubectl_complete-agw from \
            your PATH (install.sh puts it next to kubectl-agw). The scripts printed here complete kubectl-agw when you \
            run it directly. Both complete commands, flags (kubectl's connection flags too), Services and their ports \
            from the cluster, namespaces, contexts, and gateways and resource groups from a cache of your subscription.

            Examples:
              source <(kubectl-agw completion bash)                      # bash, this shell
              kubectl-agw completion bash > /etc/bash_completion.d/kubectl-agw
              kubectl-agw completion zsh > "${fpath[1]}/_kubectl-agw"      # zsh
              kubectl-agw completion fish > ~/.config/fish/completions/kubectl-agw.fish
              kubectl-agw completion powershell | Out-String | Invoke-Expression
            """)

    @Argument(help: "bash, zsh, fish or powershell.")
    var shell: ScriptShell

    func run() throws {
        print(CompletionScripts.script(for: shell), terminator: "")
    }
}

extension ScriptShell: ExpressibleByArgument {}

/// The hidden entry points completion uses; they never fail visibly.
enum CompletionEntry {
    /// `kubectl_complete-agw WORDS… CURRENT` (kubectl) or `kubectl-agw __complete WORDS… CURRENT` (the scripts):
    /// candidates and the directive on stdout, nothing on stderr, exit 0 whatever happens.
    static func complete(_ words: [String]) async -> Never {
        let environment = ProcessInfo.processInfo.environment
        // KUBECTL_AGW_COMPLETION_TIMEOUT (e.g. 3s) gives a slow cluster or VPN longer than the default second.
        let budget = environment["KUBECTL_AGW_COMPLETION_TIMEOUT"].flatMap(ClientConfigResolver.parseGoDuration) ?? .seconds(1)
        let completer = Completer(sources: .live(environment: environment, executable: executablePath, budget: budget), budget: budget)
        let answer = await completer.complete(words.isEmpty ? [""] : words)
        FileHandle.standardOutput.write(Data(answer.text.utf8))
        // A lookup cut off at the budget may still be running an exec plugin: it ends with us.
        Subprocess.killRunningChildren()
        exit(0)
    }

    /// `kubectl-agw __refresh-gateways --subscription ID [--cloud NAME]`, started detached by completion.
    static func refreshGateways(_ arguments: [String]) async -> Never {
        func value(_ flag: String) -> String? {
            arguments.firstIndex(of: flag).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
        }
        let options = AzureOptions(subscription: value("--subscription"), cloud: value("--cloud"))
        do {
            try await GatewayCacheRefresh.run(options, environment: ProcessInfo.processInfo.environment)
            exit(0)
        } catch {
            exit(1)
        }
    }

    /// This binary, wherever the link that started it lives (the refresh runs it again).
    static var executablePath: String? {
        let resolved = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        return FileManager.default.isExecutableFile(atPath: resolved) ? resolved : nil
    }
}
