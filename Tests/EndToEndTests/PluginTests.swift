import Foundation
import Sandbox
import TestSupport
import Testing

@Suite("kubectl finds and runs the plugin")
struct PluginTests {
    func environment(_ home: TemporaryDirectory, kubeconfig: String? = nil) -> [String: String] {
        var environment = ["HOME": home.path, "PATH": BuiltProducts.searchPath]
        if let kubeconfig { environment["KUBECONFIG"] = kubeconfig }
        return environment
    }

    @Test("kubectl plugin list finds kubectl-agw on PATH")
    func pluginList() async throws {
        let home = try TemporaryDirectory()
        let result = try await ChildProcess.run("kubectl", ["plugin", "list"], environment: environment(home))
        #expect(result.stdout.contains(BuiltProducts.path("kubectl-agw")), "\(result.stdout)\(result.stderr)")
    }

    @Test("kubectl agw version prints the client and the cluster's version through kubectl")
    func versionThroughKubectl() async throws {
        let cluster = try await KubernetesEndpoint.start(options: .init(tokens: ["e2e-token": "admin"], version: "v1.31.7"))
        defer { Task { await cluster.stop() } }
        let home = try TemporaryDirectory()
        let kubeconfig = try home.write(".kube/config", cluster.kubeconfig(credential: .token("e2e-token")))
        let result = try await ChildProcess.run("kubectl", ["agw", "version"], environment: environment(home, kubeconfig: kubeconfig))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Client Version: v0.1.0"))
        #expect(result.stdout.contains("Server Version: v1.31.7"))

        let json = try await ChildProcess.run("kubectl", ["agw", "version", "-o", "json", "--client"], environment: environment(home))
        let object = try Value.decode(Data(json.stdout.utf8))
        #expect(object.lookup("clientVersion.version")?.string == "v0.1.0")
        #expect(object["serverVersion"] == nil)
    }

    @Test("kubectl's connection flags after the command name reach the plugin")
    func connectionFlags() async throws {
        let cluster = try await KubernetesEndpoint.start(options: .init(tokens: ["flag-token": "admin"], version: "v1.30.2"))
        defer { Task { await cluster.stop() } }
        let home = try TemporaryDirectory()
        let elsewhere = try home.write("other/config", cluster.kubeconfig(name: "other", credential: .token("wrong")))
        let result = try await ChildProcess.run(
            "kubectl", ["agw", "version", "--kubeconfig", elsewhere, "--token", "flag-token"], environment: environment(home))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Server Version: v1.30.2"))
        #expect(await cluster.api.requests.last?.user == "admin")
    }

    @Test("a bad kubeconfig fails with exit 1 and one line on stderr naming the file")
    func badKubeconfig() async throws {
        let home = try TemporaryDirectory()
        let broken = try home.write("broken.yaml", "clusters: [oops\n")
        let result = try await ChildProcess.run("kubectl", ["agw", "version", "--kubeconfig", broken], environment: environment(home))
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("error loading config file \"\(broken)\""))
    }

    @Test("help reads the way users type it and a typo exits 1 with one line")
    func helpAndTypos() async throws {
        let home = try TemporaryDirectory()
        let help = try await ChildProcess.run("kubectl", ["agw", "--help"], environment: environment(home))
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: kubectl agw <subcommand>"))
        let typo = try await ChildProcess.run("kubectl", ["agw", "versoin"], environment: environment(home))
        #expect(typo.status == 1)
        #expect(typo.stderr.split(separator: "\n").count == 1, "\(typo.stderr)")
        #expect(typo.stderr.hasPrefix("error: "))
    }
}
