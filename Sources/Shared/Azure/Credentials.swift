import Foundation

/// An ARM access token. Its description never shows the token.
public struct AccessToken: Sendable, Equatable, CustomStringConvertible {
    public let token: String
    public let expiresOn: Date

    public init(token: String, expiresOn: Date) {
        self.token = token
        self.expiresOn = expiresOn
    }

    public var description: String { "AccessToken(expires \(RFC3339.format(expiresOn)))" }
}

/// How one credential in the chain fared.
public enum CredentialError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Not configured here; the chain moves on.
    case unavailable(String)
    /// Configured but failed; the chain stops.
    case failed(String)

    public var description: String {
        switch self {
        case .unavailable(let message), .failed(let message): return message
        }
    }
}

/// Every attempt the chain made, for the one error line the user sees.
public struct CredentialChainError: Error, Equatable, CustomStringConvertible, Sendable {
    public let attempts: [(name: String, error: CredentialError)]

    public static func == (lhs: CredentialChainError, rhs: CredentialChainError) -> Bool {
        lhs.attempts.map(\.name) == rhs.attempts.map(\.name) && lhs.attempts.map(\.error) == rhs.attempts.map(\.error)
    }

    public var description: String {
        let failed = attempts.last.map { if case .failed = $0.error { return true } else { return false } } ?? false
        let head = failed ? "Azure authentication failed" : "no Azure credential is available"
        let tried = attempts.map { "\($0.name): \($0.error)" }.joined(separator: "; ")
        let advice = failed ? "" : " (run 'az login', or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET)"
        return "\(head)\(advice). Tried \(tried)"
    }
}

/// A source of ARM tokens.
public protocol TokenCredential: Sendable {
    /// The name in the chain's messages (`EnvironmentCredential`, …).
    var name: String { get }
    /// A token for `cloud`'s ARM audience. `inChain` asks for a short availability probe where one exists.
    func token(for cloud: AzureCloud, inChain: Bool) async throws(CredentialError) -> AccessToken
}

/// What every credential needs from the outside world; tests inject each part.
public struct CredentialContext: Sendable {
    public var environment: [String: String]
    public var transport: any HTTPTransport
    /// Extra CA bundle (PEM file) for Entra ID and managed identity endpoints (`SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE`).
    public var caFile: String?
    public var now: @Sendable () -> Date

    public init(
        environment: [String: String], transport: any HTTPTransport = CurlTransport(), now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.environment = environment
        self.transport = transport
        self.caFile = [environment["REQUESTS_CA_BUNDLE"], environment["SSL_CERT_FILE"]].compactMap { $0 }.first { !$0.isEmpty }
        self.now = now
    }

    var tls: TLSOptions { TLSOptions(caFile: caFile) }

    /// `AZURE_AUTHORITY_HOST`, else the cloud's; https only (a token endpoint over http would leak secrets).
    func authority(_ cloud: AzureCloud) throws(CredentialError) -> URL {
        guard let value = environment["AZURE_AUTHORITY_HOST"], !value.isEmpty else { return cloud.activeDirectory }
        let text = value.contains("://") ? value : "https://" + value
        guard let url = URL(string: text.hasSuffix("/") ? String(text.dropLast()) : text), url.scheme?.lowercased() == "https" else {
            throw .failed(AzureConfigError.invalidAuthorityHost(value).description)
        }
        return url
    }
}

/// The Entra ID token endpoint (`POST {authority}/{tenant}/oauth2/v2.0/token`), shared by the secret and
/// workload-identity credentials.
struct EntraTokenClient: Sendable {
    let context: CredentialContext

    func request(authority: URL, tenant: String, form: [(String, String)], credentialName: String) async throws(CredentialError)
        -> AccessToken
    {
        guard let url = URL(string: authority.absoluteString + "/" + Self.escape(tenant) + "/oauth2/v2.0/token") else {
            throw .failed("\(credentialName): invalid authority \(authority)")
        }
        let body = form.map { "\($0.0)=\(Self.escape($0.1))" }.joined(separator: "&")
        let request = HTTPRequest(
            method: "POST", url: url,
            headers: [
                "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json", "User-Agent": ARMClient.userAgent,
            ],
            body: Data(body.utf8), tls: context.tls, timeout: .seconds(30))
        let started = context.now()
        let response: HTTPResponse
        do {
            response = try await context.transport.send(request)
        } catch {
            throw .failed("\(credentialName): could not reach \(url.host ?? "the token endpoint"): \(error)")
        }
        let json = try? JSON.parse(response.body)
        guard response.isSuccess else {
            // Entra's description is several lines (trace and correlation IDs follow); the first says why.
            let description = json?["error_description"]?.stringValue?.split(whereSeparator: \.isNewline).first.map(String.init)
            let code = json?["error"]?.stringValue ?? "HTTP \(response.status)"
            throw .failed("\(credentialName): \(code): \(description ?? "the token endpoint refused the request")")
        }
        return try Self.parseToken(json, started: started, credentialName: credentialName)
    }

    /// `access_token` with `expires_in` (seconds, number or string) or `expires_on` (epoch seconds).
    static func parseToken(_ json: JSON?, started: Date, credentialName: String) throws(CredentialError) -> AccessToken {
        guard let json, let token = json["access_token"]?.stringValue, !token.isEmpty else {
            throw .failed("\(credentialName): the token endpoint answered without an access_token")
        }
        func seconds(_ key: String) -> Double? {
            json[key]?.stringValue.flatMap(Double.init)
                ?? json[key].flatMap { value -> Double? in
                    if case .number(let text) = value { return Double(text) }
                    return nil
                }
        }
        if let expiresIn = seconds("expires_in") { return AccessToken(token: token, expiresOn: started.addingTimeInterval(expiresIn)) }
        if let expiresOn = seconds("expires_on") { return AccessToken(token: token, expiresOn: Date(timeIntervalSince1970: expiresOn)) }
        if let text = json["expires_on"]?.stringValue, let date = AzureDates.parse(text) {
            return AccessToken(token: token, expiresOn: date)
        }
        return AccessToken(token: token, expiresOn: started.addingTimeInterval(3600))
    }

    static func escape(_ value: String) -> String { URLEscaping.component(value) }
}

/// Service principal from the environment: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`.
public struct EnvironmentCredential: TokenCredential {
    public let name = "EnvironmentCredential"
    let context: CredentialContext

    public init(context: CredentialContext) { self.context = context }

    public func token(for cloud: AzureCloud, inChain: Bool) async throws(CredentialError) -> AccessToken {
        let env = context.environment
        guard let tenant = env["AZURE_TENANT_ID"], !tenant.isEmpty, let client = env["AZURE_CLIENT_ID"], !client.isEmpty,
            let secret = env["AZURE_CLIENT_SECRET"], !secret.isEmpty
        else {
            if env["AZURE_CLIENT_CERTIFICATE_PATH"].map({ !$0.isEmpty }) ?? false {
                throw .unavailable(
                    "client certificates (AZURE_CLIENT_CERTIFICATE_PATH) are not supported yet; use AZURE_CLIENT_SECRET, workload identity or az login"
                )
            }
            throw .unavailable("AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET are not all set")
        }
        return try await EntraTokenClient(context: context).request(
            authority: try context.authority(cloud), tenant: tenant,
            form: [("client_id", client), ("grant_type", "client_credentials"), ("client_secret", secret), ("scope", cloud.scope)],
            credentialName: name)
    }
}

/// AKS workload identity: a federated token file exchanged for an ARM token.
public struct WorkloadIdentityCredential: TokenCredential {
    public let name = "WorkloadIdentityCredential"
    let context: CredentialContext

    public init(context: CredentialContext) { self.context = context }

    public func token(for cloud: AzureCloud, inChain: Bool) async throws(CredentialError) -> AccessToken {
        let env = context.environment
        guard let file = env["AZURE_FEDERATED_TOKEN_FILE"], !file.isEmpty else {
            throw .unavailable("AZURE_FEDERATED_TOKEN_FILE is not set")
        }
        guard let tenant = env["AZURE_TENANT_ID"], !tenant.isEmpty, let client = env["AZURE_CLIENT_ID"], !client.isEmpty else {
            throw .failed("\(name): AZURE_FEDERATED_TOKEN_FILE is set but AZURE_TENANT_ID or AZURE_CLIENT_ID is missing")
        }
        // Read on every acquisition: the projected token rotates.
        guard let assertion = try? String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            !assertion.isEmpty
        else {
            throw .failed("\(name): cannot read the federated token file \(file)")
        }
        return try await EntraTokenClient(context: context).request(
            authority: try context.authority(cloud), tenant: tenant,
            form: [
                ("client_assertion", assertion), ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ("client_id", client), ("grant_type", "client_credentials"), ("scope", cloud.scope),
            ],
            credentialName: name)
    }
}

/// Managed identity: the App Service form (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`) or IMDS. These
/// endpoints are plain http by design; they are on the machine or link-local.
public struct ManagedIdentityCredential: TokenCredential {
    public let name = "ManagedIdentityCredential"
    let context: CredentialContext

    public init(context: CredentialContext) { self.context = context }

    static let imdsBase = "http://169.254.169.254"

    public func token(for cloud: AzureCloud, inChain: Bool) async throws(CredentialError) -> AccessToken {
        let env = context.environment
        let resource = cloud.audience
        var request: HTTPRequest
        if let endpoint = env["IDENTITY_ENDPOINT"], !endpoint.isEmpty, let secret = env["IDENTITY_HEADER"], !secret.isEmpty {
            var query = [("api-version", "2019-08-01"), ("resource", resource)]
            if let client = env["AZURE_CLIENT_ID"], !client.isEmpty { query.append(("client_id", client)) }
            guard let url = Self.url(endpoint, query) else { throw .failed("\(name): IDENTITY_ENDPOINT '\(endpoint)' is not a URL") }
            request = HTTPRequest(url: url, headers: ["X-IDENTITY-HEADER": secret, "Metadata": "true"], timeout: .seconds(30))
        } else {
            let base = env["AZURE_POD_IDENTITY_AUTHORITY_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.imdsBase
            var query = [("api-version", "2018-02-01"), ("resource", resource)]
            if let client = env["AZURE_CLIENT_ID"], !client.isEmpty { query.append(("client_id", client)) }
            let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
            guard let url = Self.url(trimmed + "/metadata/identity/oauth2/token", query) else {
                throw .failed("\(name): AZURE_POD_IDENTITY_AUTHORITY_HOST '\(base)' is not a URL")
            }
            if inChain {
                // Is an IMDS there at all? One quick request without Metadata: any answer means yes.
                var probe = HTTPRequest(url: url, connectTimeout: .seconds(1), timeout: .seconds(2))
                probe.tls = context.tls
                do {
                    _ = try await context.transport.send(probe)
                } catch {
                    throw .unavailable("no managed identity endpoint answered (IMDS at \(url.host ?? "?") did not respond)")
                }
            }
            request = HTTPRequest(url: url, headers: ["Metadata": "true"], timeout: .seconds(30))
        }
        request.tls = context.tls
        request.headers["User-Agent"] = ARMClient.userAgent
        let started = context.now()
        var lastStatus = 0
        // IMDS may be briefly unavailable (404, 410 while starting, 429, 5xx): retry a few times with backoff.
        for attempt in 0..<4 {
            let response: HTTPResponse
            do {
                response = try await context.transport.send(request)
            } catch {
                throw inChain ? .unavailable("managed identity endpoint unreachable: \(error)") : .failed("\(name): \(error)")
            }
            lastStatus = response.status
            if response.isSuccess {
                return try EntraTokenClient.parseToken(try? JSON.parse(response.body), started: started, credentialName: name)
            }
            if response.status == 400 {
                throw .failed(
                    "\(name): no identity has been assigned to this resource (HTTP 400); assign one or set AZURE_CLIENT_ID to a user-assigned identity"
                )
            }
            guard [404, 410, 429, 500, 502, 503, 504].contains(response.status), attempt < 3 else { break }
            try? await Task.sleep(for: .milliseconds(200 << attempt))
        }
        throw .failed("\(name): the managed identity endpoint answered HTTP \(lastStatus)")
    }

    static func url(_ base: String, _ query: [(String, String)]) -> URL? {
        guard var components = URLComponents(string: base), components.host != nil else { return nil }
        components.percentEncodedQuery = query.map { "\($0.0)=\(EntraTokenClient.escape($0.1))" }.joined(separator: "&")
        return components.url
    }
}

/// The Azure CLI: `az account get-access-token`, run with an argument vector (no shell) and a 10 s limit.
public struct AzureCLICredential: TokenCredential {
    public let name = "AzureCliCredential"
    let context: CredentialContext
    let timeout: Duration

    public init(context: CredentialContext, timeout: Duration = .seconds(10)) {
        self.context = context
        self.timeout = timeout
    }

    public func token(for cloud: AzureCloud, inChain: Bool) async throws(CredentialError) -> AccessToken {
        let resource = cloud.audience
        guard resource.allSatisfy({ $0.isLetter || $0.isNumber || ".-_:/".contains($0) }) else {
            throw .failed("\(name): invalid resource '\(resource)'")
        }
        guard let az = Subprocess.find("az", environment: context.environment) else {
            throw .unavailable("Azure CLI not found on path")
        }
        var environment = context.environment
        environment["AZURE_CORE_NO_COLOR"] = "true"
        var arguments = ["account", "get-access-token", "--output", "json", "--resource", resource]
        if let tenant = context.environment["AZURE_TENANT_ID"], !tenant.isEmpty,
            tenant.allSatisfy({ $0.isLetter || $0.isNumber || "-.".contains($0) })
        {
            arguments += ["--tenant", tenant]
        }
        let started = context.now()
        let result: SubprocessResult
        do {
            result = try await Subprocess.run(
                executable: az, arguments: arguments, environment: environment, captureStderr: true, timeout: timeout)
        } catch {
            throw .unavailable("Failed to invoke the Azure CLI: \(error)")
        }
        if result.timedOut {
            throw .failed("\(name): Failed to invoke the Azure CLI: 'az account get-access-token' did not finish within 10 s")
        }
        let stderr = String(decoding: result.stderr, as: UTF8.self)
        guard result.status == 0 else {
            if result.status == 127 { throw .unavailable("Azure CLI not found on path") }
            if (stderr.contains("az login") || stderr.contains("az account set")) && !stderr.contains("AADSTS") {
                throw .unavailable("Please run 'az login' to set up an account")
            }
            throw .failed("\(name): \(Self.redacted(stderr).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard let json = try? JSON.parse(result.stdout), let token = json["accessToken"]?.stringValue, !token.isEmpty else {
            throw .failed("\(name): 'az account get-access-token' printed something that is not a token")
        }
        if let epoch = json["expires_on"]?.intValue ?? json["expires_on"]?.stringValue.flatMap({ Int($0) }) {
            return AccessToken(token: token, expiresOn: Date(timeIntervalSince1970: TimeInterval(epoch)))
        }
        if let local = json["expiresOn"]?.stringValue, let date = AzureDates.parseLocal(local) {
            return AccessToken(token: token, expiresOn: date)
        }
        return AccessToken(token: token, expiresOn: started.addingTimeInterval(300))
    }

    /// az may echo JSON with the token in an error; never show it.
    static func redacted(_ text: String) -> String {
        text.replacingOccurrences(of: #""accessToken": ?"[^"]*""#, with: #""accessToken": "****""#, options: .regularExpression)
    }
}

/// The DefaultAzureCredential order: environment, workload identity, managed identity, Azure CLI.
/// "Not configured" moves on; "configured but failed" stops with every attempt listed. The first
/// credential that works is used from then on.
public actor ChainedCredential: TokenCredential {
    public nonisolated let name = "DefaultAzureCredential"
    private let credentials: [any TokenCredential]
    private var winner: (any TokenCredential)?

    public init(credentials: [any TokenCredential]) { self.credentials = credentials }

    /// The default chain, narrowed by `AZURE_TOKEN_CREDENTIALS` (`dev`, `prod` or one credential's name).
    public static func standard(context: CredentialContext) throws(CredentialError) -> ChainedCredential {
        let all: [any TokenCredential] = [
            EnvironmentCredential(context: context), WorkloadIdentityCredential(context: context),
            ManagedIdentityCredential(context: context), AzureCLICredential(context: context),
        ]
        guard let selection = context.environment["AZURE_TOKEN_CREDENTIALS"]?.lowercased(), !selection.isEmpty else {
            return ChainedCredential(credentials: all)
        }
        switch selection {
        case "dev": return ChainedCredential(credentials: all.filter { $0 is AzureCLICredential })
        case "prod": return ChainedCredential(credentials: all.filter { !($0 is AzureCLICredential) })
        default:
            let chosen = all.filter { $0.name.lowercased() == selection }
            guard !chosen.isEmpty else {
                throw .failed(
                    "AZURE_TOKEN_CREDENTIALS '\(selection)' is not one of dev, prod, \(all.map { $0.name.lowercased() }.joined(separator: ", "))"
                )
            }
            return ChainedCredential(credentials: chosen)
        }
    }

    public func token(for cloud: AzureCloud, inChain: Bool) async throws(CredentialError) -> AccessToken {
        if let winner { return try await winner.token(for: cloud, inChain: false) }
        var attempts: [(String, CredentialError)] = []
        for credential in credentials {
            do {
                let token = try await credential.token(for: cloud, inChain: true)
                winner = credential
                return token
            } catch {
                attempts.append((credential.name, error))
                if case .failed = error { break }
            }
        }
        throw .failed(CredentialChainError(attempts: attempts).description)
    }
}

/// The date shapes Azure token endpoints use.
enum AzureDates {
    /// RFC 3339, epoch seconds, or the App Service form `11/05/2021 15:18:31 +00:00`.
    static func parse(_ text: String) -> Date? {
        if let epoch = Double(text) { return Date(timeIntervalSince1970: epoch) }
        if let date = RFC3339.parse(text) { return date }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "MM/dd/yyyy HH:mm:ss xxx"
        return formatter.date(from: text)
    }

    /// az's deprecated `expiresOn`: local time without a zone, `2026-11-28 07:43:58.000000`.
    static func parseLocal(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        for format in ["yyyy-MM-dd HH:mm:ss.SSSSSS", "yyyy-MM-dd HH:mm:ss"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
