import ArgumentParser
import Foundation
import Sandbox

/// `agw-sandbox`: the local Kubernetes API (and, as it grows, Azure) to try kubectl-agw without a cloud.
@main
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agw-sandbox",
        abstract: "Run a local AKS-like cluster and a local Azure for kubectl-agw, on 127.0.0.1 only.",
        discussion: """
            The sandbox serves a Kubernetes API over HTTPS with its own CA and plays the Azure cloud controller: \
            a LoadBalancer Service gets a public IP, or a private one once it carries \
            service.beta.kubernetes.io/azure-load-balancer-internal: "true". It is seeded with a 'frontend' \
            Service and its pods. Next to it runs a local Azure (Entra ID token endpoint, managed identity, \
            ARM for Application Gateways) seeded with a Standard_v2 gateway 'mygw' in 'agw-sandbox-rg'.

            Examples:
              agw-sandbox run -- kubectl get svc
              agw-sandbox up
            """,
        subcommands: [Run.self, Up.self])
}

/// Options both subcommands share.
struct SandboxOptions: ParsableArguments {
    @Option(help: "Folder for the kubeconfig and CA (default: a new temporary folder).")
    var stateDir: String?

    @Option(help: "Port of the Kubernetes API on 127.0.0.1 (0 picks a free one).")
    var kubernetesPort: Int = 0

    @Option(help: "Seconds until the cloud controller hands a load balancer its address.")
    var loadBalancerDelay: Double = 2

    func start() async throws -> SandboxSession {
        let directory = stateDir ?? (FileManager.default.temporaryDirectory.path + "/agw-sandbox-\(UUID().uuidString.prefix(8))")
        return try await SandboxSession.start(
            stateDirectory: directory, kubernetesPort: kubernetesPort, loadBalancerDelay: .milliseconds(Int(loadBalancerDelay * 1000)))
    }
}

extension SandboxCommand {
    /// `agw-sandbox run -- CMD…`: start, run one command against the sandbox, stop, exit with its status.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the sandbox, run one command with KUBECONFIG pointing at it, then stop.",
            discussion: """
                Examples:
                  agw-sandbox run -- kubectl get svc
                  agw-sandbox run -- kubectl agw version
                """)

        @OptionGroup var options: SandboxOptions

        @Argument(parsing: .captureForPassthrough, help: "The command to run, after --.")
        var command: [String] = []

        func run() async throws {
            let arguments = command.first == "--" ? Array(command.dropFirst()) : command
            guard let executable = arguments.first else {
                throw ValidationError("give the command to run after --, for example: agw-sandbox run -- kubectl get svc")
            }
            let session = try await options.start()
            var environment = ProcessInfo.processInfo.environment
            environment.merge(session.environment) { $1 }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments.dropFirst()
            process.environment = environment
            try process.run()
            let status = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
                Thread {
                    process.waitUntilExit()
                    continuation.resume(returning: process.terminationStatus)
                }.start()
            }
            await session.stop()
            if options.stateDir == nil { try? FileManager.default.removeItem(atPath: session.stateDirectory) }
            if status != 0 { throw ExitCode(status) }
        }
    }

    /// `agw-sandbox up`: start and keep running; print the lines that point a shell at it.
    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the sandbox and keep it running until interrupted.",
            discussion: """
                Prints 'export' lines for your shell on stdout (and writes them to <state-dir>/env); everything \
                else goes to stderr. Credentials stay in 0600 files in the state folder.

                Examples:
                  agw-sandbox up --state-dir ~/.agw-sandbox
                  source ~/.agw-sandbox/env      # in another shell, then: kubectl get svc
                """)

        @OptionGroup var options: SandboxOptions

        func run() async throws {
            let session = try await options.start()
            let exports = session.exportLines
            try Data((exports + "\n").utf8).write(to: URL(fileURLWithPath: session.stateDirectory + "/env"))
            FileHandle.standardOutput.write(Data((exports + "\n").utf8))
            FileHandle.standardError.write(Data("agw-sandbox: Kubernetes API at \(session.kubernetes.url); press Ctrl-C to stop\n".utf8))
            await waitForSignal()
            await session.stop()
        }

        func waitForSignal() async {
            signal(SIGINT, SIG_IGN)
            signal(SIGTERM, SIG_IGN)
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let once = Once()
                for number in [SIGINT, SIGTERM] {
                    let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                    source.setEventHandler { once.run { continuation.resume() } }
                    source.resume()
                    Once.keep(source)
                }
            }
        }
    }
}

/// Runs a block at most once, from any thread; also keeps signal sources alive.
final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    func run(_ block: () -> Void) {
        let first = lock.withLock { () -> Bool in
            defer { done = true }
            return !done
        }
        if first { block() }
    }

    static func keep(_ source: any DispatchSourceSignal) { sources.append(source) }
}
