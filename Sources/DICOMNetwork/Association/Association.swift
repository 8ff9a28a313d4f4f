import DICOM

/// Why an association ended or could not do what was asked.
public enum AssociationError: Error, Equatable, CustomStringConvertible {
    case rejected(AAssociateRJ)
    case aborted(AAbort)
    /// We aborted it: the peer broke the protocol.
    case protocolError(String)
    case network(NetworkError)
    /// The peer asked to release while we waited for a message.
    case releasedByPeer
    case notEstablished

    public var description: String {
        switch self {
        case .rejected(let rj): return rj.description
        case .aborted(let a): return a.description
        case .protocolError(let m): return "protocol error: \(m); association aborted"
        case .network(let e): return e.description
        case .releasedByPeer: return "the peer released the association"
        case .notEstablished: return "the association is not established"
        }
    }
}

/// A presentation context both sides agreed on.
public struct AcceptedContext: Sendable, Equatable {
    public var id: UInt8
    public var abstractSyntax: String
    public var transferSyntax: String
    /// From SCP/SCU role selection: whether the requestor may act as SCU and as SCP on this context.
    public var requestorIsSCU: Bool = true
    public var requestorIsSCP: Bool = false
}

/// Time limits of an association, in seconds.
public struct AssociationTimeouts: Sendable {
    /// ARTIM (PS3.8 §9.1.5): waiting for the A-ASSOCIATE-RQ after a connection, and for the close after a release.
    public var artim: Double = 30
    /// Waiting for the peer to begin its next message.
    public var idle: Double? = 300
    /// Receiving the rest of a PDU once it has begun.
    public var pdu: Double = 60
    /// Connecting and waiting for the A-ASSOCIATE-AC.
    public var connect: Double = 30

    public init() {}
}

/// A command received on an association, with the presentation context it came on.
public struct ReceivedCommand: Sendable {
    public var command: DIMSECommand
    public var context: AcceptedContext
}

/// Where the data set of a message goes, fragment by fragment, as it arrives (a file, for C-STORE).
public protocol DataSink {
    mutating func write(_ bytes: Bytes) throws
}

/// Collects a data set in memory, up to a limit (identifiers, N-service data sets).
public struct MemoryDataSink: DataSink {
    public var chunks: [Bytes] = []
    public var count = 0
    public let limit: Int

    public init(limit: Int = 64 << 20) { self.limit = limit }

    public mutating func write(_ bytes: Bytes) throws {
        count += bytes.count
        guard count <= limit else { throw DIMSEError.dataSetTooLarge(limit: limit) }
        chunks.append(bytes)
    }

    /// The whole data set; one fragment is returned as it is, without a copy.
    public var bytes: Bytes {
        if chunks.count == 1 { return chunks[0] }
        var all = [UInt8]()
        all.reserveCapacity(count)
        for c in chunks { c.withUnsafeBytes { all.append(contentsOf: $0) } }
        return Bytes(all)
    }
}

/// A DICOM association (PS3.8): the Upper Layer state machine driven over a connection, and DIMSE messages
/// fragmented into and reassembled from P-DATA-TF PDUs. Used by one thread at a time.
public final class Association: @unchecked Sendable {
    public let isRequestor: Bool
    public let connection: Connection
    let reader: PDUReader
    var machine: UpperLayerStateMachine
    public let timeouts: AssociationTimeouts

    public internal(set) var request: AAssociateRQ
    public internal(set) var response: AAssociateAC?
    public internal(set) var acceptedContexts: [UInt8: AcceptedContext] = [:]
    /// The largest P-DATA-TF variable field we accept (told to the peer).
    public let localMaximumLength: Int
    /// The largest the peer accepts (0: no limit, for which fragments of 1 MiB are sent).
    public internal(set) var peerMaximumLength: Int = 0

    private var pendingValues: [PresentationDataValue] = []
    private var pendingIndex = 0
    private var nextMessageID: UInt16 = 1

    init(connection: Connection, isRequestor: Bool, request: AAssociateRQ, localMaximumLength: Int,
         timeouts: AssociationTimeouts) {
        self.connection = connection
        self.isRequestor = isRequestor
        self.request = request
        self.localMaximumLength = localMaximumLength
        self.timeouts = timeouts
        reader = PDUReader(connection: connection)
        machine = UpperLayerStateMachine(isRequestor: isRequestor)
    }

    public var state: UpperLayerStateMachine.State { machine.state }
    public var isEstablished: Bool { machine.state == .sta6 }
    public var callingAETitle: String { request.callingAETitle }
    public var calledAETitle: String { request.calledAETitle }

    /// A message ID not yet used on this association.
    public func makeMessageID() -> UInt16 {
        defer { nextMessageID = nextMessageID == UInt16.max ? 1 : nextMessageID + 1 }
        return nextMessageID
    }

    // MARK: Sending PDUs

    func send(_ pdu: PDU) throws(AssociationError) {
        let bytes = PDUCodec.encode(pdu)
        do {
            try bytes.withUnsafeBytes { try connection.write([$0]) }
        } catch {
            throw .network(error as? NetworkError ?? .io("\(error)"))
        }
    }

    /// Sends an A-ABORT and closes: the peer broke the protocol, or the local user gave up (PS3.8 AA-1, AA-8).
    public func abort(source: AAbort.Source = .serviceUser, reason: UInt8 = AAbort.reasonNotSpecified) {
        if machine.state != .sta1 && machine.state != .sta13 {
            _ = machine.handle(source == .serviceUser ? .abortRequest : .invalidPDUReceived)
            try? send(.abort(AAbort(source: source, reason: reason)))
        }
        close()
    }

    public func close() {
        connection.close()
    }

    /// Aborts for a protocol error and returns the error to throw.
    func protocolFailure(_ message: String, reason: UInt8 = AAbort.unexpectedPDU) -> AssociationError {
        abort(source: .serviceProvider, reason: reason)
        return .protocolError(message)
    }

    // MARK: Sending DIMSE messages

    /// The data PDV size: the peer's limit less the PDV header (4-byte length, context ID, control header).
    var fragmentSize: Int {
        let limit = peerMaximumLength == 0 ? 1 << 20 : peerMaximumLength
        // Fragments of even length: DCMTK refuses odd ones, and a peer may announce an odd maximum.
        return max((limit - 6) & ~1, 2)
    }

    /// Sends a command and, when given, its data set in the context's transfer syntax, fragmented to the peer's
    /// maximum PDU length. The data set is written from its own memory (a mapped file, say) without copies.
    public func send(_ command: DIMSECommand, context: UInt8, dataSet: Bytes? = nil) throws(AssociationError) {
        guard machine.state == .sta6 || machine.state == .sta8 else { throw .notEstablished }
        var command = command
        command.hasDataSet = dataSet != nil
        let encoded = command.encoded()
        try sendFragments(Bytes(encoded), context: context, isCommand: true)
        if let dataSet {
            try sendFragments(dataSet, context: context, isCommand: false)
        }
    }

    func sendFragments(_ bytes: Bytes, context: UInt8, isCommand: Bool) throws(AssociationError) {
        let size = fragmentSize
        var offset = 0
        repeat {
            let n = min(size, bytes.count - offset)
            let last = offset + n == bytes.count
            _ = machine.handle(.dataRequest)
            let header = PDUCodec.dataHeader(contextID: context, isCommand: isCommand, isLast: last, dataLength: n)
            do {
                try header.withUnsafeBytes { h in
                    try bytes[offset..<offset + n].withUnsafeBytes { d in try connection.write([h, d]) }
                }
            } catch {
                throw .network(error as? NetworkError ?? .io("\(error)"))
            }
            offset += n
        } while offset < bytes.count
    }

    // MARK: Receiving DIMSE messages

    /// Receives PDUs until a whole command set has arrived. A release request from the peer ends the wait with
    /// `.releasedByPeer` (the caller answers it with `acceptRelease()`).
    public func receiveCommand(timeout: Double? = nil) throws(AssociationError) -> ReceivedCommand {
        var fragments = MemoryDataSink(limit: 1 << 20)
        var context: AcceptedContext?
        while true {
            let pdv = try nextValue(timeout: context == nil ? (timeout ?? timeouts.idle) : timeouts.pdu)
            guard pdv.isCommand else {
                throw protocolFailure("a data set fragment where a command was expected")
            }
            guard let accepted = acceptedContexts[pdv.contextID] else {
                throw protocolFailure("presentation context \(pdv.contextID) was not accepted")
            }
            if let context, context.id != pdv.contextID {
                throw protocolFailure("a command's fragments on two presentation contexts")
            }
            context = accepted
            do { try fragments.write(pdv.data) } catch { throw protocolFailure("a command set over 1 MiB") }
            if pdv.isLast { break }
        }
        do {
            return ReceivedCommand(command: try DIMSECommand.decode(fragments.bytes), context: context!)
        } catch {
            throw protocolFailure("undecodable command set: \(error)", reason: AAbort.invalidPDUParameterValue)
        }
    }

    /// Receives the data set that follows a command, fragment by fragment, into `sink`. A sink error (a full
    /// disk) stops writing but the rest of the data set is still read, so that the association can go on with a
    /// failure status; that error is returned.
    @discardableResult
    public func receiveDataSet<S: DataSink>(context: UInt8, into sink: inout S) throws(AssociationError) -> Error? {
        var sinkError: Error?
        while true {
            let pdv = try nextValue(timeout: timeouts.pdu)
            guard !pdv.isCommand else { throw protocolFailure("a command fragment inside a data set") }
            guard pdv.contextID == context else { throw protocolFailure("a data set's fragments on two presentation contexts") }
            if sinkError == nil {
                do { try sink.write(pdv.data) } catch { sinkError = error }
            }
            if pdv.isLast { return sinkError }
        }
    }

    /// Receives a data set into memory (identifiers and the like), refusing more than `limit` bytes.
    public func receiveDataSet(context: UInt8, limit: Int = 64 << 20) throws(AssociationError) -> Bytes {
        var sink = MemoryDataSink(limit: limit)
        if let error = try receiveDataSet(context: context, into: &sink) {
            throw protocolFailure("\(error)", reason: AAbort.reasonNotSpecified)
        }
        return sink.bytes
    }

    /// Receives a whole message: the command and, if it has one, its data set parsed in the context's syntax.
    public func receiveMessage(timeout: Double? = nil) throws(AssociationError) -> (ReceivedCommand, DataSet?) {
        let received = try receiveCommand(timeout: timeout)
        guard received.command.hasDataSet else { return (received, nil) }
        let bytes = try receiveDataSet(context: received.context.id)
        let syntax = TransferSyntax.resolving(uid: received.context.transferSyntax)
        do {
            return (received, try DICOMFile.parseDataSet(bytes, transferSyntax: syntax, options: .standard))
        } catch {
            throw protocolFailure("undecodable data set: \(error)", reason: AAbort.invalidPDUParameterValue)
        }
    }

    /// Whether the peer has sent something not yet read (a C-CANCEL during a C-FIND, say).
    public var hasPendingInput: Bool { pendingIndex < pendingValues.count || connection.hasPendingInput() }

    /// The next PDV, reading PDUs as needed and answering those that are not data.
    func nextValue(timeout: Double?) throws(AssociationError) -> PresentationDataValue {
        if pendingIndex < pendingValues.count {
            defer { pendingIndex += 1 }
            return pendingValues[pendingIndex]
        }
        while true {
            let pdu = try readPDU(timeout: timeout)
            switch pdu {
            case .data(let p):
                guard let action = machine.handle(.dataReceived), action == .dt2 || action == .ar6 else {
                    throw protocolFailure("P-DATA-TF in state \(machine.state)")
                }
                pendingValues = p.values
                pendingIndex = 1
                return p.values[0]
            case .releaseRQ:
                let action = machine.handle(.releaseRQReceived)
                if action == .ar2 || action == .ar8 { throw .releasedByPeer }
                throw protocolFailure("A-RELEASE-RQ in state \(machine.state)")
            case .abort(let a):
                _ = machine.handle(.abortReceived)
                close()
                throw .aborted(a)
            default:
                throw protocolFailure("unexpected \(pdu.name)")
            }
        }
    }

    /// The next PDU: `timeout` bounds the wait for its first byte, `pduTimeout` (default: the association's) the
    /// rest of it.
    func readPDU(timeout: Double?, pduTimeout: Double? = nil) throws(AssociationError) -> PDU {
        do {
            return try reader.next(maximumLength: localMaximumLength == 0 ? 1 << 24 : localMaximumLength,
                                   idleTimeout: timeout, pduTimeout: pduTimeout ?? timeouts.pdu)
        } catch {
            switch error {
            case .network(let e):
                if e == .closed {
                    _ = machine.handle(.transportClosed)
                    close()
                    throw .network(.closed)
                }
                if e.isTimeout { abort(source: .serviceProvider) } else { close() }
                throw .network(e)
            case .decoding(let e):
                throw protocolFailure(e.message, reason: e.abortReason)
            case .tooLong(let type, let length, let limit):
                throw protocolFailure("PDU type \(hexByte(type)) of \(length) bytes exceeds the limit of \(limit)",
                                      reason: AAbort.invalidPDUParameterValue)
            }
        }
    }

    // MARK: Release

    /// Releases the association (requestor side: A-RELEASE-RQ, then the RP, then close).
    public func release() throws(AssociationError) {
        guard machine.handle(.releaseRequest) == .ar1 else { close(); throw .notEstablished }
        try send(.releaseRQ)
        while true {
            let pdu = try readPDU(timeout: timeouts.artim)
            switch pdu {
            case .releaseRP:
                _ = machine.handle(.releaseRPReceived)
                close()
                return
            case .releaseRQ:
                // Release collision (PS3.8 §9.2.3): the requestor answers, then waits for the RP.
                _ = machine.handle(.releaseRQReceived)
                _ = machine.handle(.releaseResponse)
                try send(.releaseRP)
            case .data:
                // P-DATA still arriving (AR-6): a late response nobody waits for now.
                _ = machine.handle(.dataReceived)
            case .abort(let a):
                _ = machine.handle(.abortReceived)
                close()
                throw .aborted(a)
            default:
                throw protocolFailure("unexpected \(pdu.name) while releasing")
            }
        }
    }

    /// Answers the peer's A-RELEASE-RQ (acceptor side, AR-4), then waits for it to close (Sta13, ARTIM).
    public func acceptRelease() {
        if machine.handle(.releaseResponse) != nil {
            try? send(.releaseRP)
        }
        waitForPeerClose()
    }

    /// Sta13: the peer closes the connection within ARTIM. An A-ABORT closes at once (AA-2); other PDUs are
    /// ignored (AA-6), and anything unreadable ends the wait.
    func waitForPeerClose() {
        let deadline = monotonicNow() + timeouts.artim
        while true {
            let left = deadline - monotonicNow()
            guard left > 0 else { break }
            guard let pdu = try? reader.next(maximumLength: 1 << 20, idleTimeout: left, pduTimeout: left) else { break }
            if case .abort = pdu {
                _ = machine.handle(.abortReceived)
                break
            }
        }
        close()
    }
}
