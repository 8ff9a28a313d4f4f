/// Marker segments of the JPEG interchange format (T.81 Annex B): the frame header (SOFn), scan header (SOS),
/// Huffman and quantization tables (DHT, DQT), the restart interval (DRI), and the APP0 JFIF / APP14 Adobe
/// markers. Everything here reads through `JPEGBytes`, which checks every offset against the data's length.

/// The data being decoded, with bounds-checked reads.
struct JPEGBytes {
    let base: UnsafeRawPointer
    let count: Int

    init(_ data: UnsafeRawBufferPointer) throws(CodecError) {
        guard let base = data.baseAddress, data.count > 0 else { throw CodecError("JPEG: empty data") }
        self.base = base
        self.count = data.count
    }

    @inline(__always) func byte(_ i: Int) -> Int { Int(base.load(fromByteOffset: i, as: UInt8.self)) }
    @inline(__always) func uint16(_ i: Int) -> Int { byte(i) << 8 | byte(i + 1) }

    /// Finds the next marker at or after `from`: skips bytes that are not 0xFF, fill 0xFF bytes, stuffed 0xFF 0x00
    /// and RSTn (which belong to entropy-coded data). Returns the marker code and the offset after it.
    func nextMarker(from: Int) -> (code: Int, after: Int)? {
        var i = from
        while i + 1 < count {
            if byte(i) != 0xFF { i += 1; continue }
            var j = i + 1
            while j < count && byte(j) == 0xFF { j += 1 }
            guard j < count else { return nil }
            let code = byte(j)
            if code == 0 || (code >= 0xD0 && code <= 0xD7) { i = j + 1; continue }
            return (code, j + 1)
        }
        return nil
    }

    /// The payload of the marker segment starting at `at` (just after the marker code): offset and length.
    func segment(at: Int, marker: Int) throws(CodecError) -> (start: Int, length: Int) {
        guard at + 2 <= count else { throw CodecError("JPEG: truncated in the length of marker 0x\(jpegHex(marker))") }
        let length = uint16(at)
        guard length >= 2 else { throw CodecError("JPEG: marker 0x\(jpegHex(marker)) has length \(length)") }
        guard at + length <= count else { throw CodecError("JPEG: truncated in marker 0x\(jpegHex(marker)) segment") }
        return (at + 2, length - 2)
    }
}

func jpegHex(_ v: Int) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return s.count < 2 ? "0" + s : s
}

struct JPEGComponent {
    var id: UInt8
    var h: Int
    var v: Int
    var tq: Int
    /// Size in samples (A.1.1: ceil(X * H / Hmax) by ceil(Y * V / Vmax)).
    var width = 0
    var height = 0
    /// Data units (blocks for DCT, samples for lossless) covered by a non-interleaved scan.
    var unitsWide = 0
    var unitsHigh = 0
    /// Data units of the plane, padded to whole MCUs of an interleaved scan.
    var paddedWide = 0
    var paddedHigh = 0
}

struct JPEGFrame {
    var marker: Int
    var process: JPEGDecoder.Process
    var precision: Int
    var width: Int
    var height: Int
    var components: [JPEGComponent]
    var hmax = 1
    var vmax = 1
    /// MCUs of an interleaved scan.
    var mcusWide = 0
    var mcusHigh = 0
    /// Samples per data unit edge: 8 for DCT, 1 for lossless.
    var unit: Int { process == .lossless ? 1 : 8 }

    /// Parses a SOF0/1/2/3 segment (B.2.2) and computes the component geometry (A.1.1). SOF5-15 throw.
    static func parse(_ b: JPEGBytes, marker: Int, start: Int, length: Int) throws(CodecError) -> JPEGFrame {
        let process: JPEGDecoder.Process
        switch marker {
        case 0xC0: process = .baseline
        case 0xC1: process = .extended
        case 0xC2: process = .progressive
        case 0xC3: process = .lossless
        case 0xC5, 0xC6, 0xC7: throw CodecError("JPEG: hierarchical process (SOF\(marker - 0xC0)) not supported")
        case 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF:
            throw CodecError("JPEG: arithmetic coding (SOF\(marker - 0xC0)) not supported")
        default: throw CodecError("JPEG: marker 0x\(jpegHex(marker)) is not a frame header")
        }
        guard length >= 6 else { throw CodecError("JPEG: frame header too short") }
        let p = b.byte(start), y = b.uint16(start + 1), x = b.uint16(start + 3), nf = b.byte(start + 5)
        if process == .lossless {
            guard p >= 2 && p <= 16 else { throw CodecError("JPEG: lossless precision \(p) is not 2 to 16") }
        } else {
            guard p == 8 || p == 12 else { throw CodecError("JPEG: DCT precision \(p) is not 8 or 12") }
        }
        guard y > 0 else { throw CodecError("JPEG: height 0 (a DNL marker) not supported") }
        guard x > 0 else { throw CodecError("JPEG: width 0") }
        guard nf >= 1 && nf <= 4 else { throw CodecError("JPEG: \(nf) components (1 to 4 supported)") }
        guard length >= 6 + 3 * nf else { throw CodecError("JPEG: frame header too short for \(nf) components") }
        var components = [JPEGComponent]()
        for i in 0..<nf {
            let o = start + 6 + 3 * i
            let hv = b.byte(o + 1), tq = b.byte(o + 2)
            let c = JPEGComponent(id: UInt8(b.byte(o)), h: hv >> 4, v: hv & 15, tq: tq)
            guard c.h >= 1 && c.h <= 4 && c.v >= 1 && c.v <= 4 else {
                throw CodecError("JPEG: component \(c.id) has sampling factors \(c.h)x\(c.v)")
            }
            guard tq <= 3 else { throw CodecError("JPEG: component \(c.id) uses quantization table \(tq)") }
            components.append(c)
        }
        var f = JPEGFrame(marker: marker, process: process, precision: p, width: x, height: y, components: components)
        f.hmax = components.map(\.h).max() ?? 1
        f.vmax = components.map(\.v).max() ?? 1
        let u = f.unit
        f.mcusWide = (x + u * f.hmax - 1) / (u * f.hmax)
        f.mcusHigh = (y + u * f.vmax - 1) / (u * f.vmax)
        for i in f.components.indices {
            var c = f.components[i]
            c.width = (x * c.h + f.hmax - 1) / f.hmax
            c.height = (y * c.v + f.vmax - 1) / f.vmax
            c.unitsWide = (c.width + u - 1) / u
            c.unitsHigh = (c.height + u - 1) / u
            c.paddedWide = f.mcusWide * c.h
            c.paddedHigh = f.mcusHigh * c.v
            f.components[i] = c
        }
        return f
    }
}

struct JPEGScan {
    /// Index in the frame's components of each scan component, in scan order.
    var components: [Int]
    var dcTables: [Int]
    var acTables: [Int]
    var ss: Int
    var se: Int
    var ah: Int
    var al: Int

    /// Parses a SOS segment (B.2.3) against the frame.
    static func parse(_ b: JPEGBytes, start: Int, length: Int, frame: JPEGFrame, number: Int) throws(CodecError) -> JPEGScan {
        guard length >= 1 else { throw CodecError("JPEG: scan header \(number) too short") }
        let ns = b.byte(start)
        guard ns >= 1 && ns <= 4 else { throw CodecError("JPEG: scan \(number) has \(ns) components") }
        guard length >= 4 + 2 * ns else { throw CodecError("JPEG: scan header \(number) too short") }
        var scan = JPEGScan(components: [], dcTables: [], acTables: [], ss: 0, se: 0, ah: 0, al: 0)
        for k in 0..<ns {
            let id = UInt8(b.byte(start + 1 + 2 * k)), tables = b.byte(start + 2 + 2 * k)
            // The first frame component with this id not already in the scan (tolerates repeated ids).
            guard let index = frame.components.indices.first(where: { frame.components[$0].id == id && !scan.components.contains($0) }) else {
                throw CodecError("JPEG: scan \(number) names component \(id), not in the frame")
            }
            scan.components.append(index)
            scan.dcTables.append(tables >> 4)
            scan.acTables.append(tables & 15)
            guard tables >> 4 <= 3 && tables & 15 <= 3 else {
                throw CodecError("JPEG: scan \(number) uses Huffman table \(tables >> 4)/\(tables & 15)")
            }
        }
        let o = start + 1 + 2 * ns
        scan.ss = b.byte(o)
        scan.se = b.byte(o + 1)
        scan.ah = b.byte(o + 2) >> 4
        scan.al = b.byte(o + 2) & 15
        if ns > 1 {
            let units = scan.components.reduce(0) { $0 + frame.components[$1].h * frame.components[$1].v }
            guard units <= 10 else { throw CodecError("JPEG: scan \(number) has \(units) data units per MCU (10 at most)") }
        }
        return scan
    }
}

/// Tables and settings that marker segments define between scans.
struct JPEGTables {
    var dc = [JPEGHuffmanTable?](repeating: nil, count: 4)
    var ac = [JPEGHuffmanTable?](repeating: nil, count: 4)
    /// Natural (row-major) order, 64 entries each.
    var quant = [[Int]?](repeating: nil, count: 4)
    var restartInterval = 0
    var adobeTransform: Int?
    var hasJFIF = false

    /// DHT (B.2.4.2): one or more tables.
    mutating func parseDHT(_ b: JPEGBytes, start: Int, length: Int) throws(CodecError) {
        var i = start
        let end = start + length
        while i < end {
            guard i + 17 <= end else { throw CodecError("JPEG: truncated Huffman table") }
            let tc = b.byte(i) >> 4, th = b.byte(i) & 15
            guard tc <= 1 && th <= 3 else { throw CodecError("JPEG: Huffman table class \(tc) slot \(th)") }
            var counts = [Int]()
            for l in 0..<16 { counts.append(b.byte(i + 1 + l)) }
            let total = counts.reduce(0, +)
            guard total <= 256 else { throw CodecError("JPEG: Huffman table with bad counts (\(total) codes)") }
            guard i + 17 + total <= end else { throw CodecError("JPEG: truncated Huffman table") }
            var symbols = [UInt8]()
            for k in 0..<total { symbols.append(UInt8(b.byte(i + 17 + k))) }
            let table = try JPEGHuffmanTable(counts: counts, symbols: symbols, ac: tc == 1)
            if tc == 0 { dc[th] = table } else { ac[th] = table }
            i += 17 + total
        }
    }

    /// DQT (B.2.4.1): 8- or 16-bit tables, given in zig-zag order, stored in natural order.
    mutating func parseDQT(_ b: JPEGBytes, start: Int, length: Int) throws(CodecError) {
        var i = start
        let end = start + length
        while i < end {
            let pq = b.byte(i) >> 4, tq = b.byte(i) & 15
            guard pq <= 1 && tq <= 3 else { throw CodecError("JPEG: quantization table precision \(pq) slot \(tq)") }
            let size = pq == 0 ? 64 : 128
            guard i + 1 + size <= end else { throw CodecError("JPEG: truncated quantization table") }
            var table = [Int](repeating: 0, count: 64)
            for k in 0..<64 {
                table[JPEGZigzag.natural[k]] = pq == 0 ? b.byte(i + 1 + k) : b.uint16(i + 1 + 2 * k)
            }
            quant[tq] = table
            i += 1 + size
        }
    }

    mutating func parseDRI(_ b: JPEGBytes, start: Int, length: Int) throws(CodecError) {
        guard length >= 2 else { throw CodecError("JPEG: restart interval segment too short") }
        restartInterval = b.uint16(start)
    }

    /// APP0 "JFIF\0" and APP14 "Adobe" (the transform flag, byte 11).
    mutating func parseAPP(_ b: JPEGBytes, marker: Int, start: Int, length: Int) {
        func matches(_ s: [UInt8]) -> Bool {
            guard length >= s.count else { return false }
            for (k, c) in s.enumerated() where b.byte(start + k) != Int(c) { return false }
            return true
        }
        if marker == 0xE0 && matches(Array("JFIF\0".utf8)) { hasJFIF = true }
        if marker == 0xEE && length >= 12 && matches(Array("Adobe".utf8)) { adobeTransform = b.byte(start + 11) }
    }
}

enum JPEGZigzag {
    /// Zig-zag index to natural (row-major) index, with 16 extra entries of 63 so that a corrupt run cannot
    /// index past the block (as libjpeg does).
    static let natural: [Int] = [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
        63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
    ]
}
