import Archive
import Testing

/// The archive folder's lock: shared for servers, imports and verifies; exclusive for a reindex. flock locks
/// belong to the open file description, so two locks taken in one process contend as two processes would.
@Suite("ArchiveLock")
struct ArchiveLockTests {
    @Test("shared locks coexist; an exclusive one waits for none and fails while any is held")
    func sharedThenExclusive() throws {
        try withTemporaryFolder { folder in
            let server: ArchiveLock? = try ArchiveLock(folder: folder, exclusive: false)
            var verify: ArchiveLock? = try ArchiveLock(folder: folder, exclusive: false)
            #expect(filesBelow(folder) == ["lightbox.lock"])
            #expect {
                _ = try ArchiveLock(folder: folder, exclusive: true)
            } throws: { error in
                let e = error as? ArchiveError
                return e?.kind == .failed && e?.message.contains("in use") == true
            }
            verify = nil
            // One shared lock is still held.
            #expect(throws: ArchiveError.self) { _ = try ArchiveLock(folder: folder, exclusive: true) }
            #expect(verify == nil)
            withExtendedLifetime(server) {}
        }
    }

    @Test("once every shared lock is released the exclusive lock is taken, and then shuts out shared ones")
    func exclusiveAfterRelease() throws {
        try withTemporaryFolder { folder in
            do {
                let a = try ArchiveLock(folder: folder, exclusive: false)
                let b = try ArchiveLock(folder: folder, exclusive: false)
                withExtendedLifetime((a, b)) {}
            }
            do {
                let reindex = try ArchiveLock(folder: folder, exclusive: true)
                #expect {
                    _ = try ArchiveLock(folder: folder, exclusive: false)
                } throws: { error in
                    (error as? ArchiveError)?.message.contains("being reindexed") == true
                }
                #expect(throws: ArchiveError.self) { _ = try ArchiveLock(folder: folder, exclusive: true) }
                withExtendedLifetime(reindex) {}
            }
            // Released: a server may start.
            _ = try ArchiveLock(folder: folder, exclusive: false)
        }
    }

    @Test("the lock's folder is created when missing")
    func createsFolder() throws {
        try withTemporaryFolder { folder in
            let lock = try ArchiveLock(folder: folder + "/new/data", exclusive: true)
            #expect(filesBelow(folder) == ["new/data/lightbox.lock"])
            withExtendedLifetime(lock) {}
        }
    }
}
