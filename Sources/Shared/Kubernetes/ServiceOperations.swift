import Foundation

/// Read-modify-write of one Service with optimistic locking: each patch carries the resourceVersion it was
/// computed from, and a 409 makes it read the Service again, re-check, and try again (bounded).
public struct ServicePatcher: Sendable {
    public let api: any KubernetesAPI
    public let maxAttempts: Int

    public init(api: any KubernetesAPI, maxAttempts: Int = 5) {
        self.api = api
        self.maxAttempts = maxAttempts
    }

    /// `build` sees the current Service and returns the merge patch to apply, or nil when nothing needs to change.
    /// It runs again on every attempt, so its checks are made against the latest state.
    public func patch(namespace: String, name: String, build: @Sendable (Service) throws -> JSON?) async throws -> (
        service: Service, changed: Bool
    ) {
        for _ in 1...maxAttempts {
            let current = try await api.getService(namespace: namespace, name: name)
            guard var patch = try build(current) else { return (current, false) }
            var metadata = patch["metadata"]?.objectValue ?? JSONObject()
            metadata["resourceVersion"] = .string(current.resourceVersion)
            patch["metadata"] = .object(metadata)
            do {
                return (try await api.mergePatchService(namespace: namespace, name: name, patch: patch), true)
            } catch let error as KubernetesError where error.statusCode == 409 {
                continue
            }
        }
        throw KubernetesError.conflictRetriesExhausted(resource: "services \"\(name)\"", attempts: maxAttempts)
    }
}

/// What a watcher reports while it waits.
public enum ServiceWatchProgress: Sendable, Equatable {
    case observed(Service)
    /// The watch ended (server timeout or closed stream) and is starting again from `resourceVersion`.
    case rewatching(resourceVersion: String)
    /// The resourceVersion expired (410); the watcher listed again.
    case relisted(resourceVersion: String)
}

/// Waits for a Service to satisfy a condition with LIST then WATCH, as `kubectl wait` does, and recovers:
/// an expired resourceVersion (410) lists again, a closed stream watches again from the last resourceVersion.
public struct ServiceWatcher: Sendable {
    public let api: any KubernetesAPI
    /// Seconds the server keeps one watch open before closing it.
    public let watchSeconds: Int

    public init(api: any KubernetesAPI, watchSeconds: Int = 300) {
        self.api = api
        self.watchSeconds = watchSeconds
    }

    /// Returns the first state of the Service for which `condition` holds; throws on deletion or timeout.
    public func wait(
        namespace: String, name: String, timeout: Duration, clock: ContinuousClock = ContinuousClock(),
        condition: @escaping @Sendable (Service) -> Bool,
        progress: @escaping @Sendable (ServiceWatchProgress) async -> Void = { _ in }
    ) async throws -> Service {
        let deadline = clock.now.advanced(by: timeout)
        return try await withThrowingTaskGroup(of: Service?.self) { group in
            group.addTask {
                try await self.loop(namespace: namespace, name: name, deadline: deadline, condition: condition, progress: progress)
            }
            group.addTask {
                try await clock.sleep(until: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let service = first else {
                throw KubernetesError.timedOut("timed out waiting for the condition on services/\(name)")
            }
            return service
        }
    }

    private func loop(
        namespace: String, name: String, deadline: ContinuousClock.Instant, condition: @Sendable (Service) -> Bool,
        progress: @Sendable (ServiceWatchProgress) async -> Void
    ) async throws -> Service {
        var resourceVersion = try await list(namespace: namespace, name: name, condition: condition, progress: progress)
        if case .satisfied(let service) = resourceVersion { return service }
        guard case .from(var version) = resourceVersion else { throw CancellationError() }
        while !Task.isCancelled {
            let remaining = max(1, Int((deadline - ContinuousClock.now).components.seconds) + 1)
            let events = try await api.watchService(
                namespace: namespace, name: name, resourceVersion: version, timeoutSeconds: min(watchSeconds, remaining))
            var expired = false
            for try await event in events {
                switch event {
                case .added(let service), .modified(let service):
                    version = service.resourceVersion
                    await progress(.observed(service))
                    if condition(service) { return service }
                case .deleted:
                    throw KubernetesError.server(
                        KubeStatus(code: 404, reason: "NotFound", message: "services \"\(name)\" was deleted while waiting for it"))
                case .bookmark(let bookmarkVersion):
                    if !bookmarkVersion.isEmpty { version = bookmarkVersion }
                case .error(let status) where status.code == 410:
                    expired = true
                case .error(let status):
                    throw KubernetesError.server(status)
                }
                if expired { break }
            }
            if expired {
                resourceVersion = try await list(namespace: namespace, name: name, condition: condition, progress: progress)
                if case .satisfied(let service) = resourceVersion { return service }
                guard case .from(let fresh) = resourceVersion else { throw CancellationError() }
                version = fresh
                await progress(.relisted(resourceVersion: fresh))
            } else {
                await progress(.rewatching(resourceVersion: version))
            }
        }
        throw CancellationError()
    }

    private enum ListResult {
        case satisfied(Service)
        case from(String)
    }

    private func list(namespace: String, name: String, condition: (Service) -> Bool, progress: (ServiceWatchProgress) async -> Void)
        async throws -> ListResult
    {
        let list = try await api.listServices(namespace: namespace, labelSelector: nil, fieldSelector: "metadata.name=\(name)")
        guard let service = list.items.first else {
            throw KubernetesError.server(KubeStatus(code: 404, reason: "NotFound", message: "services \"\(name)\" not found"))
        }
        await progress(.observed(service))
        return condition(service) ? .satisfied(service) : .from(list.resourceVersion)
    }
}
