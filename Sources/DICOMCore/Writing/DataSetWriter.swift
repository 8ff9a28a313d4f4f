#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where encoded bytes go: a buffer in memory, a file, later a network association.
public protocol ByteSink {
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws
}

extension ByteSink {
    @inline(__always) mutating func write(_ bytes: Bytes) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

/// Collects bytes in an array.
public struct ArraySink: ByteSink {
    public var bytes: [UInt8] = []
    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }
    public mutating func write(_ b: UnsafeRawBufferPointer) { bytes.append(contentsOf: b) }
}

/// Encodes data sets (PS3.5 §7) in any of the native encodings: explicit or implicit VR, little or big endian.
///
/// Values are written as stored: a data set read and written in the same transfer syntax comes out byte for byte
/// as it went in when it was well formed. Lengths of defined-length sequences and items, and group lengths, are
/// recomputed so that they stay right after edits and conversions.
public struct DataSetWriter {
    public var explicitVR: Bool
    public var bigEndian: Bool
    /// What to do with group length elements (gggg,0000) of the data set (the file meta's is always recomputed).
    public var groupLengths: GroupLengthPolicy = .recalculate

    /// Group lengths are retired outside the command set and file meta (PS3.5 §7.2); files still carry them,
    /// often stale.
    public enum GroupLengthPolicy: Sendable {
        /// Recompute those present (right after any edit or change of VR encoding).
        case recalculate
        /// Write them as they are: a file written back unchanged stays byte-identical even when they were stale.
        case keep
        /// Leave them out.
        case remove
    }

    public init(explicitVR: Bool, bigEndian: Bool = false) {
        self.explicitVR = explicitVR
        self.bigEndian = bigEndian
    }

    public init(transferSyntax: TransferSyntax) {
        self.init(explicitVR: transferSyntax.isExplicitVR, bigEndian: transferSyntax.isBigEndian)
    }

    // MARK: Lengths

    /// The encoded length of a data set's elements (little or big endian have the same lengths).
    /// `withoutGroupLengths`: as written with `groupLengths = .remove`, so a defined-length item or sequence
    /// that held group lengths is given the length of what is really written.
    public static func encodedLength(of dataSet: DataSet, explicitVR: Bool, withoutGroupLengths: Bool = false) -> Int {
        var total = 0
        for e in dataSet.elements where !(withoutGroupLengths && e.tag.isGroupLength) {
            total += encodedLength(of: e, explicitVR: explicitVR, withoutGroupLengths: withoutGroupLengths)
        }
        return total
    }

    static func encodedLength(of e: DataElement, explicitVR: Bool, withoutGroupLengths: Bool = false) -> Int {
        let explicit = explicitVR
        switch e.value {
        case .bytes(let b):
            let n = b.count + (b.count & 1)
            return header(explicit: explicit, vr: e.vr, length: n) + n
        case .sequence(let s):
            // A UN sequence's items are always implicit VR (PS3.5 §6.2.2).
            let innerExplicit = explicitVR && e.vr != .UN
            return header(explicit: explicit, vr: e.vr == .UN ? .UN : .SQ, length: 0)
                + sequenceValueLength(s, explicitVR: innerExplicit, withoutGroupLengths: withoutGroupLengths)
        case .encapsulated(let p):
            var n = 8 + p.basicOffsetTable.count + (p.basicOffsetTable.count & 1)
            for f in p.fragments { n += 8 + f.count + (f.count & 1) }
            return header(explicit: explicit, vr: e.vr, length: 0) + n + 8
        }
    }

    public static func sequenceValueLength(_ s: DICOMSequence, explicitVR: Bool, withoutGroupLengths: Bool = false) -> Int {
        var n = 0
        for item in s.items {
            n += 8 + encodedLength(of: item.dataSet, explicitVR: explicitVR, withoutGroupLengths: withoutGroupLengths)
                + (item.hasUndefinedLength ? 8 : 0)
        }
        return n + (s.hasUndefinedLength ? 8 : 0)
    }

    /// Header bytes: implicit 8; explicit 12 for long-length VRs (and short VRs whose value exceeds 64 KiB,
    /// which are written as UN), else 8.
    static func header(explicit: Bool, vr: VR, length: Int) -> Int {
        guard explicit else { return 8 }
        return vr.hasLongLength || !vr.isKnown || length > 0xFFFF ? 12 : 8
    }

    // MARK: Writing

    public func write<S: ByteSink>(_ dataSet: DataSet, to sink: inout S) throws {
        try writeElements(dataSet, explicitVR: explicitVR, to: &sink)
    }

    public func encode(_ dataSet: DataSet) throws -> [UInt8] {
        var sink = ArraySink(capacity: DataSetWriter.encodedLength(of: dataSet, explicitVR: explicitVR))
        try write(dataSet, to: &sink)
        return sink.bytes
    }

    func writeElements<S: ByteSink>(_ dataSet: DataSet, explicitVR: Bool, to sink: inout S) throws {
        switch groupLengths {
        case .keep:
            for e in dataSet.elements { try writeElement(e, explicitVR: explicitVR, to: &sink) }
        case .remove:
            for e in dataSet.elements where !e.tag.isGroupLength { try writeElement(e, explicitVR: explicitVR, to: &sink) }
        case .recalculate:
            var lengths: [UInt16: Int] = [:]
            if dataSet.elements.contains(where: { $0.tag.isGroupLength }) {
                for e in dataSet.elements where !e.tag.isGroupLength {
                    lengths[e.tag.group, default: 0] += DataSetWriter.encodedLength(of: e, explicitVR: explicitVR)
                }
            }
            for e in dataSet.elements {
                // A value that is written as 4 bytes (a damaged 3-byte one is padded to 4) becomes the group's
                // length (PS3.5 §7.2), so that a second write changes nothing; other sizes stay as they are, as
                // the lengths of the items around them were computed with them.
                if e.tag.isGroupLength, let b = e.bytes, b.count + (b.count & 1) == 4 {
                    let length = UInt32(truncatingIfNeeded: lengths[e.tag.group] ?? 0)
                    try writeElement(DataElement(tag: e.tag, vr: e.vr, integers: [length]), explicitVR: explicitVR, to: &sink)
                } else {
                    try writeElement(e, explicitVR: explicitVR, to: &sink)
                }
            }
        }
    }

    func writeElement<S: ByteSink>(_ e: DataElement, explicitVR: Bool, to sink: inout S) throws {
        switch e.value {
        case .bytes(let b):
            let padded = b.count & 1 == 1
            let length = b.count + (padded ? 1 : 0)
            var vr = e.vr
            if explicitVR && !vr.hasLongLength && (length > 0xFFFF || !vr.isKnown) { vr = .UN }
            try writeHeader(tag: e.tag, vr: vr, length: UInt32(length), explicitVR: explicitVR, to: &sink)
            // A value written as UN stays little endian, as UN is read (its VR, hence its byte order, unknown).
            if bigEndian && vr.swapUnit > 1 {
                try writeSwapped(b, unit: e.vr.swapUnit, to: &sink)
            } else {
                try sink.write(b)
            }
            if padded { try writeBytes([e.vr.paddingByte], to: &sink) }
        case .sequence(let s):
            let innerExplicit = explicitVR && e.vr != .UN
            let length = s.hasUndefinedLength ? 0xFFFF_FFFF : UInt32(DataSetWriter.sequenceValueLength(s, explicitVR: innerExplicit,
                                                                                                  withoutGroupLengths: groupLengths == .remove))
            // Items can only be written under SQ or UN: another VR's 16-bit length could not hold them.
            try writeHeader(tag: e.tag, vr: e.vr == .UN ? .UN : .SQ, length: length, explicitVR: explicitVR, to: &sink)
            // Items of a UN sequence are implicit VR little endian whatever the transfer syntax (PS3.5 §6.2.2).
            var inner = self
            if e.vr == .UN {
                inner = DataSetWriter(explicitVR: false, bigEndian: false)
                inner.groupLengths = groupLengths
            }
            for item in s.items {
                let itemLength = item.hasUndefinedLength
                    ? 0xFFFF_FFFF : UInt32(DataSetWriter.encodedLength(of: item.dataSet, explicitVR: innerExplicit,
                                                                                          withoutGroupLengths: groupLengths == .remove))
                try inner.writeItemHeader(.item, length: itemLength, to: &sink)
                try inner.writeElements(item.dataSet, explicitVR: innerExplicit, to: &sink)
                if item.hasUndefinedLength { try inner.writeItemHeader(.itemDelimitationItem, length: 0, to: &sink) }
            }
            if s.hasUndefinedLength { try inner.writeItemHeader(.sequenceDelimitationItem, length: 0, to: &sink) }
        case .encapsulated(let p):
            try writeHeader(tag: e.tag, vr: e.vr == .OW ? .OW : .OB, length: 0xFFFF_FFFF, explicitVR: explicitVR, to: &sink)
            for fragment in [p.basicOffsetTable] + p.fragments {
                let padded = fragment.count & 1 == 1
                try writeItemHeader(.item, length: UInt32(fragment.count + (padded ? 1 : 0)), to: &sink)
                try sink.write(fragment)
                if padded { try writeBytes([0], to: &sink) }
            }
            try writeItemHeader(.sequenceDelimitationItem, length: 0, to: &sink)
        }
    }

    func writeHeader<S: ByteSink>(tag: Tag, vr: VR, length: UInt32, explicitVR: Bool, to sink: inout S) throws {
        var h = [UInt8](repeating: 0, count: 12)
        put16(&h, 0, tag.group)
        put16(&h, 2, tag.element)
        if explicitVR {
            h[4] = UInt8(vr.code >> 8)
            h[5] = UInt8(vr.code & 0xFF)
            if vr.hasLongLength || !vr.isKnown {
                put32(&h, 8, length)
                try writeBytes(h, to: &sink)
            } else {
                put16(&h, 6, UInt16(truncatingIfNeeded: length))
                try writeBytes(h[0..<8], to: &sink)
            }
        } else {
            put32(&h, 4, length)
            try writeBytes(h[0..<8], to: &sink)
        }
    }

    func writeItemHeader<S: ByteSink>(_ tag: Tag, length: UInt32, to sink: inout S) throws {
        var h = [UInt8](repeating: 0, count: 8)
        put16(&h, 0, tag.group)
        put16(&h, 2, tag.element)
        put32(&h, 4, length)
        try writeBytes(h, to: &sink)
    }

    @inline(__always) func put16(_ h: inout [UInt8], _ at: Int, _ v: UInt16) {
        let x = bigEndian ? v.bigEndian : v.littleEndian
        h[at] = UInt8(truncatingIfNeeded: x)
        h[at + 1] = UInt8(truncatingIfNeeded: x >> 8)
    }

    @inline(__always) func put32(_ h: inout [UInt8], _ at: Int, _ v: UInt32) {
        let x = bigEndian ? v.bigEndian : v.littleEndian
        for k in 0..<4 { h[at + k] = UInt8(truncatingIfNeeded: x >> (8 * k)) }
    }

    func writeBytes<S: ByteSink, C: Collection>(_ bytes: C, to sink: inout S) throws where C.Element == UInt8 {
        try Array(bytes).withUnsafeBytes { try sink.write($0) }
    }

    func writeSwapped<S: ByteSink>(_ b: Bytes, unit: Int, to sink: inout S) throws {
        // In chunks, so that a large big endian value needs no copy of its own size.
        let chunk = 64 * 1024
        var start = 0
        var buffer = [UInt8](repeating: 0, count: min(chunk, b.count))
        while start < b.count {
            let n = min(chunk, b.count - start)
            try b.withUnsafeBytes { src in
                try buffer.withUnsafeMutableBytes { dst in
                    var i = 0
                    while i + unit <= n {
                        for k in 0..<unit { dst[i + k] = src[start + i + unit - 1 - k] }
                        i += unit
                    }
                    while i < n { dst[i] = src[start + i]; i += 1 }
                    try sink.write(UnsafeRawBufferPointer(rebasing: dst[0..<n]))
                }
            }
            start += n
        }
    }
}
