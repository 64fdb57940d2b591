import Foundation

/// What a simulated backend probe saw.
public struct ProbeResult: Sendable, Equatable {
    /// Up, Down or Unknown, as backend health reports it.
    public var health: String
    public var log: String

    public init(health: String, log: String) {
        self.health = health
        self.log = log
    }
}

/// Probes a backend address the way the gateway would (the sandbox asks its local cluster).
public typealias BackendProber = @Sendable (_ address: String, _ port: Int, _ host: String?, _ path: String) async -> ProbeResult

/// One ARM request as the sandbox recorded it. Tokens, secrets and assertions are never recorded.
public struct ARMRecord: Sendable, Equatable {
    public let method: String
    public let path: String
    public let query: [String: String]
    public let clientRequestID: String?
    public let ifMatch: String?
    public let userAgent: String?
    public let body: String
    public let status: Int
}

/// A local Azure: the Entra ID token endpoint, managed-identity endpoints, and ARM for Application
/// Gateways (GET, PUT as a long-running operation, lists with paging, backend health), checked the way
/// ARM checks them, with fault injection for tests.
public actor LocalAzure {
    public struct Options: Sendable {
        public var tenantID = "8f3c6a2e-5b1d-4c7a-9e0f-2a6b4d8c1e35"
        public var subscriptions: [(id: String, name: String)] = [("3b8f9d2c-1a4e-4f6b-8c7d-5e9a0b1c2d3f", "agw-sandbox")]
        /// Service principals: client ID → secret.
        public var servicePrincipals: [String: String] = [:]
        /// Workload identities: client ID → the federated token they present.
        public var federatedCredentials: [String: String] = [:]
        /// The App Service style managed-identity header secret; nil turns that endpoint off.
        public var managedIdentityHeader: String? = nil
        /// Whether IMDS answers (a VM with a managed identity).
        public var imdsEnabled = true
        public var tokenLifetime: Duration = .seconds(3600)
        public var operationDuration: Duration = .seconds(3)
        public var retryAfterSeconds = 1
        public var pageSize = 50
        public var location = "westeurope"

        public init() {}
    }

    private var options: Options
    private var tokens: [String: (principal: String, expires: Date)] = [:]
    /// How many tokens Entra ID and the identity endpoints handed out (tests check caching with it).
    public private(set) var tokensIssued = 0
    private var gateways: [String: Value] = [:]
    private struct Operation {
        enum Kind {
            case put(gateway: String, previous: Value?)
            case backendHealth(gateway: String)
            case onDemand(gateway: String, request: Value)
        }
        let kind: Kind
        let completesAt: ContinuousClock.Instant
        var failure: (code: String, message: String)?
        var done = false
        var result: Value?
    }
    private var operations: [String: Operation] = [:]
    private var log: [ARMRecord] = []
    private var pendingFailures: [(status: Int, code: String, retryAfter: Int?)] = []
    private var failNextOperation: (code: String, message: String)?
    private var concurrentChange: (@Sendable (Value) -> Value)?
    private var nextPutFailure: (status: Int, code: String, retryAfter: Int?)?
    private var lateChange: (@Sendable (Value) -> Value)?
    private var prober: BackendProber = { address, port, _, _ in
        ProbeResult(health: "Down", log: "Application Gateway could not connect to the backend \(address):\(port).")
    }
    /// `https://127.0.0.1:port`, set when the server listens; links and operation URLs use it.
    public private(set) var baseURL = "https://127.0.0.1"

    public init(options: Options = Options()) {
        self.options = options
    }

    // MARK: Controls

    public func setBaseURL(_ url: String) { baseURL = url }
    public func setProber(_ prober: @escaping BackendProber) { self.prober = prober }
    public var requests: [ARMRecord] { log }
    public func clearRequests() { log.removeAll() }
    public var tenantID: String { options.tenantID }
    public var subscriptionIDs: [String] { options.subscriptions.map(\.id) }
    public func addServicePrincipal(clientID: String, secret: String) { options.servicePrincipals[clientID] = secret }
    public func addFederatedCredential(clientID: String, token: String) { options.federatedCredentials[clientID] = token }
    public func setOperationDuration(_ duration: Duration) { options.operationDuration = duration }
    public func setPageSize(_ size: Int) { options.pageSize = size }
    public func addSubscription(id: String, name: String) { options.subscriptions.append((id, name)) }

    /// The next `count` ARM requests answer `status` (429 with `Retry-After`, 500, 503, …).
    public func failNextRequests(_ count: Int, status: Int, retryAfter: Int? = nil) {
        let code = status == 429 ? "TooManyRequests" : (status == 503 ? "ServiceUnavailable" : "InternalServerError")
        pendingFailures += Array(repeating: (status, code, retryAfter), count: count)
    }

    /// The next PUT's operation ends `Failed` with this error, and the gateway keeps its previous configuration.
    public func failNextOperation(code: String, message: String) { failNextOperation = (code, message) }

    /// The next PUT answers this error once (429 `RetryableErrorDueToAnotherOperation` is what ARM sends while
    /// another update of the gateway runs).
    public func failNextPut(status: Int, code: String, retryAfter: Int? = nil) { nextPutFailure = (status, code, retryAfter) }

    /// Changes a stored gateway directly, as another tool or the portal would (a new etag follows).
    public func updateGateway(_ id: String, _ change: @Sendable (Value) -> Value) {
        guard let current = gateways[id.lowercased()] else { return }
        var changed = change(current)
        changed["etag"] = .string(Self.newETag())
        gateways[id.lowercased()] = changed
    }

    /// Someone else rewrites the gateway while the next update runs, so it ends differently from what was sent.
    public func changeGatewayAfterNextPut(_ change: @escaping @Sendable (Value) -> Value) { lateChange = change }

    /// Someone else changes the gateway just before the next PUT is processed (between the client's GET and PUT).
    public func changeGatewayBeforeNextPut(_ change: @escaping @Sendable (Value) -> Value) { concurrentChange = change }

    /// Stores a gateway as it would be after a successful PUT.
    public func seed(_ gateway: Value) throws(ARMFailure) {
        guard let id = gateway["id"]?.string else { throw .badRequest("InvalidRequestContent", "a seeded gateway needs an id") }
        try GatewayRules.validate(gateway, id: id)
        let name = id.split(separator: "/").last.map(String.init) ?? ""
        var stored = GatewayRules.normalize(gateway, id: id, name: name, etag: Self.newETag(), state: "Succeeded")
        if stored["location"] == nil { stored["location"] = .string(options.location) }
        gateways[id.lowercased()] = stored
    }

    public func gateway(_ id: String) -> Value? {
        settleOperations()
        return gateways[id.lowercased()]
    }

    /// Deletes a gateway (a test of "the gateway no longer exists").
    public func deleteGateway(_ id: String) { gateways[id.lowercased()] = nil }

    /// Issues a token directly (what a fake `az` hands out).
    public func issueToken(principal: String) -> (token: String, expires: Date) {
        let token = mintToken(principal: principal)
        return (token, tokens[token]?.expires ?? Date())
    }

    public func revokeAllTokens() { tokens.removeAll() }

    /// Every token handed out so far and still known (tests search output for them).
    public var issuedTokens: [String] { Array(tokens.keys) }

    // MARK: Entra ID and managed identity

    public func handleEntra(_ request: SandboxRequest) -> SandboxResponse {
        // /{tenant}/oauth2/v2.0/token
        let parts = request.path.split(separator: "/").map(String.init)
        guard request.method == "POST", parts.count == 4, parts[1] == "oauth2", parts[2] == "v2.0", parts[3] == "token" else {
            return entraError(404, "invalid_request", "AADSTS90002: the requested endpoint was not found.")
        }
        guard parts[0] == options.tenantID else {
            return entraError(400, "invalid_tenant", "AADSTS90002: Tenant '\(parts[0])' not found.")
        }
        let form = Self.parseForm(request.body)
        guard form["grant_type"] == "client_credentials" else {
            return entraError(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
        }
        guard let scope = form["scope"], scope.hasSuffix("/.default") else {
            return entraError(
                400, "invalid_scope",
                "AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier."
            )
        }
        guard let client = form["client_id"], !client.isEmpty else {
            return entraError(400, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'client_id'.")
        }
        if let secret = form["client_secret"] {
            guard options.servicePrincipals[client] == secret else {
                return entraError(
                    401, "invalid_client",
                    "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '\(client)'."
                )
            }
        } else if let assertion = form["client_assertion"] {
            guard form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" else {
                return entraError(400, "invalid_request", "AADSTS50027: client_assertion_type is not jwt-bearer.")
            }
            guard options.federatedCredentials[client] == assertion else {
                return entraError(
                    400, "invalid_client", "AADSTS700213: No matching federated identity record found for presented assertion subject.")
            }
        } else {
            return entraError(
                401, "invalid_client",
                "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
        }
        let token = mintToken(principal: client)
        let lifetime = Int(options.tokenLifetime.components.seconds)
        return .json(
            200, ["token_type": "Bearer", "expires_in": .int(lifetime), "ext_expires_in": .int(lifetime), "access_token": .string(token)])
    }

    private func entraError(_ status: Int, _ code: String, _ description: String) -> SandboxResponse {
        let trace = UUID().uuidString.lowercased()
        return .json(
            status,
            [
                "error": .string(code),
                "error_description": .string(
                    "\(description)\r\nTrace ID: \(trace)\r\nCorrelation ID: \(trace)\r\nTimestamp: \(KubeStore.timestamp())"),
                "error_codes": [.int(Int(description.dropFirst(6).prefix { $0.isNumber }) ?? 0)], "trace_id": .string(trace),
                "correlation_id": .string(trace),
            ])
    }

    /// IMDS (`/metadata/identity/oauth2/token`, `Metadata: true`) and the App Service form (`/msi/token`).
    public func handleManagedIdentity(_ request: SandboxRequest) -> SandboxResponse {
        let resource = request.query["resource"] ?? ""
        switch request.path {
        case "/metadata/identity/oauth2/token":
            guard options.imdsEnabled else { return SandboxResponse(status: 404) }
            guard request.header("metadata") == "true" else {
                return .json(400, ["error": "invalid_request", "error_description": "Required metadata header not specified"])
            }
        case "/msi/token":
            guard let secret = options.managedIdentityHeader, request.header("x-identity-header") == secret else {
                return .json(401, ["error": "invalid_request", "error_description": "X-IDENTITY-HEADER is missing or wrong"])
            }
        default:
            return SandboxResponse(status: 404)
        }
        guard !resource.isEmpty else {
            return .json(400, ["error": "invalid_request", "error_description": "Required query variable 'resource' is missing"])
        }
        let token = mintToken(principal: request.query["client_id"] ?? "system-assigned-identity")
        let lifetime = Int(options.tokenLifetime.components.seconds)
        let expires = Int(Date().timeIntervalSince1970) + lifetime
        // Numbers as strings, as the real endpoints send them.
        return .json(
            200,
            [
                "access_token": .string(token), "expires_in": .string(String(lifetime)), "expires_on": .string(String(expires)),
                "ext_expires_in": .string(String(lifetime)), "not_before": .string(String(expires - lifetime)),
                "resource": .string(resource), "token_type": "Bearer",
            ])
    }

    private func mintToken(principal: String) -> String {
        func segment(_ value: Value) -> String {
            value.encoded().base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        let expires = Date().addingTimeInterval(TimeInterval(options.tokenLifetime.components.seconds))
        let random = (0..<4).map { _ in String(format: "%08x", UInt32.random(in: 0...UInt32.max)) }.joined()
        let token =
            segment(["alg": "none", "typ": "JWT"]) + "."
            + segment([
                "tid": .string(options.tenantID), "oid": .string(principal), "exp": .int(Int(expires.timeIntervalSince1970)),
                "jti": .string(random),
            ])
            + "." + random
        tokens[token] = (principal, expires)
        tokensIssued += 1
        return token
    }

    static func parseForm(_ body: Data) -> [String: String] {
        var form: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            if let key = parts.first { form[key] = parts.count > 1 ? parts[1] : "" }
        }
        return form
    }

    static func newETag() -> String { "W/\"\(UUID().uuidString.lowercased())\"" }

    // MARK: ARM

    public func handleARM(_ request: SandboxRequest) async -> SandboxResponse {
        let response: SandboxResponse
        do {
            response = try await routeARM(request)
        } catch {
            var headers = error.headers
            headers.append(("x-ms-request-id", UUID().uuidString.lowercased()))
            response = .json(error.status, error.body, headers: headers)
        }
        log.append(
            ARMRecord(
                method: request.method, path: request.path, query: request.query, clientRequestID: request.header("x-ms-client-request-id"),
                ifMatch: request.header("if-match"), userAgent: request.header("user-agent"),
                body: String(decoding: request.body.prefix(1 << 20), as: UTF8.self), status: response.status))
        return response
    }

    private func routeARM(_ request: SandboxRequest) async throws(ARMFailure) -> SandboxResponse {
        guard let authorization = request.header("authorization"), authorization.hasPrefix("Bearer ") else {
            throw ARMFailure(
                status: 401, code: "AuthenticationFailed", message: "Authentication failed. The 'Authorization' header is missing.",
                headers: [("WWW-Authenticate", "Bearer authorization_uri=\"\(baseURL)/\(options.tenantID)\", error=\"invalid_token\"")])
        }
        let token = String(authorization.dropFirst("Bearer ".count))
        guard let issued = tokens[token], issued.expires > Date() else {
            throw ARMFailure(
                status: 401, code: "InvalidAuthenticationToken", message: "The access token is invalid.",
                headers: [("WWW-Authenticate", "Bearer error=\"invalid_token\", error_description=\"The access token is invalid.\"")])
        }
        guard let apiVersion = request.query["api-version"], !apiVersion.isEmpty else {
            throw .badRequest("MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
        }
        if !pendingFailures.isEmpty {
            let failure = pendingFailures.removeFirst()
            var headers: [(String, String)] = []
            if let retryAfter = failure.retryAfter { headers.append(("Retry-After", String(retryAfter))) }
            throw ARMFailure(
                status: failure.status, code: failure.code, message: "Injected failure \(failure.status) from the sandbox.",
                headers: headers)
        }
        settleOperations()
        let parts = request.path.split(separator: "/").map(String.init)
        let lower = parts.map { $0.lowercased() }
        // /subscriptions
        if lower == ["subscriptions"] {
            return .json(200, ["value": .array(options.subscriptions.map(subscriptionJSON))])
        }
        guard lower.count >= 2, lower[0] == "subscriptions" else { throw notFound(request.path) }
        guard let subscription = options.subscriptions.first(where: { $0.id.lowercased() == lower[1] }) else {
            throw ARMFailure(status: 404, code: "SubscriptionNotFound", message: "The subscription '\(parts[1])' could not be found.")
        }
        if lower.count == 2 { return .json(200, subscriptionJSON(subscription)) }
        // /subscriptions/{s}/providers/Microsoft.Network/applicationGateways
        if lower.count == 5, lower[2] == "providers", lower[3] == "microsoft.network", lower[4] == "applicationgateways" {
            return try page(request, gateways.filter { $0.key.hasPrefix("/subscriptions/\(lower[1])/") }.map(\.value))
        }
        // /subscriptions/{s}/providers/Microsoft.Network/locations/{l}/operations|operationResults/{id}
        if lower.count == 8, lower[2] == "providers", lower[3] == "microsoft.network", lower[4] == "locations" {
            return try await operationStatus(id: parts[7], results: lower[6] == "operationresults")
        }
        // /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Network/applicationGateways[/{name}[/{action}]]
        guard lower.count >= 7, lower[2] == "resourcegroups", lower[4] == "providers", lower[5] == "microsoft.network",
            lower[6] == "applicationgateways"
        else { throw notFound(request.path) }
        let groupPrefix = "/subscriptions/\(lower[1])/resourcegroups/\(lower[3])/"
        if lower.count == 7 {
            return try page(request, gateways.filter { $0.key.hasPrefix(groupPrefix) }.map(\.value))
        }
        let id = "/subscriptions/\(parts[1])/resourceGroups/\(parts[3])/providers/Microsoft.Network/applicationGateways/\(parts[7])"
        let key = id.lowercased()
        if lower.count == 8 {
            switch request.method {
            case "GET":
                guard let gateway = gateways[key] else { throw gatewayNotFound(parts[7], group: parts[3]) }
                return .json(200, gateway, headers: [("ETag", gateway["etag"]?.string ?? "")])
            case "PUT": return try put(request, id: id, name: parts[7], apiVersion: apiVersion)
            default: throw ARMFailure(status: 405, code: "MethodNotAllowed", message: "The method \(request.method) is not allowed.")
            }
        }
        guard lower.count == 9, request.method == "POST", gateways[key] != nil else {
            if gateways[key] == nil { throw gatewayNotFound(parts[7], group: parts[3]) }
            throw notFound(request.path)
        }
        switch lower[8] {
        case "backendhealth": return startOperation(.backendHealth(gateway: key), apiVersion: apiVersion)
        case "getbackendhealthondemand":
            let body = (try? Value.decode(request.body)) ?? .null
            guard body.lookup("backendAddressPool.id")?.string != nil, body.lookup("backendHttpSettings.id")?.string != nil else {
                throw .badRequest(
                    "InvalidRequestContent", "getBackendHealthOnDemand needs backendAddressPool.id and backendHttpSettings.id.")
            }
            return startOperation(.onDemand(gateway: key, request: body), apiVersion: apiVersion)
        default: throw notFound(request.path)
        }
    }

    private func subscriptionJSON(_ subscription: (id: String, name: String)) -> Value {
        [
            "id": .string("/subscriptions/\(subscription.id)"), "subscriptionId": .string(subscription.id),
            "displayName": .string(subscription.name),
            "state": "Enabled", "tenantId": .string(options.tenantID),
        ]
    }

    private func notFound(_ path: String) -> ARMFailure {
        ARMFailure(status: 404, code: "NotFound", message: "The requested path \(path) was not found.")
    }

    private func gatewayNotFound(_ name: String, group: String) -> ARMFailure {
        ARMFailure(
            status: 404, code: "ResourceNotFound",
            message:
                "The Resource 'Microsoft.Network/applicationGateways/\(name)' under resource group '\(group)' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
        )
    }

    /// A list answer, `pageSize` at a time, with an absolute `nextLink` carrying `$skipToken`.
    private func page(_ request: SandboxRequest, _ items: [Value]) throws(ARMFailure) -> SandboxResponse {
        let sorted = items.sorted { ($0["id"]?.string ?? "").lowercased() < ($1["id"]?.string ?? "").lowercased() }
        let start = Int(request.query["$skipToken"] ?? request.query["$skiptoken"] ?? "0") ?? 0
        let end = min(sorted.count, start + options.pageSize)
        var body: Value = ["value": .array(start < end ? Array(sorted[start..<end]) : [])]
        if end < sorted.count {
            let apiVersion = request.query["api-version"] ?? ""
            body["nextLink"] = .string("\(baseURL)\(request.path)?api-version=\(apiVersion)&$skipToken=\(end)")
        }
        return .json(200, body)
    }

    private func put(_ request: SandboxRequest, id: String, name: String, apiVersion: String) throws(ARMFailure) -> SandboxResponse {
        let key = id.lowercased()
        if let failure = nextPutFailure {
            nextPutFailure = nil
            throw ARMFailure(
                status: failure.status, code: failure.code,
                message: "Operation PutApplicationGatewayOperation on \(id) was refused by the sandbox (\(failure.code)).",
                headers: failure.retryAfter.map { [("Retry-After", String($0))] } ?? [])
        }
        if let change = concurrentChange, let current = gateways[key] {
            concurrentChange = nil
            var changed = change(current)
            changed["etag"] = .string(Self.newETag())
            gateways[key] = changed
        }
        if operations.values.contains(where: {
            !$0.done && { if case .put(let gateway, _) = $0.kind { return gateway == key } else { return false } }($0)
        }) {
            throw ARMFailure(
                status: 429, code: "RetryableErrorDueToAnotherOperation",
                message:
                    "Operation PutApplicationGatewayOperation on resource \(id) cannot be performed while another operation is in progress. Retry after some time.",
                headers: [("Retry-After", String(options.retryAfterSeconds))])
        }
        let existing = gateways[key]
        if let ifMatch = request.header("if-match") {
            guard let existing, ifMatch == "*" || ifMatch == existing["etag"]?.string else {
                throw ARMFailure(
                    status: 412, code: "PreconditionFailed", message: "The condition specified using HTTP conditional header(s) is not met."
                )
            }
        }
        let body: Value
        do {
            body = try Value.decode(request.body)
        } catch {
            throw .badRequest("InvalidRequestContent", "The request content was invalid and could not be deserialized: \(error)")
        }
        if let bodyID = body["id"]?.string, bodyID.lowercased() != key {
            throw .badRequest("InvalidRequestContent", "The id \(bodyID) in the body does not match the request URL.")
        }
        try GatewayRules.validate(body, id: id)
        var stored = GatewayRules.normalize(body, id: id, name: name, etag: Self.newETag(), state: "Updating")
        if stored["location"] == nil { stored["location"] = existing?["location"] ?? .string(options.location) }
        gateways[key] = stored
        let response = startOperation(.put(gateway: key, previous: existing), apiVersion: apiVersion, failure: failNextOperation)
        failNextOperation = nil
        return SandboxResponse(
            status: existing == nil ? 201 : 200, headers: [("Content-Type", "application/json")] + response.headers,
            body: stored.encoded())
    }

    private func startOperation(_ kind: Operation.Kind, apiVersion: String, failure: (code: String, message: String)? = nil)
        -> SandboxResponse
    {
        let id = UUID().uuidString.lowercased()
        operations[id] = Operation(kind: kind, completesAt: ContinuousClock.now.advanced(by: options.operationDuration), failure: failure)
        let subscription = options.subscriptions.first?.id ?? ""
        let base = "\(baseURL)/subscriptions/\(subscription)/providers/Microsoft.Network/locations/\(options.location)"
        var headers = [("Retry-After", String(options.retryAfterSeconds)), ("x-ms-request-id", id)]
        // Updates are followed through Azure-AsyncOperation, actions through Location (as the Network RP does).
        switch kind {
        case .put: headers.append(("Azure-AsyncOperation", "\(base)/operations/\(id)?api-version=\(apiVersion)"))
        case .backendHealth, .onDemand: headers.append(("Location", "\(base)/operationResults/\(id)?api-version=\(apiVersion)"))
        }
        return SandboxResponse(status: 202, headers: headers)
    }

    /// Finishes operations whose time has come.
    private func settleOperations() {
        let now = ContinuousClock.now
        for (id, operation) in operations where !operation.done && operation.completesAt <= now {
            var finished = operation
            finished.done = true
            if case .put(let key, let previous) = operation.kind, var gateway = gateways[key] {
                if operation.failure != nil {
                    // A failed update leaves the previous configuration in place, marked Failed.
                    if var restored = previous {
                        restored.set(["properties", "provisioningState"], "Failed")
                        gateways[key] = restored
                    } else {
                        gateways[key] = nil
                    }
                } else {
                    gateway = GatewayRules.normalize(
                        gateway, id: gateway["id"]?.string ?? "", name: gateway["name"]?.string ?? "",
                        etag: gateway["etag"]?.string ?? Self.newETag(), state: "Succeeded")
                    if let change = lateChange {
                        lateChange = nil
                        gateway = change(gateway)
                        gateway["etag"] = .string(Self.newETag())
                    }
                    gateways[key] = gateway
                }
            }
            operations[id] = finished
        }
    }

    private func operationStatus(id: String, results: Bool) async throws(ARMFailure) -> SandboxResponse {
        guard var operation = operations[id] else {
            throw ARMFailure(status: 404, code: "OperationNotFound", message: "Operation \(id) was not found.")
        }
        let retry = [("Retry-After", String(options.retryAfterSeconds))]
        if !results {
            guard operation.done else { return .json(200, ["status": "InProgress"], headers: retry) }
            if let failure = operation.failure {
                return .json(200, ["status": "Failed", "error": ["code": .string(failure.code), "message": .string(failure.message)]])
            }
            return .json(200, ["status": "Succeeded"])
        }
        guard operation.done else {
            return SandboxResponse(
                status: 202,
                headers: retry + [
                    (
                        "Location",
                        "\(baseURL)/subscriptions/\(options.subscriptions.first?.id ?? "")/providers/Microsoft.Network/locations/\(options.location)/operationResults/\(id)?api-version=2026-03-01"
                    )
                ])
        }
        if let result = operation.result { return .json(200, result) }
        let result: Value
        switch operation.kind {
        case .backendHealth(let key): result = await backendHealth(gateway: gateways[key] ?? .null)
        case .onDemand(let key, let request): result = await onDemandHealth(gateway: gateways[key] ?? .null, request: request)
        case .put(let key, _): result = gateways[key] ?? .null
        }
        operation.result = result
        operations[id] = operation
        return .json(200, result)
    }

    // MARK: Backend health

    private func backendHealth(gateway: Value) async -> Value {
        let properties = gateway["properties"]?.object ?? [:]
        let rules = properties["requestRoutingRules"]?.array ?? []
        let settingsList = properties["backendHttpSettingsCollection"]?.array ?? []
        var pools: [Value] = []
        for pool in properties["backendAddressPools"]?.array ?? [] {
            let poolID = pool["id"]?.string ?? ""
            // The settings used with this pool by some rule (or path rule).
            var settingsIDs = Set(
                rules.filter { $0.lookup("properties.backendAddressPool.id")?.string?.lowercased() == poolID.lowercased() }
                    .compactMap { $0.lookup("properties.backendHttpSettings.id")?.string?.lowercased() })
            for map in properties["urlPathMaps"]?.array ?? [] {
                for rule in map.lookup("properties.pathRules")?.array ?? []
                where rule.lookup("properties.backendAddressPool.id")?.string?.lowercased() == poolID.lowercased() {
                    if let settings = rule.lookup("properties.backendHttpSettings.id")?.string?.lowercased() {
                        settingsIDs.insert(settings)
                    }
                }
            }
            var collections: [Value] = []
            for settings in settingsList where settingsIDs.contains((settings["id"]?.string ?? "").lowercased()) {
                let servers = await probeServers(pool: pool, settings: settings, gateway: gateway, override: nil)
                collections.append(["backendHttpSettings": ["id": settings["id"] ?? .null], "servers": .array(servers)])
            }
            pools.append(["backendAddressPool": ["id": .string(poolID)], "backendHttpSettingsCollection": .array(collections)])
        }
        return ["backendAddressPools": .array(pools)]
    }

    private func onDemandHealth(gateway: Value, request: Value) async -> Value {
        let properties = gateway["properties"]?.object ?? [:]
        let poolID = request.lookup("backendAddressPool.id")?.string?.lowercased() ?? ""
        let settingsID = request.lookup("backendHttpSettings.id")?.string?.lowercased() ?? ""
        let pool = (properties["backendAddressPools"]?.array ?? []).first { ($0["id"]?.string ?? "").lowercased() == poolID } ?? .null
        let settings =
            (properties["backendHttpSettingsCollection"]?.array ?? []).first { ($0["id"]?.string ?? "").lowercased() == settingsID }
            ?? .null
        let servers = await probeServers(pool: pool, settings: settings, gateway: gateway, override: request)
        return [
            "backendAddressPool": ["id": request.lookup("backendAddressPool.id") ?? .null],
            "backendHealthHttpSettings": [
                "backendHttpSettings": ["id": request.lookup("backendHttpSettings.id") ?? .null], "servers": .array(servers),
            ],
        ]
    }

    /// Probes each address of a pool with the settings' custom probe (or the default probe: `/` on 127.0.0.1).
    private func probeServers(pool: Value, settings: Value, gateway: Value, override: Value?) async -> [Value] {
        let port = settings.lookup("properties.port")?.int ?? 80
        var path = "/"
        var host: String? = "127.0.0.1"
        if let probeID = settings.lookup("properties.probe.id")?.string?.lowercased(),
            let probe = (gateway.lookup("properties.probes")?.array ?? []).first(where: { ($0["id"]?.string ?? "").lowercased() == probeID }
            )
        {
            path = probe.lookup("properties.path")?.string ?? "/"
            host = probe.lookup("properties.host")?.string ?? settings.lookup("properties.hostName")?.string
        }
        if let override {
            path = override["path"]?.string ?? path
            host = override["host"]?.string ?? host
        }
        var servers: [Value] = []
        for address in pool.lookup("properties.backendAddresses")?.array ?? [] {
            let target = address["ipAddress"]?.string ?? address["fqdn"]?.string ?? ""
            let result = await prober(target, port, host, path)
            servers.append(["address": .string(target), "health": .string(result.health), "healthProbeLog": .string(result.log)])
        }
        return servers
    }
}
