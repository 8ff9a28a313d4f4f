/// Method and path pattern to handler. Patterns are literal segments and `{name}` segments that match any one
/// segment ("/dicom-web/studies/{study}/series"). The router is a plain value: tests drive it without sockets.
public struct Router: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) throws(HTTPError) -> HTTPResponse

    public struct Route: Sendable {
        public let method: String
        public let pattern: String
        /// The permission a user needs (nil: open, as the health checks and login are); for the API document.
        public let permission: String?
        let segments: [Segment]
        let handler: Handler
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    public private(set) var routes: [Route] = []

    public init() {}

    public mutating func add(_ method: String, _ pattern: String, permission: String? = nil, _ handler: @escaping Handler) {
        let segments = Self.split(pattern).map { s -> Segment in
            s.hasPrefix("{") && s.hasSuffix("}") ? .parameter(String(s.dropFirst().dropLast())) : .literal(s)
        }
        routes.append(Route(method: method, pattern: pattern, permission: permission, segments: segments, handler: handler))
    }

    /// The names of a pattern's `{name}` segments.
    public static func parameters(of pattern: String) -> [String] {
        split(pattern).compactMap { $0.hasPrefix("{") && $0.hasSuffix("}") ? String($0.dropFirst().dropLast()) : nil }
    }

    /// The response for a request: its route's, 404 when no pattern matches the path, 405 (with Allow) when one
    /// does but not for this method. HEAD is answered as GET (the server sends the GET's headers, Content-Length
    /// included, and no body). A handler's HTTPError becomes its status and reason.
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        let path = Self.split(request.path)
        var allowed: [String] = []
        let method = request.method == "HEAD" ? "GET" : request.method
        for route in routes {
            guard let parameters = Self.match(route.segments, path) else { continue }
            guard route.method == method else {
                allowed.append(route.method)
                continue
            }
            var matched = request
            matched.parameters = parameters
            do {
                return try route.handler(matched)
            } catch {
                return error.response
            }
        }
        if !allowed.isEmpty {
            var response = HTTPError(405, "\(request.method) is not allowed on \(request.path)").response
            response.headers.append(("Allow", allowed.joined(separator: ", ")))
            return response
        }
        return HTTPError(404, "no resource at \(request.path)").response
    }

    /// The methods routed for a path (for OPTIONS and CORS preflights); empty when no pattern matches it.
    public func methods(for path: String) -> [String] {
        let segments = Self.split(path)
        var out: [String] = []
        for route in routes where Self.match(route.segments, segments) != nil && !out.contains(route.method) {
            out.append(route.method)
        }
        return out
    }

    static func split(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    static func match(_ pattern: [Segment], _ path: [String]) -> [String: String]? {
        guard pattern.count == path.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, value) in zip(pattern, path) {
            switch segment {
            case .literal(let text): if text != value { return nil }
            case .parameter(let name): parameters[name] = value
            }
        }
        return parameters
    }
}

/// Query strings (application/x-www-form-urlencoded): "a=1&b=x%20y&c" to [("a", "1"), ("b", "x y"), ("c", "")].
public func parseQuery(_ query: String) -> [(name: String, value: String)] {
    query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = percentDecoded(String(parts[0]), plusIsSpace: true)
        let value = parts.count > 1 ? percentDecoded(String(parts[1]), plusIsSpace: true) : ""
        return (name, value)
    }
}

/// %XX sequences decoded (as UTF-8); a malformed escape is kept as it is.
public func percentDecoded(_ text: String, plusIsSpace: Bool = false) -> String {
    var bytes: [UInt8] = []
    let utf8 = Array(text.utf8)
    var i = 0
    func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
    while i < utf8.count {
        let c = utf8[i]
        if c == 0x25, i + 2 < utf8.count, let h = hex(utf8[i + 1]), let l = hex(utf8[i + 2]) {
            bytes.append(h << 4 | l)
            i += 3
        } else {
            bytes.append(plusIsSpace && c == 0x2B ? 0x20 : c)
            i += 1
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}
