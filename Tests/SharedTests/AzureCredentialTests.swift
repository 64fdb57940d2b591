import Foundation
import Sandbox
import Shared
import TestSupport
import Testing

@Suite("Azure credentials against the local Entra ID, managed identity and a stand-in az")
struct AzureCredentialTests {
    /// Proves a token works by listing subscriptions with it.
    func listSubscriptions(_ fixture: AzureFixture, _ credential: any TokenCredential) async throws -> [JSON] {
        try await fixture.client(credential: credential).list("/subscriptions", operation: ARMOperation())
    }

    @Test("a service principal secret from the environment gets an ARM token")
    func environmentSecret() async throws {
        let fixture = try await AzureFixture.start()
        defer { Task { await fixture.stop() } }
        let credential = EnvironmentCredential(context: fixture.context(fixture.servicePrincipalEnvironment))
        let subscriptions = try await listSubscriptions(fixture, credential)
        #expect(subscriptions.first?["subscriptionId"]?.stringValue == fixture.subscription)
    }

    @Test("environment credential: not configured moves on, a wrong secret fails with Entra's reason")
    func environmentFailures() async throws {
        let fixture = try await AzureFixture.start()
        defer { Task { await fixture.stop() } }
        await #expect(throws: CredentialError.unavailable("AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET are not all set")) {
            _ = try await EnvironmentCredential(context: fixture.context()).token(for: fixture.cloud, inChain: true)
        }
        var wrong = fixture.servicePrincipalEnvironment
        wrong["AZURE_CLIENT_SECRET"] = "definitely-wrong-secret"
        do {
            _ = try await EnvironmentCredential(context: fixture.context(wrong)).token(for: fixture.cloud, inChain: true)
            Issue.record("a wrong secret must fail")
        } catch {
            guard case .failed(let message) = error else {
                Issue.record("expected failed, got \(error)")
                return
            }
            #expect(message.contains("invalid_client") && message.contains("AADSTS7000215"))
            #expect(!message.contains("definitely-wrong-secret"), "the secret never appears in a message")
            #expect(!message.contains("\n") && !message.contains("Trace ID"), "one line: \(message)")
        }
    }

    @Test("workload identity exchanges the federated token file for an ARM token")
    func workloadIdentity() async throws {
        let fixture = try await AzureFixture.start { $0.federatedCredentials = ["wi-client": "federated-token-from-kubelet"] }
        defer { Task { await fixture.stop() } }
        let file = try fixture.home.write("token", "federated-token-from-kubelet\n")
        let env = [
            "AZURE_TENANT_ID": "8f3c6a2e-5b1d-4c7a-9e0f-2a6b4d8c1e35", "AZURE_CLIENT_ID": "wi-client", "AZURE_FEDERATED_TOKEN_FILE": file,
        ]
        _ = try await listSubscriptions(fixture, WorkloadIdentityCredential(context: fixture.context(env)))

        await #expect(throws: CredentialError.unavailable("AZURE_FEDERATED_TOKEN_FILE is not set")) {
            _ = try await WorkloadIdentityCredential(context: fixture.context()).token(for: fixture.cloud, inChain: true)
        }
        try fixture.home.write("token", "a-token-nobody-trusts")
        await #expect(throws: CredentialError.self) {
            _ = try await WorkloadIdentityCredential(context: fixture.context(env)).token(for: fixture.cloud, inChain: true)
        }
    }

    @Test("managed identity through IMDS and through the App Service endpoint")
    func managedIdentity() async throws {
        let fixture = try await AzureFixture.start { $0.managedIdentityHeader = "identity-header-secret" }
        defer { Task { await fixture.stop() } }
        _ = try await listSubscriptions(fixture, ManagedIdentityCredential(context: fixture.context()))
        let appService = ["IDENTITY_ENDPOINT": fixture.endpoint.identityURL + "/msi/token", "IDENTITY_HEADER": "identity-header-secret"]
        _ = try await listSubscriptions(fixture, ManagedIdentityCredential(context: fixture.context(appService)))
        let wrongHeader = ["IDENTITY_ENDPOINT": fixture.endpoint.identityURL + "/msi/token", "IDENTITY_HEADER": "wrong"]
        await #expect(throws: CredentialError.self) {
            _ = try await ManagedIdentityCredential(context: fixture.context(wrongHeader)).token(for: fixture.cloud, inChain: false)
        }
    }

    @Test("in a chain, an IMDS that does not answer counts as not configured")
    func imdsAbsent() async throws {
        let fixture = try await AzureFixture.start()
        let closed = fixture.endpoint.identityURL
        await fixture.stop()
        let context = fixture.context(["AZURE_POD_IDENTITY_AUTHORITY_HOST": closed])
        do {
            _ = try await ManagedIdentityCredential(context: context).token(for: fixture.cloud, inChain: true)
            Issue.record("no IMDS must be unavailable")
        } catch {
            guard case .unavailable = error else {
                Issue.record("expected unavailable, got \(error)")
                return
            }
        }
    }

    @Test("the Azure CLI credential runs az without a shell and reads its token")
    func azureCLI() async throws {
        let fixture = try await AzureFixture.start()
        defer { Task { await fixture.stop() } }
        _ = try await fixture.endpoint.writeFakeAzureCLI(to: fixture.home.path + "/bin")
        _ = try await listSubscriptions(fixture, AzureCLICredential(context: fixture.context()))

        _ = try await fixture.endpoint.writeFakeAzureCLI(to: fixture.home.path + "/bin", signedIn: false)
        await #expect(throws: CredentialError.unavailable("Please run 'az login' to set up an account")) {
            _ = try await AzureCLICredential(context: fixture.context()).token(for: fixture.cloud, inChain: true)
        }
        await #expect(throws: CredentialError.unavailable("Azure CLI not found on path")) {
            _ = try await AzureCLICredential(context: fixture.context(["PATH": "/nonexistent"])).token(for: fixture.cloud, inChain: true)
        }
        try fixture.home.script("bin/az", "sleep 30")
        let started = ContinuousClock.now
        await #expect(throws: CredentialError.self) {
            _ = try await AzureCLICredential(context: fixture.context(), timeout: .seconds(1)).token(for: fixture.cloud, inChain: true)
        }
        #expect(ContinuousClock.now - started < .seconds(10), "az is killed at its time limit")
    }

    @Test("the chain lists every attempt when nothing is configured")
    func chainNothingConfigured() async throws {
        let fixture = try await AzureFixture.start()
        defer { Task { await fixture.stop() } }
        let chain = try ChainedCredential.standard(
            context: fixture.context(["AZURE_POD_IDENTITY_AUTHORITY_HOST": "http://127.0.0.1:9", "PATH": "/nonexistent"]))
        do {
            _ = try await chain.token(for: fixture.cloud, inChain: false)
            Issue.record("nothing configured must fail")
        } catch {
            let message = error.description
            for name in ["EnvironmentCredential", "WorkloadIdentityCredential", "ManagedIdentityCredential", "AzureCliCredential"] {
                #expect(message.contains(name), "\(message)")
            }
            #expect(message.contains("az login"))
        }
    }

    @Test("the chain stops at a credential that is configured but fails, and does not try the next")
    func chainStopsOnFailure() async throws {
        let fixture = try await AzureFixture.start()
        defer { Task { await fixture.stop() } }
        let marker = fixture.home.path + "/az-was-run"
        try fixture.home.script("bin/az", "touch \(marker); exit 1")
        var env = fixture.servicePrincipalEnvironment
        env["AZURE_CLIENT_SECRET"] = "wrong"
        let chain = try ChainedCredential.standard(context: fixture.context(env))
        await #expect(throws: CredentialError.self) { _ = try await chain.token(for: fixture.cloud, inChain: false) }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("the chain falls through to az when nothing else is configured, and keeps using it")
    func chainFallsThroughToCLI() async throws {
        let fixture = try await AzureFixture.start { $0.imdsEnabled = false }
        defer { Task { await fixture.stop() } }
        _ = try await fixture.endpoint.writeFakeAzureCLI(to: fixture.home.path + "/bin")
        let chain = try ChainedCredential.standard(context: fixture.context(["AZURE_POD_IDENTITY_AUTHORITY_HOST": "http://127.0.0.1:9"]))
        _ = try await listSubscriptions(fixture, chain)
        let narrowed = try ChainedCredential.standard(context: fixture.context(["AZURE_TOKEN_CREDENTIALS": "AzureCliCredential"]))
        _ = try await listSubscriptions(fixture, narrowed)
        #expect(throws: CredentialError.self) {
            _ = try ChainedCredential.standard(context: fixture.context(["AZURE_TOKEN_CREDENTIALS": "bogus"]))
        }
    }

    @Test("AZURE_AUTHORITY_HOST replaces the cloud's login endpoint; plain http is refused")
    func authorityHost() async throws {
        let fixture = try await AzureFixture.start()
        defer { Task { await fixture.stop() } }
        var cloud = fixture.cloud
        cloud.activeDirectory = URL(string: "https://127.0.0.1:9") ?? cloud.activeDirectory
        var env = fixture.servicePrincipalEnvironment
        env["AZURE_AUTHORITY_HOST"] = fixture.endpoint.url
        let token = try await EnvironmentCredential(context: fixture.context(env)).token(for: cloud, inChain: false)
        #expect(!token.token.isEmpty)
        #expect(!token.description.contains(token.token), "a token's description never shows it")
        env["AZURE_AUTHORITY_HOST"] = "http://127.0.0.1:1"
        await #expect(throws: CredentialError.self) {
            _ = try await EnvironmentCredential(context: fixture.context(env)).token(for: cloud, inChain: false)
        }
    }

    @Test("tokens are cached until five minutes before expiry and re-acquired once after a 401")
    func tokenCaching() async throws {
        for (lifetime, expectedIssued) in [(3600, 1), (200, 3)] {
            let fixture = try await AzureFixture.start { $0.tokenLifetime = .seconds(lifetime) }
            let client = try fixture.client()
            for _ in 0..<3 { _ = try await client.list("/subscriptions", operation: ARMOperation()) }
            #expect(await fixture.endpoint.azure.tokensIssued == expectedIssued, "lifetime \(lifetime)s")
            await fixture.stop()
        }
        let fixture = try await AzureFixture.start()
        defer { Task { await fixture.stop() } }
        let client = try fixture.client()
        _ = try await client.list("/subscriptions", operation: ARMOperation())
        await fixture.endpoint.azure.revokeAllTokens()
        _ = try await client.list("/subscriptions", operation: ARMOperation())
        #expect(await fixture.endpoint.azure.tokensIssued == 2)
    }
}
