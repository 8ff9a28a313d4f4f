#if canImport(Glibc)
import Glibc
#endif
import Crypto
import DICOM
import DICOMQuery
import Synchronization
import Transport

/// Where an archive keeps its files and index, and how it treats what arrives.
public struct ArchiveConfiguration: Sendable {
    /// How a stored instance is made durable before its success is reported.
    public enum Durability: String, Sendable, CaseIterable {
        /// The default: each file is fsynced once it has its name (one flush, which makes its name durable too
        /// on ext4, XFS and btrfs); the index log is synced in the background, and after a crash the files
        /// stored since its last sync are indexed again from disk. As safe as syncing everything, at a third of
        /// the flushes.
        case fsync
        /// fsync of each file, its folder, and the index log at each commit: durable on any POSIX filesystem.
        case strict
        /// No syncs: fast and unsafe (tests, scratch archives).
        case none
    }

    /// Stored files.
    public var storageFolder: String
    /// The SQLite index file.
    public var indexPath: String
    public var durability: Durability = .fsync
    public var duplicates: DuplicatePolicy = .keep
    /// Retrieve AE Title (0008,0054) in query responses.
    public var retrieveAETitle: String?

    /// Storage in `folder/storage`, the index in `folder/index.sqlite`.
    public init(folder: String) {
        storageFolder = folder + "/storage"
        indexPath = folder + "/index.sqlite"
    }
}

public struct ArchiveError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No space left for the file or the index (a C-STORE answers A700).
        case full
        /// The data set cannot be archived: unreadable, or without the UIDs that place it.
        case invalid
        /// The SOP Instance UID is stored already and the policy rejects duplicates.
        case duplicate
        /// Reading or writing failed otherwise.
        case failed
    }

    public let kind: Kind
    public let message: String
    public var description: String { message }

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    static func from(_ e: StorageError) -> ArchiveError {
        if case .full = e { return ArchiveError(.full, e.description) }
        return ArchiveError(.failed, e.description)
    }

    static func from(_ e: IndexError) -> ArchiveError {
        ArchiveError(e.isFull ? .full : .failed, e.description)
    }

    /// Any error from storage or index as the archive reports it.
    static func from(_ error: any Error) -> ArchiveError {
        switch error {
        case let e as ArchiveError: return e
        case let e as StorageError: return from(e)
        case let e as IndexError: return from(e)
        default: return ArchiveError(.failed, "\(error)")
        }
    }
}

/// What became of an instance offered to the archive.
public enum IngestOutcome: Sendable, Equatable {
    case stored(StoredInstance)
    /// Stored in place of an instance with the same SOP Instance UID (policy `replace`).
    case replaced(StoredInstance)
    /// The SOP Instance UID was stored already and the policy kept the first.
    case alreadyStored(StoredInstance)

    public var instance: StoredInstance {
        switch self {
        case .stored(let i), .replaced(let i), .alreadyStored(let i): return i
        }
    }
}

/// The archive: stored files and their index, kept consistent. Every instance enters through `beginIngest`
/// (network) or `importFile` (bulk import), and every read of a stored file goes through `file(for:)`: the
/// places where access control and audit will hook in.
public final class Archive: Sendable {
    public let storage: any StorageArea
    public let index: any ArchiveIndex
    public let duplicates: DuplicatePolicy
    let log: LogSink
    /// This process's session marker beside the index (see `openSession`).
    let sessionMarker = Mutex<String?>(nil)

    /// Opens (creating when missing) the archive a configuration describes.
    public convenience init(configuration c: ArchiveConfiguration, log: @escaping LogSink = { _, _ in }) throws(ArchiveError) {
        let fileDurability: AtomicFileWriter.Durability
        switch c.durability {
        case .fsync: fileDurability = .renameThenSync
        case .strict: fileDurability = .strict
        case .none: fileDurability = .none
        }
        let storage: FileStorageArea
        let index: SQLiteIndex
        do {
            storage = try FileStorageArea(root: c.storageFolder, durability: fileDurability)
            if let slash = c.indexPath.lastIndex(of: "/") { try makeDirectories(String(c.indexPath[..<slash])) }
            index = try SQLiteIndex(path: c.indexPath, synchronous: c.durability == .strict ? .full : .normal,
                                    retrieveAETitle: c.retrieveAETitle)
        } catch {
            throw ArchiveError.from(error)
        }
        self.init(storage: storage, index: index, duplicates: c.duplicates, log: log)
        openSession(indexPath: c.indexPath)
    }

    public init(storage: any StorageArea, index: any ArchiveIndex, duplicates: DuplicatePolicy = .keep,
                log: @escaping LogSink = { _, _ in }) {
        self.storage = storage
        self.index = index
        self.duplicates = duplicates
        self.log = log
    }

    /// Makes every index commit so far durable (the files are durable at their commit already).
    public func sync() throws(ArchiveError) {
        do { try index.sync() } catch { throw ArchiveError.from(error) }
    }

    /// A new storage key for an instance: the hour it arrived (so that the files written before a crash are found
    /// without a walk of the whole archive, and older files can move to colder storage by folder), 256 folders
    /// from the SHA-256 of its SOP Instance UID (evenly spread, no UID text in paths), and a random part, so that
    /// a second copy of a UID (a replacement, or a duplicate racing in) never overwrites the file the index
    /// points to.
    public static func newStorageKey(forInstance sopInstanceUID: String, at time: Int64 = Int64(Glibc.time(nil))) -> String {
        let digest = Array(Array(sopInstanceUID.utf8).withUnsafeBytes { SHA256.hash($0) })
        let random = String(UInt64.random(in: 0...UInt64.max) & 0xFFFF_FFFF_FFFF, radix: 16)
        return hourFolder(time) + "/" + String(digest[0..<2]) + "/" + String(digest[0..<32]) + "-" + random + ".dcm"
    }

    /// "YYYYMMDD/HH" in UTC.
    static func hourFolder(_ time: Int64) -> String {
        var t = tm()
        var seconds = time_t(time)
        gmtime_r(&seconds, &t)
        func pad(_ v: Int32, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return pad(t.tm_year + 1900, 4) + pad(t.tm_mon + 1, 2) + pad(t.tm_mday, 2) + "/" + pad(t.tm_hour, 2)
    }

    /// Whether an instance the index records is really there (its file exists with the recorded size): a crash
    /// can leave an index row whose file never reached the disk, and a resent copy must then not be discarded.
    func isIntact(_ instance: StoredInstance) -> Bool {
        if let path = storage.localPath(key: instance.storageKey) {
            var st = stat()
            return stat(path, &st) == 0 && Int(st.st_size) == instance.size
        }
        return storage.exists(key: instance.storageKey)
    }

    // MARK: Reading

    /// A stored instance as a DICOM file (memory-mapped when on local disk: reading its header does not read its
    /// pixel data).
    public func file(for instance: StoredInstance, headerOnly: Bool = false) throws -> DICOMFile {
        var options = ReadOptions.standard
        if headerOnly { options.stopAtTag = .pixelData }
        if let path = storage.localPath(key: instance.storageKey) {
            return try DICOMFile.open(path, options: options)
        }
        return try DICOMFile(bytes: storage.read(key: instance.storageKey), options: options)
    }

    /// A stored instance's bytes exactly as stored, handed to `body` a piece at a time (which returns false to
    /// stop): WADO and C-GET send them without parsing, in bounded memory.
    public func readContents(of instance: StoredInstance, chunkSize: Int = 1 << 20,
                             _ body: (UnsafeRawBufferPointer) -> Bool) throws {
        guard let path = storage.localPath(key: instance.storageKey) else {
            let bytes = try storage.read(key: instance.storageKey)
            _ = bytes.withUnsafeBytes { body($0) }
            return
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError(.failed, "cannot open the file of \(instance.sopInstanceUID): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, chunkSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw ArchiveError(.failed, "cannot read the file of \(instance.sopInstanceUID): \(String(cString: strerror(errno)))")
            }
            if n == 0 { return }
            guard body(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) else { return }
        }
    }

    // MARK: Storing

    /// Records a committed (durable) file in the index. On failure the file is removed: nothing is left that the
    /// index does not know.
    func record(header: DataSet, key: String, writer: any StorageWriter, transferSyntaxUID: String,
                policy: DuplicatePolicy) throws(ArchiveError) -> IngestOutcome {
        guard let record = InstanceRecord(header: header, transferSyntaxUID: transferSyntaxUID, storageKey: key,
                                          size: writer.size, sha256: writer.digest(), receivedAt: Int64(time(nil))) else {
            try? storage.remove(key: key)
            throw ArchiveError(.invalid, "the data set lacks a SOP Class, SOP Instance, Study Instance or Series Instance UID")
        }
        let stored = StoredInstance(sopInstanceUID: record.sopInstanceUID, sopClassUID: record.sopClassUID,
                                    seriesInstanceUID: record.seriesInstanceUID, studyInstanceUID: record.studyInstanceUID,
                                    transferSyntaxUID: transferSyntaxUID, storageKey: key, size: record.size, sha256: record.sha256)
        let outcome: InsertOutcome
        do {
            outcome = try index.insert(record, duplicates: policy)
        } catch {
            try? storage.remove(key: key)
            throw ArchiveError.from(error)
        }
        switch outcome {
        case .inserted:
            break
        case .duplicate(let existing):
            // Another copy got in first (or the policy keeps the first): ours goes.
            try? storage.remove(key: key)
            if policy == .reject { throw ArchiveError(.duplicate, "SOP Instance \(record.sopInstanceUID) is stored already") }
            log(.warning, "instance \(record.sopInstanceUID) received again; the first copy is kept")
            return .alreadyStored(existing)
        case .replaced:
            break
        }
        if case .replaced(let previous) = outcome {
            try? storage.remove(key: previous.storageKey)
            log(.info, "instance \(record.sopInstanceUID) replaced")
            return .replaced(stored)
        }
        return .stored(stored)
    }
}
