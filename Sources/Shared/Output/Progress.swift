import Foundation

/// Where progress, warnings and notes go: stderr, never stdout (which carries the result).
public protocol ProgressReporter: Sendable {
    func phase(_ text: String)
    func note(_ text: String)
    func warning(_ text: String)
    /// A long wait begins: on a terminal an animated line shows it and the time it has taken.
    func startWaiting(_ text: String)
    func stopWaiting()
}

extension ProgressReporter {
    public func startWaiting(_ text: String) { phase(text) }
    public func stopWaiting() {}
}

/// Plain lines on stderr with the time since start; colour only on a terminal without NO_COLOR; an
/// animated waiting line only on a terminal (off a terminal every line stays a plain, final line).
public final class StderrProgress: ProgressReporter, @unchecked Sendable {
    private let start = ContinuousClock.now
    private let lock = NSLock()
    private let colour: Bool
    private let terminal: Bool
    private let quiet: Bool
    // Guarded by `lock`:
    private var waiting: (text: String, since: ContinuousClock.Instant)?
    private var animation: Task<Void, Never>?
    private var frame = 0

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, quiet: Bool = false) {
        terminal = isatty(STDERR_FILENO) == 1 && environment["TERM"] != "dumb"
        colour = terminal && environment["NO_COLOR"] == nil
        self.quiet = quiet
    }

    static let spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    public func startWaiting(_ text: String) {
        phase(text)
        guard terminal, !quiet else { return }
        lock.withLock {
            waiting = (text, ContinuousClock.now)
            animation?.cancel()
            animation = Task { [weak self] in
                while !Task.isCancelled {
                    self?.redraw()
                    try? await Task.sleep(for: .milliseconds(120))
                }
            }
        }
    }

    public func stopWaiting() {
        lock.withLock {
            animation?.cancel()
            animation = nil
            if waiting != nil { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
            waiting = nil
        }
    }

    private func redraw() {
        lock.withLock {
            guard let waiting else { return }
            frame += 1
            let seconds = (ContinuousClock.now - waiting.since).components.seconds
            let line = "\(Self.spinner[frame % Self.spinner.count]) \(waiting.text) (\(seconds)s)"
            FileHandle.standardError.write(Data("\r\u{1B}[2K\(colour ? "\u{1B}[36m" + line + "\u{1B}[0m" : line)".utf8))
        }
    }

    private var elapsed: String {
        let duration = ContinuousClock.now - start
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%5.1fs", seconds)
    }

    private func write(_ text: String) {
        // Clear an animated line first, so a message never lands in the middle of it.
        lock.withLock { FileHandle.standardError.write(Data(((waiting != nil ? "\r\u{1B}[2K" : "") + text + "\n").utf8)) }
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
