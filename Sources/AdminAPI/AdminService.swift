#if canImport(Glibc)
import Glibc
#endif
import Accounts
import Archive
import Crypto
import DICOMCore
import DICOMNetwork
import DICOMQuery
import HTTP

/// How the administration API behaves.
public struct AdminConfiguration: Sendable {
    /// Our AE title, calling remote nodes.
    public var aeTitle = "LIGHTBOX"
    /// C-MOVE destinations from the configuration file: listed as read-only nodes.
    public var configuredNodes: [RemoteNode] = []
    /// Client TLS for DICOM nodes marked `tls` (our certificate for mutual TLS, the CA that signs peers).
    public var dicomTLS = TLSConfiguration()
    /// CA certificates (PEM) https DICOMweb nodes are checked against; nil: the system's bundle.
    public var httpCAFile: String?
    public var timeouts = AssociationTimeouts()
    /// Most items in one page of a listing.
    public var maximumResults = 1000
    public var caseInsensitivePersonNames = true
    /// Longest a `"wait": true` request waits for its job (seconds); past it the job is answered as accepted.
    public var maximumWait = 25.0

    public init() {}
}

/// A route of the API and the permission it needs; the handler is given the signed-in user.
public struct AdminRoute: Sendable {
    public let method: String
    public let pattern: String
    public let permission: Permission
    public let handler: @Sendable (HTTPRequest, User) throws(HTTPError) -> HTTPResponse
}

/// The administration API under `/api`: listing and searching what the archive holds, deleting, remote nodes
/// and their C-ECHO test, sending studies to nodes (C-STORE or STOW-RS) as jobs, statistics. Plain values over
/// the archive: every read and deletion goes through `Archive`.
public struct AdminService: Sendable {
    public let archive: Archive
    public let nodes: any NodeStore
    public let jobs: JobQueue
    public let configuration: AdminConfiguration
    /// Pixel conversion for peers that accept none of an instance's syntaxes.
    let converter: PixelConverter?
    let log: @Sendable (String) -> Void

    public init(archive: Archive, nodes: any NodeStore, jobs: JobQueue, configuration: AdminConfiguration = AdminConfiguration(),
                converter: PixelConverter? = nil, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.archive = archive
        self.nodes = nodes
        self.jobs = jobs
        self.configuration = configuration
        self.converter = converter
        self.log = log
    }

    public var routes: [AdminRoute] {
        var r: [AdminRoute] = []
        let s = self
        func add(_ method: String, _ pattern: String, _ permission: Permission,
                 _ handler: @escaping @Sendable (HTTPRequest, User) throws(HTTPError) -> HTTPResponse) {
            r.append(AdminRoute(method: method, pattern: "/api" + pattern, permission: permission, handler: handler))
        }
        let study = "/studies/{study}", series = "/studies/{study}/series/{series}"
        let instance = "/studies/{study}/series/{series}/instances/{instance}"
        // What the archive holds.
        add("GET", "/statistics", .administer) { _, _ throws(HTTPError) in try s.statistics() }
        add("GET", "/patients", .read) { q, _ throws(HTTPError) in try s.page(.patient, q) }
        add("GET", "/studies", .read) { q, _ throws(HTTPError) in try s.page(.study, q) }
        add("GET", "/series", .read) { q, _ throws(HTTPError) in try s.page(.series, q) }
        add("GET", "/instances", .read) { q, _ throws(HTTPError) in try s.page(.image, q) }
        for pattern in [study, series, instance] {
            add("GET", pattern, .read) { q, _ throws(HTTPError) in try s.detail(q) }
            add("DELETE", pattern, .delete) { q, user throws(HTTPError) in try s.delete(q, user: user) }
            add("POST", pattern + "/send", .send) { q, user throws(HTTPError) in try s.send(q, user: user) }
        }
        // Remote nodes: listed and tested by whoever may send; changed by administrators.
        add("GET", "/nodes", .send) { _, _ throws(HTTPError) in try s.listNodes() }
        add("GET", "/nodes/{name}", .send) { q, _ throws(HTTPError) in .json(try s.node(q).json.serialized + "\n") }
        add("PUT", "/nodes/{name}", .administer) { q, _ throws(HTTPError) in try s.putNode(q) }
        add("DELETE", "/nodes/{name}", .administer) { q, _ throws(HTTPError) in try s.removeNode(q) }
        add("POST", "/nodes/{name}/echo", .send) { q, _ throws(HTTPError) in try s.echo(q) }
        // Jobs.
        add("GET", "/jobs", .send) { _, _ throws(HTTPError) in
            .json(JSONValue.array(s.jobs.list().map(\.json)).serialized + "\n")
        }
        add("GET", "/jobs/{id}", .send) { q, _ throws(HTTPError) in
            guard let job = s.jobs.job(q.parameters["id"] ?? "") else { throw HTTPError(404, "no job \(q.parameters["id"] ?? "")") }
            return .json(job.json.serialized + "\n")
        }
        add("DELETE", "/jobs/{id}", .send) { q, _ throws(HTTPError) in
            let id = q.parameters["id"] ?? ""
            guard let job = s.jobs.job(id) else { throw HTTPError(404, "no job \(id)") }
            guard s.jobs.cancel(id) else { throw HTTPError(409, "job \(id) has finished already (\(job.state.rawValue))") }
            return .json((s.jobs.job(id) ?? job).json.serialized + "\n", status: 202)
        }
        return r
    }

    // MARK: Resources

    struct Resource {
        var study: String
        var series: String?
        var instance: String?

        var describe: String {
            if let instance { return "instance \(instance) of series \(series ?? "") of study \(study)" }
            if let series { return "series \(series) of study \(study)" }
            return "study \(study)"
        }
    }

    /// A UID as PS3.5 §9.1 allows it; anything else (a `..`, a slash) is refused before it reaches the index.
    static func checkUID(_ uid: String) throws(HTTPError) {
        guard !uid.isEmpty, uid.utf8.count <= 64, uid.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }),
              uid.first != ".", uid.last != ".", !uid.contains("..") else {
            throw HTTPError(400, "'\(uid.prefix(80))' is not a UID (digits and dots, at most 64 characters)")
        }
    }

    func resource(_ request: HTTPRequest) throws(HTTPError) -> Resource {
        guard let study = request.parameters["study"] else { throw HTTPError(404, "no study in the path") }
        try Self.checkUID(study)
        let series = request.parameters["series"]
        if let series { try Self.checkUID(series) }
        let instance = request.parameters["instance"]
        if let instance { try Self.checkUID(instance) }
        return Resource(study: study, series: series, instance: instance)
    }

    /// The stored instances of a resource; 404 when there are none.
    func instances(_ r: Resource) throws(HTTPError) -> [StoredInstance] {
        var id = DataSet()
        let level: QueryLevel = r.instance != nil ? .image : r.series != nil ? .series : .study
        id.set(DataElement(tag: queryRetrieveLevelTag, vr: .CS, string: level.rawValue))
        id.set(DataElement(tag: .studyInstanceUID, vr: .UI, string: r.study))
        if let s = r.series { id.set(DataElement(tag: .seriesInstanceUID, vr: .UI, string: s)) }
        if let i = r.instance { id.set(DataElement(tag: .sopInstanceUID, vr: .UI, string: i)) }
        let found: [StoredInstance]
        do {
            found = try archive.index.instances(matching: try Query(identifier: id, model: .studyRoot))
        } catch {
            throw HTTPError(503, "the index is not usable: \(error)")
        }
        guard !found.isEmpty else { throw HTTPError(404, "\(r.describe) is not in the archive") }
        return found
    }

    // MARK: Statistics

    func statistics() throws(HTTPError) -> HTTPResponse {
        let s: IndexStatistics
        do { s = try archive.index.statistics() } catch { throw HTTPError(503, "the index is not usable: \(error)") }
        var o: [(String, JSONValue)] = [("patients", .number(String(s.patients))), ("studies", .number(String(s.studies))),
                                        ("series", .number(String(s.series))), ("instances", .number(String(s.instances))),
                                        ("bytes", .number(String(s.bytes)))]
        if let free = archive.storage.freeBytes() { o.append(("storage_free_bytes", .number(String(free)))) }
        o.append(("jobs_running", .number(String(jobs.runningCount))))
        o.append(("jobs_pending", .number(String(jobs.pendingCount))))
        return .json(JSONValue.object(o).serialized + "\n")
    }

    // MARK: Deletion

    func delete(_ request: HTTPRequest, user: User) throws(HTTPError) -> HTTPResponse {
        let r = try resource(request)
        let found = try instances(r)
        let outcome: DeletionOutcome
        do { outcome = try archive.delete(found) } catch {
            throw HTTPError(error.kind == .full ? 507 : 500, "\(r.describe) was not deleted: \(error.message)")
        }
        log("\(user.name) deleted \(r.describe): \(outcome.instances) instances")
        return .json(JSONValue.object([("deleted_instances", .number(String(outcome.instances))),
                                       ("deleted_bytes", .number(String(outcome.bytes))),
                                       ("files_left", .number(String(outcome.filesLeft)))]).serialized + "\n")
    }
}

extension String {
    /// Commas as backslashes: a list of UIDs as QIDO-RS writes it, as C-FIND does.
    var commasAsBackslashes: String { String(map { $0 == "," ? "\\" : $0 }) }
}
