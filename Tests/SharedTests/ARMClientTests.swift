import Foundation
import Sandbox
import Shared
import TestSupport
import Testing

@Suite("the ARM client against the local ARM")
struct ARMClientTests {
    @Test("the local ARM refuses requests without a token or an api-version, as ARM does")
    func serverFaithfulness() async throws {
        let fixture = try await AzureFixture.start()
        defer { Task { await fixture.stop() } }
        let transport = CurlTransport()
        let noToken = try await transport.send(
            HTTPRequest(
                url: URL(string: fixture.endpoint.url + "/subscriptions?api-version=2022-12-01") ?? URL(fileURLWithPath: "/"),
                tls: TLSOptions(caFile: fixture.caFile)))
        #expect(noToken.status == 401)
        #expect(try JSON.parse(noToken.body).value(at: "error", "code")?.stringValue == "AuthenticationFailed")

        let client = try fixture.client()
        do {
            _ = try await client.get(fixture.endpoint.url + "/subscriptions", operation: ARMOperation())
            Issue.record("no api-version must be refused")
        } catch let error as ARMError {
            #expect(error.code == "MissingApiVersionParameter")
            #expect(error.status == 400)
        }
    }

    @Test("ARM refuses to send a token over plain http")
    func httpsOnly() async throws {
        let cloud = AzureCloud(
            name: "x", resourceManager: URL(string: "http://127.0.0.1:1") ?? URL(fileURLWithPath: "/"),
            activeDirectory: URL(string: "https://127.0.0.1:1") ?? URL(fileURLWithPath: "/"),
            audience: "https://management.core.windows.net/")
        #expect(throws: ARMError.self) {
            _ = try ARMClient(cloud: cloud, credential: EnvironmentCredential(context: CredentialContext(environment: [:])))
        }
    }

    @Test("a GET of a missing gateway prints (Code) message with the request IDs")
    func notFound() async throws {
        let fixture = try await AzureFixture.start()
        defer { Task { await fixture.stop() } }
        let operation = ARMOperation()
        do {
            _ = try await fixture.client().get(fixture.gatewayID("nope"), operation: operation)
            Issue.record("expected ResourceNotFound")
        } catch let error as ARMError {
            let text = error.description
            #expect(
                text.hasPrefix(
                    "(ResourceNotFound) The Resource 'Microsoft.Network/applicationGateways/nope' under resource group 'agw-rg' was not found."
                ))
            #expect(text.contains("x-ms-request-id"))
            #expect(text.contains(operation.clientRequestID))
        }
    }

    @Test("429 with Retry-After is waited out and retried with the same client request ID")
    func retryAfter() async throws {
        let fixture = try await AzureFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.seedPortalGateway()
        await fixture.endpoint.azure.failNextRequests(2, status: 429, retryAfter: 7)
        let sleeps = SleepLog()
        let operation = ARMOperation()
        let response = try await fixture.client(sleeps: sleeps).get(fixture.gatewayID(), operation: operation)
        #expect(response.body?["name"]?.stringValue == "mygw")
        #expect(await sleeps.delays == [.seconds(7), .seconds(7)])
        let ids = await fixture.endpoint.azure.requests.filter { $0.method == "GET" }.map(\.clientRequestID)
        #expect(ids == Array(repeating: operation.clientRequestID, count: 3))
    }

    @Test("server errors are retried a bounded number of times, then reported")
    func boundedRetries() async throws {
        let fixture = try await AzureFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.seedPortalGateway()
        await fixture.endpoint.azure.failNextRequests(10, status: 503)
        let sleeps = SleepLog()
        await #expect {
            _ = try await fixture.client(sleeps: sleeps).get(fixture.gatewayID(), operation: ARMOperation())
        } throws: { error in
            (error as? ARMError)?.code == "ServiceUnavailable"
        }
        #expect(await sleeps.delays.count == 3)
        #expect(await fixture.endpoint.azure.requests.count == 4)
    }

    @Test("a gateway PUT is a long-running operation: Azure-AsyncOperation polls, then a final GET, one client request ID")
    func putLongRunning() async throws {
        let fixture = try await AzureFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.seedPortalGateway()
        let client = try fixture.client()
        let operation = ARMOperation()
        let read = try await client.get(fixture.gatewayID(), operation: operation)
        var document = try GatewayDocument(try #require(read.body))
        document.upsert(.backendAddressPools, ["name": "extra", "properties": ["backendAddresses": [["ipAddress": "10.224.0.9"]]]])
        let initial = try await client.put(fixture.gatewayID(), body: document.json, ifMatch: read.etag, operation: operation)
        #expect(initial.status == 200)
        #expect(initial.headers["Azure-AsyncOperation"] != nil)
        let states = ProgressLog2()
        let final = try await client.waitForCompletion(
            method: "PUT", path: fixture.gatewayID(), initial: initial, operation: operation,
            timeout: .seconds(30)
        ) { await states.add($0) }
        #expect(final.body?.value(at: "properties", "provisioningState")?.stringValue == "Succeeded")
        #expect(try GatewayDocument(try #require(final.body)).item(.backendAddressPools, named: "extra") != nil)
        let requests = await fixture.endpoint.azure.requests
        #expect(requests.allSatisfy { $0.clientRequestID == operation.clientRequestID })
        #expect(requests.contains { $0.path.contains("/operations/") }, "the operation URL was polled")
        #expect(
            requests.last?.method == "GET" && requests.last?.path.lowercased() == fixture.gatewayID().lowercased(),
            "ends with a GET of the gateway")
        #expect(requests.first { $0.method == "PUT" }?.ifMatch == read.etag)
        #expect(await states.values.last == "Succeeded")
    }

    @Test("an operation that ends Failed surfaces its code and message")
    func operationFailed() async throws {
        let fixture = try await AzureFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.seedPortalGateway()
        await fixture.endpoint.azure.failNextOperation(
            code: "ApplicationGatewayWafConfigurationCannotBeChangedWithWafPolicy", message: "WAF config is managed by a policy")
        let client = try fixture.client()
        let operation = ARMOperation()
        let read = try await client.get(fixture.gatewayID(), operation: operation)
        let initial = try await client.put(fixture.gatewayID(), body: try #require(read.body), ifMatch: nil, operation: operation)
        do {
            _ = try await client.waitForCompletion(
                method: "PUT", path: fixture.gatewayID(), initial: initial, operation: operation, timeout: .seconds(30)
            ) { _ in }
            Issue.record("expected the operation to fail")
        } catch let error as ARMError {
            #expect(error.code == "ApplicationGatewayWafConfigurationCannotBeChangedWithWafPolicy")
            #expect(error.description.contains("ended Failed"))
        }
    }

    @Test("If-Match with a stale etag gets 412, reported as a typed error")
    func preconditionFailed() async throws {
        let fixture = try await AzureFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.seedPortalGateway()
        let client = try fixture.client()
        let read = try await client.get(fixture.gatewayID(), operation: ARMOperation())
        await fixture.endpoint.azure.changeGatewayBeforeNextPut { gateway in
            var changed = gateway
            changed["tags"] = ["owner": "someone-else"]
            return changed
        }
        await #expect {
            _ = try await client.put(fixture.gatewayID(), body: try #require(read.body), ifMatch: read.etag, operation: ARMOperation())
        } throws: { error in
            (error as? ARMError)?.status == 412
        }
    }

    @Test("lists follow nextLink through every page, empty or not")
    func paging() async throws {
        let fixture = try await AzureFixture.start { $0.pageSize = 2 }
        defer { Task { await fixture.stop() } }
        for index in 0..<5 { try await fixture.seedPortalGateway("gw\(index)", group: index < 3 ? "rg-a" : "rg-b") }
        let client = try fixture.client()
        let all = try await client.list(
            "/subscriptions/\(fixture.subscription)/providers/Microsoft.Network/applicationGateways", operation: ARMOperation())
        #expect(all.compactMap { $0["name"]?.stringValue }.sorted() == ["gw0", "gw1", "gw2", "gw3", "gw4"])
        #expect(await fixture.endpoint.azure.requests.count == 3)
        let group = try await client.list(
            "/subscriptions/\(fixture.subscription)/resourceGroups/RG-B/providers/Microsoft.Network/applicationGateways",
            operation: ARMOperation())
        #expect(group.count == 2, "resource group names compare case-insensitively")
    }

    @Test(
        "the local ARM checks a PUT the way ARM does",
        arguments: [
            ("duplicate frontend port", "ApplicationGatewayFrontendPortsUsingSamePort"),
            ("dangling reference", "InvalidResourceReference"),
            ("missing priority", "ApplicationGatewayRequestRoutingRulePriorityCannotBeEmpty"),
            ("duplicate priority", "ApplicationGatewayRequestRoutingRulesWithSamePriority"),
            ("long name", "InvalidResourceName"),
            ("duplicate listener", "ApplicationGatewayHttpListenersUsingSameFrontendPortAndFrontendIpConfig"),
        ])
    func validation(_ change: String, _ code: String) async throws {
        let fixture = try await AzureFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.seedPortalGateway()
        let client = try fixture.client()
        let read = try await client.get(fixture.gatewayID(), operation: ARMOperation())
        var document = try GatewayDocument(try #require(read.body))
        let rule = try #require(document.item(.requestRoutingRules, named: "defaultRule"))
        let listener = try #require(document.item(.httpListeners, named: "defaultListener"))
        switch change {
        case "duplicate frontend port": document.upsert(.frontendPorts, ["name": "port_80_again", "properties": ["port": 80]])
        case "dangling reference":
            var broken = rule
            broken["properties"]?["backendAddressPool"] = ["id": .string(document.subresourceID(.backendAddressPools, "missing"))]
            document.upsert(.requestRoutingRules, broken)
        case "missing priority":
            var broken = rule
            broken["properties"]?["priority"] = nil
            document.upsert(.requestRoutingRules, broken)
        case "duplicate priority":
            var copy = rule
            copy["name"] = "secondRule"
            var copiedListener = listener
            copiedListener["name"] = "secondListener"
            copiedListener["properties"]?["hostNames"] = ["second.example.com"]
            copy["properties"]?["httpListener"] = ["id": .string(document.subresourceID(.httpListeners, "secondListener"))]
            document.upsert(.httpListeners, copiedListener)
            document.upsert(.requestRoutingRules, copy)
        case "long name": document.upsert(.backendAddressPools, ["name": .string(String(repeating: "p", count: 81)), "properties": [:]])
        case "too many pools":
            for index in 0..<100 { document.upsert(.backendAddressPools, ["name": .string("pool\(index)"), "properties": [:]]) }
        default:
            var copy = listener
            copy["name"] = "sameAsDefault"
            document.upsert(.httpListeners, copy)
        }
        do {
            _ = try await client.put(fixture.gatewayID(), body: document.json, ifMatch: nil, operation: ARMOperation())
            Issue.record("\(change) must be refused")
        } catch let error as ARMError {
            #expect(error.code == code, "\(error)")
            #expect(error.status == 400)
        }
    }

    @Test("GET, edit one collection, PUT: every other value of the official Create example goes back unchanged")
    func losslessRoundTrip() async throws {
        let fixture = try await AzureFixture.start { $0.subscriptions = [("00000000-0000-0000-0000-000000000000", "example")] }
        defer { Task { await fixture.stop() } }
        let example = try JSON.parse(
            try Data(
                contentsOf: try #require(Bundle.module.url(forResource: "Fixtures/arm/ApplicationGatewayCreate", withExtension: "json"))))
        let seed = try Value.decode(try #require(example.value(at: "responses", "200", "body")).data)
        try await fixture.endpoint.azure.seed(seed)
        let id =
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.Network/applicationGateways/appgw"
        let client = try fixture.client()
        let read = try await client.get(id, operation: ARMOperation())
        let original = try #require(read.body)
        var document = try GatewayDocument(original)
        document.upsert(.backendAddressPools, ["name": "agw-added", "properties": ["backendAddresses": [["ipAddress": "10.224.0.7"]]]])
        _ = try await client.put(id, body: document.json, ifMatch: read.etag, operation: ARMOperation())
        let sent = try JSON.parse(try #require(await fixture.endpoint.azure.requests.last { $0.method == "PUT" }).body)

        // Everything but the edited collection is byte-for-byte what was read, unknown properties included.
        var expected = original
        var sentWithoutPools = sent
        expected["properties"]?["backendAddressPools"] = nil
        sentWithoutPools["properties"]?["backendAddressPools"] = nil
        #expect(sentWithoutPools.serialized() == expected.serialized())
        #expect(sent.value(at: "properties", "advancedRoutingMaps") != nil, "a property newer than our api-version survives")
        let pools = sent.value(at: "properties", "backendAddressPools")?.arrayValue ?? []
        #expect(Array(pools.dropLast()) == (original.value(at: "properties", "backendAddressPools")?.arrayValue ?? []))
        #expect(pools.last?["name"]?.stringValue == "agw-added")
    }
}

/// Collects progress strings.
actor ProgressLog2 {
    var values: [String] = []
    func add(_ value: String) { values.append(value) }
}

@Suite("finding a gateway by ID, by group and name, or by name alone")
struct GatewayLocatorTests {
    @Test("a full ID, -g with a name, and a unique bare name all find the gateway")
    func finds() async throws {
        let fixture = try await AzureFixture.start { $0.pageSize = 1 }
        defer { Task { await fixture.stop() } }
        try await fixture.seedPortalGateway("mygw", group: "rg-one")
        try await fixture.seedPortalGateway("other", group: "rg-two")
        let locator = GatewayLocator(arm: try fixture.client(), subscription: fixture.subscription)
        let byID = try await locator.locate(fixture.gatewayID("mygw", group: "rg-one"), resourceGroup: nil, operation: ARMOperation())
        let byGroup = try await locator.locate("mygw", resourceGroup: "RG-ONE", operation: ARMOperation())
        let byName = try await locator.locate("MYGW", resourceGroup: nil, operation: ARMOperation())
        #expect(byID.id == byGroup.id && byGroup.id == byName.id)
        #expect(byName.id.resourceGroup.lowercased() == "rg-one")
    }

    @Test("a bare name in two resource groups lists both; a typo says how to list gateways")
    func ambiguousAndMissing() async throws {
        let fixture = try await AzureFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.seedPortalGateway("mygw", group: "rg-one")
        try await fixture.seedPortalGateway("mygw", group: "rg-two")
        let locator = GatewayLocator(arm: try fixture.client(), subscription: fixture.subscription)
        do {
            _ = try await locator.locate("mygw", resourceGroup: nil, operation: ARMOperation())
            Issue.record("an ambiguous name must fail")
        } catch {
            #expect("\(error)".contains("mygw (resource group rg-one), mygw (resource group rg-two)"))
        }
        await #expect(throws: GatewayLocatorError.notFound(name: "mygq", subscription: fixture.subscription)) {
            _ = try await locator.locate("mygq", resourceGroup: nil, operation: ARMOperation())
        }
        await #expect(throws: GatewayLocatorError.invalidName("my gw")) {
            _ = try await locator.locate("my gw", resourceGroup: nil, operation: ARMOperation())
        }
        do {
            _ = try await locator.locate("mygq", resourceGroup: "rg-one", operation: ARMOperation())
            Issue.record("a missing gateway must fail")
        } catch {
            #expect(
                "\(error)".hasPrefix(
                    "(ResourceNotFound) The Resource 'Microsoft.Network/applicationGateways/mygq' under resource group 'rg-one' was not found."
                ))
        }
    }
}

@Suite("backend health through the Location long-running operation")
struct BackendHealthTests {
    /// A gateway whose default pool holds `address`, with the settings' custom probe asking for `path`.
    func gateway(_ fixture: AzureFixture, address: String, path: String) async throws -> GatewayDocument {
        let client = try fixture.client()
        var document = try GatewayDocument(try #require(try await client.get(fixture.gatewayID(), operation: ARMOperation()).body))
        document.upsert(
            .probes,
            [
                "name": "probe",
                "properties": [
                    "protocol": "Http", "host": "web.internal", "path": .string(path), "interval": 30,
                    "timeout": 30, "unhealthyThreshold": 3, "match": ["statusCodes": ["200-399"]],
                ],
            ])
        var settings = try #require(document.item(.backendHttpSettingsCollection, named: "defaultHttpSetting"))
        settings["properties"]?["probe"] = ["id": .string(document.subresourceID(.probes, "probe"))]
        document.upsert(.backendHttpSettingsCollection, settings)
        document.upsert(
            .backendAddressPools, ["name": "defaultBackendPool", "properties": ["backendAddresses": [["ipAddress": .string(address)]]]])
        let operation = ARMOperation()
        let initial = try await client.put(fixture.gatewayID(), body: document.json, ifMatch: nil, operation: operation)
        let final = try await client.waitForCompletion(
            method: "PUT", path: fixture.gatewayID(), initial: initial, operation: operation,
            timeout: .seconds(30)
        ) { _ in }
        return try GatewayDocument(try #require(final.body))
    }

    @Test("backendhealth answers 202 with Location, then the official example's shape with the prober's verdict")
    func backendHealth() async throws {
        let fixture = try await AzureFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.seedPortalGateway()
        await fixture.endpoint.azure.setProber { address, _, host, path in
            address == "10.224.0.5" && path == "/healthz" && host == "web.internal"
                ? ProbeResult(health: "Up", log: "Success. Received 200 status code")
                : ProbeResult(health: "Down", log: "Status code of the backend's HTTP response did not match the probe setting.")
        }
        _ = try await gateway(fixture, address: "10.224.0.5", path: "/healthz")
        let client = try fixture.client()
        let operation = ARMOperation()
        let started = try await client.post(fixture.gatewayID() + "/backendhealth", body: nil, operation: operation)
        #expect(started.status == 202)
        #expect(started.headers["Location"] != nil)
        let result = try await client.waitForCompletion(
            method: "POST", path: fixture.gatewayID() + "/backendhealth", initial: started,
            operation: operation, timeout: .seconds(30)
        ) { _ in }
        let server = result.body?["backendAddressPools"]?.arrayValue?.first?["backendHttpSettingsCollection"]?.arrayValue?.first?[
            "servers"]?.arrayValue?.first
        #expect(server?["address"]?.stringValue == "10.224.0.5")
        #expect(server?["health"]?.stringValue == "Up")

        // Every key the local answer uses appears in the official example, or (healthProbeLog) in the 2026-03-01
        // schema's ApplicationGatewayBackendHealthServer, which the example leaves out.
        let example = try JSON.parse(
            try Data(
                contentsOf: try #require(
                    Bundle.module.url(forResource: "Fixtures/arm/ApplicationGatewayBackendHealthGet", withExtension: "json"))))
        let official = try #require(example.value(at: "responses", "200", "body"))
        let allowed = Self.keyPaths(official).union(["/backendAddressPools[]/backendHttpSettingsCollection[]/servers[]/healthProbeLog"])
        #expect(Self.keyPaths(try #require(result.body)).isSubset(of: allowed))

        let onDemand = try await client.post(
            fixture.gatewayID() + "/getBackendHealthOnDemand",
            body: [
                "protocol": "Http", "path": "/", "timeout": 30, "host": "web.internal",
                "backendAddressPool": ["id": .string(fixture.gatewayID() + "/backendAddressPools/defaultBackendPool")],
                "backendHttpSettings": ["id": .string(fixture.gatewayID() + "/backendHttpSettingsCollection/defaultHttpSetting")],
            ], operation: operation)
        let answer = try await client.waitForCompletion(
            method: "POST", path: fixture.gatewayID() + "/getBackendHealthOnDemand", initial: onDemand,
            operation: operation, timeout: .seconds(30)
        ) { _ in }
        #expect(
            answer.body?.value(at: "backendHealthHttpSettings")?["servers"]?.arrayValue?.first?["health"]?.stringValue == "Down",
            "the on-demand probe used its own path")
    }

    @Test("the pinned api-version is the one of the official spec the fixtures come from")
    func apiVersionMatchesSpec() throws {
        let example = try JSON.parse(
            try Data(
                contentsOf: try #require(Bundle.module.url(forResource: "Fixtures/arm/ApplicationGatewayCreate", withExtension: "json"))))
        #expect(example.value(at: "parameters", "api-version")?.stringValue == ARMClient.defaultAPIVersion)
    }

    /// Object key paths with array indices dropped.
    static func keyPaths(_ json: JSON, prefix: String = "") -> Set<String> {
        switch json {
        case .object(let object):
            return object.reduce(into: Set<String>()) { paths, member in
                let path = prefix + "/" + member.key
                paths.insert(path)
                paths.formUnion(keyPaths(member.value, prefix: path))
            }
        case .array(let items): return items.reduce(into: Set<String>()) { $0.formUnion(keyPaths($1, prefix: prefix + "[]")) }
        default: return []
        }
    }
}
