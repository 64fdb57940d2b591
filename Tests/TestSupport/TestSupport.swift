import Foundation

/// A temporary folder removed when the value goes away; tests use one as HOME.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("agw-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes a file (creating folders) and returns its path.
    @discardableResult
    public func write(_ relative: String, _ text: String, mode: Int? = nil) throws -> String {
        let file = (path as NSString).appendingPathComponent(relative)
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        if let mode { try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file) }
        return file
    }

    /// Writes an executable shell script.
    @discardableResult
    public func script(_ relative: String, _ body: String) throws -> String {
        try write(relative, "#!/bin/sh\n" + body + "\n", mode: 0o755)
    }
}

/// What a finished child process left behind.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs child processes without blocking Swift's cooperative pool (the in-process servers need it).
public enum ChildProcess {
    /// Runs `executable` with `arguments` and waits for it (killing it after `timeout`).
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> ProcessResult {
        let running = try start(executable, arguments, environment: environment, stdin: stdin)
        return await running.wait(timeout: timeout)
    }

    /// Starts a process and returns at once; its output can be read as it comes.
    public static func start(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil)
        throws -> RunningProcess
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: resolve(executable, environment: environment))
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            let input = Pipe()
            process.standardInput = input
            try process.run()
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        return RunningProcess(process: process, stdout: out, stderr: err)
    }

    /// A bare command name is looked up on PATH, as a shell would.
    public static func resolve(_ command: String, environment: [String: String]?) -> String {
        if command.contains("/") { return command }
        let path = environment?["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(command)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return command
    }
}

/// A started child process; its output is collected on threads of its own.
public final class RunningProcess: @unchecked Sendable {
    public let process: Process
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    private let done = DispatchGroup()

    init(process: Process, stdout: Pipe, stderr: Pipe) {
        self.process = process
        for (pipe, isOut) in [(stdout, true), (stderr, false)] {
            done.enter()
            Thread { [self] in
                let handle = pipe.fileHandleForReading
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    lock.withLock {
                        if isOut { out.append(chunk) } else { err.append(chunk) }
                    }
                }
                done.leave()
            }.start()
        }
    }

    /// Output so far.
    public var stdoutSoFar: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    public var stderrSoFar: String { lock.withLock { String(decoding: err, as: UTF8.self) } }

    /// Polls until `predicate` holds for the output so far, or the time runs out.
    public func waitForOutput(timeout: Duration = .seconds(20), _ predicate: (String) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if predicate(stdoutSoFar) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return predicate(stdoutSoFar)
    }

    /// Kills the process. SIGKILL, because a child of the test runner may inherit SIGTERM as ignored.
    public func terminate() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Waits for the process to end (terminating it at the timeout) and returns what it printed.
    public func wait(timeout: Duration = .seconds(60)) async -> ProcessResult {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while process.isRunning {
            if ContinuousClock.now >= deadline {
                terminate()
                break
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread { [self] in
                process.waitUntilExit()
                done.wait()
                continuation.resume()
            }.start()
        }
        return lock.withLock {
            ProcessResult(
                status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                stderr: String(decoding: err, as: UTF8.self))
        }
    }
}

/// Where `swift build` put the executables: next to the test bundle.
public enum BuiltProducts {
    public static var directory: String {
        var url = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).resolvingSymlinksInPath()
        // On Linux arguments[0] is the .xctest binary itself; on macOS it may be inside a bundle.
        while url.path != "/"
            && !FileManager.default.fileExists(atPath: url.deletingLastPathComponent().appendingPathComponent("kubectl-agw").path)
        {
            url = url.deletingLastPathComponent()
        }
        return url.deletingLastPathComponent().path
    }

    public static func path(_ name: String) -> String { directory + "/" + name }

    /// A PATH with the built products first, so `kubectl agw` finds the plugin under test.
    public static var searchPath: String { directory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") }

    /// A PATH that also has `kubectl_complete-agw` (a link to the built plugin, as install.sh makes it) in `folder`.
    public static func searchPath(withCompleterIn folder: String) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let link = folder + "/kubectl_complete-agw"
        if !FileManager.default.fileExists(atPath: link) {
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path("kubectl-agw"))
        }
        return folder + ":" + searchPath
    }
}
