import Foundation
import Sandbox
import TestSupport
import Testing

/// `kubectl agw status` through the real kubectl against the sandbox.
@Suite("kubectl agw status end to end")
struct StatusTests {
    typealias World = ExposeTests.World

    static func exposed() async throws -> World {
        let world = try await World.start()
        let result = try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes")
        #expect(result.status == 0, "\(result.stderr)")
        return world
    }

    static func item(_ world: World, _ arguments: String...) async throws -> Value? {
        let result = try await world.agw(["status", "-o", "json"] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        return try ExposeTests.items(result.stdout).first
    }

    @Test("an exposed Service is listed in sync and Up, with one read and one health query of its gateway")
    func inSync() async throws {
        let world = try await Self.exposed()
        defer { Task { await world.session.stop() } }
        await world.session.azure.azure.clearRequests()
        let table = try await world.agw("status")
        #expect(table.status == 0, "\(table.stderr)")
        let header = table.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(header.hasPrefix("NAMESPACE") && header.contains("HEALTH") && header.contains("SYNC"))
        #expect(table.stdout.contains("frontend") && table.stdout.contains("Up") && table.stdout.contains("InSync"))
        let gets = await world.session.azure.azure.requests.filter {
            $0.method == "GET" && $0.path.lowercased().hasSuffix("applicationgateways/mygw")
        }
        let posts = await world.session.azure.azure.requests.filter { $0.method == "POST" }
        #expect(gets.count == 1 && posts.count == 1)
        let item = try #require(try await Self.item(world))
        #expect(item["inSync"]?.bool == true)
        #expect(item["problems"]?.array?.isEmpty == true)
        #expect(item["health"]?.string == "Up")
    }

    @Test("drift: a pool holding another address is explained with the command that repairs it, and expose repairs it")
    func poolDrift() async throws {
        let world = try await Self.exposed()
        defer { Task { await world.session.stop() } }
        await world.session.azure.azure.updateGateway(await world.gatewayID) { gateway in
            var changed = gateway
            let pools = (changed.lookup("properties.backendAddressPools")?.array ?? []).map { pool -> Value in
                var pool = pool
                pool.set(["properties", "backendAddresses"], [["ipAddress": "10.224.9.9"]])
                return pool
            }
            changed.set(["properties", "backendAddressPools"], .array(pools))
            return changed
        }
        let item = try #require(try await Self.item(world))
        #expect(item["inSync"]?.bool == false)
        let problems = (item["problems"]?.array ?? []).compactMap(\.string)
        #expect(
            problems.contains { $0.contains("holds 10.224.9.9") && $0.contains("kubectl agw expose svc/frontend -n default") },
            "\(problems)")
        #expect(item["health"]?.string == "Unknown" || item["health"]?.string == "Down")
        let repair = try await world.agw("expose", "svc/frontend", "--gateway", "mygw")
        #expect(repair.status == 0, "\(repair.stderr)")
        #expect(try await Self.item(world)?["inSync"]?.bool == true)
    }

    @Test("drift: an owned entry deleted by someone else, a lost annotation, a deleted gateway")
    func otherDrift() async throws {
        let world = try await Self.exposed()
        defer { Task { await world.session.stop() } }
        await world.session.azure.azure.updateGateway(await world.gatewayID) { gateway in
            var changed = gateway
            changed.set(["properties", "probes"], [])
            return changed
        }
        var problems = (try await Self.item(world)?["problems"]?.array ?? []).compactMap(\.string)
        #expect(problems.contains { $0.hasPrefix("probes/agw-") && $0.contains("missing from the gateway") }, "\(problems)")

        _ = try await ChildProcess.run(
            "kubectl", ["annotate", "svc", "frontend", "service.beta.kubernetes.io/azure-load-balancer-internal-"],
            environment: world.environment)
        problems = (try await Self.item(world)?["problems"]?.array ?? []).compactMap(\.string)
        #expect(problems.contains { $0.contains("lost its internal annotation") }, "\(problems)")

        await world.session.azure.azure.deleteGateway(await world.gatewayID)
        let gone = try #require(try await Self.item(world))
        #expect((gone["problems"]?.array ?? []).compactMap(\.string).contains { $0.contains("no longer exists") })
        #expect(gone["inSync"]?.bool == false)
    }

    @Test("-A finds exposed Services in every namespace; without it only the current one")
    func allNamespaces() async throws {
        let world = try await Self.exposed()
        defer { Task { await world.session.stop() } }
        let api = world.session.kubernetes.api
        try await api.create("namespaces", namespace: "", ["metadata": ["name": "shop"]])
        try await SandboxSession.createApp(in: api, name: "web", namespace: "shop")
        let second = try await world.agw("expose", "svc/web", "-n", "shop", "--gateway", "mygw", "--hostname", "web.example.com")
        #expect(second.status == 0, "\(second.stderr)")
        let all = try ExposeTests.items(try await world.agw("status", "-A", "-o", "json").stdout)
        #expect(all.compactMap { $0["namespace"]?.string } == ["default", "shop"])
        #expect(all.allSatisfy { $0["health"]?.string == "Up" && $0["inSync"]?.bool == true }, "\(all)")
        let current = try ExposeTests.items(try await world.agw("status", "-o", "json").stdout)
        #expect(current.compactMap { $0["service"]?.string } == ["frontend"])
    }

    @Test("a probe the app fails is Down with the probe log and advice")
    func downExplained() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        _ = try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes", "--probe-path", "/nope")
        let table = try await world.agw("status")
        #expect(table.stdout.contains("Down"))
        #expect(table.stdout.contains("did not match the probe setting"))
        #expect(table.stdout.contains("what to check"))
    }
}

extension StatusTests {
    @Test("Unknown health (the gateway subnet blocks its probes) is explained with the NSG rule to add")
    func unknownExplained() async throws {
        let world = try await Self.exposed()
        defer { Task { await world.session.stop() } }
        // The gateway subnet's NSG now drops the gateway's own management traffic: probes cannot run.
        await world.session.azure.azure.setProber { _, _, _, _ in
            ProbeResult(
                health: "Unknown", log: "Unable to retrieve health status; the gateway's subnet blocks traffic on ports 65200-65535.")
        }
        let item = try #require(try await Self.item(world))
        #expect(item["health"]?.string == "Unknown")
        #expect(item["advice"]?.string?.contains("GatewayManager on TCP 65200-65535") == true, "\(item)")
        #expect(item["inSync"]?.bool == true, "health is not drift")
    }
}

extension StatusTests {
    @Test("Partial health (some gateway instances reach the backend, some do not) is explained")
    func partialExplained() async throws {
        let world = try await Self.exposed()
        defer { Task { await world.session.stop() } }
        await world.session.azure.azure.setProber { _, _, _, _ in
            ProbeResult(health: "Partial", log: "Success on 1 of 2 instances. Received 200 status code")
        }
        let item = try #require(try await Self.item(world))
        #expect(item["health"]?.string == "Partial")
        #expect(item["healthProbeLog"]?.string?.contains("1 of 2 instances") == true)
        #expect(item["advice"]?.string?.contains("part of the gateway subnet") == true, "\(item)")
        let table = try await world.agw("status")
        #expect(table.stdout.contains("Partial") && table.stdout.contains("what to check:"), "\(table.stdout)")
    }

    @Test("drift: settings edited by someone else (another port), a public IP, a stopped gateway")
    func editedAndPublic() async throws {
        let world = try await Self.exposed()
        defer { Task { await world.session.stop() } }
        await world.session.azure.azure.updateGateway(await world.gatewayID) { gateway in
            var changed = gateway
            let settings = (changed.lookup("properties.backendHttpSettingsCollection")?.array ?? []).map { entry -> Value in
                var entry = entry
                if entry["name"]?.string?.hasPrefix("agw-") == true { entry.set(["properties", "port"], 8443) }
                return entry
            }
            changed.set(["properties", "backendHttpSettingsCollection"], .array(settings))
            changed.set(["properties", "operationalState"], "Stopped")
            return changed
        }
        var item = try #require(try await Self.item(world))
        var problems = (item["problems"]?.array ?? []).compactMap(\.string)
        #expect(problems.contains { $0.contains("were changed to port 8443 (the Service port is 80)") }, "\(problems)")
        #expect(problems.contains { $0.contains("the gateway is Stopped") }, "\(problems)")
        #expect(item["gatewayState"]?.string == "Stopped/Succeeded")

        // Someone turns the Service public by hand: the annotation goes, Azure gives it a public IP.
        _ = try await ChildProcess.run(
            "kubectl", ["annotate", "svc", "frontend", "service.beta.kubernetes.io/azure-load-balancer-internal=false", "--overwrite"],
            environment: world.environment)
        await world.session.kubernetes.api.cloud.settle()
        item = try #require(try await Self.item(world))
        problems = (item["problems"]?.array ?? []).compactMap(\.string)
        #expect(
            problems.contains { $0.contains("the Service has the public IP") && $0.contains("kubectl agw expose svc/frontend") },
            "\(problems)")
        #expect(item["inSync"]?.bool == false)
    }

    @Test("--no-health reads the gateway once and asks it nothing; health shows NotChecked")
    func noHealth() async throws {
        let world = try await Self.exposed()
        defer { Task { await world.session.stop() } }
        await world.session.azure.azure.clearRequests()
        let item = try #require(try await Self.item(world, "--no-health"))
        #expect(item["health"]?.string == "NotChecked")
        #expect(item["inSync"]?.bool == true)
        #expect(await world.session.azure.azure.requests.filter { $0.method == "POST" }.isEmpty)
        let table = try await world.agw("status", "--no-health")
        #expect(table.stdout.split(separator: "\n").count == 2, "a clean report has no notes: \(table.stdout)")
    }
}
