import Foundation
import Sandbox
import TestSupport
import Testing

/// `kubectl agw unexpose` through the real kubectl against the sandbox.
@Suite("kubectl agw unexpose end to end")
struct UnexposeTests {
    typealias World = ExposeTests.World

    /// A gateway as compared before and after: without its etag and its provisioning state (ARM's own), and
    /// with collections that are empty treated as absent (a collection the tool created and emptied again).
    static func comparable(_ gateway: Value) -> Value {
        var copy = withoutETags(gateway)
        copy.set(["properties", "provisioningState"], nil)
        for (key, member) in gateway["properties"]?.object ?? [:] {
            if case .array(let entries) = member, entries.isEmpty { copy.set(["properties", key], nil) }
        }
        return copy
    }

    /// ARM gives the gateway and every entry in it a new etag on each update.
    static func withoutETags(_ value: Value) -> Value {
        switch value {
        case .object(let object):
            return .object(object.filter { $0.key != "etag" }.mapValues(withoutETags))
        case .array(let items): return .array(items.map(withoutETags))
        default: return value
        }
    }

    /// The entries of every collection whose names the tool does not own, by collection.
    static func foreign(_ gateway: Value) -> [String: [Value]] {
        var result: [String: [Value]] = [:]
        for (key, member) in gateway["properties"]?.object ?? [:] {
            guard case .array(let entries) = member else { continue }
            result[key] = entries.filter { !($0["name"]?.string ?? "").hasPrefix("agw-") }
        }
        return result
    }

    static func services(_ world: World, _ names: [String]) async throws {
        for name in names {
            try await SandboxSession.createApp(in: world.session.kubernetes.api, name: name, readinessPath: "/ready")
        }
    }

    /// Gateway PUTs and Service writes so far.
    static func writes(_ world: World) async -> [Int] { [await world.gatewayWrites, await world.serviceWrites] }

    static func annotations(_ world: World, _ name: String) async throws -> [String: Value] {
        try await world.session.kubernetes.api.get("services", namespace: "default", name: name).lookup("metadata.annotations")?.object
            ?? [:]
    }

    @Test("the adopted portal-default route goes back exactly as it was; the Service stays internal; a second run writes nothing")
    func adoptedRouteRestored() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        let original = try #require(await world.session.azure.azure.gateway(await world.gatewayID))
        let exposed = try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes")
        #expect(exposed.status == 0, "\(exposed.stderr)")

        let result = try await world.agw("unexpose", "svc/frontend", "-o", "json")
        #expect(result.status == 0, "\(result.stderr)")
        let item = try #require(try ExposeTests.items(result.stdout).first)
        #expect(item["result"]?.string == "unexposed")
        #expect(
            Set((item["restored"]?.array ?? []).compactMap(\.string)) == [
                "requestRoutingRules/defaultRule", "backendAddressPools/defaultBackendPool",
            ])
        #expect((item["removed"]?.array ?? []).count == 2, "the tool's settings and probe")
        #expect(result.stderr.contains("backup of the gateway before the change"))
        let after = try #require(await world.session.azure.azure.gateway(await world.gatewayID))
        #expect(Self.comparable(after) == Self.comparable(original), "the gateway is as it was before expose")

        let annotations = try await Self.annotations(world, "frontend")
        #expect(annotations["kubectl-agw.io/gateway"] == nil && annotations["kubectl-agw.io/route"] == nil)
        #expect(annotations["service.beta.kubernetes.io/azure-load-balancer-internal"]?.string == "true", "still internal")
        let status = try await world.agw("status")
        #expect(status.stdout.contains("No exposed Services found."), "\(status.stdout)")

        let writes = await Self.writes(world)
        let again = try await world.agw("unexpose", "svc/frontend", "-o", "json")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try ExposeTests.items(again.stdout).first?["result"]?.string == "not exposed")
        #expect(await Self.writes(world) == writes, "the second run writes nothing")
    }

    @Test("one Service out of three: one update, the other two stay InSync and Up, every foreign value is identical")
    func oneOfThree() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        try await Self.services(world, ["api", "admin"])
        let exposed = try await world.agw(
            "expose", "frontend", "api", "admin", "--gateway", "mygw", "--path", "/{service}", "--frontend-port", "8080", "--yes")
        #expect(exposed.status == 0, "\(exposed.stderr)")
        let before = try #require(await world.session.azure.azure.gateway(await world.gatewayID))
        let writes = await world.gatewayWrites

        let result = try await world.agw("unexpose", "svc/api")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(await world.gatewayWrites == writes + 1, "one gateway update")
        let after = try #require(await world.session.azure.azure.gateway(await world.gatewayID))
        #expect(
            Self.foreign(Self.withoutETags(after)) == Self.foreign(Self.withoutETags(before)),
            "every entry the tool does not own is as it was")
        let names = (after.lookup("properties.backendAddressPools")?.array ?? []).compactMap { $0["name"]?.string }
        #expect(!names.contains { $0.contains("-default-api-") })
        #expect(names.contains { $0.contains("-default-admin-") } && names.contains { $0.contains("-default-frontend-") })
        for collection in ["backendAddressPools", "backendHttpSettingsCollection", "probes"] {
            let kept = { (gateway: Value) in
                (gateway.lookup("properties.\(collection)")?.array ?? []).filter { !($0["name"]?.string ?? "").contains("-default-api-") }
            }
            #expect(kept(Self.withoutETags(after)) == kept(Self.withoutETags(before)), "the other Services' \(collection) are untouched")
        }

        let status = try ExposeTests.items(try await world.agw("status", "-o", "json").stdout)
        #expect(status.compactMap { $0["service"]?.string } == ["admin", "frontend"])
        #expect(status.allSatisfy { $0["inSync"]?.bool == true && $0["health"]?.string == "Up" }, "\(status)")
    }

    @Test("the official Create example gateway: expose then unexpose returns every foreign value to its original")
    func createExampleRoundTrip() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        let (id, subscription) = try await world.seedCreateExample()
        let original = try #require(await world.session.azure.azure.gateway(id))

        let exposed = try await world.agw(
            "expose", "svc/frontend", "--gateway", id, "--subscription", subscription, "--hostname", "web.example.com",
            "--frontend-port", "8081", "--yes")
        #expect(exposed.status == 0, "\(exposed.stderr)")
        #expect(exposed.stderr.contains("+ frontendPorts/agw-"), "the tool created a frontend port: \(exposed.stderr)")
        let result = try await world.agw("unexpose", "svc/frontend", "--subscription", subscription, "-o", "json")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            (try ExposeTests.items(result.stdout).first?["removed"]?.array ?? []).compactMap(\.string).contains {
                $0.hasPrefix("frontendPorts/agw-")
            }, "the port it created goes too")
        let after = try #require(await world.session.azure.azure.gateway(id))
        #expect(Self.comparable(after) == Self.comparable(original))
        let newer = Self.withoutETags(after).lookup("properties.advancedRoutingMaps")
        #expect(newer != nil && newer == Self.withoutETags(original).lookup("properties.advancedRoutingMaps"), "newer properties too")
    }

    @Test("--dry-run prints the annotation patch and the gateway diff and writes nothing")
    func dryRun() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        #expect(try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes").status == 0)
        let writes = await Self.writes(world)
        let result = try await world.agw("unexpose", "svc/frontend", "--dry-run")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Service default/frontend: merge patch"))
        #expect(result.stdout.contains("\"kubectl-agw.io/route\": null"))
        #expect(result.stdout.contains("~ requestRoutingRules/defaultRule"))
        #expect(result.stdout.contains("- probes/agw-"))
        #expect(result.stdout.contains("Dry run: nothing was written."))
        #expect(await Self.writes(world) == writes)
    }

    @Test("--restore-public needs --yes off a terminal; with it the Service turns public again")
    func restorePublic() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        #expect(try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes").status == 0)
        let writes = await Self.writes(world)
        let refused = try await world.agw("unexpose", "svc/frontend", "--restore-public")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--yes") && refused.stderr.contains("public IP"), "\(refused.stderr)")
        #expect(
            refused.stderr.split(separator: "\n").filter { !$0.hasPrefix("[") && !$0.hasPrefix(" ") }.count == 1,
            "one error line besides the progress")
        #expect(await Self.writes(world) == writes, "nothing written")

        let result = try await world.agw("unexpose", "svc/frontend", "--restore-public", "--yes", "-o", "json")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try ExposeTests.items(result.stdout).first?["public"]?.bool == true)
        let annotations = try await Self.annotations(world, "frontend")
        #expect(annotations["service.beta.kubernetes.io/azure-load-balancer-internal"] == nil)
        await world.session.kubernetes.api.cloud.settle()
        let ip = try await world.session.kubernetes.api.get("services", namespace: "default", name: "frontend")
            .lookup("status.loadBalancer.ingress")?.array?.first?["ip"]?.string
        #expect(ip.map { !$0.hasPrefix("10.") } == true, "Azure gave it a public IP: \(ip ?? "none")")
    }

    @Test("--gateway naming another gateway than the Service's is refused before any write")
    func wrongGateway() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        #expect(try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes").status == 0)
        let writes = await Self.writes(world)
        let result = try await world.agw("unexpose", "svc/frontend", "--gateway", "othergw")
        #expect(result.status == 1)
        #expect(result.stderr.contains("is exposed on gateway") && result.stderr.contains("not othergw"), "\(result.stderr)")
        let missing = try await world.agw("unexpose", "svc/frontnd")
        #expect(missing.status == 1)
        #expect(missing.stderr.contains(#"Error from server (NotFound): services "frontnd" not found"#), "\(missing.stderr)")
        #expect(await Self.writes(world) == writes)
    }

    @Test("a gateway that was deleted: only the Service's annotations are removed, with a warning")
    func deletedGateway() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        #expect(try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes").status == 0)
        await world.session.azure.azure.deleteGateway(await world.gatewayID)
        let result = try await world.agw("unexpose", "svc/frontend", "-o", "json")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("no longer exists"), "\(result.stderr)")
        #expect(try ExposeTests.items(result.stdout).first?["result"]?.string == "unexposed")
        #expect(try await Self.annotations(world, "frontend")["kubectl-agw.io/route"] == nil)
    }

    @Test("a concurrent change between our read and our write: 412, read again, and the other writer's change is kept")
    func concurrentChangeKept() async throws {
        let world = try await World.start()
        defer { Task { await world.session.stop() } }
        #expect(try await world.agw("expose", "svc/frontend", "--gateway", "mygw", "--yes").status == 0)
        await world.session.azure.azure.changeGatewayBeforeNextPut { gateway in
            var changed = gateway
            var pools = changed.lookup("properties.backendAddressPools")?.array ?? []
            pools.append(["name": "other-team-pool", "properties": ["backendAddresses": [["ipAddress": "10.50.0.9"]]]])
            changed.set(["properties", "backendAddressPools"], .array(pools))
            return changed
        }
        let result = try await world.agw("unexpose", "svc/frontend")
        #expect(result.status == 0, "\(result.stderr)")
        let puts = await world.session.azure.azure.requests.filter { $0.method == "PUT" }.map(\.status)
        #expect(puts.suffix(2) == [412, 200], "the stale write was refused, the re-planned one accepted")
        let gateway = try #require(await world.session.azure.azure.gateway(await world.gatewayID))
        let names = (gateway.lookup("properties.backendAddressPools")?.array ?? []).compactMap { $0["name"]?.string }
        #expect(names.contains("other-team-pool"))
        #expect(!(gateway.lookup("properties.probes")?.array ?? []).contains { ($0["name"]?.string ?? "").hasPrefix("agw-") })
    }
}
