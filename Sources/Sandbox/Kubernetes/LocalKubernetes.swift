import Foundation

/// One request as the sandbox recorded it. Credentials are never recorded.
public struct RecordedRequest: Sendable, Equatable {
    public let method: String
    public let path: String
    public let query: [String: String]
    public let contentType: String?
    public let userAgent: String?
    public let user: String?
    public let body: String
}

/// The local Kubernetes API: discovery, namespaces, services (with status, watch and every patch type),
/// pods and events, bearer-token and client-certificate authentication, and the Azure cloud controller.
/// `kubectl` is its judge (Tests/SharedTests/KubectlJudgeTests.swift).
public actor LocalKubernetes {
    public struct Options: Sendable {
        /// Bearer tokens the server accepts, and the user each names.
        public var tokens: [String: String]
        public var bookmarkInterval: Duration
        public var loadBalancer: LoadBalancerOptions
        public var version: String

        public init(
            tokens: [String: String] = [:], bookmarkInterval: Duration = .seconds(10),
            loadBalancer: LoadBalancerOptions = LoadBalancerOptions(), version: String = "v1.32.4"
        ) {
            self.tokens = tokens
            self.bookmarkInterval = bookmarkInterval
            self.loadBalancer = loadBalancer
            self.version = version
        }
    }

    public nonisolated let store: KubeStore
    public nonisolated let cloud: CloudController
    private var options: Options
    private var rules = ResourceRules()
    private var log: [RecordedRequest] = []
    private var pendingServiceInterference = 0
    /// The address clients reach the server at (discovery reports it).
    public var serverAddress = "127.0.0.1:0"

    public init(options: Options = Options()) async {
        self.options = options
        let store = KubeStore()
        self.store = store
        let cloud = CloudController(store: store, options: options.loadBalancer)
        self.cloud = cloud
        await store.addListener { change in
            guard change.resource == "services" else { return }
            let name = change.object.lookup("metadata.name")?.string ?? ""
            cloud.announce(namespace: change.namespace, name: name)
        }
        for namespace in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            _ = try? await create(
                "namespaces", namespace: "", ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(namespace)]])
        }
    }

    // MARK: Controls for tests and the sandbox

    public func addToken(_ token: String, user: String) { options.tokens[token] = user }
    public func revokeToken(_ token: String) { options.tokens[token] = nil }
    public func setServerAddress(_ address: String) { serverAddress = address }
    public var requests: [RecordedRequest] { log }
    public func clearRequests() { log.removeAll() }

    /// Before each of the next `count` writes to a Service, someone else changes it first, so a write
    /// that carries the resourceVersion it read gets 409 Conflict.
    public func interfereWithNextServiceWrites(_ count: Int) { pendingServiceInterference = count }

    /// Creates an object as a client would (defaults applied, validated).
    @discardableResult
    public func create(_ resource: String, namespace: String, _ object: Value) async throws(APIError) -> Value {
        var object = object
        rules.defaultOnCreate(resource, &object)
        try rules.validate(resource, object, old: nil)
        if let info = ResourceInfo.named(resource) {
            object["kind"] = .string(info.kind)
            object["apiVersion"] = .string(info.groupVersion)
        }
        if !namespace.isEmpty {
            _ = try await store.get("namespaces", "", namespace)
        }
        return try await store.create(resource, namespace, object)
    }

    /// Reads an object (tests check what a command did).
    public func get(_ resource: String, namespace: String, name: String) async throws(APIError) -> Value {
        try await store.get(resource, namespace, name)
    }

    // MARK: HTTP

    public func handle(_ request: SandboxRequest) async -> SandboxResponse {
        let user = authenticate(request)
        log.append(
            RecordedRequest(
                method: request.method, path: request.path, query: request.query, contentType: request.header("content-type"),
                userAgent: request.header("user-agent"), user: user, body: String(decoding: request.body.prefix(64 << 10), as: UTF8.self)))
        guard user != nil else { return .json(401, APIError.unauthorized.status) }
        do {
            return try await route(request)
        } catch {
            return .json(error.code, error.status)
        }
    }

    private func authenticate(_ request: SandboxRequest) -> String? {
        if let authorization = request.header("authorization"), authorization.hasPrefix("Bearer ") {
            return options.tokens[String(authorization.dropFirst("Bearer ".count))]
        }
        return request.clientIdentity?.user
    }

    private func route(_ request: SandboxRequest) async throws(APIError) -> SandboxResponse {
        let parts = request.path.split(separator: "/").map(String.init)
        switch parts {
        case ["version"]:
            return .json(200, versionInfo)
        case ["healthz"], ["readyz"], ["livez"]:
            return SandboxResponse(status: 200, headers: [("Content-Type", "text/plain")], body: Data("ok".utf8))
        case ["api"]:
            return .json(
                200,
                [
                    "kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]],
                ])
        case ["api", "v1"]:
            return .json(200, resourceList("v1"))
        case ["apis"]:
            return .json(200, ["kind": "APIGroupList", "apiVersion": "v1", "groups": [appsGroup]])
        case ["apis", "apps"]:
            return .json(200, appsGroup)
        case ["apis", "apps", "v1"]:
            return .json(200, resourceList("apps/v1"))
        default:
            break
        }
        // /api/v1/… (core) or /apis/apps/v1/… (Deployments).
        let groupVersion: String
        let rest: [String]
        if parts.count >= 3, parts[0] == "api", parts[1] == "v1" {
            (groupVersion, rest) = ("v1", Array(parts.dropFirst(2)))
        } else if parts.count >= 4, parts[0] == "apis", parts[1] == "apps", parts[2] == "v1" {
            (groupVersion, rest) = ("apps/v1", Array(parts.dropFirst(3)))
        } else {
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        // /api/v1/{resource}, /api/v1/namespaces/{name}[/status], /api/v1/namespaces/{ns}/{resource}[/{name}[/{sub}]]
        if rest.count == 1 {
            guard let info = ResourceInfo.named(rest[0], in: groupVersion) else { throw notFoundResource() }
            return try await collection(request, info, namespace: nil)
        }
        if groupVersion == "v1", rest[0] == "namespaces" && (rest.count == 2 || (rest.count == 3 && rest[2] == "status")) {
            let info = ResourceInfo.namespaces
            return try await item(request, info, namespace: "", name: rest[1], subresource: rest.count == 3 ? rest[2] : nil)
        }
        guard rest[0] == "namespaces", rest.count >= 3, let info = ResourceInfo.named(rest[2], in: groupVersion), info.namespaced else {
            throw notFoundResource()
        }
        let namespace = rest[1]
        switch rest.count {
        case 3: return try await collection(request, info, namespace: namespace)
        case 4: return try await item(request, info, namespace: namespace, name: rest[3], subresource: nil)
        case 5:
            guard info.subresources.contains(rest[4]) else { throw notFoundResource() }
            return try await item(request, info, namespace: namespace, name: rest[3], subresource: rest[4])
        default: throw notFoundResource()
        }
    }

    private func notFoundResource() -> APIError {
        APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
    }

    private var versionInfo: Value {
        let parts = options.version.dropFirst().split(separator: ".")
        return [
            "major": .string(parts.first.map(String.init) ?? "1"), "minor": .string(parts.dropFirst().first.map(String.init) ?? "32"),
            "gitVersion": .string(options.version), "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
            "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc", "platform": "linux/amd64",
        ]
    }

    private var appsGroup: Value {
        [
            "kind": "APIGroup", "apiVersion": "v1", "name": "apps", "versions": [["groupVersion": "apps/v1", "version": "v1"]],
            "preferredVersion": ["groupVersion": "apps/v1", "version": "v1"],
        ]
    }

    private func resourceList(_ groupVersion: String) -> Value {
        var resources: [Value] = []
        for info in ResourceInfo.all where info.groupVersion == groupVersion {
            resources.append([
                "name": .string(info.name), "singularName": .string(info.kind.lowercased()), "namespaced": .bool(info.namespaced),
                "kind": .string(info.kind),
                "verbs": info.name == "events"
                    ? ["create", "delete", "get", "list", "patch", "update", "watch"]
                    : ["create", "delete", "get", "list", "patch", "update", "watch"],
                "shortNames": .array(info.shortNames.map { .string($0) }),
            ])
            for sub in info.subresources {
                resources.append([
                    "name": .string("\(info.name)/\(sub)"), "singularName": "", "namespaced": .bool(info.namespaced),
                    "kind": .string(info.kind), "verbs": ["get", "patch", "update"],
                ])
            }
        }
        return ["kind": "APIResourceList", "groupVersion": .string(groupVersion), "resources": .array(resources)]
    }

    private func wantsTable(_ request: SandboxRequest) -> Bool {
        request.header("accept")?.contains("as=Table") ?? false
    }

    // MARK: Collections

    private func collection(_ request: SandboxRequest, _ info: ResourceInfo, namespace: String?) async throws(APIError) -> SandboxResponse {
        switch request.method {
        case "GET":
            let fields = try FieldSelector(request.query["fieldSelector"])
            let labels = try LabelSelector(request.query["labelSelector"])
            if let watch = request.query["watch"], watch == "1" || watch == "true" {
                return await openWatch(request, info, namespace: namespace, fields: fields, labels: labels)
            }
            if let namespace, !namespace.isEmpty, info.name != "namespaces" {
                _ = try await store.get("namespaces", "", namespace)
            }
            let (items, revision) = await store.list(info.name, namespace: namespace, fields: fields, labels: labels)
            if wantsTable(request) {
                return .json(200, Tables.table(info.name, items, resourceVersion: revision, wide: false))
            }
            return .json(
                200,
                [
                    "kind": .string(info.kind + "List"), "apiVersion": .string(info.groupVersion),
                    "metadata": ["resourceVersion": .string(String(revision))], "items": .array(items),
                ])
        case "POST":
            guard let namespace else { throw APIError(code: 405, reason: "MethodNotAllowed", message: "create needs a namespace") }
            var object = try decodeBody(request)
            if info.namespaced {
                if let given = object.lookup("metadata.namespace")?.string, !given.isEmpty, given != namespace {
                    throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
                }
                object.set(["metadata", "namespace"], .string(namespace))
            }
            recordManager(&object, request, operation: "Update")
            return .json(201, try await create(info.name, namespace: namespace, object))
        default:
            throw APIError(
                code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
        }
    }

    // MARK: Items

    private func item(_ request: SandboxRequest, _ info: ResourceInfo, namespace: String, name: String, subresource: String?)
        async throws(APIError) -> SandboxResponse
    {
        switch request.method {
        case "GET":
            let object = try await store.get(info.name, namespace, name)
            if wantsTable(request) {
                return .json(200, Tables.table(info.name, [object], resourceVersion: await store.currentRevision, wide: false))
            }
            return .json(200, object)
        case "PUT":
            let replacement = try decodeBody(request)
            return .json(
                200,
                try await write(request, info, namespace: namespace, name: name, subresource: subresource) { current throws(APIError) in
                    if let replacementName = replacement.lookup("metadata.name")?.string, replacementName != name {
                        throw .badRequest("the name of the object (\(replacementName)) does not match the name on the URL (\(name))")
                    }
                    return replacement
                })
        case "PATCH":
            let patch = try decodeBody(request)
            let contentType = (request.header("content-type") ?? "").split(separator: ";").first.map(String.init) ?? ""
            return .json(
                200,
                try await write(request, info, namespace: namespace, name: name, subresource: subresource) { current throws(APIError) in
                    switch contentType {
                    case "application/merge-patch+json": return Patches.merge(current, patch)
                    case "application/strategic-merge-patch+json": return try Patches.strategic(current, patch)
                    case "application/json-patch+json": return try Patches.json(current, patch)
                    case "application/apply-patch+yaml", "application/apply-patch+cbor":
                        throw APIError(
                            code: 415, reason: "UnsupportedMediaType", message: "server-side apply is not supported by the sandbox")
                    default:
                        throw APIError(
                            code: 415, reason: "UnsupportedMediaType",
                            message:
                                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json"
                        )
                    }
                })
        case "DELETE":
            let deleted = try await store.delete(info.name, namespace, name)
            return .json(200, deleted)
        default:
            throw APIError(
                code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
        }
    }

    /// Applies a change to the main resource or its status subresource, the way the API server separates them.
    private func write(
        _ request: SandboxRequest, _ info: ResourceInfo, namespace: String, name: String, subresource: String?,
        change: (Value) throws(APIError) -> Value
    ) async throws(APIError) -> Value {
        if info.name == "services" && pendingServiceInterference > 0 {
            pendingServiceInterference -= 1
            _ = try await store.update(info.name, namespace, name) { (object: Value) throws(APIError) -> Value in
                var object = object
                let count = Int(object.lookup("metadata.annotations")?["sandbox.agw.example/interference"]?.string ?? "0") ?? 0
                object.set(["metadata", "annotations", "sandbox.agw.example/interference"], .string(String(count + 1)))
                return object
            }
        }
        var attempts = 0
        var old: Value
        var updated: Value
        while true {
            attempts += 1
            old = try await store.get(info.name, namespace, name)
            var result = try change(old)
            if subresource == "status" {
                // Writes to status change only status.
                var merged = old
                merged["status"] = result["status"]
                merged.set(["metadata", "resourceVersion"], result.lookup("metadata.resourceVersion"))
                result = merged
            } else {
                // Writes to the main resource never change status.
                result["status"] = old["status"]
                if info.name == "services" { rules.defaultServiceSpec(&result) }
            }
            result["kind"] = .string(info.kind)
            result["apiVersion"] = .string(info.groupVersion)
            try rules.validate(info.name, result, old: old)
            let basedOn = old.lookup("metadata.resourceVersion")?.string ?? ""
            if let stored = try await store.replace(info.name, namespace, name, basedOn: basedOn, result) {
                updated = stored
                break
            }
            // Changed by someone else between our read and our write: compute again from the new state.
            guard attempts < 5 else { throw .conflict(info.name, name) }
        }
        if updated != old, let manager = fieldManager(request) {
            _ = try? await store.update(info.name, namespace, name) { (object: Value) throws(APIError) -> Value in
                var object = object
                var managed = object.lookup("metadata.managedFields")?.array ?? []
                let operation = "Update"
                if !managed.contains(where: { $0["manager"]?.string == manager && $0["subresource"]?.string == subresource }) {
                    var entry: Value = [
                        "manager": .string(manager), "operation": .string(operation), "apiVersion": "v1",
                        "time": .string(KubeStore.timestamp()), "fieldsType": "FieldsV1",
                    ]
                    if let subresource { entry["subresource"] = .string(subresource) }
                    managed.append(entry)
                    object.set(["metadata", "managedFields"], .array(managed))
                }
                return object
            }
        }
        return try await store.get(info.name, namespace, name)
    }

    /// `fieldManager`, else the User-Agent up to the first '/', as the API server defaults it.
    private func fieldManager(_ request: SandboxRequest) -> String? {
        if let manager = request.query["fieldManager"], !manager.isEmpty { return manager }
        guard let agent = request.header("user-agent"), !agent.isEmpty else { return nil }
        return agent.split(separator: "/").first.map(String.init)
    }

    private func recordManager(_ object: inout Value, _ request: SandboxRequest, operation: String) {
        guard let manager = fieldManager(request) else { return }
        object.set(
            ["metadata", "managedFields"],
            [
                [
                    "manager": .string(manager), "operation": .string(operation), "apiVersion": "v1",
                    "time": .string(KubeStore.timestamp()), "fieldsType": "FieldsV1",
                ]
            ])
    }

    private func decodeBody(_ request: SandboxRequest) throws(APIError) -> Value {
        do {
            return try Value.decode(request.body)
        } catch {
            throw .badRequest("the request body is not valid JSON: \(error)")
        }
    }

    // MARK: Watch

    private func openWatch(
        _ request: SandboxRequest, _ info: ResourceInfo, namespace: String?, fields: FieldSelector, labels: LabelSelector
    )
        async -> SandboxResponse
    {
        let table = wantsTable(request)
        let timeout = Int(request.query["timeoutSeconds"] ?? "") ?? 1800
        let bookmarks = request.query["allowWatchBookmarks"] == "true"
        let interval = options.bookmarkInterval
        let resource = info.name
        let kind = info.kind
        let groupVersion = info.groupVersion
        let (_, events) = await store.watch(
            resource, namespace: namespace, fields: fields, labels: labels,
            from: request.query["resourceVersion"] ?? "")
        let (output, continuation) = AsyncStream<Data>.makeStream()
        let producer = Task {
            for await message in events {
                let event: Value
                switch message {
                case .change(let change):
                    let object =
                        table
                        ? Tables.table(resource, [change.object], resourceVersion: change.resourceVersion, wide: false) : change.object
                    event = ["type": .string(change.kind.rawValue), "object": object]
                case .bookmark(let revision):
                    guard bookmarks else { continue }
                    event = [
                        "type": "BOOKMARK",
                        "object": [
                            "kind": .string(kind), "apiVersion": .string(groupVersion),
                            "metadata": ["resourceVersion": .string(String(revision))],
                        ],
                    ]
                case .expired(let message):
                    event = ["type": "ERROR", "object": APIError.gone(message).status]
                }
                var line = event.encoded()
                line.append(0x0A)
                continuation.yield(line)
            }
            continuation.finish()
        }
        let timer = Task { [store] in
            let deadline = ContinuousClock.now.advanced(by: .seconds(timeout))
            while ContinuousClock.now < deadline {
                let next = min(deadline, ContinuousClock.now.advanced(by: interval))
                try? await Task.sleep(until: next)
                if Task.isCancelled { return }
                if ContinuousClock.now < deadline && bookmarks { await store.sendBookmarks() }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in
            producer.cancel()
            timer.cancel()
        }
        return SandboxResponse(
            status: 200, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-cache, private")],
            stream: output)
    }
}
