#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DICOM

/// A storage service that writes each received instance as a Part 10 file in a folder, durably: the data set
/// streams into a temporary file as it arrives, which is fsynced and renamed into place, and the folder fsynced,
/// before the success status goes out. A failure (a full disk) leaves nothing behind.
public struct FolderStorage: StorageService {
    public let folder: String
    public let fsync: Bool
    /// Called after each instance is stored, with its path, the request and its header (the data set up to the
    /// pixel data, parsed from the bytes as they arrived: the file is not read again).
    public let onStored: (@Sendable (String, StoreRequest, DataSet?) -> Void)?

    public init(folder: String, fsync: Bool = true, onStored: (@Sendable (String, StoreRequest, DataSet?) -> Void)? = nil) {
        self.folder = folder
        self.fsync = fsync
        self.onStored = onStored
    }

    public func beginStore(_ request: StoreRequest, on association: AssociationContext) throws(ServiceFailure) -> any StoreSink {
        // UIDs are digits and dots; anything else (a path, say) is not used as a file name.
        let name = UIDGenerator.isValid(request.sopInstanceUID) ? request.sopInstanceUID
            : UIDGenerator.nameBased(request.sopInstanceUID, namespace: "file-name")
        let path = folder + "/" + name + ".dcm"
        let sink = try FileStoreSink(path: path, fsync: fsync, request: request, callingAETitle: association.callingAETitle)
        sink.onStored = onStored
        return sink
    }
}

final class FileStoreSink: StoreSink {
    let path: String
    let temporaryPath: String
    let fd: Int32
    let fsync: Bool
    let request: StoreRequest
    var onStored: (@Sendable (String, StoreRequest, DataSet?) -> Void)?
    /// The first bytes of the data set, kept to parse the header without reading the file back.
    private var prefix: [UInt8] = []
    static let prefixLimit = 64 * 1024
    private var closed = false

    init(path: String, fsync: Bool, request: StoreRequest, callingAETitle: String) throws(ServiceFailure) {
        self.path = path
        self.fsync = fsync
        self.request = request
        temporaryPath = path + ".part-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ServiceFailure(.outOfResources, "cannot create a file: \(String(cString: strerror(errno)))") }
        // Preamble, DICM and the file meta information (PS3.10 §7.1); the data set follows as it arrives.
        var meta = DataSet()
        meta.set(DataElement(tag: .fileMetaInformationGroupLength, vr: .UL, integers: [UInt32(0)]))
        meta.set(DataElement(tag: .fileMetaInformationVersion, vr: .OB, bytes: Bytes([0, 1])))
        meta.set(DataElement(tag: .mediaStorageSOPClassUID, vr: .UI, string: request.sopClassUID))
        meta.set(DataElement(tag: .mediaStorageSOPInstanceUID, vr: .UI, string: request.sopInstanceUID))
        meta.set(DataElement(tag: .transferSyntaxUID, vr: .UI, string: request.transferSyntax))
        meta.set(DataElement(tag: .implementationClassUID, vr: .UI, string: Implementation.classUID))
        meta.set(DataElement(tag: .implementationVersionName, vr: .SH, string: Implementation.versionName))
        if !callingAETitle.isEmpty {
            meta.set(DataElement(tag: .sourceApplicationEntityTitle, vr: .AE, string: callingAETitle))
        }
        var header = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)
        var writer = DataSetWriter(explicitVR: true)
        writer.groupLengths = .recalculate
        header += (try? writer.encode(meta)) ?? []
        do {
            try header.withUnsafeBytes { try writeAll($0) }
        } catch {
            cancel()
            throw ServiceFailure(.outOfResources, "\(error)")
        }
    }

    func writeAll(_ b: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < b.count {
            let n = Glibc.write(fd, b.baseAddress! + done, b.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw ServiceFailure(.outOfResources, "cannot write: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    private var written = 0
    private var flushedUpTo = 0

    func write(_ bytes: Bytes) throws {
        try bytes.withUnsafeBytes { try writeAll($0) }
        if onStored != nil && prefix.count < FileStoreSink.prefixLimit {
            let n = min(bytes.count, FileStoreSink.prefixLimit - prefix.count)
            bytes[0..<n].withUnsafeBytes { prefix.append(contentsOf: $0) }
        }
        written += bytes.count
        // Start writing back what has arrived while the rest is still on the wire, so that the fsync at the end
        // waits for little more than the last fragment (Linux: asynchronous, does not wait).
        if fsync && written - flushedUpTo >= 128 * 1024 {
            startWriteback(fd: fd, offset: flushedUpTo, length: written - flushedUpTo)
            flushedUpTo = written
        }
    }

    func finish() -> ServiceResult {
        // fdatasync: the data and the size, which is all a reader needs; not the timestamps.
        if fsync && Glibc.fdatasync(fd) != 0 {
            let why = String(cString: strerror(errno))
            cancel()
            return ServiceResult(.outOfResources, comment: "cannot make the file durable: \(why)")
        }
        closed = true
        Glibc.close(fd)
        guard rename(temporaryPath, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temporaryPath)
            return ServiceResult(.outOfResources, comment: "cannot move the file into place: \(why)")
        }
        if fsync, let slash = path.lastIndex(of: "/") {
            DirectorySync.shared.sync(String(path[..<slash]))
        }
        if let onStored { onStored(path, request, header()) }
        return .success
    }

    /// The header from the bytes kept as they arrived; nil when it does not end within them (a huge header, or a
    /// deflated data set), in which case the caller reads the file.
    func header() -> DataSet? {
        let syntax = TransferSyntax.resolving(uid: request.transferSyntax)
        if prefix.count == written, !syntax.isDeflated {
            return try? DICOMFile.parseDataSet(Bytes(prefix), transferSyntax: syntax, options: .headerOnly)
        }
        return DICOMFile.parseHeader(prefix: Bytes(prefix), transferSyntax: syntax)
    }

    func cancel() {
        if !closed {
            closed = true
            Glibc.close(fd)
        }
        unlink(temporaryPath)
    }

    deinit {
        if !closed { cancel() }
    }
}

/// Makes renames into a folder durable, one fsync of the folder for every rename that happened before it starts:
/// associations finishing together share it (group commit) instead of queueing one each.
final class DirectorySync: @unchecked Sendable {
    static let shared = DirectorySync()

    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    /// Per folder: syncs started and finished (a sync covers every rename made before it started).
    private var started: [String: UInt64] = [:]
    private var finished: [String: UInt64] = [:]
    private var running: Set<String> = []

    init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    func sync(_ folder: String) {
        pthread_mutex_lock(&mutex)
        // Our rename is done; a sync that starts from now on covers it.
        let needed = (started[folder] ?? 0) + 1
        while (finished[folder] ?? 0) < needed {
            if running.contains(folder) {
                pthread_cond_wait(&condition, &mutex)
                continue
            }
            running.insert(folder)
            let number = (started[folder] ?? 0) + 1
            started[folder] = number
            pthread_mutex_unlock(&mutex)
            let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd >= 0 {
                Glibc.fsync(fd)
                Glibc.close(fd)
            }
            pthread_mutex_lock(&mutex)
            running.remove(folder)
            finished[folder] = number
            pthread_cond_broadcast(&condition)
        }
        pthread_mutex_unlock(&mutex)
    }
}
