import Foundation

/// Header fields in the order they were given; names compare case-insensitively (RFC 9110).
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}
    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { add(name, value) }
    }

    /// The first value for `name`; assigning replaces every field of that name (nil removes them).
    public subscript(name: String) -> String? {
        get { fields.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value }
        set {
            fields.removeAll { $0.name.caseInsensitiveCompare(name) == .orderedSame }
            if let newValue { fields.append((name, newValue)) }
        }
    }

    public mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    public func values(_ name: String) -> [String] {
        fields.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.map { "\($0.name.lowercased()):\($0.value)" } == rhs.fields.map { "\($0.name.lowercased()):\($0.value)" }
    }
}

/// How the peer is trusted and how we prove who we are. Verification is on unless the user turned it off.
public struct TLSOptions: Sendable, Equatable {
    /// PEM bundle of CAs to trust instead of the system store.
    public var caPEM: Data?
    /// File of CAs to trust instead of the system store.
    public var caFile: String?
    /// Client certificate and key (PEM) for mutual TLS.
    public var clientCertificatePEM: Data?
    public var clientKeyPEM: Data?
    public var insecureSkipVerify: Bool
    /// The name sent as SNI and checked against the certificate instead of the URL's host.
    public var serverName: String?

    public init(
        caPEM: Data? = nil, caFile: String? = nil, clientCertificatePEM: Data? = nil, clientKeyPEM: Data? = nil,
        insecureSkipVerify: Bool = false, serverName: String? = nil
    ) {
        self.caPEM = caPEM
        self.caFile = caFile
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.insecureSkipVerify = insecureSkipVerify
        self.serverName = serverName
    }
}

/// One HTTP request with everything the transport needs to send it.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: HTTPHeaders
    public var body: Data?
    public var tls: TLSOptions
    /// An explicit proxy (`http://`, `https://`, `socks5://`); nil means the `https_proxy`/`no_proxy` environment.
    public var proxy: String?
    public var connectTimeout: Duration
    /// Limit for the whole exchange; nil for none (watch streams end on the server's `timeoutSeconds`).
    public var timeout: Duration?
    /// Ask for gzip and decode it (kubeconfig `disable-compression` turns this off).
    public var acceptCompression: Bool

    public init(
        method: String = "GET", url: URL, headers: HTTPHeaders = [:], body: Data? = nil, tls: TLSOptions = TLSOptions(),
        proxy: String? = nil, connectTimeout: Duration = .seconds(30), timeout: Duration? = .seconds(60),
        acceptCompression: Bool = true
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.tls = tls
        self.proxy = proxy
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.acceptCompression = acceptCompression
    }
}

/// A whole response, for every status code; interpreting the status is the caller's job.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data

    public init(status: Int, headers: HTTPHeaders = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var isSuccess: Bool { (200..<300).contains(status) }
}

/// A response whose body arrives in pieces (watch streams).
public struct HTTPStreamingResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: AsyncThrowingStream<Data, any Error>

    public init(status: Int, headers: HTTPHeaders, body: AsyncThrowingStream<Data, any Error>) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Reads the rest of the body into memory (for error responses).
    public func collect(limit: Int = 4 << 20) async throws -> Data {
        var data = Data()
        for try await chunk in body {
            data.append(chunk)
            if data.count > limit { break }
        }
        return data
    }
}

/// No response came: the connection, TLS or a timeout failed. Carries curl's words and the host it tried.
public struct HTTPTransportError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        case connectionRefused
        case couldNotResolveHost
        case timedOut
        case tls
        case cancelled
        case other
    }

    public var kind: Kind
    public var url: String
    public var message: String

    public init(kind: Kind, url: String, message: String) {
        self.kind = kind
        self.url = url
        self.message = message
    }

    public var description: String { message }
}

/// The one HTTP transport every client uses; fakes replace it in tests.
public protocol HTTPTransport: Sendable {
    /// Sends a request and returns the response whatever its status; throws only when no response came.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
    /// Sends a request and returns as soon as the headers have arrived; the body follows as a stream.
    /// Cancelling the consuming task (or dropping the stream) ends the transfer.
    func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse
}
