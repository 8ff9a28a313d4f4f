#if canImport(Glibc)
import Glibc
#endif
import Accounts
import Archive
import DICOM
import DICOMNetwork
import DICOMQuery
import HTTP
import Testing
import Transport
@testable import AdminAPI

typealias Tag = DICOMCore.Tag

/// The administration API driven through its route table, without sockets: listing with C-FIND matching,
/// details, deletion that leaves neither index rows nor files behind, node validation and storage, jobs.
@Suite struct AdminServiceTests {
    static let admin = User(name: "root", role: .admin, created: 0)

    /// An archive of two patients: Doe with a CT study (2 series of 3) and an MR study (1 of 2), Roe with a CR.
    final class Fixture: @unchecked Sendable {
        let folder: String
        let archive: Archive
        let service: AdminService
        var router = Router()

        init() throws {
            var template = Array("/tmp/lightbox-admin-tests-XXXXXX".utf8CString)
            folder = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
            archive = Archive(storage: MemoryStorageArea(), index: try SQLiteIndex(path: folder + "/index.sqlite"))
            service = AdminService(archive: archive, nodes: MemoryNodeStore(), jobs: JobQueue(workers: 1))
            for route in service.routes {
                let handler = route.handler
                router.add(route.method, route.pattern) { request throws(HTTPError) in try handler(request, AdminServiceTests.admin) }
            }
            func add(_ patient: String, _ name: String, _ study: String, _ description: String, _ date: String, _ series: String,
                     _ modality: String, _ count: Int) throws {
                for n in 1...count {
                    var ds = DataSet()
                    func text(_ tag: Tag, _ vr: VR, _ v: String) { ds.set(DataElement(tag: tag, vr: vr, string: v)) }
                    text(.specificCharacterSet, .CS, "ISO_IR 192")
                    text(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.7")
                    text(.sopInstanceUID, .UI, "\(series).\(n)")
                    text(.studyDate, .DA, date)
                    text(.modality, .CS, modality)
                    text(Tag(0x0008_1030), .LO, description)
                    text(.patientName, .PN, name)
                    text(.patientID, .LO, patient)
                    text(.studyInstanceUID, .UI, study)
                    text(.seriesInstanceUID, .UI, series)
                    ds.set(DataElement(tag: Tag(0x0020_0013), integerStrings: [n]))
                    let bytes = try DICOMFile(dataSet: ds).encodedData(transferSyntax: .explicitVRLittleEndian)
                    guard case .stored = archive.importData(Bytes(bytes)) else { throw HTTPError(500, "not stored") }
                }
            }
            try add("P1", "Doe^John", "1.2.1", "CT HEAD", "20250101", "1.2.1.1", "CT", 3)
            try add("P1", "Doe^John", "1.2.1", "CT HEAD", "20250101", "1.2.1.2", "CT", 3)
            try add("P1", "Doe^John", "1.2.2", "MR BRAIN", "20250301", "1.2.2.1", "MR", 2)
            try add("P2", "Roe^Jane", "1.2.3", "XR CHEST", "20240615", "1.2.3.1", "CR", 1)
        }

        deinit { _ = system("rm -rf '\(folder)'") }

        func get(_ path: String, _ query: [(String, String)] = [], method: String = "GET", body: [UInt8] = []) -> (Int, JSONValue?) {
            let response = router.respond(to: HTTPRequest(method: method, path: path, query: query.map { (name: $0.0, value: $0.1) },
                                                          body: HTTPBody(bytes: body)))
            guard case .bytes(let b) = response.body else { return (response.status, nil) }
            return (response.status, try? JSONParser.parse(b))
        }
    }

    static func strings(_ items: JSONValue?, _ key: String) -> [String] {
        (items?["items"]?.array ?? []).compactMap { $0[key]?.string }
    }

    @Test func listsEachLevelWithCFINDMatching() throws {
        let f = try Fixture()
        #expect(Self.strings(f.get("/api/patients").1, "PatientID") == ["P1", "P2"])
        let (status, studies) = f.get("/api/studies", [("PatientName", "doe*")])
        #expect(status == 200)
        #expect(Set(Self.strings(studies, "StudyInstanceUID")) == ["1.2.1", "1.2.2"])
        #expect(Self.strings(f.get("/api/studies", [("StudyDate", "20250201-")]).1, "StudyInstanceUID") == ["1.2.2"])
        #expect(Self.strings(f.get("/api/series", [("Modality", "CT")]).1, "SeriesInstanceUID").sorted() == ["1.2.1.1", "1.2.1.2"])
        let instances = f.get("/api/instances", [("SeriesInstanceUID", "1.2.1.2")]).1
        #expect(Self.strings(instances, "SOPInstanceUID").sorted() == ["1.2.1.2.1", "1.2.1.2.2", "1.2.1.2.3"])
        // Instances carry how they are stored.
        #expect(instances?["items"]?.array?.first?["transfer_syntax"]?.string == "1.2.840.10008.1.2.1")
        // Counts are numbers.
        let doe = f.get("/api/patients", [("PatientID", "P1")]).1?["items"]?.array?.first
        #expect(doe?["NumberOfPatientRelatedInstances"] == .number("8"))
    }

    @Test func pagesWithLimitAndOffset() throws {
        let f = try Fixture()
        let first = f.get("/api/instances", [("limit", "5")]).1
        #expect(first?["items"]?.array?.count == 5 && first?["more"] == .bool(true))
        let rest = f.get("/api/instances", [("limit", "5"), ("offset", "5")]).1
        #expect(rest?["items"]?.array?.count == 4 && rest?["more"] == .bool(false))
        let all = Set(Self.strings(first, "SOPInstanceUID") + Self.strings(rest, "SOPInstanceUID"))
        #expect(all.count == 9)
    }

    @Test func badParametersAre400() throws {
        let f = try Fixture()
        #expect(f.get("/api/studies", [("PatientNmae", "x")]).0 == 400)
        #expect(f.get("/api/studies", [("limit", "-1")]).0 == 400)
        #expect(f.get("/api/studies", [("ReferencedStudySequence", "x")]).0 == 400)
        #expect(f.get("/api/studies/1.2..3").0 == 400)
        #expect(f.get("/api/studies/9.9.9").0 == 404)
    }

    @Test func detailsListChildren() throws {
        let f = try Fixture()
        let study = f.get("/api/studies/1.2.1").1
        #expect(study?["StudyDescription"]?.string == "CT HEAD")
        #expect(study?["series"]?.array?.compactMap { $0["SeriesInstanceUID"]?.string }.sorted() == ["1.2.1.1", "1.2.1.2"])
        let series = f.get("/api/studies/1.2.1/series/1.2.1.1").1
        #expect(series?["instances"]?.array?.count == 3)
        // A series under another study is not found.
        #expect(f.get("/api/studies/1.2.2/series/1.2.1.1").0 == 404)
    }

    @Test func deletionRemovesRowsAndFilesAndOnlyThem() throws {
        let f = try Fixture()
        let keys = try f.archive.index.instances(matching: try Query(identifier: {
            var id = DataSet()
            id.set(DataElement(tag: queryRetrieveLevelTag, vr: .CS, string: "SERIES"))
            id.set(DataElement(tag: .studyInstanceUID, vr: .UI, string: "1.2.1"))
            id.set(DataElement(tag: .seriesInstanceUID, vr: .UI, string: "1.2.1.1"))
            return id
        }(), model: .studyRoot)).map(\.storageKey)
        #expect(keys.count == 3)
        let (status, body) = f.get("/api/studies/1.2.1/series/1.2.1.1", method: "DELETE")
        #expect(status == 200 && body?["deleted_instances"] == .number("3"))
        for key in keys { #expect(!f.archive.storage.exists(key: key)) }
        let stats = try f.archive.index.statistics()
        #expect(stats.instances == 6 && stats.series == 3 && stats.studies == 3)
        // The study keeps its other series; deleting it then leaves the patient with the MR study only.
        #expect(f.get("/api/studies/1.2.1").1?["NumberOfStudyRelatedInstances"] == .number("3"))
        #expect(f.get("/api/studies/1.2.1", method: "DELETE").0 == 200)
        #expect(f.get("/api/studies/1.2.1").0 == 404)
        #expect(f.get("/api/patients", [("PatientID", "P1")]).1?["items"]?.array?.first?["NumberOfPatientRelatedStudies"] == .number("1"))
        #expect(f.get("/api/studies/1.2.1", method: "DELETE").0 == 404)
    }

    @Test func nodesAreValidatedStoredAndKeepTheirSecrets() throws {
        let f = try Fixture()
        func put(_ name: String, _ json: String) -> (Int, JSONValue?) { f.get("/api/nodes/\(name)", method: "PUT", body: Array(json.utf8)) }
        #expect(put("ws1", #"{"kind":"dicom","ae_title":"WS1","host":"10.0.0.5","port":104}"#).0 == 201)
        #expect(put("ws1", #"{"kind":"dicom","ae_title":"WS1","host":"10.0.0.6","port":104}"#).0 == 200)
        #expect(f.get("/api/nodes/ws1").1?["host"]?.string == "10.0.0.6")
        for bad in [#"{"kind":"dicom","ae_title":"","host":"h","port":104}"#, #"{"kind":"dicom","ae_title":"A","host":"h","port":70000}"#,
                    #"{"kind":"fax"}"#, #"{"kind":"dicomweb","url":"ftp://x"}"#, #"{"kind":"dicomweb","url":"http://u:p@x/dicom-web"}"#,
                    #"{"kind":"dicom","ae_title":"A","host":"h","port":1,"colour":"red"}"#, "not json"] {
            #expect(put("bad", bad).0 == 400, "\(bad)")
        }
        #expect(put("..", #"{"kind":"dicom","ae_title":"A","host":"h","port":1}"#).0 == 400)
        #expect(put("a b", #"{"kind":"dicom","ae_title":"A","host":"h","port":1}"#).0 == 400)
        let web = put("cloud", #"{"kind":"dicomweb","url":"https://pacs.example.org/dicom-web","user":"u","password":"secret"}"#)
        #expect(web.0 == 201 && web.1?["password_set"] == .bool(true) && web.1?["password"] == nil)
        // Editing without the password keeps it.
        #expect(put("cloud", #"{"kind":"dicomweb","url":"https://pacs.example.org/dicom-web","user":"u"}"#).0 == 200)
        #expect(try f.service.nodes.node(named: "cloud")?.password == "secret")
        #expect(f.get("/api/nodes").1?.array?.count == 2)
        #expect(f.get("/api/nodes/cloud", method: "DELETE").0 == 204)
        #expect(f.get("/api/nodes/cloud", method: "DELETE").0 == 404)
    }

    @Test func echoToANodeThatIsNotThereIs502() throws {
        let f = try Fixture()
        _ = f.get("/api/nodes/gone", method: "PUT", body: Array(#"{"kind":"dicom","ae_title":"GONE","host":"127.0.0.1","port":1}"#.utf8))
        let (status, body) = f.get("/api/nodes/gone/echo", method: "POST")
        #expect(status == 502)
        #expect(body?["error"]?.string?.contains("GONE") == true)
    }

    @Test func sendingToAnUnreachableNodeIsAFailedJob() throws {
        let f = try Fixture()
        _ = f.get("/api/nodes/gone", method: "PUT", body: Array(#"{"kind":"dicom","ae_title":"GONE","host":"127.0.0.1","port":1}"#.utf8))
        let (status, job) = f.get("/api/studies/1.2.1/send", method: "POST", body: Array(#"{"node":"gone","wait":true}"#.utf8))
        #expect(status == 200)
        #expect(job?["state"]?.string == "failed" && job?["failed"] == .number("6") && job?["total"] == .number("6"))
        #expect(job?["error"]?.string?.contains("cannot associate") == true)
        let id = job?["id"]?.string ?? ""
        #expect(f.get("/api/jobs/\(id)").1?["state"]?.string == "failed")
        #expect(f.get("/api/jobs/\(id)", method: "DELETE").0 == 409)
        #expect(f.get("/api/studies/1.2.1/send", method: "POST", body: Array(#"{"node":"nowhere"}"#.utf8)).0 == 404)
        #expect(f.get("/api/studies/1.2.1/send", method: "POST", body: Array(#"{"destination":"gone"}"#.utf8)).0 == 400)
    }

    @Test func aPendingJobIsCancelled() throws {
        let jobs = JobQueue(workers: 1)
        // The one worker is held by a job that waits until told to go.
        let release = Atomic<Bool>(false)
        let blocker = jobs.submit(kind: "test", summary: "hold", user: "t", total: 1) { context in
            while !release.load(ordering: .relaxed) { usleep(1000) }
            var done = TransferProgress(total: 1)
            done.completed = 1
            _ = context.report(done)
        }
        let queued = jobs.submit(kind: "test", summary: "queued", user: "t", total: 1) { _ in }
        #expect(jobs.cancel(queued.id))
        #expect(jobs.job(queued.id)?.state == .cancelled)
        release.store(true, ordering: .relaxed)
        #expect(jobs.wait(blocker.id, timeout: 10)?.state == .succeeded)
        #expect(jobs.job(queued.id)?.state == .cancelled)
    }
}

import Synchronization
