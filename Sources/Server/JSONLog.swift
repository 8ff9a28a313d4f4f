#if canImport(Glibc)
import Glibc
#endif
import DICOMCore
import Synchronization
import Transport

/// The server's log: one JSON object per line on standard error, {"time", "level", "component", "message", ...},
/// for a terminal, journald or a log shipper alike. Messages at info and above carry no patient data.
public final class JSONLog: Sendable {
    public let minimum: LogLevel
    let fd: Int32
    private let lock = Mutex(())

    public init(level: LogLevel, fd: Int32 = 2) {
        minimum = level
        self.fd = fd
    }

    public func log(_ level: LogLevel, _ component: String, _ message: String, _ fields: [(String, String)] = []) {
        guard level >= minimum else { return }
        var line = "{\"time\":\"" + JSONLog.timestamp() + "\",\"level\":\"" + level.name + "\",\"component\":"
        line += JSONValue.quoted(component) + ",\"message\":" + JSONValue.quoted(message)
        for (k, v) in fields { line += "," + JSONValue.quoted(k) + ":" + JSONValue.quoted(v) }
        line += "}\n"
        lock.withLock { _ in
            var bytes = Array(line.utf8)
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
                if n <= 0 { if errno == EINTR { continue } else { break } }
                done += n
            }
            bytes.removeAll()
        }
    }

    /// A sink for one component (the network layer, the archive).
    public func sink(_ component: String) -> LogSink {
        { [self] level, message in self.log(level, component, message) }
    }

    /// RFC 3339 in UTC, to the millisecond.
    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = tm()
        var seconds = ts.tv_sec
        gmtime_r(&seconds, &t)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return pad(t.tm_year + 1900, 4) + "-" + pad(t.tm_mon + 1, 2) + "-" + pad(t.tm_mday, 2) + "T" + pad(t.tm_hour, 2) + ":"
            + pad(t.tm_min, 2) + ":" + pad(t.tm_sec, 2) + "." + pad(Int32(ts.tv_nsec / 1_000_000), 3) + "Z"
    }
}
