import DICOM
import DICOMNetwork
import Foundation
import Testing

/// A normalized service that records what it is asked and answers each N- request (an MPPS-like SOP class).
final class RecordingNService: NormalizedService, @unchecked Sendable {
    let sopClassUIDs = ["1.2.840.10008.3.1.2.3.3"]
    let lock = NSLock()
    var requests: [CommandField] = []

    func handle(_ request: NRequest, on association: AssociationContext) -> NResponse {
        lock.lock()
        requests.append(request.command.commandField!)
        lock.unlock()
        switch request.command.commandField {
        case .nCreateRQ:
            return NResponse(status: .success, affectedSOPInstanceUID: request.command.affectedSOPInstanceUID ?? "1.2.99.1",
                             dataSet: request.dataSet)
        case .nGetRQ:
            var ds = DataSet()
            ds.set(DataElement(tag: Tag(0x0040_0252), vr: .CS, string: "IN PROGRESS"))
            return NResponse(status: .success, dataSet: ds)
        case .nDeleteRQ:
            return NResponse(status: .noSuchObjectInstance, comment: "nothing to delete")
        default:
            return NResponse(status: .success)
        }
    }
}

@Suite("association policy and N-services over loopback", .serialized)
struct AssociationPolicyLoopbackTests {
    let verification = [PresentationContextRQ(id: 1, abstractSyntax: QueryRetrieveModel.verification, transferSyntaxes: [implicitLE])]

    @Test("a wrong called AE title is rejected with reason 7; a calling AE not allowed with reason 3")
    func rejections() throws {
        let scp = try LoopbackServer(configure: { config in
            config.policy.allowedCallers = [AllowedCaller(aeTitle: "GOOD", hosts: ["127.0.0.1"])]
        })
        #expect(throws: AssociationError.rejected(AAssociateRJ(result: .permanent, source: .serviceUser, reason: 7))) {
            _ = try scp.associate(calling: "GOOD", called: "OTHER", contexts: verification)
        }
        #expect(throws: AssociationError.rejected(AAssociateRJ(result: .permanent, source: .serviceUser, reason: 3))) {
            _ = try scp.associate(calling: "BAD", contexts: verification)
        }
        let ok = try scp.associate(calling: "GOOD", contexts: verification)
        #expect(try ok.echo() == .success)
        try ok.release()
    }

    @Test("beyond the association limit, a transient rejection (local limit exceeded)")
    func limit() throws {
        let scp = try LoopbackServer(configure: { config in config.maximumAssociations = 2 })
        let a = try scp.associate(contexts: verification)
        let b = try scp.associate(contexts: verification)
        #expect(throws: AssociationError.rejected(AAssociateRJ(result: .transient, source: .serviceProviderPresentation, reason: 2))) {
            _ = try scp.associate(contexts: verification)
        }
        try a.release()
        // Once one is released, there is room again.
        Thread.sleep(forTimeInterval: 0.1)
        let c = try scp.associate(contexts: verification)
        #expect(try c.echo() == .success)
        try b.release()
        try c.release()
    }

    @Test("unsupported abstract and transfer syntaxes are refused per context; the rest accepted")
    func contexts() throws {
        let scp = try LoopbackServer()
        let a = try scp.associate(contexts: [
            PresentationContextRQ(id: 1, abstractSyntax: "1.2.3.4.5.6", transferSyntaxes: [implicitLE]),
            PresentationContextRQ(id: 3, abstractSyntax: QueryRetrieveModel.studyRootFind, transferSyntaxes: ["1.2.840.10008.1.2.4.50"]),
            PresentationContextRQ(id: 5, abstractSyntax: QueryRetrieveModel.verification, transferSyntaxes: ["1.2.3", explicitLE]),
        ])
        let results = Dictionary(uniqueKeysWithValues: a.response!.presentationContexts.map { ($0.id, $0.result) })
        #expect(results[1] == .abstractSyntaxNotSupported)
        #expect(results[3] == .transferSyntaxesNotSupported)
        #expect(results[5] == .acceptance)
        #expect(a.acceptedContexts[5]?.transferSyntax == explicitLE)
        #expect(a.acceptedContexts.count == 1)
        try a.release()
    }

    @Test("an abort in the middle of a C-STORE leaves no file, not even a partial one")
    func abortMidStore() throws {
        let scp = try LoopbackServer()
        let a = try scp.associate(contexts: [PresentationContextRQ(id: 1, abstractSyntax: ctImageStorage, transferSyntaxes: [explicitLE])],
                                  maximumPDULength: 4096)
        var rq = DIMSECommand(.cStoreRQ, hasDataSet: true)
        rq.messageID = 1
        rq.affectedSOPClassUID = ctImageStorage
        rq.affectedSOPInstanceUID = "1.2.77.1"
        // The command, then only the first fragments of the data set, then abort.
        try a.send(rq, context: 1)
        let full = try WireEncoding.dataSet(of: makeInstance(instance: "1.2.77.1", pixels: 50_000), in: explicitLE)
        var sink = ArraySink()
        let header = PDUCodec.dataHeader(contextID: 1, isCommand: false, isLast: false, dataLength: 4000)
        try header.withUnsafeBytes { h in try full[0..<4000].withUnsafeBytes { d in try a.connection.write([h, d]) } }
        _ = sink
        a.abort()
        Thread.sleep(forTimeInterval: 0.3)
        let left = try FileManager.default.contentsOfDirectory(atPath: scp.folder)
        #expect(left.isEmpty, "left behind: \(left)")
    }

    @Test("N-CREATE, N-SET, N-GET, N-ACTION, N-EVENT-REPORT and N-DELETE reach the service and come back")
    func normalized() throws {
        let service = RecordingNService()
        let scp = try LoopbackServer(services: { _, _ in ServiceSet(normalized: [service]) })
        let mpps = "1.2.840.10008.3.1.2.3.3"
        let a = try scp.associate(contexts: [PresentationContextRQ(id: 1, abstractSyntax: mpps, transferSyntaxes: [explicitLE])])
        var attributes = DataSet()
        attributes.set(DataElement(tag: Tag(0x0040_0252), vr: .CS, string: "IN PROGRESS"))
        let (created, echoed) = try a.nCreate(sopClass: mpps, sopInstance: "1.2.88.1", attributes: attributes)
        #expect(created.status == .success)
        #expect(created.affectedSOPInstanceUID == "1.2.88.1")
        #expect(echoed?.string(Tag(0x0040_0252)) == "IN PROGRESS")
        #expect(try a.nSet(sopClass: mpps, sopInstance: "1.2.88.1", modifications: attributes).0.status == .success)
        let (got, values) = try a.nGet(sopClass: mpps, sopInstance: "1.2.88.1", attributes: [Tag(0x0040_0252)])
        #expect(got.status == .success)
        #expect(values?.string(Tag(0x0040_0252)) == "IN PROGRESS")
        #expect(try a.nAction(sopClass: mpps, sopInstance: "1.2.88.1", actionType: 1, information: nil).0.actionTypeID == 1)
        #expect(try a.nEventReport(sopClass: mpps, sopInstance: "1.2.88.1", eventType: 2, information: nil).0.eventTypeID == 2)
        let (deleted, _) = try a.nDelete(sopClass: mpps, sopInstance: "1.2.88.1")
        #expect(deleted.status == .noSuchObjectInstance)
        #expect(deleted.errorComment == "nothing to delete")
        try a.release()
        #expect(service.requests == [.nCreateRQ, .nSetRQ, .nGetRQ, .nActionRQ, .nEventReportRQ, .nDeleteRQ])
    }

    @Test("the server stops gracefully: running associations finish, new connections are refused")
    func stop() throws {
        let scp = try LoopbackServer()
        let a = try scp.associate(contexts: verification)
        let stopper = Thread { scp.server.stop(grace: 5) }
        stopper.start()
        Thread.sleep(forTimeInterval: 0.1)
        #expect(try a.echo() == .success)
        try a.release()
        Thread.sleep(forTimeInterval: 0.2)
        #expect(throws: AssociationError.self) { _ = try scp.associate(contexts: verification) }
    }
}
