#if canImport(Glibc)
import Glibc
#endif
import Crypto
import DICOM
import Transport

/// What a recovery after a crash found among the files stored since the index was last known durable.
public struct RecoveryReport: Sendable, Equatable {
    public var examined = 0
    /// Complete files the index had lost (its log not yet synced at the crash): indexed again.
    public var indexed = 0
    /// Files left incomplete by the crash (never acknowledged to a sender): removed.
    public var removed = 0
}

/// Each process that opens an archive for writing leaves a marker beside the index while it runs; a marker
/// whose process is gone means a crash, and the next opening recovers.
extension Archive {
    static func sessionMarkers(indexPath: String) -> [(path: String, pid: Int32)] {
        let slash = indexPath.lastIndex(of: "/")
        let folder = slash.map { String(indexPath[..<$0]) } ?? "."
        let prefix = String(slash.map { indexPath[indexPath.index(after: $0)...] } ?? Substring(indexPath)) + ".pid-"
        guard let dir = opendir(folder) else { return [] }
        defer { closedir(dir) }
        var out: [(String, Int32)] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            guard name.hasPrefix(prefix), let pid = Int32(name.dropFirst(prefix.count)) else { continue }
            out.append((folder + "/" + name, pid))
        }
        return out
    }

    static func isRunning(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// Recovers after crashed sessions, if any, and starts this process's session.
    func openSession(indexPath: String) {
        let stale = Archive.sessionMarkers(indexPath: indexPath).filter { $0.pid != getpid() && !Archive.isRunning($0.pid) }
        if !stale.isEmpty {
            log(.warning, "the archive was not closed cleanly; checking the files stored last")
            let since = (try? index.latestReceipt()) ?? nil
            let report = recover(since: since)
            log(.warning, "recovery: \(report.examined) recent files examined, \(report.indexed) indexed again, \(report.removed) incomplete removed")
            try? index.sync()
            for marker in stale { unlink(marker.path) }
        }
        let fd = open(indexPath + ".pid-" + String(getpid()), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        if fd >= 0 { Glibc.close(fd) }
        sessionMarker.withLock { $0 = indexPath + ".pid-" + String(getpid()) }
    }

    /// Makes the index durable and ends this process's session (a clean shutdown).
    public func close() {
        try? index.sync()
        if let marker = sessionMarker.withLock({ $0 }) {
            unlink(marker)
            sessionMarker.withLock { $0 = nil }
        }
    }

    /// Indexes the complete files stored since `since` (a receipt time; nil: all files) that the index lacks, and
    /// removes incomplete ones. Files are found by the hour folders of their keys, from an hour before `since`.
    public func recover(since: Int64?) -> RecoveryReport {
        var report = RecoveryReport()
        var keys: [String] = []
        if let since {
            let now = Int64(time(nil))
            var t = since - 3600
            var seen = Set<String>()
            while t <= now + 3600 {
                let folder = Archive.hourFolder(t)
                if seen.insert(folder).inserted { keys += (try? storage.keys(under: folder)) ?? [] }
                t += 3600
            }
        } else {
            keys = (try? storage.keys()) ?? []
        }
        for key in keys {
            guard (try? index.isReferenced(storageKey: key)) == false else { continue }
            report.examined += 1
            let bytes: Bytes
            do { bytes = try storage.read(key: key) } catch { continue }
            // The whole file is read: the crash may have cut it short.
            guard let file = try? DICOMFile(bytes: bytes, options: .standard) else {
                try? storage.remove(key: key)
                report.removed += 1
                continue
            }
            var header = file.dataSet
            header.remove(.pixelData)
            let writer = RecoveredFile(size: bytes.count, sha256: bytes.withUnsafeBytes { SHA256.hash($0) })
            let policy: DuplicatePolicy = duplicates == .replace ? .replace : .keep
            switch try? record(header: header.compacted(), key: key, writer: writer, transferSyntaxUID: file.transferSyntax.uid,
                               policy: policy) {
            case .stored?, .replaced?: report.indexed += 1
            default: break
            }
        }
        return report
    }
}

/// A file already in storage, presented to `record` as a finished writer.
final class RecoveredFile: StorageWriter {
    let size: Int
    let sha256: String

    init(size: Int, sha256: String) {
        self.size = size
        self.sha256 = sha256
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(StorageError) {}
    func digest() -> String { sha256 }
    func commit() throws(StorageError) {}
    func abort() {}
}
