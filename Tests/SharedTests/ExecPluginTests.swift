import Foundation
import Sandbox
import Shared
import TestSupport
import Testing

@Suite("exec credential plugins as real child processes")
struct ExecPluginTests {
    /// Writes a plugin script that prints a token credential read from `token` next to it and counts its runs.
    static func tokenPlugin(in folder: TemporaryDirectory, apiVersion: String, expiry: String? = nil) throws -> String {
        let expiryField = expiry.map { #","expirationTimestamp":"\#($0)""# } ?? ""
        return try folder.script(
            "plugin.sh",
            """
            printf '%s' "$KUBERNETES_EXEC_INFO" > "\(folder.path)/exec-info.json"
            env > "\(folder.path)/env.txt"
            echo run >> "\(folder.path)/runs"
            printf '{"apiVersion":"\(apiVersion)","kind":"ExecCredential","status":{"token":"%s"\(expiryField)}}' "$(cat "\(folder.path)/token")"
            """)
    }

    static func runs(_ folder: TemporaryDirectory) -> Int {
        ((try? String(contentsOfFile: folder.path + "/runs", encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    @Test(
        "a v1 plugin's token authenticates, with KUBERNETES_EXEC_INFO set for it",
        arguments: [
            ("client.authentication.k8s.io/v1", "Never"), ("client.authentication.k8s.io/v1beta1", nil),
        ] as [(String, String?)])
    func tokenPluginWorks(apiVersion: String, mode: String?) async throws {
        let fixture = try await ClusterFixture.start()
        defer { Task { await fixture.stop() } }
        let folder = try TemporaryDirectory()
        try folder.write("token", "plugin-token-1")
        await fixture.cluster.api.addToken("plugin-token-1", user: "plugin-user")
        let plugin = try Self.tokenPlugin(in: folder, apiVersion: apiVersion)
        let (client, _) = try fixture.client(
            .exec(command: plugin, args: ["get-token", "--server-id", "x"], apiVersion: apiVersion, interactiveMode: mode))
        _ = try await client.listServices(namespace: "default", labelSelector: nil, fieldSelector: nil)
        #expect(await fixture.cluster.api.requests.last?.user == "plugin-user")
        let info = try JSON.parse(Data(contentsOf: URL(fileURLWithPath: folder.path + "/exec-info.json")))
        #expect(info["apiVersion"]?.stringValue == apiVersion)
        #expect(info["kind"]?.stringValue == "ExecCredential")
        #expect(info.value(at: "spec", "interactive")?.boolValue == false)
        #expect(info.value(at: "spec", "cluster") == nil, "cluster info only with provideClusterInfo")
    }

    @Test("a plugin may answer with a client certificate and key instead of a token")
    func certificatePlugin() async throws {
        let fixture = try await ClusterFixture.start()
        defer { Task { await fixture.stop() } }
        let issued = try fixture.cluster.ca.issueClient(user: "cert-from-plugin")
        let folder = try TemporaryDirectory()
        let credential: JSON = [
            "apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
            "status": ["clientCertificateData": .string(issued.certificatePEM), "clientKeyData": .string(issued.privateKeyPEM)],
        ]
        try folder.write("credential.json", credential.serialized())
        let plugin = try folder.script("plugin.sh", "cat \"\(folder.path)/credential.json\"")
        let (client, _) = try fixture.client(
            .exec(command: plugin, args: [], apiVersion: "client.authentication.k8s.io/v1beta1", interactiveMode: nil))
        _ = try await client.listServices(namespace: nil, labelSelector: nil, fieldSelector: nil)
        #expect(await fixture.cluster.api.requests.last?.user == "cert-from-plugin")
    }

    @Test("a credential is cached until its expirationTimestamp; an expired one makes the plugin run again")
    func cachingUntilExpiry() async throws {
        let fixture = try await ClusterFixture.start()
        defer { Task { await fixture.stop() } }
        await fixture.cluster.api.addToken("cached-token", user: "u")
        for (expiry, expectedRuns) in [("2099-01-01T00:00:00Z", 1), ("2001-01-01T00:00:00.123456789Z", 3)] {
            let folder = try TemporaryDirectory()
            try folder.write("token", "cached-token")
            let plugin = try Self.tokenPlugin(in: folder, apiVersion: "client.authentication.k8s.io/v1", expiry: expiry)
            let (client, authenticator) = try fixture.client(
                .exec(command: plugin, args: [], apiVersion: "client.authentication.k8s.io/v1", interactiveMode: "Never"))
            for _ in 0..<3 { _ = try await client.listServices(namespace: nil, labelSelector: nil, fieldSelector: nil) }
            #expect(Self.runs(folder) == expectedRuns, "expiry \(expiry)")
            #expect(await authenticator.pluginRuns == expectedRuns)
        }
    }

    @Test("a 401 makes the plugin run once more and the request is sent again with the new token")
    func rerunOnUnauthorized() async throws {
        let fixture = try await ClusterFixture.start()
        defer { Task { await fixture.stop() } }
        let folder = try TemporaryDirectory()
        try folder.write("token", "first-token")
        await fixture.cluster.api.addToken("first-token", user: "u")
        let plugin = try Self.tokenPlugin(in: folder, apiVersion: "client.authentication.k8s.io/v1", expiry: "2099-01-01T00:00:00Z")
        let (client, _) = try fixture.client(
            .exec(command: plugin, args: [], apiVersion: "client.authentication.k8s.io/v1", interactiveMode: "Never"))
        _ = try await client.listServices(namespace: nil, labelSelector: nil, fieldSelector: nil)
        // The server stops accepting the cached token; the plugin now hands out a new one.
        await fixture.cluster.api.revokeToken("first-token")
        await fixture.cluster.api.addToken("second-token", user: "u")
        try folder.write("token", "second-token")
        _ = try await client.listServices(namespace: nil, labelSelector: nil, fieldSelector: nil)
        #expect(Self.runs(folder) == 2)

        // A plugin that keeps handing out a refused token runs once more, then the 401 is reported.
        await fixture.cluster.api.revokeToken("second-token")
        await #expect(throws: KubernetesError.unauthorized("Unauthorized")) {
            _ = try await client.listServices(namespace: nil, labelSelector: nil, fieldSelector: nil)
        }
        #expect(Self.runs(folder) == 3)
    }

    @Test("a failing plugin, a missing one and a bad answer each give a clear error")
    func failures() async throws {
        let folder = try TemporaryDirectory()
        let runner = ExecPluginRunner(stdinIsTerminal: false)
        let failing = try folder.script("fail.sh", "echo 'login expired' >&2; exit 3")
        var config = ExecConfig(command: failing, apiVersion: "client.authentication.k8s.io/v1")
        config.interactiveMode = .never
        await #expect(throws: ExecPluginError.failed(command: failing, exitCode: 3)) {
            _ = try await runner.run(config, clusterInfo: .null)
        }

        var missing = ExecConfig(command: "kubelogin-not-installed", apiVersion: "client.authentication.k8s.io/v1beta1")
        missing.installHint = "kubelogin is not installed \u{1B}[31mwhich is required\u{1B}[0m"
        do {
            _ = try await runner.run(missing, clusterInfo: .null)
            Issue.record("a missing plugin must fail")
        } catch {
            #expect(error.description.contains("exec: executable kubelogin-not-installed not found"))
            #expect(error.description.contains("kubelogin is not installed"))
            #expect(!error.description.contains("\u{1B}"), "escape sequences from the kubeconfig are neutralised")
        }

        let wrongVersion = try folder.script(
            "wrong.sh", #"echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"t"}}'"#)
        var mismatched = ExecConfig(command: wrongVersion, apiVersion: "client.authentication.k8s.io/v1")
        mismatched.interactiveMode = .never
        do {
            _ = try await runner.run(mismatched, clusterInfo: .null)
            Issue.record("a version mismatch must fail")
        } catch {
            #expect(error.description.contains("plugin returned version client.authentication.k8s.io/v1beta1"))
        }

        var always = ExecConfig(command: failing, apiVersion: "client.authentication.k8s.io/v1")
        always.interactiveMode = .always
        await #expect(throws: ExecPluginError.interactiveRequired(command: failing)) {
            _ = try await runner.run(always, clusterInfo: .null)
        }
    }

    @Test("provideClusterInfo passes the cluster; env entries reach the plugin")
    func clusterInfoAndEnvironment() async throws {
        let folder = try TemporaryDirectory()
        try folder.write("token", "t")
        let plugin = try Self.tokenPlugin(in: folder, apiVersion: "client.authentication.k8s.io/v1")
        var config = ExecConfig(command: plugin, apiVersion: "client.authentication.k8s.io/v1")
        config.interactiveMode = .never
        config.provideClusterInfo = true
        config.env = [ExecEnvVar(name: "AAD_LOGIN_METHOD", value: "azurecli")]
        let credential = try await ExecPluginRunner(stdinIsTerminal: false).run(config, clusterInfo: ["server": "https://aks.example:443"])
        #expect(credential.token == "t")
        let info = try JSON.parse(Data(contentsOf: URL(fileURLWithPath: folder.path + "/exec-info.json")))
        #expect(info.value(at: "spec", "cluster", "server")?.stringValue == "https://aks.example:443")
        let env = try String(contentsOfFile: folder.path + "/env.txt", encoding: .utf8)
        #expect(env.contains("AAD_LOGIN_METHOD=azurecli"))
    }

    @Test("a plugin that hangs is stopped at the runner's time limit")
    func timeout() async throws {
        let folder = try TemporaryDirectory()
        let hanging = try folder.script("hang.sh", "sleep 30")
        var config = ExecConfig(command: hanging, apiVersion: "client.authentication.k8s.io/v1")
        config.interactiveMode = .never
        let started = ContinuousClock.now
        await #expect(throws: ExecPluginError.timedOut(command: hanging, seconds: 1)) {
            _ = try await ExecPluginRunner(stdinIsTerminal: false, timeout: .seconds(1)).run(config, clusterInfo: .null)
        }
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
