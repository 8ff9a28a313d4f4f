import Accounts
import Crypto
import DICOM
import HTTP
import Synchronization
import Transport

/// Who is asking: HTTP Basic (for tools) or a bearer token from /api/login (for browsers), checked against the
/// users store. Every route but the health checks goes through `require`, the one place where permission (and,
/// next, audit) hooks in.
final class WebAuthentication: Sendable {
    let users: any UserStore
    /// Basic credentials verified in the last minute, by the SHA-256 of the header: scrypt costs tens of
    /// milliseconds by design, which a tool sending Basic on every request must not pay each time.
    private let verified = Mutex<[String: (user: User, until: Double)]>([:])
    static let cacheSeconds = 60.0

    init(users: any UserStore) { self.users = users }

    /// The user behind the request's credentials, or 401 (with a challenge) when there are none or they are wrong.
    func user(for request: HTTPRequest) throws(HTTPError) -> User {
        guard let header = request.header("authorization") else { throw unauthorized("credentials are required") }
        if header.lowercased().hasPrefix("bearer ") {
            let token = String(header.dropFirst(7)).trimmingSpaces
            let user: User?
            do { user = try users.user(forToken: token) } catch { throw HTTPError(503, "\(error)") }
            guard let user else { throw unauthorized("the token is unknown, expired or revoked") }
            return user
        }
        guard header.lowercased().hasPrefix("basic ") else { throw unauthorized("Basic or Bearer credentials are required") }
        let key = Array(header.utf8).withUnsafeBytes { SHA256.hash($0) }
        let now = monotonicNow()
        if let hit = verified.withLock({ $0[key] }), hit.until > now { return hit.user }
        guard let decoded = Base64.decode(String(header.dropFirst(6)).trimmingSpaces),
              let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else {
            throw unauthorized("the Basic credentials are not base64 of name:password")
        }
        let name = String(decoding: decoded[..<colon], as: UTF8.self)
        let password = String(decoding: decoded[(colon + 1)...], as: UTF8.self)
        let user: User?
        do { user = try users.authenticate(name: name, password: password) } catch { throw HTTPError(503, "\(error)") }
        guard let user else { throw unauthorized("the name or the password is wrong") }
        verified.withLock { cache in
            if cache.count > 1000 { cache.removeAll() }
            cache[key] = (user, now + Self.cacheSeconds)
        }
        return user
    }

    /// The user, when their role has `permission`: 401 without valid credentials, 403 without the permission.
    func require(_ permission: Permission, _ request: HTTPRequest) throws(HTTPError) -> User {
        let user = try user(for: request)
        guard user.role.may(permission) else {
            throw HTTPError(403, "\(user.name) (\(user.role.rawValue)) may not \(permission.rawValue)")
        }
        return user
    }

    func unauthorized(_ reason: String) -> HTTPError {
        HTTPError(401, reason, headers: [("WWW-Authenticate", "Basic realm=\"Lightbox\", charset=\"UTF-8\""),
                                         ("WWW-Authenticate", "Bearer realm=\"Lightbox\"")])
    }
}

extension Router {
    /// A route that needs a permission: the handler runs only for a user whose role has it.
    mutating func add(_ method: String, _ pattern: String, _ permission: Permission, _ auth: WebAuthentication,
                      _ handler: @escaping @Sendable (HTTPRequest, User) throws(HTTPError) -> HTTPResponse) {
        add(method, pattern, permission: permission.rawValue) { request throws(HTTPError) in
            try handler(request, try auth.require(permission, request))
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
