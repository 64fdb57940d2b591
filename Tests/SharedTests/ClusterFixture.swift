import Foundation
import Sandbox
import Shared
import TestSupport

/// A local cluster and a client for it, configured through a real kubeconfig file.
struct ClusterFixture {
    let cluster: KubernetesEndpoint
    let home: TemporaryDirectory

    static let adminToken = "fixture-admin-token"

    static func start(loadBalancerDelay: Duration = .milliseconds(200), bookmarkInterval: Duration = .seconds(10)) async throws
        -> ClusterFixture
    {
        let cluster = try await KubernetesEndpoint.start(
            options: .init(
                tokens: [adminToken: "admin"], bookmarkInterval: bookmarkInterval,
                loadBalancer: LoadBalancerOptions(delay: loadBalancerDelay)))
        return ClusterFixture(cluster: cluster, home: try TemporaryDirectory())
    }

    func stop() async { await cluster.stop() }

    /// Resolves a kubeconfig with the given credential into a client, the way the tool does.
    func client(
        _ credential: KubernetesEndpoint.Credential = .token(adminToken), runner: ExecPluginRunner? = nil,
        namespace: String? = nil
    ) throws -> (KubernetesClient, KubeAuthenticator) {
        let path = try home.write(
            "kubeconfig-\(UUID().uuidString.prefix(6))", cluster.kubeconfig(credential: credential, namespace: namespace))
        var flags = KubeOverrides()
        flags.kubeconfig = path
        let config = try ClientConfigResolver(environment: ["HOME": home.path]).resolve(flags)
        let authenticator = KubeAuthenticator(config: config, runner: runner ?? ExecPluginRunner(stdinIsTerminal: false))
        return (KubernetesClient(config: config, authenticator: authenticator), authenticator)
    }

    /// A public LoadBalancer Service `name` in `default`, selecting `app=name`, port 80 → 8080.
    func createService(_ name: String = "web", annotations: [String: Value] = [:]) async throws {
        try await cluster.api.create(
            "services", namespace: "default",
            [
                "metadata": ["name": .string(name), "labels": ["app": .string(name)], "annotations": .object(annotations)],
                "spec": [
                    "type": "LoadBalancer", "selector": ["app": .string(name)],
                    "ports": [["name": "http", "port": 80, "targetPort": 8080]],
                ],
            ])
    }

    func annotate(_ name: String, _ key: String, _ value: String) async throws {
        _ = try await cluster.api.handle(
            SandboxRequest(
                method: "PATCH", path: "/api/v1/namespaces/default/services/\(name)",
                headers: ["content-type": "application/merge-patch+json", "authorization": "Bearer \(Self.adminToken)"],
                body: Value.object(["metadata": ["annotations": .object([key: .string(value)])]]).encoded()))
    }
}
