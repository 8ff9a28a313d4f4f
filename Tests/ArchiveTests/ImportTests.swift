import Archive
import DICOM
import DICOMQuery
import Testing

/// Bulk import of files: Part 10 files stored as they are, bare data sets given meta information, what is not
/// DICOM passed over, what is broken refused, and nothing added twice.
@Suite("Archive import")
struct ImportTests {
    static func archive(_ folder: String) throws -> Archive {
        try Archive(configuration: configuration(folder))
    }

    static func stored(_ outcome: ImportOutcome) -> StoredInstance? {
        if case .stored(let i) = outcome { return i }
        return nil
    }

    @Test("a well-formed Part 10 file is stored byte for byte")
    func partTenVerbatim() throws {
        try withTemporaryFolder { folder in
            let archive = try Self.archive(folder)
            defer { archive.close() }
            let s = Fixture.all[4]
            let bytes = try partTen(s.dataSet(pixelBytes: 2000))
            try writeFile(folder + "/in/one.dcm", bytes)
            let outcome = archive.importFile(folder + "/in/one.dcm")
            let instance = try #require(Self.stored(outcome), "\(outcome)")
            #expect(try archive.storage.read(key: instance.storageKey).array == bytes)
            #expect(instance.size == bytes.count)
            #expect(instance.sha256 == sha256(bytes))
            #expect(instance.sopInstanceUID == s.sop)
            #expect(instance.transferSyntaxUID == Syntax.explicitLE)
            #expect(try archive.index.instance(s.sop) == instance)
            #expect(try archive.index.header(s.sop) == s.header)
        }
    }

    @Test("a bare data set (no preamble, no meta) gets a Part 10 header in front of its bytes")
    func bareDataSet() throws {
        try withTemporaryFolder { folder in
            let archive = try Self.archive(folder)
            defer { archive.close() }
            let s = Fixture.all[5]
            let ds = s.dataSet(pixelBytes: 100)
            for syntax in [Syntax.implicitLE, Syntax.explicitLE] {
                if syntax == Syntax.explicitLE { try archive.index.remove(s.sop) }
                let bare = try encode(ds, syntax: syntax)
                try writeFile(folder + "/in/bare.raw", bare)
                let instance = try #require(Self.stored(archive.importFile(folder + "/in/bare.raw")))
                let expected = DICOMFile.partTenHeader(sopClass: s.sopClass, sopInstance: s.sop, transferSyntax: syntax, sourceAETitle: nil) + bare
                #expect(try archive.storage.read(key: instance.storageKey).array == expected, "\(syntax)")
                #expect(instance.transferSyntaxUID == syntax)
                let file = try archive.file(for: instance)
                #expect(file.preamble != nil)
                #expect(file.fileMetaInformation.string(.transferSyntaxUID) == syntax)
                #expect(file.warnings.isEmpty)
                #expect(file.dataSet.string(.patientName) == s.patientName)
            }
        }
    }

    @Test("what is not DICOM is skipped; a DICOMDIR too; nothing is stored")
    func notDICOM() throws {
        try withTemporaryFolder { folder in
            let archive = try Self.archive(folder)
            defer { archive.close() }
            try writeFile(folder + "/README.txt", Array("This folder holds the studies of 2019.\n".utf8))
            try writeFile(folder + "/empty", [])
            try writeFile(folder + "/DICOMDIR", try partTen(Fixture.all[0].dataSet()))
            for name in ["README.txt", "empty", "DICOMDIR"] {
                let outcome = archive.importFile(folder + "/" + name)
                guard case .skipped = outcome else {
                    Issue.record("\(name): \(outcome)")
                    continue
                }
            }
            guard case .failed = archive.importFile(folder + "/no-such-file.dcm") else {
                Issue.record("a missing file is a failure")
                return
            }
            #expect(try archive.storage.keys().isEmpty)
            #expect(try archive.index.statistics().instances == 0)
        }
    }

    @Test("a truncated file, or one without UIDs, fails and leaves nothing")
    func truncatedAndIncomplete() throws {
        try withTemporaryFolder { folder in
            let archive = try Self.archive(folder)
            defer { archive.close() }
            let bytes = try partTen(Fixture.all[0].dataSet(pixelBytes: 4000))
            try writeFile(folder + "/cut.dcm", Array(bytes[0..<(bytes.count - 1000)]))
            var outcome = archive.importFile(folder + "/cut.dcm")
            guard case .failed = outcome else {
                Issue.record("truncated: \(outcome)")
                return
            }
            var noSeries = Fixture.all[1].dataSet()
            noSeries.remove(.seriesInstanceUID)
            try writeFile(folder + "/no-series.dcm", try partTen(noSeries))
            outcome = archive.importFile(folder + "/no-series.dcm")
            guard case .failed = outcome else {
                Issue.record("no series UID: \(outcome)")
                return
            }
            var noSOP = Fixture.all[2].dataSet()
            noSOP.remove(.sopInstanceUID)
            outcome = archive.importData(Bytes(try partTen(noSOP)))
            guard case .failed = outcome else {
                Issue.record("no SOP Instance UID: \(outcome)")
                return
            }
            #expect(try archive.storage.keys().isEmpty)
            #expect(filesBelow(folder + "/storage").isEmpty)
            #expect(try archive.index.statistics().instances == 0)
        }
    }

    @Test("importing the same file twice adds nothing the second time")
    func twice() throws {
        try withTemporaryFolder { folder in
            let archive = try Self.archive(folder)
            defer { archive.close() }
            for s in Fixture.all { try writeFile(folder + "/in/\(s.sop).dcm", try partTen(s.dataSet())) }
            var first: [String: StoredInstance] = [:]
            for s in Fixture.all { first[s.sop] = Self.stored(archive.importFile(folder + "/in/\(s.sop).dcm")) }
            #expect(first.values.count == 10)
            let stats = try archive.index.statistics()
            let keys = try archive.storage.keys()
            for s in Fixture.all {
                #expect(archive.importFile(folder + "/in/\(s.sop).dcm") == .alreadyStored(first[s.sop]!))
            }
            #expect(try archive.index.statistics() == stats)
            #expect(try archive.storage.keys() == keys)
            #expect(stats.instances == 10 && stats.studies == 4)
        }
    }

    @Test("an instance whose file was lost is stored again by import")
    func lostFileImportedAgain() throws {
        try withTemporaryFolder { folder in
            let archive = try Self.archive(folder)
            defer { archive.close() }
            let bytes = try partTen(Fixture.all[0].dataSet())
            let original = try #require(Self.stored(archive.importData(Bytes(bytes))))
            try archive.storage.remove(key: original.storageKey)
            let again = try #require(Self.stored(archive.importData(Bytes(bytes))))
            #expect(try archive.index.instance(original.sopInstanceUID) == again)
            #expect(try archive.storage.read(key: again.storageKey).array == bytes)
            #expect(try archive.verify().isClean)
        }
    }

    /// Real files of the shared corpus: (path, how the import must end, whether stored verbatim).
    static let corpusFiles: [(String, String, Bool)] = [
        ("dicom-test-files/data/pydicom/CT_small.dcm", "stored", true),
        ("dicom-test-files/data/pydicom/rtplan.dcm", "stored", true),
        ("dicom-test-files/data/pydicom/ExplVR_BigEnd.dcm", "stored", true),
        ("dicom-test-files/data/pydicom/ExplVR_BigEndNoMeta.dcm", "stored", false),
        ("dcm4che/dcm4che-test-data/src/main/resources/report_dfl", "stored", true),
        ("dicom-test-files/data/pydicom/rtplan_truncated.dcm", "failed", false),
    ]

    @Test("real files from the shared corpus", .enabled(if: Corpus.isPresent, "needs ../shared/corpus"))
    func corpus() throws {
        try withTemporaryFolder { folder in
            let archive = try Self.archive(folder)
            defer { archive.close() }
            var storedCount = 0
            for (path, expected, verbatim) in Self.corpusFiles {
                let source = try readFile(Corpus.path(path))
                let outcome = archive.importFile(Corpus.path(path))
                switch (expected, outcome) {
                case ("stored", .stored(let instance)):
                    storedCount += 1
                    let kept = try archive.storage.read(key: instance.storageKey).array
                    if verbatim {
                        #expect(kept == source, "\(path) stored as it was")
                    } else {
                        // New meta information, then the original bytes.
                        #expect(Array(kept.suffix(source.count)) == source, "\(path) keeps its data set bytes")
                        #expect(Array(kept[128..<132]) == Array("DICM".utf8))
                    }
                    let original = try DICOMFile(bytes: Bytes(source), options: .standard)
                    let file = try archive.file(for: instance)
                    #expect(file.dataSet == original.dataSet, "\(path)")
                    #expect(instance.sopInstanceUID == original.dataSet.string(.sopInstanceUID))
                    #expect(instance.transferSyntaxUID == original.transferSyntax.uid)
                    #expect(instance.sha256 == sha256(kept))
                    // Found by a query on its study.
                    let study = original.dataSet.string(.studyInstanceUID) ?? ""
                    let found = try archive.index.find(query("IMAGE", [(.studyInstanceUID, .UI, study), (.sopInstanceUID, .UI, "")]))
                    #expect(found.compactMap { $0.string(.sopInstanceUID) }.contains(instance.sopInstanceUID), "\(path)")
                case ("failed", .failed):
                    break
                default:
                    Issue.record("\(path): expected \(expected), got \(outcome)")
                }
            }
            #expect(try archive.index.statistics().instances == storedCount)
            #expect(try archive.verify().isClean)
            // All again: nothing new.
            for (path, _, _) in Self.corpusFiles { _ = archive.importFile(Corpus.path(path)) }
            #expect(try archive.index.statistics().instances == storedCount)
            #expect(try archive.storage.keys().count == storedCount)
        }
    }
}
