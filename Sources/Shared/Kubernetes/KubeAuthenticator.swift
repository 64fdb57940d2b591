import Foundation

/// The credential material for one request: a header and/or a client certificate.
public struct AppliedCredentials: Sendable, Equatable {
    public var authorization: String?
    public var clientCertificatePEM: Data?
    public var clientKeyPEM: Data?
    /// Whether a 401 should make the plugin run again (only exec credentials can be refreshed).
    public var refreshable: Bool

    public init(authorization: String? = nil, clientCertificatePEM: Data? = nil, clientKeyPEM: Data? = nil, refreshable: Bool = false) {
        self.authorization = authorization
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.refreshable = refreshable
    }
}

/// Produces credentials for requests; runs an exec plugin at most once at a time and caches its result
/// in memory until `expirationTimestamp` (client-go keeps no disk cache either).
public actor KubeAuthenticator {
    private let credentials: KubeCredentials
    private let clusterInfo: JSON
    private let runner: ExecPluginRunner
    private let now: @Sendable () -> Date
    private var cached: ExecCredential?
    private var inFlight: Task<ExecCredential, any Error>?
    /// How many times the plugin ran; tests read it to prove caching.
    public private(set) var pluginRuns = 0

    public init(config: RESTConfig, runner: ExecPluginRunner = ExecPluginRunner(), now: @escaping @Sendable () -> Date = Date.init) {
        self.credentials = config.credentials
        self.clusterInfo = config.execClusterInfo
        self.runner = runner
        self.now = now
    }

    public func current() async throws -> AppliedCredentials {
        switch credentials {
        case .none:
            return AppliedCredentials()
        case .bearer(let token):
            return AppliedCredentials(authorization: "Bearer " + token)
        case .bearerFile(let path):
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw KubernetesError.configuration("cannot read the token file \(path); check users[].user.tokenFile in your kubeconfig")
            }
            return AppliedCredentials(authorization: "Bearer " + text.trimmingCharacters(in: .whitespacesAndNewlines))
        case .basic(let username, let password):
            return AppliedCredentials(authorization: "Basic " + Data("\(username):\(password)".utf8).base64EncodedString())
        case .exec(let config):
            let credential = try await execCredential(config)
            return AppliedCredentials(
                authorization: credential.token.map { "Bearer " + $0 }, clientCertificatePEM: credential.clientCertificatePEM,
                clientKeyPEM: credential.clientKeyPEM, refreshable: true)
        }
    }

    /// After a 401: forget the cached credential if it is the one that was refused, so the next call re-runs the plugin.
    public func invalidate(_ refused: AppliedCredentials) {
        guard refused.refreshable, let cached else { return }
        let cachedAuthorization = cached.token.map { "Bearer " + $0 }
        if cachedAuthorization == refused.authorization && cached.clientCertificatePEM == refused.clientCertificatePEM {
            self.cached = nil
        }
    }

    private func execCredential(_ config: ExecConfig) async throws -> ExecCredential {
        if let cached, cached.expiration.map({ $0 > now() }) ?? true { return cached }
        if let inFlight { return try await inFlight.value }
        let runner = self.runner
        let clusterInfo = self.clusterInfo
        let task = Task { () throws -> ExecCredential in
            do {
                return try await runner.run(config, clusterInfo: clusterInfo)
            } catch let error as ExecPluginError {
                throw KubernetesError.credentials(error)
            }
        }
        inFlight = task
        pluginRuns += 1
        defer { inFlight = nil }
        let credential = try await task.value
        cached = credential
        return credential
    }
}
