#if canImport(Glibc)
import Glibc
#endif
import Accounts
import AdminAPI
import Archive
import DICOM
import DICOMWeb
import HTTP
import Transport

/// The web server's routes. The health checks and /api/login answer without credentials; every other route
/// names the permission it needs (`Router.add(_:_:_:_:_:)`), checked by `WebAuthentication`.
struct WebRoutes {
    let archive: Archive
    let settings: Settings
    let auth: WebAuthentication
    let admin: AdminService
    let metrics: Metrics
    /// The DICOM server's association counts, for /metrics.
    let dicomStatistics: @Sendable () -> (accepted: Int, rejected: Int, active: Int)
    let log: @Sendable (String) -> Void
    /// Bearer tokens from /api/login last this long (seconds).
    static let tokenLifetime = 12 * 3600

    var router: Router {
        var router = Router()
        router.add("GET", "/health/live") { _ throws(HTTPError) in
            .json("{\"status\":\"live\"}\n")
        }
        let archive = self.archive
        let storage = settings.archiveConfiguration.storageFolder
        router.add("GET", "/health/ready") { _ throws(HTTPError) in
            // Ready: the index answers a query, and the storage folder takes files.
            do { _ = try archive.index.statistics() } catch {
                throw HTTPError(503, "the index is not usable: \(error)")
            }
            guard access(storage, W_OK) == 0 else {
                throw HTTPError(503, "the storage folder \(storage) is not writable: \(String(cString: strerror(errno)))")
            }
            var fs = statvfs()
            if statvfs(storage, &fs) == 0 && fs.f_bavail == 0 {
                throw HTTPError(503, "the storage folder \(storage) has no free space")
            }
            return .json("{\"status\":\"ready\"}\n")
        }
        let auth = self.auth
        // POST /api/login: name and password (JSON {"user": …, "password": …}, or Basic) for a bearer token.
        router.add("POST", "/api/login") { request throws(HTTPError) in
            let user: User
            if request.header("authorization") != nil {
                user = try auth.user(for: request)
            } else {
                let body = try request.body.collect(limit: 4096)
                guard let json = try? JSONParser.parse(body), let fields = json.object,
                      let name = fields.first(where: { $0.0 == "user" })?.1.string,
                      let password = fields.first(where: { $0.0 == "password" })?.1.string else {
                    throw HTTPError(400, "the body must be {\"user\": NAME, \"password\": PASSWORD}")
                }
                let found: User?
                do { found = try auth.users.authenticate(name: name, password: password) } catch { throw HTTPError(503, "\(error)") }
                guard let found else { throw auth.unauthorized("the name or the password is wrong") }
                user = found
            }
            let issued: (token: String, expires: Int)
            do { issued = try auth.users.issueToken(for: user.name, lifetime: Self.tokenLifetime) } catch { throw HTTPError(503, "\(error)") }
            return .json("{\"token\":\"\(issued.token)\",\"expires\":\(issued.expires),\"user\":\(JSONValue.quoted(user.name)),"
                         + "\"role\":\"\(user.role.rawValue)\"}\n")
        }
        // POST /api/logout: the bearer token presented is revoked.
        router.add("POST", "/api/logout") { request throws(HTTPError) in
            _ = try auth.user(for: request)
            guard let header = request.header("authorization"), header.lowercased().hasPrefix("bearer ") else {
                throw HTTPError(400, "logout revokes the bearer token it is sent with")
            }
            do { try auth.users.revoke(token: String(header.dropFirst(7)).trimmingSpaces) } catch { throw HTTPError(503, "\(error)") }
            return HTTPResponse(status: 204)
        }
        // The administration API: each route behind its permission.
        for route in admin.routes {
            router.add(route.method, route.pattern, route.permission, auth, route.handler)
        }
        // GET /metrics: Prometheus text, for administrators (a scraper is given an admin account or token).
        let metrics = self.metrics, jobs = admin.jobs, dicomStatistics = self.dicomStatistics
        router.add("GET", "/metrics", .administer, auth) { _, _ throws(HTTPError) in
            HTTPResponse.text(metrics.text(archive: archive, dicom: dicomStatistics(), jobs: jobs),
                              contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        // DICOMweb: each route behind its permission.
        var web = DICOMWebConfiguration()
        web.caseInsensitivePersonNames = settings.caseInsensitivePersonNames
        web.maximumResults = settings.dicomWebMaximumResults
        web.scheme = settings.httpTLSCertificate != nil ? "https" : "http"
        for route in DICOMWebService(archive: archive, configuration: web, log: log).routes {
            let handler = route.handler
            router.add(route.method, route.pattern, route.permission, auth) { request, _ throws(HTTPError) in try handler(request) }
        }
        // GET /api/openapi.json: the document of every route, itself included, for any signed-in user.
        let document = Locked("")
        router.add("GET", "/api/openapi.json", .read, auth) { _, _ throws(HTTPError) in .json(document.value) }
        let table = router.routes
        document.withLock { $0 = OpenAPI.document(table) }
        return router
    }
}

/// Whether an address names this machine only.
func isLoopback(_ host: String) -> Bool {
    host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
}
