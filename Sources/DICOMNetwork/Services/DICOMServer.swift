#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DICOM
import Synchronization

/// How a DICOM server listens and negotiates.
public struct ServerConfiguration: Sendable {
    /// Address to listen on: the local host by default (secure by default); "0.0.0.0" or "::" for every address.
    public var host: String? = "127.0.0.1"
    public var port: Int = 11112
    public var policy: AssociationPolicy
    public var timeouts = AssociationTimeouts()
    /// Associations served at once; further ones are rejected (transient, local limit exceeded).
    public var maximumAssociations = 32
    /// Wraps each accepted connection before negotiation (TLS).
    public var wrapConnection: (@Sendable (TCPConnection) throws -> Connection)?

    public init(aeTitle: String, port: Int = 11112) {
        policy = AssociationPolicy(aeTitle: aeTitle)
        self.port = port
    }
}

/// A DICOM SCP: a listener, one thread per association, and the services the associations are dispatched to.
public final class DICOMServer: Sendable {
    public let configuration: ServerConfiguration
    public let services: ServiceSet
    let log: NetworkLogger
    private let listener: TCPListener
    private let state = Mutex(State())

    struct State {
        var stopping = false
        var acceptLoopDone = false
        var nextID: UInt64 = 1
        var active: [UInt64: Association] = [:]
        /// Connections being negotiated (not yet counted as associations).
        var negotiating = 0
        /// Negotiations holding a place under the limit: their A-ASSOCIATE-AC may be on its way before they are
        /// counted as active, and a requestor that opens another at once must find the place taken.
        var reserved = 0
        var totalAccepted = 0
        var totalRejected = 0
    }

    /// The port listened on (useful when configured with port 0).
    public var port: Int { listener.port }

    /// Binds the port (failing here, not later, when it is taken) and starts accepting.
    public init(configuration: ServerConfiguration, services: ServiceSet, log: @escaping NetworkLogger = { _, _ in }) throws {
        var configuration = configuration
        DICOMServer.offer(services, in: &configuration.policy)
        self.configuration = configuration
        self.services = services
        self.log = log
        listener = try TCPListener(host: configuration.host, port: configuration.port)
        startThread(name: "dicom-accept") { [self] in self.acceptLoop() }
    }

    /// Adds what the services need to the negotiation policy.
    static func offer(_ services: ServiceSet, in policy: inout AssociationPolicy) {
        // Commands and identifiers carry no pixel data: the native syntaxes are all they need.
        let native: [String]? = [TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid,
                                 TransferSyntax.deflatedExplicitVRLittleEndian.uid, TransferSyntax.explicitVRBigEndian.uid]
        policy.abstractSyntaxes[QueryRetrieveModel.verification] = native
        if services.storage != nil { policy.acceptAnyStorageClass = true }
        if services.query != nil {
            for model in services.queryModels { policy.abstractSyntaxes[model] = native }
        }
        if services.retrieve != nil {
            for model in QueryRetrieveModel.moveModels + QueryRetrieveModel.getModels { policy.abstractSyntaxes[model] = native }
            policy.acceptAnyStorageClassForSCPRole = true
        }
        for service in services.normalized {
            for uid in service.sopClassUIDs { policy.abstractSyntaxes[uid] = native }
        }
    }

    public var activeAssociations: Int { state.withLock { $0.active.count } }

    func acceptLoop() {
        while !state.withLock({ $0.stopping }) {
            let connection: TCPConnection
            do {
                guard let c = try listener.accept(timeout: 0.25) else { continue }
                connection = c
            } catch {
                // Closing the listener on stop wakes the poll with an error: not worth a log line then.
                if !state.withLock({ $0.stopping }) { log(.error, "accept: \(error)") }
                continue
            }
            // Bound the threads too: negotiations in flight count against twice the association limit.
            let admitted = state.withLock { s -> Bool in
                guard s.negotiating + s.active.count < 2 * configuration.maximumAssociations + 4 else { return false }
                s.negotiating += 1
                return true
            }
            guard admitted else {
                connection.close()
                continue
            }
            startThread(name: "dicom-association") { [self] in
                self.serve(connection)
            }
        }
        state.withLock { $0.acceptLoopDone = true }
    }

    func serve(_ tcp: TCPConnection) {
        let connection: Connection
        do {
            connection = try configuration.wrapConnection?(tcp) ?? tcp
        } catch {
            log(.warning, "connection from \(tcp.remoteAddress): \(error)")
            tcp.close()
            state.withLock { $0.negotiating -= 1 }
            return
        }
        let overLimit = state.withLock { s -> Bool in
            guard s.active.count + s.reserved < configuration.maximumAssociations else { return true }
            s.reserved += 1
            return false
        }
        let association = Association.accept(connection: connection, policy: configuration.policy,
                                             timeouts: configuration.timeouts, overLimit: overLimit) { rq, why in
            log(.info, "association from \(rq?.callingAETitle ?? "?") at \(tcp.remoteAddress) not established: \(why)")
        }
        let id: UInt64? = state.withLock { s in
            s.negotiating -= 1
            if !overLimit { s.reserved -= 1 }
            guard let association else {
                s.totalRejected += 1
                return nil
            }
            // Established even if a stop began meanwhile: it is served like the others until the grace ends.
            let id = s.nextID
            s.nextID += 1
            s.active[id] = association
            s.totalAccepted += 1
            return id
        }
        guard let association, let id else {
            association?.abort()
            return
        }
        let context = AssociationContext(id: id, callingAETitle: association.callingAETitle, calledAETitle: association.calledAETitle,
                                         host: connection.remoteAddress, port: connection.remotePort,
                                         userIdentity: association.request.userInformation.userIdentity)
        log(.info, "association \(id) accepted from \(context.callingAETitle) at \(context.host):\(context.port), "
            + "\(association.acceptedContexts.count) of \(association.request.presentationContexts.count) contexts")
        ServiceDispatcher(association: association, services: services, context: context,
                          localAETitle: configuration.policy.aeTitle, log: log).run()
        state.withLock { _ = $0.active.removeValue(forKey: id) }
    }

    /// Stops accepting; lets running associations finish for up to `grace` seconds, then aborts them.
    public func stop(grace: Double = 10) {
        state.withLock { $0.stopping = true }
        listener.close()
        let deadline = monotonicNow() + grace
        while monotonicNow() < deadline {
            let busy = state.withLock { !$0.active.isEmpty || $0.negotiating > 0 || !$0.acceptLoopDone }
            if !busy { return }
            usleep(20_000)
        }
        let remaining = state.withLock { Array($0.active.values) }
        for association in remaining { association.abort(source: .serviceProvider) }
    }

    public var statistics: (accepted: Int, rejected: Int, active: Int) {
        state.withLock { ($0.totalAccepted, $0.totalRejected, $0.active.count) }
    }
}
