import ArgumentParser
import Foundation
import Shared

/// `kubectl agw expose`: a Service behind the gateway, through an internal load balancer, in one command.
struct ExposeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expose",
        abstract: "Put Services behind an Application Gateway through an internal load balancer, and check the gateway reaches them.",
        discussion: """
            For each Service: one merge patch makes it an internal LoadBalancer (annotation \
            service.beta.kubernetes.io/azure-load-balancer-internal: "true") and records what the tool owns; then \
            kubectl-agw watches it until Azure gives it a private IP. Then one gateway update adds, per Service, a \
            backend pool with that IP, HTTP settings on the Service port, a custom probe (the pods' readiness path, \
            status 200-399), a listener and a routing rule. Everything is validated before anything is written; the \
            gateway is backed up before it is changed; the result is verified and the gateway is asked for backend \
            health. Running the same command again changes nothing.

            Examples:
              kubectl agw expose svc/frontend --gateway mygw
              kubectl agw expose svc/web --gateway mygw --hostname web.example.com -n shop
              kubectl agw expose web api admin --gateway mygw --path '/{service}' --frontend-port 8080
              kubectl agw expose svc/web --gateway /subscriptions/…/applicationGateways/mygw --dry-run
              kubectl agw expose svc/web -g network-rg --gateway mygw --backend-pool existing-pool -o json
            """)

    @Argument(help: "Services: svc/NAME, service/NAME or NAME (several allowed).")
    var targets: [String] = []

    @Option(help: "The gateway: its name, or its full resource ID.")
    var gateway: String

    @Option(name: [.customShort("g"), .long], help: "The gateway's resource group (default: found by name in the subscription).")
    var resourceGroup: String?

    @Option(help: "The Service port, by name or number (default: its only TCP port).")
    var port: String?

    @Option(help: "Which frontend IP configuration the listener uses: public or private (default: public when the gateway has one).")
    var frontend: FrontendChoice?

    @Option(name: .customLong("frontend-port"), help: "The gateway port to listen on.")
    var frontendPort: Int = 80

    @Option(help: "Host name for a multi-site listener; {service} and {namespace} are replaced per Service.")
    var hostname: String?

    @Option(help: "Path prefix for path-based routing (PATH/* goes to the Service); {service} and {namespace} are replaced.")
    var path: String?

    @Option(name: .customLong("probe-path"), help: "Path the gateway probes (default: the pods' readiness path, else /).")
    var probePath: String?

    @Option(help: "Routing rule priority, 1-18999 (default: the lowest free one).")
    var priority: Int?

    @Option(help: "Subnet for the internal load balancer (annotation azure-load-balancer-internal-subnet).")
    var subnet: String?

    @Option(help: "Static private IP for the internal load balancer (annotation azure-load-balancer-ipv4).")
    var ip: String?

    @Option(name: .customLong("backend-pool"), help: "Only add the Service's IP to this existing backend pool; create nothing else.")
    var backendPool: String?

    @Option(help: "How long to wait for the IP and the gateway update (e.g. 10m, 90s).")
    var timeout: String = "10m"

    @Flag(name: .customLong("dry-run"), help: "Print the Service patch and the gateway diff; write nothing.")
    var dryRun = false

    @Flag(name: .customLong("no-wait"), help: "Return once the gateway update is accepted.")
    var noWait = false

    @Flag(name: [.customShort("y"), .long], help: "Do not ask before a public Service loses its public IP.")
    var yes = false

    @Flag(help: "Go on even if the ingress controller (AGIC) manages the gateway.")
    var force = false

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
        let rest = connections.rest
        let options = ExposeOptions(
            targets: references, namespace: rest.namespace, gateway: gateway, resourceGroup: resourceGroup, port: port,
            settings: ExposeSettings(
                frontend: frontend, frontendPort: frontendPort, priority: priority, backendPool: backendPool, force: force),
            hostName: hostname, path: path, probePath: probePath, subnet: subnet, ip: ip, timeout: timeoutValue, dryRun: dryRun,
            noWait: noWait, yes: yes)
        try options.validate()
        let azureEnvironment = try connections.azure()
        let executor = ExposeExecutor(
            kube: connections.kubernetes, arm: azureEnvironment.arm, subscription: azureEnvironment.subscription,
            naming: ResourceNaming(server: rest.server), progress: StderrProgress(environment: connections.environment),
            backups: BackupStore(environment: connections.environment), confirm: Terminal.confirm,
            gatewayCache: GatewayCache(environment: connections.environment))
        if dryRun {
            print(Render.preview(try await executor.preview(options), format: output))
            return
        }
        print(Render.expose(try await executor.run(options), format: output))
    }
}

/// Questions on the terminal; without one, nobody can answer and the answer is no.
enum Terminal {
    @Sendable static func confirm(_ question: String) async -> Bool {
        guard isatty(STDIN_FILENO) == 1, isatty(STDERR_FILENO) == 1 else { return false }
        FileHandle.standardError.write(Data(question.utf8))
        let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        return answer == "y" || answer == "yes"
    }
}
