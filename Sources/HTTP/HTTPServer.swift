import CCivetWeb
import Crypto
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Transport

/// The web server's settings: where to listen, how many requests at once, and the limits that keep a client
/// from holding a worker or memory without bound.
public struct HTTPConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0: the system chooses (tests); `HTTPServer.port` tells which.
    public var port = 8080
    public var threads = 16
    /// Seconds a request may take to arrive and be answered before the connection is closed.
    public var requestTimeout = 30.0
    public var keepAliveTimeout = 5.0
    /// Largest request head (request line and header fields) accepted.
    public var maximumHeaderBytes = 16 * 1024
    /// Largest request body accepted (413 beyond it): STOW-RS streams, so this bounds disk use, not memory.
    public var maximumBodyBytes: Int64 = 32 << 30
    /// HTTPS (TLS 1.2 or later) with this certificate and key; nil serves plain HTTP.
    public var tls: TLSConfiguration?
    public var cors = CORSPolicy()
    public var compression = CompressionPolicy()
    /// Sees every request once answered: its method, path, status and seconds taken (for metrics).
    public var observer: (@Sendable (_ method: String, _ path: String, _ status: Int, _ seconds: Double) -> Void)?

    public init() {}
}

/// Why the server could not start: the library's own words (a port in use, an address not on this machine).
public struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// CivetWeb (Debian's libcivetweb, the server Orthanc embeds) in front of a `Router`: CivetWeb parses HTTP and
/// runs a pool of worker threads; each request is handed to the router on the worker that read it, and the
/// response written back, whole with Content-Length or chunked as it is produced.
public final class HTTPServer: @unchecked Sendable {
    private var context: OpaquePointer?
    private let state: Unmanaged<ServerState>
    public let port: Int

    public init(configuration: HTTPConfiguration, router: Router,
                log: @escaping @Sendable (_ message: String) -> Void = { _ in }) throws(HTTPServerError) {
        // No MG_FEATURES_TLS: CivetWeb's own TLS cannot load OpenSSL 3 (see TLSRelay); HTTPS is ours.
        _ = mg_init_library(0)
        let pipeline = HTTPPipeline(router: router, cors: configuration.cors, compression: configuration.compression)
        let state = ServerState(pipeline: pipeline, log: log, threads: HandlerThreads(count: max(1, configuration.threads)),
                                maximumBodyBytes: configuration.maximumBodyBytes, observer: configuration.observer)
        self.state = Unmanaged.passRetained(state)
        let address = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        let options = [
            // With HTTPS, CivetWeb listens on a loopback port the TLS front end relays to.
            "listening_ports", configuration.tls != nil ? "127.0.0.1:0" : "\(address):\(configuration.port)",
            "num_threads", String(max(1, configuration.threads)),
            "request_timeout_ms", String(Int(configuration.requestTimeout * 1000)),
            "keep_alive_timeout_ms", String(Int(configuration.keepAliveTimeout * 1000)),
            "enable_keep_alive", "yes",
            // Headers and body go out in separate writes: with Nagle's algorithm the body waits for the client's
            // delayed ACK of the headers, 40 ms on Linux, for every small response.
            "tcp_nodelay", "1",
            "max_request_size", String(configuration.maximumHeaderBytes),
            // No file serving: every path goes to the router, nothing on disk is reachable (PS3.18 has no files).
            "enable_directory_listing", "no",
            // CivetWeb answers CORS preflights itself, for any origin, unless this is empty: ours are answered by
            // the pipeline, by the configured policy.
            "access_control_allow_origin", "",
        ]
        var cOptions: [UnsafePointer<CChar>?] = options.map { UnsafePointer(strdup($0)) }
        cOptions.append(nil)
        defer { for p in cOptions { free(UnsafeMutablePointer(mutating: p)) } }
        var callbacks = mg_callbacks()
        callbacks.log_message = { connection, message in
            guard let connection, let message, let context = mg_get_context(connection),
                  let user = mg_get_user_data(context) else { return 1 }
            Unmanaged<ServerState>.fromOpaque(user).takeUnretainedValue().log(String(cString: message))
            return 1
        }
        var text = [CChar](repeating: 0, count: 256)
        var code: UInt32 = 0
        let user = self.state.toOpaque()
        let started: OpaquePointer? = cOptions.withUnsafeMutableBufferPointer { opts in
            text.withUnsafeMutableBufferPointer { buffer in
                withUnsafeMutablePointer(to: &code) { codePointer in
                    withUnsafePointer(to: &callbacks) { callbackPointer in
                        var error = mg_error_data(code: codePointer, text: buffer.baseAddress, text_buffer_size: buffer.count)
                        var initData = mg_init_data(callbacks: callbackPointer, user_data: user, configuration_options: opts.baseAddress)
                        return mg_start2(&initData, &error)
                    }
                }
            }
        }
        guard let started else {
            self.state.release()
            let reason = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw HTTPServerError(description: "cannot listen for HTTP on \(configuration.host):\(configuration.port): "
                                  + (reason.isEmpty ? "CivetWeb did not start" : reason))
        }
        context = started
        var ports = [mg_server_port](repeating: mg_server_port(), count: 4)
        let count = mg_get_server_ports(started, 4, &ports)
        let civetPort = count > 0 ? Int(ports[0].port) : configuration.port
        if let tls = configuration.tls {
            do {
                let front = try TLSFrontEnd(host: configuration.host, port: configuration.port, tls: tls, backendPort: civetPort,
                                            maximumConnections: max(64, configuration.threads * 8), handshakeTimeout: 15,
                                            idleTimeout: configuration.requestTimeout + configuration.keepAliveTimeout)
                state.frontEnd.withLock { $0 = front }
                port = front.port
            } catch {
                mg_stop(started)
                self.state.takeUnretainedValue().threads.stop()
                self.state.release()
                throw error
            }
        } else {
            port = civetPort
        }
        mg_set_request_handler(started, "/", { connection, user in
            guard let connection, let user else { return 500 }
            return Unmanaged<ServerState>.fromOpaque(user).takeUnretainedValue().handle(connection)
        }, self.state.toOpaque())
    }

    /// Stops listening and waits for the requests in progress.
    public func stop() {
        guard let context else { return }
        self.context = nil
        state.takeUnretainedValue().frontEnd.withLock { $0 }?.stop()
        mg_stop(context)
        state.takeUnretainedValue().threads.stop()
        state.release()
    }

    deinit { stop() }
}

/// What the C callbacks reach through their user-data pointer: the router and the log.
final class ServerState: @unchecked Sendable {
    let pipeline: HTTPPipeline
    let log: @Sendable (String) -> Void
    let threads: HandlerThreads
    let maximumBodyBytes: Int64
    /// The HTTPS front end, whose relayed connections arrive from the loopback interface.
    let frontEnd = Mutex<TLSFrontEnd?>(nil)
    let observer: (@Sendable (String, String, Int, Double) -> Void)?

    init(pipeline: HTTPPipeline, log: @escaping @Sendable (String) -> Void, threads: HandlerThreads, maximumBodyBytes: Int64,
         observer: (@Sendable (String, String, Int, Double) -> Void)?) {
        self.observer = observer
        self.pipeline = pipeline
        self.log = log
        self.threads = threads
        self.maximumBodyBytes = maximumBodyBytes
    }

    /// One request, on a CivetWeb worker thread: read the head, route, write the response. Returns the status,
    /// which tells CivetWeb the request was handled.
    func handle(_ connection: OpaquePointer) -> Int32 {
        var status: Int32 = 500
        threads.run { status = handleOnPoolThread(connection) }
        return status
    }

    /// The request on a thread with a full stack; the CivetWeb worker that owns the connection waits meanwhile,
    /// so the connection is used by one thread at a time.
    private func handleOnPoolThread(_ connection: OpaquePointer) -> Int32 {
        guard let info = mg_get_request_info(connection)?.pointee else { return 500 }
        let started = monotonicNow()
        let method = info.request_method.map { String(cString: $0) } ?? "GET"
        let path = info.local_uri.map { String(cString: $0) } ?? "/"
        let query = info.query_string.map { parseQuery(String(cString: $0)) } ?? []
        var headers: [(name: String, value: String)] = []
        withUnsafeBytes(of: info.http_headers) { raw in
            let fields = raw.bindMemory(to: mg_header.self)
            for i in 0..<min(Int(info.num_headers), fields.count) {
                guard let name = fields[i].name, let value = fields[i].value else { continue }
                headers.append((String(cString: name).lowercased(), String(cString: value)))
            }
        }
        var remote = withUnsafeBytes(of: info.remote_addr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if let front = frontEnd.withLock({ $0 }), let client = front.clientAddress(relayPort: Int(info.remote_port)) {
            remote = client
        }
        let declared = info.content_length >= 0 ? Int(info.content_length) : nil
        let limit = maximumBodyBytes
        if let declared, Int64(declared) > limit {
            // Refused before it is kept. A small body is read and dropped first, so that a client still sending
            // it reads the refusal instead of a broken pipe; a large one is left unread and the connection closed.
            if declared > Self.drainLimit || drain(connection, upTo: declared) < declared {
                mg_disable_connection_keep_alive(connection)
            }
            let response = HTTPError(413, "the body of \(declared) bytes is larger than the \(limit) this server takes").response
            write(response, to: connection, head: method == "HEAD")
            observer?(method, path, 413, monotonicNow() - started)
            return 413
        }
        let handle = ConnectionHandle(connection)
        let received = Atomic<Int64>(0)
        let ended = Atomic<Bool>(false)
        let body = HTTPBody(declaredLength: declared) { buffer in
            // Chunked bodies have no declared length: counted as they come.
            let n = Int(mg_read(handle.connection, buffer.baseAddress, buffer.count))
            if n == 0 { ended.store(true, ordering: .relaxed) }
            if n > 0, received.add(Int64(n), ordering: .relaxed).newValue > limit { return HTTPBody.overLimit }
            return n
        }
        let chunked = headers.contains { $0.name == "transfer-encoding" }
        let request = HTTPRequest(method: method, path: path, query: query, headers: headers, remoteAddress: remote, body: body)
        let response = pipeline.respond(to: request)
        let got = received.load(ordering: .relaxed)
        var unread = chunked ? !ended.load(ordering: .relaxed) : Int64(declared ?? 0) > got
        if unread {
            // A body left unread (a refusal before it was taken). What is left of a small one is read and dropped,
            // so that the client reads the answer rather than a reset; otherwise the connection closes, since
            // CivetWeb would read all of it to keep the connection open, however long it is.
            let left = chunked ? Self.drainLimit : (declared ?? 0) - Int(got)
            if left <= Self.drainLimit {
                let n = drain(connection, upTo: left + (chunked ? 1 : 0))
                unread = chunked ? n > Self.drainLimit - 1 : n < left
            }
            if unread { mg_disable_connection_keep_alive(connection) }
        }
        write(response, to: connection, head: method == "HEAD")
        observer?(method, path, response.status, monotonicNow() - started)
        return Int32(response.status)
    }

    /// Most of a refused body read and dropped before the answer (beyond it, the connection is closed instead).
    static let drainLimit = 16 << 20

    /// Reads and drops up to `limit` bytes of the request body; how many there were.
    func drain(_ connection: OpaquePointer, upTo limit: Int) -> Int {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var total = 0
        while total < limit {
            let n = buffer.withUnsafeMutableBytes { Int(mg_read(connection, $0.baseAddress, min($0.count, limit - total))) }
            if n <= 0 { break }
            total += n
        }
        return total
    }

    func write(_ response: HTTPResponse, to connection: OpaquePointer, head: Bool) {
        mg_response_header_start(connection, Int32(response.status))
        for (name, value) in response.headers { mg_response_header_add(connection, name, value, -1) }
        switch response.body {
        case .bytes(let bytes):
            mg_response_header_add(connection, "Content-Length", String(bytes.count), -1)
            mg_response_header_send(connection)
            if !head && !bytes.isEmpty { _ = bytes.withUnsafeBytes { mg_write(connection, $0.baseAddress, $0.count) } }
        case .stream(let produce):
            mg_response_header_add(connection, "Transfer-Encoding", "chunked", -1)
            mg_response_header_send(connection)
            guard !head else { return }
            produce { chunk in
                guard chunk.count > 0 else { return true }
                return mg_send_chunk(connection, chunk.baseAddress?.assumingMemoryBound(to: CChar.self), UInt32(chunk.count)) >= 0
            }
            _ = mg_send_chunk(connection, "", 0)
        case .sized(let length, let produce):
            mg_response_header_add(connection, "Content-Length", String(length), -1)
            mg_response_header_send(connection)
            guard !head else { return }
            var sent = 0
            produce { chunk in
                guard chunk.count > 0 else { return true }
                guard sent + chunk.count <= length else { return false }
                sent += chunk.count
                return mg_write(connection, chunk.baseAddress, chunk.count) > 0
            }
            if sent != length { mg_disable_connection_keep_alive(connection) }
        }
    }
}

/// A connection for the request body's reader: used only on the worker thread that handles the request, while
/// the request is being handled.
struct ConnectionHandle: @unchecked Sendable {
    let connection: OpaquePointer
    init(_ connection: OpaquePointer) { self.connection = connection }
}
