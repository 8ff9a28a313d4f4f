#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Transport

/// Threads with full-size stacks that run request handlers while a CivetWeb worker waits. Debian builds
/// CivetWeb with USE_STACK_SIZE=102400: its workers have 100 KiB stacks, too small for decoding a JPEG 2000
/// frame (OpenJPEG and the Swift runtime overflow them). One pool thread per worker, so a worker never waits
/// for another's request.
final class HandlerThreads: @unchecked Sendable {
    /// A handler and the semaphore its worker waits on.
    final class Job: @unchecked Sendable {
        /// Cleared once run, before the worker is woken: the closure must not outlive `run` (it is not
        /// really escaping).
        var body: (() -> Void)?
        var done = sem_t()
        init(_ body: @escaping () -> Void) {
            self.body = body
            sem_init(&done, 0, 0)
        }
        deinit { sem_destroy(&done) }
    }

    private let queue = Mutex<[Job?]>([])
    private let available: UnsafeMutablePointer<sem_t>
    private let count: Int

    init(count: Int, stackSize: Int = 16 << 20) {
        self.count = count
        available = .allocate(capacity: 1)
        sem_init(available, 0, 0)
        for i in 0..<count {
            startThread(name: "http-\(i)", stackSize: stackSize) { [self] in serve() }
        }
    }

    private func serve() {
        while true {
            while sem_wait(available) != 0 {}
            let next: Job?? = queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            // nil: nothing queued (cannot happen after a post); .some(nil): stop.
            guard case .some(.some(let job)) = next else { return }
            job.body?()
            job.body = nil
            sem_post(&job.done)
        }
    }

    /// Runs `body` on a pool thread and returns when it has finished.
    func run(_ body: () -> Void) {
        withoutActuallyEscaping(body) { escapable in
            let job = Job(escapable)
            queue.withLock { $0.append(job) }
            sem_post(available)
            while sem_wait(&job.done) != 0 {}
        }
    }

    /// Ends the pool's threads (after the server has stopped sending requests).
    func stop() {
        queue.withLock { q in for _ in 0..<count { q.append(nil) } }
        for _ in 0..<count { sem_post(available) }
    }
}
