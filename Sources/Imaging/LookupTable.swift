import DICOMCore
import ImageCodecs

/// A lookup table as the Modality LUT, VOI LUT and palette colour modules hold it (PS3.3 C.11.1.1, C.11.2.1.1,
/// C.7.6.3.1.5): a descriptor (entries, first mapped value, bits per entry) and the entries.
public struct LookupTable: Sendable, Equatable {
    public var firstMapped: Int
    public var bits: Int
    public var entries: [Int]

    public init(firstMapped: Int, bits: Int, entries: [Int]) {
        self.firstMapped = firstMapped
        self.bits = bits
        self.entries = entries
    }

    /// Values below the first mapped one take the first entry, values past the last take the last (C.11.1.1).
    @inline(__always)
    public func lookup(_ value: Int) -> Int {
        let i = value - firstMapped
        return i <= 0 ? entries[0] : i >= entries.count ? entries[entries.count - 1] : entries[i]
    }

    /// Reads a descriptor and its data from an item or a data set. `signedFirst` reads the first mapped value as
    /// SS (when the pixel data is signed); 0 entries in the descriptor means 65,536 (C.11.1.1.1).
    public init(descriptor: DataElement?, data: DataElement?, signedFirst: Bool) throws(CodecError) {
        guard let descriptor, let values = descriptor.integers, values.count == 3 else {
            throw CodecError("a LUT Descriptor of three values is missing")
        }
        let count = values[0] == 0 ? 65_536 : values[0]
        var first = values[1]
        if signedFirst && first > 32_767 { first -= 65_536 }
        let bits = values[2]
        guard (1...16).contains(bits) || bits == 0 else { throw CodecError("a LUT of \(bits) bits per entry") }
        guard let raw = data?.bytes, raw.count > 0 else { throw CodecError("LUT Data is missing") }
        var entries: [Int]
        if raw.count >= 2 * count {
            entries = raw.withUnsafeBytes { b in (0..<count).map { Int(b[2 * $0]) | Int(b[2 * $0 + 1]) << 8 } }
        } else if raw.count >= count {
            // 8-bit entries packed two to a 16-bit word, as some writers do.
            entries = raw.withUnsafeBytes { b in (0..<count).map { Int(b[$0]) } }
        } else {
            throw CodecError("LUT Data has \(raw.count) bytes for \(count) entries")
        }
        if bits <= 8 { entries = entries.map { $0 & 0xFF } }
        self.init(firstMapped: first, bits: bits == 0 ? 16 : bits, entries: entries)
    }

    /// A Segmented Palette Color LUT (C.7.9.2): discrete, linear and indirect segments, expanded.
    public static func segmented(descriptor: DataElement?, data: DataElement?, signedFirst: Bool) throws(CodecError) -> LookupTable {
        guard let values = descriptor?.integers, values.count == 3 else { throw CodecError("a LUT Descriptor of three values is missing") }
        guard let raw = data?.bytes, raw.count >= 2 else { throw CodecError("Segmented LUT Data is missing") }
        let words: [Int] = raw.withUnsafeBytes { b in (0..<(b.count / 2)).map { Int(b[2 * $0]) | Int(b[2 * $0 + 1]) << 8 } }
        let count = values[0] == 0 ? 65_536 : values[0]
        var out: [Int] = []
        out.reserveCapacity(count)
        var i = 0
        var segmentStarts: [Int] = []
        while i + 1 < words.count && out.count < count {
            let opcode = words[i], length = words[i + 1]
            segmentStarts.append(i)
            switch opcode {
            case 0:  // discrete
                guard i + 2 + length <= words.count else { throw CodecError("a discrete LUT segment passes the data's end") }
                out += words[(i + 2)..<(i + 2 + length)]
                i += 2 + length
            case 1:  // linear from the previous value to y1 over `length` entries
                guard let y0 = out.last, i + 2 < words.count else { throw CodecError("a linear LUT segment has no start") }
                let y1 = words[i + 2]
                for k in 1...max(1, length) { out.append(y0 + (y1 - y0) * k / max(1, length)) }
                i += 3
            case 2:  // indirect: copy `length` earlier segments from a word offset
                guard i + 3 < words.count else { throw CodecError("an indirect LUT segment is cut short") }
                let offset = words[i + 2] | words[i + 3] << 16
                guard offset < i, length < 1 << 16 else { throw CodecError("an indirect LUT segment points forward") }
                var j = offset, copied = 0
                while copied < length && j < i {
                    let op = words[j], n = j + 1 < words.count ? words[j + 1] : 0
                    if op == 0 { out += words[(j + 2)..<min(words.count, j + 2 + n)]; j += 2 + n }
                    else if op == 1, let y0 = out.last, j + 2 < words.count {
                        for k in 1...max(1, n) { out.append(y0 + (words[j + 2] - y0) * k / max(1, n)) }
                        j += 3
                    } else { break }
                    copied += 1
                }
                i += 4
            default:
                throw CodecError("an unknown LUT segment opcode \(opcode)")
            }
            guard out.count <= 1 << 17 else { throw CodecError("a segmented LUT expands past 65,536 entries") }
        }
        guard !out.isEmpty else { throw CodecError("a segmented LUT with no entries") }
        var first = values[1]
        if signedFirst && first > 32_767 { first -= 65_536 }
        return LookupTable(firstMapped: first, bits: values[2] == 0 ? 16 : values[2], entries: Array(out.prefix(count)))
    }
}
