#if canImport(Glibc)
import Glibc
#endif
import Archive
import HTTP

/// The web server's routes. Now the health checks, which answer without credentials (PS3.18 resources and the
/// administration API come with users and roles, and every one of them will need them).
struct WebRoutes {
    let archive: Archive
    let settings: Settings

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
        return router
    }
}

/// Whether an address names this machine only.
func isLoopback(_ host: String) -> Bool {
    host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
}
