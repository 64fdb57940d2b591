import Foundation

/// Cobra's ShellCompDirective bits: the number on the last line of a completion answer, which kubectl and the
/// scripts read.
public struct CompletionDirective: OptionSet, Sendable, Equatable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let error = CompletionDirective(rawValue: 1)
    public static let noSpace = CompletionDirective(rawValue: 2)
    public static let noFileComp = CompletionDirective(rawValue: 4)
    public static let keepOrder = CompletionDirective(rawValue: 32)
    /// Default: the shell may fall back to file names.
    public static let files: CompletionDirective = []
}

/// One candidate, with an optional description (shown by zsh, fish and PowerShell).
public struct CompletionCandidate: Sendable, Equatable {
    public var value: String
    public var description: String?

    public init(_ value: String, _ description: String? = nil) {
        self.value = value
        self.description = description
    }
}

/// What completion answers: candidates, then the directive.
public struct CompletionAnswer: Sendable, Equatable {
    public var candidates: [CompletionCandidate]
    public var directive: CompletionDirective

    public init(_ candidates: [CompletionCandidate] = [], _ directive: CompletionDirective = .noFileComp) {
        self.candidates = candidates
        self.directive = directive
    }

    /// The protocol kubectl reads: `value<TAB>description` lines, then `:<directive>`. Descriptions are one line.
    public var text: String {
        var lines = candidates.map { candidate -> String in
            guard let description = candidate.description, !description.isEmpty else { return candidate.value }
            let firstLine = description.split(separator: "\n").first.map(String.init) ?? ""
            return candidate.value + "\t" + firstLine
        }
        lines.append(":\(directive.rawValue)")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The words typed after `agw`, parsed for completion: which command, which flags with which values, the
/// positional arguments, and what is being completed. kubectl passes plugin words unparsed, so this is the
/// only place `--context`, `-n` and friends typed earlier on the line are read.
public struct CompletionLine: Sendable, Equatable {
    public var command: CommandSpec?
    /// Values by long flag name, in the order typed (flags without a value record "true").
    public var values: [String: [String]] = [:]
    public var positionals: [String] = []
    /// The word being completed (without a `--flag=` prefix).
    public var current: String = ""
    /// The flag whose value is being completed.
    public var pendingFlag: FlagSpec?
    /// Put before each candidate: `--flag=` when the value is typed in that form.
    public var valuePrefix: String = ""

    public func value(_ flag: String) -> String? { values[flag]?.last }
    public func isSet(_ flag: String) -> Bool { values[flag] != nil }

    /// `words` are the words after the plugin name, the last one the word being completed ("" for a new word).
    public static func parse(_ words: [String]) -> CompletionLine {
        var line = CompletionLine()
        var typed = words
        line.current = typed.popLast() ?? ""
        var index = 0
        var afterDoubleDash = false
        while index < typed.count {
            let word = typed[index]
            index += 1
            if afterDoubleDash || !word.hasPrefix("-") || word == "-" {
                if line.command == nil, let command = CommandTable.command(named: word) {
                    line.command = command
                } else {
                    line.positionals.append(word)
                }
                continue
            }
            if word == "--" {
                afterDoubleDash = true
                continue
            }
            let (name, inline) = split(word)
            guard let flag = line.flag(named: name) else { continue }
            if !flag.takesValue {
                line.values[flag.long, default: []].append("true")
            } else if let inline {
                line.values[flag.long, default: []].append(inline)
            } else if index < typed.count {
                line.values[flag.long, default: []].append(typed[index])
                index += 1
            } else {
                // The flag is the last word before the one being completed: that word is its value.
                line.pendingFlag = flag
            }
        }
        if line.pendingFlag == nil, line.current.hasPrefix("-"), let equals = line.current.firstIndex(of: "=") {
            let name = String(line.current[..<equals])
            if let flag = line.flag(named: split(name).name), flag.takesValue {
                line.pendingFlag = flag
                line.valuePrefix = name + "="
                line.current = String(line.current[line.current.index(after: equals)...])
            }
        }
        return line
    }

    /// `--name=value` → ("--name", "value"); `-nfoo` → ("-n", "foo").
    static func split(_ word: String) -> (name: String, value: String?) {
        if word.hasPrefix("--") {
            guard let equals = word.firstIndex(of: "=") else { return (word, nil) }
            return (String(word[..<equals]), String(word[word.index(after: equals)...]))
        }
        if word.count > 2 {
            let name = String(word.prefix(2))
            let rest = word.dropFirst(2)
            return (name, String(rest.hasPrefix("=") ? rest.dropFirst() : rest))
        }
        return (word, nil)
    }

    /// The flags the line's command accepts (before a command: kubectl's connection flags).
    public var flags: [FlagSpec] { command?.flags ?? CommandTable.kube + CommandTable.standard }

    func flag(named name: String) -> FlagSpec? {
        if name.hasPrefix("--") { return flags.first { "--" + $0.long == name } }
        guard name.count == 2, let letter = name.last else { return nil }
        return flags.first { $0.short == letter }
    }

    /// kubectl's connection settings typed on the line, as the resolver takes them.
    public var kubeOverrides: KubeOverrides {
        var overrides = KubeOverrides()
        overrides.kubeconfig = value("kubeconfig")
        overrides.context = value("context")
        overrides.cluster = value("cluster")
        overrides.user = value("user")
        overrides.namespace = value("namespace")
        overrides.server = value("server")
        overrides.token = value("token")
        overrides.insecureSkipTLSVerify = value("insecure-skip-tls-verify").map { $0 == "true" }
        overrides.certificateAuthority = value("certificate-authority")
        overrides.clientCertificate = value("client-certificate")
        overrides.clientKey = value("client-key")
        overrides.tlsServerName = value("tls-server-name")
        overrides.impersonate = value("as")
        overrides.impersonateGroups = values["as-group"] ?? []
        overrides.impersonateUID = value("as-uid")
        return overrides
    }

    public var azureOptions: AzureOptions { AzureOptions(subscription: value("subscription"), cloud: value("cloud")) }
}
