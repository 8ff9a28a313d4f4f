import DICOM

/// Where the archive keeps the files it has received, addressed by keys (relative paths). A filesystem
/// implementation now; object storage (S3) and tiers later, behind the same protocol.
public protocol StorageArea: Sendable {
    /// Starts a new object. Nothing is visible under `key` until the writer commits.
    func create(key: String) throws(StorageError) -> any StorageWriter
    /// The object's bytes (memory-mapped when large: reading a header does not read the pixel data).
    func read(key: String) throws(StorageError) -> Bytes
    /// The object's path on the local filesystem, when it has one (for sendfile and the like).
    func localPath(key: String) -> String?
    func remove(key: String) throws(StorageError)
    func exists(key: String) -> Bool
    /// Every key, for verify and reindex.
    func keys() throws(StorageError) -> [String]
    /// The keys under a folder-like prefix ("20261125/14"), for recovery after a crash.
    func keys(under prefix: String) throws(StorageError) -> [String]
    /// Bytes free where objects go (nil when it cannot be known), for statistics and health checks.
    func freeBytes() -> Int64?
}

/// Writes one object: bytes in order, then a commit that makes it durable and visible at once, or an abort that
/// leaves nothing.
public protocol StorageWriter: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws(StorageError)
    /// Bytes written so far.
    var size: Int { get }
    /// SHA-256 of everything written (valid after the last write).
    func digest() -> String
    /// Durable and visible: fsync, rename into place, fsync the folder.
    func commit() throws(StorageError)
    func abort()
}

extension StorageArea {
    /// A writer whose SHA-256 may be computed at its commit rather than as bytes arrive (when the commit runs on
    /// another thread than the writes: STOW-RS hashes off the thread that receives). By default, as `create`.
    public func create(key: String, digestAtCommit: Bool) throws(StorageError) -> any StorageWriter {
        try create(key: key)
    }
}

extension StorageWriter {
    public func write(_ bytes: Bytes) throws(StorageError) {
        do { try bytes.withUnsafeBytes { try write($0) } } catch { throw error as? StorageError ?? .io("\(error)") }
    }

    public func write(_ bytes: [UInt8]) throws(StorageError) {
        do { try bytes.withUnsafeBytes { try write($0) } } catch { throw error as? StorageError ?? .io("\(error)") }
    }
}

public enum StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No space left (a C-STORE answers A700 out of resources).
    case full(String)
    case io(String)
    case notFound(String)

    public var description: String {
        switch self {
        case .full(let m): return "storage full: \(m)"
        case .io(let m): return "storage error: \(m)"
        case .notFound(let key): return "no stored object \(key)"
        }
    }
}
