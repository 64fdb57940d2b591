import ArgumentParser
import Foundation
import Shared

/// `kubectl agw unexpose`: takes Services off their gateway, removing exactly what expose created.
struct UnexposeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unexpose",
        abstract: "Take Services off their Application Gateway, removing exactly what expose created.",
        discussion: """
            Reads each Service's kubectl-agw.io annotations to learn its gateway and the entries the tool created \
            there, then sends one update per gateway that removes them: the rule, listener, pool, HTTP settings and \
            probe, a path rule from a shared path map (the map and its listener go with the last one), and a frontend \
            port the tool created once nothing uses it. A portal-default route that expose took over gets its \
            original HTTP settings and pool addresses back. Nothing else on the gateway changes. Then the \
            annotations are removed. Everything is validated first, the gateway is backed up before it is changed \
            and checked after; running the same command again changes nothing.

            The Service stays on its internal load balancer: turning it public would put it on the internet without \
            the gateway's WAF. --restore-public does that on explicit request, after asking (or with --yes).

            Examples:
              kubectl agw unexpose svc/frontend
              kubectl agw unexpose web api -n shop --dry-run
              kubectl agw unexpose svc/web --gateway mygw -o json
              kubectl agw unexpose svc/web --restore-public --yes
            """)

    @Argument(help: "Services: svc/NAME, service/NAME or NAME (several allowed).")
    var targets: [String] = []

    @Option(help: "Only act if the Services are exposed on this gateway (name or resource ID).")
    var gateway: String?

    @Flag(name: .customLong("restore-public"), help: "Also remove the internal annotation, so the Service gets a public IP again.")
    var restorePublic = false

    @Option(help: "How long to wait for the gateway update (e.g. 10m, 90s).")
    var timeout: String = "10m"

    @Flag(name: .customLong("dry-run"), help: "Print the Service patches and the gateway diff; write nothing.")
    var dryRun = false

    @Flag(name: .customLong("no-wait"), help: "Return once the gateway update is accepted.")
    var noWait = false

    @Flag(name: [.customShort("y"), .long], help: "Do not ask before --restore-public makes a Service public.")
    var yes = false

    @Option(name: [.customShort("o"), .long], help: "Output format: table, wide, json or yaml.")
    var output: OutputFormat = .table

    @OptionGroup(title: "Azure")
    var azure: AzureFlags

    @OptionGroup(title: "Cluster connection (kubectl's flags)")
    var kube: KubeFlags

    func run() async throws {
        let timeoutValue = try Inputs.timeout(timeout)
        let references = try Inputs.services(targets)
        let connections = try Connections(kube: kube, azure: azure)
        let options = UnexposeOptions(
            targets: references, namespace: connections.rest.namespace, gateway: gateway, restorePublic: restorePublic, yes: yes,
            dryRun: dryRun, noWait: noWait, timeout: timeoutValue)
        try options.validate()
        let azureEnvironment = try connections.azure()
        let executor = UnexposeExecutor(
            kube: connections.kubernetes, arm: azureEnvironment.arm, progress: StderrProgress(environment: connections.environment),
            backups: BackupStore(environment: connections.environment), confirm: Terminal.confirm)
        if dryRun {
            print(Render.unexposePreview(try await executor.preview(options), format: output))
            return
        }
        print(Render.unexpose(try await executor.run(options), format: output))
    }
}
