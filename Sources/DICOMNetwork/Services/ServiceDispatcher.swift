import DICOM

/// The service-provider side of an established association: reads requests one at a time and answers each from
/// the services (PS3.7 §9, §10). Every request of every association passes here, which is where permissions and
/// the audit trail will hook in.
struct ServiceDispatcher {
    let association: Association
    let services: ServiceSet
    let context: AssociationContext
    let localAETitle: String
    let log: NetworkLogger

    /// Serves until the peer releases or aborts, or the association fails.
    func run() {
        while true {
            let received: ReceivedCommand
            do {
                received = try association.receiveCommand()
            } catch .releasedByPeer {
                association.acceptRelease()
                log(.info, "association \(context.id) released by \(context.callingAETitle)")
                return
            } catch {
                log(.warning, "association \(context.id) with \(context.callingAETitle): \(error)")
                return
            }
            do {
                try handle(received)
            } catch {
                log(.warning, "association \(context.id) with \(context.callingAETitle): \(error)")
                association.abort(source: .serviceProvider)
                return
            }
        }
    }

    func handle(_ received: ReceivedCommand) throws {
        let command = received.command
        switch command.commandField {
        case .cEchoRQ:
            var rsp = DIMSECommand(.cEchoRSP, hasDataSet: false)
            rsp.messageIDBeingRespondedTo = command.messageID
            rsp.affectedSOPClassUID = command.affectedSOPClassUID ?? QueryRetrieveModel.verification
            rsp.status = .success
            if command.hasDataSet { _ = try association.receiveDataSet(context: received.context.id) }
            try association.send(rsp, context: received.context.id)
        case .cStoreRQ:
            let result = try association.receiveStore(received, service: services.storage, on: context)
            if result.status.isFailure {
                log(.warning, "C-STORE of \(command.affectedSOPInstanceUID ?? "?") from \(context.callingAETitle): \(result.status) \(result.comment ?? "")")
            }
            try association.send(association.storeResponse(to: command, result: result), context: received.context.id)
        case .cFindRQ:
            try handleFind(received)
        case .cMoveRQ, .cGetRQ:
            try RetrieveOperation(dispatcher: self, received: received).run()
        case .cCancelRQ:
            // A cancel for an operation already finished: nothing to do (PS3.7 §9.3.2.3).
            break
        case .nEventReportRQ, .nGetRQ, .nSetRQ, .nActionRQ, .nCreateRQ, .nDeleteRQ:
            try handleNormalized(received)
        default:
            if command.hasDataSet { _ = try association.receiveDataSet(context: received.context.id) }
            guard let field = command.rawCommandField, field & 0x8000 == 0, let id = command.messageID else {
                throw AssociationError.protocolError("unexpected \(command)")
            }
            // An unknown request: answer "unrecognized operation" on a response of the same field.
            var rsp = DIMSECommand(dataSet: DataSet())
            rsp.dataSet.set(DataElement(tag: DIMSECommand.Tags.commandGroupLength, vr: .UL, integers: [UInt32(0)]))
            rsp.dataSet.set(DataElement(tag: DIMSECommand.Tags.commandField, vr: .US, integers: [field | 0x8000]))
            rsp.hasDataSet = false
            rsp.messageIDBeingRespondedTo = id
            rsp.status = .unrecognizedOperation
            try association.send(rsp, context: received.context.id)
        }
    }

    // MARK: C-FIND

    func handleFind(_ received: ReceivedCommand) throws {
        let command = received.command
        let contextID = received.context.id
        let syntax = received.context.transferSyntax
        var rsp = DIMSECommand(.cFindRSP, hasDataSet: false)
        rsp.messageIDBeingRespondedTo = command.messageID
        rsp.affectedSOPClassUID = command.affectedSOPClassUID
        guard command.hasDataSet else {
            rsp.status = .identifierDoesNotMatchSOPClass
            rsp.errorComment = "C-FIND-RQ without an identifier"
            return try association.send(rsp, context: contextID)
        }
        let bytes = try association.receiveDataSet(context: contextID, limit: 16 << 20)
        guard let identifier = try? WireEncoding.decode(bytes, syntax: syntax) else {
            rsp.status = .identifierDoesNotMatchSOPClass
            rsp.errorComment = "the identifier cannot be read"
            return try association.send(rsp, context: contextID)
        }
        guard let query = services.query else {
            rsp.status = .sopClassNotSupported
            return try association.send(rsp, context: contextID)
        }
        let extended = association.response?.userInformation.extendedNegotiations
            .first { $0.sopClassUID == received.context.abstractSyntax }
        let request = FindRequest(command: command, sopClassUID: received.context.abstractSyntax, identifier: identifier,
                                  relationalQueries: extended?.relationalQueries ?? false,
                                  combinedDateTimeMatching: extended?.combinedDateTimeMatching ?? false,
                                  fuzzySemanticMatching: extended?.fuzzySemanticMatching ?? false)
        var cancelled = false
        let result = query.find(request, on: context) { match in
            if try cancelRequested(for: command.messageID) {
                cancelled = true
                return false
            }
            var pending = rsp
            pending.status = .pending
            try association.send(pending, context: contextID, dataSet: try WireEncoding.encode(match, syntax: syntax))
            return true
        }
        rsp.status = cancelled ? .cancel : result.status
        rsp.errorComment = result.comment
        try association.send(rsp, context: contextID)
    }

    /// Between responses: whether the requestor has sent a C-CANCEL-RQ for this message (PS3.7 §9.1.2.1).
    /// Anything else arriving now is a protocol error, since operations are not asynchronous.
    func cancelRequested(for messageID: UInt16?) throws -> Bool {
        guard association.hasPendingInput else { return false }
        let next = try association.receiveCommand(timeout: association.timeouts.pdu)
        guard next.command.commandField == .cCancelRQ else {
            throw AssociationError.protocolError("\(next.command) while an operation is running")
        }
        return next.command.messageIDBeingRespondedTo == messageID
    }

    // MARK: N-services

    func handleNormalized(_ received: ReceivedCommand) throws {
        let command = received.command
        let contextID = received.context.id
        var dataSet: DataSet?
        if command.hasDataSet {
            let bytes = try association.receiveDataSet(context: contextID)
            dataSet = try? WireEncoding.decode(bytes, syntax: received.context.transferSyntax)
        }
        let field = command.commandField!
        var rsp = DIMSECommand(field.response!, hasDataSet: false)
        rsp.messageIDBeingRespondedTo = command.messageID
        rsp.affectedSOPClassUID = command.sopClassUID
        rsp.affectedSOPInstanceUID = command.sopInstanceUID
        if field == .nEventReportRQ { rsp.eventTypeID = command.eventTypeID }
        if field == .nActionRQ { rsp.actionTypeID = command.actionTypeID }
        guard let sopClass = command.sopClassUID,
              let service = services.normalized.first(where: { $0.sopClassUIDs.contains(sopClass) }) else {
            rsp.status = .noSuchSOPClass
            return try association.send(rsp, context: contextID)
        }
        let response = service.handle(NRequest(command: command, dataSet: dataSet, transferSyntax: received.context.transferSyntax),
                                      on: context)
        rsp.status = response.status
        rsp.errorComment = response.comment
        if let uid = response.affectedSOPInstanceUID { rsp.affectedSOPInstanceUID = uid }
        let encoded = try response.dataSet.map { try WireEncoding.encode($0, syntax: received.context.transferSyntax) }
        try association.send(rsp, context: contextID, dataSet: encoded)
    }
}

/// Where the network layer reports what happens (the server's JSON log, or a CLI's verbose output).
public typealias NetworkLogger = LogSink
