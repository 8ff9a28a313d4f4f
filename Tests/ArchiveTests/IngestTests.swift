#if canImport(Glibc)
import Glibc
#endif
import Archive
import DICOM
import DICOMQuery
import Testing
import Transport

/// Instances arriving as a C-STORE does: `beginIngest`, the data set's bytes in chunks, `finish`.
@Suite("Archive ingest")
struct IngestTests {
    /// An archive on disk (files and SQLite) in `folder`.
    static func fileArchive(_ folder: String, duplicates: DuplicatePolicy = .keep) throws -> Archive {
        try Archive(configuration: configuration(folder, duplicates: duplicates))
    }

    /// An archive in memory (the SQLite index still on disk, in `folder`).
    static func memoryArchive(_ folder: String, capacity: Int = Int.max, duplicates: DuplicatePolicy = .keep) throws -> (Archive, MemoryStorageArea) {
        let storage = MemoryStorageArea(capacity: capacity)
        try makeDirectories(folder)
        let index = try SQLiteIndex(path: folder + "/index.sqlite")
        return (Archive(storage: storage, index: index, duplicates: duplicates), storage)
    }

    static func expectEmpty(_ archive: Archive, _ folder: String? = nil) throws {
        #expect(try archive.storage.keys().isEmpty)
        #expect(try archive.index.statistics() == IndexStatistics())
        if let folder { #expect(filesBelow(folder + "/storage").isEmpty) }
    }

    @Test("a stored instance reads back as Part 10 header plus the data set bytes sent, with its SHA-256 and size recorded",
          arguments: [Syntax.explicitLE, Syntax.implicitLE])
    func storedByteForByte(syntax: String) throws {
        try withTemporaryFolder { folder in
            let archive = try Self.fileArchive(folder)
            defer { archive.close() }
            let s = Fixture.all[0]
            let ds = s.dataSet(pixelBytes: 3000)
            let outcome = try ingest(archive, ds, syntax: syntax, chunk: 777)
            guard case .stored(let stored) = outcome else {
                Issue.record("expected .stored, got \(outcome)")
                return
            }
            let sent = try encode(ds, syntax: syntax)
            let expected = DICOMFile.partTenHeader(sopClass: s.sopClass, sopInstance: s.sop, transferSyntax: syntax, sourceAETitle: "MODALITY") + sent
            let path = try #require(archive.storage.localPath(key: stored.storageKey))
            let onDisk = try readFile(path)
            #expect(onDisk == expected)
            #expect(try archive.storage.read(key: stored.storageKey).array == expected)
            #expect(stored.size == expected.count)
            #expect(stored.sha256 == sha256(expected))
            #expect(stored.sopInstanceUID == s.sop)
            #expect(stored.sopClassUID == s.sopClass)
            #expect(stored.studyInstanceUID == s.study)
            #expect(stored.seriesInstanceUID == s.series)
            #expect(stored.transferSyntaxUID == syntax)
            #expect(try archive.index.instance(s.sop) == stored)
            // Keys are "YYYYMMDD/HH/xx/<SHA-256 of the UID, 128 bits>-<random>.dcm" under the storage folder, in the
            // hour of arrival (UTC).
            let parts = stored.storageKey.split(separator: "/").map(String.init)
            #expect(parts.count == 4)
            #expect(parts[0] + "/" + parts[1] == String(Archive.newStorageKey(forInstance: s.sop).prefix(11)))
            let uidDigest = sha256(Array(s.sop.utf8))
            #expect(parts[2] == String(uidDigest.prefix(2)))
            #expect(parts[3].hasPrefix(String(uidDigest.prefix(32)) + "-"))
            #expect(stored.storageKey.hasSuffix(".dcm"))
            #expect(path == folder + "/storage/" + stored.storageKey)

            let file = try archive.file(for: stored)
            #expect(file.dataSet == ds)
            #expect(file.transferSyntax.uid == syntax)
            #expect(file.fileMetaInformation.string(.sourceApplicationEntityTitle) == "MODALITY")
            #expect(file.fileMetaInformation.string(.mediaStorageSOPInstanceUID) == s.sop)
            let header = try archive.file(for: stored, headerOnly: true)
            #expect(header.dataSet[.pixelData] == nil)
            #expect(header.dataSet.string(.patientName) == "Smith^John")
            // The index holds the header, without the pixel data.
            #expect(try archive.index.header(s.sop) == s.header)
        }
    }

    @Test("in memory storage too, and large data sets (header past the first 64 KiB, deflated) as well")
    func memoryAndLarge() throws {
        try withTemporaryFolder { folder in
            let (archive, storage) = try Self.memoryArchive(folder)
            // Pixel data past 64 KiB: the header is in the first bytes.
            let big = Fixture.all[1].dataSet(pixelBytes: 200_000)
            // A header larger than 64 KiB (a big private value before the pixel data): read back from storage.
            var bigHeader = Fixture.all[2].dataSet(pixelBytes: 100)
            bigHeader.set(DataElement(tag: T.privateCreator, vr: .LO, string: "LIGHTBOX TEST"))
            bigHeader.set(DataElement(tag: T.privateBlob, vr: .OB, data: [UInt8](repeating: 9, count: 70_000)))
            let deflated = Fixture.all[3].dataSet(pixelBytes: 0)
            for (ds, syntax) in [(big, Syntax.explicitLE), (bigHeader, Syntax.explicitLE), (bigHeader, Syntax.implicitLE), (deflated, Syntax.deflated)] {
                let sop = ds.string(.sopInstanceUID)!
                if syntax == Syntax.implicitLE { try archive.index.remove(sop) }
                let outcome = try ingest(archive, ds, syntax: syntax, chunk: 16_384)
                let stored = outcome.instance
                let expected = DICOMFile.partTenHeader(sopClass: ds.string(.sopClassUID)!, sopInstance: sop, transferSyntax: syntax,
                                                       sourceAETitle: "MODALITY") + (try encode(ds, syntax: syntax))
                #expect(try storage.read(key: stored.storageKey).array == expected, "\(sop) \(syntax)")
                #expect(stored.sha256 == sha256(expected))
                #expect(try archive.index.header(sop)?.string(.patientID) == "PID1")
                #expect(try archive.index.header(sop)?[.pixelData] == nil)
                let back = try archive.file(for: stored).dataSet
                if syntax == Syntax.implicitLE {
                    // Implicit VR: the private value reads back as UN; the rest as sent.
                    #expect(back[T.privateBlob]?.vr == .UN)
                    #expect(back.elements.filter { $0.tag != T.privateBlob } == ds.elements.filter { $0.tag != T.privateBlob })
                } else {
                    #expect(back == ds, "\(sop) \(syntax)")
                }
            }
            // The private blob is bulk data: not in the index's header.
            #expect(try archive.index.header(Fixture.all[2].sop)?[T.privateBlob] == nil)
            #expect(try archive.index.statistics().instances == 3)
        }
    }

    @Test("a data set whose SOP Instance UID is not the one announced is refused; nothing is kept",
          arguments: [100, 100_000])
    func announcedUIDMismatch(headerPadding: Int) throws {
        try withTemporaryFolder { folder in
            let archive = try Self.fileArchive(folder)
            defer { archive.close() }
            var ds = Fixture.all[0].dataSet()
            // With a big header the check runs on the stored file instead of the first bytes.
            ds.set(DataElement(tag: T.privateCreator, vr: .LO, string: "LIGHTBOX TEST"))
            ds.set(DataElement(tag: T.privateBlob, vr: .OB, data: [UInt8](repeating: 3, count: headerPadding)))
            #expect {
                try ingest(archive, ds, announcing: "9.9.9")
            } throws: { error in
                let e = error as? ArchiveError
                return e?.kind == .invalid && e?.message.contains("9.9.9") == true && e?.message.contains("2.11") == true
            }
            try Self.expectEmpty(archive, folder)
            #expect(try archive.index.instance("9.9.9") == nil)
        }
    }

    @Test("what cannot be read, or lacks the UIDs that place it, is refused; nothing is kept")
    func invalidDataSets() throws {
        try withTemporaryFolder { folder in
            let archive = try Self.fileArchive(folder)
            defer { archive.close() }
            // Garbage for a data set.
            let ingest1 = try archive.beginIngest(sopClassUID: SOPClass.ct, sopInstanceUID: "5.5", transferSyntaxUID: Syntax.explicitLE,
                                                  sourceAETitle: nil)
            try [UInt8](repeating: 0xFF, count: 301).withUnsafeBytes { try ingest1.write($0) }
            #expect {
                try ingest1.finish()
            } throws: { ($0 as? ArchiveError)?.kind == .invalid }
            try Self.expectEmpty(archive, folder)

            // No Series Instance UID.
            var ds = Fixture.all[0].dataSet()
            ds.remove(.seriesInstanceUID)
            #expect {
                try ingest(archive, ds)
            } throws: { ($0 as? ArchiveError)?.kind == .invalid }
            try Self.expectEmpty(archive, folder)
        }
    }

    @Test("a cancelled transfer, or one never finished, leaves nothing")
    func cancel() throws {
        try withTemporaryFolder { folder in
            let archive = try Self.fileArchive(folder)
            defer { archive.close() }
            let bytes = try encode(Fixture.all[0].dataSet(pixelBytes: 5000))
            let partial = try archive.beginIngest(sopClassUID: SOPClass.ct, sopInstanceUID: "2.11", transferSyntaxUID: Syntax.explicitLE,
                                                 sourceAETitle: nil)
            try bytes[0..<2000].withUnsafeBytes { try partial.write($0) }
            // Midway, the temporary file is there, and no key shows it.
            #expect(filesBelow(folder + "/storage").count == 1)
            #expect(try archive.storage.keys().isEmpty)
            partial.cancel()
            try Self.expectEmpty(archive, folder)

            do {
                let abandoned = try archive.beginIngest(sopClassUID: SOPClass.ct, sopInstanceUID: "2.11", transferSyntaxUID: Syntax.explicitLE,
                                                        sourceAETitle: nil)
                try bytes[0..<100].withUnsafeBytes { try abandoned.write($0) }
            }
            try Self.expectEmpty(archive, folder)
            // And the instance can come again whole.
            #expect(try ingest(archive, Fixture.all[0].dataSet(pixelBytes: 5000)).instance.sopInstanceUID == "2.11")
        }
    }

    @Test("full storage: the store fails as .full and leaves nothing partial")
    func full() throws {
        try withTemporaryFolder { folder in
            // Room for the Part 10 header and a little more, not for 4000 bytes of pixel data.
            let (archive, storage) = try Self.memoryArchive(folder, capacity: 1500)
            #expect(storage.freeBytes() == 1500)
            #expect {
                try ingest(archive, Fixture.all[0].dataSet(pixelBytes: 4000), chunk: 500)
            } throws: { ($0 as? ArchiveError)?.kind == .full }
            try Self.expectEmpty(archive)
            #expect(storage.freeBytes() == 1500)

            // Not even the header fits.
            let (tiny, _) = try Self.memoryArchive(folder + "/tiny", capacity: 50)
            #expect {
                _ = try tiny.beginIngest(sopClassUID: SOPClass.ct, sopInstanceUID: "2.11", transferSyntaxUID: Syntax.explicitLE, sourceAETitle: nil)
            } throws: { ($0 as? ArchiveError)?.kind == .full }
            try Self.expectEmpty(tiny)

            // A small instance still fits in the first.
            let small = try ingest(archive, Fixture.all[1].dataSet(pixelBytes: 10))
            #expect(try storage.keys() == [small.instance.storageKey])
            #expect(storage.freeBytes() == Int64(1500 - small.instance.size))
        }
    }

    @Test("duplicates, keep: the first copy stays, the second is read and dropped")
    func duplicateKeep() throws {
        try withTemporaryFolder { folder in
            let archive = try Self.fileArchive(folder, duplicates: .keep)
            defer { archive.close() }
            let first = try ingest(archive, Fixture.all[0].dataSet(pixelBytes: 100))
            guard case .stored(let original) = first else { Issue.record("\(first)"); return }
            let again = try ingest(archive, Fixture.all[0].dataSet(pixelBytes: 900))
            #expect(again == .alreadyStored(original))
            #expect(try archive.storage.keys() == [original.storageKey])
            #expect(try archive.index.instance(original.sopInstanceUID) == original)
            #expect(try archive.file(for: original).dataSet == Fixture.all[0].dataSet(pixelBytes: 100))
        }
    }

    @Test("duplicates, replace: the new copy takes the place of the old, whose file goes")
    func duplicateReplace() throws {
        try withTemporaryFolder { folder in
            let archive = try Self.fileArchive(folder, duplicates: .replace)
            defer { archive.close() }
            let original = try ingest(archive, Fixture.all[0].dataSet(pixelBytes: 100)).instance
            var changed = Fixture.all[0].dataSet(pixelBytes: 900)
            changed.set(DataElement(tag: T.sliceThickness, vr: .DS, string: "7"))
            let outcome = try ingest(archive, changed)
            guard case .replaced(let replacement) = outcome else { Issue.record("\(outcome)"); return }
            #expect(replacement.storageKey != original.storageKey)
            #expect(try archive.storage.keys() == [replacement.storageKey])
            #expect(!archive.storage.exists(key: original.storageKey))
            #expect(try archive.index.instance(original.sopInstanceUID) == replacement)
            #expect(try archive.index.header(original.sopInstanceUID)?.string(T.sliceThickness) == "7")
            #expect(try archive.index.statistics().instances == 1)
        }
    }

    @Test("duplicates, reject: refused at once as .duplicate, the first copy untouched")
    func duplicateReject() throws {
        try withTemporaryFolder { folder in
            let (archive, storage) = try Self.memoryArchive(folder, duplicates: .reject)
            let original = try ingest(archive, Fixture.all[0].dataSet()).instance
            #expect {
                _ = try archive.beginIngest(sopClassUID: SOPClass.ct, sopInstanceUID: original.sopInstanceUID,
                                            transferSyntaxUID: Syntax.explicitLE, sourceAETitle: nil)
            } throws: { ($0 as? ArchiveError)?.kind == .duplicate }
            #expect(try storage.keys() == [original.storageKey])
            #expect(try archive.index.instance(original.sopInstanceUID) == original)
        }
    }

    @Test("an instance whose file was lost is taken again when resent, whatever the policy", arguments: DuplicatePolicy.allCases)
    func resentAfterLostFile(policy: DuplicatePolicy) throws {
        try withTemporaryFolder { folder in
            let archive = try Self.fileArchive(folder, duplicates: policy)
            defer { archive.close() }
            let original = try ingest(archive, Fixture.all[0].dataSet()).instance
            // A crash lost the file but not its index row.
            try archive.storage.remove(key: original.storageKey)
            let outcome = try ingest(archive, Fixture.all[0].dataSet())
            let now = try #require(try archive.index.instance(original.sopInstanceUID))
            #expect(now == outcome.instance)
            #expect(archive.storage.exists(key: now.storageKey), "the index must point to a file that exists")
            #expect(try archive.storage.keys() == [now.storageKey])
            #expect(try archive.file(for: now).dataSet == Fixture.all[0].dataSet())
        }
    }

    @Test("ingests from several threads at once all land, each once")
    func concurrent() async throws {
        try await withTemporaryFolderAsync { folder in
            let archive = try Self.fileArchive(folder)
            defer { archive.close() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for s in Fixture.all {
                    group.addTask { _ = try ingest(archive, s.dataSet(pixelBytes: 2000)) }
                }
                try await group.waitForAll()
            }
            #expect(try archive.index.statistics().instances == 10)
            #expect(try archive.storage.keys().count == 10)
            #expect(try archive.verify().isClean)
        }
    }
}
