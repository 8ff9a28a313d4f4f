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
    /// Called after each instance is stored (for progress and tests).
    public let onStored: (@Sendable (String, StoreRequest) -> Void)?

    public init(folder: String, fsync: Bool = true, onStored: (@Sendable (String, StoreRequest) -> Void)? = nil) {
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
    var onStored: (@Sendable (String, StoreRequest) -> Void)?
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

    func write(_ bytes: Bytes) throws {
        try bytes.withUnsafeBytes { try writeAll($0) }
    }

    func finish() -> ServiceResult {
        if fsync && Glibc.fsync(fd) != 0 {
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
            let dir = open(String(path[..<slash]), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dir >= 0 {
                Glibc.fsync(dir)
                Glibc.close(dir)
            }
        }
        onStored?(path, request)
        return .success
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
