import CCurl
import Foundation

/// The libcurl transport: each transfer runs on a thread of its own, because `curl_easy_perform` blocks and
/// the cooperative pool (two threads on a two-core machine) must never be blocked.
public struct CurlTransport: HTTPTransport {
    public init() {}

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let streaming = try await stream(request)
        var body = Data()
        for try await chunk in streaming.body { body.append(chunk) }
        return HTTPResponse(status: streaming.status, headers: streaming.headers, body: body)
    }

    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        let transfer = CurlTransfer(request: request)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPStreamingResponse, any Error>) in
                transfer.start(head: continuation)
            }
        } onCancel: {
            transfer.cancel()
        }
    }
}

/// libcurl's process-wide initialisation, done once before the first handle (it is not thread-safe).
private let curlGlobalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))

/// One `CURL*` easy handle; freed in deinit. Every setter turns a failed `CURLcode` into an error.
final class CurlEasy {
    let handle: UnsafeMutableRawPointer
    /// curl writes its detailed message here during a transfer; it must outlive the transfer.
    let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    init() throws {
        _ = curlGlobalInit
        guard let handle = curl_easy_init() else {
            throw HTTPTransportError(kind: .other, url: "", message: "libcurl could not create a handle")
        }
        self.handle = handle
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        _ = agw_set_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    func check(_ code: CURLcode, _ what: String) throws {
        guard code != CURLE_OK else { return }
        throw HTTPTransportError(kind: .other, url: "", message: "libcurl rejected \(what): \(String(cString: curl_easy_strerror(code)))")
    }

    func set(_ option: CURLoption, _ value: Int) throws { try check(agw_set_long(handle, option, value), "option \(option.rawValue)") }
    func set(_ option: CURLoption, _ value: String) throws { try check(agw_set_string(handle, option, value), "option \(option.rawValue)") }
    func set(_ option: CURLoption, blob: Data) throws {
        let code = blob.withUnsafeBytes { agw_set_blob(handle, option, $0.baseAddress, $0.count) }
        try check(code, "option \(option.rawValue)")
    }

    var responseCode: Int {
        var code = 0
        _ = agw_get_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    var errorDetail: String { String(cString: errorBuffer) }
}

/// State shared between the transfer thread, curl's callbacks and the consuming task.
final class CurlTransfer: @unchecked Sendable {
    private let request: HTTPRequest
    private let lock = NSLock()
    // Guarded by `lock`:
    private var headContinuation: CheckedContinuation<HTTPStreamingResponse, any Error>?
    private var bodyContinuation: AsyncThrowingStream<Data, any Error>.Continuation?
    private var cancelled = false
    // Used only on the transfer thread:
    private var headers = HTTPHeaders()
    private var easy: CurlEasy?
    private var connectToList: UnsafeMutablePointer<curl_slist>?
    private var headDelivered = false

    init(request: HTTPRequest) { self.request = request }

    var isCancelled: Bool { lock.withLock { cancelled } }

    func cancel() {
        lock.withLock { cancelled = true }
    }

    func start(head: CheckedContinuation<HTTPStreamingResponse, any Error>) {
        lock.withLock { headContinuation = head }
        let thread = Thread { [self] in run() }
        thread.name = "kubectl-agw.curl"
        thread.start()
    }

    /// Delivers the status and headers once, creating the body stream the callbacks feed.
    private func deliverHead(status: Int) {
        // Called from several callbacks; only the first call creates the stream.
        guard !headDelivered else { return }
        headDelivered = true
        let (stream, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        continuation.onTermination = { [weak self] termination in
            if case .cancelled = termination { self?.cancel() }
        }
        let head = lock.withLock { () -> CheckedContinuation<HTTPStreamingResponse, any Error>? in
            let head = headContinuation
            headContinuation = nil
            if head != nil { bodyContinuation = continuation }
            return head
        }
        head?.resume(returning: HTTPStreamingResponse(status: status, headers: headers, body: stream))
    }

    private func finish(error: (any Error)?) {
        let (head, body) = lock.withLock {
            () -> (CheckedContinuation<HTTPStreamingResponse, any Error>?, AsyncThrowingStream<Data, any Error>.Continuation?) in
            defer {
                headContinuation = nil
                bodyContinuation = nil
            }
            return (headContinuation, bodyContinuation)
        }
        if let head {
            head.resume(throwing: error ?? HTTPTransportError(kind: .other, url: request.url.absoluteString, message: "no response"))
        }
        body?.finish(throwing: error)
    }

    private func run() {
        do {
            let easy = try CurlEasy()
            self.easy = easy
            let headerList = try configure(easy)
            defer {
                curl_slist_free_all(headerList)
                curl_slist_free_all(connectToList)
                connectToList = nil
            }
            let context = Unmanaged.passUnretained(self).toOpaque()
            _ = agw_set_pointer(easy.handle, CURLOPT_WRITEDATA, context)
            _ = agw_set_pointer(easy.handle, CURLOPT_HEADERDATA, context)
            _ = agw_set_pointer(easy.handle, CURLOPT_XFERINFODATA, context)
            _ = agw_set_data_callback(easy.handle, CURLOPT_WRITEFUNCTION, curlWriteCallback)
            _ = agw_set_data_callback(easy.handle, CURLOPT_HEADERFUNCTION, curlHeaderCallback)
            _ = agw_set_progress_callback(easy.handle, curlProgressCallback)
            try easy.set(CURLOPT_NOPROGRESS, 0)
            let code = withExtendedLifetime(self) { curl_easy_perform(easy.handle) }
            if code == CURLE_OK {
                deliverHead(status: easy.responseCode)
                finish(error: nil)
            } else {
                finish(error: transportError(code, easy))
            }
        } catch {
            finish(error: error)
        }
        easy = nil
    }

    private func transportError(_ code: CURLcode, _ easy: CurlEasy) -> HTTPTransportError {
        let url = request.url.absoluteString
        if code == CURLE_ABORTED_BY_CALLBACK || isCancelled {
            return HTTPTransportError(kind: .cancelled, url: url, message: "request to \(url) was cancelled")
        }
        let detail = easy.errorDetail.isEmpty ? String(cString: curl_easy_strerror(code)) : easy.errorDetail
        let kind: HTTPTransportError.Kind
        switch code {
        case CURLE_COULDNT_CONNECT: kind = .connectionRefused
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: kind = .couldNotResolveHost
        case CURLE_OPERATION_TIMEDOUT: kind = .timedOut
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_CIPHER, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_CRL_BADFILE:
            kind = .tls
        default: kind = .other
        }
        return HTTPTransportError(kind: kind, url: url, message: detail)
    }

    /// Sets every option for this request and returns the header list, which must live until the transfer ends.
    private func configure(_ easy: CurlEasy) throws -> UnsafeMutablePointer<curl_slist>? {
        guard var components = URLComponents(url: request.url, resolvingAgainstBaseURL: false), let host = components.host,
            let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http"
        else {
            throw HTTPTransportError(
                kind: .other, url: request.url.absoluteString, message: "not an http(s) URL: \(request.url.absoluteString)")
        }
        var headers = request.headers
        let tls = request.tls
        if let serverName = tls.serverName, scheme == "https" {
            // curl has no separate SNI option: address the server by the TLS name and connect to the real host.
            let port = components.port ?? 443
            let literalHost = host.contains(":") ? "[\(host)]" : host
            // curl keeps a pointer to this list, not a copy: it is freed only after the transfer.
            connectToList = curl_slist_append(nil, "\(serverName):\(port):\(literalHost):\(port)")
            try easy.check(agw_set_slist(easy.handle, CURLOPT_CONNECT_TO, connectToList), "CONNECT_TO")
            if headers["Host"] == nil { headers["Host"] = components.port.map { "\(literalHost):\($0)" } ?? literalHost }
            components.host = serverName
        }
        guard let url = components.url?.absoluteString else {
            throw HTTPTransportError(kind: .other, url: request.url.absoluteString, message: "invalid URL \(request.url.absoluteString)")
        }
        try easy.set(CURLOPT_URL, url)
        try easy.set(CURLOPT_NOSIGNAL, 1)
        // Redirects are never followed, so an Authorization header can never travel to another host.
        try easy.set(CURLOPT_FOLLOWLOCATION, 0)
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds(request.connectTimeout))
        try easy.set(CURLOPT_TIMEOUT_MS, request.timeout.map(milliseconds) ?? 0)
        if request.acceptCompression { try easy.set(CURLOPT_ACCEPT_ENCODING, "") }

        if let proxy = request.proxy, !proxy.isEmpty {
            try easy.set(CURLOPT_PROXY, proxy)
            // An explicit proxy (kubeconfig proxy-url) applies to every host, as in client-go.
            try easy.set(CURLOPT_NOPROXY, "")
        }

        try easy.set(CURLOPT_SSL_VERIFYPEER, tls.insecureSkipVerify ? 0 : 1)
        try easy.set(CURLOPT_SSL_VERIFYHOST, tls.insecureSkipVerify ? 0 : 2)
        if let caPEM = tls.caPEM {
            try easy.set(CURLOPT_CAINFO_BLOB, blob: caPEM)
            try easy.check(agw_set_pointer(easy.handle, CURLOPT_CAPATH, nil), "CAPATH")
        } else if let caFile = tls.caFile {
            try easy.set(CURLOPT_CAINFO, caFile)
            try easy.check(agw_set_pointer(easy.handle, CURLOPT_CAPATH, nil), "CAPATH")
        }
        if let certificate = tls.clientCertificatePEM, let key = tls.clientKeyPEM {
            try easy.set(CURLOPT_SSLCERTTYPE, "PEM")
            try easy.set(CURLOPT_SSLCERT_BLOB, blob: certificate)
            try easy.set(CURLOPT_SSLKEYTYPE, "PEM")
            try easy.set(CURLOPT_SSLKEY_BLOB, blob: key)
        }

        let method = request.method.uppercased()
        switch (method, request.body) {
        case ("GET", nil):
            try easy.set(CURLOPT_HTTPGET, 1)
        case ("HEAD", _):
            try easy.set(CURLOPT_NOBODY, 1)
        case (_, let body?):
            try easy.check(agw_set_offset(easy.handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)), "body size")
            // COPYPOSTFIELDS: curl keeps its own copy, so the Data may be released before the transfer ends.
            let code: CURLcode
            if body.isEmpty {
                code = agw_set_string(easy.handle, CURLOPT_COPYPOSTFIELDS, "")
            } else {
                code = body.withUnsafeBytes { raw in
                    agw_set_pointer(easy.handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress))
                }
            }
            try easy.check(code, "request body")
            try easy.set(CURLOPT_CUSTOMREQUEST, method)
        case (_, nil):
            try easy.set(CURLOPT_CUSTOMREQUEST, method)
        }

        var list: UnsafeMutablePointer<curl_slist>?
        for field in headers { list = curl_slist_append(list, "\(field.name): \(field.value)") }
        // curl would otherwise send `Expect: 100-continue` on larger bodies and wait for the server.
        list = curl_slist_append(list, "Expect:")
        try easy.check(agw_set_slist(easy.handle, CURLOPT_HTTPHEADER, list), "headers")
        return list
    }

    private func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    // MARK: Callbacks (on the transfer thread)

    fileprivate func receiveHeaderLine(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("HTTP/") {
            // A new response starts (after 1xx or a proxy's CONNECT answer): forget the previous headers.
            headers = HTTPHeaders()
        } else if trimmed.isEmpty {
            // End of a header block. curl reports the final response's code here; interim and proxy blocks have none.
            if let easy, easy.responseCode >= 200 {
                deliverHead(status: easy.responseCode)
            }
        } else if let colon = trimmed.firstIndex(of: ":") {
            let name = String(trimmed[..<colon]).trimmingCharacters(in: .whitespaces)
            let value = String(trimmed[trimmed.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            headers.add(name, value)
        }
    }

    fileprivate func receiveBody(_ data: Data) -> Bool {
        if let easy { deliverHead(status: easy.responseCode) }
        let continuation = lock.withLock { bodyContinuation }
        guard let continuation, !isCancelled else { return false }
        continuation.yield(data)
        return true
    }
}

private func transfer(from pointer: UnsafeMutableRawPointer?) -> CurlTransfer? {
    guard let pointer else { return nil }
    return Unmanaged<CurlTransfer>.fromOpaque(pointer).takeUnretainedValue()
}

private let curlWriteCallback: agw_data_callback = { data, size, count, context in
    guard let transfer = transfer(from: context), let data else { return 0 }
    let length = size * count
    // Returning less than `length` makes curl abort the transfer (used for cancellation).
    return transfer.receiveBody(Data(bytes: data, count: length)) ? length : 0
}

private let curlHeaderCallback: agw_data_callback = { data, size, count, context in
    guard let transfer = transfer(from: context), let data else { return 0 }
    let length = size * count
    transfer.receiveHeaderLine(String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self))
    return length
}

private let curlProgressCallback: agw_progress_callback = { context, _, _, _, _ in
    // Called about once a second even when idle, so a cancelled watch stops promptly.
    guard let transfer = transfer(from: context) else { return 1 }
    return transfer.isCancelled ? 1 : 0
}
