import DICOM

/// The service-user side of the DIMSE-C services (PS3.7 §9): the calls `lightbox echo/send/find/move/get` make,
/// and the C-MOVE sub-operations of the server.
extension Association {
    /// An accepted context for `abstractSyntax`, preferring one in `transferSyntax`.
    public func context(for abstractSyntax: String, preferring transferSyntax: String? = nil) -> AcceptedContext? {
        let candidates = acceptedContexts.values.filter { $0.abstractSyntax == abstractSyntax }.sorted { $0.id < $1.id }
        if let transferSyntax, let exact = candidates.first(where: { $0.transferSyntax == transferSyntax }) { return exact }
        return candidates.first
    }

    func requireContext(_ abstractSyntax: String) throws(AssociationError) -> AcceptedContext {
        guard let c = context(for: abstractSyntax) else {
            throw .protocolError(DIMSEError.noPresentationContext(UIDRegistry.entry(for: abstractSyntax)?.name ?? abstractSyntax).description)
        }
        return c
    }

    /// Waits for the response to `messageID`, skipping nothing else: a response to another message is a protocol
    /// error when operations are not asynchronous.
    func response(to messageID: UInt16, timeout: Double? = nil) throws(AssociationError) -> (DIMSECommand, DataSet?) {
        let (received, dataSet) = try receiveMessage(timeout: timeout)
        guard received.command.commandField?.isResponse == true,
              received.command.messageIDBeingRespondedTo == messageID else {
            throw protocolFailure("expected the response to message \(messageID), got \(received.command)")
        }
        return (received.command, dataSet)
    }

    // MARK: C-ECHO

    public func echo() throws(AssociationError) -> DIMSEStatus {
        let context = try requireContext(QueryRetrieveModel.verification)
        var rq = DIMSECommand(.cEchoRQ, hasDataSet: false)
        let id = makeMessageID()
        rq.messageID = id
        rq.affectedSOPClassUID = QueryRetrieveModel.verification
        try send(rq, context: context.id)
        return try response(to: id).0.status ?? .processingFailure
    }

    // MARK: C-STORE

    /// Stores an instance, in the file's own transfer syntax when a context allows it (sent byte for byte),
    /// converted between native syntaxes otherwise, and through `converter` (the pixel codecs) when only another
    /// syntax was accepted. Returns the C-STORE-RSP.
    public func store(_ file: DICOMFile, priority: Priority = .medium,
                      moveOriginator: (aeTitle: String, messageID: UInt16)? = nil,
                      converter: PixelConverter? = nil) throws -> DIMSECommand {
        guard let sopClass = file.dataSet.string(.sopClassUID) ?? file.fileMetaInformation.string(.mediaStorageSOPClassUID),
              let sopInstance = file.dataSet.string(.sopInstanceUID) ?? file.fileMetaInformation.string(.mediaStorageSOPInstanceUID)
        else { throw DIMSEError.invalidCommand("the file has no SOP Class UID or SOP Instance UID") }
        let candidates = acceptedContexts.values.filter { $0.abstractSyntax == sopClass }.sorted { $0.id < $1.id }
        guard let (context, sending) = try Self.choose(file, among: candidates, converter: converter) else {
            throw DIMSEError.noPresentationContext("\(UIDRegistry.entry(for: sopClass)?.name ?? sopClass) in \(file.transferSyntax.name)")
        }
        let bytes = try WireEncoding.dataSet(of: sending, in: context.transferSyntax)
        return try store(dataSet: bytes, sopClass: sopClass, sopInstance: sopInstance, context: context.id,
                         priority: priority, moveOriginator: moveOriginator)
    }

    /// The context to send `file` on, and the file as it will be sent: the file's own syntax, a native one the
    /// writer converts to, or (with a converter) the first accepted syntax the converter can produce, native first.
    static func choose(_ file: DICOMFile, among candidates: [AcceptedContext],
                       converter: PixelConverter?) throws -> (AcceptedContext, DICOMFile)? {
        if let context = candidates.first(where: { $0.transferSyntax == file.transferSyntax.uid })
            ?? candidates.first(where: { WireEncoding.canSend(file, in: $0.transferSyntax) }) {
            return (context, file)
        }
        guard let converter else { return nil }
        let ordered = candidates.filter { TransferSyntax.from(uid: $0.transferSyntax).map { !$0.isEncapsulated } ?? false }
            + candidates.filter { TransferSyntax.from(uid: $0.transferSyntax)?.isEncapsulated ?? false }
        var lastError: Error?
        for context in ordered {
            guard let syntax = TransferSyntax.from(uid: context.transferSyntax) else { continue }
            do { return (context, try converter(file, syntax)) } catch { lastError = error }
        }
        if let lastError { throw lastError }
        return nil
    }

    /// Stores an encoded data set on a given context.
    public func store(dataSet: Bytes, sopClass: String, sopInstance: String, context: UInt8, priority: Priority = .medium,
                      moveOriginator: (aeTitle: String, messageID: UInt16)? = nil) throws(AssociationError) -> DIMSECommand {
        var rq = DIMSECommand(.cStoreRQ, hasDataSet: true)
        let id = makeMessageID()
        rq.messageID = id
        rq.affectedSOPClassUID = sopClass
        rq.affectedSOPInstanceUID = sopInstance
        rq.priority = priority
        if let moveOriginator {
            rq.moveOriginatorAETitle = moveOriginator.aeTitle
            rq.moveOriginatorMessageID = moveOriginator.messageID
        }
        try send(rq, context: context, dataSet: dataSet)
        return try response(to: id).0
    }

    // MARK: C-FIND

    /// Sends a query and hands each match to `onMatch`; returning false from it sends a C-CANCEL-RQ. Returns the
    /// final response.
    public func find(_ identifier: DataSet, model: String, priority: Priority = .medium,
                     onMatch: (DataSet) -> Bool) throws -> DIMSECommand {
        let context = try requireContext(model)
        var rq = DIMSECommand(.cFindRQ, hasDataSet: true)
        let id = makeMessageID()
        rq.messageID = id
        rq.affectedSOPClassUID = model
        rq.priority = priority
        try send(rq, context: context.id, dataSet: try WireEncoding.encode(identifier, syntax: context.transferSyntax))
        var cancelled = false
        while true {
            let (response, dataSet) = try self.response(to: id)
            guard let status = response.status, status.isPending else { return response }
            if let dataSet, !cancelled, !onMatch(dataSet) {
                try cancel(id, context: context.id)
                cancelled = true
            }
        }
    }

    /// C-CANCEL-RQ for a running find, move or get (PS3.7 §9.3.2.3).
    public func cancel(_ messageID: UInt16, context: UInt8) throws(AssociationError) {
        var rq = DIMSECommand(.cCancelRQ, hasDataSet: false)
        rq.messageIDBeingRespondedTo = messageID
        try send(rq, context: context)
    }

    // MARK: C-MOVE

    /// Asks the peer to send the matches to `destination`; `onPending` sees the sub-operation counts as they come,
    /// and may return false to cancel. Returns the final response.
    public func move(_ identifier: DataSet, model: String, destination: String, priority: Priority = .medium,
                     onPending: (SuboperationCounts) -> Bool = { _ in true }) throws -> DIMSECommand {
        let context = try requireContext(model)
        var rq = DIMSECommand(.cMoveRQ, hasDataSet: true)
        let id = makeMessageID()
        rq.messageID = id
        rq.affectedSOPClassUID = model
        rq.priority = priority
        rq.moveDestination = destination
        try send(rq, context: context.id, dataSet: try WireEncoding.encode(identifier, syntax: context.transferSyntax))
        var cancelled = false
        while true {
            let (response, _) = try self.response(to: id)
            guard let status = response.status, status.isPending else { return response }
            if !cancelled, let counts = response.suboperations, !onPending(counts) {
                try cancel(id, context: context.id)
                cancelled = true
            }
        }
    }

    // MARK: C-GET

    /// Retrieves the matches over this association: the peer sends C-STORE-RQs, which `storage` receives (the
    /// requestor must have proposed the storage classes with the SCP role). Returns the final response.
    public func get(_ identifier: DataSet, model: String, priority: Priority = .medium, storage: any StorageService,
                    onPending: (SuboperationCounts) -> Bool = { _ in true }) throws -> DIMSECommand {
        let context = try requireContext(model)
        var rq = DIMSECommand(.cGetRQ, hasDataSet: true)
        let id = makeMessageID()
        rq.messageID = id
        rq.affectedSOPClassUID = model
        rq.priority = priority
        try send(rq, context: context.id, dataSet: try WireEncoding.encode(identifier, syntax: context.transferSyntax))
        let here = AssociationContext(id: 0, callingAETitle: calledAETitle, calledAETitle: callingAETitle,
                                      host: connection.remoteAddress, port: connection.remotePort, userIdentity: nil)
        var cancelled = false
        while true {
            let received = try receiveCommand()
            let command = received.command
            if command.commandField == .cStoreRQ {
                let result = try receiveStore(received, service: storage, on: here)
                try send(storeResponse(to: command, result: result), context: received.context.id)
                continue
            }
            guard command.commandField == .cGetRSP, command.messageIDBeingRespondedTo == id else {
                throw protocolFailure("unexpected \(command) during C-GET")
            }
            if command.hasDataSet { _ = try receiveDataSet(context: received.context.id) }
            guard let status = command.status, status.isPending else { return command }
            if !cancelled, let counts = command.suboperations, !onPending(counts) {
                try cancel(id, context: context.id)
                cancelled = true
            }
        }
    }

    // MARK: Receiving a C-STORE (SCP side, and the C-GET requestor)

    /// Receives the data set of a C-STORE-RQ into the storage service's sink and returns the outcome.
    func receiveStore(_ received: ReceivedCommand, service: (any StorageService)?, on association: AssociationContext)
        throws(AssociationError) -> ServiceResult {
        let command = received.command
        guard let sopClass = command.affectedSOPClassUID, let sopInstance = command.affectedSOPInstanceUID else {
            if command.hasDataSet { _ = try receiveDataSet(context: received.context.id) }
            return ServiceResult(.cannotUnderstand, comment: "C-STORE-RQ without an affected SOP class or instance")
        }
        var discard = DiscardSink()
        guard command.hasDataSet else { return ServiceResult(.cannotUnderstand, comment: "C-STORE-RQ without a data set") }
        guard let service else {
            try receiveDataSet(context: received.context.id, into: &discard)
            return ServiceResult(.sopClassNotSupported, comment: "storage is not offered here")
        }
        let request = StoreRequest(command: command, sopClassUID: sopClass, sopInstanceUID: sopInstance,
                                   transferSyntax: received.context.transferSyntax)
        let sink: any StoreSink
        do {
            sink = try service.beginStore(request, on: association)
        } catch {
            try receiveDataSet(context: received.context.id, into: &discard)
            return ServiceResult(error.status, comment: error.comment)
        }
        var writer = SinkWriter(sink: sink)
        let sinkError: Error?
        do {
            sinkError = try receiveDataSet(context: received.context.id, into: &writer)
        } catch {
            sink.cancel()
            throw error
        }
        if let sinkError {
            sink.cancel()
            return ServiceResult(.outOfResources, comment: "\(sinkError)")
        }
        return sink.finish()
    }

    func storeResponse(to request: DIMSECommand, result: ServiceResult) -> DIMSECommand {
        var rsp = DIMSECommand(.cStoreRSP, hasDataSet: false)
        rsp.messageIDBeingRespondedTo = request.messageID
        rsp.affectedSOPClassUID = request.affectedSOPClassUID
        rsp.affectedSOPInstanceUID = request.affectedSOPInstanceUID
        rsp.status = result.status
        rsp.errorComment = result.comment
        return rsp
    }
}

/// Throws every fragment away (a refused C-STORE's data set must still be read off the wire).
struct DiscardSink: DataSink {
    mutating func write(_ bytes: Bytes) throws {}
}

/// Adapts a StoreSink (a class) to the DataSink the association writes into.
struct SinkWriter: DataSink {
    let sink: any StoreSink
    mutating func write(_ bytes: Bytes) throws {
        var s = sink
        try s.write(bytes)
    }
}
