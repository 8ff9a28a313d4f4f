#if canImport(Glibc)
import Glibc
#endif
import AdminAPI
import Archive
import Synchronization
import Transport

/// What `GET /metrics` reports, in Prometheus's text exposition format (version 0.0.4): HTTP requests by area
/// and status class with a latency histogram, DICOM associations, what the archive holds, storage space, jobs,
/// the process's memory and uptime.
final class Metrics: Sendable {
    /// Latency bucket bounds, in seconds.
    static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// The areas requests are counted by: the first path segment, so the label set stays small.
    static let areas = ["dicom-web", "wado", "api", "health", "metrics", "other"]

    struct HTTPCounts: Sendable {
        /// By area, method class and status class ("2xx").
        var requests: [String: Int] = [:]
        var bucketCounts: [String: [Int]] = [:]
        var sums: [String: Double] = [:]
        var counts: [String: Int] = [:]
    }

    private let http = Mutex(HTTPCounts())
    let started = monotonicNow()

    func observe(method: String, path: String, status: Int, seconds: Double) {
        let first = path.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        let area = Self.areas.contains(first) ? first : "other"
        let key = "area=\"\(area)\",method=\"\(Self.methodLabel(method))\",status=\"\(status / 100)xx\""
        http.withLock { h in
            h.requests[key, default: 0] += 1
            var b = h.bucketCounts[area] ?? [Int](repeating: 0, count: Self.buckets.count)
            for (i, bound) in Self.buckets.enumerated() where seconds <= bound { b[i] += 1 }
            h.bucketCounts[area] = b
            h.sums[area, default: 0] += seconds
            h.counts[area, default: 0] += 1
        }
    }

    static func methodLabel(_ method: String) -> String {
        ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"].contains(method) ? method : "other"
    }

    /// The exposition text.
    func text(archive: Archive, dicom: (accepted: Int, rejected: Int, active: Int), jobs: JobQueue) -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for s in samples { out += name + (s.labels.isEmpty ? "" : "{\(s.labels)}") + " " + s.value + "\n" }
        }
        let h = http.withLock { $0 }
        metric("lightbox_http_requests_total", "counter", "HTTP requests answered, by area, method and status class.",
               h.requests.keys.sorted().map { ($0, String(h.requests[$0]!)) })
        out += "# HELP lightbox_http_request_duration_seconds Time from a request's head to the end of its answer.\n"
        out += "# TYPE lightbox_http_request_duration_seconds histogram\n"
        for area in Self.areas where h.counts[area] != nil {
            let b = h.bucketCounts[area] ?? []
            for (i, bound) in Self.buckets.enumerated() {
                out += "lightbox_http_request_duration_seconds_bucket{area=\"\(area)\",le=\"\(bound)\"} \(b[i])\n"
            }
            out += "lightbox_http_request_duration_seconds_bucket{area=\"\(area)\",le=\"+Inf\"} \(h.counts[area]!)\n"
            out += "lightbox_http_request_duration_seconds_sum{area=\"\(area)\"} \(h.sums[area]!)\n"
            out += "lightbox_http_request_duration_seconds_count{area=\"\(area)\"} \(h.counts[area]!)\n"
        }
        metric("lightbox_dicom_associations_total", "counter", "DICOM associations, by outcome.",
               [("outcome=\"accepted\"", String(dicom.accepted)), ("outcome=\"rejected\"", String(dicom.rejected))])
        metric("lightbox_dicom_associations_active", "gauge", "DICOM associations in progress.", [("", String(dicom.active))])
        if let s = try? archive.index.statistics() {
            metric("lightbox_archive_entities", "gauge", "What the archive holds, by level.",
                   [("level=\"patient\"", String(s.patients)), ("level=\"study\"", String(s.studies)),
                    ("level=\"series\"", String(s.series)), ("level=\"instance\"", String(s.instances))])
            metric("lightbox_archive_bytes", "gauge", "Bytes of the stored instances.", [("", String(s.bytes))])
        }
        metric("lightbox_index_up", "gauge", "1 when the index answers.", [("", archive.index.isUsable() ? "1" : "0")])
        if let free = archive.storage.freeBytes() {
            metric("lightbox_storage_free_bytes", "gauge", "Free bytes where stored files go.", [("", String(free))])
        }
        metric("lightbox_jobs", "gauge", "Jobs, by state.",
               [("state=\"pending\"", String(jobs.pendingCount)), ("state=\"running\"", String(jobs.runningCount))])
        metric("lightbox_process_resident_memory_bytes", "gauge", "Resident memory of the process.", [("", String(Self.residentBytes()))])
        metric("lightbox_uptime_seconds", "gauge", "Seconds since the server started.",
               [("", String(Int(monotonicNow() - started)))])
        return out
    }

    /// VmRSS from /proc/self/status.
    static func residentBytes() -> Int {
        guard let f = fopen("/proc/self/status", "r") else { return 0 }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil {
            let s = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if s.hasPrefix("VmRSS:") {
                let digits = s.filter { $0.isNumber }
                return (Int(digits) ?? 0) * 1024
            }
        }
        return 0
    }
}
