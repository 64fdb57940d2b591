import Foundation
import Sandbox
import Shared
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A local HTTPS server whose handler the test writes, plus its CA.
struct EchoServer {
    let ca: CertificateAuthority
    let server: LocalHTTPSServer

    static func start(_ handler: @escaping @Sendable (SandboxRequest) async -> SandboxResponse = EchoServer.echo) async throws -> EchoServer
    {
        let ca = try CertificateAuthority()
        return EchoServer(ca: ca, server: try await LocalHTTPSServer.start(ca: ca, handler: handler))
    }

    /// Answers with what it received.
    @Sendable static func echo(_ request: SandboxRequest) async -> SandboxResponse {
        var headers: [String: Value] = [:]
        for (name, value) in request.headers { headers[name] = .string(value) }
        return .json(
            200,
            [
                "method": .string(request.method), "path": .string(request.path), "headers": .object(headers),
                "body": .string(String(decoding: request.body, as: UTF8.self)),
                "clientUser": request.clientIdentity.map { .string($0.user) } ?? .null,
            ])
    }

    var caPEM: Data { Data(ca.certificatePEM.utf8) }

    func url(_ path: String, host: String = "127.0.0.1") -> URL {
        URL(string: "https://\(host):\(server.port)\(path)") ?? URL(fileURLWithPath: "/invalid-url")
    }

    func request(_ path: String, method: String = "GET", body: Data? = nil) -> HTTPRequest {
        HTTPRequest(method: method, url: url(path), body: body, tls: TLSOptions(caPEM: caPEM), timeout: .seconds(10))
    }
}

@Suite("the libcurl transport over real TLS")
struct TransportTests {
    let transport = CurlTransport()

    @Test("a request over TLS verified against an in-memory CA carries its method, headers and body")
    func echo() async throws {
        let echo = try await EchoServer.start()
        defer { Task { await echo.server.stop() } }
        var request = echo.request("/v1/things?x=1", method: "PATCH", body: Data(#"{"a":1}"#.utf8))
        request.headers["Content-Type"] = "application/merge-patch+json"
        request.headers["Authorization"] = "Bearer abc"
        let response = try await transport.send(request)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        let body = try JSON.parse(response.body)
        #expect(body["method"]?.stringValue == "PATCH")
        #expect(body["path"]?.stringValue == "/v1/things")
        #expect(body["body"]?.stringValue == #"{"a":1}"#)
        #expect(body.value(at: "headers", "content-type")?.stringValue == "application/merge-patch+json")
        #expect(body.value(at: "headers", "expect") == nil, "curl must not wait for 100-continue")
    }

    @Test("every status comes back as a response, not an error")
    func statusesAreResponses() async throws {
        let echo = try await EchoServer.start { _ in SandboxResponse(status: 503, headers: [("Retry-After", "7")], body: Data("busy".utf8))
        }
        defer { Task { await echo.server.stop() } }
        let response = try await transport.send(echo.request("/"))
        #expect(response.status == 503)
        #expect(response.headers["retry-after"] == "7")
        #expect(String(decoding: response.body, as: UTF8.self) == "busy")
    }

    @Test("a server certificate from an unknown CA is refused; insecure mode accepts it")
    func untrustedCertificate() async throws {
        let echo = try await EchoServer.start()
        defer { Task { await echo.server.stop() } }
        var request = echo.request("/")
        request.tls = TLSOptions(caPEM: Data(try CertificateAuthority(commonName: "other").certificatePEM.utf8))
        await #expect {
            _ = try await transport.send(request)
        } throws: { error in
            (error as? HTTPTransportError)?.kind == .tls
        }
        request.tls = TLSOptions(insecureSkipVerify: true)
        #expect(try await transport.send(request).status == 200)
    }

    @Test("a client certificate and key from memory identify the client")
    func clientCertificate() async throws {
        let echo = try await EchoServer.start()
        defer { Task { await echo.server.stop() } }
        let issued = try echo.ca.issueClient(user: "ci-bot")
        var request = echo.request("/")
        request.tls.clientCertificatePEM = Data(issued.certificatePEM.utf8)
        request.tls.clientKeyPEM = Data(issued.privateKeyPEM.utf8)
        let body = try JSON.parse(try await transport.send(request).body)
        #expect(body["clientUser"]?.stringValue == "ci-bot")
        let anonymous = try JSON.parse(try await transport.send(echo.request("/")).body)
        #expect(anonymous["clientUser"] == .null)
    }

    @Test("tls-server-name checks the certificate against that name while connecting to the URL's host")
    func serverName() async throws {
        let echo = try await EchoServer.start()
        defer { Task { await echo.server.stop() } }
        var request = echo.request("/")
        request.tls.serverName = "localhost"
        let body = try JSON.parse(try await transport.send(request).body)
        #expect(body.value(at: "headers", "host")?.stringValue == "127.0.0.1:\(echo.server.port)", "the Host header keeps the real address")
        request.tls.serverName = "not-in-the-certificate.example"
        await #expect {
            _ = try await transport.send(request)
        } throws: { error in
            (error as? HTTPTransportError)?.kind == .tls
        }
    }

    @Test("redirects are returned, never followed, so Authorization cannot reach another host")
    func redirectsNotFollowed() async throws {
        let elsewhere = try await EchoServer.start()
        defer { Task { await elsewhere.server.stop() } }
        let target = elsewhere.url("/stolen").absoluteString
        let echo = try await EchoServer.start { _ in SandboxResponse(status: 307, headers: [("Location", target)]) }
        defer { Task { await echo.server.stop() } }
        var request = echo.request("/")
        request.headers["Authorization"] = "Bearer secret-value"
        let response = try await transport.send(request)
        #expect(response.status == 307)
        #expect(response.headers["location"] == target)
    }

    @Test("a closed port fails with connection refused")
    func connectionRefused() async throws {
        // A port bound but not listening refuses connections, and stays ours while the test runs (a stopped
        // server's port could be taken at once by another test's server).
        let held = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(held) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(held, $0, length) == 0 && getsockname(held, $0, &length) == 0 }
        }
        try #require(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let url = try #require(URL(string: "https://127.0.0.1:\(port)/"))
        let request = HTTPRequest(url: url, timeout: .seconds(5))
        await #expect {
            _ = try await transport.send(request)
        } throws: { error in
            (error as? HTTPTransportError)?.kind == .connectionRefused
        }
    }

    @Test("a streamed body arrives chunk by chunk before the response ends, and cancelling stops it")
    func streaming() async throws {
        let (chunks, feed) = AsyncStream<Data>.makeStream()
        let echo = try await EchoServer.start { _ in SandboxResponse(status: 200, stream: chunks) }
        defer { Task { await echo.server.stop() } }
        var request = echo.request("/watch")
        request.timeout = nil
        let response = try await transport.stream(request)
        #expect(response.status == 200)
        feed.yield(Data("first\n".utf8))
        var iterator = response.body.makeAsyncIterator()
        let first = try await iterator.next()
        #expect(first.map { String(decoding: $0, as: UTF8.self) } == "first\n", "the first chunk arrives while the stream is still open")
        feed.yield(Data("second\n".utf8))
        let second = try await iterator.next()
        #expect(second.map { String(decoding: $0, as: UTF8.self) } == "second\n")
        feed.finish()
        #expect(try await iterator.next() == nil)
    }

    @Test("a total timeout ends a request that takes too long")
    func timeout() async throws {
        let echo = try await EchoServer.start { _ in
            try? await Task.sleep(for: .seconds(5))
            return SandboxResponse(status: 200)
        }
        defer { Task { await echo.server.stop() } }
        var request = echo.request("/")
        request.timeout = .milliseconds(500)
        await #expect {
            _ = try await transport.send(request)
        } throws: { error in
            (error as? HTTPTransportError)?.kind == .timedOut
        }
    }
}
