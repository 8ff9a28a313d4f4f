import DICOMCore
import Testing

/// Swift Testing has a `Tag` of its own; in these tests `Tag` is always the DICOM one.
typealias Tag = DICOMCore.Tag

/// Builds encoded DICOM byte streams by hand, so that parser tests do not depend on the writer.
struct Stream {
    var bytes: [UInt8] = []
    var bigEndian = false

    init(bigEndian: Bool = false) { self.bigEndian = bigEndian }

    var data: Bytes { Bytes(bytes) }
    var count: Int { bytes.count }

    mutating func u16(_ v: UInt16) {
        let x = bigEndian ? v.bigEndian : v.littleEndian
        withUnsafeBytes(of: x) { bytes.append(contentsOf: $0) }
    }

    mutating func u32(_ v: UInt32) {
        let x = bigEndian ? v.bigEndian : v.littleEndian
        withUnsafeBytes(of: x) { bytes.append(contentsOf: $0) }
    }

    mutating func tag(_ tag: UInt32) {
        u16(UInt16(tag >> 16))
        u16(UInt16(tag & 0xFFFF))
    }

    mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    /// An explicit VR header; the length field is 32-bit for the long-length VRs.
    mutating func explicitHeader(_ t: UInt32, _ vr: String, length: UInt32) {
        tag(t)
        raw(Array(vr.utf8))
        if VR(vr)!.hasLongLength {
            u16(0)
            u32(length)
        } else {
            u16(UInt16(length))
        }
    }

    /// An explicit VR element with its value written as given (no padding added).
    mutating func explicit(_ t: UInt32, _ vr: String, _ value: [UInt8]) {
        explicitHeader(t, vr, length: UInt32(value.count))
        raw(value)
    }

    mutating func explicit(_ t: UInt32, _ vr: String, _ text: String) {
        explicit(t, vr, Array(text.utf8))
    }

    mutating func implicitHeader(_ t: UInt32, length: UInt32) {
        tag(t)
        u32(length)
    }

    mutating func implicit(_ t: UInt32, _ value: [UInt8]) {
        implicitHeader(t, length: UInt32(value.count))
        raw(value)
    }

    mutating func implicit(_ t: UInt32, _ text: String) {
        implicit(t, Array(text.utf8))
    }

    mutating func item(length: UInt32 = 0xFFFF_FFFF) {
        tag(0xFFFE_E000)
        u32(length)
    }

    mutating func itemDelimiter() {
        tag(0xFFFE_E00D)
        u32(0)
    }

    mutating func sequenceDelimiter() {
        tag(0xFFFE_E0DD)
        u32(0)
    }
}

/// Little-endian encodings of numbers, as values are held in memory.
func le16(_ values: UInt16...) -> [UInt8] { values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }
func le32(_ values: UInt32...) -> [UInt8] {
    values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
}
func be16(_ values: UInt16...) -> [UInt8] { values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } }
func be32(_ values: UInt32...) -> [UInt8] {
    values.flatMap { v in (0..<4).reversed().map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
}

func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }

/// A Part 10 file: 128-byte preamble, "DICM", a file meta information group in explicit VR little endian naming
/// `transferSyntaxUID`, then `body`.
func part10(transferSyntaxUID: String, body: [UInt8], preamble: Bool = true) -> [UInt8] {
    var uid = ascii(transferSyntaxUID)
    if uid.count % 2 == 1 { uid.append(0) }
    var meta = Stream()
    meta.explicit(0x0002_0001, "OB", [0, 1])
    meta.explicit(0x0002_0010, "UI", uid)
    var head = Stream()
    head.explicit(0x0002_0000, "UL", le32(UInt32(meta.count)))
    var out: [UInt8] = preamble ? [UInt8](repeating: 0, count: 128) : []
    out += ascii("DICM")
    out += head.bytes + meta.bytes + body
    return out
}

/// The parse error thrown by `body`, or nil when parsing succeeded (any other error is recorded as an issue).
func parseFailure(_ body: () throws -> Void) -> DICOMParseError? {
    do {
        try body()
        return nil
    } catch let error as DICOMParseError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}
