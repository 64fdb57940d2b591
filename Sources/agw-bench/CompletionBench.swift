import Foundation
import Sandbox

/// Completion latency through kubectl: `kubectl __complete agw expose svc/` (kubectl runs kubectl_complete-agw,
/// which lists the Services) next to kubectl's own `kubectl __complete get svc/` against the same local API
/// server, and `--gateway` answered from the warm cache.
struct CompletionBench {
    let binaryDirectory: String
    let runs = 20

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.path + "/agw-bench-completion-\(UUID().uuidString.prefix(6))"
        let session = try await SandboxSession.start(stateDirectory: folder)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // kubectl finds the completer by name on PATH: a link to the plugin, as install.sh makes it.
        let links = folder + "/bin"
        try FileManager.default.createDirectory(atPath: links, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: links + "/kubectl_complete-agw", withDestinationPath: binaryDirectory + "/kubectl-agw")
        var environment = ProcessInfo.processInfo.environment
        environment.merge(session.environment) { $1 }
        environment["PATH"] = links + ":" + binaryDirectory + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["HOME"] = folder

        let ours = try await median(["kubectl", "__complete", "agw", "expose", "svc/"], environment)
        let kubectls = try await median(["kubectl", "__complete", "get", "svc/"], environment)
        // Warm the gateway cache (the first TAB starts the background refresh), then time answers from it.
        _ = try await timed(["kubectl", "__complete", "agw", "expose", "--gateway", ""], environment: environment)
        try await Task.sleep(for: .seconds(2))
        await session.azure.azure.clearRequests()
        let gateways = try await median(["kubectl", "__complete", "agw", "expose", "--gateway", ""], environment)
        let armRequests = await session.azure.azure.requests.count
        await session.stop()

        print("sandbox: median of \(runs) runs through kubectl, local API server on 127.0.0.1")
        print(String(format: "kubectl __complete agw expose svc/     : %5.0f ms", ours * 1000))
        print(String(format: "kubectl __complete get svc/            : %5.0f ms  (kubectl's own)", kubectls * 1000))
        print(
            String(format: "kubectl __complete agw expose --gateway: %5.0f ms  (from cache; %d ARM requests)", gateways * 1000, armRequests)
        )
    }

    func median(_ arguments: [String], _ environment: [String: String]) async throws -> Double {
        _ = try await timed(arguments, environment: environment)
        var times: [Double] = []
        for _ in 0..<runs { times.append(try await timed(arguments, environment: environment)) }
        return times.sorted()[runs / 2]
    }
}
