import Archive
import DICOM
import DICOMQuery
import SQLite
import Testing

/// The index schema's versions: a new index gets the newest, an existing one is left as it is, and one newer than
/// this Lightbox knows is refused rather than misread.
@Suite("Index migrations")
struct MigrationsTests {
    @Test("a new index has the schema's tables and the newest version")
    func newIndex() throws {
        try withTemporaryFolder { folder in
            let path = folder + "/index.sqlite"
            _ = try SQLiteIndex(path: path)
            let db = try SQLiteDatabase(path: path, readOnly: true, create: false)
            #expect(try db.userVersion == 2)
            let s = try db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            var tables: [String] = []
            while try s.step() { tables.append(s.text(0) ?? "") }
            #expect(tables == ["instance", "patient", "patient_name", "series", "study"])
            #expect(try db.scalar("PRAGMA journal_mode") == .text("wal"))
        }
    }

    @Test("reopening leaves the data and the version alone")
    func reopen() throws {
        try withTemporaryFolder { folder in
            let path = folder + "/index.sqlite"
            do {
                let index = try SQLiteIndex(path: path)
                _ = try index.insert(Fixture.all[0].record(), duplicates: .keep)
            }
            let index = try SQLiteIndex(path: path)
            #expect(try index.statistics().instances == 1)
            #expect(try SQLiteDatabase(path: path, readOnly: true, create: false).userVersion == 2)
        }
    }

    @Test("a version 1 index is migrated to 2; its instances' metadata comes from their headers until reindexed")
    func fromVersionOne() throws {
        try withTemporaryFolder { folder in
            let path = folder + "/index.sqlite"
            let record = Fixture.all[0].record()
            do {
                // A version 1 index holding one instance, as an earlier Lightbox left it.
                let index = try SQLiteIndex(path: path)
                _ = try index.insert(record, duplicates: .keep)
                let db = try SQLiteDatabase(path: path)
                try db.execute("UPDATE instance SET metadata = NULL")
                try db.execute("ALTER TABLE instance DROP COLUMN metadata")
                try db.execute("PRAGMA user_version = 1")
            }
            let index = try SQLiteIndex(path: path)
            #expect(try SQLiteDatabase(path: path, readOnly: true, create: false).userVersion == 2)
            var id = DataSet()
            id.set(DataElement(tag: Tag(0x0008_0052), vr: .CS, string: "IMAGE"))
            id.set(DataElement(tag: .sopInstanceUID, vr: .UI, string: record.sopInstanceUID))
            let rows = try index.metadata(matching: try Query(identifier: id, model: .studyRoot))
            #expect(rows.count == 1)
            guard case .header(let header)? = rows.first?.metadata else {
                Issue.record("expected the header for an instance indexed before version 2")
                return
            }
            #expect(header.string(.sopInstanceUID) == record.sopInstanceUID)
            // A new instance gets prepared metadata.
            var second = Fixture.all[1].record()
            second.storageKey = "other"
            _ = try index.insert(second, duplicates: .keep)
            id.set(DataElement(tag: .sopInstanceUID, vr: .UI, string: second.sopInstanceUID))
            guard case .prepared(let blob)? = try index.metadata(matching: try Query(identifier: id, model: .studyRoot)).first?.metadata else {
                Issue.record("expected prepared metadata for a new instance")
                return
            }
            var text: [UInt8] = []
            #expect(PreparedMetadata.render(blob, base: "http://h/dicom-web", into: &text))
            #expect(String(decoding: text, as: UTF8.self).contains(second.sopInstanceUID))
        }
    }

    @Test("an index of a newer schema is refused with a message saying so")
    func newerSchema() throws {
        try withTemporaryFolder { folder in
            let path = folder + "/index.sqlite"
            do {
                let db = try SQLiteDatabase(path: path)
                try db.execute("PRAGMA user_version = 99")
            }
            #expect {
                _ = try SQLiteIndex(path: path)
            } throws: { error in
                "\(error)".contains("schema version 99") && "\(error)".contains("newer")
            }
        }
    }

    @Test("a file that is not a database is refused")
    func notADatabase() throws {
        try withTemporaryFolder { folder in
            try writeFile(folder + "/index.sqlite", Array(String(repeating: "not a database ", count: 100).utf8))
            #expect(throws: IndexError.self) { _ = try SQLiteIndex(path: folder + "/index.sqlite") }
        }
    }
}
