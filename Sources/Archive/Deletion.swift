#if canImport(Glibc)
import Glibc
#endif

/// What a deletion removed.
public struct DeletionOutcome: Sendable, Equatable {
    public var instances = 0
    public var bytes: Int64 = 0
    /// Files that could not be removed after their index rows were (`lightbox verify` lists them as unreferenced).
    public var filesLeft = 0

    public init() {}
}

extension Archive {
    /// Deletes instances: their index rows first, in one transaction made durable at once, then their files. A
    /// crash in between leaves files nothing refers to (which verify reports), never an index row without its
    /// file; a query never sees half a deletion.
    public func delete(_ instances: [StoredInstance]) throws(ArchiveError) -> DeletionOutcome {
        guard !instances.isEmpty else { return DeletionOutcome() }
        let removed: [StoredInstance]
        do {
            removed = try index.remove(instances.map(\.sopInstanceUID))
            try index.sync()
        } catch {
            throw ArchiveError.from(error)
        }
        var outcome = DeletionOutcome()
        for instance in removed {
            outcome.instances += 1
            outcome.bytes += Int64(instance.size)
            do { try storage.remove(key: instance.storageKey) } catch {
                outcome.filesLeft += 1
                log(.warning, "the file of deleted instance \(instance.sopInstanceUID) was not removed: \(error)")
            }
        }
        log(.info, "deleted \(outcome.instances) instances (\(outcome.bytes) bytes)")
        return outcome
    }
}
