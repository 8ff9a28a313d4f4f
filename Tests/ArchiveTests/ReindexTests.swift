#if canImport(Glibc)
import Glibc
#endif
import Archive
import DICOM
import DICOMQuery
import Testing

/// Reindex: a new index built from the stored files takes the place of the old one, and answers as it did.
@Suite("Archive reindex")
struct ReindexTests {
    static let queries: [(String, InformationModel, [(Tag, VR, String)], Bool)] = [
        ("PATIENT", .patientRoot, SQLiteIndexFindTests.patientReturnKeys, false),
        ("PATIENT", .patientRoot, SQLiteIndexFindTests.keys(SQLiteIndexFindTests.patientReturnKeys, [(.patientName, .PN, "smith*")]), true),
        ("STUDY", .studyRoot, SQLiteIndexFindTests.studyReturnKeys, false),
        ("STUDY", .studyRoot, SQLiteIndexFindTests.keys(SQLiteIndexFindTests.studyReturnKeys, [(.studyDate, .DA, "20200101-")]), false),
        ("STUDY", .patientRoot, SQLiteIndexFindTests.keys(SQLiteIndexFindTests.studyReturnKeys, [(T.modalitiesInStudy, .CS, "MR")]), false),
        ("SERIES", .studyRoot, SQLiteIndexFindTests.seriesReturnKeys + [(T.sliceThickness, .DS, "")], false),
        ("IMAGE", .studyRoot, SQLiteIndexFindTests.imageReturnKeys, false),
        ("IMAGE", .patientRoot, SQLiteIndexFindTests.keys(SQLiteIndexFindTests.imageReturnKeys, [(.sopClassUID, .UI, SOPClass.mr)]), false),
    ]

    static func answers(_ index: any ArchiveIndex) throws -> [[String]] {
        try queries.map { level, model, keys, ci in canonical(try index.find(query(level, keys, model: model, caseInsensitive: ci))) }
    }

    static func inode(_ path: String) -> UInt64 {
        var st = stat()
        return stat(path, &st) == 0 ? UInt64(st.st_ino) : 0
    }

    @Test("the rebuilt index answers every query as the old one did, and replaces its file")
    func sameAnswers() throws {
        try withTemporaryFolder { folder in
            let c = configuration(folder)
            var before: [[String]] = []
            var instances: [String: StoredInstance] = [:]
            do {
                let archive = try Archive(configuration: c)
                // Arrival out of UID order: the first instance of each entity is the one reindex keeps first too.
                // Reindex knows the order of arrival from the files' modification times, which the kernel keeps
                // in ticks of a few milliseconds: the instances arrive a tick apart.
                for s in Fixture.all.reversed() {
                    try ingest(archive, s.dataSet(pixelBytes: 300))
                    usleep(15_000)
                }
                before = try Self.answers(archive.index)
                try archive.index.forEachInstance { instances[$0.sopInstanceUID] = $0 }
                archive.close()
            }
            #expect(before.allSatisfy { !$0.isEmpty })
            let oldInode = Self.inode(c.indexPath)
            var progress: [(Int, Int)] = []
            let report = try Archive.reindex(c, progress: { progress.append(($0, $1)) })
            #expect(report.files == 10)
            #expect(report.indexed == 10)
            #expect(report.unreadable.isEmpty)
            #expect(report.superseded.isEmpty)
            #expect(progress.last.map { [$0.0, $0.1] } == [10, 10])
            #expect(Self.inode(c.indexPath) != oldInode, "a new index file")
            #expect(access(c.indexPath + ".rebuild", F_OK) != 0)

            let archive = try Archive(configuration: c)
            defer { archive.close() }
            let now = try Self.answers(archive.index)
            for (n, (a, b)) in zip(now, before).enumerated() where a != b {
                Issue.record("query \(n): \(Set(a).subtracting(b)) instead of \(Set(b).subtracting(a))")
            }
            var after: [String: StoredInstance] = [:]
            try archive.index.forEachInstance { after[$0.sopInstanceUID] = $0 }
            #expect(after == instances, "same keys, sizes and checksums")
            #expect(try archive.verify().isClean)
        }
    }

    @Test("a lost index is rebuilt whole from the files")
    func lostIndex() throws {
        try withTemporaryFolder { folder in
            let c = configuration(folder)
            var before: [[String]] = []
            do {
                let archive = try Archive(configuration: c)
                for s in Fixture.all { try ingest(archive, s.dataSet()) }
                before = try Self.answers(archive.index)
                archive.close()
            }
            for suffix in ["", "-wal", "-shm"] { unlink(c.indexPath + suffix) }
            let report = try Archive.reindex(c, threads: 3)
            #expect(report.indexed == 10)
            let index = try SQLiteIndex(path: c.indexPath, retrieveAETitle: "LIGHTBOX")
            #expect(try Self.answers(index) == before)
            #expect(try index.statistics().instances == 10)
        }
    }

    @Test("unreadable files are reported and left; of two files with one SOP Instance UID the newer is indexed")
    func unreadableAndSuperseded() throws {
        try withTemporaryFolder { folder in
            let c = configuration(folder)
            var replacedKey = ""
            do {
                let archive = try Archive(configuration: c)
                for s in Fixture.all.prefix(4) { try ingest(archive, s.dataSet()) }
                replacedKey = try #require(try archive.index.instance("2.12")).storageKey
                archive.close()
            }
            // An older copy of 2.12 left behind (a replacement whose old file was not removed), written later.
            usleep(20_000)
            let storage = try FileStorageArea(root: c.storageFolder, durability: .none)
            var newer = Fixture.all[1].dataSet()
            newer.set(DataElement(tag: T.sliceThickness, vr: .DS, string: "42"))
            let newerKey = Archive.newStorageKey(forInstance: "2.12")
            var w = try storage.create(key: newerKey)
            try w.write(try partTen(newer))
            try w.commit()
            w = try storage.create(key: "junk/notes.txt")
            try w.write(Array("not an instance".utf8))
            try w.commit()

            let report = try Archive.reindex(c)
            #expect(report.files == 6)
            #expect(report.indexed == 5)
            #expect(report.unreadable.map(\.key) == ["junk/notes.txt"])
            #expect(report.superseded == [replacedKey])
            let index = try SQLiteIndex(path: c.indexPath)
            #expect(try index.instance("2.12")?.storageKey == newerKey)
            #expect(try index.header("2.12")?.string(T.sliceThickness) == "42")
            #expect(try index.statistics().instances == 4)
            // The files themselves are left where they are.
            #expect(storage.exists(key: "junk/notes.txt"))
            #expect(storage.exists(key: replacedKey))
        }
    }

    @Test("reindex leaves no stale session markers: nothing is left to recover")
    func clearsStaleMarkers() throws {
        try withTemporaryFolder { folder in
            let c = configuration(folder)
            do {
                let archive = try Archive(configuration: c)
                try ingest(archive, Fixture.all[0].dataSet())
                archive.close()
            }
            let stale = c.indexPath + ".pid-999999999"
            try writeFile(stale, [])
            _ = try Archive.reindex(c)
            #expect(access(stale, F_OK) != 0)
        }
    }
}
