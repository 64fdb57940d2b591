import Foundation
import Sandbox
import TestSupport
import Testing

/// The real kubectl judges the local Kubernetes API: if kubectl accepts it, the client is tested against
/// something faithful. Each test has its own cluster, HOME and KUBECONFIG.
@Suite("kubectl against the local Kubernetes API")
struct KubectlJudgeTests {
    /// One cluster plus a kubectl wired to it.
    struct Harness {
        let cluster: KubernetesEndpoint
        let home: TemporaryDirectory
        let kubeconfig: String

        static func start(credential: Credential = .token, loadBalancerDelay: Duration = .milliseconds(300)) async throws -> Harness {
            let cluster = try await KubernetesEndpoint.start(
                options: .init(
                    tokens: ["sandbox-admin-token": "admin"], bookmarkInterval: .seconds(1),
                    loadBalancer: LoadBalancerOptions(delay: loadBalancerDelay)))
            let home = try TemporaryDirectory()
            let config: String
            switch credential {
            case .token: config = cluster.kubeconfig(credential: .token("sandbox-admin-token"))
            case .wrongToken: config = cluster.kubeconfig(credential: .token("not-a-valid-token"))
            case .certificate:
                config = cluster.kubeconfig(
                    credential: .clientCertificate(try cluster.ca.issueClient(user: "jane", groups: ["system:masters"])))
            case .foreignCertificate:
                let stranger = try CertificateAuthority(commonName: "someone else")
                config = cluster.kubeconfig(credential: .clientCertificate(try stranger.issueClient(user: "mallory")))
            }
            let path = try home.write(".kube/config", config)
            return Harness(cluster: cluster, home: home, kubeconfig: path)
        }

        enum Credential { case token, wrongToken, certificate, foreignCertificate }

        var environment: [String: String] {
            ["HOME": home.path, "KUBECONFIG": kubeconfig, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        }

        func kubectl(_ arguments: String...) async throws -> ProcessResult {
            try await ChildProcess.run("kubectl", arguments, environment: environment, timeout: .seconds(30))
        }

        func startKubectl(_ arguments: String...) throws -> RunningProcess {
            try ChildProcess.start("kubectl", arguments, environment: environment)
        }

        /// Creates the Service the tests use: a public LoadBalancer on port 80.
        func createWebService() async throws {
            try await cluster.api.create(
                "services", namespace: "default",
                [
                    "metadata": ["name": "web", "labels": ["app": "web"]],
                    "spec": [
                        "type": "LoadBalancer", "selector": ["app": "web"], "ports": [["name": "http", "port": 80, "targetPort": 8080]],
                    ],
                ])
        }

        func ingressIP(_ name: String = "web") async throws -> String? {
            try await cluster.api.get("services", namespace: "default", name: name).lookup("status.loadBalancer.ingress")?.array?.first?[
                "ip"]?.string
        }
    }

    static func json(_ text: String) throws -> Value { try Value.decode(Data(text.utf8)) }

    @Test("kubectl lists namespaces over TLS with a bearer token")
    func namespacesWithToken() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.cluster.stop() } }
        let result = try await harness.kubectl("get", "namespaces")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("NAME"))
        #expect(result.stdout.contains("kube-system"))
        #expect(result.stdout.contains("Active"))
    }

    @Test("kubectl authenticates with a client certificate signed by the cluster CA")
    func clientCertificate() async throws {
        let harness = try await Harness.start(credential: .certificate)
        defer { Task { await harness.cluster.stop() } }
        let result = try await harness.kubectl("get", "svc", "-A")
        #expect(result.status == 0, "\(result.stderr)")
        let users = await harness.cluster.api.requests.compactMap(\.user)
        #expect(users.contains("jane"))
    }

    @Test("kubectl is refused with a wrong token or a certificate from another CA")
    func refusedCredentials() async throws {
        let wrongToken = try await Harness.start(credential: .wrongToken)
        defer { Task { await wrongToken.cluster.stop() } }
        let refused = try await wrongToken.kubectl("get", "svc")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("You must be logged in to the server"))

        let stranger = try await Harness.start(credential: .foreignCertificate)
        defer { Task { await stranger.cluster.stop() } }
        let rejected = try await stranger.kubectl("get", "svc")
        #expect(rejected.status == 1)
    }

    @Test("kubectl get svc prints kubectl's columns and the cloud controller's public IP")
    func serviceTable() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.cluster.stop() } }
        try await harness.createWebService()
        await harness.cluster.api.cloud.settle()
        let ip = try #require(try await harness.ingressIP())
        let result = try await harness.kubectl("get", "svc")
        #expect(result.status == 0, "\(result.stderr)")
        let header = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(header.contains("NAME") && header.contains("TYPE") && header.contains("CLUSTER-IP") && header.contains("EXTERNAL-IP"))
        #expect(header.contains("PORT(S)"))
        #expect(result.stdout.contains("LoadBalancer"))
        #expect(result.stdout.contains(ip))
        #expect(!ip.hasPrefix("10."), "a Service without the internal annotation gets a public address")
    }

    @Test("kubectl get svc -o json returns the whole object with defaults")
    func serviceJSON() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.cluster.stop() } }
        try await harness.createWebService()
        let result = try await harness.kubectl("get", "svc", "web", "-o", "json")
        #expect(result.status == 0, "\(result.stderr)")
        let object = try Self.json(result.stdout)
        #expect(object["kind"]?.string == "Service")
        #expect(object.lookup("metadata.name")?.string == "web")
        #expect(object.lookup("metadata.uid")?.string?.isEmpty == false)
        let port = try #require(object.lookup("spec.ports")?.array?.first)
        #expect(port["protocol"]?.string == "TCP")
        #expect(port["nodePort"]?.int != nil)
    }

    @Test("kubectl annotate makes the Service internal: a private IP replaces the public one, with events")
    func annotateInternal() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.cluster.stop() } }
        try await harness.createWebService()
        await harness.cluster.api.cloud.settle()
        let publicIP = try #require(try await harness.ingressIP())

        let annotate = try await harness.kubectl("annotate", "svc", "web", "service.beta.kubernetes.io/azure-load-balancer-internal=true")
        #expect(annotate.status == 0, "\(annotate.stderr)")
        #expect(annotate.stdout.contains("service/web annotated"))
        await harness.cluster.api.cloud.settle()
        let privateIP = try #require(try await harness.ingressIP())
        #expect(privateIP != publicIP)
        #expect(privateIP.hasPrefix("10.224."))

        let events = try await harness.kubectl("get", "events")
        #expect(events.status == 0, "\(events.stderr)")
        #expect(events.stdout.contains("EnsuringLoadBalancer"))
        #expect(events.stdout.contains("EnsuredLoadBalancer"))
        #expect(events.stdout.contains("service/web"))
    }

    @Test("an internal annotation other than exactly \"true\" keeps the public IP")
    func annotationMustBeExactlyTrue() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.cluster.stop() } }
        try await harness.createWebService()
        await harness.cluster.api.cloud.settle()
        let before = try await harness.ingressIP()
        let annotate = try await harness.kubectl("annotate", "svc", "web", "service.beta.kubernetes.io/azure-load-balancer-internal=yes")
        #expect(annotate.status == 0)
        await harness.cluster.api.cloud.settle()
        #expect(try await harness.ingressIP() == before)
    }

    @Test("kubectl patch works with merge, strategic and json patches", arguments: ["merge", "strategic", "json"])
    func patchTypes(type: String) async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.cluster.stop() } }
        try await harness.createWebService()
        let patch: String
        switch type {
        case "merge": patch = #"{"metadata":{"labels":{"tier":"front"}},"spec":{"ports":[{"name":"http","port":8080,"targetPort":8080}]}}"#
        case "strategic":
            patch = #"{"metadata":{"labels":{"tier":"front"}},"spec":{"ports":[{"name":"https","port":443,"targetPort":8443}]}}"#
        default:
            patch =
                #"[{"op":"add","path":"/metadata/labels/tier","value":"front"},{"op":"replace","path":"/spec/ports/0/port","value":8080}]"#
        }
        let result = try await harness.kubectl("patch", "svc", "web", "--type", type, "-p", patch)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("service/web patched"))
        let object = try await harness.cluster.api.get("services", namespace: "default", name: "web")
        #expect(object.lookup("metadata.labels")?["tier"]?.string == "front")
        #expect(object.lookup("metadata.labels")?["app"]?.string == "web", "a patch keeps the labels it does not name")
        let ports = (object.lookup("spec.ports")?.array ?? []).compactMap { $0["port"]?.int }.sorted()
        switch type {
        case "strategic": #expect(ports == [80, 443], "strategic merge adds to the port list by its merge key")
        default: #expect(ports == [8080], "merge and json patches replace the port")
        }
    }

    @Test("kubectl annotate --resource-version with a stale version gets a conflict")
    func staleResourceVersion() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.cluster.stop() } }
        try await harness.createWebService()
        let object = try await harness.cluster.api.get("services", namespace: "default", name: "web")
        let stale = try #require(object.lookup("metadata.resourceVersion")?.string)
        _ = try await harness.kubectl("label", "svc", "web", "touched=yes")
        let result = try await harness.kubectl("annotate", "svc", "web", "--resource-version", stale, "note=late")
        #expect(result.status == 1)
        #expect(result.stderr.contains("the object has been modified"))
    }

    @Test("kubectl get svc -w shows the Service change as it happens")
    func watchShowsChanges() async throws {
        let harness = try await Harness.start(loadBalancerDelay: .seconds(1))
        defer { Task { await harness.cluster.stop() } }
        try await harness.createWebService()
        await harness.cluster.api.cloud.settle()
        let watcher = try harness.startKubectl("get", "svc", "web", "-w")
        defer { watcher.terminate() }
        #expect(await watcher.waitForOutput { $0.contains("web") })
        _ = try await harness.kubectl("annotate", "svc", "web", "service.beta.kubernetes.io/azure-load-balancer-internal=true")
        await harness.cluster.api.cloud.settle()
        let privateIP = try #require(try await harness.ingressIP())
        #expect(await watcher.waitForOutput { $0.contains(privateIP) }, "kubectl -w printed: \(watcher.stdoutSoFar) \(watcher.stderrSoFar)")
    }

    @Test("a failing load balancer shows SyncLoadBalancerFailed and never gets an IP")
    func syncLoadBalancerFailed() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.cluster.stop() } }
        await harness.cluster.api.cloud.failLoadBalancer(namespace: "default", name: "web", message: "Code=\"SubnetIsFull\"")
        try await harness.createWebService()
        await harness.cluster.api.cloud.settle()
        #expect(try await harness.ingressIP() == nil)
        let events = try await harness.kubectl("get", "events", "--field-selector", "reason=SyncLoadBalancerFailed")
        #expect(events.status == 0, "\(events.stderr)")
        #expect(events.stdout.contains("Warning"))
        #expect(events.stdout.contains("SubnetIsFull"))
        let table = try await harness.kubectl("get", "svc", "web")
        #expect(table.stdout.contains("<pending>"))
    }

    @Test("kubectl reports a missing Service the way a real cluster does")
    func notFound() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.cluster.stop() } }
        let result = try await harness.kubectl("get", "svc", "nope")
        #expect(result.status == 1)
        #expect(result.stderr.contains(#"Error from server (NotFound): services "nope" not found"#))
    }
}

extension KubectlJudgeTests {
    @Test("kubectl replace and the status subresource behave as on a real cluster")
    func replaceAndStatus() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.cluster.stop() } }
        try await harness.createWebService()
        await harness.cluster.api.cloud.settle()
        let current = try await harness.kubectl("get", "svc", "web", "-o", "json")
        let edited = current.stdout.replacingOccurrences(of: #""app": "web""#, with: #""app": "web-v2""#)
        let file = try harness.home.write("web.json", edited)
        // The sandbox serves no OpenAPI document, which kubectl's client-side validation would download.
        let replace = try await harness.kubectl("replace", "--validate=false", "-f", file)
        #expect(replace.status == 0, "\(replace.stderr)")
        #expect(replace.stdout.contains("service/web replaced"))
        let object = try await harness.cluster.api.get("services", namespace: "default", name: "web")
        #expect(object.lookup("spec.selector")?["app"]?.string == "web-v2")

        // Status written through the main resource is ignored; through /status it sticks.
        let ignored = try await harness.kubectl(
            "patch", "svc", "web", "--type", "merge", "-p", #"{"status":{"loadBalancer":{"ingress":[{"ip":"1.2.3.4"}]}}}"#)
        #expect(ignored.status == 0, "\(ignored.stderr)")
        #expect(try await harness.ingressIP() != "1.2.3.4")
        let status = try await harness.kubectl(
            "patch", "svc", "web", "--subresource=status", "--type", "merge", "-p",
            #"{"status":{"loadBalancer":{"ingress":[{"ip":"1.2.3.4"}]}}}"#)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(try await harness.ingressIP() == "1.2.3.4")
    }
}
