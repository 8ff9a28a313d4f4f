/// RLE Lossless (PS3.5 Annex G, transfer syntax 1.2.840.10008.1.2.5): each frame is a 64-byte header (the
/// number of segments and up to 15 segment offsets) and one PackBits-coded segment per byte plane. Planes go
/// sample by sample, and within a sample from the most significant byte to the least (G.2).
public enum RLELossless {
    public static let transferSyntaxUID = "1.2.840.10008.1.2.5"

    /// One frame's bytes (its fragments concatenated) decoded to native pixels: little endian, samples
    /// interleaved (Planar Configuration 0).
    public static func decode(_ frame: [UInt8], geometry g: FrameGeometry) throws(CodecError) -> [UInt8] {
        let result: Result<[UInt8], CodecError> = frame.withUnsafeBytes { raw in
            Result { () throws(CodecError) in try decode(raw, geometry: g) }
        }
        return try result.get()
    }

    public static func decode(_ frame: UnsafeRawBufferPointer, geometry g: FrameGeometry) throws(CodecError) -> [UInt8] {
        guard let length = g.frameLength, [1, 2, 4].contains(g.bytesPerSample) else {
            throw CodecError("RLE: unsupported geometry \(g.rows)x\(g.columns), \(g.samplesPerPixel) samples of \(g.bitsAllocated) bits")
        }
        guard frame.count >= 64 else { throw CodecError("RLE: the frame has \(frame.count) bytes, less than its 64-byte header") }
        let bytes = frame.bindMemory(to: UInt8.self)
        let segments = Int(uint32(bytes, 0))
        let expected = g.samplesPerPixel * g.bytesPerSample
        guard segments == expected, segments <= 15 else {
            throw CodecError("RLE: \(segments) segments where \(g.samplesPerPixel) samples of \(g.bitsAllocated) bits need \(expected)")
        }
        var offsets = (0..<segments).map { Int(uint32(bytes, 4 + 4 * $0)) }
        offsets.append(frame.count)
        let pixels = g.pixels
        let stride = g.samplesPerPixel * g.bytesPerSample
        // A byte plane is unpacked contiguously (runs become memcpy and memset), then spread into its place.
        // Every byte is written by its segment, or the frame is refused: no need to zero the buffers first. The
        // segments are unpacked plane after plane (runs become memcpy and memset), then interleaved in one pass.
        var out = [UInt8](unsafeUninitializedCapacity: length) { _, n in n = length }
        var planes = [UInt8](unsafeUninitializedCapacity: stride == 1 ? 0 : length) { _, n in n = stride == 1 ? 0 : length }
        for s in 0..<segments {
            let start = offsets[s], end = min(offsets[s + 1], frame.count)
            guard start >= 64, start <= end else {
                throw CodecError("RLE: segment \(s + 1) has offset \(start), outside the frame of \(frame.count) bytes")
            }
            let produced: Int
            if stride == 1 {
                produced = try out.withUnsafeMutableBufferPointer { (o) throws(CodecError) -> Int in
                    try unpack(bytes, from: start, to: end, count: pixels, into: o.baseAddress!)
                }
            } else {
                produced = try planes.withUnsafeMutableBufferPointer { (p) throws(CodecError) -> Int in
                    try unpack(bytes, from: start, to: end, count: pixels, into: p.baseAddress! + s * pixels)
                }
            }
            guard produced == pixels else {
                throw CodecError("RLE: segment \(s + 1) decodes to \(produced) bytes, \(pixels) expected")
            }
        }
        if stride > 1 {
            planes.withUnsafeBufferPointer { p in
                out.withUnsafeMutableBufferPointer { o in interleave(p, into: o, pixels: pixels, geometry: g) }
            }
        }
        return out
    }

    /// Byte planes (most significant byte first within each sample, G.2) to little-endian samples by pixel.
    static func interleave(_ p: UnsafeBufferPointer<UInt8>, into o: UnsafeMutableBufferPointer<UInt8>, pixels n: Int,
                           geometry g: FrameGeometry) {
        let b = g.bytesPerSample, spp = g.samplesPerPixel
        switch (b, spp) {
        case (2, 1):
            let high = p.baseAddress!, low = p.baseAddress! + n
            for i in 0..<n { o[2 * i] = low[i]; o[2 * i + 1] = high[i] }
        case (1, 3):
            let r = p.baseAddress!, g = r + n, bl = r + 2 * n
            for i in 0..<n { o[3 * i] = r[i]; o[3 * i + 1] = g[i]; o[3 * i + 2] = bl[i] }
        default:
            let stride = b * spp
            for s in 0..<(b * spp) {
                let base = (s / b) * b + b - 1 - s % b
                let plane = p.baseAddress! + s * n
                var at = base
                for i in 0..<n {
                    o[at] = plane[i]
                    at += stride
                }
            }
        }
    }

    /// PackBits (G.3.1): a header byte n in 0...127 copies the next n + 1 bytes; n in -127...-1 repeats the next
    /// byte 1 - n times; -128 is skipped. Stops after `count` bytes; returns how many it produced.
    static func unpack(_ b: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, count: Int,
                       into out: UnsafeMutablePointer<UInt8>) throws(CodecError) -> Int {
        var i = start, n = 0
        while i < end && n < count {
            let h = Int(Int8(bitPattern: b[i]))
            i += 1
            if h >= 0 {
                let run = h + 1
                guard i + run <= end else { throw CodecError("RLE: a literal run of \(run) bytes passes the segment's end") }
                let m = min(run, count - n)
                (out + n).update(from: b.baseAddress! + i, count: m)
                n += m
                i += run
            } else if h != -128 {
                guard i < end else { throw CodecError("RLE: a replicate run has no byte to repeat") }
                let m = min(1 - h, count - n)
                (out + n).update(repeating: b[i], count: m)
                n += m
                i += 1
            }
        }
        return n
    }

    /// Native pixels (little endian, samples interleaved) encoded as one RLE frame; each row is coded on its own,
    /// as G.3.1 requires, and each segment padded to an even length.
    public static func encode(_ pixels: [UInt8], geometry g: FrameGeometry) throws(CodecError) -> [UInt8] {
        guard let length = g.frameLength, [1, 2, 4].contains(g.bytesPerSample) else {
            throw CodecError("RLE: unsupported geometry \(g.rows)x\(g.columns), \(g.samplesPerPixel) samples of \(g.bitsAllocated) bits")
        }
        let segments = g.samplesPerPixel * g.bytesPerSample
        guard segments <= 15 else { throw CodecError("RLE: \(segments) byte planes, more than the 15 segments a frame can hold") }
        guard pixels.count >= length else { throw CodecError("RLE: \(pixels.count) bytes of pixels, \(length) expected") }
        var out = [UInt8](repeating: 0, count: 64)
        put32(&out, 0, UInt32(segments))
        let stride = g.samplesPerPixel * g.bytesPerSample
        var plane = [UInt8](repeating: 0, count: g.columns)
        for s in 0..<segments {
            put32(&out, 4 + 4 * s, UInt32(out.count))
            let base = (s / g.bytesPerSample) * g.bytesPerSample + (g.bytesPerSample - 1 - s % g.bytesPerSample)
            for r in 0..<g.rows {
                for c in 0..<g.columns { plane[c] = pixels[base + (r * g.columns + c) * stride] }
                pack(plane, into: &out)
            }
            if out.count & 1 == 1 { out.append(0x80) }  // -128: a no-op, as padding
        }
        return out
    }

    /// PackBits of one row: runs of three or more equal bytes replicated, the rest literal, 128 at most each.
    static func pack(_ row: [UInt8], into out: inout [UInt8]) {
        var i = 0
        let n = row.count
        while i < n {
            var run = 1
            while i + run < n && run < 128 && row[i + run] == row[i] { run += 1 }
            if run >= 3 {
                out.append(UInt8(bitPattern: Int8(1 - run)))
                out.append(row[i])
                i += run
                continue
            }
            // A literal: up to the next run of three, or 128 bytes.
            var j = i
            while j < n && j - i < 128 {
                if j + 2 < n && row[j] == row[j + 1] && row[j] == row[j + 2] { break }
                j += 1
            }
            out.append(UInt8(j - i - 1))
            out.append(contentsOf: row[i..<j])
            i = j
        }
    }

    static func uint32(_ b: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }

    static func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
        for k in 0..<4 { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) }
    }
}
