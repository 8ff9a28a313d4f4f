import Archive
import DICOM
@testable import DICOMNetwork
import DICOMQuery
import Foundation
@testable import Server
import Testing
import Transport

/// The archive as DICOM services, called as the DICOM server calls them: C-STORE into the archive, C-FIND over
/// its index, the instances of a C-MOVE or C-GET, and the statuses for what the archive refuses.
@Suite("ArchiveServices")
struct ArchiveServicesTests {
    static let ct = "1.2.840.10008.5.1.4.1.1.2"
    static let explicitLE = "1.2.840.10008.1.2.1"
    static let association = AssociationContext(id: 1, callingAETitle: "MODALITY", calledAETitle: "LIGHTBOX", host: "127.0.0.1",
                                                port: 40000, userIdentity: nil)

    /// A CT instance of patient `patient`, study `study`, series `study.1`.
    static func instance(_ sop: String, study: String, patient: String, name: String) -> DataSet {
        var ds = DataSet()
        for (tag, vr, value) in [(Tag.sopClassUID, VR.UI, ct), (.sopInstanceUID, .UI, sop), (.studyDate, .DA, "20240102"),
                                 (.modality, .CS, "CT"), (.patientName, .PN, name), (.patientID, .LO, patient),
                                 (.studyInstanceUID, .UI, study), (.seriesInstanceUID, .UI, study + ".1")] {
            ds.set(DataElement(tag: tag, vr: vr, string: value))
        }
        ds.set(DataElement(tag: .pixelData, vr: .OW, data: [UInt8](repeating: 1, count: 256)))
        return ds
    }

    static func services(_ folder: String, settings: Settings = Settings(), capacity: Int = Int.max,
                         duplicates: DuplicatePolicy = .keep) throws -> ArchiveServices {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let archive = Archive(storage: MemoryStorageArea(capacity: capacity), index: try SQLiteIndex(path: folder + "/index.sqlite"),
                              duplicates: duplicates)
        return ArchiveServices(archive: archive, settings: settings, log: { _, _ in })
    }

    /// A C-STORE of a data set, its bytes in two pieces; the status the requestor would get.
    static func store(_ services: ArchiveServices, _ ds: DataSet, announcing sop: String? = nil) throws -> ServiceResult {
        let request = StoreRequest(command: DIMSECommand(.cStoreRQ, hasDataSet: true), sopClassUID: ds.string(.sopClassUID) ?? "",
                                   sopInstanceUID: sop ?? ds.string(.sopInstanceUID) ?? "", transferSyntax: explicitLE)
        let sink: any StoreSink
        do {
            sink = try services.beginStore(request, on: association)
        } catch {
            return ServiceResult(error.status, comment: error.comment)
        }
        let bytes = try DataSetWriter(explicitVR: true).encode(ds)
        var writer = sink
        try writer.write(Bytes(bytes[0..<100]))
        try writer.write(Bytes(bytes[100...]))
        return sink.finish()
    }

    static func find(_ services: ArchiveServices, _ identifier: [(Tag, VR, String)], level: String, patientRoot: Bool = false,
                     relational: Bool = true, stopAfter: Int? = nil) -> (ServiceResult, [DataSet]) {
        var ds = DataSet()
        ds.set(DataElement(tag: Tag(0x0008_0052), vr: .CS, string: level))
        for (tag, vr, value) in identifier { ds.set(DataElement(tag: tag, vr: vr, string: value)) }
        let request = FindRequest(command: DIMSECommand(.cFindRQ, hasDataSet: true),
                                  sopClassUID: patientRoot ? QueryRetrieveModel.patientRootFind : QueryRetrieveModel.studyRootFind,
                                  identifier: ds, relationalQueries: relational, combinedDateTimeMatching: false,
                                  fuzzySemanticMatching: false)
        var responses: [DataSet] = []
        let result = services.find(request, on: association) { response in
            responses.append(response)
            return stopAfter.map { responses.count < $0 } ?? true
        }
        return (result, responses)
    }

    static func fill(_ services: ArchiveServices) throws {
        for (sop, study, patient, name) in [("2.1", "1.1", "P1", "Smith^John"), ("2.2", "1.1", "P1", "Smith^John"),
                                            ("2.3", "1.2", "P1", "Smith^John"), ("2.4", "1.3", "P2", "Jones^Ann")] {
            #expect(try store(services, instance(sop, study: study, patient: patient, name: name)) == .success)
        }
    }

    @Test("C-STORE: the data set is stored and indexed; the stored file is the Part 10 form of what came")
    func store() throws {
        try withTemporaryFolder { folder in
            let services = try Self.services(folder)
            let ds = Self.instance("2.1", study: "1.1", patient: "P1", name: "Smith^John")
            #expect(try Self.store(services, ds) == .success)
            let stored = try #require(try services.archive.index.instance("2.1"))
            let file = try services.archive.file(for: stored)
            #expect(file.dataSet == ds)
            #expect(file.fileMetaInformation.string(.sourceApplicationEntityTitle) == "MODALITY")
            #expect(try services.archive.index.statistics().instances == 1)
        }
    }

    @Test("C-STORE refusals map to their statuses")
    func storeRefusals() throws {
        try withTemporaryFolder { folder in
            let services = try Self.services(folder, duplicates: .reject)
            let ds = Self.instance("2.1", study: "1.1", patient: "P1", name: "Smith^John")
            // The data set is not the instance the command announced.
            let mismatch = try Self.store(services, ds, announcing: "9.9")
            #expect(mismatch.status == .dataSetDoesNotMatchSOPClass)
            #expect(mismatch.comment?.contains("9.9") == true)
            #expect(try Self.store(services, ds) == .success)
            // A duplicate under the reject policy.
            #expect(try Self.store(services, ds).status == .duplicateSOPInstance)
            #expect(try services.archive.index.statistics().instances == 1)

            // No room.
            let full = try Self.services(folder + "/full", capacity: 300)
            #expect(try Self.store(full, Self.instance("2.2", study: "1.1", patient: "P1", name: "X")).status == .outOfResources)
        }
    }

    @Test("statuses for archive errors")
    func statuses() {
        #expect(ArchiveServices.status(for: ArchiveError(.full, "no space")) == .outOfResources)
        #expect(ArchiveServices.status(for: ArchiveError(.duplicate, "again")) == .duplicateSOPInstance)
        #expect(ArchiveServices.status(for: ArchiveError(.failed, "io")) == .processingFailure)
        #expect(ArchiveServices.status(for: ArchiveError(.invalid, "the data set cannot be read: x")) == .cannotUnderstand)
        #expect(ArchiveServices.status(for: ArchiveError(.invalid, "no UIDs")) == .dataSetDoesNotMatchSOPClass)
    }

    @Test("C-FIND answers from the index, person names matched regardless of case by default")
    func find() throws {
        try withTemporaryFolder { folder in
            let services = try Self.services(folder)
            try Self.fill(services)
            let (result, studies) = Self.find(services, [(.studyInstanceUID, .UI, ""), (.patientName, .PN, "smith*"),
                                                         (Tag(0x0020_1208), .IS, "")], level: "STUDY")
            #expect(result == .success)
            #expect(studies.map { $0.string(.studyInstanceUID) ?? "" }.sorted() == ["1.1", "1.2"])
            #expect(studies.first { $0.string(.studyInstanceUID) == "1.1" }?.string(Tag(0x0020_1208)) == "2")

            var exact = Settings()
            exact.caseInsensitivePersonNames = false
            let strict = ArchiveServices(archive: services.archive, settings: exact, log: { _, _ in })
            #expect(Self.find(strict, [(.studyInstanceUID, .UI, ""), (.patientName, .PN, "smith*")], level: "STUDY").1.isEmpty)

            let (_, patients) = Self.find(services, [(.patientID, .LO, "")], level: "PATIENT", patientRoot: true)
            #expect(patients.map { $0.string(.patientID) ?? "" }.sorted() == ["P1", "P2"])
        }
    }

    @Test("C-FIND: more matches than the limit end with A700; a cancel ends with FE00")
    func findLimitAndCancel() throws {
        try withTemporaryFolder { folder in
            var settings = Settings()
            settings.maximumQueryResults = 3
            let services = try Self.services(folder, settings: settings)
            try Self.fill(services)
            let (limited, given) = Self.find(services, [(.sopInstanceUID, .UI, "")], level: "IMAGE")
            #expect(limited.status == .outOfResources)
            #expect(given.count == 3)
            let (fits, all) = Self.find(services, [(.studyInstanceUID, .UI, "")], level: "STUDY")
            #expect(fits == .success)
            #expect(all.count == 3)
            let (cancelled, before) = Self.find(services, [(.studyInstanceUID, .UI, "")], level: "STUDY", stopAfter: 1)
            #expect(cancelled.status == .cancel)
            #expect(before.count == 1)
        }
    }

    @Test("C-FIND: a bad level, and a hierarchical query without the keys above its level, are refused")
    func findRefusals() throws {
        try withTemporaryFolder { folder in
            let services = try Self.services(folder)
            try Self.fill(services)
            #expect(Self.find(services, [(.patientID, .LO, "")], level: "PATIENT").0.status == .identifierDoesNotMatchSOPClass)
            #expect(Self.find(services, [(.patientID, .LO, "")], level: "WARD").0.status == .identifierDoesNotMatchSOPClass)
            // Without relational queries, a SERIES query names its one study.
            let refused = Self.find(services, [(.seriesInstanceUID, .UI, "")], level: "SERIES", relational: false)
            #expect(refused.0.status == .identifierDoesNotMatchSOPClass)
            #expect(refused.0.comment?.contains("StudyInstanceUID") == true)
            let (ok, series) = Self.find(services, [(.studyInstanceUID, .UI, "1.1"), (.seriesInstanceUID, .UI, "")], level: "SERIES",
                                         relational: false)
            #expect(ok == .success)
            #expect(series.map { $0.string(.seriesInstanceUID) ?? "" } == ["1.1.1"])
            // Relational: any key will do.
            #expect(Self.find(services, [(.seriesInstanceUID, .UI, "")], level: "SERIES").1.count == 3)
        }
    }

    @Test("C-MOVE/C-GET: the instances of what the identifier names, loadable; C-MOVE destinations from the settings")
    func retrieve() throws {
        try withTemporaryFolder { folder in
            var settings = Settings()
            settings.modalities = [DICOMNode(aeTitle: "WS1", host: "10.0.0.5", port: 104)]
            let services = try Self.services(folder, settings: settings)
            try Self.fill(services)
            func request(_ level: String, _ keys: [(Tag, VR, String)]) -> RetrieveRequest {
                var ds = DataSet()
                ds.set(DataElement(tag: Tag(0x0008_0052), vr: .CS, string: level))
                for (tag, vr, value) in keys { ds.set(DataElement(tag: tag, vr: vr, string: value)) }
                return RetrieveRequest(command: DIMSECommand(.cMoveRQ, hasDataSet: true), sopClassUID: QueryRetrieveModel.studyRootMove,
                                       identifier: ds, moveDestination: "WS1")
            }
            let study = try services.instances(for: request("STUDY", [(.studyInstanceUID, .UI, "1.1")]), on: Self.association)
            #expect(study.map(\.sopInstanceUID).sorted() == ["2.1", "2.2"])
            #expect(study.allSatisfy { $0.sopClassUID == Self.ct && $0.transferSyntaxUID == Self.explicitLE })
            let file = try study[0].load(false)
            #expect(file.dataSet.string(.sopInstanceUID) == study[0].sopInstanceUID)
            #expect(file.dataSet[.pixelData] != nil)
            #expect(try study[0].load(true).dataSet[.pixelData] == nil)
            let two = try services.instances(for: request("IMAGE", [(.sopInstanceUID, .UI, "2.4\\2.3")]), on: Self.association)
            #expect(two.map(\.sopInstanceUID).sorted() == ["2.3", "2.4"])
            #expect(try services.instances(for: request("STUDY", [(.studyInstanceUID, .UI, "7.7")]), on: Self.association).isEmpty)
            // A retrieve names what it wants by its level's unique key.
            #expect(throws: ServiceFailure.self) {
                _ = try services.instances(for: request("STUDY", [(.patientName, .PN, "Smith*")]), on: Self.association)
            }
            #expect(services.destination(for: "WS1") == DICOMNode(aeTitle: "WS1", host: "10.0.0.5", port: 104))
            #expect(services.destination(for: "WS2") == nil)
        }
    }
}
