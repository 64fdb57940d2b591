import Foundation

extension CompletionSources {
    /// The real sources: the kubeconfig as kubectl reads it (with the line's `--kubeconfig`, `--context`, `-n`, …),
    /// the cluster with every request and exec credential plugin limited to `budget` and never interactive, and
    /// the gateway cache, refreshed by a detached `kubectl-agw __refresh-gateways` when it is old or missing.
    public static func live(environment: [String: String], executable: String?, budget: Duration = .seconds(1)) -> CompletionSources {
        @Sendable func client(_ line: CompletionLine) throws -> (KubernetesClient, RESTConfig) {
            var rest = try ClientConfigResolver(environment: environment).resolve(line.kubeOverrides)
            rest.requestTimeout = budget
            let runner = ExecPluginRunner(environment: environment, allowInteractive: false, stdinIsTerminal: false, timeout: budget)
            return (KubernetesClient(config: rest, authenticator: KubeAuthenticator(config: rest, runner: runner)), rest)
        }
        let cache = GatewayCache(environment: environment)
        return CompletionSources(
            services: { line in
                let (kube, rest) = try client(line)
                let namespace = line.isSet("all-namespaces") ? nil : rest.namespace
                return try await kube.listServices(namespace: namespace, labelSelector: nil, fieldSelector: nil).items
            },
            namespaces: { line in try await client(line).0.listNamespaceNames() },
            kubeconfig: { line in try KubeconfigLoader(environment: environment).load(explicit: line.value("kubeconfig")) },
            gateways: { line in
                let config = AzureCLIConfig(environment: environment)
                guard let cloud = try? config.cloud(named: line.azureOptions.cloud),
                    let subscription = try? SubscriptionResolver(config: config, environment: environment).resolve(
                        requested: line.azureOptions.subscription, cloud: cloud)
                else { return [] }
                let contents = cache.read(subscription: subscription)
                if let contents, cache.isFresh(contents) { return contents.entries }
                if let executable, cache.claimRefresh(subscription: subscription) {
                    var arguments = ["__refresh-gateways", "--subscription", subscription]
                    if let cloudName = line.azureOptions.cloud { arguments += ["--cloud", cloudName] }
                    if !Subprocess.detach(executable, arguments: arguments, environment: environment) {
                        cache.finishRefresh(subscription: subscription)
                    }
                }
                if let contents { return contents.entries }
                // Nothing cached yet: give the refresh the budget to write its first list.
                let deadline = ContinuousClock.now.advanced(by: budget)
                while ContinuousClock.now < deadline {
                    try? await Task.sleep(for: .milliseconds(50))
                    if let fresh = cache.read(subscription: subscription) { return fresh.entries }
                }
                return []
            },
            subscriptions: { try AzureCLIConfig(environment: environment).subscriptions() },
            clouds: { try AzureCLIConfig(environment: environment).clouds().map(\.name) })
    }
}

/// `kubectl-agw __refresh-gateways`: lists the subscription's gateways and stores their names for completion.
public enum GatewayCacheRefresh {
    public static func run(_ options: AzureOptions, environment: [String: String]) async throws {
        let azure = try AzureEnvironment.resolve(options, environment: environment)
        let cache = GatewayCache(environment: environment)
        defer { cache.finishRefresh(subscription: azure.subscription) }
        let items = try await azure.arm.list(
            "/subscriptions/\(azure.subscription)/providers/Microsoft.Network/applicationGateways", operation: ARMOperation())
        cache.store(GatewayCache.entries(fromList: items), subscription: azure.subscription)
    }
}
