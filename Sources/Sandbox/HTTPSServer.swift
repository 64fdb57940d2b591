import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// A request as the sandbox's handlers see it.
public struct SandboxRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [String: String]
    public var headers: [String: String]
    public var body: Data
    /// The user and groups of a verified client certificate, if one was presented.
    public var clientIdentity: ClientIdentity?

    public init(
        method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: Data = Data(),
        clientIdentity: ClientIdentity? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.clientIdentity = clientIdentity
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Who a client certificate names.
public struct ClientIdentity: Sendable, Equatable {
    public let user: String
    public let groups: [String]
}

/// A response: a whole body, or a stream of chunks (watches) that ends when the stream does.
public struct SandboxResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: Data
    public var stream: AsyncStream<Data>?

    public init(status: Int, headers: [(String, String)] = [], body: Data = Data(), stream: AsyncStream<Data>? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.stream = stream
    }

    public static func json(_ status: Int, _ value: Value, headers: [(String, String)] = []) -> SandboxResponse {
        SandboxResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: value.encoded())
    }
}

/// The request context: the channel is kept so the handler can read the TLS peer certificate.
struct SandboxRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// An HTTPS server on 127.0.0.1 (never another address) with a certificate from the sandbox CA; client
/// certificates are optional and, when presented, must chain to that CA.
public final class LocalHTTPSServer: Sendable {
    public let port: Int
    public let host: String
    public let scheme: String
    private let task: Task<Void, any Error>

    public var baseURL: String { "\(scheme)://\(host):\(port)" }

    private init(port: Int, host: String, scheme: String, task: Task<Void, any Error>) {
        self.port = port
        self.host = host
        self.scheme = scheme
        self.task = task
    }

    /// Starts the server and returns once it listens. `port` 0 picks a free one. Without a CA it serves plain
    /// http (managed identity endpoints are http by design).
    public static func start(
        ca: CertificateAuthority?, port: Int = 0, maxBodySize: Int = 64 << 20,
        handler: @escaping @Sendable (SandboxRequest) async -> SandboxResponse
    ) async throws -> LocalHTTPSServer {
        let host = "127.0.0.1"
        var builder: HTTPServerBuilder = .http1()
        if let ca {
            let issued = try ca.issueServer()
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(issued.certificatePEM.utf8)).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(issued.privateKeyPEM.utf8), format: .pem)))
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.certificatePEM.utf8)))
            tls.certificateVerification = .optionalVerification
            builder = try .tls(.http1(), tlsConfiguration: tls)
        }

        let responder = CallbackResponder<SandboxRequestContext> { request, context in
            var request = request
            let body = try await request.collectBody(upTo: maxBodySize)
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            // HTTP/1.1's Host header becomes the :authority pseudo-header in HTTPTypes.
            if let authority = request.head.authority { headers["host"] = authority }
            var identity: ClientIdentity?
            if let certificate = try? await context.channel.nioSSL_peerCertificate().get(),
                let der = try? certificate.toDERBytes(), let named = CertificateAuthority.identity(fromDER: der)
            {
                identity = ClientIdentity(user: named.user, groups: named.groups)
            }
            let sandboxRequest = SandboxRequest(
                method: request.method.rawValue, path: request.uri.path, query: query, headers: headers,
                body: Data(buffer: body), clientIdentity: identity)
            let response = await handler(sandboxRequest)
            var fields = HTTPFields()
            for (name, value) in response.headers {
                if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
            }
            let status = HTTPResponse.Status(code: response.status)
            if let stream = response.stream {
                return Response(
                    status: status, headers: fields,
                    body: ResponseBody { writer in
                        for await chunk in stream {
                            try await writer.write(ByteBuffer(bytes: chunk))
                        }
                        try await writer.finish(nil)
                    })
            }
            return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: response.body)))
        }

        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "agw-sandbox")
        logger.logLevel = .critical
        let app = Application(
            responder: responder,
            server: builder,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "agw-sandbox"),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger)
        let task = Task {
            defer { portContinuation.finish() }
            try await app.runService(gracefulShutdownSignals: [])
        }
        var iterator = portStream.makeAsyncIterator()
        guard let bound = await iterator.next(), bound != 0 else {
            task.cancel()
            _ = try await task.value
            throw SandboxError.couldNotListen(port: port)
        }
        return LocalHTTPSServer(port: bound, host: host, scheme: ca == nil ? "http" : "https", task: task)
    }

    /// Stops listening and waits until the server has shut down.
    public func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}

/// Failures of the sandbox itself.
public enum SandboxError: Error, CustomStringConvertible {
    case couldNotListen(port: Int)

    public var description: String {
        switch self {
        case .couldNotListen(let port): return "the sandbox could not listen on 127.0.0.1:\(port); is the port in use?"
        }
    }
}
