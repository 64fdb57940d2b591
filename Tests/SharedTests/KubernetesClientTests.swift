import Foundation
import Sandbox
import Shared
import TestSupport
import Testing

@Suite("the Kubernetes client against the local API")
struct KubernetesClientTests {
    @Test("get and list Services with label and field selectors")
    func getAndList() async throws {
        let fixture = try await ClusterFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.createService("web")
        try await fixture.createService("api")
        let (client, _) = try fixture.client()
        let web = try await client.getService(namespace: "default", name: "web")
        #expect(web.name == "web" && web.type == "LoadBalancer")
        #expect(
            web.ports == [ServicePort(name: "http", port: 80, protocol: "TCP", targetPort: "8080", nodePort: web.ports.first?.nodePort)])
        let byLabel = try await client.listServices(namespace: "default", labelSelector: "app=api", fieldSelector: nil)
        #expect(byLabel.items.map(\.name) == ["api"])
        let byField = try await client.listServices(namespace: nil, labelSelector: nil, fieldSelector: "metadata.name=web")
        #expect(byField.items.map(\.name) == ["web"])
        #expect(!byField.resourceVersion.isEmpty)
        let requests = await fixture.cluster.api.requests
        #expect(requests.allSatisfy { $0.userAgent?.hasPrefix("kubectl-agw/") == true })
    }

    @Test("a missing Service reads as kubectl prints it")
    func notFound() async throws {
        let fixture = try await ClusterFixture.start()
        defer { Task { await fixture.stop() } }
        let (client, _) = try fixture.client()
        do {
            _ = try await client.getService(namespace: "default", name: "nope")
            Issue.record("expected NotFound")
        } catch {
            #expect("\(error)" == #"Error from server (NotFound): services "nope" not found"#)
        }
    }

    @Test("a refused token and a closed port read as kubectl prints them")
    func unreachableOrRefused() async throws {
        let fixture = try await ClusterFixture.start()
        let (refused, _) = try fixture.client(.token("wrong"))
        await #expect(throws: KubernetesError.unauthorized("Unauthorized")) {
            _ = try await refused.getService(namespace: "default", name: "x")
        }
        let (client, _) = try fixture.client()
        await fixture.stop()
        do {
            _ = try await client.getService(namespace: "default", name: "x")
            Issue.record("expected a refused connection")
        } catch {
            #expect(
                "\(error)"
                    == "The connection to the server 127.0.0.1:\(fixture.cluster.server.port) was refused - did you specify the right host or port?"
            )
        }
    }

    @Test("a merge patch carries fieldManager=kubectl-agw and the resourceVersion it was based on")
    func mergePatch() async throws {
        let fixture = try await ClusterFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.createService()
        await fixture.cluster.api.cloud.settle()
        let (client, _) = try fixture.client()
        let patcher = ServicePatcher(api: client)
        let before = try await client.getService(namespace: "default", name: "web")
        let (patched, changed) = try await patcher.patch(namespace: "default", name: "web") { _ in
            ["metadata": ["annotations": ["service.beta.kubernetes.io/azure-load-balancer-internal": "true"]]]
        }
        #expect(changed)
        #expect(patched.annotations["service.beta.kubernetes.io/azure-load-balancer-internal"] == "true")
        let patch = try #require(await fixture.cluster.api.requests.last { $0.method == "PATCH" })
        #expect(patch.query["fieldManager"] == "kubectl-agw")
        #expect(patch.contentType == "application/merge-patch+json")
        #expect(try JSON.parse(patch.body).value(at: "metadata", "resourceVersion")?.stringValue == before.resourceVersion)
        #expect(patched.fieldManagers.contains("kubectl-agw"))

        let (_, again) = try await patcher.patch(namespace: "default", name: "web") { service in
            service.annotations["service.beta.kubernetes.io/azure-load-balancer-internal"] == "true" ? nil : [:]
        }
        #expect(!again, "nothing to change means no write")
    }

    @Test("a 409 from a concurrent writer makes the patcher read again and retry, within a bound")
    func conflictRetry() async throws {
        let fixture = try await ClusterFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.createService()
        let (client, _) = try fixture.client()
        await fixture.cluster.api.interfereWithNextServiceWrites(2)
        let checks = Counter()
        let (patched, changed) = try await ServicePatcher(api: client).patch(namespace: "default", name: "web") { service in
            checks.increment()
            return ["metadata": ["labels": ["exposed": "yes"]]]
        }
        #expect(changed && patched.labels["exposed"] == "yes")
        #expect(patched.annotations["sandbox.agw.example/interference"] == "2", "the other writer's changes survive")
        #expect(checks.value == 3, "each attempt re-checks against the fresh Service")

        await fixture.cluster.api.interfereWithNextServiceWrites(10)
        await #expect(throws: KubernetesError.conflictRetriesExhausted(resource: #"services "web""#, attempts: 3)) {
            _ = try await ServicePatcher(api: client, maxAttempts: 3).patch(namespace: "default", name: "web") { _ in
                ["metadata": ["labels": ["again": "yes"]]]
            }
        }
    }

    @Test("waiting for a private IP follows the watch until the cloud controller assigns one")
    func waitForPrivateIP() async throws {
        let fixture = try await ClusterFixture.start(loadBalancerDelay: .milliseconds(300))
        defer { Task { await fixture.stop() } }
        try await fixture.createService()
        await fixture.cluster.api.cloud.settle()
        let (client, _) = try fixture.client()
        let watcher = ServiceWatcher(api: client)
        async let service = watcher.wait(namespace: "default", name: "web", timeout: .seconds(20)) { service in
            service.ingressIPs.contains { $0.hasPrefix("10.224.") }
        }
        try await Task.sleep(for: .milliseconds(200))
        try await fixture.annotate("web", "service.beta.kubernetes.io/azure-load-balancer-internal", "true")
        let result = try await service
        #expect(result.ingressIPs.first?.hasPrefix("10.224.") == true)
    }

    @Test("an expired resourceVersion (410) makes the watcher list again and carry on")
    func recoversFromExpiredWatch() async throws {
        let fixture = try await ClusterFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.createService()
        await fixture.cluster.api.cloud.settle()
        let (client, _) = try fixture.client()
        let progress = ProgressLog()
        let watcher = ServiceWatcher(api: client)
        async let service = watcher.wait(
            namespace: "default", name: "web", timeout: .seconds(20), condition: { $0.labels["ready"] == "yes" },
            progress: { await progress.add($0) })
        try await waitForWatch(fixture)
        // An unrelated write moves the store on; compaction then drops the history the watch would resume from.
        try await fixture.createService("other")
        await fixture.cluster.api.store.compact()
        await fixture.cluster.api.store.closeWatches()
        try await waitForWatch(fixture)
        try await fixture.annotate("web", "unrelated", "x")
        _ = try await fixture.cluster.api.handle(
            SandboxRequest(
                method: "PATCH", path: "/api/v1/namespaces/default/services/web",
                headers: ["content-type": "application/merge-patch+json", "authorization": "Bearer \(ClusterFixture.adminToken)"],
                body: Data(#"{"metadata":{"labels":{"ready":"yes"}}}"#.utf8)))
        let result = try await service
        #expect(result.labels["ready"] == "yes")
        let events = await progress.events
        #expect(events.contains { if case .relisted = $0 { return true } else { return false } }, "\(events)")
    }

    @Test("a watch the server closes is opened again from the last resourceVersion")
    func rewatchesAfterEOF() async throws {
        let fixture = try await ClusterFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.createService()
        let (client, _) = try fixture.client()
        let progress = ProgressLog()
        async let service = ServiceWatcher(api: client).wait(
            namespace: "default", name: "web", timeout: .seconds(20),
            condition: { $0.labels["ready"] == "yes" }, progress: { await progress.add($0) })
        try await waitForWatch(fixture)
        await fixture.cluster.api.store.closeWatches()
        try await waitForWatch(fixture)
        try await fixture.annotate("web", "note", "between")
        _ = try await fixture.cluster.api.handle(
            SandboxRequest(
                method: "PATCH", path: "/api/v1/namespaces/default/services/web",
                headers: ["content-type": "application/merge-patch+json", "authorization": "Bearer \(ClusterFixture.adminToken)"],
                body: Data(#"{"metadata":{"labels":{"ready":"yes"}}}"#.utf8)))
        #expect(try await service.labels["ready"] == "yes")
        let events = await progress.events
        #expect(events.contains { if case .rewatching = $0 { return true } else { return false } })
        #expect(
            !events.contains { if case .relisted = $0 { return true } else { return false } }, "no relist when the history is still there")
        let watches = await fixture.cluster.api.requests.filter { $0.query["watch"] == "1" }
        #expect(watches.count == 2)
        #expect(watches.allSatisfy { $0.query["allowWatchBookmarks"] == "true" && $0.query["fieldSelector"] == "metadata.name=web" })
    }

    @Test("waiting times out with kubectl's words when the condition never holds")
    func timesOut() async throws {
        let fixture = try await ClusterFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.createService()
        let (client, _) = try fixture.client()
        await #expect(throws: KubernetesError.timedOut("timed out waiting for the condition on services/web")) {
            _ = try await ServiceWatcher(api: client).wait(namespace: "default", name: "web", timeout: .seconds(1)) { _ in false }
        }
    }

    @Test("a Service's events and its pods' readiness probes can be read")
    func eventsAndPods() async throws {
        let fixture = try await ClusterFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.createService()
        await fixture.cluster.api.cloud.settle()
        try await fixture.cluster.api.create(
            "pods", namespace: "default",
            [
                "metadata": ["name": "web-1", "labels": ["app": "web"]],
                "spec": [
                    "containers": [
                        [
                            "name": "web", "image": "nginx", "ports": [["name": "http", "containerPort": 8080]],
                            "readinessProbe": ["httpGet": ["path": "/healthz", "port": "http"]],
                        ]
                    ]
                ],
            ])
        let (client, _) = try fixture.client()
        let service = try await client.getService(namespace: "default", name: "web")
        let events = try await client.listEvents(namespace: "default", involvedObjectUID: service.uid)
        #expect(events.map(\.reason).contains("EnsuredLoadBalancer"))
        #expect(events.allSatisfy { $0.source == "service-controller" })
        #expect(service.labelSelector == "app=web")
        let pods = try await client.listPods(namespace: "default", labelSelector: try #require(service.labelSelector))
        #expect(pods.first?.readinessProbes == [ReadinessProbe(container: "web", path: "/healthz", port: "http")])
        #expect(pods.first?.namedPorts == ["http": 8080])
        #expect(pods.first?.isReady == true)
    }

    /// Waits until the server has an open watch.
    func waitForWatch(_ fixture: ClusterFixture) async throws {
        for _ in 0..<200 {
            if await fixture.cluster.api.store.openWatchCount > 0 { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("no watch was opened")
    }
}

/// Collects watcher progress for assertions.
actor ProgressLog {
    var events: [ServiceWatchProgress] = []
    func add(_ event: ServiceWatchProgress) { events.append(event) }
}

/// A counter closures may bump from any thread.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

@Suite("client certificates and proxies end to end")
struct ClientTransportOptionsTests {
    @Test("a kubeconfig client certificate authenticates the client to the local API")
    func clientCertificateKubeconfig() async throws {
        let fixture = try await ClusterFixture.start()
        defer { Task { await fixture.stop() } }
        let (client, _) = try fixture.client(.clientCertificate(try fixture.cluster.ca.issueClient(user: "cert-user", groups: ["devs"])))
        _ = try await client.listServices(namespace: nil, labelSelector: nil, fieldSelector: nil)
        #expect(await fixture.cluster.api.requests.last?.user == "cert-user")
    }

    @Test("kubeconfig proxy-url sends the connection through that proxy as a CONNECT tunnel")
    func proxyURL() async throws {
        let fixture = try await ClusterFixture.start()
        defer { Task { await fixture.stop() } }
        let log = fixture.home.path + "/proxy.log"
        let script = try #require(Bundle.module.url(forResource: "Fixtures/tools/connect_proxy", withExtension: "py"))
        let proxy = try ChildProcess.start("python3", [script.path, log])
        defer { proxy.terminate() }
        #expect(await proxy.waitForOutput { $0.hasSuffix("\n") })
        let port = try #require(Int(proxy.stdoutSoFar.trimmingCharacters(in: .whitespacesAndNewlines)))
        let text = fixture.cluster.kubeconfig(credential: .token(ClusterFixture.adminToken))
            .replacingOccurrences(of: "    server:", with: "    proxy-url: http://127.0.0.1:\(port)\n    server:")
        let path = try fixture.home.write("proxied-kubeconfig", text)
        var flags = KubeOverrides()
        flags.kubeconfig = path
        let client = KubernetesClient(config: try ClientConfigResolver(environment: ["HOME": fixture.home.path]).resolve(flags))
        _ = try await client.listServices(namespace: nil, labelSelector: nil, fieldSelector: nil)
        let seen = try String(contentsOfFile: log, encoding: .utf8)
        #expect(seen.contains("CONNECT 127.0.0.1:\(fixture.cluster.server.port)"))
    }
}
