import CSQLite

public struct SQLiteError: Error, Sendable, CustomStringConvertible, Equatable {
    public let code: Int32
    public let message: String
    public var description: String { "SQLite error \(code): \(message)" }

    /// The database file is locked by another writer beyond the busy timeout.
    public var isBusy: Bool { code & 0xFF == SQLITE_BUSY || code & 0xFF == SQLITE_LOCKED }
    /// The disk is full (SQLITE_FULL) or an I/O error happened.
    public var isStorageFailure: Bool { code & 0xFF == SQLITE_FULL || code & 0xFF == SQLITE_IOERR }
    /// The disk is full.
    public var isFull: Bool { code & 0xFF == SQLITE_FULL }
}

/// A SQLite connection (one thread at a time). Statements are prepared once and kept, as the index runs the
/// same few statements millions of times.
public final class SQLiteDatabase: @unchecked Sendable {
    let handle: OpaquePointer
    private var cache: [String: SQLiteStatement] = [:]

    /// Opens (creating if asked) a database file, with a busy timeout so that concurrent writers wait rather than fail.
    public init(path: String, readOnly: Bool = false, create: Bool = true, busyTimeoutMilliseconds: Int32 = 10_000) throws(SQLiteError) {
        var db: OpaquePointer?
        var flags = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0)
        flags |= SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close(db) }
            throw SQLiteError(code: rc, message: "\(path): \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    func error(_ rc: Int32) -> SQLiteError {
        SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)))
    }

    /// Runs SQL without results (several statements allowed: a schema file, say).
    public func execute(_ sql: String) throws(SQLiteError) {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        guard rc == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? ""
            sqlite3_free(message)
            throw SQLiteError(code: rc, message: text)
        }
    }

    /// A prepared statement for `sql`, from the cache when it was prepared before.
    public func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let s = cache[sql] {
            s.reset()
            return s
        }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc) }
        let s = SQLiteStatement(stmt, database: self)
        cache[sql] = s
        return s
    }

    /// Resets every cached statement. A statement left on a row keeps its read transaction open, and with it
    /// the connection's view of the database: call this when a unit of work is done.
    public func resetStatements() {
        for s in cache.values { sqlite3_reset(s.stmt) }
    }

    /// A statement prepared for one use (not cached): for SQL whose text varies.
    public func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, 0, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc) }
        return SQLiteStatement(stmt, database: self)
    }

    /// Runs `body` in a transaction (BEGIN IMMEDIATE: the write lock is taken at once, so two writers do not
    /// deadlock upgrading), committed when it returns, rolled back when it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            resetStatements()
            try execute("COMMIT")
            return result
        } catch {
            resetStatements()
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// The schema version the database records (PRAGMA user_version), for migrations.
    public var userVersion: Int {
        get throws(SQLiteError) {
            let s = try statement("PRAGMA user_version")
            return try s.step() ? Int(s.int(0)) : 0
        }
    }

    /// The first column of the first row of a query (nil when there is no row or it is NULL).
    public func scalar(_ sql: String, _ values: [SQLiteValue?] = []) throws(SQLiteError) -> SQLiteValue? {
        let s = try statement(sql)
        defer { s.reset() }
        try s.bind(values)
        guard try s.step() else { return nil }
        return s.value(0)
    }

    public var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    public var changes: Int { Int(sqlite3_changes(handle)) }
}

/// A prepared statement: bind parameters (1-based), step through rows, read columns (0-based).
public final class SQLiteStatement {
    let stmt: OpaquePointer
    unowned let database: SQLiteDatabase

    init(_ stmt: OpaquePointer, database: SQLiteDatabase) {
        self.stmt = stmt
        self.database = database
    }

    deinit { sqlite3_finalize(stmt) }

    /// SQLite copies the bound text and blobs (they need not outlive the call).
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    public func reset() {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    @discardableResult
    public func bind(_ values: [SQLiteValue?]) throws(SQLiteError) -> SQLiteStatement {
        for (i, v) in values.enumerated() { try bind(Int32(i + 1), v) }
        return self
    }

    public func bind(_ index: Int32, _ value: SQLiteValue?) throws(SQLiteError) {
        let rc: Int32
        switch value {
        case nil: rc = sqlite3_bind_null(stmt, index)
        case .integer(let v): rc = sqlite3_bind_int64(stmt, index, v)
        case .real(let v): rc = sqlite3_bind_double(stmt, index, v)
        case .text(let v): rc = sqlite3_bind_text(stmt, index, v, -1, SQLiteStatement.transient)
        case .blob(let v):
            rc = v.withUnsafeBytes { sqlite3_bind_blob(stmt, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32($0.count), SQLiteStatement.transient) }
        }
        guard rc == SQLITE_OK else { throw database.error(rc) }
    }

    /// Advances to the next row; false when there is none (the statement is done).
    public func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw database.error(rc)
    }

    /// Runs a statement that returns no rows.
    public func run() throws(SQLiteError) {
        while try step() {}
    }

    public func value(_ column: Int32) -> SQLiteValue? {
        switch sqlite3_column_type(stmt, column) {
        case SQLITE_INTEGER: return .integer(int(column))
        case SQLITE_FLOAT: return .real(double(column))
        case SQLITE_TEXT: return text(column).map { .text($0) }
        case SQLITE_BLOB: return .blob(blob(column) ?? [])
        default: return nil
        }
    }

    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(stmt, column) == SQLITE_NULL }
    public func int(_ column: Int32) -> Int64 { sqlite3_column_int64(stmt, column) }
    public func double(_ column: Int32) -> Double { sqlite3_column_double(stmt, column) }

    public func text(_ column: Int32) -> String? {
        guard let p = sqlite3_column_text(stmt, column) else { return nil }
        let n = Int(sqlite3_column_bytes(stmt, column))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    public func blob(_ column: Int32) -> [UInt8]? {
        guard let p = sqlite3_column_blob(stmt, column) else { return isNull(column) ? nil : [] }
        let n = Int(sqlite3_column_bytes(stmt, column))
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}

public enum SQLiteValue: Sendable, Equatable {
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension SQLiteValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
}
