#if canImport(Glibc)
import Glibc
#endif
import Archive
import DICOM
import Synchronization
import Testing

/// Recovery after a crash: a session marker beside the index whose process is gone makes the next opening index
/// the complete files stored since the index was last durable, and remove the incomplete ones.
@Suite("Archive recovery")
struct RecoveryTests {
    /// A pid no process has (beyond any pid_max).
    static let deadPID = "999999999"

    /// Markers beside the index: "<index file>.pid-<pid>".
    static func markers(_ c: ArchiveConfiguration) -> [String] {
        let folder = String(c.indexPath[..<c.indexPath.lastIndex(of: "/")!])
        let name = String(c.indexPath[c.indexPath.index(after: c.indexPath.lastIndex(of: "/")!)...])
        return filesBelow(folder).filter { $0.hasPrefix(name + ".pid-") && !$0.contains("/") }
    }

    /// Writes a file into storage under a key of the current hour, without indexing it (what a crash between
    /// the file's commit and the index's sync leaves).
    static func storeBehindTheIndex(_ c: ArchiveConfiguration, _ bytes: [UInt8], uid: String) throws -> String {
        let storage = try FileStorageArea(root: c.storageFolder, durability: .none)
        let key = Archive.newStorageKey(forInstance: uid)
        let w = try storage.create(key: key)
        try w.write(bytes)
        try w.commit()
        return key
    }

    @Test("an open archive leaves a marker with its pid; close removes it")
    func sessionMarker() throws {
        try withTemporaryFolder { folder in
            let c = configuration(folder)
            let archive = try Archive(configuration: c)
            #expect(Self.markers(c) == ["index.sqlite.pid-\(getpid())"])
            archive.close()
            #expect(Self.markers(c).isEmpty)
        }
    }

    @Test("after a crash the next opening indexes the files the index lost and removes the broken ones")
    func recoverAtOpen() throws {
        try withTemporaryFolder { folder in
            let c = configuration(folder)
            var stored: [StoredInstance] = []
            do {
                let archive = try Archive(configuration: c)
                for s in Fixture.all.prefix(3) { stored.append(try ingest(archive, s.dataSet()).instance) }
                try archive.sync()
                // The process "dies": no close; its marker stays, under a pid no longer running.
            }
            try renameFile(c.indexPath + ".pid-\(getpid())", c.indexPath + ".pid-" + Self.deadPID)
            let lost = Fixture.all[3]
            let lostBytes = try partTen(lost.dataSet())
            let lostKey = try Self.storeBehindTheIndex(c, lostBytes, uid: lost.sop)
            let brokenBytes = Array(try partTen(Fixture.all[4].dataSet(pixelBytes: 2000)).dropLast(500))
            let brokenKey = try Self.storeBehindTheIndex(c, brokenBytes, uid: Fixture.all[4].sop)
            let garbageKey = try Self.storeBehindTheIndex(c, Array("garbage".utf8), uid: "garbage")

            let messages = Mutex<[String]>([])
            let archive = try Archive(configuration: c, log: { _, m in messages.withLock { $0.append(m) } })
            defer { archive.close() }
            #expect(messages.withLock { $0 }.contains("recovery: 3 recent files examined, 1 indexed again, 2 incomplete removed"))
            let recovered = try #require(try archive.index.instance(lost.sop))
            #expect(recovered.storageKey == lostKey)
            #expect(recovered.size == lostBytes.count)
            #expect(recovered.sha256 == sha256(lostBytes))
            #expect(try archive.index.header(lost.sop) == lost.header)
            #expect(!archive.storage.exists(key: brokenKey))
            #expect(!archive.storage.exists(key: garbageKey))
            for instance in stored { #expect(try archive.index.instance(instance.sopInstanceUID) == instance) }
            #expect(try archive.index.statistics().instances == 4)
            // The stale marker is gone; ours is there.
            #expect(Self.markers(c) == ["index.sqlite.pid-\(getpid())"])
            let report = try archive.verify()
            #expect(report.isClean && report.unreferenced.isEmpty)
        }
    }

    @Test("a marker of a running process (another server) is not a crash: nothing is recovered")
    func liveMarker() throws {
        try withTemporaryFolder { folder in
            let c = configuration(folder)
            do {
                let archive = try Archive(configuration: c)
                try ingest(archive, Fixture.all[0].dataSet())
                archive.close()
            }
            // pid 1 always runs.
            try writeFile(c.indexPath + ".pid-1", [])
            let garbageKey = try Self.storeBehindTheIndex(c, Array("garbage".utf8), uid: "garbage")
            let archive = try Archive(configuration: c)
            defer { archive.close() }
            #expect(archive.storage.exists(key: garbageKey))
            #expect(Self.markers(c).sorted() == ["index.sqlite.pid-1", "index.sqlite.pid-\(getpid())"].sorted())
        }
    }

    @Test("recover(since:) counts what it examined, indexed and removed")
    func recoverReport() throws {
        try withTemporaryFolder { folder in
            let c = configuration(folder)
            let archive = try Archive(configuration: c)
            defer { archive.close() }
            for s in Fixture.all.prefix(2) { try ingest(archive, s.dataSet()) }
            // Nothing behind the index: nothing examined (indexed files are not read again).
            let nothing = archive.recover(since: try archive.index.latestReceipt())
            #expect([nothing.examined, nothing.indexed, nothing.removed] == [0, 0, 0])

            for s in Fixture.all[2..<5] { _ = try Self.storeBehindTheIndex(c, try partTen(s.dataSet()), uid: s.sop) }
            _ = try Self.storeBehindTheIndex(c, [0, 1, 2, 3], uid: "x")
            let report = archive.recover(since: try archive.index.latestReceipt())
            #expect([report.examined, report.indexed, report.removed] == [4, 3, 1])
            #expect(try archive.index.statistics().instances == 5)
            // A second run finds nothing more.
            let again = archive.recover(since: nil)
            #expect([again.examined, again.indexed, again.removed] == [0, 0, 0])
        }
    }

    @Test("a lost copy of an instance the index holds is not indexed twice")
    func duplicateBehindTheIndex() throws {
        try withTemporaryFolder { folder in
            let c = configuration(folder)
            let archive = try Archive(configuration: c)
            defer { archive.close() }
            let first = try ingest(archive, Fixture.all[0].dataSet()).instance
            let copyKey = try Self.storeBehindTheIndex(c, try partTen(Fixture.all[0].dataSet()), uid: Fixture.all[0].sop)
            let report = archive.recover(since: nil)
            #expect(report.examined == 1)
            #expect(report.indexed == 0)
            #expect(try archive.index.instance(first.sopInstanceUID) == first)
            // The copy was a duplicate the policy keeps the first of: it goes.
            #expect(!archive.storage.exists(key: copyKey))
        }
    }

    @Test("recovery looks only at the hours around the last receipt; nil looks everywhere")
    func hoursAroundLastReceipt() throws {
        try withTemporaryFolder { folder in
            let c = configuration(folder)
            let archive = try Archive(configuration: c)
            defer { archive.close() }
            try ingest(archive, Fixture.all[0].dataSet())
            let storage = archive.storage
            // A file of three days ago: outside the window.
            let oldKey = Archive.newStorageKey(forInstance: Fixture.all[1].sop, at: Int64(time(nil)) - 3 * 86_400)
            let w = try storage.create(key: oldKey)
            try w.write(try partTen(Fixture.all[1].dataSet()))
            try w.commit()
            #expect(archive.recover(since: try archive.index.latestReceipt()).examined == 0)
            #expect(try archive.index.instance(Fixture.all[1].sop) == nil)
            let everything = archive.recover(since: nil)
            #expect(everything.examined == 1 && everything.indexed == 1)
            #expect(try archive.index.instance(Fixture.all[1].sop)?.storageKey == oldKey)
        }
    }
}

func renameFile(_ from: String, _ to: String) throws {
    guard rename(from, to) == 0 else { throw TestFailure("cannot rename \(from): \(String(cString: strerror(errno)))") }
}
