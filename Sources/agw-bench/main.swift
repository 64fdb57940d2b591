import Foundation
import Sandbox
import Shared

// agw-bench: gateway writes and wall time of `kubectl agw expose` against the sandbox, next to the manual flow
// replayed against a fresh sandbox the way a person does it with kubectl and az: annotate the Service, wait for
// the internal IP, then six read-modify-write updates of the gateway (pool, probe, HTTP settings, frontend port,
// listener, rule), each waiting for its long-running operation, as `az network application-gateway … create` does.

struct Figures {
    var seconds: Double
    var gatewayWrites: Int
    var gatewayReads: Int
}

func elapsed(since start: ContinuousClock.Instant) -> Double {
    let duration = ContinuousClock.now - start
    return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func startSandbox(_ folder: String, lbDelay: Duration, operation: Duration) async throws -> SandboxSession {
    try await SandboxSession.start(stateDirectory: folder, loadBalancerDelay: lbDelay, operationDuration: operation)
}

func counts(_ session: SandboxSession) async -> (writes: Int, reads: Int) {
    let requests = await session.azure.azure.requests
    return (
        requests.filter { $0.method == "PUT" }.count,
        requests.filter { $0.method == "GET" && $0.path.lowercased().contains("applicationgateways/") }.count
    )
}

/// `kubectl agw expose` as a user runs it, through kubectl.
func measureTool(binaryDirectory: String, lbDelay: Duration, operation: Duration) async throws -> Figures {
    let folder = FileManager.default.temporaryDirectory.path + "/agw-bench-tool-\(UUID().uuidString.prefix(6))"
    let session = try await startSandbox(folder, lbDelay: lbDelay, operation: operation)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var environment = ProcessInfo.processInfo.environment
    environment.merge(session.environment) { $1 }
    environment["PATH"] = binaryDirectory + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
    environment["HOME"] = folder
    let seconds = try await timed(["kubectl", "agw", "expose", "svc/frontend", "--gateway", "mygw", "--yes"], environment: environment)
    let (writes, reads) = await counts(session)
    await session.stop()
    return Figures(seconds: seconds, gatewayWrites: writes, gatewayReads: reads)
}

/// The manual flow, replayed with the same clients against a fresh sandbox.
func measureManual(lbDelay: Duration, operation: Duration) async throws -> Figures {
    let folder = FileManager.default.temporaryDirectory.path + "/agw-bench-manual-\(UUID().uuidString.prefix(6))"
    let session = try await startSandbox(folder, lbDelay: lbDelay, operation: operation)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var environment = session.environment
    environment["HOME"] = folder
    environment["PATH"] = "/usr/bin:/bin"
    let start = ContinuousClock.now
    // kubectl annotate svc frontend service.beta.kubernetes.io/azure-load-balancer-internal=true
    let kube = KubernetesClient(config: try ClientConfigResolver(environment: environment).resolve(KubeOverrides()))
    _ = try await kube.mergePatchService(
        namespace: "default", name: "frontend",
        patch: ["metadata": ["annotations": ["service.beta.kubernetes.io/azure-load-balancer-internal": "true"]]])
    // kubectl get svc frontend --watch, until the private IP shows
    let service = try await ServiceWatcher(api: kube).wait(namespace: "default", name: "frontend", timeout: .seconds(300)) { service in
        service.ingressIPs.contains(where: PrivateAddress.isPrivate)
    }
    let ip = service.ingressIPs.first(where: PrivateAddress.isPrivate) ?? ""
    let azure = try AzureEnvironment.resolve(AzureOptions(), environment: environment)
    let id = try await GatewayLocator(arm: azure.arm, subscription: azure.subscription).resolveID(
        "mygw", resourceGroup: nil, operation: ARMOperation())
    func update(_ change: (inout GatewayDocument) -> Void) async throws {
        // One az command: GET the gateway, change one collection, PUT it, wait for the operation.
        let operation = ARMOperation()
        var document = try GatewayDocument(try await azure.arm.get(id.description, operation: operation).body ?? .null)
        change(&document)
        let initial = try await azure.arm.put(id.description, body: document.json, ifMatch: nil, operation: operation)
        _ = try await azure.arm.waitForCompletion(
            method: "PUT", path: id.description, initial: initial, operation: operation, timeout: .seconds(600)
        ) { _ in }
    }
    let base = id.description
    try await update {
        $0.upsert(.backendAddressPools, ["name": "frontend-pool", "properties": ["backendAddresses": [["ipAddress": .string(ip)]]]])
    }
    try await update {
        $0.upsert(
            .probes,
            [
                "name": "frontend-probe",
                "properties": [
                    "protocol": "Http", "host": .string(ip), "path": "/healthz", "interval": 30, "timeout": 30, "unhealthyThreshold": 3,
                    "match": ["statusCodes": ["200-399"]],
                ],
            ])
    }
    try await update {
        $0.upsert(
            .backendHttpSettingsCollection,
            [
                "name": "frontend-settings",
                "properties": [
                    "port": 80, "protocol": "Http", "cookieBasedAffinity": "Disabled", "requestTimeout": 30,
                    "probe": ["id": .string(base + "/probes/frontend-probe")],
                ],
            ])
    }
    try await update { $0.upsert(.frontendPorts, ["name": "port_8080", "properties": ["port": 8080]]) }
    try await update {
        $0.upsert(
            .httpListeners,
            [
                "name": "frontend-listener",
                "properties": [
                    "frontendIPConfiguration": ["id": .string(base + "/frontendIPConfigurations/appGwPublicFrontendIpIPv4")],
                    "frontendPort": ["id": .string(base + "/frontendPorts/port_8080")], "protocol": "Http",
                ],
            ])
    }
    try await update {
        $0.upsert(
            .requestRoutingRules,
            [
                "name": "frontend-rule",
                "properties": [
                    "ruleType": "Basic", "priority": 10, "httpListener": ["id": .string(base + "/httpListeners/frontend-listener")],
                    "backendAddressPool": ["id": .string(base + "/backendAddressPools/frontend-pool")],
                    "backendHttpSettings": ["id": .string(base + "/backendHttpSettingsCollection/frontend-settings")],
                ],
            ])
    }
    let seconds = elapsed(since: start)
    let (writes, reads) = await counts(session)
    await session.stop()
    return Figures(seconds: seconds, gatewayWrites: writes, gatewayReads: reads)
}

/// Runs a command to its end, output discarded, and returns its wall time; a failure is an error.
func timed(_ arguments: [String], environment: [String: String]) async throws -> Double {
    let start = ContinuousClock.now
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        Thread {
            process.waitUntilExit()
            continuation.resume()
        }.start()
    }
    let seconds = elapsed(since: start)
    guard process.terminationStatus == 0 else {
        throw BenchError.failed("\(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
    }
    return seconds
}

enum BenchError: Error, CustomStringConvertible {
    case failed(String)
    var description: String {
        switch self {
        case .failed(let message): return message
        }
    }
}

// Usage: agw-bench expose BIN-DIR [seconds-per-gateway-update] | status BIN-DIR [services] | completion BIN-DIR
let arguments = CommandLine.arguments
let mode = arguments.count > 1 ? arguments[1] : "expose"
let binaryDirectory = arguments.count > 2 ? arguments[2] : URL(fileURLWithPath: arguments[0]).deletingLastPathComponent().path
do {
    switch mode {
    case "expose":
        let operationSeconds = arguments.count > 3 ? Int(arguments[3]) ?? 4 : 4
        let lbDelay = Duration.seconds(2)
        let operation = Duration.seconds(operationSeconds)
        let tool = try await measureTool(binaryDirectory: binaryDirectory, lbDelay: lbDelay, operation: operation)
        let manual = try await measureManual(lbDelay: lbDelay, operation: operation)
        print("sandbox: load balancer after 2 s, each gateway update \(operationSeconds) s")
        print(
            String(
                format: "kubectl agw expose : %2d gateway writes, %2d gateway reads, %6.1f s (includes backend health check)",
                tool.gatewayWrites, tool.gatewayReads, tool.seconds))
        print(
            String(
                format: "manual (kubectl+az): %2d gateway writes, %2d gateway reads, %6.1f s (no health check)", manual.gatewayWrites,
                manual.gatewayReads, manual.seconds))
    case "completion":
        try await CompletionBench(binaryDirectory: binaryDirectory).run()
    case "status":
        let count = arguments.count > 3 ? Int(arguments[3]) ?? 100 : 100
        try await StatusBench(binaryDirectory: binaryDirectory, services: count).run()
    default:
        throw BenchError.failed("unknown mode \(mode); use expose, status or completion")
    }
} catch {
    FileHandle.standardError.write(Data("agw-bench: \(error)\n".utf8))
    exit(1)
}
