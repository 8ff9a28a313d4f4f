#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Dispatch
import DICOM
import Synchronization
import Transport

public struct ReindexReport: Sendable {
    public var files = 0
    public var indexed = 0
    /// Files that could not be read as DICOM instances (left where they are, and reported).
    public var unreadable: [(key: String, reason: String)] = []
    /// Files holding a SOP Instance UID another file holds too: the newest is indexed.
    public var superseded: [String] = []
}

extension Archive {
    /// Rebuilds the index from the stored files: a new index is written beside the old one, then takes its
    /// place. Files go in the order they were written (by modification time), so that the attributes kept
    /// from each patient's, study's and series' first instance are the same as when they arrived. The archive
    /// must not be in use (the caller holds its lock).
    public static func reindex(_ configuration: ArchiveConfiguration, threads: Int = 2, log: @escaping LogSink = { _, _ in },
                               progress: (Int, Int) -> Void = { _, _ in }) throws(ArchiveError) -> ReindexReport {
        let storage: FileStorageArea
        do { storage = try FileStorageArea(root: configuration.storageFolder, durability: .none) } catch { throw ArchiveError.from(error) }
        let rebuildPath = configuration.indexPath + ".rebuild"
        for suffix in ["", "-wal", "-shm"] { unlink(rebuildPath + suffix) }

        var keys: [(key: String, mtime: Int64)] = []
        do {
            for key in try storage.keys() {
                var st = stat()
                guard stat(storage.path(key), &st) == 0 else { continue }
                keys.append((key, Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)))
            }
        } catch {
            throw ArchiveError.from(error)
        }
        keys.sort { $0.mtime != $1.mtime ? $0.mtime < $1.mtime : $0.key < $1.key }

        var report = ReindexReport()
        report.files = keys.count
        do {
            let index = try SQLiteIndex(path: rebuildPath, synchronous: .normal, retrieveAETitle: configuration.retrieveAETitle)
            // Files are read and hashed in parallel, a chunk at a time, and recorded in order.
            var start = 0
            while start < keys.count {
                let chunk = Array(keys[start..<min(start + 64, keys.count)])
                start += chunk.count
                let results = Mutex<[Int: Result<InstanceRecord, ArchiveError>]>([:])
                DispatchQueue.concurrentPerform(iterations: max(1, threads)) { worker in
                    var i = worker
                    while i < chunk.count {
                        let r = Archive.readRecord(storage, chunk[i].key, receivedAt: chunk[i].mtime / 1_000_000_000)
                        results.withLock { $0[i] = r }
                        i += max(1, threads)
                    }
                }
                let done = results.withLock { $0 }
                for i in chunk.indices {
                    switch done[i]! {
                    case .success(let record):
                        switch try index.insert(record, duplicates: .replace) {
                        case .replaced(let previous): report.superseded.append(previous.storageKey)
                        default: break
                        }
                        report.indexed += 1
                    case .failure(let error):
                        report.unreadable.append((chunk[i].key, error.message))
                        log(.warning, "reindex: \(chunk[i].key): \(error.message)")
                    }
                }
                progress(start, keys.count)
            }
            try index.checkpoint()
        } catch {
            throw ArchiveError.from(error)
        }
        // The new index is closed (checkpointed, its log gone); now it replaces the old one, durably.
        for suffix in ["-wal", "-shm"] { unlink(configuration.indexPath + suffix) }
        guard rename(rebuildPath, configuration.indexPath) == 0 else {
            throw ArchiveError(.failed, "cannot move the new index into place: \(String(cString: strerror(errno)))")
        }
        if let slash = configuration.indexPath.lastIndex(of: "/") {
            DirectorySync.shared.sync(String(configuration.indexPath[..<slash]))
        }
        // The new index holds every stored file: nothing left to recover from crashed sessions.
        for marker in sessionMarkers(indexPath: configuration.indexPath) where !isRunning(marker.pid) { unlink(marker.path) }
        return report
    }

    /// Reads a stored file into an index record: header, transfer syntax, size and SHA-256.
    static func readRecord(_ storage: FileStorageArea, _ key: String, receivedAt: Int64) -> Result<InstanceRecord, ArchiveError> {
        let bytes: Bytes
        do { bytes = try storage.read(key: key) } catch { return .failure(ArchiveError.from(error)) }
        let file: DICOMFile
        do {
            var options = ReadOptions.standard
            options.stopAtTag = .pixelData
            file = try DICOMFile(bytes: bytes, options: options)
        } catch {
            return .failure(ArchiveError(.invalid, "not readable as DICOM: \(error)"))
        }
        var header = file.dataSet
        header.remove(.pixelData)
        let digest = bytes.withUnsafeBytes { SHA256.hash($0) }
        guard let record = InstanceRecord(header: header.compacted(), transferSyntaxUID: file.transferSyntax.uid, storageKey: key,
                                          size: bytes.count, sha256: digest, receivedAt: receivedAt) else {
            return .failure(ArchiveError(.invalid, "the data set lacks the UIDs that place it"))
        }
        return .success(record)
    }
}
