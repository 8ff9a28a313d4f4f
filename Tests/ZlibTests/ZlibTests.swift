import Testing
import Zlib

/// Deterministic, poorly compressible bytes.
func noise(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
}

func compress(_ data: [UInt8], format: ZlibFormat = .raw, level: Int32 = -1) throws -> [UInt8] {
    try data.withUnsafeBytes { try deflate($0, format: format, level: level) }
}

func decompress(_ data: [UInt8], format: ZlibFormat = .raw, limit: Int = .max) throws -> (output: [UInt8], consumed: Int) {
    try data.withUnsafeBytes { try inflate($0, format: format, limit: limit) }
}

@Suite("Zlib")
struct ZlibTests {
    static let text = Array(String(repeating: "DICOM deflate round trip. ", count: 400).utf8)

    @Test("deflate then inflate gives back the input, in each format", arguments: [ZlibFormat.raw, .zlib, .gzip])
    func roundTrip(format: ZlibFormat) throws {
        for data in [[], [42], Self.text, noise(200_000), [UInt8](repeating: 0, count: 1_000_000)] as [[UInt8]] {
            let packed = try compress(data, format: format)
            let (output, consumed) = try decompress(packed, format: format)
            #expect(output == data)
            #expect(consumed == packed.count)
        }
    }

    @Test("compression levels")
    func levels() throws {
        let stored = try compress(Self.text, level: 0)
        let best = try compress(Self.text, level: 9)
        #expect(stored.count > Self.text.count)
        #expect(best.count < Self.text.count / 20)
        #expect(try decompress(stored).output == Self.text)
        #expect(try decompress(best).output == Self.text)
    }

    @Test("the framing differs between raw, zlib and gzip")
    func framing() throws {
        let z = try compress(Self.text, format: .zlib)
        #expect(z[0] == 0x78)
        let gz = try compress(Self.text, format: .gzip)
        #expect(Array(gz.prefix(2)) == [0x1F, 0x8B])
        #expect(throws: ZlibError.self) { _ = try decompress(gz, format: .raw) }
    }

    @Test("data after the end of the stream is not consumed")
    func trailingData() throws {
        let packed = try compress(Self.text)
        let (output, consumed) = try decompress(packed + [1, 2, 3])
        #expect(output == Self.text)
        #expect(consumed == packed.count)
    }

    @Test("the output limit stops a deflate bomb")
    func outputLimit() throws {
        let bomb = try compress([UInt8](repeating: 0, count: 10_000_000))
        #expect(bomb.count < 20_000)
        #expect(throws: ZlibError.outputLimitExceeded(100_000)) { _ = try decompress(bomb, limit: 100_000) }
        let exact = try compress([UInt8](repeating: 7, count: 5000))
        #expect(try decompress(exact, limit: 5000).output.count == 5000)
        #expect(throws: ZlibError.outputLimitExceeded(4999)) { _ = try decompress(exact, limit: 4999) }
    }

    @Test("a truncated stream is reported as such", arguments: [1, 10, 100])
    func truncated(cut: Int) throws {
        let packed = try compress(noise(10_000))
        #expect(throws: ZlibError.truncatedStream) { _ = try decompress(Array(packed.dropLast(cut))) }
    }

    @Test("an empty input is a truncated stream")
    func empty() {
        #expect(throws: ZlibError.truncatedStream) { _ = try decompress([]) }
    }

    @Test("a corrupt stream is reported with zlib's message")
    func corrupt() throws {
        // Block type 3 is reserved in RFC 1951.
        let error = #expect(throws: ZlibError.self) { _ = try decompress([0xFF, 0xFF, 0xFF, 0xFF]) }
        guard case .corruptStream(let message)? = error else { Issue.record("expected corruptStream, got \(String(describing: error))"); return }
        #expect(!message.isEmpty)
        // A zlib header with a bad check value.
        #expect(throws: ZlibError.self) { _ = try decompress([0x78, 0x00, 0x01, 0x02], format: .zlib) }
        // Flipped bits in the middle of a gzip stream fail its CRC or its structure.
        var gz = try compress(Self.text, format: .gzip)
        gz[gz.count / 2] ^= 0xFF
        gz[gz.count - 6] ^= 0xFF
        #expect(throws: ZlibError.self) { _ = try decompress(gz, format: .gzip) }
    }

    @Test("the streaming Deflater produces the same data as one call")
    func streaming() throws {
        let data = noise(300_000, seed: 7) + Self.text
        var deflater = try Deflater(format: .raw, level: 6)
        var out: [UInt8] = []
        var offset = 0
        while offset < data.count {
            let n = min(65_537, data.count - offset)
            try data[offset..<offset + n].withUnsafeBytes { chunk in
                try deflater.write(chunk) { out.append(contentsOf: $0) }
            }
            offset += n
        }
        try deflater.finish { out.append(contentsOf: $0) }
        #expect(try decompress(out).output == data)
    }

    @Test("CRC-32 of the standard check string")
    func crc() {
        #expect(Array("123456789".utf8).withUnsafeBytes { crc32($0) } == 0xCBF4_3926)
        #expect([UInt8]().withUnsafeBytes { crc32($0) } == 0)
        let whole = Self.text.withUnsafeBytes { crc32($0) }
        let first = Self.text[0..<100].withUnsafeBytes { crc32($0) }
        let chained = Self.text[100...].withUnsafeBytes { crc32($0, seed: first) }
        #expect(chained == whole)
    }

    @Test("errors describe themselves")
    func descriptions() {
        #expect(ZlibError.truncatedStream.description.contains("ends early"))
        #expect(ZlibError.outputLimitExceeded(10).description.contains("10"))
    }
}
