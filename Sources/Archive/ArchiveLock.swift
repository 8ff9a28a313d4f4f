#if canImport(Glibc)
import Glibc
#endif
import Transport

/// Who uses an archive's folder: a server, an import and a verify share it (SQLite and the storage take
/// concurrent writers); a reindex, which replaces the index file, needs it alone. Held until released or the
/// process ends (the kernel drops the lock of a killed process: no stale lock files).
public final class ArchiveLock: Sendable {
    let fd: Int32

    /// Takes the lock of `folder` (creating the folder), failing at once when another process holds it in a
    /// way that excludes us.
    public init(folder: String, exclusive: Bool) throws(ArchiveError) {
        do { try makeDirectories(folder) } catch { throw ArchiveError(.failed, "\(error)") }
        let path = folder + "/lightbox.lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ArchiveError(.failed, "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 else {
            close(fd)
            throw ArchiveError(.failed, exclusive
                ? "the archive in \(folder) is in use (a server, an import or a verify); stop it first"
                : "the archive in \(folder) is being reindexed; wait for it to finish")
        }
    }

    deinit { close(fd) }
}
