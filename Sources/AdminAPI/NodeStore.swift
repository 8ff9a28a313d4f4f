#if canImport(Glibc)
import Glibc
#endif
import SQLite
import Synchronization

public struct NodeStoreError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Where the remote nodes configured through the API live: SQLite in the data folder now, beside the users.
public protocol NodeStore: Sendable {
    func list() throws(NodeStoreError) -> [RemoteNode]
    func node(named name: String) throws(NodeStoreError) -> RemoteNode?
    /// Adds the node, or replaces the one of that name; true when it is new.
    @discardableResult func put(_ node: RemoteNode) throws(NodeStoreError) -> Bool
    @discardableResult func remove(named name: String) throws(NodeStoreError) -> Bool
}

/// Nodes in `nodes.sqlite` beside the index, readable by its owner only (it holds DICOMweb credentials).
public final class SQLiteNodeStore: NodeStore, @unchecked Sendable {
    private let db: Mutex<SQLiteDatabase>

    public init(path: String) throws(NodeStoreError) {
        do {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            if fd >= 0 { close(fd) }
            let database = try SQLiteDatabase(path: path)
            try database.execute("PRAGMA journal_mode = WAL")
            if try database.userVersion < 1 {
                try database.transaction {
                    try database.execute(String(decoding: PackageResources.nodes_001_sql, as: UTF8.self))
                    try database.execute("PRAGMA user_version = 1")
                }
            }
            db = Mutex(database)
        } catch {
            throw NodeStoreError("cannot open the nodes database \(path): \(error)")
        }
    }

    static let columns = "name, kind, description, ae_title, host, port, tls, url, user_name, password, token"

    static func node(_ s: SQLiteStatement) -> RemoteNode? {
        guard let name = s.text(0), let kind = s.text(1).flatMap(RemoteNode.Kind.init(rawValue:)) else { return nil }
        var n = RemoteNode(name: name, kind: kind)
        n.description = s.text(2) ?? ""
        n.aeTitle = s.text(3) ?? ""
        n.host = s.text(4) ?? ""
        n.port = Int(s.int(5))
        n.tls = s.int(6) != 0
        n.url = s.text(7) ?? ""
        n.user = s.text(8)
        n.password = s.text(9)
        n.token = s.text(10)
        return n
    }

    public func list() throws(NodeStoreError) -> [RemoteNode] {
        try run { db in
            let s = try db.statement("SELECT \(Self.columns) FROM node ORDER BY name")
            var out: [RemoteNode] = []
            while try s.step() { if let n = Self.node(s) { out.append(n) } }
            return out
        }
    }

    public func node(named name: String) throws(NodeStoreError) -> RemoteNode? {
        try run { db in
            let s = try db.statement("SELECT \(Self.columns) FROM node WHERE name = ?").bind([.text(name)])
            return try s.step() ? Self.node(s) : nil
        }
    }

    public func put(_ n: RemoteNode) throws(NodeStoreError) -> Bool {
        try run { db in
            let now = Int64(time(nil))
            let existed = try db.scalar("SELECT 1 FROM node WHERE name = ?", [.text(n.name)]) != nil
            func text(_ s: String?) -> SQLiteValue? { s.map { .text($0) } }
            let values: [SQLiteValue?] = [.text(n.kind.rawValue), .text(n.description), text(n.aeTitle), text(n.host), .integer(Int64(n.port)),
                                          .integer(n.tls ? 1 : 0), text(n.url), text(n.user), text(n.password), text(n.token), .integer(now)]
            if existed {
                try db.statement("""
                    UPDATE node SET kind = ?, description = ?, ae_title = ?, host = ?, port = ?, tls = ?, url = ?, user_name = ?,
                    password = ?, token = ?, updated = ? WHERE name = ?
                    """).bind(values + [.text(n.name)]).run()
            } else {
                try db.statement("""
                    INSERT INTO node (kind, description, ae_title, host, port, tls, url, user_name, password, token, updated, name, created)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).bind(values + [.text(n.name), .integer(now)]).run()
            }
            return !existed
        }
    }

    public func remove(named name: String) throws(NodeStoreError) -> Bool {
        try run { db in
            try db.statement("DELETE FROM node WHERE name = ?").bind([.text(name)]).run()
            return db.changes > 0
        }
    }

    private func run<T>(_ body: (SQLiteDatabase) throws -> T) throws(NodeStoreError) -> T {
        do {
            // Statements are reset after each use: one left on a row would keep its read transaction, and this
            // connection would not see what another process (`lightbox users add`) wrote since.
            return try db.withLock { db in
                defer { db.resetStatements() }
                return try body(db)
            }
        } catch {
            throw NodeStoreError("the nodes database: \(error)")
        }
    }
}

/// Nodes in memory (tests, and archives run without a data folder).
public final class MemoryNodeStore: NodeStore, Sendable {
    private let nodes = Mutex<[String: RemoteNode]>([:])
    public init() {}
    public func list() -> [RemoteNode] { nodes.withLock { $0.values.sorted { $0.name < $1.name } } }
    public func node(named name: String) -> RemoteNode? { nodes.withLock { $0[name] } }
    public func put(_ node: RemoteNode) -> Bool { nodes.withLock { $0.updateValue(node, forKey: node.name) == nil } }
    public func remove(named name: String) -> Bool { nodes.withLock { $0.removeValue(forKey: name) != nil } }
}
