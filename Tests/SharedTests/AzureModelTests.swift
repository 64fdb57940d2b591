import Foundation
import Shared
import TestSupport
import Testing

@Suite("resource IDs, long-running operation states, clouds and subscriptions")
struct AzureModelTests {
    @Test("resource IDs parse strictly and compare case-insensitively")
    func resourceIDs() throws {
        let id = try ResourceID(
            parsing: "/subscriptions/sub/resourceGroups/RG/providers/Microsoft.Network/applicationGateways/gw/backendaddressPools/pool")
        #expect(id.subscription == "sub" && id.resourceGroup == "RG" && id.name == "pool")
        #expect(id.root == ResourceID.applicationGateway(subscription: "SUB", resourceGroup: "rg", name: "GW"))
        #expect(
            id == ResourceID.applicationGateway(subscription: "sub", resourceGroup: "rg", name: "gw").child("backendAddressPools", "POOL"))
        for bad in [
            "", "/subscriptions", "/subscriptions/s/resourceGroups/rg",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationGateways",
            "subscriptions/s/resourceGroups/rg/providers/P/t/n", "/subscriptions//resourceGroups/rg/providers/P/t/n",
        ] {
            #expect(throws: ResourceIDError.self) { try ResourceID(parsing: bad) }
        }
    }

    static let resource =
        URL(string: "https://arm.example/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationGateways/gw")
        ?? URL(fileURLWithPath: "/")
    static let operation = URL(string: "https://arm.example/operations/1") ?? URL(fileURLWithPath: "/")

    @Test("long-running operations: every shape and terminal state")
    func lroStates() {
        let resource = Self.resource
        let operationURL = Self.operation
        // Azure-AsyncOperation on a PUT: poll the status, then GET the resource.
        var state = LROState.start(
            method: "PUT", status: 201, headers: ["Azure-AsyncOperation": operationURL.absoluteString], body: nil, resourceURL: resource)
        #expect(state == .polling(url: operationURL, via: .asyncOperation))
        state = state.next(status: 200, headers: [:], body: ["status": "InProgress"], method: "PUT", resourceURL: resource)
        #expect(state == .polling(url: operationURL, via: .asyncOperation))
        #expect(
            state.next(status: 200, headers: [:], body: ["status": "Succeeded"], method: "PUT", resourceURL: resource)
                == .succeeded(finalURL: resource))
        #expect(
            state.next(
                status: 200, headers: [:], body: ["status": "Failed", "error": ["code": "Boom", "message": "it broke"]], method: "PUT",
                resourceURL: resource)
                == .failed(status: "Failed", code: "Boom", message: "it broke"))
        #expect(
            state.next(status: 200, headers: [:], body: ["status": "Canceled"], method: "PUT", resourceURL: resource)
                == .failed(status: "Canceled", code: "Canceled", message: "the operation ended Canceled without an error message"))
        #expect(
            state.next(status: 200, headers: [:], body: [:], method: "PUT", resourceURL: resource)
                == .failed(status: "Failed", code: "BadResponse", message: "the operation status has no \"status\" field"))
        // Location on a POST: 202 while running; the last response is the result.
        var post = LROState.start(
            method: "POST", status: 202, headers: ["Location": operationURL.absoluteString], body: nil, resourceURL: resource)
        #expect(post == .polling(url: operationURL, via: .location))
        post = post.next(status: 202, headers: [:], body: nil, method: "POST", resourceURL: resource)
        #expect(post == .polling(url: operationURL, via: .location))
        #expect(
            post.next(status: 200, headers: [:], body: ["backendAddressPools": []], method: "POST", resourceURL: resource)
                == .succeeded(finalURL: nil))
        // No header: provisioningState of the resource itself.
        let body: JSON = ["properties": ["provisioningState": "Updating"]]
        let polling = LROState.start(method: "PUT", status: 200, headers: [:], body: body, resourceURL: resource)
        #expect(polling == .polling(url: resource, via: .provisioningState))
        #expect(
            polling.next(
                status: 200, headers: [:], body: ["properties": ["provisioningState": "Succeeded"]], method: "PUT", resourceURL: resource)
                == .succeeded(finalURL: resource))
        #expect(
            LROState.start(
                method: "PUT", status: 200, headers: [:], body: ["properties": ["provisioningState": "Succeeded"]], resourceURL: resource)
                == .succeeded(finalURL: resource))
        #expect(LROState.start(method: "DELETE", status: 204, headers: [:], body: nil, resourceURL: resource) == .succeeded(finalURL: nil))
    }

    @Test("clouds: built-ins, custom clouds from clouds.config, the active cloud and --cloud")
    func clouds() throws {
        let home = try TemporaryDirectory()
        let config = AzureCLIConfig(environment: ["AZURE_CONFIG_DIR": home.path + "/az"])
        #expect(config.activeCloudName() == "AzureCloud")
        #expect(try config.cloud(named: nil).resourceManager.absoluteString == "https://management.azure.com")
        #expect(try config.cloud(named: "azurechinacloud").activeDirectory.absoluteString == "https://login.chinacloudapi.cn")
        #expect(try config.cloud(named: "AzureUSGovernment").scope == "https://management.core.usgovcloudapi.net/.default")
        try home.write(
            "az/clouds.config",
            """
            [MyStack]
            endpoint_resource_manager = https://management.local.azurestack.external/
            endpoint_active_directory = https://login.local.example
            endpoint_active_directory_resource_id = https://management.adfs.example/abc
            """)
        try home.write("az/config", "[cloud]\nname = MyStack\n")
        let custom = try config.cloud(named: nil)
        #expect(custom.name == "MyStack")
        #expect(custom.resourceManager.absoluteString == "https://management.local.azurestack.external")
        #expect(custom.scope == "https://management.adfs.example/abc/.default")
        #expect(throws: AzureConfigError.unknownCloud("Nowhere", known: ["AzureCloud", "AzureChinaCloud", "AzureUSGovernment", "MyStack"]))
        {
            try config.cloud(named: "Nowhere")
        }
        #expect(AzureCLIConfig(environment: ["HOME": "/home/x"]).directory == "/home/x/.azure")
    }

    @Test("subscriptions: --subscription by name or ID, then AZURE_SUBSCRIPTION_ID, then az's default for the active cloud")
    func subscriptions() throws {
        let home = try TemporaryDirectory()
        let profile: JSON = [
            "subscriptions": [
                [
                    "id": "11111111-1111-1111-1111-111111111111", "name": "Production", "isDefault": false, "tenantId": "t",
                    "environmentName": "AzureCloud",
                ],
                [
                    "id": "22222222-2222-2222-2222-222222222222", "name": "Dev", "isDefault": true, "tenantId": "t",
                    "environmentName": "AzureCloud",
                ],
                [
                    "id": "33333333-3333-3333-3333-333333333333", "name": "Dev", "isDefault": true, "tenantId": "t",
                    "environmentName": "AzureChinaCloud",
                ],
                [
                    "id": "44444444-4444-4444-4444-444444444444", "name": "Twin", "isDefault": false, "tenantId": "t",
                    "environmentName": "AzureCloud",
                ],
                [
                    "id": "55555555-5555-5555-5555-555555555555", "name": "twin", "isDefault": false, "tenantId": "t",
                    "environmentName": "AzureCloud",
                ],
            ]
        ]
        var bytes = Data([0xEF, 0xBB, 0xBF])
        bytes.append(profile.data)
        try FileManager.default.createDirectory(atPath: home.path + "/az", withIntermediateDirectories: true)
        try bytes.write(to: URL(fileURLWithPath: home.path + "/az/azureProfile.json"))
        let config = AzureCLIConfig(environment: ["AZURE_CONFIG_DIR": home.path + "/az"])
        let cloud = try config.cloud(named: nil)
        let plain = SubscriptionResolver(config: config, environment: [:])
        #expect(
            try plain.resolve(requested: nil, cloud: cloud) == "22222222-2222-2222-2222-222222222222", "az's default, read despite the BOM")
        #expect(try plain.resolve(requested: "production", cloud: cloud) == "11111111-1111-1111-1111-111111111111")
        #expect(
            try plain.resolve(requested: "11111111-1111-1111-1111-111111111111", cloud: cloud) == "11111111-1111-1111-1111-111111111111")
        #expect(
            try plain.resolve(requested: "99999999-9999-9999-9999-999999999999", cloud: cloud) == "99999999-9999-9999-9999-999999999999")
        #expect(throws: AzureConfigError.ambiguousSubscription("TWIN")) { try plain.resolve(requested: "TWIN", cloud: cloud) }
        #expect(throws: AzureConfigError.subscriptionNotFound("Staging")) { try plain.resolve(requested: "Staging", cloud: cloud) }
        let china = try config.cloud(named: "AzureChinaCloud")
        #expect(
            try plain.resolve(requested: nil, cloud: china) == "33333333-3333-3333-3333-333333333333",
            "only the active cloud's subscriptions count")
        let fromEnvironment = SubscriptionResolver(
            config: config, environment: ["AZURE_SUBSCRIPTION_ID": "66666666-6666-6666-6666-666666666666"])
        #expect(try fromEnvironment.resolve(requested: nil, cloud: cloud) == "66666666-6666-6666-6666-666666666666")
        #expect(
            try fromEnvironment.resolve(requested: "Dev", cloud: cloud) == "22222222-2222-2222-2222-222222222222", "--subscription wins")
        let empty = SubscriptionResolver(config: AzureCLIConfig(environment: ["AZURE_CONFIG_DIR": home.path + "/none"]), environment: [:])
        #expect(throws: AzureConfigError.noSubscription) { try empty.resolve(requested: nil, cloud: cloud) }
    }

    @Test("Retry-After in seconds, milliseconds or as an HTTP date")
    func retryAfterParsing() {
        #expect(RetryPolicy.retryAfter(["Retry-After": "5"]) == .seconds(5))
        #expect(RetryPolicy.retryAfter(["retry-after-ms": "250"]) == .milliseconds(250))
        #expect(RetryPolicy.retryAfter(["x-ms-retry-after-ms": "1500", "Retry-After": "9"]) == .milliseconds(1500))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let later = "Fri, 15 Jan 2027 08:00:10 GMT"
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        let expected = (formatter.date(from: later) ?? now).timeIntervalSince(now)
        #expect(RetryPolicy.retryAfter(["Retry-After": later], now: now) == .milliseconds(Int(expected * 1000)))
        #expect(RetryPolicy.retryAfter([:]) == nil)
    }
}
