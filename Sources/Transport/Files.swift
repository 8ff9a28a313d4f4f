#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLinux

/// Starts writing a range of a file back to disk and returns at once: a later fsync then waits only for what
/// has not gone yet (Linux sync_file_range; nothing elsewhere).
/// Large allocations from the heap rather than fresh mappings (a server receiving instances of a few hundred
/// kilobytes allocates and frees such buffers all the time; mapped afresh, each costs page faults and zeroing).
public func keepLargeBlocksInHeap(upTo threshold: Int = 32 << 20, trimPast trim: Int = 64 << 20) {
    clinux_keep_large_blocks_in_heap(Int64(threshold), Int64(trim))
}

public func startWriteback(fd: Int32, offset: Int, length: Int) {
    _ = clinux_start_writeback(fd, Int64(offset), Int64(length))
}

/// Why a durable write failed.
public enum FileWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// ENOSPC or EDQUOT: the disk (or quota) is full.
    case full(String)
    case io(String)

    public var description: String {
        switch self {
        case .full(let m): return "no space left: \(m)"
        case .io(let m): return m
        }
    }

    static func fromErrno(_ what: String) -> FileWriteError {
        let reason = "\(what): \(String(cString: strerror(errno)))"
        return errno == ENOSPC || errno == EDQUOT ? .full(reason) : .io(reason)
    }
}

/// Writes a file that appears whole or not at all: the bytes go to a temporary file beside the target, which a
/// commit fsyncs, renames into place and makes durable by fsyncing the folder (PS: the order every crash-safe
/// store needs). Writeback starts while bytes still arrive, so that the final fsync waits for little.
public final class AtomicFileWriter {
    /// How a committed file is made durable.
    public enum Durability: Sendable {
        /// fdatasync, rename, fsync of the folder: durable by POSIX alone, three flushes.
        case strict
        /// Rename, then fsync of the file: one flush. Its new name is durable with it on ext4, XFS and btrfs
        /// (a rename changes the inode, and the fsync commits that change); not promised by POSIX. A crash
        /// before the fsync can leave the file in place incomplete, so whoever relies on this checks files
        /// written just before a crash (the archive does, at its next start).
        case renameThenSync
        /// Not synced at all (tests, scratch data).
        case none
    }

    public let path: String
    public let temporaryPath: String
    let fd: Int32
    let durability: Durability
    public private(set) var size = 0
    private var flushedUpTo = 0
    private var closed = false

    public convenience init(path: String, durable: Bool = true) throws(FileWriteError) {
        try self.init(path: path, durability: durable ? .strict : .none)
    }

    public init(path: String, durability: Durability) throws(FileWriteError) {
        self.path = path
        self.durability = durability
        temporaryPath = path + ".part-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .fromErrno("cannot create \(temporaryPath)") }
    }

    deinit {
        if !closed { abort() }
    }

    public func write(_ b: UnsafeRawBufferPointer) throws(FileWriteError) {
        var done = 0
        while done < b.count {
            let n = Glibc.write(fd, b.baseAddress! + done, b.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw .fromErrno("cannot write \(temporaryPath)")
            }
            done += n
        }
        size += b.count
        if durability != .none && size - flushedUpTo >= 128 * 1024 {
            startWriteback(fd: fd, offset: flushedUpTo, length: size - flushedUpTo)
            flushedUpTo = size
        }
    }

    /// Durable and in place.
    public func commit() throws(FileWriteError) {
        switch durability {
        case .strict:
            // fdatasync: the data and the size are what a reader needs, not the timestamps.
            if fdatasync(fd) != 0 {
                let error = FileWriteError.fromErrno("cannot make \(temporaryPath) durable")
                abort()
                throw error
            }
            try closeAndRename()
            if let slash = path.lastIndex(of: "/") { DirectorySync.shared.sync(String(path[..<slash])) }
        case .renameThenSync:
            guard rename(temporaryPath, path) == 0 else {
                let error = FileWriteError.fromErrno("cannot move \(temporaryPath) into place")
                abort()
                throw error
            }
            // A full fsync, not fdatasync: the rename changed the inode's ctime, and committing that change is
            // what makes the new name durable.
            if fsync(fd) != 0 {
                let error = FileWriteError.fromErrno("cannot make \(path) durable")
                closed = true
                close(fd)
                unlink(path)
                throw error
            }
            closed = true
            close(fd)
        case .none:
            try closeAndRename()
        }
    }

    private func closeAndRename() throws(FileWriteError) {
        closed = true
        close(fd)
        guard rename(temporaryPath, path) == 0 else {
            let error = FileWriteError.fromErrno("cannot move \(temporaryPath) into place")
            unlink(temporaryPath)
            throw error
        }
    }

    public func abort() {
        if !closed {
            closed = true
            close(fd)
        }
        unlink(temporaryPath)
    }

    /// Whether a name is a temporary file this writer left (a crash before the commit): such files are removed
    /// at start-up.
    public static func isTemporary(_ name: String) -> Bool { name.contains(".part-") }
}

/// Makes renames into a folder durable, one fsync of the folder for every rename that happened before it starts:
/// writers finishing together share it (group commit) instead of queueing one each.
public final class DirectorySync: @unchecked Sendable {
    public static let shared = DirectorySync()

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

    public func sync(_ folder: String) {
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
                fsync(fd)
                close(fd)
            }
            pthread_mutex_lock(&mutex)
            running.remove(folder)
            finished[folder] = number
            pthread_cond_broadcast(&condition)
        }
        pthread_mutex_unlock(&mutex)
    }
}

/// `mkdir -p`.
public func makeDirectories(_ path: String) throws(FileWriteError) {
    if path.isEmpty { return }
    var st = stat()
    if stat(path, &st) == 0 {
        guard st.st_mode & S_IFMT == S_IFDIR else { throw .io("\(path) exists and is not a folder") }
        return
    }
    if let slash = path.lastIndex(of: "/"), slash != path.startIndex { try makeDirectories(String(path[..<slash])) }
    if mkdir(path, 0o755) != 0 && errno != EEXIST { throw .fromErrno("cannot create \(path)") }
}
