import Foundation

/// Where progress, warnings and notes go: stderr, never stdout (which carries the result).
public protocol ProgressReporter: Sendable {
    func phase(_ text: String)
    func note(_ text: String)
    func warning(_ text: String)
}

/// Plain lines on stderr with the time since start; colour only on a terminal without NO_COLOR.
public final class StderrProgress: ProgressReporter, @unchecked Sendable {
    private let start = ContinuousClock.now
    private let lock = NSLock()
    private let colour: Bool
    private let quiet: Bool

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, quiet: Bool = false) {
        colour = isatty(STDERR_FILENO) == 1 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
        self.quiet = quiet
    }

    private var elapsed: String {
        let duration = ContinuousClock.now - start
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%5.1fs", seconds)
    }

    private func write(_ text: String) {
        lock.withLock { FileHandle.standardError.write(Data((text + "\n").utf8)) }
    }

    public func phase(_ text: String) {
        guard !quiet else { return }
        write(colour ? "\u{1B}[2m[\(elapsed)]\u{1B}[0m \(text)" : "[\(elapsed)] \(text)")
    }

    public func note(_ text: String) {
        guard !quiet else { return }
        write("        \(text)")
    }

    public func warning(_ text: String) {
        write(colour ? "\u{1B}[33mwarning:\u{1B}[0m \(text)" : "warning: \(text)")
    }
}

/// Collects progress in memory (tests).
public final class RecordingProgress: ProgressReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String] = []
    public init() {}
    public var lines: [String] { lock.withLock { entries } }
    public func phase(_ text: String) { lock.withLock { entries.append(text) } }
    public func note(_ text: String) { lock.withLock { entries.append(text) } }
    public func warning(_ text: String) { lock.withLock { entries.append("warning: " + text) } }
}
