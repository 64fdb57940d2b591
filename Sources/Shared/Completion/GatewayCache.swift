import Foundation

/// The gateway names completion offers, per subscription, in the user's cache directory
/// (`$XDG_CACHE_HOME/kubectl-agw`, else `~/.cache/kubectl-agw`; folder 0700, files 0600). Names and
/// resource groups only — nothing secret. Fresh for `ttl`; older entries are still offered while a
/// background refresh replaces them.
public struct GatewayCache: Sendable {
    /// One gateway as completion shows it.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var resourceGroup: String

        public init(name: String, resourceGroup: String) {
            self.name = name
            self.resourceGroup = resourceGroup
        }
    }

    /// What a read found.
    public struct Contents: Sendable, Equatable {
        public var entries: [Entry]
        public var fetched: Date
    }

    public let directory: String
    public let ttl: TimeInterval

    public init(directory: String, ttl: TimeInterval = 300) {
        self.directory = directory
        self.ttl = ttl
    }

    public init(environment: [String: String], ttl: TimeInterval = 300) {
        let base =
            environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.cache")
        self.init(directory: base + "/kubectl-agw", ttl: ttl)
    }

    func path(subscription: String) -> String { "\(directory)/gateways-\(subscription.lowercased()).json" }

    public func read(subscription: String) -> Contents? {
        guard let data = FileManager.default.contents(atPath: path(subscription: subscription)),
            let json = try? JSON.parse(String(decoding: data, as: UTF8.self)),
            let seconds = json["fetched"].flatMap({ $0.intValue })
        else { return nil }
        let entries = (json["gateways"]?.arrayValue ?? []).compactMap { item -> Entry? in
            guard let name = item["name"]?.stringValue, let group = item["resourceGroup"]?.stringValue else { return nil }
            return Entry(name: name, resourceGroup: group)
        }
        return Contents(entries: entries, fetched: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    public func isFresh(_ contents: Contents, now: Date = Date()) -> Bool { now.timeIntervalSince(contents.fetched) < ttl }

    /// Replaces the subscription's list (after listing every gateway in it).
    public func store(_ entries: [Entry], subscription: String, now: Date = Date()) {
        write(entries, subscription: subscription, fetched: now)
    }

    /// Adds gateways a command has just read, keeping the list's age (they do not make the rest fresh).
    public func remember(_ entries: [Entry], subscription: String) {
        let existing = read(subscription: subscription)
        var merged = existing?.entries ?? []
        for entry in entries
        where !merged.contains(where: {
            $0.name.caseInsensitiveCompare(entry.name) == .orderedSame
                && $0.resourceGroup.caseInsensitiveCompare(entry.resourceGroup) == .orderedSame
        }) {
            merged.append(entry)
        }
        guard merged != existing?.entries else { return }
        write(merged, subscription: subscription, fetched: existing?.fetched ?? Date(timeIntervalSince1970: 0))
    }

    /// Entries from the gateways an ARM list returned.
    public static func entries(fromList items: [JSON]) -> [Entry] {
        items.compactMap { item in
            guard let id = item["id"]?.stringValue.flatMap({ try? ResourceID(parsing: $0) }) else { return nil }
            return Entry(name: id.name, resourceGroup: id.resourceGroup)
        }.sorted { ($0.name.lowercased(), $0.resourceGroup.lowercased()) < ($1.name.lowercased(), $1.resourceGroup.lowercased()) }
    }

    private func write(_ entries: [Entry], subscription: String, fetched: Date) {
        let document: JSON = [
            "fetched": .int(Int(fetched.timeIntervalSince1970)),
            "gateways": .array(entries.map { ["name": .string($0.name), "resourceGroup": .string($0.resourceGroup)] }),
        ]
        // Best effort: a cache that cannot be written only means completion asks again next time.
        try? FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let target = path(subscription: subscription)
        let temporary = target + ".\(getpid()).tmp"
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data(document.serialized().utf8), attributes: [.posixPermissions: 0o600])
        else { return }
        // rename(2) is atomic: a completion reading at the same moment sees the old list or the new one.
        if rename(temporary, target) != 0 { unlink(temporary) }
    }

    /// Marks a refresh as started; false when another started less than `window` seconds ago.
    public func claimRefresh(subscription: String, window: TimeInterval = 30, now: Date = Date()) -> Bool {
        let marker = path(subscription: subscription) + ".refreshing"
        if let attributes = try? FileManager.default.attributesOfItem(atPath: marker),
            let modified = attributes[.modificationDate] as? Date, now.timeIntervalSince(modified) < window
        {
            return false
        }
        try? FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return FileManager.default.createFile(atPath: marker, contents: Data(), attributes: [.posixPermissions: 0o600])
    }

    public func finishRefresh(subscription: String) {
        unlink(path(subscription: subscription) + ".refreshing")
    }
}
