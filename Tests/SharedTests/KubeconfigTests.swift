import Foundation
import Shared
import TestSupport
import Testing

/// Path of a kubeconfig fixture.
func fixture(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/kubeconfig/\(name)", withExtension: nil))
    return url.path
}

/// A resolver whose environment names only what the test gives it (no HOME kubeconfig, no in-cluster).
func resolver(_ environment: [String: String] = [:], inClusterRoot: String = "/nonexistent") -> ClientConfigResolver {
    ClientConfigResolver(environment: ["HOME": "/nonexistent"].merging(environment) { $1 }, inCluster: InClusterPaths(root: inClusterRoot))
}

@Suite("kubeconfig loading and resolution, as client-go does it")
struct KubeconfigTests {
    @Test("KUBECONFIG merges files: the first file to define a name wins with its whole entry")
    func mergeFirstWins() throws {
        let env = ["KUBECONFIG": try fixture("first.yaml") + ":" + fixture("second.yaml")]
        let config = try KubeconfigLoader(environment: env).load()
        #expect(config.clusters["shared"]?.server == "https://first.example:6443")
        #expect(config.clusters["shared"]?.tlsServerName == nil, "fields of the second file's entry are not mixed in")
        #expect(config.clusters["only-second"]?.server == "https://only-second.example:6443")
        #expect(config.users["dev"]?.token == "first-token-value")
        #expect(config.users["dev"]?.username == nil)
        #expect(config.contexts["shared-context"]?.cluster == "shared")
        // first.yaml's current-context is empty, so the first non-empty one (second.yaml's) wins.
        #expect(config.currentContext == "shared-context")
    }

    @Test("the merged context resolves to the first file's cluster, user and namespace")
    func mergedResolution() throws {
        let env = ["KUBECONFIG": try fixture("first.yaml") + ":" + fixture("second.yaml")]
        let rest = try resolver(env).resolve(KubeOverrides())
        #expect(rest.server.absoluteString == "https://first.example:6443")
        #expect(rest.namespace == "team-a")
        #expect(rest.credentials == .bearer("first-token-value"))
        #expect(rest.tls.insecureSkipVerify)
    }

    @Test("missing KUBECONFIG entries are skipped; an empty entry is ignored")
    func missingEntriesSkipped() throws {
        let env = ["KUBECONFIG": "/nonexistent/a::" + (try fixture("second.yaml")) + ":/nonexistent/b"]
        let config = try KubeconfigLoader(environment: env).load()
        #expect(config.files == [try fixture("second.yaml")])
        #expect(config.currentContext == "shared-context")
    }

    @Test("--kubeconfig reads only that file, and a missing one is an error")
    func explicitFile() throws {
        let env = ["KUBECONFIG": try fixture("first.yaml")]
        let config = try KubeconfigLoader(environment: env).load(explicit: try fixture("second.yaml"))
        #expect(config.files == [try fixture("second.yaml")])
        #expect(throws: KubeconfigError.explicitFileMissing(path: "/nonexistent/config")) {
            try KubeconfigLoader(environment: env).load(explicit: "/nonexistent/config")
        }
    }

    @Test("relative paths resolve against the file that named them; a bare exec command stays a PATH lookup")
    func relativePaths() throws {
        let path = try fixture("relative/config")
        let directory = (path as NSString).deletingLastPathComponent
        let config = try KubeconfigLoader(environment: [:]).load(explicit: path)
        #expect(config.clusters["rel"]?.certificateAuthority == directory + "/certs/ca.crt")
        #expect(config.users["rel"]?.tokenFile == directory + "/token")
        #expect(config.users["plugin"]?.exec?.command == directory + "/./bin/get-token")
        #expect(config.users["plugin"]?.exec?.interactiveMode == .ifAvailable, "v1beta1 defaults interactiveMode to IfAvailable")
        #expect(config.users["bare-plugin"]?.exec?.command == "kubelogin")

        let rest = try resolver().resolve(config, KubeOverrides())
        #expect(rest.tls.caPEM == FileManager.default.contents(atPath: directory + "/certs/ca.crt"), "the CA file is read")
        #expect(rest.credentials == .bearerFile(directory + "/token"))
        #expect(rest.tls.serverName == "kubernetes")
    }

    @Test("override flags follow client-go's rules")
    func overrides() throws {
        let config = try KubeconfigLoader(environment: [:]).load(explicit: try fixture("relative/config"))
        var flags = KubeOverrides()
        flags.server = "https://127.0.0.1:6443"
        flags.namespace = "prod"
        flags.token = "flag-token-value"
        let rest = try resolver().resolve(config, flags)
        #expect(rest.server.absoluteString == "https://127.0.0.1:6443")
        #expect(rest.tls.serverName == nil, "--server clears the kubeconfig tls-server-name")
        #expect(rest.namespace == "prod" && rest.namespaceExplicit)
        #expect(rest.credentials == .bearer("flag-token-value"), "--token replaces tokenFile")

        flags.tlsServerName = "kubernetes.default"
        flags.insecureSkipTLSVerify = true
        let insecure = try resolver().resolve(config, flags)
        #expect(insecure.tls.serverName == "kubernetes.default")
        #expect(insecure.tls.insecureSkipVerify)
        #expect(insecure.tls.caPEM == nil, "--insecure-skip-tls-verify replaces the CA")

        var contextFlags = KubeOverrides()
        contextFlags.context = "plugin"
        contextFlags.requestTimeout = "1m30s"
        let plugin = try resolver().resolve(config, contextFlags)
        guard case .exec(let exec) = plugin.credentials else {
            Issue.record("expected exec credentials, got \(plugin.credentials)")
            return
        }
        #expect(exec.args == ["--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"])
        #expect(plugin.requestTimeout == .seconds(90))
        #expect(plugin.namespace == "default")
    }

    @Test("credentials are not applied to a plain http server")
    func noCredentialsOverHTTP() throws {
        let config = try KubeconfigLoader(environment: [:]).load(explicit: try fixture("first.yaml"))
        var flags = KubeOverrides()
        flags.context = "shared-context"
        flags.server = "http://127.0.0.1:8080"
        let rest = try resolver().resolve(config, flags)
        #expect(rest.credentials == .none)
    }

    @Test("in-cluster configuration is used only when there is no kubeconfig")
    func inCluster() throws {
        let root = try TemporaryDirectory()
        try root.write("token", "in-cluster-token\n")
        try root.write("ca.crt", "CA")
        try root.write("namespace", "payments\n")
        let env = ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443", "KUBECONFIG": "/nonexistent/config"]
        let rest = try resolver(env, inClusterRoot: root.path).resolve(KubeOverrides())
        #expect(rest.server.absoluteString == "https://10.0.0.1:443")
        #expect(rest.credentials == .bearerFile(root.path + "/token"))
        #expect(rest.namespace == "payments")
        #expect(rest.tls.caPEM == Data("CA".utf8))

        let withPodNamespace = try resolver(env.merging(["POD_NAMESPACE": "from-env"]) { $1 }, inClusterRoot: root.path).resolve(
            KubeOverrides())
        #expect(withPodNamespace.namespace == "from-env")

        let withKubeconfig = try resolver(env.merging(["KUBECONFIG": try fixture("second.yaml")]) { $1 }, inClusterRoot: root.path)
            .resolve(KubeOverrides())
        #expect(withKubeconfig.server.host == "only-second.example")
    }

    @Test("no kubeconfig and not in a pod: an actionable error, never localhost:8080")
    func nothingConfigured() throws {
        #expect(throws: KubeconfigError.noConfiguration(searched: ["/nonexistent/.kube/config"])) {
            try resolver().resolve(KubeOverrides())
        }
        let message = KubeconfigError.noConfiguration(searched: ["/nonexistent/.kube/config"]).description
        #expect(message.contains("KUBECONFIG") && message.contains("--kubeconfig"))
    }

    /// One bad kubeconfig and the words its error must contain.
    struct BadFile: Sendable, CustomTestStringConvertible {
        let file: String
        let context: String?
        let expected: [String]
        var testDescription: String { file }
    }

    static let badFiles = [
        BadFile(file: "not-yaml.yaml", context: nil, expected: ["error loading config file", "not-yaml.yaml"]),
        BadFile(file: "wrong-type.yaml", context: nil, expected: ["clusters[0].cluster.insecure-skip-tls-verify", "true or false"]),
        BadFile(file: "duplicate.yaml", context: nil, expected: ["duplicate name \"twice\" in clusters"]),
        BadFile(file: "azure-auth-provider.yaml", context: nil, expected: ["removed in Kubernetes 1.26", "kubelogin convert-kubeconfig"]),
        BadFile(file: "exec-v1-no-mode.yaml", context: nil, expected: ["users[0].user.exec.interactiveMode", "required"]),
        BadFile(
            file: "both-ca.yaml", context: nil, expected: ["certificate-authority-data and certificate-authority are both specified for c"]),
        BadFile(file: "cert-without-key.yaml", context: nil, expected: ["client-key-data or client-key must be specified for u"]),
        BadFile(file: "unknown-context.yaml", context: nil, expected: ["context \"gone\" does not exist", "kubectl config get-contexts"]),
        BadFile(file: "first.yaml", context: "nope", expected: ["context \"nope\" does not exist"]),
        BadFile(file: "null-lists.yaml", context: nil, expected: ["no current context", "kubectl config use-context"]),
        BadFile(file: "empty.yaml", context: nil, expected: ["no current context"]),
    ]

    @Test("every malformed or incomplete kubeconfig gets one clear line naming the file or field", arguments: badFiles)
    func badKubeconfig(_ bad: BadFile) throws {
        var flags = KubeOverrides()
        flags.kubeconfig = try fixture(bad.file)
        flags.context = bad.context
        do {
            let rest = try resolver().resolve(flags)
            Issue.record("expected an error, got a config for \(rest.server)")
        } catch {
            let message = error.description
            for words in bad.expected { #expect(message.contains(words), "\(message)") }
            #expect(!message.contains("\n"), "one line: \(message)")
        }
    }

    @Test(
        "--request-timeout takes seconds or a Go duration",
        arguments: [
            ("30", Duration.seconds(30)), ("2m", .seconds(120)), ("1h2m3s", .seconds(3723)), ("500ms", .milliseconds(500)), ("0", nil),
        ] as [(String, Duration?)])
    func requestTimeout(_ text: String, _ expected: Duration?) throws {
        #expect(try ClientConfigResolver.parseRequestTimeout(text) == expected)
    }

    @Test("a nonsense --request-timeout is rejected")
    func badRequestTimeout() {
        #expect(throws: KubeconfigError.invalidRequestTimeout("soon")) { try ClientConfigResolver.parseRequestTimeout("soon") }
    }
}
