import Crypto
import Dispatch
import DICOM
import Synchronization
import Transport

/// What `verify` found: every indexed instance re-read against its recorded size and SHA-256, and every stored
/// file checked for an index row.
public struct VerifyReport: Sendable {
    public struct Problem: Sendable, Equatable {
        public var sopInstanceUID: String
        public var storageKey: String
        public var reason: String
    }

    public var checked = 0
    public var bytes: Int64 = 0
    /// Indexed instances whose file is missing, of another size, or with another checksum.
    public var damaged: [Problem] = []
    /// Stored files no index row refers to (left by a crash between storing and indexing, or by a replaced
    /// instance): harmless, reported so that they can be imported or removed.
    public var unreferenced: [String] = []

    public var isClean: Bool { damaged.isEmpty }
}

extension Archive {
    /// Re-reads every stored instance and compares it with what the index recorded. `progress` is called after
    /// each page with the instances and bytes checked so far.
    public func verify(threads: Int = 2, progress: (Int, Int64) -> Void = { _, _ in }) throws(ArchiveError) -> VerifyReport {
        var report = VerifyReport()
        var page: [StoredInstance] = []
        func check(_ page: [StoredInstance]) {
            let results = Mutex<[(Int, VerifyReport.Problem?, Int64)]>([])
            DispatchQueue.concurrentPerform(iterations: max(1, threads)) { worker in
                var local: [(Int, VerifyReport.Problem?, Int64)] = []
                var i = worker
                while i < page.count {
                    let (problem, size) = verifyOne(page[i])
                    local.append((i, problem, size))
                    i += max(1, threads)
                }
                results.withLock { $0 += local }
            }
            for (_, problem, size) in results.withLock({ $0 }).sorted(by: { $0.0 < $1.0 }) {
                report.checked += 1
                report.bytes += size
                if let problem { report.damaged.append(problem) }
            }
            progress(report.checked, report.bytes)
        }
        do {
            try index.forEachInstance { instance in
                page.append(instance)
                if page.count == 256 {
                    check(page)
                    page.removeAll(keepingCapacity: true)
                }
            }
        } catch {
            throw ArchiveError.from(error)
        }
        if !page.isEmpty { check(page) }
        do {
            for key in try storage.keys() where try !index.isReferenced(storageKey: key) {
                report.unreferenced.append(key)
            }
        } catch {
            throw ArchiveError.from(error)
        }
        return report
    }

    func verifyOne(_ instance: StoredInstance) -> (VerifyReport.Problem?, Int64) {
        func problem(_ reason: String) -> VerifyReport.Problem {
            VerifyReport.Problem(sopInstanceUID: instance.sopInstanceUID, storageKey: instance.storageKey, reason: reason)
        }
        let bytes: Bytes
        do {
            bytes = try storage.read(key: instance.storageKey)
        } catch {
            if case .notFound = error { return (problem("the file is missing"), 0) }
            return (problem("cannot read: \(error)"), 0)
        }
        guard bytes.count == instance.size else {
            return (problem("size \(bytes.count), recorded \(instance.size)"), Int64(bytes.count))
        }
        let digest = bytes.withUnsafeBytes { SHA256.hash($0) }
        guard digest == instance.sha256 else {
            return (problem("SHA-256 \(digest), recorded \(instance.sha256)"), Int64(bytes.count))
        }
        return (nil, Int64(bytes.count))
    }
}
