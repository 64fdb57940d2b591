import Foundation
import Sandbox

/// `kubectl agw status -A` for many exposed Services next to `kubectl get svc -A -o json` on the same local
/// API server, both through kubectl: median wall time of repeated runs, and the requests one status makes.
struct StatusBench {
    let binaryDirectory: String
    let services: Int
    let runs = 10
    /// Services per gateway: Azure allows 100 pools and 100 HTTP settings, and the portal's default takes one.
    let perGateway = 50

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.path + "/agw-bench-status-\(UUID().uuidString.prefix(6))"
        let session = try await SandboxSession.start(
            stateDirectory: folder, loadBalancerDelay: .milliseconds(50), operationDuration: .milliseconds(200))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var environment = ProcessInfo.processInfo.environment
        environment.merge(session.environment) { $1 }
        environment["PATH"] = binaryDirectory + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["HOME"] = folder

        let subscription = await session.azure.azure.subscriptionIDs.first ?? ""
        let names = (0..<services).map { String(format: "svc-%03d", $0) }
        let groups = stride(from: 0, to: names.count, by: perGateway).map { Array(names[$0..<min($0 + perGateway, names.count)]) }
        for (index, group) in groups.enumerated() {
            let gateway = index == 0 ? SandboxSession.gatewayName : "\(SandboxSession.gatewayName)\(index + 1)"
            if index > 0 {
                try await session.azure.azure.seed(
                    SeedGateways.portalStyle(subscription: subscription, resourceGroup: SandboxSession.resourceGroup, name: gateway))
            }
            for name in group { try await SandboxSession.createApp(in: session.kubernetes.api, name: name) }
            FileHandle.standardError.write(Data("agw-bench: exposing \(group.count) Services on \(gateway)\n".utf8))
            _ = try await timed(
                ["kubectl", "agw", "expose"] + group + [
                    "--gateway", gateway, "--path", "/{service}", "--frontend-port", "8080", "--yes", "--no-wait",
                ], environment: environment)
        }
        await session.azure.azure.setOperationDuration(.zero)

        await session.kubernetes.api.clearRequests()
        await session.azure.azure.clearRequests()
        _ = try await timed(["kubectl", "agw", "status", "-A", "-o", "json"], environment: environment)
        let lists = await session.kubernetes.api.requests.filter { $0.method == "GET" && $0.path.hasSuffix("/services") }.count
        let azure = await session.azure.azure.requests
        let allGets = azure.filter { $0.method == "GET" && $0.path.lowercased().contains("/applicationgateways/") }.count
        let posts = azure.filter { $0.method == "POST" }.count

        let kubectl = try await median(["kubectl", "get", "svc", "-A", "-o", "json"], environment)
        let drift = try await median(["kubectl", "agw", "status", "-A", "-o", "json", "--no-health"], environment)
        let full = try await median(["kubectl", "agw", "status", "-A", "-o", "json"], environment)
        await session.stop()

        print("sandbox: \(services) exposed Services on \(groups.count) gateways; median of \(runs) runs, through kubectl")
        print(String(format: "kubectl get svc -A -o json         : %6.3f s", kubectl))
        print(String(format: "kubectl agw status -A --no-health  : %6.3f s  (%.1f× kubectl get)", drift, drift / kubectl))
        print(
            String(
                format: "kubectl agw status -A              : %6.3f s  (backend health: the sandbox answers after its 1 s Retry-After)",
                full))
        print(
            "one status: \(lists) Kubernetes list, \(allGets) gateway GETs and \(posts) backend-health queries for \(groups.count) gateways"
        )
    }

    func median(_ arguments: [String], _ environment: [String: String]) async throws -> Double {
        _ = try await timed(arguments, environment: environment)  // warm-up: page cache, kubectl's discovery cache
        var times: [Double] = []
        for _ in 0..<runs { times.append(try await timed(arguments, environment: environment)) }
        return times.sorted()[runs / 2]
    }
}
