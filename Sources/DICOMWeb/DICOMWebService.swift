import Accounts
import Archive
import DICOMCore
import DICOMQuery
import HTTP

/// How the DICOMweb service answers.
public struct DICOMWebConfiguration: Sendable {
    /// Where the services are mounted (PS3.18 leaves the base to the origin server).
    public var basePath = "/dicom-web"
    /// Most QIDO matches given in one response; a client pages past it with `offset`.
    public var maximumResults = 1000
    /// Person names match regardless of case (as C-FIND is configured: `query.case_insensitive_names`).
    public var caseInsensitivePersonNames = true
    /// "https" when the listener has TLS: the scheme of Retrieve URLs.
    public var scheme = "http"
    /// Largest `application/dicom+json` part (and each of its bulk data parts) STOW-RS reads into memory.
    public var maximumJSONPartBytes = 256 << 20

    public init() {}
}

/// A route of the service, and the permission a user needs for it (checked by the server before the handler).
public struct DICOMWebRoute: Sendable {
    public let method: String
    public let pattern: String
    public let permission: Permission
    public let handler: Router.Handler
}

/// DICOMweb (PS3.18) over the archive: QIDO-RS, WADO-RS, STOW-RS, WADO-URI. Plain values over the archive's
/// index and storage: every read goes through `Archive` (where audit and per-study access will hook in).
public struct DICOMWebService: Sendable {
    public let archive: Archive
    public let configuration: DICOMWebConfiguration
    /// Failures after a response has started (a file gone mid-stream), which only the log can tell.
    let log: @Sendable (String) -> Void
    /// Where STOW-RS instances are made durable and indexed while the next part arrives.
    let pipeline: IngestPipeline

    public init(archive: Archive, configuration: DICOMWebConfiguration = DICOMWebConfiguration(),
                pipeline: IngestPipeline = IngestPipeline(), log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.archive = archive
        self.configuration = configuration
        self.pipeline = pipeline
        self.log = log
    }

    /// Every route, with the permission it needs.
    public var routes: [DICOMWebRoute] {
        let b = configuration.basePath
        var r: [DICOMWebRoute] = []
        func get(_ pattern: String, _ handler: @escaping Router.Handler) {
            r.append(DICOMWebRoute(method: "GET", pattern: b + pattern, permission: .read, handler: handler))
        }
        let s = self
        // QIDO-RS (PS3.18 §10.6)
        get("/studies") { q throws(HTTPError) in try s.search(q, level: .study, study: nil, series: nil) }
        get("/series") { q throws(HTTPError) in try s.search(q, level: .series, study: nil, series: nil) }
        get("/instances") { q throws(HTTPError) in try s.search(q, level: .image, study: nil, series: nil) }
        get("/studies/{study}/series") { q throws(HTTPError) in try s.search(q, level: .series, study: q.parameters["study"], series: nil) }
        get("/studies/{study}/instances") { q throws(HTTPError) in
            try s.search(q, level: .image, study: q.parameters["study"], series: nil)
        }
        get("/studies/{study}/series/{series}/instances") { q throws(HTTPError) in
            try s.search(q, level: .image, study: q.parameters["study"], series: q.parameters["series"])
        }
        // WADO-RS (PS3.18 §10.4)
        get("/studies/{study}") { q throws(HTTPError) in try s.retrieve(q, try s.resource(q)) }
        get("/studies/{study}/series/{series}") { q throws(HTTPError) in try s.retrieve(q, try s.resource(q)) }
        get("/studies/{study}/series/{series}/instances/{instance}") { q throws(HTTPError) in try s.retrieve(q, try s.resource(q)) }
        get("/studies/{study}/metadata") { q throws(HTTPError) in try s.metadata(q, try s.resource(q)) }
        get("/studies/{study}/series/{series}/metadata") { q throws(HTTPError) in try s.metadata(q, try s.resource(q)) }
        get("/studies/{study}/series/{series}/instances/{instance}/metadata") { q throws(HTTPError) in
            try s.metadata(q, try s.resource(q))
        }
        get("/studies/{study}/series/{series}/instances/{instance}/frames/{frames}") { q throws(HTTPError) in
            try s.frames(q, try s.resource(q))
        }
        get("/studies/{study}/series/{series}/instances/{instance}/bulkdata/{tag}") { q throws(HTTPError) in
            try s.bulkData(q, try s.resource(q))
        }
        // Rendered and thumbnail resources (PS3.18 §10.4.1.1.3, §10.4.1.1.4)
        get("/studies/{study}/series/{series}/instances/{instance}/rendered") { q throws(HTTPError) in
            try s.rendered(q, try s.resource(q), thumbnail: false)
        }
        get("/studies/{study}/series/{series}/instances/{instance}/frames/{frames}/rendered") { q throws(HTTPError) in
            try s.rendered(q, try s.resource(q), thumbnail: false)
        }
        get("/studies/{study}/series/{series}/rendered") { q throws(HTTPError) in try s.rendered(q, try s.resource(q), thumbnail: false) }
        get("/studies/{study}/rendered") { q throws(HTTPError) in try s.rendered(q, try s.resource(q), thumbnail: false) }
        get("/studies/{study}/thumbnail") { q throws(HTTPError) in try s.rendered(q, try s.resource(q), thumbnail: true) }
        get("/studies/{study}/series/{series}/thumbnail") { q throws(HTTPError) in try s.rendered(q, try s.resource(q), thumbnail: true) }
        get("/studies/{study}/series/{series}/instances/{instance}/thumbnail") { q throws(HTTPError) in
            try s.rendered(q, try s.resource(q), thumbnail: true)
        }
        get("/studies/{study}/series/{series}/instances/{instance}/frames/{frames}/thumbnail") { q throws(HTTPError) in
            try s.rendered(q, try s.resource(q), thumbnail: true)
        }
        // STOW-RS (PS3.18 §10.5)
        r.append(DICOMWebRoute(method: "POST", pattern: b + "/studies", permission: .store) { q throws(HTTPError) in
            try s.store(q, study: nil)
        })
        r.append(DICOMWebRoute(method: "POST", pattern: b + "/studies/{study}", permission: .store) { q throws(HTTPError) in
            try s.store(q, study: q.parameters["study"])
        })
        // WADO-URI (PS3.18 §9), for older viewers: at /wado, where they look for it.
        r.append(DICOMWebRoute(method: "GET", pattern: "/wado", permission: .read) { q throws(HTTPError) in try s.wadoURI(q) })
        return r
    }

    // MARK: Shared checks

    /// A UID as PS3.5 §9.1 allows it: digits and dots, at most 64 characters. Anything else (a `..`, a slash) is
    /// refused before it reaches the index.
    func checkUID(_ uid: String) throws(HTTPError) {
        guard !uid.isEmpty, uid.utf8.count <= 64, uid.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }),
              uid.first != ".", uid.last != ".", !uid.contains("..") else {
            throw HTTPError(400, "'\(uid.prefix(80))' is not a UID (digits and dots, at most 64 characters)")
        }
    }

    /// QIDO and metadata answer in JSON: a client that accepts neither JSON nor anything gets 406.
    func checkAccepts(_ request: HTTPRequest, json: Bool) throws(HTTPError) {
        let accepted = MediaType.acceptList(request.header("accept"))
        let ok = accepted.contains { m in
            m.covers("application", "dicom+json") || m.covers("application", "json")
        }
        guard ok else {
            throw HTTPError(406, "this resource is application/dicom+json (XML is not offered); Accept was '\(request.header("accept") ?? "")'")
        }
    }

    /// The service's URL as the client reached it, for Retrieve URLs. The Host header is used only when it
    /// looks like a host name and port (no characters that could break out of a URL).
    func baseURL(_ request: HTTPRequest) -> String {
        var host = request.header("host") ?? "localhost"
        if host.isEmpty || !host.utf8.allSatisfy({ b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || ".-:[]_".utf8.contains(b)
        }) {
            host = "localhost"
        }
        return configuration.scheme + "://" + host + configuration.basePath
    }

    /// The study, series or instance a request's path names.
    struct Resource {
        var study: String
        var series: String?
        var instance: String?

        var level: QueryLevel { instance != nil ? .image : series != nil ? .series : .study }
    }

    func resource(_ request: HTTPRequest) throws(HTTPError) -> Resource {
        guard let study = request.parameters["study"] else { throw HTTPError(404, "no study in the path") }
        try checkUID(study)
        let series = request.parameters["series"]
        if let series { try checkUID(series) }
        let instance = request.parameters["instance"]
        if let instance { try checkUID(instance) }
        return Resource(study: study, series: series, instance: instance)
    }

    /// The query that selects a resource's instances (relational: every UID of the path must match).
    func query(for r: Resource) -> Query {
        var id = DataSet()
        id.set(DataElement(tag: queryRetrieveLevelTag, vr: .CS, string: r.level.rawValue))
        id.set(DataElement(tag: .studyInstanceUID, vr: .UI, string: r.study))
        if let s = r.series { id.set(DataElement(tag: .seriesInstanceUID, vr: .UI, string: s)) }
        if let i = r.instance { id.set(DataElement(tag: .sopInstanceUID, vr: .UI, string: i)) }
        // The identifier is built here from checked UIDs: it cannot be refused.
        return try! Query(identifier: id, model: .studyRoot)
    }

    /// The stored instances of a resource, in series and instance-number order; 404 when there are none.
    func instances(_ r: Resource) throws(HTTPError) -> [StoredInstance] {
        let found: [StoredInstance]
        do { found = try archive.index.instances(matching: query(for: r)) } catch {
            throw HTTPError(503, "the index is not usable: \(error)")
        }
        guard !found.isEmpty else { throw HTTPError(404, "\(r.describe) is not in the archive") }
        return found
    }
}

extension DICOMWebService.Resource {
    var describe: String {
        if let instance { return "instance \(instance) of series \(series ?? "") of study \(study)" }
        if let series { return "series \(series) of study \(study)" }
        return "study \(study)"
    }
}
