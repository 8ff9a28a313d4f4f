#if canImport(Glibc)
import Glibc
#endif
import Accounts
import AdminAPI
import Archive
import Crypto
import DICOM
import DICOMNetwork
import DemoData
import HTTP
import Synchronization
import Transport

/// Everything `lightbox serve` runs, in one process: the archive and the DICOM server in front of it (and the
/// web server, next). Built from settings; stopped by `stop()` (on SIGTERM).
public final class LightboxServer: Sendable {
    public let settings: Settings
    public let archive: Archive
    let dicom: DICOMServer
    let http: HTTPServer
    let lock: ArchiveLock
    let log: JSONLog
    let nodes: any NodeStore
    let jobs: JobQueue
    let metrics = Metrics()
    private let demoDone = Mutex(true)
    private let stopping = Mutex(false)
    private let lastSync = Mutex(monotonicNow())

    /// The DICOM port listened on (the configured one, or the one the system chose for port 0).
    public var dicomPort: Int { dicom.port }
    /// The HTTP port listened on.
    public var httpPort: Int { http.port }

    public init(settings: Settings, log: JSONLog) throws {
        // Buffers of a few hundred kilobytes come and go with every instance received (a STOW-RS part, a PDU's
        // data set): from the heap they are reused, mapped afresh each time they cost page faults and zeroing
        // (measured: a few percent of a STOW-RS ingest). Freed memory beyond 64 MiB still goes back.
        keepLargeBlocksInHeap()
        self.settings = settings
        self.log = log
        lock = try ArchiveLock(folder: settings.dataFolder, exclusive: false)
        let configuration = settings.archiveConfiguration
        archive = try Archive(configuration: configuration, log: log.sink("archive"))

        var server = ServerConfiguration(aeTitle: settings.aeTitle, port: settings.dicomPort)
        server.host = settings.dicomHost
        server.maximumAssociations = settings.maximumAssociations
        server.policy.maximumPDULength = settings.maximumPDU
        server.policy.preferOurTransferSyntaxOrder = settings.preferOurTransferSyntaxes
        server.policy.extendedNegotiation = QueryRetrieveModel.extendedNegotiationReply
        if !settings.allowedCallers.isEmpty {
            server.policy.allowedCallers = settings.allowedCallers.map { spec in
                let parts = spec.split(separator: "@", maxSplits: 1).map(String.init)
                return AllowedCaller(aeTitle: parts[0], hosts: parts.count > 1 ? [parts[1]] : nil)
            }
        }
        server.timeouts.artim = settings.artimTimeout
        server.timeouts.idle = settings.idleTimeout
        server.timeouts.pdu = settings.pduTimeout
        if settings.tlsCertificate != nil || settings.tlsPrivateKey != nil {
            guard let certificate = settings.tlsCertificate, let key = settings.tlsPrivateKey else {
                throw SettingsError("dicom.tls.certificate and dicom.tls.private_key go together")
            }
            let tls = try TLSContext(server: true, configuration: TLSConfiguration(
                certificateFile: certificate, privateKeyFile: key, caFile: settings.tlsCA,
                verifyPeer: settings.tlsRequireClientCertificate, requirePeerCertificate: settings.tlsRequireClientCertificate))
            server.wrapConnection = { tcp in try tls.secure(tcp) }
        }
        do { nodes = try SQLiteNodeStore(path: settings.dataFolder + "/nodes.sqlite") } catch {
            throw SettingsError("\(error)")
        }
        jobs = JobQueue()
        let services = ArchiveServices(archive: archive, settings: settings, nodes: nodes, log: log.sink("archive"))
        dicom = try DICOMServer(configuration: server, services: ServiceSet(storage: services, query: services, retrieve: services),
                                log: log.sink("dicom"))
        // Secure by default: beyond this machine only once an admin user exists to hold the keys.
        let users: SQLiteUserStore
        do { users = try SQLiteUserStore(path: settings.dataFolder + "/users.sqlite") } catch {
            dicom.stop()
            throw error
        }
        let hasAdmin = ((try? users.list()) ?? []).contains { $0.role == .admin }
        guard isLoopback(settings.httpHost) || hasAdmin else {
            dicom.stop()
            throw SettingsError("http.host \(settings.httpHost): listening for HTTP beyond this machine needs an admin user "
                                + "first (lightbox users add NAME --role admin)")
        }
        var web = HTTPConfiguration()
        web.host = settings.httpHost
        web.port = settings.httpPort
        web.threads = settings.httpThreads
        web.requestTimeout = settings.httpRequestTimeout
        web.keepAliveTimeout = settings.httpKeepAliveTimeout
        web.maximumHeaderBytes = settings.httpMaximumHeaderBytes
        web.maximumBodyBytes = settings.httpMaximumBodyBytes
        web.cors = CORSPolicy(origins: settings.httpCORSOrigins)
        web.compression = CompressionPolicy(enabled: settings.httpCompression)
        if settings.httpTLSCertificate != nil || settings.httpTLSPrivateKey != nil {
            guard let certificate = settings.httpTLSCertificate, let key = settings.httpTLSPrivateKey else {
                dicom.stop()
                throw SettingsError("http.tls.certificate and http.tls.private_key go together")
            }
            web.tls = TLSConfiguration(certificateFile: certificate, privateKeyFile: key, verifyPeer: false)
        }
        let metrics = self.metrics
        web.observer = { method, path, status, seconds in metrics.observe(method: method, path: path, status: status, seconds: seconds) }
        let httpLog = log.sink("http")
        do {
            var admin = AdminConfiguration()
            admin.aeTitle = settings.aeTitle
            admin.configuredNodes = settings.modalities.map { RemoteNode(configured: $0) }
            admin.dicomTLS = TLSConfiguration(certificateFile: settings.tlsCertificate, privateKeyFile: settings.tlsPrivateKey,
                                              caFile: settings.tlsCA, verifyPeer: true)
            admin.timeouts.artim = settings.artimTimeout
            admin.timeouts.pdu = settings.pduTimeout
            admin.maximumResults = settings.dicomWebMaximumResults
            admin.httpCAFile = settings.httpClientCA
            admin.caseInsensitivePersonNames = settings.caseInsensitivePersonNames
            let adminLog = log.sink("api")
            let service = AdminService(archive: archive, nodes: nodes, jobs: jobs, configuration: admin,
                                       converter: { file, syntax in try file.transcodingPixels(to: syntax) },
                                       log: { message in adminLog(.info, message) })
            let dicomServer = dicom
            let routes = WebRoutes(archive: archive, settings: settings, auth: WebAuthentication(users: users), admin: service,
                                   metrics: metrics, dicomStatistics: { dicomServer.statistics },
                                   log: { message in httpLog(.warning, message) })
            http = try HTTPServer(configuration: web, router: routes.router,
                                  log: { message in httpLog(.warning, message) })
        } catch {
            dicom.stop()
            throw error
        }
        let stats = (try? archive.index.statistics()) ?? IndexStatistics()
        log.log(.info, "server", "listening", [
            ("ae_title", settings.aeTitle), ("dicom", "\(settings.dicomHost):\(dicom.port)"),
            ("http", "\(web.tls != nil ? "https" : "http")://\(settings.httpHost):\(http.port)"),
            ("tls", server.wrapConnection == nil ? "off" : "on"), ("data", settings.dataFolder),
            ("studies", String(stats.studies)), ("instances", String(stats.instances)),
        ])
        if ((try? users.list()) ?? []).isEmpty {
            // Every DICOMweb and API route wants a user: say how to make the first, where the operator looks.
            log.log(.warning, "server", "no web users yet: DICOMweb and the API answer 401 until one exists; add an administrator "
                    + "with: lightbox users add NAME --role admin --data \(settings.dataFolder)")
        }
        startDemoIfFirstStart(empty: stats.instances == 0)
        startIndexSync()
    }

    /// Stored files are durable at once; the index log is synced every few seconds, which bounds what a
    /// recovery after a crash has to look at.
    func startIndexSync() {
        startThread(name: "index-sync") { [self] in
            while !stopping.withLock({ $0 }) {
                usleep(200_000)
                if monotonicNow() - lastSync.withLock({ $0 }) < 5 { continue }
                lastSync.withLock { $0 = monotonicNow() }
                do { try archive.sync() } catch { log.log(.error, "archive", "cannot sync the index: \(error)") }
            }
        }
    }

    /// On the first start of an empty archive the demo studies go in (in the background, the server already
    /// answering), so that a new user can query and retrieve at once. A start interrupted while loading them
    /// finishes the job next time.
    func startDemoIfFirstStart(empty: Bool) {
        let initialized = settings.dataFolder + "/.initialized"
        let pending = settings.dataFolder + "/.demo-pending"
        var load = access(pending, F_OK) == 0
        if access(initialized, F_OK) != 0 {
            if settings.loadDemoOnFirstStart && empty {
                touch(pending)
                load = true
            }
            touch(initialized)
        }
        guard load else { return }
        demoDone.withLock { $0 = false }
        startThread(name: "demo-loader") { [self] in
            var demo = DemoStudies()
            demo.ctSlices = settings.demoCTSlices
            log.log(.info, "demo", "loading demo studies", [("instances", String(demo.fileCount))])
            var stored = 0, failed = 0
            do {
                try demo.generate { _, file in
                    switch archive.importData(Bytes(try file.encodedData())) {
                    case .stored, .alreadyStored: stored += 1
                    case .skipped(let why), .failed(let why):
                        failed += 1
                        log.log(.warning, "demo", "demo instance not stored: \(why)")
                    }
                }
                try archive.sync()
                if failed == 0 { unlink(pending) }
                log.log(.info, "demo", "demo studies loaded", [("instances", String(stored))])
            } catch {
                log.log(.error, "demo", "demo studies not loaded: \(error)")
            }
            demoDone.withLock { $0 = true }
        }
    }

    /// Whether the demo studies (if any were due) are in.
    public var demoLoaded: Bool { demoDone.withLock { $0 } }

    func touch(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// Stops accepting, lets running associations finish (for a while; then aborts them), and leaves the index
    /// checkpointed.
    public func stop() {
        log.log(.info, "server", "stopping")
        stopping.withLock { $0 = true }
        http.stop()
        dicom.stop()
        if let index = archive.index as? SQLiteIndex { try? index.checkpoint() }
        archive.close()
        let stats = dicom.statistics
        log.log(.info, "server", "stopped", [("associations", String(stats.accepted)), ("refused", String(stats.rejected))])
    }
}
