import Foundation
import Yams

/// Reads kubeconfig files the way client-go's loading rules do (reference/kubernetes.md §1.1–1.3).
public struct KubeconfigLoader: Sendable {
    /// The environment (`KUBECONFIG`, `HOME`).
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The files to read: `--kubeconfig` alone, else every `KUBECONFIG` entry (deduplicated), else `~/.kube/config`.
    public func candidateFiles(explicit: String?) -> [String] {
        if let explicit, !explicit.isEmpty { return [explicit] }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            var seen = Set<String>()
            return list.split(separator: ":", omittingEmptySubsequences: true).map(String.init).filter { seen.insert($0).inserted }
        }
        return [homeDirectory + "/.kube/config"]
    }

    var homeDirectory: String { environment["HOME"] ?? NSHomeDirectory() }

    /// Loads and merges. A missing `--kubeconfig` file is an error; missing `KUBECONFIG` entries are skipped.
    public func load(explicit: String? = nil) throws(KubeconfigError) -> Kubeconfig {
        var merged = Kubeconfig()
        let files = candidateFiles(explicit: explicit)
        let isExplicit = explicit.map { !$0.isEmpty } ?? false
        for path in files {
            guard FileManager.default.fileExists(atPath: path) else {
                if isExplicit { throw .explicitFileMissing(path: path) }
                continue
            }
            let file = try Self.parseFile(at: path)
            merged.files.append(path)
            // First file to define a name wins, with its whole entry; same for current-context.
            for (name, cluster) in file.clusters where merged.clusters[name] == nil { merged.clusters[name] = cluster }
            for (name, user) in file.users where merged.users[name] == nil { merged.users[name] = user }
            for (name, context) in file.contexts where merged.contexts[name] == nil { merged.contexts[name] = context }
            if (merged.currentContext ?? "").isEmpty, let current = file.currentContext, !current.isEmpty {
                merged.currentContext = current
            }
        }
        return merged
    }

    /// One parsed file, entries in file order.
    struct ParsedFile {
        var clusters: [(String, KubeCluster)] = []
        var users: [(String, KubeAuthInfo)] = []
        var contexts: [(String, KubeContext)] = []
        var currentContext: String?
    }

    static func parseFile(at path: String) throws(KubeconfigError) -> ParsedFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: "cannot read the file: \((error as NSError).localizedDescription)")
        }
        return try parse(text, path: path)
    }

    /// Parses kubeconfig text; `path` names the file in errors and anchors relative paths.
    static func parse(_ text: String, path: String) throws(KubeconfigError) -> ParsedFile {
        let root: JSON
        do {
            root = try YAMLTree.load(text)
        } catch {
            // Yams adds the offending lines and a caret below its message; the first line says it all.
            let firstLine = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            throw .invalidYAML(path: path, reason: "not valid YAML: " + firstLine.replacingOccurrences(of: "error: ", with: ""))
        }
        var file = ParsedFile()
        guard root != .null else { return file }  // an empty file is an empty config
        let reader = FieldReader(path: path, baseDirectory: (path as NSString).deletingLastPathComponent)
        guard root.objectValue != nil else {
            throw .invalidField(path: path, field: "(top level)", reason: "expected a mapping with clusters, users and contexts")
        }
        file.currentContext = try reader.string(root["current-context"], "current-context")
        file.clusters = try reader.namedList(root["clusters"], "clusters", entryKey: "cluster", reader.cluster)
        file.users = try reader.namedList(root["users"], "users", entryKey: "user", reader.authInfo)
        file.contexts = try reader.namedList(root["contexts"], "contexts", entryKey: "context", reader.context)
        return file
    }
}

/// Typed reads from the YAML tree; every mismatch names the file and the field.
struct FieldReader {
    let path: String
    let baseDirectory: String

    func fail(_ field: String, _ reason: String) -> KubeconfigError { .invalidField(path: path, field: field, reason: reason) }

    func string(_ value: JSON?, _ field: String) throws(KubeconfigError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case .number(let text)?: return text
        case .bool(let flag)?: return flag ? "true" : "false"
        default: throw fail(field, "expected a string")
        }
    }

    func bool(_ value: JSON?, _ field: String) throws(KubeconfigError) -> Bool {
        switch value {
        case nil, .null?: return false
        case .bool(let flag)?: return flag
        case .string(let text)? where text == "true" || text == "false": return text == "true"
        default: throw fail(field, "expected true or false")
        }
    }

    func stringList(_ value: JSON?, _ field: String) throws(KubeconfigError) -> [String] {
        switch value {
        case nil, .null?: return []
        case .array(let items)?:
            var result: [String] = []
            for (index, item) in items.enumerated() {
                guard let text = try string(item, "\(field)[\(index)]") else { throw fail("\(field)[\(index)]", "expected a string") }
                result.append(text)
            }
            return result
        default: throw fail(field, "expected a list of strings")
        }
    }

    /// Standard base64 of PEM, as the `*-data` fields hold.
    func base64(_ value: JSON?, _ field: String) throws(KubeconfigError) -> Data? {
        guard let text = try string(value, field), !text.isEmpty else { return nil }
        let compact = text.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: compact) else { throw fail(field, "is not valid base64") }
        return data
    }

    /// A path made absolute against the directory of the file that named it.
    func filePath(_ value: JSON?, _ field: String) throws(KubeconfigError) -> String? {
        guard let text = try string(value, field), !text.isEmpty else { return nil }
        return resolve(text)
    }

    func resolve(_ text: String) -> String {
        text.hasPrefix("/") ? text : (baseDirectory as NSString).appendingPathComponent(text)
    }

    /// `[{name, <entryKey>: {...}}]`; null lists are allowed; a name twice in one file is an error.
    func namedList<T>(
        _ value: JSON?, _ field: String, entryKey: String, _ build: (JSON, String) throws(KubeconfigError) -> T
    ) throws(KubeconfigError) -> [(String, T)] {
        switch value {
        case nil, .null?: return []
        case .array(let items)?:
            var result: [(String, T)] = []
            var names = Set<String>()
            for (index, item) in items.enumerated() {
                let itemField = "\(field)[\(index)]"
                guard item.objectValue != nil else { throw fail(itemField, "expected a mapping with name and \(entryKey)") }
                guard let name = try string(item["name"], "\(itemField).name"), !name.isEmpty else {
                    throw fail("\(itemField).name", "is missing")
                }
                guard names.insert(name).inserted else { throw .duplicateName(path: path, list: field, name: name) }
                let entry = item[entryKey] ?? .object(JSONObject())
                guard entry.objectValue != nil || entry == .null else { throw fail("\(itemField).\(entryKey)", "expected a mapping") }
                result.append((name, try build(entry == .null ? .object(JSONObject()) : entry, "\(itemField).\(entryKey)")))
            }
            return result
        default: throw fail(field, "expected a list")
        }
    }

    func cluster(_ value: JSON, _ field: String) throws(KubeconfigError) -> KubeCluster {
        var cluster = KubeCluster()
        cluster.origin = path
        cluster.server = try string(value["server"], "\(field).server") ?? ""
        cluster.tlsServerName = try string(value["tls-server-name"], "\(field).tls-server-name").flatMap { $0.isEmpty ? nil : $0 }
        cluster.insecureSkipTLSVerify = try bool(value["insecure-skip-tls-verify"], "\(field).insecure-skip-tls-verify")
        cluster.certificateAuthority = try filePath(value["certificate-authority"], "\(field).certificate-authority")
        cluster.certificateAuthorityData = try base64(value["certificate-authority-data"], "\(field).certificate-authority-data")
        cluster.proxyURL = try string(value["proxy-url"], "\(field).proxy-url").flatMap { $0.isEmpty ? nil : $0 }
        cluster.disableCompression = try bool(value["disable-compression"], "\(field).disable-compression")
        if case .array(let extensions)? = value["extensions"] {
            for item in extensions where item["name"]?.stringValue == "client.authentication.k8s.io/exec" {
                cluster.execExtension = item["extension"]
            }
        }
        return cluster
    }

    func authInfo(_ value: JSON, _ field: String) throws(KubeconfigError) -> KubeAuthInfo {
        var user = KubeAuthInfo()
        user.origin = path
        user.clientCertificate = try filePath(value["client-certificate"], "\(field).client-certificate")
        user.clientCertificateData = try base64(value["client-certificate-data"], "\(field).client-certificate-data")
        user.clientKey = try filePath(value["client-key"], "\(field).client-key")
        user.clientKeyData = try base64(value["client-key-data"], "\(field).client-key-data")
        user.token = try string(value["token"], "\(field).token").flatMap { $0.isEmpty ? nil : $0 }
        user.tokenFile = try filePath(value["tokenFile"], "\(field).tokenFile")
        user.impersonate = try string(value["as"], "\(field).as").flatMap { $0.isEmpty ? nil : $0 }
        user.impersonateUID = try string(value["as-uid"], "\(field).as-uid").flatMap { $0.isEmpty ? nil : $0 }
        user.impersonateGroups = try stringList(value["as-groups"], "\(field).as-groups")
        if case .object(let extra)? = value["as-user-extra"] {
            for member in extra { user.impersonateExtra[member.key] = try stringList(member.value, "\(field).as-user-extra.\(member.key)") }
        }
        user.username = try string(value["username"], "\(field).username").flatMap { $0.isEmpty ? nil : $0 }
        user.password = try string(value["password"], "\(field).password").flatMap { $0.isEmpty ? nil : $0 }
        if let provider = value["auth-provider"], provider != .null {
            guard let name = try string(provider["name"], "\(field).auth-provider.name") else {
                throw fail("\(field).auth-provider.name", "is missing")
            }
            user.authProviderName = name
        }
        if let exec = value["exec"], exec != .null {
            user.exec = try execConfig(exec, "\(field).exec")
        }
        return user
    }

    func execConfig(_ value: JSON, _ field: String) throws(KubeconfigError) -> ExecConfig {
        guard value.objectValue != nil else { throw fail(field, "expected a mapping") }
        guard let command = try string(value["command"], "\(field).command"), !command.isEmpty else {
            throw fail("\(field).command", "is missing: an exec plugin needs a command")
        }
        guard let apiVersion = try string(value["apiVersion"], "\(field).apiVersion"), !apiVersion.isEmpty else {
            throw fail("\(field).apiVersion", "is missing: use client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1")
        }
        guard apiVersion == "client.authentication.k8s.io/v1" || apiVersion == "client.authentication.k8s.io/v1beta1" else {
            throw fail(
                "\(field).apiVersion", "exec plugin: invalid apiVersion \"\(apiVersion)\"; use client.authentication.k8s.io/v1 or v1beta1")
        }
        // A bare command is looked up on PATH; one with a path separator is relative to the kubeconfig.
        var config = ExecConfig(command: command.contains("/") ? resolve(command) : command, apiVersion: apiVersion)
        config.args = try stringList(value["args"], "\(field).args")
        switch value["env"] {
        case nil, .null?: break
        case .array(let items)?:
            for (index, item) in items.enumerated() {
                guard let name = try string(item["name"], "\(field).env[\(index)].name"), !name.isEmpty else {
                    throw fail("\(field).env[\(index)].name", "is missing: every exec env entry needs a name")
                }
                config.env.append(ExecEnvVar(name: name, value: try string(item["value"], "\(field).env[\(index)].value") ?? ""))
            }
        default: throw fail("\(field).env", "expected a list of {name, value}")
        }
        config.installHint = try string(value["installHint"], "\(field).installHint").flatMap { $0.isEmpty ? nil : $0 }
        config.provideClusterInfo = try bool(value["provideClusterInfo"], "\(field).provideClusterInfo")
        if let mode = try string(value["interactiveMode"], "\(field).interactiveMode"), !mode.isEmpty {
            guard let parsed = InteractiveMode(rawValue: mode) else {
                throw fail("\(field).interactiveMode", "invalid value \"\(mode)\"; use Never, IfAvailable or Always")
            }
            config.interactiveMode = parsed
        } else if apiVersion == "client.authentication.k8s.io/v1" {
            throw fail("\(field).interactiveMode", "is required for client.authentication.k8s.io/v1; use Never, IfAvailable or Always")
        } else {
            config.interactiveMode = .ifAvailable
        }
        return config
    }

    func context(_ value: JSON, _ field: String) throws(KubeconfigError) -> KubeContext {
        var context = KubeContext()
        context.origin = path
        context.cluster = try string(value["cluster"], "\(field).cluster") ?? ""
        context.user = try string(value["user"], "\(field).user") ?? ""
        context.namespace = try string(value["namespace"], "\(field).namespace").flatMap { $0.isEmpty ? nil : $0 }
        return context
    }
}

/// YAML → the JSON tree, through Yams (libyaml). Aliases are resolved by Yams' constructor.
enum YAMLTree {
    static func load(_ text: String) throws -> JSON {
        guard let value = try Yams.load(yaml: text) else { return .null }
        return convert(value)
    }

    static func convert(_ value: Any) -> JSON {
        switch value {
        case is NSNull: return .null
        case let flag as Bool: return .bool(flag)
        case let number as Int: return .int(number)
        case let number as Double: return .number(String(number))
        case let text as String: return .string(text)
        case let data as Data: return .string(data.base64EncodedString())
        case let date as Date: return .string(ISO8601DateFormatter().string(from: date))
        case let items as [Any]: return .array(items.map(convert))
        case let mapping as [AnyHashable: Any]:
            var object = JSONObject()
            for key in mapping.keys.map({ "\($0.base)" }).sorted() {
                if let entry = mapping.first(where: { "\($0.key.base)" == key }) { object[key] = convert(entry.value) }
            }
            return .object(object)
        default: return .string("\(value)")
        }
    }
}
