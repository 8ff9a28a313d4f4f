/// An HTTP request as a handler sees it: method, path split from its query, headers (names lower-cased), the
/// client's address, and the body as a stream (read in pieces, never held whole unless the handler asks).
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path, percent-decoded, without the query.
    public var path: String
    /// Query parameters in their order, percent-decoded ("a=1&b" gives ("a", "1"), ("b", "")).
    public var query: [(name: String, value: String)]
    /// Header fields, names lower-cased, in their order.
    public var headers: [(name: String, value: String)]
    public var remoteAddress: String
    /// Values of the path pattern's `{name}` segments.
    public var parameters: [String: String] = [:]
    public var body: HTTPBody

    public init(method: String, path: String, query: [(name: String, value: String)] = [], headers: [(name: String, value: String)] = [],
                remoteAddress: String = "", body: HTTPBody = HTTPBody(bytes: [])) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.remoteAddress = remoteAddress
        self.body = body
    }

    /// The first value of a header field, by its name in any case.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name == lower }?.value
    }

    /// Every value of a query parameter.
    public func queryValues(_ name: String) -> [String] { query.filter { $0.name == name }.map(\.value) }
}

/// A request body: the declared length, and a reader that refuses to go past the configured limit.
public struct HTTPBody: Sendable {
    /// Content-Length, or nil when the body is chunked (or absent).
    public let declaredLength: Int?
    private let reader: @Sendable (UnsafeMutableRawBufferPointer) -> Int

    public init(declaredLength: Int?, reader: @escaping @Sendable (UnsafeMutableRawBufferPointer) -> Int) {
        self.declaredLength = declaredLength
        self.reader = reader
    }

    /// A body held in memory (for tests and for the router harness).
    public init(bytes: [UInt8]) {
        let box = ByteCursor(bytes)
        self.init(declaredLength: bytes.count) { buffer in box.read(into: buffer) }
    }

    /// Reads up to `buffer.count` bytes; 0 at the end, -1 on an error (a dropped connection), `overLimit` once
    /// the body is longer than the server takes.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int { reader(buffer) }

    /// What `read` returns once a body (chunked, so not refused up front) passes the server's limit.
    public static let overLimit = -2

    /// Reads up to `buffer.count` bytes, 0 at the end; a failed or oversized body as the error a client gets.
    public func readOrThrow(into buffer: UnsafeMutableRawBufferPointer) throws(HTTPError) -> Int {
        let n = reader(buffer)
        if n == Self.overLimit { throw HTTPError(413, "the request body is larger than this server takes") }
        if n < 0 { throw HTTPError(400, "the request body could not be read (the connection failed)") }
        return n
    }

    /// The whole body, refused past `limit` bytes (413 for the client).
    public func collect(limit: Int) throws(HTTPError) -> [UInt8] {
        if let declared = declaredLength, declared > limit {
            throw HTTPError(413, "the body of \(declared) bytes is larger than the \(limit) allowed")
        }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            var failure: HTTPError?
            let n = chunk.withUnsafeMutableBytes { b -> Int in
                do throws(HTTPError) { return try readOrThrow(into: b) } catch {
                    failure = error
                    return 0
                }
            }
            if let failure { throw failure }
            if n == 0 { break }
            guard out.count + n <= limit else { throw HTTPError(413, "the body is larger than the \(limit) bytes allowed") }
            out += chunk[0..<n]
        }
        return out
    }
}

final class ByteCursor: @unchecked Sendable {
    private let bytes: [UInt8]
    private var position = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buffer.count, bytes.count - position)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
        position += n
        return n
    }
}

/// A response: status, header fields, and a body given whole or written as it is produced (chunked).
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: Body

    public enum Body: Sendable {
        case bytes([UInt8])
        /// Written piece by piece; the writer returns false once the client is gone.
        case stream(@Sendable (_ write: (UnsafeRawBufferPointer) -> Bool) -> Void)
        /// Written piece by piece with a Content-Length known in advance (a stored file): the producer must
        /// write exactly that many bytes; if it cannot, the connection is closed so the client sees it cut.
        case sized(Int, @Sendable (_ write: (UnsafeRawBufferPointer) -> Bool) -> Void)
    }

    public init(status: Int = 200, headers: [(name: String, value: String)] = [], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: .bytes(Array(text.utf8)))
    }

    public static func json(_ text: String, status: Int = 200, contentType: String = "application/json") -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: .bytes(Array(text.utf8)))
    }

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}

/// A failure a handler answers with: a 4xx or 5xx status and a one-line reason, sent as JSON.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public let status: Int
    public let reason: String
    /// Header fields the error response carries (WWW-Authenticate on a 401, say).
    public var headers: [(name: String, value: String)]

    public init(_ status: Int, _ reason: String, headers: [(name: String, value: String)] = []) {
        self.status = status
        self.reason = reason
        self.headers = headers
    }

    public var description: String { "\(status) \(reason)" }

    public var response: HTTPResponse {
        var escaped = ""
        for c in reason.unicodeScalars {
            switch c {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case _ where c.value < 0x20: escaped += " "
            default: escaped.unicodeScalars.append(c)
            }
        }
        var response = HTTPResponse.json("{\"status\":\(status),\"error\":\"\(escaped)\"}\n", status: status)
        response.headers += headers
        return response
    }
}

/// Reason phrases (RFC 9110 §15) for the statuses Lightbox sends.
public func reasonPhrase(_ status: Int) -> String {
    switch status {
    case 200: return "OK"
    case 201: return "Created"
    case 202: return "Accepted"
    case 204: return "No Content"
    case 206: return "Partial Content"
    case 301: return "Moved Permanently"
    case 304: return "Not Modified"
    case 400: return "Bad Request"
    case 401: return "Unauthorized"
    case 403: return "Forbidden"
    case 404: return "Not Found"
    case 405: return "Method Not Allowed"
    case 406: return "Not Acceptable"
    case 409: return "Conflict"
    case 413: return "Content Too Large"
    case 415: return "Unsupported Media Type"
    case 500: return "Internal Server Error"
    case 503: return "Service Unavailable"
    default: return "Status \(status)"
    }
}
