#if canImport(Glibc)
import Glibc
#endif
import HTTP

/// Reads a `multipart/related` body (RFC 2046 §5.1, RFC 2387) as it arrives: part headers, then each part's
/// bytes in pieces, never more than a bounded window in memory, however large the part. The delimiter is found
/// with memmem over a window that keeps the last delimiter-length bytes of each read, so a delimiter split across
/// two reads is still found.
public final class MultipartReader {
    let body: HTTPBody
    /// "\r\n--boundary": the body is read as if it began with CRLF, so the first delimiter needs no special case.
    let delimiter: [UInt8]
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var atEndOfBody = false
    private var inPart = false
    private var finished = false
    static let windowSize = 256 * 1024
    /// Largest block of part header fields accepted.
    static let maximumHeaderBytes = 16 * 1024

    public init(body: HTTPBody, boundary: String) {
        self.body = body
        delimiter = Array("\r\n--\(boundary)".utf8)
        buffer = [UInt8](repeating: 0, count: Self.windowSize + delimiter.count + 2)
        buffer[0] = 0x0D
        buffer[1] = 0x0A
        end = 2
    }

    /// Fills the window; false when the body has ended (or failed: then throws).
    private func fill() throws(HTTPError) -> Bool {
        if atEndOfBody { return false }
        if start > 0 {
            if start < end { buffer.withUnsafeMutableBytes { b in _ = memmove(b.baseAddress!, b.baseAddress! + start, end - start) } }
            end -= start
            start = 0
        }
        guard end < buffer.count else { return true }
        var failure: HTTPError?
        let n = buffer.withUnsafeMutableBytes { b -> Int in
            do throws(HTTPError) { return try body.readOrThrow(into: UnsafeMutableRawBufferPointer(rebasing: b[end...])) } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        if n == 0 {
            atEndOfBody = true
            return false
        }
        end += n
        return true
    }

    /// Offset of the next delimiter in the window, or nil.
    private func findDelimiter() -> Int? {
        guard end - start >= delimiter.count else { return nil }
        return buffer.withUnsafeBytes { b in
            delimiter.withUnsafeBytes { d in
                guard let at = search(UnsafeRawBufferPointer(start: b.baseAddress! + start, count: end - start), d) else { return nil }
                return start + at
            }
        }
    }

    /// Moves to the next part and returns its header fields (names lower-cased); nil after the last part.
    /// Whatever is left of the current part is skipped.
    public func nextPart() throws(HTTPError) -> [(name: String, value: String)]? {
        if finished { return nil }
        // Skip to the next delimiter (the preamble before the first, or the rest of the current part).
        while true {
            if let at = findDelimiter() {
                start = at + delimiter.count
                break
            }
            // Keep the tail that could be the start of a delimiter.
            start = max(start, end - delimiter.count + 1)
            guard try fill() else {
                throw HTTPError(400, inPart ? "the multipart body ended inside a part, without its closing delimiter"
                                            : "the multipart body has no part with the boundary its Content-Type names")
            }
        }
        inPart = false
        // After the delimiter: "--" closes the body; otherwise optional white space and CRLF.
        while end - start < 2 {
            guard try fill() else { throw HTTPError(400, "the multipart body ended after a delimiter") }
        }
        if buffer[start] == 0x2D && buffer[start + 1] == 0x2D {
            finished = true
            return nil
        }
        var headerText: [UInt8] = []
        // The header block ends at the first empty line; it starts right after the delimiter line's CRLF.
        while true {
            let window = Array(buffer[start..<end])
            if let crlf = find([0x0D, 0x0A], in: window) {
                let line = window[0..<crlf]
                guard line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else {
                    throw HTTPError(400, "a multipart delimiter is followed by text; the boundary may be wrong")
                }
                start += crlf + 2
                break
            }
            guard end - start < 1024, try fill() else { throw HTTPError(400, "a multipart delimiter line is not ended by CRLF") }
        }
        while true {
            let window = buffer[start..<end]
            if window.starts(with: [0x0D, 0x0A]) {
                start += 2
                break
            }
            if let at = find([0x0D, 0x0A, 0x0D, 0x0A], in: Array(window)) {
                headerText = Array(window.prefix(at))
                start += at + 4
                break
            }
            guard end - start <= Self.maximumHeaderBytes else {
                throw HTTPError(400, "a part's header fields exceed \(Self.maximumHeaderBytes) bytes")
            }
            guard try fill() else { throw HTTPError(400, "the multipart body ended inside a part's header fields") }
        }
        var fields: [(name: String, value: String)] = []
        for raw in headerText.split(separator: 0x0A) {
            var line = String(decoding: raw, as: UTF8.self)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw HTTPError(400, "a part's header line has no colon: \(line.prefix(80))")
            }
            fields.append((String(line[..<colon]).trimmed.lowercased(), String(line[line.index(after: colon)...]).trimmed))
        }
        inPart = true
        return fields
    }

    /// Reads the current part's bytes: up to `into.count`, 0 at the end of the part.
    public func read(into out: UnsafeMutableRawBufferPointer) throws(HTTPError) -> Int {
        guard inPart, out.count > 0 else { return 0 }
        while true {
            let available: Int
            if let at = findDelimiter() {
                available = at - start
                if available == 0 {
                    // The end of the part: leave the delimiter for nextPart.
                    inPart = false
                    return 0
                }
            } else {
                available = end - start - (delimiter.count - 1)
                if available <= 0 || (available < 4096 && !atEndOfBody) {
                    if try fill() { continue }
                    if available <= 0 { throw HTTPError(400, "the multipart body ended inside a part, without its closing delimiter") }
                }
            }
            let n = min(available, out.count)
            buffer.withUnsafeBytes { b in out.baseAddress!.copyMemory(from: b.baseAddress! + start, byteCount: n) }
            start += n
            return n
        }
    }

    /// The rest of the current part, refused past `limit` bytes.
    public func collectPart(limit: Int) throws(HTTPError) -> [UInt8] {
        var out: [UInt8] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let n = try read(into: chunk)
            if n == 0 { return out }
            guard out.count + n <= limit else { throw HTTPError(413, "a part is larger than the \(limit) bytes allowed") }
            out += chunk[0..<n]
        }
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return haystack.withUnsafeBytes { h in
            needle.withUnsafeBytes { n in
                search(h, n)
            }
        }
    }
}

/// The offset of `needle` in `haystack`: memchr to each candidate first byte, memcmp for the rest (memmem is
/// a GNU extension Swift does not see).
func search(_ haystack: UnsafeRawBufferPointer, _ needle: UnsafeRawBufferPointer) -> Int? {
    guard needle.count > 0, haystack.count >= needle.count, let base = haystack.baseAddress, let n = needle.baseAddress else { return nil }
    let first = Int32(needle[0])
    var offset = 0
    let last = haystack.count - needle.count
    while offset <= last {
        guard let hit = memchr(base + offset, first, last - offset + 1) else { return nil }
        let at = UnsafeRawPointer(hit) - base
        if memcmp(base + at, n, needle.count) == 0 { return at }
        offset = at + 1
    }
    return nil
}

/// Writes a `multipart/related` response: each part's header fields, then its bytes, then the closing delimiter.
public struct MultipartWriter: Sendable {
    public let boundary: String

    public init() {
        let a = UInt64.random(in: 0...UInt64.max), b = UInt64.random(in: 0...UInt64.max)
        boundary = "lightbox-" + String(a, radix: 16) + String(b, radix: 16)
    }

    /// The bytes before a part's body.
    public func partHead(_ fields: [(name: String, value: String)]) -> [UInt8] {
        var s = "--\(boundary)\r\n"
        for f in fields { s += "\(f.name): \(f.value)\r\n" }
        s += "\r\n"
        return Array(s.utf8)
    }

    /// After each part's body.
    public var partEnd: [UInt8] { [0x0D, 0x0A] }
    public var close: [UInt8] { Array("--\(boundary)--\r\n".utf8) }

    /// The Content-Type of the whole response.
    public func contentType(type: String, extra: [(name: String, value: String)] = []) -> String {
        MediaType("multipart", "related", [("type", type)] + extra + [("boundary", boundary)]).description
    }
}
