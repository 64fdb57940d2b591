import ArgumentParser
import Foundation
import Shared

/// `kubectl agw version`: the tool's version and, like kubectl, the cluster's.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the kubectl-agw version and the cluster's Kubernetes version.",
        discussion: """
            Prints the client version first, then asks the API server of the current context for its version, \
            as 'kubectl version' does. Use --client to skip the server.

            Examples:
              kubectl agw version
              kubectl agw version --client
              kubectl agw version -o json --context prod
            """)

    @Flag(help: "Print only the client version; do not contact the cluster.")
    var client = false

    @Option(name: [.customShort("o"), .long], help: "Output format: text or json.")
    var output: VersionFormat = .text

    @OptionGroup(title: "Cluster connection (kubectl's flags)")
    var kube: KubeFlags

    func run() async throws {
        var serverVersion: String?
        var failure: (any Error)?
        if !client {
            do {
                serverVersion = try await kube.client().serverVersion()
            } catch {
                failure = error
            }
        }
        let report = VersionReport(client: Version.current, platform: UserAgent.platform, server: serverVersion)
        print(output == .json ? report.json.prettyPrinted() : report.text)
        if let failure { throw failure }
    }
}

/// `-o` values for version.
enum VersionFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
