import ArgumentParser
import Foundation
import Shared

/// `kubectl agw status`: what is exposed where, whether it drifted, and why a backend is unhealthy.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the Services kubectl-agw exposed, their drift and their backend health.",
        discussion: """
            Finds the exposed Services from their kubectl-agw.io annotations (one Kubernetes list), reads each gateway \
            once and asks it once for backend health, all gateways at once. A Service is Drifted when its pool no longer \
            holds its internal IP, an entry the tool owns is missing or was edited, the Service lost its internal \
            annotation or got a public IP, or the gateway is gone; each problem names the command that repairs it. \
            Health is the gateway's own verdict (Up, Down, Unknown, Partial) with its probe log, in plain words.

            Examples:
              kubectl agw status
              kubectl agw status -A -o wide
              kubectl agw status svc/frontend -n shop -o json
              kubectl agw status --gateway mygw
              kubectl agw status -A --no-health
            """)

    @Argument(help: "Only these Services (svc/NAME or NAME).")
    var targets: [String] = []

    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "Look in every namespace.")
    var allNamespaces = false

    @Option(help: "Only Services on this gateway (name or resource ID).")
    var gateway: String?

    @Flag(name: .customLong("no-health"), help: "Skip the backend-health query (on Azure it takes 10-60 s); drift only.")
    var noHealth = false

    @Option(name: [.customShort("o"), .long], help: "Output format: table, wide, json or yaml.")
    var output: OutputFormat = .table

    @OptionGroup(title: "Azure")
    var azure: AzureFlags

    @OptionGroup(title: "Cluster connection (kubectl's flags)")
    var kube: KubeFlags

    func run() async throws {
        let names = try Inputs.services(targets).map(\.name)
        if allNamespaces && !names.isEmpty {
            throw ExposeError.usage("name Services together with -n NAMESPACE, not -A")
        }
        let connections = try Connections(kube: kube, azure: azure)
        let azureEnvironment = try connections.azure()
        let reader = StatusReader(
            kube: connections.kubernetes, arm: azureEnvironment.arm, subscription: azureEnvironment.subscription,
            gatewayCache: GatewayCache(environment: connections.environment))
        let items = try await reader.read(
            namespace: allNamespaces ? nil : connections.rest.namespace, names: names, gateway: gateway, withHealth: !noHealth)
        print(Render.status(items, format: output))
    }
}
