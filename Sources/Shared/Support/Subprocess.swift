import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a finished child process left.
public struct SubprocessResult: Sendable, Equatable {
    /// The exit status, or 128 + the signal number when a signal ended it.
    public var status: Int32
    public var stdout: Data
    /// Captured only when asked for; otherwise stderr passes through to ours.
    public var stderr: Data
    public var timedOut: Bool
}

/// Why a child process could not be run.
public struct SubprocessError: Error, Equatable, CustomStringConvertible, Sendable {
    public var executable: String
    public var reason: String
    public var description: String { "\(executable): \(reason)" }
}

/// Runs a program with an argument vector (never a shell) through posix_spawn. Blocking waits happen on
/// threads of their own, so the cooperative pool stays free for the servers and clients in this process.
public enum Subprocess {
    /// The executable a command names: a bare name is looked up on the environment's PATH, a path is used as it is.
    public static func find(_ command: String, environment: [String: String]) -> String? {
        if command.contains("/") {
            return FileManager.default.isExecutableFile(atPath: command) ? command : nil
        }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(command)"
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                FileManager.default.isExecutableFile(atPath: candidate)
            {
                return candidate
            }
        }
        return nil
    }

    /// - Parameters:
    ///   - interactive: stdin is the terminal's when true, /dev/null otherwise; stderr always passes through.
    ///   - timeout: after it the child's whole process group is killed (non-interactive runs only get their own group,
    ///     because a background group reading the terminal would be stopped by SIGTTIN).
    public static func run(
        executable: String, arguments: [String], environment: [String: String], interactive: Bool = false, captureStderr: Bool = false,
        timeout: Duration? = nil
    ) async throws -> SubprocessResult {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { throw SubprocessError(executable: executable, reason: String(cString: strerror(errno))) }
        let (readEnd, writeEnd) = (pipe[0], pipe[1])
        var errorPipe: [Int32] = [-1, -1]
        if captureStderr {
            guard Glibc.pipe(&errorPipe) == 0 else {
                close(readEnd)
                close(writeEnd)
                throw SubprocessError(executable: executable, reason: String(cString: strerror(errno)))
            }
        }
        let (errorRead, errorWrite) = (errorPipe[0], errorPipe[1])

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if !interactive { posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) }
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_addclose(&actions, readEnd)
        posix_spawn_file_actions_addclose(&actions, writeEnd)
        if captureStderr {
            posix_spawn_file_actions_adddup2(&actions, errorWrite, 2)
            posix_spawn_file_actions_addclose(&actions, errorRead)
            posix_spawn_file_actions_addclose(&actions, errorWrite)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with default signal handling and an empty mask, whatever this process ignores or blocks.
        resetSignals(&attributes)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        if !interactive {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        var spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        // ETXTBSY: another thread's fork still holds a write handle to a freshly written script; it closes
        // as soon as that child execs, so a short retry succeeds (Go's os/exec does the same).
        var retries = 0
        while spawned == ETXTBSY && retries < 20 {
            retries += 1
            try await Task.sleep(for: .milliseconds(10 * retries))
            spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        }
        close(writeEnd)
        if captureStderr { close(errorWrite) }
        guard spawned == 0 else {
            close(readEnd)
            if captureStderr { close(errorRead) }
            throw SubprocessError(executable: executable, reason: String(cString: strerror(spawned)))
        }
        let child = ChildState(pid: pid, ownGroup: !interactive)
        RunningChildren.shared.add(child)
        if let limit = timeout {
            let milliseconds = Int(limit.components.seconds) * 1000 + Int(limit.components.attoseconds / 1_000_000_000_000_000)
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) { child.killIfRunning() }
        }
        return await withCheckedContinuation { continuation in
            Thread {
                // stderr drains on a thread of its own so neither pipe can fill up and stall the child.
                let errors = PipeReader(fd: errorRead)
                if captureStderr { errors.start() }
                let output = readAll(readEnd)
                close(readEnd)
                let errorOutput = captureStderr ? errors.wait() : Data()
                var status: Int32 = 0
                while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {}
                child.markFinished()
                RunningChildren.shared.remove(child)
                // WIFEXITED / WEXITSTATUS / WTERMSIG, spelled out because the C macros do not import.
                let signal = status & 0x7F
                let exit = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
                continuation.resume(
                    returning: SubprocessResult(status: exit, stdout: output, stderr: errorOutput, timedOut: child.wasKilled))
            }.start()
        }
    }
}

/// A spawned child as the timer and the waiter share it: the timer kills only a child not yet reaped.
final class ChildState: @unchecked Sendable {
    let pid: pid_t
    let ownGroup: Bool
    private let lock = NSLock()
    private var finished = false
    private var killed = false

    init(pid: pid_t, ownGroup: Bool) {
        self.pid = pid
        self.ownGroup = ownGroup
    }

    func killIfRunning() {
        lock.withLock {
            guard !finished else { return }
            killed = true
            // The whole group, so a grandchild holding the output pipe goes too.
            kill(ownGroup ? -pid : pid, SIGKILL)
        }
    }

    func markFinished() { lock.withLock { finished = true } }
    var wasKilled: Bool { lock.withLock { killed } }
}

/// The children `run` is waiting for, so a process that must end now (completion, at its budget) can take
/// them along instead of leaving an exec plugin holding its caller's pipes.
final class RunningChildren: @unchecked Sendable {
    static let shared = RunningChildren()
    private let lock = NSLock()
    private var children: [ObjectIdentifier: ChildState] = [:]

    func add(_ child: ChildState) { lock.withLock { children[ObjectIdentifier(child)] = child } }
    func remove(_ child: ChildState) { lock.withLock { children[ObjectIdentifier(child)] = nil } }
    func killAll() {
        for child in lock.withLock({ Array(children.values) }) { child.killIfRunning() }
    }
}

extension Subprocess {
    /// Kills every child still running (with its process group, when it has its own).
    public static func killRunningChildren() { RunningChildren.shared.killAll() }
}

/// Reads a file descriptor to its end.
private func readAll(_ fd: Int32) -> Data {
    var output = Data()
    var buffer = [UInt8](repeating: 0, count: 16 << 10)
    while true {
        let count = read(fd, &buffer, buffer.count)
        if count > 0 {
            output.append(contentsOf: buffer[0..<count])
        } else if count < 0 && errno == EINTR {
            continue
        } else {
            return output
        }
    }
}

/// Reads one pipe to its end on a thread of its own.
private final class PipeReader: @unchecked Sendable {
    let fd: Int32
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    init(fd: Int32) { self.fd = fd }

    func start() {
        Thread { [self] in
            data = readAll(fd)
            close(fd)
            done.signal()
        }.start()
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}

extension Subprocess {
    /// Signals this process ignores (the test runner ignores SIGTERM, for one) go back to their defaults in the child.
    static func resetSignals(_ attributes: inout posix_spawnattr_t) {
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
    }

    /// Starts a program in a process group of its own with standard input, output and error on /dev/null, and does
    /// not wait for it: it outlives this process (completion's background cache refresh). Nothing of it can
    /// reach the caller's pipes, so a shell or kubectl reading our output never waits for it.
    @discardableResult
    public static func detach(_ executable: String, arguments: [String], environment: [String: String]) -> Bool {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        resetSignals(&attributes)
        // A process group of its own: Ctrl-C in the shell that asked for completion does not reach it.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        return posix_spawn(&pid, executable, &actions, &attributes, argv, envp) == 0
    }
}
