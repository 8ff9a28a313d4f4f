import Zlib

/// Cross-origin resource sharing (the Fetch standard's CORS protocol): which other origins a browser may let
/// read our responses, so that a viewer served from elsewhere (OHIF, say) can use Lightbox as its data source.
/// Off unless origins are configured.
public struct CORSPolicy: Sendable, Equatable {
    /// Allowed origins ("https://viewer.example.org"), or "*" for any.
    public var origins: [String] = []
    /// Seconds a browser may cache a preflight answer.
    public var maximumAge = 600

    public init(origins: [String] = []) { self.origins = origins }

    public var isEnabled: Bool { !origins.isEmpty }

    /// The origin to echo back, when this one is allowed. The origin is echoed (not "*") even for a wildcard, so
    /// that requests with an Authorization header are allowed too (the Fetch standard forbids "*" with credentials).
    func allowed(_ origin: String) -> String? {
        guard isEnabled, !origin.isEmpty, origin != "null" else { return nil }
        if origins.contains("*") { return origin }
        return origins.contains { $0.caseInsensitivelyEquals(origin) } ? origin : nil
    }

    /// Request headers a browser may send and response headers it may read (beyond the CORS-safelisted ones).
    static let allowedHeaders = "Authorization, Accept, Content-Type, Accept-Encoding, Range, If-None-Match, X-Requested-With"
    static let exposedHeaders = "Content-Length, Content-Type, Content-Encoding, Warning, Location, WWW-Authenticate, ETag"
}

/// Whether and how JSON and text responses are gzipped for clients that accept it. Pixel data, files and
/// rendered images are never compressed: they are compressed already or are bulk data a viewer wants fast.
public struct CompressionPolicy: Sendable, Equatable {
    public var enabled = true
    /// Bodies smaller than this go as they are (the gzip framing would cost more than it saves).
    public var minimumBytes = 1024
    /// zlib level 1: the fastest, and on DICOM JSON within a few percent of the best ratio.
    public var level: Int32 = 1

    public init(enabled: Bool = true) { self.enabled = enabled }

    func compressible(_ contentType: String?) -> Bool {
        guard let type = contentType?.lowercased() else { return false }
        let essence = type.split(separator: ";", maxSplits: 1).first.map { String($0).trimmingSpacesHTTP } ?? type
        return essence.hasPrefix("text/") || essence == "application/json" || essence == "application/dicom+json"
            || essence.hasSuffix("+json") || essence == "application/xml" || essence == "application/dicom+xml"
    }
}

/// What wraps the router for every request: CORS headers and preflights, and gzip. A plain value, so tests
/// drive it as they drive the router, without sockets.
public struct HTTPPipeline: Sendable {
    public let router: Router
    public var cors: CORSPolicy
    public var compression: CompressionPolicy

    public init(router: Router, cors: CORSPolicy = CORSPolicy(), compression: CompressionPolicy = CompressionPolicy()) {
        self.router = router
        self.cors = cors
        self.compression = compression
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        let origin = request.header("origin").flatMap { cors.allowed($0) }
        // A preflight (OPTIONS with Access-Control-Request-Method) carries no credentials: it is answered here,
        // before any route's authentication, and says only what may be asked.
        if request.method == "OPTIONS" {
            var response = HTTPResponse(status: 204)
            let allow = router.methods(for: request.path)
            guard !allow.isEmpty else { return HTTPError(404, "no resource at \(request.path)").response }
            let methods = (allow + (allow.contains("GET") ? ["HEAD"] : []) + ["OPTIONS"]).joined(separator: ", ")
            response.headers.append(("Allow", methods))
            if let origin, request.header("access-control-request-method") != nil {
                response.headers += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin"),
                                     ("Access-Control-Allow-Methods", methods),
                                     ("Access-Control-Allow-Headers", CORSPolicy.allowedHeaders),
                                     ("Access-Control-Allow-Credentials", "true"),
                                     ("Access-Control-Max-Age", String(cors.maximumAge))]
            }
            return response
        }
        var response = router.respond(to: request)
        if let origin {
            response.headers += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin"),
                                 ("Access-Control-Allow-Credentials", "true"),
                                 ("Access-Control-Expose-Headers", CORSPolicy.exposedHeaders)]
        }
        if compression.enabled { compress(&response, request) }
        return response
    }

    func compress(_ response: inout HTTPResponse, _ request: HTTPRequest) {
        guard case .bytes(let bytes) = response.body, bytes.count >= compression.minimumBytes,
              response.header("content-encoding") == nil, compression.compressible(response.header("content-type")),
              Self.acceptsGzip(request.header("accept-encoding")) else { return }
        guard let gzipped = try? bytes.withUnsafeBytes({ try deflate($0, format: .gzip, level: compression.level) }),
              gzipped.count < bytes.count else { return }
        response.body = .bytes(gzipped)
        response.headers.append(("Content-Encoding", "gzip"))
        response.headers.append(("Vary", "Accept-Encoding"))
    }

    /// Whether an Accept-Encoding field (RFC 9110 §12.5.3) accepts gzip: named (or "*") without q=0.
    static func acceptsGzip(_ field: String?) -> Bool {
        guard let field else { return false }
        var wildcard = false
        for entry in field.split(separator: ",") {
            let parts = entry.split(separator: ";").map { String($0).trimmingSpacesHTTP.lowercased() }
            guard let coding = parts.first else { continue }
            let refused = parts.dropFirst().contains { p in
                p.hasPrefix("q=") && (Double(p.dropFirst(2)) ?? 1) == 0
            }
            if coding == "gzip" || coding == "x-gzip" { return !refused }
            if coding == "*" { wildcard = !refused }
        }
        return wildcard
    }
}

extension String {
    var trimmingSpacesHTTP: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }

    func caseInsensitivelyEquals(_ other: String) -> Bool { lowercased() == other.lowercased() }
}
