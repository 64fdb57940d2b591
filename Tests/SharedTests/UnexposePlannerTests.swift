import Foundation
import Shared
import Testing

/// Unexpose plans are pure: expose a gateway, unexpose the result, and compare whole documents.
@Suite("planning unexpose")
struct UnexposePlannerTests {
    let planner = GatewayPlanner(naming: PlannerFixture.naming)

    static func target(_ namespace: String, _ service: String, address: String = "10.224.0.4", path: String? = nil, host: String? = nil)
        -> ExposeTarget
    {
        ExposeTarget(namespace: namespace, service: service, port: 80, address: address, probePath: "/healthz", hostName: host, path: path)
    }

    /// What a Service's annotation would record for each planned route, as unexpose reads it back.
    static func unexposeTargets(_ plan: GatewayPlan) throws -> [UnexposeTarget] {
        try plan.routes.map { route in
            let record = try #require(RouteRecord(RouteRecord.annotation(for: route, previous: nil).serialized()))
            return UnexposeTarget(namespace: route.namespace, service: route.service, record: record, addresses: [route.address])
        }
    }

    @Test("the adopted portal-default route goes back exactly as it was, and a second plan changes nothing")
    func adoptedRouteRestored() throws {
        let original = try portalGateway()
        let exposed = try planner.plan(original, targets: [Self.target("shop", "web")], settings: ExposeSettings())
        let plan = try UnexposePlanner.plan(exposed.document, targets: try Self.unexposeTargets(exposed))
        #expect(plan.document == original)
        #expect(
            plan.changes.map(\.description) == [
                "~ requestRoutingRules/defaultRule", "~ backendAddressPools/defaultBackendPool",
                "- backendHttpSettingsCollection/agw-c0ffee-shop-web-80-settings", "- probes/agw-c0ffee-shop-web-80-probe",
            ])
        #expect(try UnexposePlanner.plan(plan.document, targets: try Self.unexposeTargets(exposed)).isUnchanged)
    }

    @Test("a multi-site route on a port the tool created: rule, listener, pool, settings, probe and the port go")
    func ownedRouteRemoved() throws {
        let original = try portalGateway()
        let exposed = try planner.plan(
            original, targets: [Self.target("shop", "web", host: "web.example.com")], settings: ExposeSettings(frontendPort: 8080))
        #expect(exposed.changes.contains { $0.description == "+ frontendPorts/agw-c0ffee-port-8080" })
        let plan = try UnexposePlanner.plan(exposed.document, targets: try Self.unexposeTargets(exposed))
        #expect(plan.document == original)
        #expect(Set(plan.changes.map(\.kind)) == [.removed])
        #expect(plan.changes.contains { $0.description == "- frontendPorts/agw-c0ffee-port-8080" })
    }

    @Test("a frontend port the tool created stays while another listener still uses it")
    func sharedPortKept() throws {
        let exposed = try planner.plan(
            try portalGateway(),
            targets: [
                Self.target("shop", "web", host: "web.example.com"),
                Self.target("shop", "api", address: "10.224.0.5", host: "api.example.com"),
            ],
            settings: ExposeSettings(frontendPort: 8080))
        let targets = try Self.unexposeTargets(exposed)
        let plan = try UnexposePlanner.plan(exposed.document, targets: [targets[0]])
        #expect(plan.document.item(.frontendPorts, named: "agw-c0ffee-port-8080") != nil)
        #expect(plan.document.item(.httpListeners, named: "agw-c0ffee-shop-api-80-listener") != nil)
        #expect(plan.document.item(.httpListeners, named: "agw-c0ffee-shop-web-80-listener") == nil)
        #expect(plan.changesByTarget.count == 1 && plan.changesByTarget[0].count == 5)
    }

    @Test("one of three path routes: its path rule goes, the map's default moves to a remaining Service, the others stay")
    func oneOfThreePaths() throws {
        let original = try portalGateway()
        let three = ["admin", "api", "web"].enumerated().map { index, name in
            Self.target("shop", name, address: "10.224.0.\(10 + index)", path: "/\(name)")
        }
        let exposed = try planner.plan(original, targets: three, settings: ExposeSettings(frontendPort: 8080))
        let targets = try Self.unexposeTargets(exposed)
        let admin = try #require(targets.first { $0.service == "admin" })
        let plan = try UnexposePlanner.plan(exposed.document, targets: [admin])
        let map = try #require(plan.document.item(.urlPathMaps, named: "agw-c0ffee-fe8080-paths"))
        let pathRules = (map.value(at: "properties", "pathRules")?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        #expect(pathRules == ["agw-c0ffee-shop-api-80-path", "agw-c0ffee-shop-web-80-path"])
        #expect(
            map.value(at: "properties", "defaultBackendAddressPool", "id")?.stringValue
                == PlannerFixture.gatewayID + "/backendAddressPools/agw-c0ffee-shop-api-80-pool",
            "the default backend no longer names the removed pool")
        #expect(plan.document.item(.backendAddressPools, named: "agw-c0ffee-shop-admin-80-pool") == nil)
        #expect(plan.document.item(.backendAddressPools, named: "agw-c0ffee-shop-web-80-pool") != nil)
        #expect(plan.document.item(.requestRoutingRules, named: "agw-c0ffee-fe8080-rule") != nil)

        // The last two together take the map, its rule, its listener and the port with them.
        let rest = targets.filter { $0.service != "admin" }
        let all = try UnexposePlanner.plan(plan.document, targets: rest)
        #expect(all.document == original)
    }

    @Test("--backend-pool routes take only the Service's address out of the foreign pool")
    func manualPool() throws {
        var original = try portalGateway()
        var pool = try #require(original.item(.backendAddressPools, named: "defaultBackendPool"))
        pool["properties"]?["backendAddresses"] = [["ipAddress": "10.9.9.9"]]
        original.upsert(.backendAddressPools, pool)
        let exposed = try planner.plan(
            original, targets: [Self.target("shop", "web")], settings: ExposeSettings(backendPool: "defaultBackendPool"))
        let plan = try UnexposePlanner.plan(exposed.document, targets: try Self.unexposeTargets(exposed))
        #expect(plan.document == original)
        #expect(plan.changes.map(\.description) == ["~ backendAddressPools/defaultBackendPool"])
    }

    @Test("an entry a foreign rule still uses is not removed: the plan is refused, naming both")
    func foreignReference() throws {
        let exposed = try planner.plan(
            try portalGateway(), targets: [Self.target("shop", "web", host: "web.example.com")], settings: ExposeSettings())
        var document = exposed.document
        var rule = try #require(document.item(.requestRoutingRules, named: "defaultRule"))
        rule["properties"]?["backendHttpSettings"] = [
            "id": .string(document.subresourceID(.backendHttpSettingsCollection, "agw-c0ffee-shop-web-80-settings"))
        ]
        document.upsert(.requestRoutingRules, rule)
        #expect(
            throws: UnexposePlanError.stillReferenced(
                entry: "backendHttpSettingsCollection/agw-c0ffee-shop-web-80-settings", by: "requestRoutingRules/defaultRule")
        ) {
            try UnexposePlanner.plan(document, targets: try Self.unexposeTargets(exposed))
        }
    }

    @Test("names recorded in an annotation but not of the tool's shape are never removed")
    func foreignNamesKept() throws {
        let original = try portalGateway()
        let record = RouteRecord(
            port: 80, pool: "defaultBackendPool", settings: "defaultHttpSetting", probe: nil, listener: "defaultListener",
            rule: "defaultRule")
        let plan = try UnexposePlanner.plan(
            original, targets: [UnexposeTarget(namespace: "shop", service: "web", record: record, addresses: [])])
        #expect(plan.isUnchanged && plan.document == original)
    }

    @Test("an adopted rule someone has since pointed at other settings is theirs: only the tool's entries go")
    func adoptedRuleTakenOver() throws {
        let original = try portalGateway()
        let exposed = try planner.plan(original, targets: [Self.target("shop", "web")], settings: ExposeSettings())
        var document = exposed.document
        var rule = try #require(document.item(.requestRoutingRules, named: "defaultRule"))
        rule["properties"]?["backendHttpSettings"] = [
            "id": .string(document.subresourceID(.backendHttpSettingsCollection, "defaultHttpSetting"))
        ]
        document.upsert(.requestRoutingRules, rule)
        let plan = try UnexposePlanner.plan(document, targets: try Self.unexposeTargets(exposed))
        #expect(
            plan.changes.map(\.description) == [
                "- backendHttpSettingsCollection/agw-c0ffee-shop-web-80-settings", "- probes/agw-c0ffee-shop-web-80-probe",
            ])
        #expect(
            plan.document.item(.backendAddressPools, named: "defaultBackendPool")
                == document.item(.backendAddressPools, named: "defaultBackendPool"))
    }

    @Test("names of the tool's shape: agw-, six lower-case hex digits, a rest")
    func ownedShape() {
        #expect(ResourceNaming.isOwned("agw-c0ffee-shop-web-80-pool"))
        #expect(ResourceNaming.isOwned("agw-0a1b2c-port-80"))
        #expect(!ResourceNaming.isOwned("agw-C0FFEE-shop"))
        #expect(!ResourceNaming.isOwned("agw-shop-web"))
        #expect(!ResourceNaming.isOwned("defaultBackendPool"))
        #expect(!ResourceNaming.isOwned("agw-c0ffee-"))
    }
}
