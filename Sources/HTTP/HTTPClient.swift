import CCivetWeb
#if canImport(Glibc)
import Glibc
#endif

/// An absolute http or https URL, split for a client: scheme, host, port, and the path with its query.
public struct HTTPURL: Sendable, Equatable, CustomStringConvertible {
    public var isSecure: Bool
    public var host: String
    public var port: Int
    /// The path and query ("/dicom-web/studies?limit=1"), at least "/".
    public var target: String

    /// Parses "http://host[:port][/path]" or "https://…". User information in the URL is refused: credentials
    /// are configured apart, so that they never appear where URLs are shown or logged.
    public init?(_ text: String) {
        let lower = text.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") {
            isSecure = true
            rest = text.dropFirst(8)
        } else if lower.hasPrefix("http://") {
            isSecure = false
            rest = text.dropFirst(7)
        } else {
            return nil
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.isEmpty, !authority.contains("@"),
              authority.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        var hostPart = authority
        var port = isSecure ? 443 : 80
        if authority.hasPrefix("[") {
            // An IPv6 literal: [::1]:8080
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()), (1...65535).contains(p) else { return nil }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
            hostPart = authority[..<colon]
        }
        guard !hostPart.isEmpty else { return nil }
        host = String(hostPart)
        self.port = port
        let path = rest[authorityEnd...]
        target = path.isEmpty ? "/" : (path.hasPrefix("?") ? "/" + path : String(path))
        guard target.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
    }

    public var description: String {
        let defaultPort = isSecure ? 443 : 80
        let h = host.contains(":") ? "[\(host)]" : host
        return (isSecure ? "https://" : "http://") + h + (port == defaultPort ? "" : ":\(port)") + target
    }

    /// This URL with a path appended ("/studies") to its own (without a trailing slash doubled).
    public func appending(_ path: String) -> HTTPURL {
        var u = self
        var base = target
        while base.hasSuffix("/") { base.removeLast() }
        u.target = base + path
        return u
    }
}

public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A response as the client received it; the body is read whole, up to the client's limit.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name == lower }?.value
    }
}

/// HTTP/1.1 requests to other servers through CivetWeb's client (which parses the responses): the STOW-RS
/// client, the test of a DICOMweb node. HTTPS checks the server's certificate against the CA file (the system's
/// bundle unless configured) and the host name.
public struct HTTPClient: Sendable {
    /// Seconds to wait for the response's head once the request is sent.
    public var timeout = 60.0
    /// CA certificates (PEM) an https server's certificate must chain to.
    public var caFile = "/etc/ssl/certs/ca-certificates.crt"
    /// Largest response body read.
    public var maximumResponseBytes = 64 << 20

    public init() { _ = mg_init_library(0) }

    /// Sends a request. The body, when there is one, is `length` bytes written by `body` (which returns false if
    /// it could not produce them: the request is then abandoned).
    public func send(_ method: String, _ url: HTTPURL, headers: [(name: String, value: String)] = [],
                     length: Int? = nil, body: ((_ write: (UnsafeRawBufferPointer) -> Bool) -> Bool)? = nil) throws(HTTPClientError) -> HTTPClientResponse {
        var error = [CChar](repeating: 0, count: 256)
        func reason() -> String {
            String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        // https goes through a relay with our TLS (see TLSRelay): CivetWeb's cannot load OpenSSL 3.
        let relay = url.isSecure ? try TLSClientRelay(host: url.host, port: url.port, caFile: caFile, timeout: timeout) : nil
        defer { relay?.finish() }
        let connection = relay.map { mg_connect_client("127.0.0.1", Int32($0.port), 0, &error, error.count) }
            ?? mg_connect_client(url.host, Int32(url.port), 0, &error, error.count)
        guard let connection else {
            throw HTTPClientError("cannot connect to \(url.host):\(url.port)" + (reason().isEmpty ? "" : ": \(reason())"))
        }
        defer { mg_close_connection(connection) }
        let hostField = (url.host.contains(":") ? "[\(url.host)]" : url.host)
            + (url.port == (url.isSecure ? 443 : 80) ? "" : ":\(url.port)")
        var head = "\(method) \(url.target) HTTP/1.1\r\nHost: \(hostField)\r\nConnection: close\r\n"
        for (name, value) in headers {
            // A field that could end the head early is refused rather than sent.
            guard !name.contains(where: { $0 == "\r" || $0 == "\n" || $0 == ":" }), !value.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                throw HTTPClientError("the header field \(name) holds a line break")
            }
            head += "\(name): \(value)\r\n"
        }
        if let length { head += "Content-Length: \(length)\r\n" }
        head += "\r\n"
        var written = 0
        func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
            guard bytes.count > 0 else { return true }
            written += bytes.count
            return mg_write(connection, bytes.baseAddress, bytes.count) == bytes.count
        }
        guard Array(head.utf8).withUnsafeBytes({ write($0) }) else {
            throw HTTPClientError("the connection to \(url.host):\(url.port) failed while sending the request")
        }
        written = 0
        if let body {
            guard body(write) else { throw HTTPClientError("the request body could not be produced or sent") }
            if let length, written != length {
                throw HTTPClientError("the request body was \(written) bytes, not the \(length) declared")
            }
        }
        error = [CChar](repeating: 0, count: 256)
        guard mg_get_response(connection, &error, error.count, Int32(timeout * 1000)) >= 0,
              let info = mg_get_response_info(connection)?.pointee else {
            throw HTTPClientError("no response from \(url.host):\(url.port)" + (reason().isEmpty ? "" : ": \(reason())"))
        }
        var fields: [(name: String, value: String)] = []
        withUnsafeBytes(of: info.http_headers) { raw in
            let list = raw.bindMemory(to: mg_header.self)
            for i in 0..<min(Int(info.num_headers), list.count) {
                guard let name = list[i].name, let value = list[i].value else { continue }
                fields.append((String(cString: name).lowercased(), String(cString: value)))
            }
        }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Int(mg_read(connection, $0.baseAddress, $0.count)) }
            if n <= 0 { break }
            guard out.count + n <= maximumResponseBytes else {
                throw HTTPClientError("the response from \(url.host):\(url.port) is larger than \(maximumResponseBytes) bytes")
            }
            out += chunk[0..<n]
        }
        return HTTPClientResponse(status: Int(info.status_code), headers: fields, body: out)
    }
}
