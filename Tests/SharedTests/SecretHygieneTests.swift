import Foundation
import Sandbox
import Shared
import TestSupport
import Testing

/// Everything the tool prints or reports in failure and success paths, searched for the secrets it used.
@Suite("no token or secret ever reaches the output")
struct SecretHygieneTests {
    @Test("kubectl-agw's own output and every credential or ARM error leave out tokens and secrets")
    func nothingLeaks() async throws {
        var printed: [String] = []
        var secrets: [String] = []

        // The binary, with a bearer token on the command line and in the kubeconfig, refused and unreachable.
        let cluster = try await KubernetesEndpoint.start(options: .init(tokens: ["accepted-kube-token-123456": "admin"]))
        let home = try TemporaryDirectory()
        let kubeconfig = try home.write("config", cluster.kubeconfig(credential: .token("refused-kube-token-654321")))
        secrets += ["accepted-kube-token-123456", "refused-kube-token-654321"]
        let environment = ["HOME": home.path, "PATH": BuiltProducts.searchPath, "KUBECONFIG": kubeconfig]
        for arguments in [
            ["version"], ["version", "--token", "accepted-kube-token-123456"], ["version", "--token", "refused-kube-token-654321"],
        ] {
            let result = try await ChildProcess.run(BuiltProducts.path("kubectl-agw"), arguments, environment: environment)
            printed += [result.stdout, result.stderr]
        }
        await cluster.stop()
        let unreachable = try await ChildProcess.run(
            BuiltProducts.path("kubectl-agw"), ["version", "--token", "accepted-kube-token-123456"],
            environment: environment)
        printed += [unreachable.stdout, unreachable.stderr]

        // Azure: a wrong client secret, an az that echoes a token in its error, a refused ARM token.
        let fixture = try await AzureFixture.start()
        defer { Task { await fixture.stop() } }
        var env = fixture.servicePrincipalEnvironment
        env["AZURE_CLIENT_SECRET"] = "wrong-client-secret-987654"
        secrets += [AzureFixture.clientSecret, "wrong-client-secret-987654"]
        let chain = try ChainedCredential.standard(context: fixture.context(env))
        do { _ = try await chain.token(for: fixture.cloud, inChain: false) } catch { printed.append("\(error)") }
        try fixture.home.script("bin/az", #"echo '{"accessToken": "az-echoed-token-555555", "error": "boom"}' >&2; exit 1"#)
        secrets.append("az-echoed-token-555555")
        do { _ = try await AzureCLICredential(context: fixture.context()).token(for: fixture.cloud, inChain: false) } catch {
            printed.append("\(error)")
        }
        let token = try await EnvironmentCredential(context: fixture.context(fixture.servicePrincipalEnvironment)).token(
            for: fixture.cloud, inChain: false)
        secrets.append(token.token)
        printed.append("\(token)")
        let client = try fixture.client()
        await fixture.endpoint.azure.revokeAllTokens()
        do { _ = try await client.get(fixture.gatewayID("absent"), operation: ARMOperation()) } catch { printed.append("\(error)") }
        printed += await fixture.endpoint.azure.requests.map { "\($0)" }

        // The whole expose flow from the binary: workload identity, the cluster token, ARM tokens.
        let state = try TemporaryDirectory()
        let session = try await SandboxSession.start(
            stateDirectory: state.path + "/sandbox", loadBalancerDelay: .milliseconds(100),
            operationDuration: .milliseconds(100))
        var sandboxEnvironment = session.environment
        sandboxEnvironment["HOME"] = state.path
        sandboxEnvironment["PATH"] = BuiltProducts.searchPath
        for arguments in [
            ["expose", "svc/frontend", "--gateway", "mygw", "--yes", "-o", "json"],
            ["expose", "svc/frontend", "--gateway", "mygw", "--dry-run"],
            ["expose", "svc/frontend", "--gateway", "nope", "--yes"],
        ] {
            let result = try await ChildProcess.run(
                BuiltProducts.path("kubectl-agw"), arguments, environment: sandboxEnvironment, timeout: .seconds(60))
            printed += [result.stdout, result.stderr]
        }
        secrets.append(try String(contentsOfFile: session.stateDirectory + "/federated-token", encoding: .utf8))
        let kubeconfigText = try String(contentsOfFile: session.kubeconfigPath, encoding: .utf8)
        if let tokenLine = kubeconfigText.split(separator: "\n").first(where: { $0.contains("token:") }) {
            secrets.append(tokenLine.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "")
        }
        secrets += await session.azure.azure.issuedTokens
        await session.stop()
        #expect(printed.contains { $0.contains("\"health\"") }, "the expose really ran")

        #expect(printed.joined().count > 200, "the checks above really produced output")
        for secret in secrets where secret.count >= 8 {
            for text in printed {
                #expect(!text.contains(secret), "a secret leaked into: \(text.prefix(200))")
            }
        }
    }
}
