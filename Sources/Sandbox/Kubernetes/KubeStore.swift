import Foundation

/// One change, as watchers see it.
public struct StoreChange: Sendable {
    public enum Kind: String, Sendable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
    }
    public let kind: Kind
    public let resource: String
    public let namespace: String
    public let object: Value
    public let resourceVersion: Int
}

/// What a watch stream carries.
enum WatchMessage: Sendable {
    case change(StoreChange)
    case bookmark(Int)
    case expired(String)
}

/// The object store behind the local API server: every object of every resource, one global resourceVersion
/// counter (as etcd's revision), a bounded history for watches, and the open watches.
public actor KubeStore {
    struct Key: Hashable, Sendable {
        let resource: String
        let namespace: String
        let name: String
    }

    private struct Watcher {
        let resource: String
        let namespace: String?
        let fields: FieldSelector
        let labels: LabelSelector
        let continuation: AsyncStream<WatchMessage>.Continuation
    }

    private var objects: [Key: Value] = [:]
    private var revision = 100
    private var history: [StoreChange] = []
    /// Watches from a resourceVersion below this answer 410, as after an etcd compaction.
    private var compactedRevision = 0
    private let historyLimit: Int
    private var watchers: [UUID: Watcher] = [:]
    private var uidCounter = 0
    /// Hooks the cloud controller and tests register to hear about every change.
    private var listeners: [@Sendable (StoreChange) -> Void] = []

    public init(historyLimit: Int = 10_000) {
        self.historyLimit = historyLimit
    }

    public var currentRevision: Int { revision }

    func addListener(_ listener: @escaping @Sendable (StoreChange) -> Void) { listeners.append(listener) }

    // MARK: Reads

    func get(_ resource: String, _ namespace: String, _ name: String) throws(APIError) -> Value {
        guard let object = objects[Key(resource: resource, namespace: namespace, name: name)] else {
            throw .notFound(resource, name)
        }
        return object
    }

    func list(_ resource: String, namespace: String?, fields: FieldSelector, labels: LabelSelector) -> (items: [Value], revision: Int) {
        let items = objects.filter { key, object in
            key.resource == resource && (namespace == nil || key.namespace == namespace) && fields.matches(object)
                && labels.matches(object.lookup("metadata.labels")?.object ?? [:])
        }
        .sorted { ($0.key.namespace, $0.key.name) < ($1.key.namespace, $1.key.name) }
        .map(\.value)
        return (items, revision)
    }

    // MARK: Writes

    /// Stores a new object: name, uid, resourceVersion and creationTimestamp are set here.
    func create(_ resource: String, _ namespace: String, _ object: Value) throws(APIError) -> Value {
        var object = object
        var name = object.lookup("metadata.name")?.string ?? ""
        if name.isEmpty, let prefix = object.lookup("metadata.generateName")?.string, !prefix.isEmpty {
            name = prefix + String(UUID().uuidString.prefix(5)).lowercased()
        }
        guard !name.isEmpty else { throw .invalid(resource, "", ["metadata.name: Required value: name or generateName is required"]) }
        let key = Key(resource: resource, namespace: namespace, name: name)
        guard objects[key] == nil else { throw .alreadyExists(resource, name) }
        uidCounter += 1
        object.set(["metadata", "name"], .string(name))
        if !namespace.isEmpty { object.set(["metadata", "namespace"], .string(namespace)) }
        object.set(["metadata", "uid"], .string(Self.uid(uidCounter)))
        object.set(["metadata", "creationTimestamp"], .string(Self.timestamp()))
        return commit(.added, key, object)
    }

    /// Replaces an object through `mutate`. A resourceVersion in the result that is not the stored one is a
    /// conflict (409), as optimistic concurrency demands; an unchanged result keeps its resourceVersion.
    func update(_ resource: String, _ namespace: String, _ name: String, mutate: @Sendable (Value) throws(APIError) -> Value)
        throws(APIError) -> Value
    {
        let key = Key(resource: resource, namespace: namespace, name: name)
        guard let current = objects[key] else { throw .notFound(resource, name) }
        return try store(key, current: current, updated: try mutate(current))
    }

    /// Stores `updated` only if the object is still at `basedOn` (the version it was computed from);
    /// returns nil when it moved on in between, so the caller computes again (the API server's GuaranteedUpdate).
    func replace(_ resource: String, _ namespace: String, _ name: String, basedOn: String, _ updated: Value) throws(APIError) -> Value? {
        let key = Key(resource: resource, namespace: namespace, name: name)
        guard let current = objects[key] else { throw .notFound(resource, name) }
        guard current.lookup("metadata.resourceVersion")?.string == basedOn else { return nil }
        return try store(key, current: current, updated: updated)
    }

    private func store(_ key: Key, current: Value, updated: Value) throws(APIError) -> Value {
        var updated = updated
        let (resource, name) = (key.resource, key.name)
        let currentVersion = current.lookup("metadata.resourceVersion")?.string
        if let requested = updated.lookup("metadata.resourceVersion")?.string, !requested.isEmpty, requested != currentVersion {
            throw .conflict(resource, name)
        }
        // Fields the server owns cannot be changed by a client.
        for path in ["metadata.uid", "metadata.creationTimestamp", "metadata.name", "metadata.namespace"] {
            updated.set(path.split(separator: ".").map(String.init), current.lookup(path))
        }
        updated.set(["metadata", "resourceVersion"], current.lookup("metadata.resourceVersion"))
        if updated == current { return current }
        return commit(.modified, key, updated)
    }

    func delete(_ resource: String, _ namespace: String, _ name: String) throws(APIError) -> Value {
        let key = Key(resource: resource, namespace: namespace, name: name)
        guard let current = objects[key] else { throw .notFound(resource, name) }
        objects[key] = nil
        revision += 1
        var deleted = current
        deleted.set(["metadata", "resourceVersion"], .string(String(revision)))
        record(StoreChange(kind: .deleted, resource: resource, namespace: namespace, object: deleted, resourceVersion: revision))
        return deleted
    }

    private func commit(_ kind: StoreChange.Kind, _ key: Key, _ object: Value) -> Value {
        revision += 1
        var object = object
        object.set(["metadata", "resourceVersion"], .string(String(revision)))
        objects[key] = object
        record(StoreChange(kind: kind, resource: key.resource, namespace: key.namespace, object: object, resourceVersion: revision))
        return object
    }

    private func record(_ change: StoreChange) {
        history.append(change)
        if history.count > historyLimit {
            let dropped = history.count - historyLimit
            compactedRevision = history[dropped - 1].resourceVersion
            history.removeFirst(dropped)
        }
        for watcher in watchers.values where Self.matches(watcher, change) {
            watcher.continuation.yield(.change(change))
        }
        for listener in listeners { listener(change) }
    }

    private static func matches(_ watcher: Watcher, _ change: StoreChange) -> Bool {
        watcher.resource == change.resource && (watcher.namespace == nil || watcher.namespace == change.namespace)
            && watcher.fields.matches(change.object)
            && watcher.labels.matches(change.object.lookup("metadata.labels")?.object ?? [:])
    }

    // MARK: Watches

    /// Opens a watch. From "" or "0" it starts with the current objects as ADDED; from a resourceVersion it
    /// replays later history, or reports expiry (410) when that history was compacted away.
    func watch(_ resource: String, namespace: String?, fields: FieldSelector, labels: LabelSelector, from resourceVersion: String)
        -> (id: UUID, stream: AsyncStream<WatchMessage>)
    {
        let (stream, continuation) = AsyncStream<WatchMessage>.makeStream()
        let id = UUID()
        let watcher = Watcher(resource: resource, namespace: namespace, fields: fields, labels: labels, continuation: continuation)
        if resourceVersion.isEmpty || resourceVersion == "0" {
            for object in list(resource, namespace: namespace, fields: fields, labels: labels).items {
                let version = Int(object.lookup("metadata.resourceVersion")?.string ?? "") ?? revision
                continuation.yield(
                    .change(
                        StoreChange(
                            kind: .added, resource: resource,
                            namespace: object.lookup("metadata.namespace")?.string ?? "", object: object, resourceVersion: version)))
            }
        } else if let start = Int(resourceVersion) {
            if start < compactedRevision {
                continuation.yield(.expired("too old resource version: \(start) (\(compactedRevision + 1))"))
                continuation.finish()
                return (id, stream)
            }
            for change in history where change.resourceVersion > start && Self.matches(watcher, change) {
                continuation.yield(.change(change))
            }
        } else {
            continuation.yield(.expired("invalid resource version \"\(resourceVersion)\""))
            continuation.finish()
            return (id, stream)
        }
        watchers[id] = watcher
        continuation.onTermination = { [weak self] _ in
            Task { await self?.removeWatcher(id) }
        }
        return (id, stream)
    }

    func removeWatcher(_ id: UUID) { watchers[id] = nil }

    /// Bookmarks tell idle watchers how far the store has come.
    func sendBookmarks() {
        for watcher in watchers.values { watcher.continuation.yield(.bookmark(revision)) }
    }

    // MARK: Test controls

    /// Forgets all history, so every watch from an older resourceVersion gets 410 (an etcd compaction).
    public func compact() {
        compactedRevision = revision
        history.removeAll()
    }

    /// Ends every open watch stream, as an API server does at `timeoutSeconds` or on restart.
    public func closeWatches() {
        for watcher in watchers.values { watcher.continuation.finish() }
        watchers.removeAll()
    }

    public var openWatchCount: Int { watchers.count }

    static func uid(_ counter: Int) -> String {
        let hex = String(format: "%012x", counter)
        return "6a1f3c2e-8b4d-4e0a-9c7f-\(hex)"
    }

    static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
