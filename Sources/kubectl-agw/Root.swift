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
              kubectl agw version
              kubectl agw version --client -o json
            """,
        version: Version.current,
        subcommands: [ExposeCommand.self, StatusCommand.self, UnexposeCommand.self, VersionCommand.self])

    /// Runs the command line; every failure prints one line on stderr and exits 1, as kubectl does.
    static func main() async {
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
