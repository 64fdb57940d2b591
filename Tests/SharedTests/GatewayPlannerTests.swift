import Foundation
import Sandbox
import Shared
import Testing

/// The portal-style gateway as ARM returns it: Running, Succeeded.
func portalGateway(tags: JSON = [:], tier: String = "Standard_v2", operational: String = "Running") throws -> GatewayDocument {
    var json = try JSON.parse(SeedGateways.portalStyle(subscription: "sub", resourceGroup: "rg", name: "mygw").encoded())
    json["tags"] = tags
    json["properties"]?["provisioningState"] = "Succeeded"
    json["properties"]?["operationalState"] = .string(operational)
    json["properties"]?["sku"]?["tier"] = .string(tier)
    return try GatewayDocument(json)
}

/// The names and IDs the planner tests use.
enum PlannerFixture {
    static let naming = ResourceNaming(cluster: "c0ffee")
    static let gatewayID = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/applicationGateways/mygw"
}

@Suite("planning the gateway side of expose")
struct GatewayPlannerTests {
    let planner = GatewayPlanner(naming: PlannerFixture.naming)
    let web = ExposeTarget(namespace: "shop", service: "web", port: 80, address: "10.224.0.4", probePath: "/healthz")

    @Test("the portal's untouched default route is adopted: its empty pool gets the IP, its rule our settings and probe")
    func adoptsPortalDefault() throws {
        let plan = try planner.plan(try portalGateway(), targets: [web], settings: ExposeSettings())
        #expect(
            plan.changes.map(\.description) == [
                "+ probes/agw-c0ffee-shop-web-80-probe", "+ backendHttpSettingsCollection/agw-c0ffee-shop-web-80-settings",
                "~ backendAddressPools/defaultBackendPool", "~ requestRoutingRules/defaultRule",
            ])
        let route = try #require(plan.routes.first)
        #expect(
            route.adopted
                == AdoptedRoute(
                    rule: "defaultRule", pool: "defaultBackendPool",
                    originalSettingsID: PlannerFixture.gatewayID + "/backendHttpSettingsCollection/defaultHttpSetting",
                    originalAddresses: []))
        #expect(route.listener == "defaultListener" && route.priority == 100 && route.frontend == .public)
        let pool = try #require(plan.document.item(.backendAddressPools, named: "defaultBackendPool"))
        #expect(pool.value(at: "properties", "backendAddresses") == [["ipAddress": "10.224.0.4"]])
        let probe = try #require(plan.document.item(.probes, named: "agw-c0ffee-shop-web-80-probe"))
        #expect(probe.value(at: "properties", "path") == "/healthz")
        #expect(probe.value(at: "properties", "match", "statusCodes") == ["200-399"], "never the default probe")
        let settings = try #require(plan.document.item(.backendHttpSettingsCollection, named: "agw-c0ffee-shop-web-80-settings"))
        #expect(settings.value(at: "properties", "port") == 80)
        #expect(
            settings.value(at: "properties", "probe", "id")?.stringValue == PlannerFixture.gatewayID
                + "/probes/agw-c0ffee-shop-web-80-probe")
    }

    @Test("a port already served by a foreign listener whose pool has targets is refused, with the ways out")
    func portConflict() throws {
        var gateway = try portalGateway()
        var pool = try #require(gateway.item(.backendAddressPools, named: "defaultBackendPool"))
        pool["properties"]?["backendAddresses"] = [["ipAddress": "10.1.2.3"]]
        gateway.upsert(.backendAddressPools, pool)
        #expect(
            throws: PlanError.portInUse(port: 80, frontend: "appGwPublicFrontendIpIPv4", listener: "defaultListener", rule: "defaultRule")
        ) {
            try planner.plan(gateway, targets: [web], settings: ExposeSettings())
        }
        let message = PlanError.portInUse(port: 80, frontend: "f", listener: "l", rule: "r").description
        #expect(message.contains("--hostname") && message.contains("--frontend-port") && message.contains("--backend-pool"))
    }

    @Test("a host name gets its own multi-site listener and rule with the lowest free priority")
    func multiSite() throws {
        var target = web
        target.hostName = "web.example.com"
        let plan = try planner.plan(try portalGateway(), targets: [target], settings: ExposeSettings())
        #expect(
            plan.changes.map(\.description) == [
                "+ probes/agw-c0ffee-shop-web-80-probe", "+ backendHttpSettingsCollection/agw-c0ffee-shop-web-80-settings",
                "+ backendAddressPools/agw-c0ffee-shop-web-80-pool", "+ httpListeners/agw-c0ffee-shop-web-80-listener",
                "+ requestRoutingRules/agw-c0ffee-shop-web-80-rule",
            ])
        let listener = try #require(plan.document.item(.httpListeners, named: "agw-c0ffee-shop-web-80-listener"))
        #expect(listener.value(at: "properties", "hostNames") == ["web.example.com"])
        #expect(
            listener.value(at: "properties", "frontendPort", "id")?.stringValue == PlannerFixture.gatewayID + "/frontendPorts/port_80",
            "the existing port 80 entry is reused")
        let rule = try #require(plan.document.item(.requestRoutingRules, named: "agw-c0ffee-shop-web-80-rule"))
        #expect(rule.value(at: "properties", "priority") == 1)
        #expect(plan.document.item(.probes, named: "agw-c0ffee-shop-web-80-probe")?.value(at: "properties", "host") == "web.example.com")
    }

    @Test("three Services with --path share one listener, one path map and one rule")
    func pathBased() throws {
        let targets = ["web", "api", "admin"].enumerated().map { index, name in
            ExposeTarget(namespace: "shop", service: name, port: 80, address: "10.224.0.\(index + 4)", probePath: "/", path: "/\(name)")
        }
        var gateway = try portalGateway()
        var pool = try #require(gateway.item(.backendAddressPools, named: "defaultBackendPool"))
        pool["properties"]?["backendAddresses"] = [["ipAddress": "10.9.9.9"]]
        gateway.upsert(.backendAddressPools, pool)
        let plan = try planner.plan(gateway, targets: targets, settings: ExposeSettings(frontendPort: 8080))
        let map = try #require(plan.document.item(.urlPathMaps, named: "agw-c0ffee-fe8080-paths"))
        let rules = map.value(at: "properties", "pathRules")?.arrayValue ?? []
        #expect(
            rules.map { $0["name"]?.stringValue } == [
                "agw-c0ffee-shop-admin-80-path", "agw-c0ffee-shop-api-80-path", "agw-c0ffee-shop-web-80-path",
            ])
        #expect(rules.first?.value(at: "properties", "paths") == ["/admin", "/admin/*"])
        #expect(plan.document.item(.frontendPorts, named: "agw-c0ffee-port-8080")?.value(at: "properties", "port") == 8080)
        let rule = try #require(plan.document.item(.requestRoutingRules, named: "agw-c0ffee-fe8080-rule"))
        #expect(rule.value(at: "properties", "ruleType") == "PathBasedRouting")
        #expect(Set(plan.routes.map(\.listener)) == ["agw-c0ffee-fe8080-listener"])
        #expect(plan.document.items(.backendAddressPools).count == 4)
        #expect(plan.routes.map(\.service) == ["web", "api", "admin"], "routes come in the order of the targets")
        #expect(plan.routes.map(\.address) == ["10.224.0.4", "10.224.0.5", "10.224.0.6"])
    }

    @Test("several Services on one port without host names or paths are refused before anything is written")
    func samePortRefused() throws {
        let api = ExposeTarget(namespace: "shop", service: "api", port: 80, address: "10.224.0.5")
        #expect(throws: PlanError.samePortWithoutRoutes(port: 80, services: ["shop/web", "shop/api"])) {
            try planner.plan(try portalGateway(), targets: [web, api], settings: ExposeSettings())
        }
    }

    @Test("planning again on the result, even as ARM returns it, changes nothing; a new IP changes only the pool")
    func idempotent() throws {
        var target = web
        target.hostName = "web.example.com"
        let first = try planner.plan(try portalGateway(), targets: [target], settings: ExposeSettings())
        // What ARM sends back: ids, etags and states filled in, plus a default it adds.
        var stored = first.document.json
        for collection in ["probes", "backendHttpSettingsCollection", "backendAddressPools", "httpListeners", "requestRoutingRules"] {
            let entries = (stored.value(at: "properties", collection)?.arrayValue ?? []).map { entry -> JSON in
                var entry = entry
                entry["id"] = .string(PlannerFixture.gatewayID.uppercased() + "/\(collection)/\(entry["name"]?.stringValue ?? "")")
                entry["etag"] = "W/\"1\""
                entry["properties"]?["provisioningState"] = "Succeeded"
                return entry
            }
            stored["properties"]?[collection] = .array(entries)
        }
        let withDefaults = (stored.value(at: "properties", "backendHttpSettingsCollection")?.arrayValue ?? []).map { entry -> JSON in
            var entry = entry
            entry["properties"]?["connectionDraining"] = ["enabled": false, "drainTimeoutInSec": 1]
            return entry
        }
        stored["properties"]?["backendHttpSettingsCollection"] = .array(withDefaults)
        let again = try planner.plan(try GatewayDocument(stored), targets: [target], settings: ExposeSettings())
        #expect(again.isUnchanged, "\(again.changes)")
        #expect(again.routes.first?.priority == 1)

        target.address = "10.224.0.99"
        let moved = try planner.plan(try GatewayDocument(stored), targets: [target], settings: ExposeSettings())
        #expect(moved.changes.map(\.description) == ["~ backendAddressPools/agw-c0ffee-shop-web-80-pool"])
        #expect(
            moved.document.item(.backendAddressPools, named: "agw-c0ffee-shop-web-80-pool")?.value(at: "properties", "backendAddresses")
                == [["ipAddress": "10.224.0.99"]])
    }

    @Test("everything the tool does not own comes through unchanged")
    func foreignUntouched() throws {
        var target = web
        target.hostName = "web.example.com"
        let original = try portalGateway()
        let plan = try planner.plan(original, targets: [target], settings: ExposeSettings())
        let changed = Set(plan.changes.map { "\($0.collection.rawValue)/\($0.name)" })
        for collection in GatewayDocument.Collection.allCases {
            for entry in original.items(collection) {
                let name = entry["name"]?.stringValue ?? ""
                guard !changed.contains("\(collection.rawValue)/\(name)") else { continue }
                #expect(plan.document.item(collection, named: name) == entry, "\(collection.rawValue)/\(name)")
            }
        }
        var outside = plan.document.json
        var before = original.json
        for collection in GatewayDocument.Collection.allCases {
            outside["properties"]?[collection.rawValue] = nil
            before["properties"]?[collection.rawValue] = nil
        }
        #expect(outside == before)
    }

    @Test("priorities: --priority is checked, the ingress controller's band is avoided")
    func priorities() throws {
        var target = web
        target.hostName = "web.example.com"
        #expect(throws: PlanError.priorityTaken(priority: 100, rule: "defaultRule")) {
            try planner.plan(try portalGateway(), targets: [target], settings: ExposeSettings(priority: 100))
        }
        #expect(throws: PlanError.priorityOutOfRange(19500)) {
            try planner.plan(try portalGateway(), targets: [target], settings: ExposeSettings(priority: 19500))
        }
        let plan = try planner.plan(try portalGateway(), targets: [target], settings: ExposeSettings(priority: 250))
        #expect(plan.routes.first?.priority == 250)
    }

    @Test(
        "gateways kubectl-agw must not touch",
        arguments: [
            ("agic", PlanError.managedByIngressController(gateway: "mygw")),
            ("v1", PlanError.notV2(gateway: "mygw", sku: "Standard")),
            ("stopped", PlanError.notRunning(gateway: "mygw", operational: "Stopped", provisioning: "Succeeded")),
        ])
    func refusedGateways(_ kind: String, _ expected: PlanError) throws {
        let gateway: GatewayDocument
        switch kind {
        case "agic": gateway = try portalGateway(tags: ["managed-by-k8s-ingress": "1.7.2"])
        case "v1": gateway = try portalGateway(tier: "Standard")
        default: gateway = try portalGateway(operational: "Stopped")
        }
        #expect(throws: expected) { try planner.plan(gateway, targets: [web], settings: ExposeSettings()) }
        if kind == "agic" {
            #expect(throws: Never.self) { try planner.plan(gateway, targets: [web], settings: ExposeSettings(force: true)) }
        }
    }

    @Test("--frontend private uses the private frontend IP configuration")
    func privateFrontend() throws {
        var target = web
        target.hostName = "web.internal"
        let plan = try planner.plan(try portalGateway(), targets: [target], settings: ExposeSettings(frontend: .private))
        #expect(plan.routes.first?.frontendIPConfiguration == "appGwPrivateFrontendIpIPv4")
    }

    @Test("--backend-pool only adds the address to that pool")
    func manualPool() throws {
        let plan = try planner.plan(try portalGateway(), targets: [web], settings: ExposeSettings(backendPool: "defaultBackendPool"))
        #expect(plan.changes.map(\.description) == ["~ backendAddressPools/defaultBackendPool"])
        #expect(throws: PlanError.backendPoolMissing(pool: "nope", available: ["defaultBackendPool"])) {
            try planner.plan(try portalGateway(), targets: [web], settings: ExposeSettings(backendPool: "nope"))
        }
    }

    @Test("a gateway at Azure's pool limit is refused")
    func limits() throws {
        var gateway = try portalGateway()
        for index in 0..<99 { gateway.upsert(.backendAddressPools, ["name": .string("pool\(index)"), "properties": [:]]) }
        var target = web
        target.hostName = "web.example.com"
        #expect(throws: PlanError.limit(collection: "backendAddressPools", count: 101, limit: 100)) {
            try planner.plan(gateway, targets: [target], settings: ExposeSettings())
        }
    }
}

@Suite("names of owned sub-resources")
struct NamingTests {
    @Test("names are deterministic, carry the cluster, and stay within 80 characters")
    func names() {
        let fromURL = ResourceNaming(
            server: URL(string: "https://aks-prod-dns-1a2b3c.hcp.westeurope.azmk8s.io:443") ?? URL(fileURLWithPath: "/"))
        #expect(
            fromURL
                == ResourceNaming(
                    server: URL(string: "https://AKS-PROD-DNS-1A2B3C.hcp.westeurope.azmk8s.io:443") ?? URL(fileURLWithPath: "/")))
        #expect(fromURL.cluster.count == 6)
        #expect(fromURL != ResourceNaming(server: URL(string: "https://aks-dev.hcp.westeurope.azmk8s.io:443") ?? URL(fileURLWithPath: "/")))
        let base = PlannerFixture.naming.base(
            namespace: "a-very-long-namespace-name-for-testing", service: "an-equally-long-service-name", port: 8443)
        let pool = PlannerFixture.naming.pool(base)
        let settings = PlannerFixture.naming.settings(base)
        #expect(pool.count == 80 && settings.count == 80)
        #expect(pool != settings, "cut names stay distinct")
        #expect(pool == PlannerFixture.naming.pool(base), "and deterministic")
        #expect(PlannerFixture.naming.owns(pool) && !PlannerFixture.naming.owns("defaultBackendPool"))
    }
}
