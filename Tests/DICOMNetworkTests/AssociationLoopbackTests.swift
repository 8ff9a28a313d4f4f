import DICOM
import DICOMNetwork
import DICOMQuery
import Foundation
import Testing

/// Our SCU against our SCP over loopback sockets, for every service.
@Suite("associations over loopback", .serialized)
struct AssociationLoopbackTests {
    @Test("C-ECHO, then release")
    func echo() throws {
        let scp = try LoopbackServer()
        let a = try scp.associate(contexts: [PresentationContextRQ(id: 1, abstractSyntax: QueryRetrieveModel.verification,
                                                                   transferSyntaxes: [implicitLE])])
        #expect(try a.echo() == .success)
        #expect(try a.echo() == .success)
        try a.release()
        #expect(a.state == .sta1)
    }

    @Test("C-STORE in each native syntax arrives byte for byte, and is durable as a Part 10 file")
    func store() throws {
        let scp = try LoopbackServer()
        for (i, syntax) in [explicitLE, implicitLE, TransferSyntax.explicitVRBigEndian.uid, TransferSyntax.deflatedExplicitVRLittleEndian.uid].enumerated() {
            let a = try scp.associate(contexts: [PresentationContextRQ(id: 1, abstractSyntax: ctImageStorage, transferSyntaxes: [syntax])])
            let file = makeInstance(instance: "1.2.3.1.1.\(i + 1)", pixels: 5000)
            let response = try a.store(file)
            #expect(response.status == .success, "\(syntax)")
            try a.release()
            let received = try DICOMFile.open(scp.folder + "/1.2.3.1.1.\(i + 1).dcm")
            #expect(received.transferSyntax.uid == syntax)
            #expect(received.dataSet == file.dataSet, "data set changed in \(syntax)")
            #expect(received.fileMetaInformation.string(.sourceApplicationEntityTitle) == "SCU")
        }
    }

    @Test("fragmentation at small PDU sizes, both ways", arguments: [4096, 5000, 16384])
    func smallPDUs(size: Int) throws {
        let scp = try LoopbackServer(configure: { config in config.policy.maximumPDULength = size })
        let a = try scp.associate(contexts: [PresentationContextRQ(id: 1, abstractSyntax: ctImageStorage, transferSyntaxes: [explicitLE]),
                                             PresentationContextRQ(id: 3, abstractSyntax: QueryRetrieveModel.studyRootFind,
                                                                   transferSyntaxes: [explicitLE])],
                                  maximumPDULength: size)
        #expect(a.peerMaximumLength == size)
        let file = makeInstance(instance: "1.2.9.\(size)", pixels: 100_000)
        #expect(try a.store(file).status == .success)
        #expect(try readBack(scp.folder, "1.2.9.\(size)") == file.dataSet)
        // A find's responses come back fragmented to our own limit.
        var identifier = DataSet()
        identifier.set(DataElement(tag: queryRetrieveLevelTag, vr: .CS, string: "IMAGE"))
        identifier.set(DataElement(tag: .studyInstanceUID, vr: .UI, string: "1.2.3.1"))
        identifier.set(DataElement(tag: .sopInstanceUID, vr: .UI, string: ""))
        var matches: [DataSet] = []
        let final = try a.find(identifier, model: QueryRetrieveModel.studyRootFind) { matches.append($0); return true }
        #expect(final.status == .success)
        #expect(matches.map { $0.string(.sopInstanceUID) } == ["1.2.9.\(size)"])
        try a.release()
    }

    @Test("C-FIND returns exactly the matches, case-sensitively by default")
    func findAndCancel() throws {
        let scp = try LoopbackServer()
        let a = try scp.associate(contexts: [PresentationContextRQ(id: 1, abstractSyntax: ctImageStorage, transferSyntaxes: [explicitLE]),
                                             PresentationContextRQ(id: 3, abstractSyntax: QueryRetrieveModel.studyRootFind,
                                                                   transferSyntaxes: [explicitLE])])
        for s in 1...12 {
            let name = s <= 6 ? "Smith^John" : "Jones^Mary"
            let file = makeInstance(patient: "P\(s)", name: name, study: "1.2.5.\(s)", series: "1.2.5.\(s).1", instance: "1.2.5.\(s).1.1")
            #expect(try a.store(file).status == .success)
        }
        var identifier = DataSet()
        identifier.set(DataElement(tag: queryRetrieveLevelTag, vr: .CS, string: "STUDY"))
        identifier.set(DataElement(tag: .patientName, vr: .PN, string: "SMITH*"))
        identifier.set(DataElement(tag: .studyInstanceUID, vr: .UI, string: ""))
        var found: [String] = []
        var final = try a.find(identifier, model: QueryRetrieveModel.studyRootFind) { found.append($0.string(.studyInstanceUID)!); return true }
        // Case-sensitive by default: "SMITH*" matches nobody.
        #expect(final.status == .success)
        #expect(found.isEmpty)
        identifier.set(DataElement(tag: .patientName, vr: .PN, string: "Smith*"))
        final = try a.find(identifier, model: QueryRetrieveModel.studyRootFind) { found.append($0.string(.studyInstanceUID)!); return true }
        #expect(final.status == .success)
        #expect(found.sorted() == (1...6).map { "1.2.5.\($0)" })
        try a.release()
    }

    /// A query service that takes its time over each match, so that a C-CANCEL surely arrives mid-way.
    struct SlowQuery: QueryService {
        func find(_ request: FindRequest, on association: AssociationContext, respond: (DataSet) throws -> Bool) -> ServiceResult {
            for i in 0..<50 {
                var match = DataSet()
                match.set(DataElement(tag: .studyInstanceUID, vr: .UI, string: "1.2.4.\(i)"))
                guard (try? respond(match)) == true else { return ServiceResult(.cancel) }
                Thread.sleep(forTimeInterval: 0.02)
            }
            return .success
        }
    }

    @Test("C-CANCEL stops a running C-FIND with status FE00")
    func cancel() throws {
        let scp = try LoopbackServer(services: { _, _ in ServiceSet(query: SlowQuery()) })
        let a = try scp.associate(contexts: [PresentationContextRQ(id: 1, abstractSyntax: QueryRetrieveModel.studyRootFind,
                                                                   transferSyntaxes: [explicitLE])])
        var identifier = DataSet()
        identifier.set(DataElement(tag: queryRetrieveLevelTag, vr: .CS, string: "STUDY"))
        var found = 0
        let started = Date()
        let final = try a.find(identifier, model: QueryRetrieveModel.studyRootFind) { _ in found += 1; return found < 3 }
        #expect(final.status == .cancel)
        #expect(found == 3)
        // Far sooner than the 50 matches would take.
        #expect(Date().timeIntervalSince(started) < 0.8)
        // The association is still usable after a cancel.
        let again = try a.find(identifier, model: QueryRetrieveModel.studyRootFind) { _ in false }
        #expect(again.status == .cancel)
        try a.release()
    }

    @Test("C-MOVE to a known destination sends the instances; an unknown one gives A801")
    func move() throws {
        let destination = try LoopbackServer(aeTitle: "DEST")
        let node = DICOMNode(aeTitle: "DEST", host: "127.0.0.1", port: destination.port)
        let source = try LoopbackServer(aeTitle: "SCP", services: { folder, index in
            var services = LoopbackServer.archive(folder, index)
            services.retrieve = IndexQueryRetrieve(index: index, destinations: [node])
            return services
        })
        let a = try source.associate(contexts: [
            PresentationContextRQ(id: 1, abstractSyntax: ctImageStorage, transferSyntaxes: [explicitLE]),
            PresentationContextRQ(id: 3, abstractSyntax: QueryRetrieveModel.studyRootMove, transferSyntaxes: [explicitLE]),
        ])
        let files = (1...5).map { makeInstance(instance: "1.2.6.1.1.\($0)", pixels: 2000) }
        for f in files { #expect(try a.store(f).status == .success) }
        var identifier = DataSet()
        identifier.set(DataElement(tag: queryRetrieveLevelTag, vr: .CS, string: "STUDY"))
        identifier.set(DataElement(tag: .studyInstanceUID, vr: .UI, string: "1.2.3.1"))
        var pendings: [SuboperationCounts] = []
        let final = try a.move(identifier, model: QueryRetrieveModel.studyRootMove, destination: "DEST") { pendings.append($0); return true }
        #expect(final.status == .success)
        #expect(final.suboperations?.completed == 5)
        #expect(pendings.map(\.remaining) == [4, 3, 2, 1])
        for f in files {
            #expect(try readBack(destination.folder, f.dataSet.string(.sopInstanceUID)!) == f.dataSet)
        }
        let unknown = try a.move(identifier, model: QueryRetrieveModel.studyRootMove, destination: "NOBODY")
        #expect(unknown.status == .moveDestinationUnknown)
        try a.release()
    }

    @Test("C-GET sends the instances back on the same association to the requestor's storage")
    func get() throws {
        let scp = try LoopbackServer()
        let store = try scp.associate(contexts: [PresentationContextRQ(id: 1, abstractSyntax: ctImageStorage, transferSyntaxes: [implicitLE])])
        let files = (1...3).map { makeInstance(series: "1.2.3.1.7", instance: "1.2.7.\($0)", pixels: 3000) }
        for f in files { #expect(try store.store(f).status == .success) }
        try store.release()

        let target = try temporaryFolder()
        let a = try scp.associate(contexts: [
            PresentationContextRQ(id: 1, abstractSyntax: QueryRetrieveModel.patientRootGet, transferSyntaxes: [explicitLE]),
            PresentationContextRQ(id: 3, abstractSyntax: ctImageStorage, transferSyntaxes: [implicitLE, explicitLE]),
        ], roles: [RoleSelection(sopClassUID: ctImageStorage, scuRole: false, scpRole: true)])
        #expect(a.acceptedContexts[3]?.requestorIsSCP == true)
        var identifier = DataSet()
        identifier.set(DataElement(tag: queryRetrieveLevelTag, vr: .CS, string: "SERIES"))
        identifier.set(DataElement(tag: .patientID, vr: .LO, string: "P1"))
        identifier.set(DataElement(tag: .studyInstanceUID, vr: .UI, string: "1.2.3.1"))
        identifier.set(DataElement(tag: .seriesInstanceUID, vr: .UI, string: "1.2.3.1.7"))
        let final = try a.get(identifier, model: QueryRetrieveModel.patientRootGet, storage: FolderStorage(folder: target))
        #expect(final.status == .success)
        #expect(final.suboperations?.completed == 3)
        for f in files {
            let back = try DICOMFile.open(target + "/" + f.dataSet.string(.sopInstanceUID)! + ".dcm")
            #expect(back.dataSet == f.dataSet)
            #expect(back.transferSyntax == .implicitVRLittleEndian)
        }
        try a.release()
    }

    @Test("a refused C-STORE (no storage service) drains the data set and answers 0122; the association goes on")
    func storeRefused() throws {
        let scp = try LoopbackServer(services: { _, _ in ServiceSet() }, configure: { config in
            config.policy.acceptAnyStorageClass = true
        })
        let a = try scp.associate(contexts: [PresentationContextRQ(id: 1, abstractSyntax: ctImageStorage, transferSyntaxes: [explicitLE]),
                                             PresentationContextRQ(id: 3, abstractSyntax: QueryRetrieveModel.verification,
                                                                   transferSyntaxes: [explicitLE])])
        #expect(try a.store(makeInstance(instance: "1.2.8.1", pixels: 50_000)).status == .sopClassNotSupported)
        #expect(try a.echo() == .success)
        try a.release()
    }
}
