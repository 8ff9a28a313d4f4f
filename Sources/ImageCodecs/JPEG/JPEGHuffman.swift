/// Huffman decoding tables (T.81 Annex C, F.2.2.3) and the entropy-coded segment bit reader (F.2.2.5),
/// shared by the sequential, progressive and lossless decoders.

/// A Huffman table in the decoder's form: a 9-bit lookahead table for short codes, and the canonical
/// MAXCODE/VALPTR arrays (Figure F.15) for codes of 10 to 16 bits. Storage is unsafe (freed in deinit) so the
/// hot loops index it without bounds checks; every index is bounded by construction.
final class JPEGHuffmanTable {
    static let lookupBits = 9
    /// (length << 8) | symbol for every 9-bit prefix that starts with a code of at most 9 bits, 0 otherwise.
    let lookup: UnsafeMutablePointer<UInt16>
    /// Largest code of each length 0...17 (-1 when there is none).
    let maxcode: UnsafeMutablePointer<Int>
    /// Index in `values` of the first symbol of each length, minus that length's first code.
    let valoffset: UnsafeMutablePointer<Int>
    let values: UnsafeMutablePointer<UInt8>
    let count: Int
    static let valueBits = 11
    /// Code and extra bits decoded in one lookup, for every 11-bit prefix that holds both; 0 otherwise.
    /// DC and lossless tables (categories 0 to 15): (value << 8) | total length.
    /// AC tables: (value << 16) | (zero run << 8) | total length, plus 0x1000 for EOB and ZRL (no value).
    let values11: UnsafeMutablePointer<Int32>

    /// `counts[i]` is the number of codes of length i + 1 (16 entries); `symbols` their values in code order.
    /// Throws when the counts do not describe a Huffman code (more codes of a length than fit, or over 256).
    init(counts: [Int], symbols: [UInt8], ac: Bool = false) throws(CodecError) {
        guard counts.count == 16 else { throw CodecError("JPEG: Huffman table needs 16 code counts") }
        let total = counts.reduce(0, +)
        guard total <= 256, total == symbols.count else {
            throw CodecError("JPEG: Huffman table with bad counts (\(total) codes)")
        }
        // Figure C.1 and C.2: code lengths and canonical codes, checking that each length's codes fit in its
        // bits. A code equal to 2^length after the last one is accepted, as libjpeg does (an all-ones code).
        var sizes = [Int](), codes = [Int]()
        sizes.reserveCapacity(total)
        codes.reserveCapacity(total)
        var code = 0
        for length in 1...16 {
            for _ in 0..<counts[length - 1] {
                sizes.append(length)
                codes.append(code)
                code += 1
            }
            guard code <= 1 << length else {
                throw CodecError("JPEG: Huffman table with bad counts (too many codes of length \(length))")
            }
            code <<= 1
        }
        lookup = .allocate(capacity: 1 << Self.lookupBits)
        lookup.initialize(repeating: 0, count: 1 << Self.lookupBits)
        maxcode = .allocate(capacity: 18)
        maxcode.initialize(repeating: -1, count: 18)
        valoffset = .allocate(capacity: 18)
        valoffset.initialize(repeating: 0, count: 18)
        values = .allocate(capacity: 256)
        values.initialize(repeating: 0, count: 256)
        count = total
        for (i, s) in symbols.enumerated() { values[i] = s }
        var p = 0
        for length in 1...16 where counts[length - 1] > 0 {
            valoffset[length] = p - codes[p]
            p += counts[length - 1]
            maxcode[length] = codes[p - 1]
        }
        for i in 0..<total where sizes[i] <= Self.lookupBits {
            let shift = Self.lookupBits - sizes[i]
            let first = codes[i] << shift
            let entry = UInt16(sizes[i] << 8) | UInt16(symbols[i])
            for j in 0..<(1 << shift) { lookup[first + j] = entry }
        }
        values11 = .allocate(capacity: 1 << Self.valueBits)
        values11.initialize(repeating: 0, count: 1 << Self.valueBits)
        for i in 0..<total {
            let symbol = Int(symbols[i])
            let s = ac ? symbol & 15 : symbol, run = ac ? symbol >> 4 : 0
            let length = sizes[i] + s
            guard s < 16 && length <= Self.valueBits else { continue }
            let shift = Self.valueBits - length
            for extra in 0..<(1 << s) {
                var value = extra
                if s > 0 && extra < 1 << (s - 1) { value = extra - (1 << s) + 1 }
                let first = ((codes[i] << s) | extra) << shift
                let entry: Int
                if !ac {
                    entry = value << 8 | length
                } else if s == 0 {
                    entry = 0x1000 | run << 8 | length
                } else {
                    entry = value << 16 | run << 8 | length
                }
                for j in 0..<(1 << shift) { values11[first + j] = Int32(entry) }
            }
        }
    }

    /// The table's storage without its reference count, for the hot loops (the table outlives them).
    var view: JPEGHuffmanView {
        JPEGHuffmanView(lookup: lookup, maxcode: maxcode, valoffset: valoffset, values: values, count: count, values11: values11)
    }

    deinit {
        lookup.deallocate()
        maxcode.deallocate()
        valoffset.deallocate()
        values.deallocate()
        values11.deallocate()
    }
}

/// The storage of a `JPEGHuffmanTable`, valid while the table lives.
struct JPEGHuffmanView {
    let lookup: UnsafeMutablePointer<UInt16>
    let maxcode: UnsafeMutablePointer<Int>
    let valoffset: UnsafeMutablePointer<Int>
    let values: UnsafeMutablePointer<UInt8>
    let count: Int
    let values11: UnsafeMutablePointer<Int32>
}

/// Reads an entropy-coded segment: removes stuffed zero bytes after 0xFF, stops at a marker (leaving `pos` on
/// its 0xFF) or at the end of the data, and from then on supplies zero bits. `stuffed` counts those zero bits, so
/// `bits < stuffed` means more bits were consumed than the segment held (`overrun`).
struct JPEGBitReader {
    let base: UnsafeRawPointer
    let end: Int
    var pos: Int
    /// Bit buffer, left-aligned: the next bit is bit 63. Bits past `bits` are zero.
    var acc: UInt64 = 0
    var bits: Int = 0
    var stuffed: Int = 0
    /// Stopped at a marker (pos is on its 0xFF).
    var atMarker = false
    /// Stopped at the end of the data.
    var atEnd = false

    init(base: UnsafeRawPointer, end: Int, pos: Int) {
        self.base = base
        self.end = end
        self.pos = pos
    }

    @inline(__always) func byte(_ i: Int) -> UInt8 { base.load(fromByteOffset: i, as: UInt8.self) }

    /// More bits were consumed than the segment held.
    @inline(__always) var overrun: Bool { bits < stuffed }

    /// Fills the buffer to at least 57 bits (with zero bits once a marker or the end is reached).
    @inline(never) mutating func fill() {
        while bits <= 56 {
            if atMarker || atEnd { break }
            // Fast path: as many whole bytes as fit from 8 plain bytes (no 0xFF among them).
            if pos + 8 <= end {
                let word = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: pos, as: UInt64.self))
                let x = ~word
                if (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 == 0 {
                    let take = (64 - bits) >> 3
                    acc |= (word &>> UInt64(64 - 8 * take)) &<< UInt64(64 - bits - 8 * take)
                    bits += 8 * take
                    pos += take
                    continue
                }
            }
            guard pos < end else { atEnd = true; break }
            let b = byte(pos)
            if b == 0xFF {
                // 0xFF 0x00 is a data byte; fill 0xFF bytes before a marker are skipped (libjpeg also takes
                // several 0xFF then 0x00 as one data byte).
                var q = pos + 1
                while q < end && byte(q) == 0xFF { q += 1 }
                guard q < end else { pos = q; atEnd = true; break }
                if byte(q) == 0 {
                    pos = q + 1
                } else {
                    pos = q - 1
                    atMarker = true
                    break
                }
            } else {
                pos += 1
            }
            acc |= UInt64(b) &<< UInt64(56 - bits)
            bits += 8
        }
        if bits <= 56 {
            // Supply zero bits past the end of the segment.
            stuffed += 64 - bits
            bits = 64
        }
    }

    @inline(__always) mutating func ensure(_ n: Int) {
        if bits < n { refill() }
    }

    /// `fill`, with its common case inline: 8 bytes without 0xFF among them give at least 57 bits.
    @inline(__always) mutating func refill() {
        if pos &+ 8 <= end && !atMarker {
            let word = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: pos, as: UInt64.self))
            let x = ~word
            if (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 == 0 {
                let take = (64 &- bits) &>> 3
                acc |= (word &>> UInt64(truncatingIfNeeded: 64 &- 8 &* take)) &<< UInt64(truncatingIfNeeded: 64 &- bits &- 8 &* take)
                bits &+= 8 &* take
                pos &+= take
                return
            }
        }
        fill()
    }

    /// Consumes n bits (0 < n <= 32; the caller made sure they are buffered).
    @inline(__always) mutating func skip(_ n: Int) {
        acc = acc &<< UInt64(truncatingIfNeeded: n)
        bits &-= n
    }

    /// n bits as an unsigned value (1 <= n <= 32).
    @inline(__always) mutating func getBits(_ n: Int) -> Int {
        ensure(n)
        let v = Int(truncatingIfNeeded: acc &>> UInt64(truncatingIfNeeded: 64 &- n))
        skip(n)
        return v
    }

    @inline(__always) mutating func getBit() -> Bool {
        ensure(1)
        let v = acc & (1 << 63) != 0
        skip(1)
        return v
    }

    /// Decodes one Huffman symbol; -1 when the bits match no code of the table. Needs 16 buffered bits
    /// (it refills when fewer are left).
    @inline(__always) mutating func decode(_ t: JPEGHuffmanView) -> Int {
        ensure(16)
        let e = Int(t.lookup[Int(truncatingIfNeeded: acc &>> UInt64(64 - JPEGHuffmanTable.lookupBits))])
        if e != 0 {
            skip(e &>> 8)
            return e & 0xFF
        }
        return decodeLong(t)
    }

    @inline(never) mutating func decodeLong(_ t: JPEGHuffmanView) -> Int {
        let code16 = Int(truncatingIfNeeded: acc &>> 48)
        var length = JPEGHuffmanTable.lookupBits + 1
        while length <= 16 {
            let code = code16 &>> (16 - length)
            if code <= t.maxcode[length] {
                let index = code + t.valoffset[length]
                guard index >= 0 && index < t.count else { return -1 }
                skip(length)
                return Int(t.values[index])
            }
            length += 1
        }
        return -1
    }

    /// Decodes a difference category and its extra bits in one lookup when they fit in 11 bits; returns nil
    /// otherwise (nothing consumed). Needs 11 buffered bits.
    @inline(__always) mutating func decodeValueFast(_ t: JPEGHuffmanView) -> Int? {
        let e = Int(t.values11[Int(truncatingIfNeeded: acc &>> UInt64(64 - JPEGHuffmanTable.valueBits))])
        if e == 0 { return nil }
        skip(e & 0xFF)
        return e &>> 8
    }

    /// The `values11` entry for the next 11 bits (0: decode the slow way). Needs 11 buffered bits.
    @inline(__always) func peekFast(_ t: JPEGHuffmanView) -> Int {
        Int(t.values11[Int(truncatingIfNeeded: acc &>> UInt64(64 - JPEGHuffmanTable.valueBits))])
    }

    /// Receives s bits and extends them to a signed value (F.2.2.1, Figure F.12); 1 <= s <= 16.
    @inline(__always) mutating func receiveExtend(_ s: Int) -> Int {
        ensure(s)
        let v = Int(truncatingIfNeeded: acc &>> UInt64(truncatingIfNeeded: 64 &- s))
        skip(s)
        return v < (1 &<< (s &- 1)) ? v &- (1 &<< s) &+ 1 : v
    }

    /// Restart (F.2.2.5, E.2.4): drops the buffered bits and looks for RSTn with n = `expected`, skipping bytes
    /// that are not markers and reserved markers. Returns true when found and consumed. When the next marker
    /// is RST(expected + 1 or + 2) (a lost or garbled RST) or a marker that is not RST (data missing before
    /// EOI), it is left for later and false is returned: the interval's data is missing. Any other RST is out of
    /// order and throws, as does the end of the data.
    mutating func restart(expected: Int, scan: Int) throws(CodecError) -> Bool {
        acc = 0
        bits = 0
        stuffed = 0
        atMarker = false
        var q = pos
        while true {
            while q < end && byte(q) != 0xFF { q += 1 }
            var m = q + 1
            while m < end && byte(m) == 0xFF { m += 1 }
            guard m < end else {
                pos = end
                atEnd = true
                throw CodecError("JPEG: truncated before RST\(expected & 7) in scan \(scan)")
            }
            let code = Int(byte(m))
            if code == 0 {
                q = m + 1
                continue
            }
            if code >= 0xD0 && code <= 0xD7 {
                let distance = (code - 0xD0 - expected) & 7
                if distance == 0 {
                    pos = m + 1
                    return true
                }
                if distance == 1 || distance == 2 {
                    pos = m - 1
                    atMarker = true
                    return false
                }
                throw CodecError("JPEG: restart marker RST\(code - 0xD0) where RST\(expected & 7) was expected in scan \(scan)")
            }
            if code < 0xC0 && code != 0x01 {
                q = m + 1   // reserved marker: garbage, skip it
                continue
            }
            pos = m - 1
            atMarker = true
            return false
        }
    }
}
