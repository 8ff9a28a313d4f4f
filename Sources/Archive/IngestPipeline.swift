#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Transport

/// Finishes ingests (fsync, then the index row) on threads of its own, so that a request carrying many instances
/// (a STOW-RS of a series) receives the next while the last is being made durable. fsyncs that run together share
/// the filesystem's journal commits, which is where a lone sender loses most of its time. The request still
/// answers only once every one of its instances is finished: a success still means on disk and indexed.
public final class IngestPipeline: @unchecked Sendable {
    private let queue = Mutex<[PendingIngest?]>([])
    private let available: UnsafeMutablePointer<sem_t>
    private let threads: Int

    public init(threads: Int = 8) {
        self.threads = max(1, threads)
        available = .allocate(capacity: 1)
        sem_init(available, 0, 0)
        for i in 0..<self.threads {
            startThread(name: "ingest-\(i)", stackSize: 1 << 20) { [self] in serve() }
        }
    }

    /// Queues the ingest's finish; its outcome is waited for with `PendingIngest.wait`.
    public func finish(_ ingest: Ingest) -> PendingIngest {
        let pending = PendingIngest(ingest)
        queue.withLock { $0.append(pending) }
        sem_post(available)
        return pending
    }

    private func serve() {
        while true {
            while sem_wait(available) != 0 {}
            // nil: nothing queued (cannot happen after a post); .some(nil): stop.
            let next: PendingIngest?? = queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            guard case .some(.some(let next)) = next else { return }
            next.run()
        }
    }

    /// Ends the threads once the queued ingests are finished.
    public func stop() {
        queue.withLock { q in for _ in 0..<threads { q.append(nil) } }
        for _ in 0..<threads { sem_post(available) }
    }
}

/// An ingest being finished in the background.
public final class PendingIngest: @unchecked Sendable {
    private var ingest: Ingest?
    private var result: Result<IngestOutcome, ArchiveError>?
    private var done = sem_t()

    init(_ ingest: Ingest) {
        self.ingest = ingest
        sem_init(&done, 0, 0)
    }

    deinit { sem_destroy(&done) }

    func run() {
        do { result = .success(try ingest!.finish()) } catch { result = .failure(error) }
        ingest = nil
        sem_post(&done)
    }

    /// The outcome, once the instance is durable and indexed (or refused).
    public func wait() -> Result<IngestOutcome, ArchiveError> {
        while sem_wait(&done) != 0 {}
        sem_post(&done)  // a second wait returns at once
        return result!
    }
}
