import Foundation
import Sandbox
import TestSupport
import Testing

/// What a new user sees in the sandbox before running anything, judged by the real kubectl.
@Suite("the sandbox's seed through kubectl")
struct SandboxSeedTests {
    typealias World = ExposeTests.World

    func kubectl(_ world: World, _ arguments: String...) async throws -> ProcessResult {
        let result = try await ChildProcess.run("kubectl", arguments, environment: world.environment, timeout: .seconds(30))
        #expect(result.status == 0, "\(result.stderr)")
        return result
    }

    @Test("a frontend Deployment with two ready pods behind a public LoadBalancer Service")
    func frontend() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        await world.session.kubernetes.api.cloud.settle()
        let deployments = try await kubectl(world, "get", "deploy")
        let row = deployments.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(row.first == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], "\(deployments.stdout)")
        #expect(row.dropFirst().first?.prefix(4) == ["frontend", "2/2", "2", "2"], "\(deployments.stdout)")
        let json = try Value.decode(Data(try await kubectl(world, "get", "deployment", "frontend", "-o", "json").stdout.utf8))
        #expect(json["apiVersion"]?.string == "apps/v1" && json["kind"]?.string == "Deployment")
        #expect(json.lookup("spec.selector.matchLabels.app")?.string == "frontend")
        let resources = try await kubectl(world, "api-resources", "--api-group=apps", "-o", "name")
        #expect(resources.stdout.split(separator: "\n").contains("deployments.apps"), "\(resources.stdout)")
        let pods = try await kubectl(world, "get", "pods", "-l", "app=frontend", "-o", "name")
        #expect(pods.stdout.split(separator: "\n").count == 2)
        let service = try await kubectl(world, "get", "svc", "frontend", "-o", "jsonpath={.spec.type} {.status.loadBalancer.ingress[0].ip}")
        let parts = service.stdout.split(separator: " ").map(String.init)
        #expect(parts.first == "LoadBalancer" && parts.last.map { !$0.hasPrefix("10.") } == true, "public at first: \(service.stdout)")
    }
}
