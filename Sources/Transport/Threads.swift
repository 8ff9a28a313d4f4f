#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts a detached thread. Associations run one thread each with blocking I/O, as DCMTK's do: simple, and
/// bounded by the server's association limit.
public func startThread(name: String, stackSize: Int = 4 << 20, _ body: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        let name: String
        init(_ body: @escaping @Sendable () -> Void, name: String) {
            self.body = body
            self.name = name
        }
    }
    let box = Unmanaged.passRetained(Box(body, name: name)).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    pthread_attr_setstacksize(&attributes, stackSize)
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    var thread = pthread_t()
    let rc = pthread_create(&thread, &attributes, { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        box.body()
        return nil
    }, box)
    pthread_attr_destroy(&attributes)
    if rc != 0 {
        // No thread: run nothing, release the box; the caller's connection is closed by its owner.
        Unmanaged<Box>.fromOpaque(box).release()
    }
}

/// Monotonic seconds, for timeouts and deadlines.
public func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

import Synchronization

/// A value behind a lock, shared by reference between threads.
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: Value) { mutex = Mutex(value) }

    public func withLock<R: Sendable>(_ body: (inout Value) throws -> R) rethrows -> R {
        try mutex.withLock { try body(&$0) }
    }

    public var value: Value { mutex.withLock { $0 } }
}

/// How far a push of items to a peer has got (instances sent by C-STORE or STOW-RS): a job's progress.
public struct TransferProgress: Sendable, Equatable {
    public var total = 0
    public var completed = 0
    public var warnings = 0
    public var failed = 0
    /// The last failure, for the job's report.
    public var lastError: String?
    public var remaining: Int { total - completed - warnings - failed }

    public init(total: Int) { self.total = total }
}
