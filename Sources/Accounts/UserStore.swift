#if canImport(Glibc)
import Glibc
#endif
import COpenSSL
import Crypto
import SQLite
import Synchronization

public struct User: Sendable, Equatable {
    public var name: String
    public var role: Role
    /// Seconds since 1970.
    public var created: Int

    public init(name: String, role: Role, created: Int) {
        self.name = name
        self.role = role
        self.created = created
    }
}

public struct AccountsError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Where users and tokens live. SQLite in the data folder now; PostgreSQL with the rest of the scale-out work.
public protocol UserStore: Sendable {
    func add(name: String, role: Role, password: String) throws(AccountsError)
    @discardableResult func remove(name: String) throws(AccountsError) -> Bool
    func list() throws(AccountsError) -> [User]
    /// The user, when the password is theirs.
    func authenticate(name: String, password: String) throws(AccountsError) -> User?
    /// A new bearer token for the user, valid for `lifetime` seconds.
    func issueToken(for name: String, lifetime: Int) throws(AccountsError) -> (token: String, expires: Int)
    /// The user a token was issued to, while it is neither expired nor revoked.
    func user(forToken token: String) throws(AccountsError) -> User?
    func revoke(token: String) throws(AccountsError)
}

/// Users in `users.sqlite` beside the index.
public final class SQLiteUserStore: UserStore, @unchecked Sendable {
    private let db: Mutex<SQLiteDatabase>

    public init(path: String) throws(AccountsError) {
        do {
            let database = try SQLiteDatabase(path: path)
            try database.execute("PRAGMA journal_mode = WAL")
            try database.execute("PRAGMA foreign_keys = ON")
            if try database.userVersion < 1 {
                try database.transaction {
                    try database.execute(String(decoding: PackageResources.users_001_sql, as: UTF8.self))
                    try database.execute("PRAGMA user_version = 1")
                }
            }
            db = Mutex(database)
        } catch {
            throw AccountsError("cannot open the users database \(path): \(error)")
        }
    }

    public static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "." || c == "_" || c == "-" || c == "@"
        }
    }

    public func add(name: String, role: Role, password: String) throws(AccountsError) {
        guard Self.validName(name) else { throw AccountsError("a user name is 1 to 64 letters, digits, '.', '_', '-' or '@'") }
        guard password.count >= 8 else { throw AccountsError("a password needs at least 8 characters") }
        guard let hash = PasswordHash.hash(password) else { throw AccountsError("cannot hash the password") }
        let added: Bool = try run { db in
            guard try db.scalar("SELECT 1 FROM user WHERE name = ?", [.text(name)]) == nil else { return false }
            try db.statement("INSERT INTO user (name, role, password_hash, created) VALUES (?, ?, ?, ?)")
                .bind([.text(name), .text(role.rawValue), .text(hash), .integer(Int64(now()))]).run()
            return true
        }
        guard added else { throw AccountsError("user \(name) already exists") }
    }

    public func remove(name: String) throws(AccountsError) -> Bool {
        try run { db in
            try db.statement("DELETE FROM user WHERE name = ?").bind([.text(name)]).run()
            return try db.scalar("SELECT changes()").flatMap { if case .integer(let n) = $0 { return n > 0 } else { return nil } } ?? false
        }
    }

    public func list() throws(AccountsError) -> [User] {
        try run { db in
            let s = try db.statement("SELECT name, role, created FROM user ORDER BY name")
            var users: [User] = []
            while try s.step() {
                guard let name = s.text(0), let role = s.text(1).flatMap(Role.init(rawValue:)) else { continue }
                users.append(User(name: name, role: role, created: Int(s.int(2))))
            }
            return users
        }
    }

    public func authenticate(name: String, password: String) throws(AccountsError) -> User? {
        let row: (User, String)? = try run { db in
            let s = try db.statement("SELECT role, password_hash, created FROM user WHERE name = ?").bind([.text(name)])
            guard try s.step(), let role = s.text(0).flatMap(Role.init(rawValue:)), let hash = s.text(1) else { return nil }
            return (User(name: name, role: role, created: Int(s.int(2))), hash)
        }
        // Hashing happens outside the database lock: it takes tens of milliseconds by design.
        guard let (user, hash) = row, PasswordHash.verify(password, against: hash) else { return nil }
        return user
    }

    public func issueToken(for name: String, lifetime: Int) throws(AccountsError) -> (token: String, expires: Int) {
        var bytes = [UInt8](repeating: 0, count: 32)
        guard RAND_bytes(&bytes, 32) == 1 else { throw AccountsError("no random bytes for a token") }
        let token = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        let expires = now() + lifetime
        let issued: Bool = try run { db in
            guard try db.scalar("SELECT 1 FROM user WHERE name = ?", [.text(name)]) != nil else { return false }
            try db.statement("INSERT INTO token (token_hash, user_name, expires) VALUES (?, ?, ?)")
                .bind([.text(Self.digest(token)), .text(name), .integer(Int64(expires))]).run()
            return true
        }
        guard issued else { throw AccountsError("no user \(name)") }
        return (token, expires)
    }

    public func user(forToken token: String) throws(AccountsError) -> User? {
        try run { db in
            let s = try db.statement("""
                SELECT u.name, u.role, u.created FROM token t JOIN user u ON u.name = t.user_name
                WHERE t.token_hash = ? AND t.revoked = 0 AND t.expires > ?
                """).bind([.text(Self.digest(token)), .integer(Int64(now()))])
            guard try s.step(), let name = s.text(0), let role = s.text(1).flatMap(Role.init(rawValue:)) else { return nil }
            return User(name: name, role: role, created: Int(s.int(2)))
        }
    }

    public func revoke(token: String) throws(AccountsError) {
        try run { try $0.statement("UPDATE token SET revoked = 1 WHERE token_hash = ?").bind([.text(Self.digest(token))]).run() }
    }

    static func digest(_ token: String) -> String {
        let bytes = Array(token.utf8)
        return bytes.withUnsafeBytes { SHA256.hash($0) }
    }

    private func run<T>(_ body: (SQLiteDatabase) throws -> T) throws(AccountsError) -> T {
        do {
            // Statements are reset after each use: one left on a row would keep its read transaction, and this
            // connection would not see what another process (`lightbox users add`) wrote since.
            return try db.withLock { db in
                defer { db.resetStatements() }
                return try body(db)
            }
        } catch {
            throw AccountsError("the users database: \(error)")
        }
    }
}

func now() -> Int { Int(time(nil)) }
