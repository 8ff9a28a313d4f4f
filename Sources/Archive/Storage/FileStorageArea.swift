#if canImport(Glibc)
import Glibc
#endif
import Crypto
import DICOM
import Synchronization
import Transport

/// Stored objects as files under a root folder, in two levels of sub-folders (keys like "ab/cd/abcd…ef.dcm")
/// so that no folder grows huge. Writes are atomic and durable (AtomicFileWriter); leftovers of a crash are
/// removed when the area opens.
public final class FileStorageArea: StorageArea {
    public let root: String
    /// When a committed file is durable: at its commit, or at the archive's next filesystem sync.
    public let durability: AtomicFileWriter.Durability
    private let createdFolders = Mutex<Set<String>>([])

    public init(root: String, durability: AtomicFileWriter.Durability = .strict) throws(StorageError) {
        self.root = root
        self.durability = durability
        do { try makeDirectories(root) } catch { throw StorageError.io("\(error)") }
        removeIncomplete()
    }

    func path(_ key: String) -> String { root + "/" + key }

    public func create(key: String) throws(StorageError) -> any StorageWriter {
        try create(key: key, digestAtCommit: false)
    }

    public func create(key: String, digestAtCommit: Bool) throws(StorageError) -> any StorageWriter {
        let path = self.path(key)
        if let slash = path.lastIndex(of: "/") {
            let folder = String(path[..<slash])
            if !createdFolders.withLock({ $0.contains(folder) }) {
                do { try makeDirectories(folder) } catch { throw FileStorageArea.storageError(error) }
                createdFolders.withLock { _ = $0.insert(folder) }
            }
        }
        do {
            return FileStorageWriter(try AtomicFileWriter(path: path, durability: durability), digestAtCommit: digestAtCommit)
        } catch {
            throw FileStorageArea.storageError(error)
        }
    }

    static func storageError(_ e: FileWriteError) -> StorageError {
        switch e {
        case .full(let m): return .full(m)
        case .io(let m): return .io(m)
        }
    }

    public func read(key: String) throws(StorageError) -> Bytes {
        do {
            return try ByteRegion.file(at: path(key)).bytes
        } catch {
            if case .cannotOpen(_, let reason) = error, reason.contains("No such file") { throw .notFound(key) }
            throw .io("\(error)")
        }
    }

    public func localPath(key: String) -> String? { path(key) }

    public func remove(key: String) throws(StorageError) {
        if unlink(path(key)) != 0 && errno != ENOENT { throw .io("cannot remove \(key): \(String(cString: strerror(errno)))") }
    }

    public func exists(key: String) -> Bool {
        access(path(key), F_OK) == 0
    }

    public func keys() throws(StorageError) -> [String] {
        var out: [String] = []
        walk("") { key in
            if !AtomicFileWriter.isTemporary(key) { out.append(key) }
        }
        return out.sorted()
    }

    public func keys(under prefix: String) throws(StorageError) -> [String] {
        var out: [String] = []
        walk(prefix) { key in
            if !AtomicFileWriter.isTemporary(key) { out.append(key) }
        }
        return out.sorted()
    }

    public func freeBytes() -> Int64? {
        var s = statvfs()
        guard statvfs(root, &s) == 0 else { return nil }
        return Int64(s.f_bavail) * Int64(s.f_frsize)
    }

    /// Calls `body` with the key of every file below `prefix`.
    func walk(_ prefix: String, _ body: (String) -> Void) {
        let folder = prefix.isEmpty ? root : root + "/" + prefix
        guard let dir = opendir(folder) else { return }
        var entries: [(String, Bool)] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name == "." || name == ".." { continue }
            entries.append((name, e.pointee.d_type == UInt8(DT_DIR)))
        }
        closedir(dir)
        for (name, isDir) in entries {
            let key = prefix.isEmpty ? name : prefix + "/" + name
            if isDir { walk(key, body) } else { body(key) }
        }
    }

    /// A crash between create and commit leaves a temporary file: never visible under its key, and removed here.
    func removeIncomplete() {
        walk("") { key in
            if AtomicFileWriter.isTemporary(key) { unlink(path(key)) }
        }
    }
}

/// Writes one file, hashing it as it goes, or at its commit (reading it back from the page cache).
final class FileStorageWriter: StorageWriter {
    let file: AtomicFileWriter
    let hash = SHA256()
    let digestAtCommit: Bool
    private var finalDigest: String?

    init(_ file: AtomicFileWriter, digestAtCommit: Bool = false) {
        self.file = file
        self.digestAtCommit = digestAtCommit
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        do { try file.write(bytes) } catch { throw FileStorageArea.storageError(error) }
        if !digestAtCommit { hash.update(bytes) }
    }

    /// Hashes what was written, read back before the file is committed.
    private func hashWrittenFile() throws(StorageError) {
        let fd = open(file.temporaryPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io("cannot read back \(file.temporaryPath): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var total = 0
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("cannot read back \(file.temporaryPath): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            hash.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            total += n
        }
        guard total == file.size else { throw .io("\(file.temporaryPath) holds \(total) bytes of the \(file.size) written") }
    }

    var size: Int { file.size }

    func digest() -> String {
        if let finalDigest { return finalDigest }
        let d = hash.finalize()
        finalDigest = d
        return d
    }

    func commit() throws(StorageError) {
        if digestAtCommit {
            do { try hashWrittenFile() } catch {
                file.abort()
                throw error
            }
        }
        do { try file.commit() } catch { throw FileStorageArea.storageError(error) }
    }

    func abort() { file.abort() }
}
