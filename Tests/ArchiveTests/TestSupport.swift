#if canImport(Glibc)
import Glibc
#endif
import Archive
import Crypto
import DICOM
import DICOMQuery
import Foundation
import Testing

/// Swift Testing has a `Tag` of its own; in these tests `Tag` is always the DICOM one.
typealias Tag = DICOMCore.Tag

/// Tags the tests use that DICOMCore does not name.
enum T {
    static let level = Tag(0x0008_0052)
    static let accessionNumber = Tag(0x0008_0050)
    static let retrieveAETitle = Tag(0x0008_0054)
    static let instanceAvailability = Tag(0x0008_0056)
    static let modalitiesInStudy = Tag(0x0008_0061)
    static let sopClassesInStudy = Tag(0x0008_0062)
    static let studyDescription = Tag(0x0008_1030)
    static let issuerOfPatientID = Tag(0x0010_0021)
    static let patientBirthDate = Tag(0x0010_0030)
    static let patientSex = Tag(0x0010_0040)
    static let sliceThickness = Tag(0x0018_0050)
    static let studyID = Tag(0x0020_0010)
    static let seriesNumber = Tag(0x0020_0011)
    static let instanceNumber = Tag(0x0020_0013)
    static let numberOfPatientRelatedStudies = Tag(0x0020_1200)
    static let numberOfPatientRelatedSeries = Tag(0x0020_1202)
    static let numberOfPatientRelatedInstances = Tag(0x0020_1204)
    static let numberOfStudyRelatedSeries = Tag(0x0020_1206)
    static let numberOfStudyRelatedInstances = Tag(0x0020_1208)
    static let numberOfSeriesRelatedInstances = Tag(0x0020_1209)
    /// A private tag for bulky test values.
    static let privateBlob = Tag(0x0009_1010)
    static let privateCreator = Tag(0x0009_0010)
}

enum SOPClass {
    static let ct = "1.2.840.10008.5.1.4.1.1.2"
    static let mr = "1.2.840.10008.5.1.4.1.1.4"
    static let basicTextSR = "1.2.840.10008.5.1.4.1.1.88.11"
}

enum Syntax {
    static let implicitLE = "1.2.840.10008.1.2"
    static let explicitLE = "1.2.840.10008.1.2.1"
    static let deflated = "1.2.840.10008.1.2.1.99"
}

/// A new empty folder under /tmp, unique to the caller.
func makeTemporaryFolder() throws -> String {
    var template = Array("/tmp/lightbox-archive-tests-XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { buffer -> String? in
        guard let made = mkdtemp(buffer.baseAddress!) else { return nil }
        return String(cString: made)
    }
    guard let path else { throw TestFailure("mkdtemp failed: \(String(cString: strerror(errno)))") }
    return path
}

/// A new empty folder under /tmp for one test, removed when `body` returns (or throws).
func withTemporaryFolder<R>(_ body: (String) throws -> R) throws -> R {
    let path = try makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

func withTemporaryFolderAsync<R>(_ body: (String) async throws -> R) async throws -> R {
    let path = try makeTemporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Every regular file below a folder (temporary ones included), as paths relative to it, sorted.
func filesBelow(_ folder: String) -> [String] {
    guard let e = FileManager.default.enumerator(atPath: folder) else { return [] }
    var out: [String] = []
    while let name = e.nextObject() as? String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isDir), !isDir.boolValue { out.append(name) }
    }
    return out.sorted()
}

func readFile(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { throw TestFailure("cannot read \(path)") }
    return [UInt8](data)
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    if let slash = path.lastIndex(of: "/") {
        try FileManager.default.createDirectory(atPath: String(path[..<slash]), withIntermediateDirectories: true)
    }
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { throw TestFailure("cannot write \(path)") }
}

func sha256(_ bytes: [UInt8]) -> String {
    bytes.withUnsafeBytes { SHA256.hash($0) }
}

// MARK: Synthetic instances

/// One instance of the synthetic archive: where it sits in the hierarchy and what it says about itself.
struct Synthetic: Sendable {
    var patientID: String
    var issuer: String?
    var patientName: String
    var birthDate: String
    var sex: String
    var study: String
    var studyDate: String
    var accession: String
    var studyDescription: String
    var series: String
    var modality: String
    var seriesNumber: Int
    var sop: String
    var sopClass: String
    var number: Int
    var sliceThickness: String = "1.0"

    /// The header (and a little pixel data) as a modality would send it.
    func dataSet(pixelBytes: Int = 64) -> DataSet {
        var ds = DataSet()
        func text(_ tag: Tag, _ vr: VR, _ value: String) { ds.set(DataElement(tag: tag, vr: vr, string: value)) }
        text(.specificCharacterSet, .CS, "ISO_IR 192")
        text(.sopClassUID, .UI, sopClass)
        text(.sopInstanceUID, .UI, sop)
        text(.studyDate, .DA, studyDate)
        text(Tag(0x0008_0030), .TM, "101500")
        text(T.accessionNumber, .SH, accession)
        text(.modality, .CS, modality)
        text(T.studyDescription, .LO, studyDescription)
        text(.patientName, .PN, patientName)
        text(.patientID, .LO, patientID)
        if let issuer { text(T.issuerOfPatientID, .LO, issuer) }
        text(T.patientBirthDate, .DA, birthDate)
        text(T.patientSex, .CS, sex)
        text(T.sliceThickness, .DS, sliceThickness)
        text(.studyInstanceUID, .UI, study)
        text(.seriesInstanceUID, .UI, series)
        text(T.studyID, .SH, "S" + study)
        ds.set(DataElement(tag: T.seriesNumber, integerStrings: [seriesNumber]))
        ds.set(DataElement(tag: T.instanceNumber, integerStrings: [number]))
        if pixelBytes > 0 {
            ds.set(DataElement(tag: .pixelData, vr: .OW, data: (0..<pixelBytes).map { UInt8(truncatingIfNeeded: $0 &* 7) }))
        }
        return ds
    }

    /// The header as the archive records it: without pixel data.
    var header: DataSet {
        var ds = dataSet()
        ds.remove(.pixelData)
        return ds
    }

    func record(storageKey: String? = nil, size: Int = 1000, receivedAt: Int64 = 1_700_000_000) -> InstanceRecord {
        InstanceRecord(header: header, transferSyntaxUID: Syntax.explicitLE, storageKey: storageKey ?? "key/" + sop,
                       size: size, sha256: String(repeating: "0", count: 64), receivedAt: receivedAt)!
    }
}

/// Three patients (two of them with the same Patient ID from two issuers), four studies, six series, ten
/// instances, CT, MR and SR:
///
///     PID1 / HOSP_A  Smith^John   study 1.1 (20191231, ACC001)  series 1.1.1 CT: 2.11 2.12 2.13   1.1.2 SR: 2.14
///                                 study 1.2 (20200615, ACC002)  series 1.2.1 MR: 2.21 2.22
///     PID1 / HOSP_B  SMITH^Jane   study 1.3 (20201231, ACC003)  series 1.3.1 CT: 2.31   1.3.2 MR: 2.32
///     PID3           Müller^Hans  study 1.4 (2021.03.01, XYZ9)  series 1.4.1 MR: 2.41 2.42
enum Fixture {
    static func instance(_ p: Int, _ study: String, _ series: String, _ modality: String, _ sop: String, _ number: Int) -> Synthetic {
        let patients: [(String, String?, String, String, String)] = [
            ("PID1", "HOSP_A", "Smith^John", "19700101", "M"),
            ("PID1", "HOSP_B", "SMITH^Jane", "19800202", "F"),
            ("PID3", nil, "Müller^Hans", "19900303", "M"),
        ]
        let studies: [String: (String, String, String)] = [
            "1.1": ("20191231", "ACC001", "CT HEAD"), "1.2": ("20200615", "ACC002", "MR BRAIN"),
            "1.3": ("20201231", "ACC003", "CT CHEST"), "1.4": ("2021.03.01", "XYZ9", "MR KNEE"),
        ]
        let (id, issuer, name, birth, sex) = patients[p]
        let (date, accession, description) = studies[study]!
        let sopClass = modality == "CT" ? SOPClass.ct : modality == "MR" ? SOPClass.mr : SOPClass.basicTextSR
        return Synthetic(patientID: id, issuer: issuer, patientName: name, birthDate: birth, sex: sex, study: study,
                         studyDate: date, accession: accession, studyDescription: description, series: series,
                         modality: modality, seriesNumber: Int(series.split(separator: ".").last!)!, sop: sop,
                         sopClass: sopClass, number: number, sliceThickness: String(number) + ".5")
    }

    /// In UID order.
    static let all: [Synthetic] = [
        instance(0, "1.1", "1.1.1", "CT", "2.11", 1), instance(0, "1.1", "1.1.1", "CT", "2.12", 2),
        instance(0, "1.1", "1.1.1", "CT", "2.13", 3), instance(0, "1.1", "1.1.2", "SR", "2.14", 1),
        instance(0, "1.2", "1.2.1", "MR", "2.21", 1), instance(0, "1.2", "1.2.1", "MR", "2.22", 2),
        instance(1, "1.3", "1.3.1", "CT", "2.31", 1), instance(1, "1.3", "1.3.2", "MR", "2.32", 1),
        instance(2, "1.4", "1.4.1", "MR", "2.41", 1), instance(2, "1.4", "1.4.1", "MR", "2.42", 2),
    ]
}

// MARK: Queries

/// An identifier: the level plus keys; a value of "" makes a universal (return) key.
func identifier(_ level: String, _ keys: [(Tag, VR, String)]) -> DataSet {
    var ds = DataSet()
    ds.set(DataElement(tag: T.level, vr: .CS, string: level))
    for (tag, vr, value) in keys { ds.set(DataElement(tag: tag, vr: vr, string: value)) }
    return ds
}

func query(_ level: String, _ keys: [(Tag, VR, String)], model: InformationModel = .studyRoot,
           caseInsensitive: Bool = false) throws -> Query {
    try Query(identifier: identifier(level, keys), model: model,
              options: MatchingOptions(caseInsensitivePersonNames: caseInsensitive))
}

/// A response as text: each element as tag, VR and values, in tag order.
func canonical(_ ds: DataSet) -> String {
    ds.elements.map { e in
        let values = e.vr.isBinary ? e.bytes.map { "\($0.array)" } ?? "?" : (e.strings(characterSet: ds.characterSet) ?? []).joined(separator: "\\")
        return "\(e.tag) \(e.vr) [\(values)]"
    }.joined(separator: " ")
}

/// Responses as a sorted list of their canonical forms: the same set whatever the order they came in.
func canonical(_ responses: [DataSet]) -> [String] {
    responses.map(canonical).sorted()
}

/// The values of `tag` in responses, sorted.
func values(_ responses: [DataSet], _ tag: Tag) -> [String] {
    responses.map { $0.string(tag) ?? "<none>" }.sorted()
}

// MARK: Encoding

/// A data set's bytes in a transfer syntax, as a C-STORE carries them.
func encode(_ ds: DataSet, syntax: String = Syntax.explicitLE) throws -> [UInt8] {
    switch syntax {
    case Syntax.implicitLE: return try DataSetWriter(explicitVR: false).encode(ds)
    case Syntax.deflated:
        let plain = try DataSetWriter(explicitVR: true).encode(ds)
        return try plain.withUnsafeBytes { try ZlibDeflate().deflate($0) }
    default: return try DataSetWriter(explicitVR: true).encode(ds)
    }
}

/// A whole Part 10 file of a data set.
func partTen(_ ds: DataSet, syntax: TransferSyntax = .explicitVRLittleEndian) throws -> [UInt8] {
    try DICOMFile(dataSet: ds).encodedData(transferSyntax: syntax)
}

/// Sends a data set into the archive the way the storage service does: begin, the bytes in chunks, finish.
@discardableResult
func ingest(_ archive: Archive, _ ds: DataSet, syntax: String = Syntax.explicitLE, chunk: Int = 1000,
            announcing sop: String? = nil) throws(ArchiveError) -> IngestOutcome {
    let bytes: [UInt8]
    do { bytes = try encode(ds, syntax: syntax) } catch { throw ArchiveError(.failed, "encoding: \(error)") }
    let ingest = try archive.beginIngest(sopClassUID: ds.string(.sopClassUID) ?? "", sopInstanceUID: sop ?? ds.string(.sopInstanceUID) ?? "",
                                         transferSyntaxUID: syntax, sourceAETitle: "MODALITY")
    var start = 0
    while start < bytes.count {
        let end = min(start + chunk, bytes.count)
        var failure: ArchiveError?
        bytes[start..<end].withUnsafeBytes { buffer in
            do { try ingest.write(buffer) } catch { failure = error as? ArchiveError }
        }
        if let failure {
            ingest.cancel()
            throw failure
        }
        start = end
    }
    return try ingest.finish()
}

/// A configuration for an archive in `folder`, without syncs (tests).
func configuration(_ folder: String, duplicates: DuplicatePolicy = .keep) -> ArchiveConfiguration {
    var c = ArchiveConfiguration(folder: folder)
    c.durability = .none
    c.duplicates = duplicates
    c.retrieveAETitle = "LIGHTBOX"
    return c
}

/// The shared corpus of real files, when present (`../shared/corpus`); tests that use it skip without it.
enum Corpus {
    static let root: String = {
        // Tests/ArchiveTests/TestSupport.swift → the checkout → ../shared/corpus
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/../shared/corpus"
    }()
    static var isPresent: Bool { FileManager.default.fileExists(atPath: root + "/MANIFEST.csv") }
    static func path(_ relative: String) -> String { root + "/" + relative }
}
