import CZlib

/// Errors from zlib, with the library's own message where it gives one.
public enum ZlibError: Error, Equatable, CustomStringConvertible {
    case initFailed(Int32)
    case corruptStream(String)
    case truncatedStream
    /// The inflated output would exceed the caller's limit (a "deflate bomb" guard).
    case outputLimitExceeded(Int)

    public var description: String {
        switch self {
        case .initFailed(let code): return "zlib: initialisation failed (\(code))"
        case .corruptStream(let msg): return "zlib: corrupt deflate stream: \(msg)"
        case .truncatedStream: return "zlib: deflate stream ends early"
        case .outputLimitExceeded(let limit): return "zlib: inflated data exceeds the limit of \(limit) bytes"
        }
    }
}

/// The framing of a compressed stream: DICOM uses raw deflate (RFC 1951, no header), HTTP uses gzip or zlib.
public enum ZlibFormat: Sendable {
    case raw, zlib, gzip

    var windowBits: Int32 {
        switch self {
        case .raw: return -15
        case .zlib: return 15
        case .gzip: return 31
        }
    }
}

/// Inflates a whole buffer. `limit` bounds the output so a small hostile input cannot allocate without bound.
/// Returns the output and how many input bytes the deflate stream used (data after the stream's end is not consumed).
public func inflate(_ input: UnsafeRawBufferPointer, format: ZlibFormat = .raw, limit: Int = Int.max) throws -> (output: [UInt8], consumed: Int) {
    var stream = z_stream()
    let rc = inflateInit2_(&stream, format.windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    guard rc == Z_OK else { throw ZlibError.initFailed(rc) }
    defer { inflateEnd(&stream) }

    var output = [UInt8]()
    output.reserveCapacity(min(limit, max(4096, input.count * 4)))
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    let base = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) }
    stream.next_in = base
    var remaining = input.count
    // avail_in is 32-bit: feed very large inputs in slices.
    stream.avail_in = uInt(min(remaining, Int(UInt32.max)))
    remaining -= Int(stream.avail_in)
    while true {
        let status: Int32 = chunk.withUnsafeMutableBytes { buf in
            stream.next_out = buf.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(buf.count)
            return CZlib.inflate(&stream, Z_NO_FLUSH)
        }
        let produced = chunk.count - Int(stream.avail_out)
        if output.count + produced > limit { throw ZlibError.outputLimitExceeded(limit) }
        output.append(contentsOf: chunk[0..<produced])
        switch status {
        case Z_STREAM_END:
            return (output, input.count - remaining - Int(stream.avail_in))
        case Z_OK:
            if stream.avail_in == 0 && remaining > 0 {
                let next = min(remaining, Int(UInt32.max))
                stream.avail_in = uInt(next)
                remaining -= next
            }
        case Z_BUF_ERROR:
            // No progress possible: the input ended before the stream did.
            if stream.avail_in == 0 && remaining == 0 { throw ZlibError.truncatedStream }
        default:
            let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
            throw ZlibError.corruptStream(message)
        }
    }
}

/// Deflates a whole buffer at the given level (0...9, -1 for zlib's default).
public func deflate(_ input: UnsafeRawBufferPointer, format: ZlibFormat = .raw, level: Int32 = -1) throws -> [UInt8] {
    var deflater = try Deflater(format: format, level: level)
    var out = [UInt8]()
    try deflater.write(input) { out.append(contentsOf: $0) }
    try deflater.finish { out.append(contentsOf: $0) }
    return out
}

/// A streaming compressor: feed it buffers, it hands back compressed chunks. Used to write deflated
/// DICOM and, later, gzip HTTP bodies without holding the whole output.
public struct Deflater: ~Copyable {
    private var stream: UnsafeMutablePointer<z_stream>
    private var chunk: [UInt8]

    public init(format: ZlibFormat = .raw, level: Int32 = -1) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // memLevel 8 and the default strategy are zlib's own defaults.
        let rc = deflateInit2_(stream, level, Z_DEFLATED, format.windowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deallocate()
            throw ZlibError.initFailed(rc)
        }
        chunk = [UInt8](repeating: 0, count: 64 * 1024)
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    public mutating func write(_ input: UnsafeRawBufferPointer, _ sink: (ArraySlice<UInt8>) throws -> Void) throws {
        guard let base = input.baseAddress else { return }
        var offset = 0
        while offset < input.count {
            let n = min(input.count - offset, Int(UInt32.max))
            stream.pointee.next_in = UnsafeMutablePointer(mutating: (base + offset).assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(n)
            offset += n
            try drain(flush: Z_NO_FLUSH, sink)
        }
    }

    public mutating func finish(_ sink: (ArraySlice<UInt8>) throws -> Void) throws {
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try drain(flush: Z_FINISH, sink)
    }

    private mutating func drain(flush: Int32, _ sink: (ArraySlice<UInt8>) throws -> Void) throws {
        let s = stream
        while true {
            let (status, produced): (Int32, Int) = chunk.withUnsafeMutableBytes { buf in
                s.pointee.next_out = buf.baseAddress!.assumingMemoryBound(to: Bytef.self)
                s.pointee.avail_out = uInt(buf.count)
                let status = CZlib.deflate(s, flush)
                return (status, buf.count - Int(s.pointee.avail_out))
            }
            if produced > 0 { try sink(chunk[0..<produced]) }
            if status == Z_STREAM_END { return }
            guard status == Z_OK || status == Z_BUF_ERROR else { throw ZlibError.corruptStream("deflate status \(status)") }
            if flush == Z_NO_FLUSH && s.pointee.avail_in == 0 && s.pointee.avail_out != 0 { return }
        }
    }
}

/// CRC-32 as zlib computes it (used by PNG and gzip).
public func crc32(_ data: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
    guard let base = data.baseAddress else { return seed }
    return UInt32(CZlib.crc32(uLong(seed), base.assumingMemoryBound(to: Bytef.self), uInt(data.count)))
}
