import Foundation
import Sandbox
import Shared
import TestSupport
import Testing

@Suite("the sandbox as a user meets it")
struct SandboxSessionTests {
    @Test("its environment alone lets the client find the cluster, the custom cloud, the subscription and mygw")
    func environmentIsEnough() async throws {
        let state = try TemporaryDirectory()
        let session = try await SandboxSession.start(
            stateDirectory: state.path + "/sandbox", loadBalancerDelay: .milliseconds(100),
            operationDuration: .milliseconds(100))
        defer { Task { await session.stop() } }
        var environment = session.environment
        environment["HOME"] = state.path
        environment["PATH"] = "/usr/bin:/bin"

        let rest = try ClientConfigResolver(environment: environment).resolve(KubeOverrides())
        let frontend = try await KubernetesClient(config: rest).getService(namespace: "default", name: "frontend")
        #expect(frontend.type == "LoadBalancer")

        let azure = try AzureEnvironment.resolve(AzureOptions(), environment: environment)
        #expect(azure.cloud.name == AzureEndpoint.cloudName)
        let gateway = try await GatewayLocator(arm: azure.arm, subscription: azure.subscription).locate(
            "mygw", resourceGroup: nil, operation: ARMOperation())
        #expect(gateway.skuTier == "Standard_v2")
        #expect(gateway.operationalState == "Running")

        // Files holding credentials are private to the user.
        for file in ["kubeconfig", "federated-token"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: session.stateDirectory + "/" + file)
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(file)")
        }
        #expect(!session.exportLines.contains("sandbox-federated-"), "the export lines name files, never secrets")
    }

    @Test("backend health in the sandbox follows the cluster: Up for a ready Service's internal IP on its readiness path")
    func backendHealthFollowsCluster() async throws {
        let state = try TemporaryDirectory()
        let session = try await SandboxSession.start(
            stateDirectory: state.path + "/sandbox", loadBalancerDelay: .milliseconds(50),
            operationDuration: .milliseconds(50))
        defer { Task { await session.stop() } }
        let api = session.kubernetes.api
        await api.cloud.settle()
        let publicIP = try #require(
            try await api.get("services", namespace: "default", name: "frontend").lookup("status.loadBalancer.ingress")?.array?.first?[
                "ip"]?.string)
        #expect(await api.probe(address: "10.224.9.9", port: 80, host: nil, path: "/healthz").health == "Down")
        #expect(await api.probe(address: publicIP, port: 80, host: nil, path: "/healthz").health == "Up")
        let wrongPath = await api.probe(address: publicIP, port: 80, host: nil, path: "/")
        #expect(wrongPath.health == "Down")
        #expect(wrongPath.log.contains("did not match the probe setting"))
        #expect(await api.probe(address: publicIP, port: 8080, host: nil, path: "/healthz").health == "Down")
    }
}
