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
    let writer: AtomicFileWriter
    let request: StoreRequest
    var onStored: (@Sendable (String, StoreRequest, DataSet?) -> Void)?
    /// The first bytes of the data set, kept to parse the header without reading the file back.
    private var prefix: [UInt8] = []
    private var dataSetBytes = 0
    static let prefixLimit = 64 * 1024

    init(path: String, fsync: Bool, request: StoreRequest, callingAETitle: String) throws(ServiceFailure) {
        self.request = request
        do {
            writer = try AtomicFileWriter(path: path, durable: fsync)
        } catch {
            throw ServiceFailure(.outOfResources, "\(error)")
        }
        let header = partTenHeader(sopClass: request.sopClassUID, sopInstance: request.sopInstanceUID,
                                   transferSyntax: request.transferSyntax, sourceAETitle: callingAETitle)
        do {
            try header.withUnsafeBytes { try writer.write($0) }
        } catch {
            writer.abort()
            throw ServiceFailure(.outOfResources, "\(error)")
        }
    }

    func write(_ bytes: Bytes) throws {
        try bytes.withUnsafeBytes { try writer.write($0) }
        if onStored != nil && prefix.count < FileStoreSink.prefixLimit {
            let n = min(bytes.count, FileStoreSink.prefixLimit - prefix.count)
            bytes[0..<n].withUnsafeBytes { prefix.append(contentsOf: $0) }
        }
        dataSetBytes += bytes.count
    }

    func finish() -> ServiceResult {
        do {
            try writer.commit()
        } catch {
            return ServiceResult(.outOfResources, comment: "\(error)")
        }
        if let onStored { onStored(writer.path, request, header()) }
        return .success
    }

    /// The header from the bytes kept as they arrived; nil when it does not end within them (a huge header, or a
    /// deflated data set), in which case the caller reads the file.
    func header() -> DataSet? {
        let syntax = TransferSyntax.resolving(uid: request.transferSyntax)
        if prefix.count == dataSetBytes, !syntax.isDeflated {
            return try? DICOMFile.parseDataSet(Bytes(prefix), transferSyntax: syntax, options: .headerOnly)
        }
        return DICOMFile.parseHeader(prefix: Bytes(prefix), transferSyntax: syntax)
    }

    func cancel() {
        writer.abort()
    }
}

/// Preamble, DICM and the file meta information (PS3.10 §7.1) of a received instance; its data set follows as
/// it arrives.
public func partTenHeader(sopClass: String, sopInstance: String, transferSyntax: String, sourceAETitle: String?) -> [UInt8] {
    DICOMFile.partTenHeader(sopClass: sopClass, sopInstance: sopInstance, transferSyntax: transferSyntax, sourceAETitle: sourceAETitle)
}
