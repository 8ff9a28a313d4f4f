#if canImport(Glibc)
import Glibc
#endif
import DICOMCore
import Synchronization
import Transport

/// A piece of work that outlives its request (sending a study to a node): queued, run by a few worker threads,
/// its progress visible at `/api/jobs/{id}`, cancellable between instances.
public struct Job: Sendable, Equatable {
    public enum State: String, Sendable {
        case pending, running, succeeded, failed, cancelled
        public var isFinished: Bool { self == .succeeded || self == .failed || self == .cancelled }
    }

    public var id: String
    public var kind: String
    /// What it does, in words ("send study 1.2.3 to WS1").
    public var summary: String
    /// Who asked.
    public var user: String
    public var state = State.pending
    public var total = 0
    public var completed = 0
    public var warnings = 0
    public var failed = 0
    public var error: String?
    /// Seconds since 1970.
    public var created: Int
    public var started: Int?
    public var finished: Int?

    public var json: JSONValue {
        var o: [(String, JSONValue)] = [
            ("id", .string(id)), ("kind", .string(kind)), ("summary", .string(summary)), ("user", .string(user)),
            ("state", .string(state.rawValue)), ("total", .number(String(total))), ("completed", .number(String(completed))),
            ("warnings", .number(String(warnings))), ("failed", .number(String(failed))),
            ("remaining", .number(String(max(0, total - completed - warnings - failed)))), ("created", .number(String(created))),
        ]
        if let started { o.append(("started", .number(String(started)))) }
        if let finished { o.append(("finished", .number(String(finished)))) }
        if let error { o.append(("error", .string(error))) }
        return .object(o)
    }
}

/// What a running job reports through: progress, and whether it was asked to stop.
public struct JobContext: Sendable {
    let id: String
    let queue: JobQueue

    /// Records progress; false once the job has been cancelled (the work should stop).
    public func report(_ p: TransferProgress) -> Bool {
        queue.update(id) { job in
            job.total = p.total
            job.completed = p.completed
            job.warnings = p.warnings
            job.failed = p.failed
            if let error = p.lastError { job.error = error }
        }
        return !queue.isCancelled(id)
    }
}

/// The jobs of this process, in memory: the most recent `retained` are kept once finished.
public final class JobQueue: @unchecked Sendable {
    private struct Entry: Sendable {
        var job: Job
        var work: (@Sendable (JobContext) -> Void)?
        var cancelRequested = false
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let order = Mutex<[String]>([])
    private let pending = Mutex<[String]>([])
    private let wake: UnsafeMutablePointer<sem_t>
    let retained: Int

    public init(workers: Int = 2, retained: Int = 500) {
        self.retained = retained
        wake = .allocate(capacity: 1)
        sem_init(wake, 0, 0)
        for i in 0..<max(1, workers) {
            startThread(name: "jobs-\(i)") { [self] in runWorker() }
        }
    }

    /// Queues work; it runs on a worker thread and reports through its context.
    public func submit(kind: String, summary: String, user: String, total: Int, _ work: @escaping @Sendable (JobContext) -> Void) -> Job {
        var bytes = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { bytes[i] = UInt8.random(in: 0...255) }
        let id = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        var job = Job(id: id, kind: kind, summary: summary, user: user, created: Int(time(nil)))
        job.total = total
        entries.withLock { $0[id] = Entry(job: job, work: work) }
        order.withLock { $0.append(id) }
        pending.withLock { $0.append(id) }
        prune()
        sem_post(wake)
        return job
    }

    public func job(_ id: String) -> Job? { entries.withLock { $0[id]?.job } }

    /// Every retained job, newest first.
    public func list() -> [Job] {
        let ids = order.withLock { $0 }
        return entries.withLock { e in ids.reversed().compactMap { e[$0]?.job } }
    }

    /// Asks a job to stop: a pending one is cancelled at once, a running one at its next report. False when the
    /// job is unknown or finished already.
    @discardableResult public func cancel(_ id: String) -> Bool {
        let done: Bool = entries.withLock { e in
            guard var entry = e[id], !entry.job.state.isFinished else { return false }
            entry.cancelRequested = true
            if entry.job.state == .pending {
                entry.job.state = .cancelled
                entry.job.finished = Int(time(nil))
                entry.work = nil
            }
            e[id] = entry
            return true
        }
        return done
    }

    /// Waits until the job has finished, at most `timeout` seconds; the job as it is then.
    public func wait(_ id: String, timeout: Double) -> Job? {
        let deadline = monotonicNow() + timeout
        while true {
            guard let job = job(id) else { return nil }
            if job.state.isFinished || monotonicNow() >= deadline { return job }
            usleep(5_000)
        }
    }

    public var runningCount: Int { entries.withLock { $0.values.filter { $0.job.state == .running }.count } }
    public var pendingCount: Int { entries.withLock { $0.values.filter { $0.job.state == .pending }.count } }

    func isCancelled(_ id: String) -> Bool { entries.withLock { $0[id]?.cancelRequested ?? true } }

    func update(_ id: String, _ change: (inout Job) -> Void) {
        entries.withLock { e in
            guard var entry = e[id] else { return }
            change(&entry.job)
            e[id] = entry
        }
    }

    private func runWorker() {
        while true {
            while sem_wait(wake) != 0 {}
            guard let id = pending.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            let work: (@Sendable (JobContext) -> Void)? = entries.withLock { e in
                guard var entry = e[id], entry.job.state == .pending, let work = entry.work else { return nil }
                entry.job.state = .running
                entry.job.started = Int(time(nil))
                entry.work = nil
                e[id] = entry
                return work
            }
            guard let work else { continue }
            work(JobContext(id: id, queue: self))
            entries.withLock { e in
                guard var entry = e[id] else { return }
                entry.job.finished = Int(time(nil))
                let unfinished = entry.job.completed + entry.job.warnings + entry.job.failed < entry.job.total
                if entry.cancelRequested && unfinished {
                    entry.job.state = .cancelled
                } else {
                    entry.job.state = entry.job.failed > 0 || unfinished ? .failed : .succeeded
                }
                e[id] = entry
            }
        }
    }

    /// Finished jobs past the retained number are forgotten, oldest first.
    private func prune() {
        let ids = order.withLock { $0 }
        guard ids.count > retained else { return }
        var drop: Set<String> = []
        entries.withLock { e in
            for id in ids where ids.count - drop.count > retained {
                if let entry = e[id], entry.job.state.isFinished {
                    drop.insert(id)
                    e[id] = nil
                }
            }
        }
        order.withLock { $0.removeAll { drop.contains($0) } }
    }
}
