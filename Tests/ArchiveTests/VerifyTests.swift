import Archive
import DICOM
import Testing

/// Verify: every indexed instance re-read against its recorded size and SHA-256, every stored file checked for
/// an index row.
@Suite("Archive verify")
struct VerifyTests {
    /// An archive on disk holding the fixture, each instance with a little pixel data.
    static func filled(_ folder: String) throws -> Archive {
        let archive = try Archive(configuration: configuration(folder))
        for s in Fixture.all { try ingest(archive, s.dataSet(pixelBytes: 500)) }
        return archive
    }

    static func path(_ archive: Archive, _ sop: String) throws -> String {
        let instance = try #require(try archive.index.instance(sop))
        return try #require(archive.storage.localPath(key: instance.storageKey))
    }

    @Test("a clean archive verifies clean, every instance and byte counted")
    func clean() throws {
        try withTemporaryFolder { folder in
            let archive = try Self.filled(folder)
            defer { archive.close() }
            var total: Int64 = 0
            try archive.index.forEachInstance { total += Int64($0.size) }
            var progress: [(Int, Int64)] = []
            for threads in [1, 2, 4] {
                progress = []
                let report = try archive.verify(threads: threads) { progress.append(($0, $1)) }
                #expect(report.isClean)
                #expect(report.damaged.isEmpty)
                #expect(report.unreferenced.isEmpty)
                #expect(report.checked == 10)
                #expect(report.bytes == total)
            }
            #expect(progress.last?.0 == 10)
            #expect(progress.last?.1 == total)
        }
    }

    @Test("an empty archive verifies clean")
    func empty() throws {
        try withTemporaryFolder { folder in
            let archive = try Archive(configuration: configuration(folder))
            defer { archive.close() }
            let report = try archive.verify()
            #expect(report.isClean && report.checked == 0 && report.bytes == 0 && report.unreferenced.isEmpty)
        }
    }

    @Test("one flipped byte is reported as damaged (checksum), the rest stay clean")
    func flippedByte() throws {
        try withTemporaryFolder { folder in
            let archive = try Self.filled(folder)
            defer { archive.close() }
            let path = try Self.path(archive, "2.22")
            var bytes = try readFile(path)
            bytes[bytes.count - 10] ^= 0x01
            try writeFile(path, bytes)
            let report = try archive.verify()
            #expect(!report.isClean)
            #expect(report.checked == 10)
            #expect(report.damaged.map(\.sopInstanceUID) == ["2.22"])
            #expect(report.damaged.first?.reason.contains("SHA-256") == true)
            #expect(report.damaged.first?.storageKey == (try archive.index.instance("2.22"))?.storageKey)
            #expect(report.unreferenced.isEmpty)
        }
    }

    @Test("a file of another size is reported as damaged (size)")
    func truncatedFile() throws {
        try withTemporaryFolder { folder in
            let archive = try Self.filled(folder)
            defer { archive.close() }
            let path = try Self.path(archive, "2.31")
            let bytes = try readFile(path)
            try writeFile(path, Array(bytes.dropLast(7)))
            let report = try archive.verify()
            #expect(report.damaged.map(\.sopInstanceUID) == ["2.31"])
            #expect(report.damaged.first?.reason.contains("size \(bytes.count - 7)") == true)
        }
    }

    @Test("a missing file is reported as damaged (missing)")
    func missingFile() throws {
        try withTemporaryFolder { folder in
            let archive = try Self.filled(folder)
            defer { archive.close() }
            let gone = try #require(try archive.index.instance("2.41"))
            try archive.storage.remove(key: gone.storageKey)
            let report = try archive.verify()
            #expect(!report.isClean)
            #expect(report.damaged.count == 1)
            #expect(report.damaged.first?.sopInstanceUID == "2.41")
            #expect(report.damaged.first?.storageKey == gone.storageKey)
            #expect(report.damaged.first?.reason == "the file is missing")
            #expect(report.checked == 10)
        }
    }

    @Test("a stored file no index row refers to is reported as unreferenced, and is not damage")
    func unreferenced() throws {
        try withTemporaryFolder { folder in
            let archive = try Self.filled(folder)
            defer { archive.close() }
            let key = Archive.newStorageKey(forInstance: "7.7.7")
            let w = try archive.storage.create(key: key)
            try w.write(try partTen(Fixture.all[0].dataSet()))
            try w.commit()
            let report = try archive.verify()
            #expect(report.isClean)
            #expect(report.unreferenced == [key])
            #expect(report.checked == 10)
        }
    }

    @Test("damage and unreferenced files in memory storage too")
    func memoryStorage() throws {
        try withTemporaryFolder { folder in
            let storage = MemoryStorageArea()
            let archive = Archive(storage: storage, index: try SQLiteIndex(path: folder + "/index.sqlite"))
            for s in Fixture.all.prefix(3) { try ingest(archive, s.dataSet()) }
            #expect(try archive.verify().isClean)
            // Another content under the key of 2.12.
            let victim = try #require(try archive.index.instance("2.12"))
            var bytes = try storage.read(key: victim.storageKey).array
            bytes[200] ^= 0xFF
            let w = try storage.create(key: victim.storageKey)
            try w.write(bytes)
            try w.commit()
            let stray = try storage.create(key: "stray/file.dcm")
            try stray.write([1, 2, 3, 4])
            try stray.commit()
            let report = try archive.verify()
            #expect(report.damaged.map(\.sopInstanceUID) == ["2.12"])
            #expect(report.unreferenced == ["stray/file.dcm"])
        }
    }
}
