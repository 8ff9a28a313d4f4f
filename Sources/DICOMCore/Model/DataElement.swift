/// One data element (PS3.5 §7.1): a tag, the VR it was encoded with, and its value.
public struct DataElement: Sendable, Hashable {
    public var tag: Tag
    /// The VR as encoded (or as the dictionary gives it for implicit VR data). A "UN" that hides a known
    /// attribute stays "UN" here so that the file round-trips; `effectiveVR` gives the attribute's real VR.
    public var vr: VR
    public var value: ElementValue

    public init(tag: Tag, vr: VR, value: ElementValue) {
        self.tag = tag
        self.vr = vr
        self.value = value
    }

    public init(tag: Tag, vr: VR, bytes: Bytes) {
        self.init(tag: tag, vr: vr, value: .bytes(bytes))
    }

    /// The raw value bytes (little endian, with their padding); nil for sequences and encapsulated data.
    public var bytes: Bytes? {
        if case .bytes(let b) = value { return b }
        return nil
    }

    public var sequence: DICOMSequence? {
        if case .sequence(let s) = value { return s }
        return nil
    }

    public var encapsulated: EncapsulatedPixelData? {
        if case .encapsulated(let e) = value { return e }
        return nil
    }

    /// The length of the value as it is encoded, nil when it is encoded with undefined length.
    public var valueLength: Int? {
        switch value {
        case .bytes(let b): return b.count
        case .sequence(let s): return s.hasUndefinedLength ? nil : s.encodedLength(explicitVR: vr != .UN)
        case .encapsulated: return nil
        }
    }

    public var isEmpty: Bool {
        switch value {
        case .bytes(let b): return b.isEmpty
        case .sequence(let s): return s.items.isEmpty
        case .encapsulated(let e): return e.fragments.isEmpty && e.basicOffsetTable.isEmpty
        }
    }
}

/// The value of a data element.
public enum ElementValue: Sendable, Hashable {
    /// A primitive value as encoded: little endian, with its trailing padding byte if any.
    case bytes(Bytes)
    /// A sequence of items (VR SQ, or UN of undefined length, PS3.5 §6.2.2).
    case sequence(DICOMSequence)
    /// Encapsulated pixel data: offset table and fragments (PS3.5 §A.4).
    case encapsulated(EncapsulatedPixelData)
}

/// The items of a sequence (PS3.5 §7.5).
public struct DICOMSequence: Sendable, Hashable {
    public var items: [SequenceItem]
    /// Encoded with undefined length and a Sequence Delimitation Item, or with an explicit length.
    public var hasUndefinedLength: Bool

    public init(items: [SequenceItem] = [], hasUndefinedLength: Bool = true) {
        self.items = items
        self.hasUndefinedLength = hasUndefinedLength
    }

    public init(_ dataSets: [DataSet]) {
        self.init(items: dataSets.map { SequenceItem($0) })
    }

    /// The bytes the items take when encoded with defined lengths where they have them.
    func encodedLength(explicitVR: Bool) -> Int {
        DataSetWriter.sequenceValueLength(self, explicitVR: explicitVR)
    }
}

public struct SequenceItem: Sendable, Hashable {
    public var dataSet: DataSet
    public var hasUndefinedLength: Bool

    public init(_ dataSet: DataSet, hasUndefinedLength: Bool = true) {
        self.dataSet = dataSet
        self.hasUndefinedLength = hasUndefinedLength
    }
}

/// Pixel data in an encapsulated transfer syntax (PS3.5 §A.4): a Basic Offset Table item, then fragments.
public struct EncapsulatedPixelData: Sendable, Hashable {
    /// The first item's value: empty, or the 32-bit offsets of each frame's first fragment.
    public var basicOffsetTable: Bytes
    public var fragments: [Bytes]

    public init(basicOffsetTable: Bytes = Bytes(), fragments: [Bytes]) {
        self.basicOffsetTable = basicOffsetTable
        self.fragments = fragments
    }

    /// The Basic Offset Table's offsets, relative to the first byte of the first fragment's item tag.
    public var offsets: [UInt32] {
        stride(from: 0, to: basicOffsetTable.count - 3, by: 4).map { basicOffsetTable.uint32(at: $0) }
    }

    /// Groups fragments into frames (PS3.5 §A.4): by the Extended Offset Table when given, else by the
    /// Basic Offset Table, else one frame per fragment when the count matches, else all fragments as one frame.
    public func frames(numberOfFrames: Int, extendedOffsets: [UInt64]? = nil) -> [[Bytes]] {
        if fragments.isEmpty { return [] }
        // Fragment start positions as offsets from the first fragment's item tag.
        var starts: [UInt64] = []
        var pos: UInt64 = 0
        for f in fragments {
            starts.append(pos)
            pos += 8 + UInt64(f.count)
        }
        let table: [UInt64]? = extendedOffsets ?? (basicOffsetTable.isEmpty ? nil : offsets.map(UInt64.init))
        if let table, !table.isEmpty, numberOfFrames <= 1 || table.count == numberOfFrames {
            var frames: [[Bytes]] = []
            for (i, start) in table.enumerated() {
                let end = i + 1 < table.count ? table[i + 1] : UInt64.max
                var frame: [Bytes] = []
                for (j, s) in starts.enumerated() where s >= start && s < end { frame.append(fragments[j]) }
                frames.append(frame)
            }
            if frames.allSatisfy({ !$0.isEmpty }) { return frames }
        }
        if numberOfFrames <= 1 { return [fragments] }
        if fragments.count == numberOfFrames { return fragments.map { [$0] } }
        return [fragments]
    }
}
