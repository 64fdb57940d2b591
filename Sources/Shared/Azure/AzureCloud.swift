import Foundation

/// An Azure cloud: where ARM and Entra ID live and which audience ARM tokens are for.
public struct AzureCloud: Sendable, Equatable {
    public var name: String
    /// ARM base URL, e.g. `https://management.azure.com`.
    public var resourceManager: URL
    /// Entra ID authority host, e.g. `https://login.microsoftonline.com`.
    public var activeDirectory: URL
    /// The ARM token audience (az's `--resource`), e.g. `https://management.core.windows.net/`.
    public var audience: String

    public init(name: String, resourceManager: URL, activeDirectory: URL, audience: String) {
        self.name = name
        self.resourceManager = resourceManager
        self.activeDirectory = activeDirectory
        self.audience = audience
    }

    /// The OAuth scope for ARM: the audience with `/.default`.
    public var scope: String { (audience.hasSuffix("/") ? audience : audience + "/") + ".default" }

    static func builtIn(_ name: String, arm: String, login: String, audience: String) -> AzureCloud {
        // The literals below are well-formed URLs; a failure here is a programming error caught by tests.
        AzureCloud(
            name: name, resourceManager: URL(string: arm) ?? URL(fileURLWithPath: "/"),
            activeDirectory: URL(string: login) ?? URL(fileURLWithPath: "/"), audience: audience)
    }

    /// The clouds az knows without registration.
    public static let builtIns: [AzureCloud] = [
        builtIn(
            "AzureCloud", arm: "https://management.azure.com", login: "https://login.microsoftonline.com",
            audience: "https://management.core.windows.net/"),
        builtIn(
            "AzureChinaCloud", arm: "https://management.chinacloudapi.cn", login: "https://login.chinacloudapi.cn",
            audience: "https://management.core.chinacloudapi.cn/"),
        builtIn(
            "AzureUSGovernment", arm: "https://management.usgovcloudapi.net", login: "https://login.microsoftonline.us",
            audience: "https://management.core.usgovcloudapi.net/"),
    ]
}

/// What can be wrong with the Azure side's configuration; each message names the fix.
public enum AzureConfigError: Error, Equatable, CustomStringConvertible, Sendable {
    case unknownCloud(String, known: [String])
    case invalidCloudEndpoint(cloud: String, key: String, value: String)
    case insecureEndpoint(String)
    case invalidAuthorityHost(String)
    case subscriptionNotFound(String)
    case ambiguousSubscription(String)
    case noSubscription
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .unknownCloud(let name, let known):
            return
                "cloud '\(name)' is not registered; known clouds: \(known.joined(separator: ", ")) (register one with 'az cloud register')"
        case .invalidCloudEndpoint(let cloud, let key, let value):
            return "cloud '\(cloud)' has an invalid \(key) '\(value)' in clouds.config; fix it with 'az cloud update'"
        case .insecureEndpoint(let url):
            return "refusing to send an Azure token to \(url): bearer tokens travel over https only"
        case .invalidAuthorityHost(let value):
            return "AZURE_AUTHORITY_HOST '\(value)' must be an https URL, e.g. https://login.microsoftonline.com"
        case .subscriptionNotFound(let value):
            return
                "Subscription '\(value)' not found. Check the spelling and casing and try again ('az account list -o table' lists yours)."
        case .ambiguousSubscription(let value):
            return "Multiple subscriptions with the name '\(value)' found. Specify the subscription ID."
        case .noSubscription:
            return "no subscription selected: pass --subscription, set AZURE_SUBSCRIPTION_ID, or run 'az account set -s <subscription>'"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        }
    }
}

/// az's configuration folder (`$AZURE_CONFIG_DIR`, default `~/.azure`): clouds, the active cloud and the
/// signed-in subscriptions. Only read, never written.
public struct AzureCLIConfig: Sendable {
    public var directory: String

    public init(environment: [String: String]) {
        if let directory = environment["AZURE_CONFIG_DIR"], !directory.isEmpty {
            self.directory = directory
        } else {
            self.directory = (environment["HOME"] ?? NSHomeDirectory()) + "/.azure"
        }
    }

    /// `[cloud] name = …` from `config`; AzureCloud when unset.
    public func activeCloudName() -> String {
        let config = INI.parse((try? String(contentsOfFile: directory + "/config", encoding: .utf8)) ?? "")
        return config["cloud"]?["name"].flatMap { $0.isEmpty ? nil : $0 } ?? "AzureCloud"
    }

    /// Built-in clouds with `clouds.config` layered over them, plus the clouds registered there.
    public func clouds() throws(AzureConfigError) -> [AzureCloud] {
        var clouds = AzureCloud.builtIns
        let path = directory + "/clouds.config"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return clouds }
        for (section, values) in INI.parse(text).sorted(by: { $0.key < $1.key }) {
            var cloud =
                clouds.first { $0.name == section }
                ?? AzureCloud(
                    name: section, resourceManager: URL(fileURLWithPath: "/"), activeDirectory: URL(fileURLWithPath: "/"),
                    audience: "https://management.core.windows.net/")
            if let value = values["endpoint_resource_manager"] {
                guard let url = URL(string: value.hasSuffix("/") ? String(value.dropLast()) : value), url.host != nil else {
                    throw .invalidCloudEndpoint(cloud: section, key: "endpoint_resource_manager", value: value)
                }
                cloud.resourceManager = url
            }
            if let value = values["endpoint_active_directory"] {
                guard let url = URL(string: value.hasSuffix("/") ? String(value.dropLast()) : value), url.host != nil else {
                    throw .invalidCloudEndpoint(cloud: section, key: "endpoint_active_directory", value: value)
                }
                cloud.activeDirectory = url
            }
            if let value = values["endpoint_active_directory_resource_id"] { cloud.audience = value }
            guard cloud.resourceManager.host != nil, cloud.activeDirectory.host != nil else {
                throw .invalidCloudEndpoint(cloud: section, key: "endpoint_resource_manager", value: cloud.resourceManager.absoluteString)
            }
            clouds.removeAll { $0.name == section }
            clouds.append(cloud)
        }
        return clouds
    }

    /// The cloud named by `--cloud`, else az's active cloud.
    public func cloud(named requested: String?) throws(AzureConfigError) -> AzureCloud {
        let name = requested ?? activeCloudName()
        let all = try clouds()
        guard let cloud = all.first(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) else {
            throw .unknownCloud(name, known: all.map(\.name))
        }
        return cloud
    }

    /// One signed-in subscription from `azureProfile.json`.
    public struct Subscription: Sendable, Equatable {
        public var id: String
        public var name: String
        public var tenantID: String
        public var isDefault: Bool
        public var cloudName: String
    }

    /// The subscriptions in `azureProfile.json` (which az writes with a UTF-8 byte-order mark).
    public func subscriptions() throws(AzureConfigError) -> [Subscription] {
        let path = directory + "/azureProfile.json"
        guard var data = FileManager.default.contents(atPath: path) else { return [] }
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { data.removeFirst(3) }
        let json: JSON
        do {
            json = try JSON.parse(data)
        } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
        return (json["subscriptions"]?.arrayValue ?? []).compactMap { entry in
            guard let id = entry["id"]?.stringValue else { return nil }
            return Subscription(
                id: id, name: entry["name"]?.stringValue ?? id, tenantID: entry["tenantId"]?.stringValue ?? "",
                isDefault: entry["isDefault"]?.boolValue ?? false, cloudName: entry["environmentName"]?.stringValue ?? "AzureCloud")
        }
    }
}

/// Picks the subscription the way az and the SDK samples do: `--subscription` (name or ID) >
/// `AZURE_SUBSCRIPTION_ID` > az's default for the active cloud.
public struct SubscriptionResolver: Sendable {
    public var config: AzureCLIConfig
    public var environment: [String: String]

    public init(config: AzureCLIConfig, environment: [String: String]) {
        self.config = config
        self.environment = environment
    }

    public func resolve(requested: String?, cloud: AzureCloud) throws(AzureConfigError) -> String {
        let known = try config.subscriptions().filter { $0.cloudName.caseInsensitiveCompare(cloud.name) == .orderedSame }
        if let requested, !requested.isEmpty {
            let lowered = requested.lowercased()
            let matches = known.filter { $0.id.lowercased() == lowered || $0.name.lowercased() == lowered }
            if matches.count > 1 { throw .ambiguousSubscription(requested) }
            if let match = matches.first { return match.id }
            // An ID not in az's profile is still an ID (service principals have no profile).
            if Self.looksLikeID(requested) { return requested }
            throw .subscriptionNotFound(requested)
        }
        if let fromEnvironment = environment["AZURE_SUBSCRIPTION_ID"], !fromEnvironment.isEmpty { return fromEnvironment }
        if let fallback = known.first(where: \.isDefault) { return fallback.id }
        throw .noSubscription
    }

    /// A GUID, as subscription IDs are.
    static func looksLikeID(_ text: String) -> Bool { UUID(uuidString: text) != nil }
}

/// The small INI dialect az writes (`[section]`, `key = value`, `#`/`;` comments).
enum INI {
    static func parse(_ text: String) -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        var section = ""
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                result[section, default: [:]] = result[section] ?? [:]
                continue
            }
            guard let separator = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else { continue }
            let key = line[..<separator].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: separator)...].trimmingCharacters(in: .whitespaces)
            result[section, default: [:]][key] = value
        }
        return result
    }
}
