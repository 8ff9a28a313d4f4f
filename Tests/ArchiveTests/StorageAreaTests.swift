#if canImport(Glibc)
import Glibc
#endif
import Archive
import DICOM
import Testing
import Transport

/// The storage areas: objects written, committed, read, listed and removed by key; nothing visible before commit.
@Suite("StorageArea")
struct StorageAreaTests {
    /// The same checks for either area.
    static func exercise(_ area: any StorageArea) throws {
        #expect(try area.keys().isEmpty)
        let payload = (0..<5000).map { UInt8(truncatingIfNeeded: $0 * 31) }

        let writer = try area.create(key: "20240101/10/ab/one.dcm")
        try writer.write(Array(payload[0..<1000]))
        try writer.write(Bytes(payload[1000...]))
        #expect(writer.size == 5000)
        // Not visible before the commit.
        #expect(!area.exists(key: "20240101/10/ab/one.dcm"))
        #expect(try area.keys().isEmpty)
        #expect(writer.digest() == sha256(payload))
        try writer.commit()
        #expect(area.exists(key: "20240101/10/ab/one.dcm"))
        #expect(try area.read(key: "20240101/10/ab/one.dcm").array == payload)

        let aborted = try area.create(key: "20240101/10/cd/two.dcm")
        try aborted.write([1, 2, 3])
        aborted.abort()
        #expect(!area.exists(key: "20240101/10/cd/two.dcm"))

        for key in ["20240101/11/cd/three.dcm", "20240102/10/ef/four.dcm"] {
            let w = try area.create(key: key)
            try w.write(Array(key.utf8))
            try w.commit()
        }
        #expect(try area.keys() == ["20240101/10/ab/one.dcm", "20240101/11/cd/three.dcm", "20240102/10/ef/four.dcm"])
        #expect(try area.keys(under: "20240101/10") == ["20240101/10/ab/one.dcm"])
        #expect(try area.keys(under: "20240101") == ["20240101/10/ab/one.dcm", "20240101/11/cd/three.dcm"])
        #expect(try area.keys(under: "20240103").isEmpty)
        // A prefix is a folder, not the start of a name.
        #expect(try area.keys(under: "20240101/1").isEmpty)

        try area.remove(key: "20240101/11/cd/three.dcm")
        #expect(!area.exists(key: "20240101/11/cd/three.dcm"))
        // Removing what is not there is no error.
        try area.remove(key: "20240101/11/cd/three.dcm")
        #expect(throws: StorageError.notFound("20240101/11/cd/three.dcm")) {
            _ = try area.read(key: "20240101/11/cd/three.dcm")
        }
        #expect(try area.keys().count == 2)
    }

    @Test("FileStorageArea: write, commit, read, list, remove")
    func fileArea() throws {
        try withTemporaryFolder { folder in
            let area = try FileStorageArea(root: folder + "/storage", durability: .none)
            try Self.exercise(area)
            #expect(area.localPath(key: "20240101/10/ab/one.dcm") == folder + "/storage/20240101/10/ab/one.dcm")
            #expect(filesBelow(folder + "/storage") == ["20240101/10/ab/one.dcm", "20240102/10/ef/four.dcm"])
            #expect((area.freeBytes() ?? 0) > 0)
        }
    }

    @Test("FileStorageArea: every durability commits the same bytes", arguments: [AtomicFileWriter.Durability.strict, .renameThenSync, .none])
    func durabilities(durability: AtomicFileWriter.Durability) throws {
        try withTemporaryFolder { folder in
            let area = try FileStorageArea(root: folder, durability: durability)
            let w = try area.create(key: "a/b/c.dcm")
            try w.write([UInt8](repeating: 5, count: 300_000))
            try w.commit()
            #expect(try readFile(folder + "/a/b/c.dcm") == [UInt8](repeating: 5, count: 300_000))
        }
    }

    @Test("FileStorageArea: a writer hashing at its commit gives the same SHA-256, over every byte written")
    func digestAtCommit() throws {
        try withTemporaryFolder { folder in
            let area = try FileStorageArea(root: folder, durability: .renameThenSync)
            let payload = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
            let writer = try area.create(key: "20240101/10/ab/late.dcm", digestAtCommit: true)
            for start in stride(from: 0, to: payload.count, by: 700_000) {
                try writer.write(Array(payload[start..<min(payload.count, start + 700_000)]))
            }
            try writer.commit()
            #expect(writer.digest() == sha256(payload))
            #expect(try area.read(key: "20240101/10/ab/late.dcm").array == payload)
        }
    }

    @Test("FileStorageArea: a file left half-written by a crash is removed when the area opens")
    func incompleteRemovedAtOpen() throws {
        try withTemporaryFolder { folder in
            do {
                let area = try FileStorageArea(root: folder, durability: .none)
                let done = try area.create(key: "x/y/done.dcm")
                try done.write([1])
                try done.commit()
            }
            // What a writer leaves when the process dies before its commit.
            try writeFile(folder + "/x/y/crashed.dcm.part-abc123", [1, 2, 3])
            #expect(filesBelow(folder).count == 2)
            let reopened = try FileStorageArea(root: folder, durability: .none)
            #expect(filesBelow(folder) == ["x/y/done.dcm"])
            #expect(try reopened.keys() == ["x/y/done.dcm"])
        }
    }

    @Test("MemoryStorageArea: write, commit, read, list, remove")
    func memoryArea() throws {
        let area = MemoryStorageArea()
        try Self.exercise(area)
        #expect(area.localPath(key: "20240101/10/ab/one.dcm") == nil)
        #expect(area.freeBytes() == nil)
    }

    @Test("MemoryStorageArea: writes beyond its capacity fail as a full disk does")
    func memoryCapacity() throws {
        let area = MemoryStorageArea(capacity: 100)
        #expect(area.freeBytes() == 100)
        let w = try area.create(key: "a")
        try w.write([UInt8](repeating: 0, count: 60))
        try w.commit()
        #expect(area.freeBytes() == 40)
        let second = try area.create(key: "b")
        try second.write([UInt8](repeating: 0, count: 40))
        #expect(throws: StorageError.full("memory storage capacity reached")) {
            try second.write([0])
        }
        second.abort()
        #expect(!area.exists(key: "b"))
        try area.remove(key: "a")
        #expect(area.freeBytes() == 100)
    }

    @Test("storage errors describe themselves; archive errors keep their kind")
    func errors() {
        #expect(StorageError.full("disk").description == "storage full: disk")
        #expect(StorageError.notFound("k").description == "no stored object k")
        #expect(ArchiveError(.full, "no room").description == "no room")
        #expect(ArchiveError(.duplicate, "x").kind == .duplicate)
    }
}
