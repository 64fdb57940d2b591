import Foundation
import Sandbox
import Shared
import TestSupport

/// A local Azure plus what a client needs to reach it: a CA bundle file and an environment that never
/// points at a real Azure endpoint (IMDS is redirected to the local identity server).
struct AzureFixture {
    let endpoint: AzureEndpoint
    let home: TemporaryDirectory
    let caFile: String

    static let clientID = "5f1e7c3a-9b2d-4e8f-a6c1-0d3b7e9f2a4c"
    static let clientSecret = "sandbox-secret-value-not-real-1234"

    static func start(_ configure: (inout LocalAzure.Options) -> Void = { _ in }) async throws -> AzureFixture {
        var options = LocalAzure.Options()
        options.servicePrincipals = [clientID: clientSecret]
        options.operationDuration = .milliseconds(100)
        options.retryAfterSeconds = 0
        configure(&options)
        let endpoint = try await AzureEndpoint.start(options: options)
        let home = try TemporaryDirectory()
        let caFile = try home.write("ca.pem", endpoint.ca.certificatePEM)
        return AzureFixture(endpoint: endpoint, home: home, caFile: caFile)
    }

    func stop() async { await endpoint.stop() }

    var subscription: String { "3b8f9d2c-1a4e-4f6b-8c7d-5e9a0b1c2d3f" }

    var cloud: AzureCloud {
        AzureCloud(
            name: AzureEndpoint.cloudName, resourceManager: URL(string: endpoint.url) ?? URL(fileURLWithPath: "/"),
            activeDirectory: URL(string: endpoint.url) ?? URL(fileURLWithPath: "/"), audience: "https://management.core.windows.net/")
    }

    /// A minimal environment: no inherited Azure variables, IMDS redirected to the local identity server.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = [
            "HOME": home.path, "PATH": home.path + "/bin:/usr/bin:/bin", "REQUESTS_CA_BUNDLE": caFile,
            "AZURE_POD_IDENTITY_AUTHORITY_HOST": endpoint.identityURL, "AZURE_CONFIG_DIR": home.path + "/.azure",
        ]
        environment.merge(extra) { $1 }
        return environment
    }

    var servicePrincipalEnvironment: [String: String] {
        [
            "AZURE_TENANT_ID": "8f3c6a2e-5b1d-4c7a-9e0f-2a6b4d8c1e35", "AZURE_CLIENT_ID": Self.clientID,
            "AZURE_CLIENT_SECRET": Self.clientSecret,
        ]
    }

    func context(_ extra: [String: String] = [:]) -> CredentialContext { CredentialContext(environment: environment(extra)) }

    /// An ARM client authenticated as the service principal; sleeps are recorded instead of waited.
    func client(credential: (any TokenCredential)? = nil, sleeps: SleepLog = SleepLog()) throws -> ARMClient {
        try ARMClient(
            cloud: cloud, credential: credential ?? EnvironmentCredential(context: context(servicePrincipalEnvironment)), caFile: caFile,
            sleep: { duration in await sleeps.record(duration) })
    }

    func gatewayID(_ name: String = "mygw", group: String = "agw-rg") -> String {
        "/subscriptions/\(subscription)/resourceGroups/\(group)/providers/Microsoft.Network/applicationGateways/\(name)"
    }

    func seedPortalGateway(_ name: String = "mygw", group: String = "agw-rg") async throws {
        try await endpoint.azure.seed(SeedGateways.portalStyle(subscription: subscription, resourceGroup: group, name: name))
    }
}

/// Records the delays the client asked for, and yields briefly so time-based server state can move on.
actor SleepLog {
    var delays: [Duration] = []
    func record(_ duration: Duration) async {
        delays.append(duration)
        try? await Task.sleep(for: .milliseconds(20))
    }
}
