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
            try await agw(arguments)
        }

        func agw(_ arguments: [String]) async throws -> ProcessResult {
            try await ChildProcess.run("kubectl", ["agw"] + arguments, environment: environment, timeout: .seconds(120))
        }

        var gatewayID: String {
            get async {
                let subscription = await session.azure.azure.subscriptionIDs.first ?? ""
                return
                    "/subscriptions/\(subscription)/resourceGroups/\(SandboxSession.resourceGroup)/providers/Microsoft.Network/applicationGateways/mygw"
            }
        }

        /// Seeds the official Create example gateway (in a subscription of its own) and returns its ID and subscription.
        func seedCreateExample() async throws -> (id: String, subscription: String) {
            let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("SharedTests/Fixtures/arm/ApplicationGatewayCreate.json")
            let example = try Value.decode(try Data(contentsOf: fixture))
            // The example's request is the v2 gateway a user asked for (its response body says Standard_Medium and
            // drops the rule priorities); seed the request, with the id the response gives it.
            var gateway = try #require(example.lookup("parameters.parameters"))
            gateway["id"] = example.lookup("responses.200.body.id")
            gateway["name"] = example.lookup("responses.200.body.name")
            let subscription = "00000000-0000-0000-0000-000000000000"
            await session.azure.azure.addSubscription(id: subscription, name: "example")
            try await session.azure.azure.seed(gateway)
            return (try #require(gateway["id"]?.string), subscription)
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

extension ExposeTests {
    @Test("a concurrent change between our read and our write: 412, read again, and the other writer's change is kept")
    func concurrentChangeKept() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        await world.session.azure.azure.changeGatewayBeforeNextPut { gateway in
            var changed = gateway
            var pools = changed.lookup("properties.backendAddressPools")?.array ?? []
            pools.append(["name": "other-team-pool", "properties": ["backendAddresses": [["ipAddress": "10.50.0.9"]]]])
            changed.set(["properties", "backendAddressPools"], .array(pools))
            return changed
        }
        let result = try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes", "-o", "json")
        #expect(result.status == 0, "\(result.stderr)")
        let puts = await world.session.azure.azure.requests.filter { $0.method == "PUT" }
        #expect(puts.map(\.status) == [412, 200], "the stale write was refused, the re-planned one accepted")
        let gateway = try #require(await world.session.azure.azure.gateway(await world.gatewayID))
        let names = (gateway.lookup("properties.backendAddressPools")?.array ?? []).compactMap { $0["name"]?.string }
        #expect(names.contains("other-team-pool"))
        #expect(try Self.items(result.stdout).first?["health"]?.string == "Up")
    }

    @Test("429 while another operation runs: wait, read again, write once it is free")
    func busyGateway() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        await world.session.azure.azure.failNextPut(status: 429, code: "RetryableErrorDueToAnotherOperation", retryAfter: 1)
        let result = try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("RetryableErrorDueToAnotherOperation"))
        #expect(await world.session.azure.azure.requests.filter { $0.method == "PUT" }.map(\.status) == [429, 200])
    }

    @Test("a gateway update that ends Failed is reported with its code")
    func operationFails() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        await world.session.azure.azure.failNextOperation(
            code: "ApplicationGatewaySubnetCannotBeUsedByOtherResources", message: "the subnet is shared")
        let result = try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes")
        #expect(result.status == 1)
        #expect(
            result.stderr.contains(
                "(ApplicationGatewaySubnetCannotBeUsedByOtherResources) the operation ended Failed: the subnet is shared"),
            "\(result.stderr)")
    }

    @Test("SyncLoadBalancerFailed is shown and nothing goes into the gateway")
    func loadBalancerFails() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        await world.session.kubernetes.api.cloud.failLoadBalancer(namespace: "default", name: "frontend", message: "Code=\"SubnetIsFull\"")
        let result = try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes", "--timeout", "3s")
        #expect(result.status == 1)
        #expect(result.stderr.contains("SyncLoadBalancerFailed"), "shown while waiting: \(result.stderr)")
        #expect(result.stderr.contains("Azure could not create the internal load balancer for default/frontend"))
        #expect(await world.gatewayWrites == 0)
    }

    @Test("a Service that only ever gets a public IP never goes into the gateway")
    func publicOnly() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        await world.session.kubernetes.api.cloud.onlyPublic(namespace: "default", name: "frontend")
        let result = try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes", "--timeout", "3s")
        #expect(result.status == 1)
        #expect(result.stderr.contains("only got the public IP"), "\(result.stderr)")
        #expect(await world.gatewayWrites == 0)
    }

    @Test("three Services with --path: one gateway update, three routes, all Up")
    func threeServicesOnePut() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        for name in ["api", "admin"] {
            try await SandboxSession.createApp(in: world.session.kubernetes.api, name: name, readinessPath: "/ready")
        }
        let result = try await world.agw(
            "expose", "frontend", "api", "admin", "--gateway", "mygw", "--path", "/{service}", "--frontend-port", "8080",
            "--yes", "-o", "json")
        #expect(result.status == 0, "\(result.stderr)")
        let items = try Self.items(result.stdout)
        #expect(items.count == 3)
        #expect(items.allSatisfy { $0["health"]?.string == "Up" }, "\(result.stdout)")
        #expect(Set(items.compactMap { $0.lookup("listener.path")?.string }) == ["/frontend", "/api", "/admin"])
        #expect(await world.gatewayWrites == 1)
        for item in items {
            let name = item["service"]?.string ?? ""
            let ip = try await world.session.kubernetes.api.get("services", namespace: "default", name: name)
                .lookup("status.loadBalancer.ingress")?.array?.first?["ip"]?.string
            #expect(item["ip"]?.string == ip, "each item carries its own Service's IP")
            #expect(item["pool"]?.string?.contains("-default-\(name)-80-pool") == true, "and its own pool")
        }
        // All three are patched before the first IP is awaited: the load balancers are built side by side.
        let lines = result.stderr.split(separator: "\n").map(String.init)
        let lastPatch = lines.lastIndex { $0.contains("an internal load balancer") } ?? Int.max
        let firstIP = lines.firstIndex { $0.contains("has the internal IP") } ?? -1
        #expect(lastPatch < firstIP, "\(result.stderr)")
        #expect(lines.filter { $0.contains("waiting for an internal IP for") }.count == 1, "one wait for all three")
        let status = try Self.items(try await world.agw("status", "-o", "json").stdout)
        #expect(status.count == 3 && status.allSatisfy { $0["inSync"]?.bool == true }, "each annotation records its own route: \(status)")
    }

    @Test("several Services on one port without routes are refused before anything is written")
    func severalWithoutRoutes() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        let result = try await world.agw("expose", "frontend", "api", "--gateway", "mygw", "--yes")
        #expect(result.status == 1)
        #expect(result.stderr.contains("--hostname '{service}"), "\(result.stderr)")
        #expect(await world.serviceWrites == 0)
    }

    @Test("a port taken by a foreign route with real targets is refused with the ways out, before any write")
    func portConflict() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        await world.session.azure.azure.updateGateway(await world.gatewayID) { gateway in
            var changed = gateway
            let pools = (changed.lookup("properties.backendAddressPools")?.array ?? []).map { pool -> Value in
                var pool = pool
                pool.set(["properties", "backendAddresses"], [["ipAddress": "10.50.0.20"]])
                return pool
            }
            changed.set(["properties", "backendAddressPools"], .array(pools))
            return changed
        }
        let result = try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes")
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("port 80 on frontend appGwPublicFrontendIpIPv4 is already served by listener defaultListener"),
            "\(result.stderr)")
        #expect(await world.serviceWrites == 0)
        #expect(await world.gatewayWrites == 0)
    }
}

extension ExposeTests {
    @Test("the official Create example gateway: expose adds its entries and sends every foreign value back identical")
    func createExampleRoundTrip() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        let (id, subscription) = try await world.seedCreateExample()
        // Exactly what a GET of the gateway serves.
        let served = try #require(await world.session.azure.azure.gateway(id))
        let result = try await world.agw(
            "expose", "svc/frontend", "--gateway", id, "--subscription", subscription, "--hostname", "web.example.com",
            "--yes", "-o", "json")
        #expect(result.status == 0, "\(result.stderr)")
        let sent = try Value.decode(Data(try #require(await world.session.azure.azure.requests.first { $0.method == "PUT" }).body.utf8))
        func withoutOwned(_ value: Value) -> Value {
            var copy = value
            for (key, member) in value["properties"]?.object ?? [:] {
                guard case .array(let entries) = member else { continue }
                let foreign = entries.filter { !($0["name"]?.string ?? "").hasPrefix("agw-") }
                // A collection the tool created (e.g. probes on a gateway that had none) is no foreign value.
                copy.set(["properties", key], foreign.isEmpty ? nil : .array(foreign))
            }
            return copy
        }
        #expect(withoutOwned(sent) == withoutOwned(served), "every value the tool does not own went back as it was read")
        #expect(sent.lookup("properties.advancedRoutingMaps") != nil, "properties newer than our api-version survive")
        #expect((sent.lookup("properties.httpListeners")?.array ?? []).contains { $0["name"]?.string?.hasPrefix("agw-") == true })
        #expect(try Self.items(result.stdout).first?["changed"]?.bool == true)
    }
}

extension ExposeTests {
    @Test("a probe path the app does not serve is reported Down with the probe log and what to check")
    func downWithAdvice() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        let result = try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes", "--probe-path", "/does-not-exist")
        #expect(result.status == 0, "the expose itself worked: \(result.stderr)")
        #expect(result.stdout.contains("Down"))
        #expect(result.stdout.contains("did not match the probe setting"))
        #expect(result.stdout.contains("what to check:") && result.stdout.contains("--probe-path"))
    }

    @Test("re-running expose after the Service's IP changed repairs only the pool")
    func repairsMovedIP() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        let first = try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes", "-o", "json")
        #expect(first.status == 0, "\(first.stderr)")
        let before = try #require(try Self.items(first.stdout).first?["ip"]?.string)
        // The internal load balancer is rebuilt and comes back with another address.
        await world.session.kubernetes.api.cloud.reprovision(namespace: "default", name: "frontend")
        await world.session.kubernetes.api.cloud.settle()
        let moved = try #require(
            try await world.session.kubernetes.api.get("services", namespace: "default", name: "frontend")
                .lookup("status.loadBalancer.ingress")?.array?.first?["ip"]?.string)
        #expect(moved != before)
        let second = try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "-o", "json")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try Self.items(second.stdout).first?["ip"]?.string == moved)
        #expect(second.stderr.contains("~ backendAddressPools/defaultBackendPool"))
        #expect(!second.stderr.contains("+ "), "nothing new is created")
        #expect(await world.gatewayWrites == 2)
    }

    @Test("--no-wait returns once the update is accepted")
    func noWait() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        let result = try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes", "--no-wait", "-o", "json")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("not waiting"))
        #expect(try Self.items(result.stdout).first?["health"]?.string == "Unknown")
        let polls = await world.session.azure.azure.requests.filter { $0.path.contains("/operations/") }
        #expect(polls.isEmpty, "the operation was not followed")
    }
}

extension ExposeTests {
    @Test("progress: plain lines off a terminal; an animated waiting line on one, coloured unless NO_COLOR")
    func progressDisplay() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        let plain = try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes")
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stderr.contains("[") && plain.stderr.contains("s] waiting for an internal IP"), "phases carry the elapsed time")
        #expect(!plain.stderr.contains("\r") && !plain.stderr.contains("\u{1B}"), "no animation and no colour off a terminal")

        // `script` gives the command a terminal.
        await world.session.kubernetes.api.cloud.reprovision(namespace: "default", name: "frontend")
        await world.session.kubernetes.api.cloud.settle()
        let onTerminal = try await ChildProcess.run(
            "script", ["-qfec", "kubectl agw expose svc/frontend --gateway mygw --yes", "/dev/null"], environment: world.environment,
            timeout: .seconds(120))
        #expect(onTerminal.status == 0, "\(onTerminal.stdout)")
        #expect(onTerminal.stdout.contains("\r\u{1B}[2K"), "the waiting line is redrawn in place")
        #expect(onTerminal.stdout.contains("\u{1B}[36m"), "and coloured")

        await world.session.kubernetes.api.cloud.reprovision(namespace: "default", name: "frontend")
        await world.session.kubernetes.api.cloud.settle()
        var noColour = world.environment
        noColour["NO_COLOR"] = "1"
        let monochrome = try await ChildProcess.run(
            "script", ["-qfec", "kubectl agw expose svc/frontend --gateway mygw --yes", "/dev/null"], environment: noColour,
            timeout: .seconds(120))
        #expect(monochrome.status == 0, "\(monochrome.stdout)")
        #expect(!monochrome.stdout.contains("\u{1B}[36m") && !monochrome.stdout.contains("\u{1B}[2m"), "NO_COLOR turns colour off")
    }
}

extension ExposeTests {
    @Test("if a foreign entry vanished during the update, expose says so loudly and fails")
    func foreignLossReported() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        let target = "svc/frontend"
        await world.session.azure.azure.changeGatewayAfterNextPut { gateway in
            // Another writer's update lands on top of ours and drops the portal's default settings.
            var changed = gateway
            let settings = (changed.lookup("properties.backendHttpSettingsCollection")?.array ?? []).filter {
                $0["name"]?.string != "defaultHttpSetting"
            }
            changed.set(["properties", "backendHttpSettingsCollection"], .array(settings))
            return changed
        }
        let result = try await world.agw("expose", target, "--gateway", "mygw", "--yes", "--hostname", "web.example.com")
        #expect(result.status == 1)
        #expect(result.stderr.contains("no longer has backendHttpSettingsCollection/defaultHttpSetting"), "\(result.stderr)")
        #expect(result.stderr.contains("backup"))
    }
}

extension ExposeTests {
    @Test("a gateway driven by the ingress controller is refused, and with --force used with a warning")
    func ingressControllerGateway() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        await world.session.azure.azure.updateGateway(await world.gatewayID) { gateway in
            var changed = gateway
            changed["tags"] = ["managed-by-k8s-ingress": "1.7.5/abc/2025-01-01"]
            return changed
        }
        let refused = try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("managed by the Application Gateway Ingress Controller"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--force"))
        #expect(await world.serviceWrites == 0)
        let forced = try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes", "--force")
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stderr.contains("warning:") && forced.stderr.contains("deletes what kubectl-agw adds"))
    }
}
