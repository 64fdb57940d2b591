import Foundation

/// One ARM response: status, headers and the decoded body, with the resource's etag.
public struct ARMResponse: Sendable, Equatable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: JSON?

    public init(status: Int, headers: HTTPHeaders, body: JSON?) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The `ETag` header, else the body's `etag`.
    public var etag: String? { headers["ETag"] ?? body?["etag"]?.stringValue }
}

/// The ARM calls kubectl-agw makes; tests replace it with closures.
public protocol ResourceManager: Sendable {
    func get(_ path: String, operation: ARMOperation) async throws -> ARMResponse
    /// Every item of a list, following `nextLink`.
    func list(_ path: String, operation: ARMOperation) async throws -> [JSON]
    /// A PUT that is never replayed on throttling or conflicts: the caller re-reads and re-plans instead.
    func put(_ path: String, body: JSON, ifMatch: String?, operation: ARMOperation) async throws -> ARMResponse
    func post(_ path: String, body: JSON?, operation: ARMOperation) async throws -> ARMResponse
    /// Follows a long-running operation started by `initial` to its end and returns the final resource (or result).
    func waitForCompletion(
        method: String, path: String, initial: ARMResponse, operation: ARMOperation, timeout: Duration,
        progress: @escaping @Sendable (String) async -> Void
    ) async throws -> ARMResponse
}

/// One logical operation: its `x-ms-client-request-id` travels on every retry, poll and final GET.
public struct ARMOperation: Sendable, Equatable {
    public let clientRequestID: String
    public init(clientRequestID: String = UUID().uuidString.lowercased()) { self.clientRequestID = clientRequestID }
}

/// Retry rules for ARM requests (azure-core's, bounded).
public struct RetryPolicy: Sendable, Equatable {
    public var maxRetries = 3
    public var baseDelay: Duration = .milliseconds(800)
    public var maxDelay: Duration = .seconds(60)
    public static let retriableStatuses: Set<Int> = [408, 429, 500, 502, 503, 504]

    public init() {}

    /// Exponential with jitter: base · (2^attempt − 1) · [0.8, 1.2], capped.
    func backoff(attempt: Int) -> Duration {
        let factor = Double((1 << attempt) - 1) * Double.random(in: 0.8...1.2)
        let seconds = min(
            Double(maxDelay.components.seconds),
            Double(baseDelay.components.attoseconds) / 1e18 * factor
                + Double(baseDelay.components.seconds) * factor)
        return .milliseconds(Int(seconds * 1000))
    }

    /// `retry-after-ms`, `x-ms-retry-after-ms`, then `Retry-After` (seconds or an HTTP date).
    public static func retryAfter(_ headers: HTTPHeaders, now: Date = Date()) -> Duration? {
        for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
            if let value = headers[name], let milliseconds = Double(value) { return .milliseconds(Int(milliseconds)) }
        }
        guard let value = headers["Retry-After"] else { return nil }
        if let seconds = Double(value.trimmingCharacters(in: .whitespaces)) { return .milliseconds(Int(seconds * 1000)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(max(0, Int(date.timeIntervalSince(now) * 1000)))
    }
}

/// Caches ARM tokens in memory, refreshing five minutes before they expire.
actor TokenCache {
    private let credential: any TokenCredential
    private let cloud: AzureCloud
    private let now: @Sendable () -> Date
    private var cached: AccessToken?
    private var inFlight: Task<AccessToken, any Error>?

    init(credential: any TokenCredential, cloud: AzureCloud, now: @escaping @Sendable () -> Date) {
        self.credential = credential
        self.cloud = cloud
        self.now = now
    }

    func token() async throws -> AccessToken {
        if let cached, cached.expiresOn.timeIntervalSince(now()) > 300 { return cached }
        if let inFlight { return try await inFlight.value }
        let (credential, cloud) = (self.credential, self.cloud)
        let task = Task { () throws -> AccessToken in
            do {
                return try await credential.token(for: cloud, inChain: false)
            } catch {
                throw ARMError.credential("\(error)")
            }
        }
        inFlight = task
        defer { inFlight = nil }
        let token = try await task.value
        cached = token
        return token
    }

    /// After a 401: drop the token that was refused.
    func invalidate(_ refused: AccessToken) {
        if cached == refused { cached = nil }
    }
}

/// The ARM client: bearer tokens over https only, one client request ID per logical operation, retries
/// with `Retry-After`, long-running operations, paging, and etags.
public struct ARMClient: ResourceManager {
    public static let defaultAPIVersion = "2026-03-01"
    public static var userAgent: String {
        "kubectl-agw/\(Version.current) (\(UserAgent.platform.replacingOccurrences(of: "/", with: "; ")))"
    }

    public let cloud: AzureCloud
    public let apiVersion: String
    let transport: any HTTPTransport
    let tokens: TokenCache
    let retry: RetryPolicy
    let tls: TLSOptions
    /// Sleeps between retries and polls; tests shorten it.
    let sleep: @Sendable (Duration) async throws -> Void

    public init(
        cloud: AzureCloud, credential: any TokenCredential, apiVersion: String = ARMClient.defaultAPIVersion,
        transport: any HTTPTransport = CurlTransport(), caFile: String? = nil, retry: RetryPolicy = RetryPolicy(),
        now: @escaping @Sendable () -> Date = Date.init,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) throws(ARMError) {
        guard cloud.resourceManager.scheme?.lowercased() == "https" else {
            throw .configuration(AzureConfigError.insecureEndpoint(cloud.resourceManager.absoluteString).description)
        }
        self.cloud = cloud
        self.apiVersion = apiVersion
        self.transport = transport
        self.tokens = TokenCache(credential: credential, cloud: cloud, now: now)
        self.retry = retry
        self.tls = TLSOptions(caFile: caFile)
        self.sleep = sleep
    }

    /// A path (`/subscriptions/…`) on this cloud with the api-version, or an absolute URL (nextLink, poll URLs) as given.
    func url(_ pathOrURL: String) throws(ARMError) -> URL {
        if pathOrURL.hasPrefix("https://") || pathOrURL.hasPrefix("http://") {
            guard let url = URL(string: pathOrURL) else { throw .invalidResponse("bad URL \(pathOrURL)") }
            guard url.scheme?.lowercased() == "https" else {
                throw .configuration(AzureConfigError.insecureEndpoint(pathOrURL).description)
            }
            return url
        }
        let base =
            cloud.resourceManager.absoluteString.hasSuffix("/")
            ? String(cloud.resourceManager.absoluteString.dropLast()) : cloud.resourceManager.absoluteString
        let separator = pathOrURL.contains("?") ? "&" : "?"
        guard let url = URL(string: base + pathOrURL + separator + "api-version=" + apiVersion) else {
            throw .configuration("cannot build an ARM URL for \(pathOrURL)")
        }
        return url
    }

    /// Sends one request with retries (when `replaySafe`) and one token refresh on 401; returns any non-error response.
    func send(_ method: String, _ url: URL, body: JSON?, headers extra: HTTPHeaders = [:], operation: ARMOperation, replaySafe: Bool)
        async throws -> ARMResponse
    {
        var attempt = 0
        var refreshedToken = false
        while true {
            let token = try await tokens.token()
            var headers: HTTPHeaders = [
                "Authorization": "Bearer " + token.token, "Accept": "application/json", "User-Agent": Self.userAgent,
                "x-ms-client-request-id": operation.clientRequestID, "x-ms-return-client-request-id": "true",
            ]
            if body != nil { headers["Content-Type"] = "application/json" }
            for field in extra { headers[field.name] = field.value }
            let request = HTTPRequest(method: method, url: url, headers: headers, body: body?.data, tls: tls, timeout: .seconds(120))
            let response: HTTPResponse
            do {
                response = try await transport.send(request)
            } catch let error as HTTPTransportError {
                if error.kind == .cancelled { throw CancellationError() }
                if replaySafe && attempt < retry.maxRetries {
                    attempt += 1
                    try await sleep(retry.backoff(attempt: attempt))
                    continue
                }
                throw ARMError.transport(error.message)
            }
            if response.status == 401 && !refreshedToken {
                refreshedToken = true
                await tokens.invalidate(token)
                continue
            }
            if (200..<300).contains(response.status) {
                return ARMResponse(
                    status: response.status, headers: response.headers, body: response.body.isEmpty ? nil : try? JSON.parse(response.body))
            }
            if response.status == 412 {
                throw ARMError.preconditionFailed(resource: Self.describe(url), clientRequestID: operation.clientRequestID)
            }
            if replaySafe && RetryPolicy.retriableStatuses.contains(response.status) && attempt < retry.maxRetries {
                attempt += 1
                let delay = RetryPolicy.retryAfter(response.headers) ?? retry.backoff(attempt: attempt)
                // A server asking for longer than we are willing to wait: report instead of hanging.
                if delay <= retry.maxDelay {
                    try await sleep(delay)
                    continue
                }
            }
            throw ARMError.fromResponse(response, clientRequestID: operation.clientRequestID)
        }
    }

    static func describe(_ url: URL) -> String {
        let path = url.path
        return (try? ResourceID(parsing: path)).map { "\($0.segments.last?.type ?? "resource") '\($0.name)'" } ?? path
    }

    // MARK: ResourceManager

    public func get(_ path: String, operation: ARMOperation) async throws -> ARMResponse {
        try await send("GET", try url(path), body: nil, operation: operation, replaySafe: true)
    }

    public func list(_ path: String, operation: ARMOperation) async throws -> [JSON] {
        var items: [JSON] = []
        var next: URL? = try url(path)
        var pages = 0
        while let current = next {
            pages += 1
            guard pages <= 1000 else { throw ARMError.invalidResponse("more than 1000 pages of results from \(path)") }
            let page = try await send("GET", current, body: nil, operation: operation, replaySafe: true)
            items += page.body?["value"]?.arrayValue ?? []
            // Pages may be empty and still carry a nextLink; only its absence ends the list.
            next = try page.body?["nextLink"]?.stringValue.flatMap { $0.isEmpty ? nil : try url($0) }
        }
        return items
    }

    public func put(_ path: String, body: JSON, ifMatch: String?, operation: ARMOperation) async throws -> ARMResponse {
        var headers = HTTPHeaders()
        if let ifMatch { headers["If-Match"] = ifMatch }
        return try await send("PUT", try url(path), body: body, headers: headers, operation: operation, replaySafe: false)
    }

    public func post(_ path: String, body: JSON?, operation: ARMOperation) async throws -> ARMResponse {
        // backendhealth and getBackendHealthOnDemand only read, so a retry cannot undo anything.
        try await send("POST", try url(path), body: body ?? [:], operation: operation, replaySafe: true)
    }

    public func waitForCompletion(
        method: String, path: String, initial: ARMResponse, operation: ARMOperation, timeout: Duration,
        progress: @escaping @Sendable (String) async -> Void
    ) async throws -> ARMResponse {
        let resourceURL = try url(path)
        var state = LROState.start(
            method: method, status: initial.status, headers: initial.headers, body: initial.body, resourceURL: resourceURL)
        var delay = RetryPolicy.retryAfter(initial.headers) ?? .seconds(5)
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var lastPoll: ARMResponse = initial
        while case .polling(let pollURL, _) = state {
            guard ContinuousClock.now < deadline else {
                throw ARMError.timedOut(
                    "the operation did not finish within \(timeout.components.seconds)s; it may still complete — check with 'kubectl agw status'"
                )
            }
            try await sleep(min(delay, .seconds(60)))
            let poll = try await send("GET", try url(pollURL.absoluteString), body: nil, operation: operation, replaySafe: true)
            lastPoll = poll
            state = state.next(status: poll.status, headers: poll.headers, body: poll.body, method: method, resourceURL: resourceURL)
            delay = RetryPolicy.retryAfter(poll.headers) ?? .seconds(5)
            await progress(
                poll.body?["status"]?.stringValue ?? poll.body?.value(at: "properties", "provisioningState")?.stringValue ?? "InProgress")
        }
        switch state {
        case .failed(let status, let code, let message):
            throw ARMError.operationFailed(status: status, code: code, message: message, clientRequestID: operation.clientRequestID)
        case .succeeded(let finalURL?):
            // PUT/PATCH end with a GET of the resource itself: the operation status is not the resource.
            return try await send("GET", try url(finalURL.absoluteString), body: nil, operation: operation, replaySafe: true)
        case .succeeded(nil), .polling:
            return lastPoll
        }
    }
}
