import Archive
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
            #expect(try db.userVersion == 1)
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
            #expect(try SQLiteDatabase(path: path, readOnly: true, create: false).userVersion == 1)
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
