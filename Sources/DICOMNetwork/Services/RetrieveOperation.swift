import DICOM

/// A C-MOVE or C-GET on the provider side (PS3.4 C.4.2, C.4.3): find the instances, send them as C-STORE
/// sub-operations (to the move destination on a new association, or back on this one for C-GET), report pending
/// counts after each, honour C-CANCEL, and end with the final counts.
struct RetrieveOperation {
    let dispatcher: ServiceDispatcher
    let received: ReceivedCommand

    var association: Association { dispatcher.association }
    var command: DIMSECommand { received.command }
    var isMove: Bool { command.commandField == .cMoveRQ }
    var converter: PixelConverter? { dispatcher.services.retrieve?.pixelConverter }

    func run() throws {
        let contextID = received.context.id
        var rsp = DIMSECommand(isMove ? .cMoveRSP : .cGetRSP, hasDataSet: false)
        rsp.messageIDBeingRespondedTo = command.messageID
        rsp.affectedSOPClassUID = command.affectedSOPClassUID
        func fail(_ status: DIMSEStatus, _ comment: String) throws {
            rsp.status = status
            rsp.errorComment = comment
            try association.send(rsp, context: contextID)
        }
        guard command.hasDataSet else { return try fail(.identifierDoesNotMatchSOPClass, "no identifier") }
        let bytes = try association.receiveDataSet(context: contextID, limit: 16 << 20)
        guard let identifier = try? WireEncoding.decode(bytes, syntax: received.context.transferSyntax) else {
            return try fail(.identifierDoesNotMatchSOPClass, "the identifier cannot be read")
        }
        guard let service = dispatcher.services.retrieve else { return try fail(.sopClassNotSupported, "retrieve is not offered") }
        var destination: DICOMNode?
        if isMove {
            guard let ae = command.moveDestination, let node = service.destination(for: ae) else {
                return try fail(.moveDestinationUnknown, "move destination \(command.moveDestination ?? "(none)") is unknown")
            }
            destination = node
        }
        let request = RetrieveRequest(command: command, sopClassUID: received.context.abstractSyntax, identifier: identifier,
                                      moveDestination: command.moveDestination)
        let instances: [RetrievableInstance]
        do {
            instances = try service.instances(for: request, on: dispatcher.context)
        } catch {
            return try fail(error.status, error.comment ?? "the identifier cannot be matched")
        }

        // The sub-association's contexts depend on the instances' classes and syntaxes: from the index when it
        // knows them, else from each header. The instances themselves are loaded one at a time when sent.
        var plan: [(sopClass: String, syntax: String)] = []
        if isMove {
            for instance in instances {
                if let syntax = instance.transferSyntaxUID {
                    plan.append((instance.sopClassUID, syntax))
                } else if let header = try? instance.load(true) {
                    plan.append((instance.sopClassUID, header.transferSyntax.uid))
                }
            }
        }

        var counts = SuboperationCounts(remaining: instances.count)
        var failedUIDs: [String] = []
        var cancelled = false
        var target: Association = association
        if let destination {
            do {
                target = try openSubAssociation(to: destination, plan: plan)
            } catch {
                dispatcher.log(.warning, "C-MOVE to \(destination.aeTitle) at \(destination.host):\(destination.port): \(error)")
                return try fail(DIMSEStatus.outOfResourcesSubOperations, "cannot associate with \(destination.aeTitle): \(error)")
            }
        }
        defer { if target !== association { try? target.release() } }

        for instance in instances {
            if try dispatcher.cancelRequested(for: command.messageID) {
                cancelled = true
                break
            }
            counts.remaining -= 1
            var status = DIMSEStatus.processingFailure
            if let file = try? instance.load(false) {
                do {
                    status = try isMove
                        ? target.store(file, priority: command.priority, moveOriginator: (association.callingAETitle, command.messageID ?? 0),
                                       converter: converter).status ?? .processingFailure
                        : storeOnThisAssociation(file, cancelled: &cancelled)
                } catch let e as AssociationError {
                    if target === association { throw e }
                    // The destination went away: the rest fail.
                    dispatcher.log(.warning, "C-MOVE sub-operation: \(e)")
                    status = .processingFailure
                } catch {
                    dispatcher.log(.warning, "C-\(isMove ? "MOVE" : "GET") sub-operation for \(instance.sopInstanceUID): \(error)")
                }
            }
            switch status.category {
            case .success: counts.completed += 1
            case .warning: counts.warning += 1
            default:
                counts.failed += 1
                failedUIDs.append(instance.sopInstanceUID)
            }
            if cancelled { break }
            if counts.remaining > 0 {
                var pending = rsp
                pending.status = .pending
                pending.suboperations = counts
                try association.send(pending, context: contextID)
            }
        }

        rsp.suboperations = counts
        if cancelled {
            rsp.status = .cancel
        } else {
            rsp.removeRemainingSuboperations()
            if counts.failed == 0 && counts.warning == 0 {
                rsp.status = .success
            } else if counts.completed == 0 && counts.warning == 0 {
                rsp.status = .outOfResourcesSubOperations
            } else {
                rsp.status = .subOperationsCompleteWithFailures
            }
        }
        var dataSet: Bytes?
        if !failedUIDs.isEmpty {
            // Failed SOP Instance UID List (0008,0058) (PS3.4 C.4.2.1.4.2).
            var ds = DataSet()
            ds.set(DataElement(tag: Tag(0x0008_0058), vr: .UI, strings: failedUIDs))
            dataSet = try WireEncoding.encode(ds, syntax: received.context.transferSyntax)
        }
        try association.send(rsp, context: contextID, dataSet: dataSet)
    }

    /// Proposes, for each SOP class to send, the syntaxes the files are in, then explicit and implicit VR little
    /// endian so that anything native can be converted.
    func openSubAssociation(to node: DICOMNode, plan: [(sopClass: String, syntax: String)]) throws -> Association {
        var proposals: [(String, [String])] = []
        var seen = Set<String>()
        for (sopClass, syntax) in plan {
            let key = sopClass + "|" + syntax
            guard seen.insert(key).inserted else { continue }
            proposals.append((sopClass, [syntax]))
            if seen.insert(sopClass + "|native").inserted {
                proposals.append((sopClass, [TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid]))
            }
        }
        var contexts: [PresentationContextRQ] = []
        for (i, (sopClass, syntaxes)) in proposals.prefix(128).enumerated() {
            contexts.append(PresentationContextRQ(id: UInt8(2 * i + 1), abstractSyntax: sopClass, transferSyntaxes: syntaxes))
        }
        if contexts.isEmpty {
            contexts.append(PresentationContextRQ(id: 1, abstractSyntax: QueryRetrieveModel.verification,
                                                  transferSyntaxes: [TransferSyntax.implicitVRLittleEndian.uid]))
        }
        let rq = AAssociateRQ(calledAETitle: node.aeTitle, callingAETitle: dispatcher.localAETitle, presentationContexts: contexts)
        return try Association.request(host: node.host, port: node.port, request: rq, timeouts: association.timeouts)
    }

    /// C-GET: a C-STORE-RQ back to the requestor, who has taken the storage SCP role. A C-CANCEL may arrive before
    /// the C-STORE-RSP; it is noted and the response still awaited.
    func storeOnThisAssociation(_ file: DICOMFile, cancelled: inout Bool) throws -> DIMSEStatus {
        guard let sopClass = file.dataSet.string(.sopClassUID), let sopInstance = file.dataSet.string(.sopInstanceUID) else {
            return .processingFailure
        }
        let candidates = association.acceptedContexts.values
            .filter { $0.abstractSyntax == sopClass && $0.requestorIsSCP }.sorted { $0.id < $1.id }
        guard let (context, sending) = try Association.choose(file, among: candidates, converter: converter) else {
            dispatcher.log(.warning, "C-GET: no context with the SCP role for \(sopClass) in \(file.transferSyntax.name)")
            return .processingFailure
        }
        var rq = DIMSECommand(.cStoreRQ, hasDataSet: true)
        let id = association.makeMessageID()
        rq.messageID = id
        rq.affectedSOPClassUID = sopClass
        rq.affectedSOPInstanceUID = sopInstance
        rq.priority = command.priority
        try association.send(rq, context: context.id, dataSet: try WireEncoding.dataSet(of: sending, in: context.transferSyntax))
        while true {
            let next = try association.receiveCommand(timeout: association.timeouts.idle)
            if next.command.commandField == .cCancelRQ {
                if next.command.messageIDBeingRespondedTo == command.messageID { cancelled = true }
                continue
            }
            guard next.command.commandField == .cStoreRSP, next.command.messageIDBeingRespondedTo == id else {
                throw AssociationError.protocolError("expected the C-STORE-RSP, got \(next.command)")
            }
            if next.command.hasDataSet { _ = try association.receiveDataSet(context: next.context.id) }
            return next.command.status ?? .processingFailure
        }
    }
}
