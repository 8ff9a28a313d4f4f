#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Server
import Testing
import Transport

/// The server's log: one JSON object per line, filtered by level.
@Suite("JSONLog")
struct JSONLogTests {
    /// The lines a log writes to a pipe while `body` runs, each parsed as a JSON object.
    static func lines(level: LogLevel, _ body: (JSONLog) -> Void) throws -> [[String: Any]] {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TestFailure("pipe failed") }
        let log = JSONLog(level: level, fd: fds[1])
        body(log)
        close(fds[1])
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress!, $0.count) }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        close(fds[0])
        #expect(bytes.last == 0x0A, "every line ends with a newline")
        return try bytes.split(separator: 0x0A).map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw TestFailure("not a JSON object: \(String(decoding: line, as: UTF8.self))")
            }
            return object
        }
    }

    @Test("each message is one line of JSON with time, level, component, message and fields")
    func lineFormat() throws {
        let lines = try Self.lines(level: .debug) { log in
            log.log(.info, "server", "listening", [("ae_title", "LIGHTBOX"), ("dicom", "127.0.0.1:11112")])
            log.log(.error, "archive", "quote \" backslash \\ newline \n tab \t control \u{01} unicode Müller 東京")
        }
        #expect(lines.count == 2)
        let first = try #require(lines.first)
        #expect(first["level"] as? String == "info")
        #expect(first["component"] as? String == "server")
        #expect(first["message"] as? String == "listening")
        #expect(first["ae_title"] as? String == "LIGHTBOX")
        #expect(first["dicom"] as? String == "127.0.0.1:11112")
        #expect(Set(first.keys) == ["time", "level", "component", "message", "ae_title", "dicom"])
        // RFC 3339 in UTC to the millisecond: 2024-01-31T12:34:56.789Z
        let time = try #require(first["time"] as? String)
        #expect(time.count == 24)
        #expect(time.hasSuffix("Z"))
        #expect(Array(time)[10] == "T" && Array(time)[19] == ".")
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = try #require(formatter.date(from: time))
        #expect(abs(date.timeIntervalSinceNow) < 60)
        #expect(lines[1]["message"] as? String == "quote \" backslash \\ newline \n tab \t control \u{01} unicode Müller 東京")
        #expect(lines[1]["level"] as? String == "error")
    }

    @Test("messages below the level are left out", arguments: LogLevel.allCases)
    func levelFilter(minimum: LogLevel) throws {
        let lines = try Self.lines(level: minimum) { log in
            for level in LogLevel.allCases { log.log(level, "test", "at \(level.name)") }
        }
        let expected = LogLevel.allCases.filter { $0 >= minimum }.map(\.name)
        #expect(lines.map { $0["level"] as? String ?? "" } == expected)
        #expect(lines.map { $0["message"] as? String ?? "" } == expected.map { "at " + $0 })
    }

    @Test("a component's sink logs under that component, filtered likewise")
    func sink() throws {
        let lines = try Self.lines(level: .warning) { log in
            let sink = log.sink("dicom")
            sink(.info, "association accepted")
            sink(.warning, "association aborted")
        }
        #expect(lines.count == 1)
        #expect(lines.first?["component"] as? String == "dicom")
        #expect(lines.first?["message"] as? String == "association aborted")
    }

    @Test("lines from many threads never interleave")
    func concurrent() async throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TestFailure("pipe failed") }
        let log = JSONLog(level: .info, fd: fds[1])
        let readEnd = fds[0]
        // Read while writing: the pipe's buffer is smaller than everything written.
        let reader = Task.detached { () -> [UInt8] in
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress!, $0.count) }
                if n <= 0 { break }
                bytes += buffer[0..<n]
            }
            return bytes
        }
        let padding = String(repeating: "x", count: 300)
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<8 {
                group.addTask {
                    for i in 0..<100 { log.log(.info, "t\(t)", "\(i) \(padding)") }
                }
            }
        }
        close(fds[1])
        let bytes = await reader.value
        close(fds[0])
        let lines = bytes.split(separator: 0x0A)
        #expect(lines.count == 800)
        var parsed = 0
        for line in lines {
            if (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] != nil { parsed += 1 }
        }
        #expect(parsed == 800)
    }
}
