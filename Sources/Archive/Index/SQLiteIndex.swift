#if canImport(Glibc)
import Glibc
#endif
import DICOM
import DICOMQuery
import SQLite
import Synchronization

/// The embedded index: one SQLite database in WAL mode (readers never wait for the writer), one writing
/// connection behind a lock and a pool of reading ones, statements prepared once.
public final class SQLiteIndex: ArchiveIndex {
    /// How commits reach the disk. `normal` leaves the WAL unsynced at commit (never corrupting the database):
    /// the archive makes it durable together with the stored file, in one filesystem sync for many instances.
    /// `full` syncs the WAL at every commit.
    public enum Synchronous: String, Sendable {
        case normal = "NORMAL", full = "FULL"
    }

    public let path: String
    /// Returned as Retrieve AE Title (0008,0054) at every level.
    public let retrieveAETitle: String?
    let writer: Mutex<SQLiteDatabase>
    let readers = Mutex<[SQLiteDatabase]>([])

    public init(path: String, synchronous: Synchronous = .normal, retrieveAETitle: String? = nil) throws(IndexError) {
        self.path = path
        self.retrieveAETitle = retrieveAETitle
        do {
            let db = try SQLiteDatabase(path: path)
            try db.execute("PRAGMA journal_mode = WAL")
            try db.execute("PRAGMA synchronous = \(synchronous.rawValue)")
            try db.execute("PRAGMA foreign_keys = ON")
            // Bigger pages of cache for the writer: an ingest touches the same few index pages over and over.
            try db.execute("PRAGMA cache_size = -32768")
            try SQLiteIndex.migrate(db)
            writer = Mutex(db)
        } catch {
            throw IndexError.from(error, "cannot open the index \(path)")
        }
    }

    /// Brings the schema to the newest version, one migration file at a time, each in its own transaction.
    static func migrate(_ db: SQLiteDatabase) throws {
        let current = try db.userVersion
        let newest = Migrations.all.last?.version ?? 0
        if current > newest {
            throw IndexError("the index has schema version \(current), newer than this Lightbox knows (\(newest)); use a newer Lightbox")
        }
        for migration in Migrations.all where migration.version > current {
            try db.transaction {
                try db.execute(migration.sql)
                try db.execute("PRAGMA user_version = \(migration.version)")
            }
        }
    }

    // MARK: Connections

    /// Runs `body` with a reading connection from the pool (opening one when all are busy).
    func read<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        let db: SQLiteDatabase
        if let pooled = readers.withLock({ $0.popLast() }) {
            db = pooled
        } else {
            db = try SQLiteDatabase(path: path, readOnly: true, create: false)
            try db.execute("PRAGMA query_only = ON")
        }
        defer {
            db.resetStatements()
            readers.withLock { if $0.count < 8 { $0.append(db) } }
        }
        return try body(db)
    }

    func write<T: Sendable>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        try writer.withLock { db in
            defer { db.resetStatements() }
            return try db.transaction { try body(db) }
        }
    }

    // MARK: Writing

    public func insert(_ record: InstanceRecord, duplicates: DuplicatePolicy) throws(IndexError) -> InsertOutcome {
        // Encoding is work for the caller's thread, outside the lock.
        let rows = IndexRows(record)
        do {
            return try write { db in try insertLocked(db, record, rows, duplicates) }
        } catch {
            throw IndexError.from(error, "cannot record \(record.sopInstanceUID)")
        }
    }

    func insertLocked(_ db: SQLiteDatabase, _ r: InstanceRecord, _ rows: IndexRows, _ duplicates: DuplicatePolicy) throws -> InsertOutcome {
        var outcome = InsertOutcome.inserted
        if let existing = try lookup(db, r.sopInstanceUID) {
            switch duplicates {
            case .keep, .reject: return .duplicate(existing: existing)
            case .replace:
                try removeLocked(db, r.sopInstanceUID)
                outcome = .replaced(previous: existing)
            }
        }
        let now = r.receivedAt

        // From the series up: a series that arrives again under another study stays in its first one, and a study
        // that arrives again under another patient with its first one (no entity is made that would stay empty).
        var patient: Int64 = 0, study: Int64 = 0, series: Int64 = 0
        var newStudy = 0, newSeries = 0
        var modalities = "\\", sopClasses = "\\"
        var s = try db.statement("""
            SELECT se.id, st.id, st.patient, st.modalities, st.sop_classes FROM series se JOIN study st ON st.id = se.study
            WHERE se.series_uid = ?
            """)
        try s.bind([.text(r.seriesInstanceUID)])
        if try s.step() {
            (series, study, patient) = (s.int(0), s.int(1), s.int(2))
            modalities = s.text(3) ?? "\\"
            sopClasses = s.text(4) ?? "\\"
        } else {
            // Study: by its UID.
            s = try db.statement("SELECT id, patient, modalities, sop_classes FROM study WHERE study_uid = ?")
            try s.bind([.text(r.studyInstanceUID)])
            if try s.step() {
                (study, patient) = (s.int(0), s.int(1))
                modalities = s.text(2) ?? "\\"
                sopClasses = s.text(3) ?? "\\"
            } else {
                // Patient: by Patient ID and its issuer.
                s = try db.statement("SELECT id FROM patient WHERE patient_id = ? AND issuer = ?")
                try s.bind([.text(r.patientID), .text(r.issuerOfPatientID)])
                if try s.step() {
                    patient = s.int(0)
                } else {
                    s = try db.statement("INSERT INTO patient (patient_id, issuer, birth_date, sex, attributes) VALUES (?, ?, ?, ?, ?)")
                    try s.bind([.text(r.patientID), .text(r.issuerOfPatientID), rows.birthDate.map { .text($0) },
                                rows.sex.map { .text($0) }, .blob(rows.patientAttributes)])
                    try s.run()
                    patient = db.lastInsertedRowID
                    let name = try db.statement("INSERT INTO patient_name (patient, value, lower) VALUES (?, ?, ?)")
                    for value in rows.nameValues {
                        name.reset()
                        try name.bind([.integer(patient), .text(value), .text(value.lowercased())])
                        try name.run()
                    }
                }
                s = try db.statement("""
                    INSERT INTO study (patient, study_uid, study_date, accession, study_id, attributes, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                try s.bind([.integer(patient), .text(r.studyInstanceUID), rows.studyDate.map { .text($0) }, rows.accession.map { .text($0) },
                            rows.studyID.map { .text($0) }, .blob(rows.studyAttributes), .integer(now), .integer(now)])
                try s.run()
                study = db.lastInsertedRowID
                newStudy = 1
            }
            s = try db.statement("INSERT INTO series (study, series_uid, modality, series_number, attributes) VALUES (?, ?, ?, ?, ?)")
            try s.bind([.integer(study), .text(r.seriesInstanceUID), rows.modality.map { .text($0) },
                        rows.seriesNumber.map { .text($0) }, .blob(rows.seriesAttributes)])
            try s.run()
            series = db.lastInsertedRowID
            newSeries = 1
            if let m = rows.modality, !m.isEmpty { modalities = Self.adding(m, to: modalities) }
        }
        sopClasses = Self.adding(r.sopClassUID, to: sopClasses)

        s = try db.statement("""
            INSERT INTO instance (series, sop_uid, sop_class, instance_number, transfer_syntax, storage_key, size, sha256,
                                  received_at, header, metadata)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try s.bind([.integer(series), .text(r.sopInstanceUID), .text(r.sopClassUID), rows.instanceNumber.map { .integer($0) },
                    .text(r.transferSyntaxUID), .text(r.storageKey), .integer(Int64(r.size)), .text(r.sha256),
                    .integer(now), .blob(rows.header), .blob(rows.metadata)])
        try s.run()

        // The counts of PS3.4 C.6.1.1, kept as instances come and go.
        s = try db.statement("UPDATE series SET instances = instances + 1 WHERE id = ?")
        try s.bind([.integer(series)])
        try s.run()
        s = try db.statement("""
            UPDATE study SET instances = instances + 1, series = series + ?, modalities = ?, sop_classes = ?, updated_at = ?
            WHERE id = ?
            """)
        try s.bind([.integer(Int64(newSeries)), .text(modalities), .text(sopClasses), .integer(now), .integer(study)])
        try s.run()
        s = try db.statement("UPDATE patient SET instances = instances + 1, series = series + ?, studies = studies + ? WHERE id = ?")
        try s.bind([.integer(Int64(newSeries)), .integer(Int64(newStudy)), .integer(patient)])
        try s.run()
        return outcome
    }

    /// Adds a value to a `\\A\\B\\` set kept sorted, so that the order never depends on arrival order and a
    /// reindexed archive answers exactly as the original did.
    static func adding(_ value: String, to set: String) -> String {
        guard !set.contains("\\" + value + "\\") else { return set }
        let values = (set.split(separator: "\\").map(String.init) + [value]).sorted()
        return "\\" + values.joined(separator: "\\") + "\\"
    }

    @discardableResult
    public func remove(_ sopInstanceUID: String) throws(IndexError) -> StoredInstance? {
        do {
            return try write { db in try removeLocked(db, sopInstanceUID) }
        } catch {
            throw IndexError.from(error, "cannot remove \(sopInstanceUID)")
        }
    }

    public func remove(_ sopInstanceUIDs: [String]) throws(IndexError) -> [StoredInstance] {
        do {
            return try write { db in try sopInstanceUIDs.compactMap { try removeLocked(db, $0) } }
        } catch {
            throw IndexError.from(error, "cannot remove \(sopInstanceUIDs.count) instances")
        }
    }

    /// Removes an instance, and its series, study and patient when they are left empty; counts and the
    /// study's modalities and SOP classes follow.
    @discardableResult
    func removeLocked(_ db: SQLiteDatabase, _ sopInstanceUID: String) throws -> StoredInstance? {
        guard let existing = try lookup(db, sopInstanceUID) else { return nil }
        var s = try db.statement("""
            SELECT i.id, i.series, se.study, st.patient FROM instance i JOIN series se ON se.id = i.series
            JOIN study st ON st.id = se.study WHERE i.sop_uid = ?
            """)
        try s.bind([.text(sopInstanceUID)])
        guard try s.step() else { return nil }
        let (instance, series, study, patient) = (s.int(0), s.int(1), s.int(2), s.int(3))
        s = try db.statement("DELETE FROM instance WHERE id = ?")
        try s.bind([.integer(instance)])
        try s.run()

        func decrement(_ table: String, _ id: Int64, _ sets: String) throws -> Int64 {
            let u = try db.statement("UPDATE \(table) SET \(sets) WHERE id = ?")
            try u.bind([.integer(id)])
            try u.run()
            let left = try db.scalar("SELECT instances FROM \(table) WHERE id = ?", [.integer(id)])
            guard case .integer(let n)? = left else { return 0 }
            if n <= 0 {
                if table == "patient" { try db.statement("DELETE FROM patient_name WHERE patient = ?").bind([.integer(id)]).run() }
                try db.statement("DELETE FROM \(table) WHERE id = ?").bind([.integer(id)]).run()
            }
            return n
        }
        let seriesLeft = try decrement("series", series, "instances = instances - 1")
        let seriesGone = seriesLeft <= 0 ? 1 : 0
        let studyLeft = try decrement("study", study, "instances = instances - 1, series = series - \(seriesGone)")
        let studyGone = studyLeft <= 0 ? 1 : 0
        _ = try decrement("patient", patient, "instances = instances - 1, series = series - \(seriesGone), studies = studies - \(studyGone)")
        if studyLeft > 0 {
            var modalities = "\\", sopClasses = "\\"
            let m = try db.statement("SELECT DISTINCT modality FROM series WHERE study = ? AND modality IS NOT NULL AND modality != '' ORDER BY modality")
            try m.bind([.integer(study)])
            while try m.step() { modalities += (m.text(0) ?? "") + "\\" }
            let c = try db.statement("SELECT DISTINCT i.sop_class FROM instance i JOIN series se ON se.id = i.series WHERE se.study = ? ORDER BY i.sop_class")
            try c.bind([.integer(study)])
            while try c.step() { sopClasses += (c.text(0) ?? "") + "\\" }
            try db.statement("UPDATE study SET modalities = ?, sop_classes = ? WHERE id = ?")
                .bind([.text(modalities), .text(sopClasses), .integer(study)]).run()
        }
        return existing
    }

    // MARK: Lookups

    /// The columns `storedInstance` reads (0...7, then i.id), and the joins they come from.
    static let instanceColumns = """
        i.sop_uid, i.sop_class, se.series_uid, st.study_uid, i.transfer_syntax, i.storage_key, i.size, i.sha256, i.id
        FROM instance i JOIN series se ON se.id = i.series JOIN study st ON st.id = se.study
        """

    /// The instance from `instanceColumns`, which start at column `from`.
    static func storedInstance(_ s: SQLiteStatement, from c: Int32 = 0) -> StoredInstance {
        StoredInstance(sopInstanceUID: s.text(c) ?? "", sopClassUID: s.text(c + 1) ?? "", seriesInstanceUID: s.text(c + 2) ?? "",
                       studyInstanceUID: s.text(c + 3) ?? "", transferSyntaxUID: s.text(c + 4) ?? "", storageKey: s.text(c + 5) ?? "",
                       size: Int(s.int(c + 6)), sha256: s.text(c + 7) ?? "")
    }

    func lookup(_ db: SQLiteDatabase, _ sopInstanceUID: String) throws -> StoredInstance? {
        let s = try db.statement("SELECT \(SQLiteIndex.instanceColumns) WHERE i.sop_uid = ?")
        try s.bind([.text(sopInstanceUID)])
        return try s.step() ? SQLiteIndex.storedInstance(s) : nil
    }

    public func instance(_ sopInstanceUID: String) throws(IndexError) -> StoredInstance? {
        do { return try read { db in try lookup(db, sopInstanceUID) } } catch { throw IndexError.from(error, "cannot read the index") }
    }

    public func header(_ sopInstanceUID: String) throws(IndexError) -> DataSet? {
        do {
            let blob: [UInt8]? = try read { db in
                let s = try db.statement("SELECT header FROM instance WHERE sop_uid = ?")
                try s.bind([.text(sopInstanceUID)])
                return try s.step() ? s.blob(0) : nil
            }
            return blob.map { LevelAttributes.decode($0) }
        } catch {
            throw IndexError.from(error, "cannot read the index")
        }
    }

    public func forEachInstance(_ body: (StoredInstance) throws -> Void) throws(IndexError) {
        var after: Int64 = 0
        do {
            while true {
                // A page per read: no read transaction stays open while the caller works.
                let page: [(Int64, StoredInstance)] = try read { db in
                    let s = try db.statement("SELECT \(SQLiteIndex.instanceColumns) WHERE i.id > ? ORDER BY i.id LIMIT 1000")
                    try s.bind([.integer(after)])
                    var out: [(Int64, StoredInstance)] = []
                    while try s.step() { out.append((s.int(8), SQLiteIndex.storedInstance(s))) }
                    return out
                }
                guard let last = page.last else { return }
                after = last.0
                for (_, instance) in page { try body(instance) }
            }
        } catch let error as IndexError {
            throw error
        } catch {
            throw IndexError.from(error, "cannot list the index")
        }
    }

    public func isReferenced(storageKey: String) throws(IndexError) -> Bool {
        do {
            return try read { db in try db.scalar("SELECT 1 FROM instance WHERE storage_key = ?", [.text(storageKey)]) != nil }
        } catch {
            throw IndexError.from(error, "cannot read the index")
        }
    }

    public func statistics() throws(IndexError) -> IndexStatistics {
        do {
            return try read { db in
                func count(_ sql: String) throws -> Int {
                    if case .integer(let n)? = try db.scalar(sql) { return Int(n) }
                    return 0
                }
                var stats = IndexStatistics()
                stats.patients = try count("SELECT COUNT(*) FROM patient")
                stats.studies = try count("SELECT COUNT(*) FROM study")
                stats.series = try count("SELECT COUNT(*) FROM series")
                stats.instances = try count("SELECT COUNT(*) FROM instance")
                stats.bytes = Int64(try count("SELECT COALESCE(SUM(size), 0) FROM instance"))
                return stats
            }
        } catch {
            throw IndexError.from(error, "cannot read the index")
        }
    }

    public func latestReceipt() throws(IndexError) -> Int64? {
        do {
            return try read { db in
                if case .integer(let t)? = try db.scalar("SELECT MAX(received_at) FROM instance") { return t }
                return nil
            }
        } catch {
            throw IndexError.from(error, "cannot read the index")
        }
    }

    /// With synchronous NORMAL, commits reach the log file but are synced only at checkpoints. A passive
    /// checkpoint copies what it can into the database file without waiting for readers; the log is then synced
    /// directly, which covers the commits a reader kept from being copied.
    public func sync() throws(IndexError) {
        do {
            try writer.withLock { db in try db.execute("PRAGMA wal_checkpoint(PASSIVE)") }
        } catch {
            throw IndexError.from(error, "cannot sync the index")
        }
        let fd = open(path + "-wal", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        if fdatasync(fd) != 0 { throw IndexError("cannot sync the index log: \(String(cString: strerror(errno)))") }
    }

    /// Copies the write-ahead log into the database file and empties it (for a copy or a move of the file).
    public func checkpoint() throws(IndexError) {
        do {
            try writer.withLock { db in try db.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
        } catch {
            throw IndexError.from(error, "cannot checkpoint the index")
        }
    }

    public func isUsable() -> Bool {
        (try? writer.withLock { db in try db.scalar("SELECT COUNT(*) FROM sqlite_master") }) != nil
    }
}

extension IndexError {
    static func from(_ error: any Error, _ context: String) -> IndexError {
        if let e = error as? IndexError { return e }
        if let e = error as? SQLiteError { return IndexError("\(context): \(e)", isFull: e.isFull) }
        return IndexError("\(context): \(error)")
    }
}

/// The values an instance adds to the index, prepared before the write lock is taken.
struct IndexRows {
    var patientAttributes: [UInt8]
    var studyAttributes: [UInt8]
    var seriesAttributes: [UInt8]
    var header: [UInt8]
    /// DICOM JSON for WADO-RS /metadata (PreparedMetadata).
    var metadata: [UInt8]
    var nameValues: [String]
    var birthDate: String?
    var sex: String?
    var studyDate: String?
    var accession: String?
    var studyID: String?
    var modality: String?
    var seriesNumber: String?
    var instanceNumber: Int64?

    init(_ r: InstanceRecord) {
        let parts = LevelAttributes.split(r.header)
        patientAttributes = LevelAttributes.encode(parts.patient, deflate: false)
        studyAttributes = LevelAttributes.encode(parts.study, deflate: false)
        seriesAttributes = LevelAttributes.encode(parts.series, deflate: false)
        header = LevelAttributes.encode(parts.instance, deflate: true)
        metadata = PreparedMetadata.prepare(r.header, transferSyntaxUID: r.transferSyntaxUID, study: r.studyInstanceUID,
                                            series: r.seriesInstanceUID, instance: r.sopInstanceUID)
        let h = r.header
        func text(_ tag: Tag) -> String? {
            guard let v = h.string(tag), !v.isEmpty else { return nil }
            return v
        }
        nameValues = IndexRows.nameValues(text(.patientName))
        birthDate = text(Tag(0x0010_0030)).map(IndexRows.normalizedDate)
        sex = text(Tag(0x0010_0040))
        studyDate = text(.studyDate).map(IndexRows.normalizedDate)
        accession = text(Tag(0x0008_0050))
        studyID = text(Tag(0x0020_0010))
        modality = text(.modality)
        seriesNumber = text(Tag(0x0020_0011))
        instanceNumber = text(Tag(0x0020_0013)).flatMap { Int64($0.trimmingSpaces) }
    }

    /// The values a person name query is matched against (PS3.4 C.2.2.2.1): each component group and the whole.
    static func nameValues(_ name: String?) -> [String] {
        guard let name, !name.isEmpty else { return [] }
        var values = Set(name.split(separator: "=", omittingEmptySubsequences: true).map(String.init))
        values.insert(name)
        return values.sorted()
    }

    /// Dates as YYYYMMDD, so that ranges compare as text (ACR-NEMA "YYYY.MM.DD" included); others as given.
    static func normalizedDate(_ text: String) -> String {
        guard let d = DICOMDate(text) else { return text }
        return IndexRows.digits(d.year, 4) + IndexRows.digits(d.month, 2) + IndexRows.digits(d.day, 2)
    }

    static func digits(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}

extension String {
    var trimmingSpaces: Substring {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
