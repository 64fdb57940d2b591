import ArgumentParser
import Foundation
import Shared

/// `kubectl agw`: the root command. Only parses and wires; the work is in Shared.
@main
struct Root: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubectl agw",
        abstract: "Put AKS Services behind an Azure Application Gateway through an internal load balancer.",
        discussion: """
            kubectl-agw is a kubectl plugin. Run it as 'kubectl agw <command>' (or 'kubectl-agw <command>'). \
            It reads your kubeconfig exactly as kubectl does and accepts kubectl's connection flags \
            (--kubeconfig, --context, -n, ...) after the command name.

            Examples:
              kubectl agw expose svc/frontend --gateway mygw
              kubectl agw status -A
              kubectl agw unexpose svc/frontend
              kubectl agw version --client -o json
              source <(kubectl-agw completion bash)
            """,
        version: Version.current,
        subcommands: [ExposeCommand.self, StatusCommand.self, UnexposeCommand.self, VersionCommand.self, CompletionScriptCommand.self])

    /// Runs the command line; every failure prints one line on stderr and exits 1, as kubectl does.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        // kubectl (1.26+) runs kubectl_complete-agw, a link to this binary, with the words after 'agw'.
        if URL(fileURLWithPath: CommandLine.arguments.first ?? "").lastPathComponent.hasPrefix("kubectl_complete-") {
            await CompletionEntry.complete(arguments)
        }
        switch arguments.first {
        case "__complete": await CompletionEntry.complete(Array(arguments.dropFirst()))
        case "__refresh-gateways": await CompletionEntry.refreshGateways(Array(arguments.dropFirst()))
        default: break
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help and --version are not failures.
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let line = ErrorText.line(
                for: error, fallback: ErrorText.usageLine(message: message(for: error), fullMessage: fullMessage(for: error)))
            FileHandle.standardError.write(Data((line + "\n").utf8))
            Foundation.exit(1)
        }
    }
}
