import Foundation
import Sandbox
import TestSupport
import Testing

/// `kubectl agw expose` run through the real kubectl against the sandbox (local cluster and local Azure).
@Suite("kubectl agw expose end to end")
struct ExposeTests {
    /// A sandbox and the environment a user would have after `agw-sandbox up`.
    struct World {
        let session: SandboxSession
        let home: TemporaryDirectory

        static func start() async throws -> World {
            let home = try TemporaryDirectory()
            let session = try await SandboxSession.start(
                stateDirectory: home.path + "/sandbox", loadBalancerDelay: .milliseconds(300),
                operationDuration: .milliseconds(300))
            return World(session: session, home: home)
        }

        var environment: [String: String] {
            var environment = session.environment
            environment["HOME"] = home.path
            environment["PATH"] = BuiltProducts.searchPath
            return environment
        }

        func agw(_ arguments: String...) async throws -> ProcessResult {
            try await ChildProcess.run("kubectl", ["agw"] + arguments, environment: environment, timeout: .seconds(120))
        }

        var gatewayID: String {
            get async {
                let subscription = await session.azure.azure.subscriptionIDs.first ?? ""
                return
                    "/subscriptions/\(subscription)/resourceGroups/\(SandboxSession.resourceGroup)/providers/Microsoft.Network/applicationGateways/mygw"
            }
        }

        var gatewayWrites: Int { get async { await session.azure.azure.requests.filter { $0.method == "PUT" }.count } }
        var serviceWrites: Int {
            get async { await session.kubernetes.api.requests.filter { $0.method == "PATCH" || $0.method == "PUT" }.count }
        }
    }

    static func items(_ output: String) throws -> [Value] {
        try Value.decode(Data(output.utf8))["items"]?.array ?? []
    }

    @Test("the portal-default gateway: frontend is exposed, verified Up, and a second run writes nothing")
    func exposeAndRepeat() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        let first = try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes", "-o", "json")
        #expect(first.status == 0, "\(first.stderr)")
        let item = try #require(try Self.items(first.stdout).first)
        #expect(item["service"]?.string == "frontend" && item["namespace"]?.string == "default")
        let ip = try #require(item["ip"]?.string)
        #expect(ip.hasPrefix("10.224."), "a private IP, never the public one")
        #expect(item["health"]?.string == "Up")
        #expect(item["changed"]?.bool == true)
        #expect(item["gateway"]?.string?.lowercased() == (await world.gatewayID).lowercased())
        #expect(item.lookup("listener.port")?.int == 80)
        #expect(await world.gatewayWrites == 1, "one gateway update")
        #expect(first.stderr.contains("backup of the gateway before the change"))

        let gateway = try #require(await world.session.azure.azure.gateway(await world.gatewayID))
        let pool = (gateway.lookup("properties.backendAddressPools")?.array ?? []).first { $0["name"]?.string == "defaultBackendPool" }
        #expect(pool?.lookup("properties.backendAddresses")?.array?.first?["ipAddress"]?.string == ip)

        let writesBefore = await world.serviceWrites
        let second = try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "-o", "json")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try Self.items(second.stdout).first?["changed"]?.bool == false)
        #expect(await world.gatewayWrites == 1, "the second run PUTs nothing")
        #expect(await world.serviceWrites == writesBefore, "and patches nothing")
        #expect(second.stderr.contains("unchanged"))
    }

    @Test("a typo in the gateway or the Service writes nothing and says which input is wrong")
    func typosWriteNothing() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        let badGateway = try await world.agw("expose", "svc/frontend", "--gateway", "mygq", "--yes")
        #expect(badGateway.status == 1)
        #expect(badGateway.stderr.contains("no Application Gateway named 'mygq'"), "\(badGateway.stderr)")
        let badService = try await world.agw("expose", "svc/frontnd", "--gateway", "mygw", "--yes")
        #expect(badService.status == 1)
        #expect(badService.stderr.contains(#"Error from server (NotFound): services "frontnd" not found"#), "\(badService.stderr)")
        let badKind = try await world.agw("expose", "deploy/frontend", "--gateway", "mygw")
        #expect(badKind.status == 1)
        #expect(badKind.stderr.split(separator: "\n").count == 1)
        #expect(await world.gatewayWrites == 0)
        #expect(await world.serviceWrites == 0)
    }

    @Test("a public Service is not switched without --yes when nobody can be asked")
    func publicNeedsYes() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        await world.session.kubernetes.api.cloud.settle()
        let result = try await world.agw("expose", "svc/frontend", "--gateway", "mygw")
        #expect(result.status == 1)
        #expect(result.stderr.contains("--yes"), "\(result.stderr)")
        #expect(await world.serviceWrites == 0)
        #expect(await world.gatewayWrites == 0)
    }

    @Test("--dry-run prints the Service patch and the gateway diff and writes nothing")
    func dryRun() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        let result = try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--dry-run")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Service default/frontend: merge patch"))
        #expect(result.stdout.contains("service.beta.kubernetes.io/azure-load-balancer-internal"))
        #expect(result.stdout.contains("~ backendAddressPools/defaultBackendPool"))
        #expect(result.stdout.contains("Dry run: nothing was written."))
        #expect(await world.serviceWrites == 0)
        #expect(await world.gatewayWrites == 0)
    }
}
