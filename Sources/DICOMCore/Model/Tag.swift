/// A data element tag: group and element number (PS3.5 §7.1).
public struct Tag: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// `group << 16 | element`, the order in which elements are sorted in a data set (PS3.5 §7.1).
    public let rawValue: UInt32

    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public init(group: UInt16, element: UInt16) { rawValue = UInt32(group) << 16 | UInt32(element) }

    @inlinable public var group: UInt16 { UInt16(truncatingIfNeeded: rawValue >> 16) }
    @inlinable public var element: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    @inlinable public static func < (a: Tag, b: Tag) -> Bool { a.rawValue < b.rawValue }

    /// Odd groups other than 0001, 0003, 0005, 0007 and FFFF hold private elements (PS3.5 §7.8).
    @inlinable public var isPrivate: Bool { group & 1 == 1 && group > 0x0007 && group != 0xFFFF }
    /// (gggg,0010)–(gggg,00FF) in a private group reserve blocks for a creator (PS3.5 §7.8.1).
    @inlinable public var isPrivateCreator: Bool { isPrivate && element >= 0x0010 && element <= 0x00FF }
    /// The creator element that reserves this private element's block: (gggg,00xx) for (gggg,xxyy).
    @inlinable public var privateCreatorTag: Tag? {
        guard isPrivate, element >= 0x1000 else { return nil }
        return Tag(group: group, element: element >> 8)
    }
    @inlinable public var isGroupLength: Bool { element == 0 }
    /// Item, Item Delimitation and Sequence Delimitation tags carry no VR (PS3.5 §7.5).
    @inlinable public var isDelimiter: Bool { group == 0xFFFE }

    public var description: String { "(\(hex4(group)),\(hex4(element)))" }
    /// "GGGGEEEE", as the DICOM JSON model writes tags (PS3.18 §F.2.1).
    public var jsonKey: String { hex4(group) + hex4(element) }

    /// Parses "GGGGEEEE", "(GGGG,EEEE)" or "GGGG,EEEE" (hex, any case).
    public init?(hex: some StringProtocol) {
        var digits: [UInt8] = []
        digits.reserveCapacity(8)
        for c in hex.utf8 where c != UInt8(ascii: "(") && c != UInt8(ascii: ")") && c != UInt8(ascii: ",") {
            digits.append(c)
        }
        guard digits.count == 8 else { return nil }
        var value: UInt32 = 0
        for c in digits {
            guard let d = hexDigitValue(c) else { return nil }
            value = value << 4 | UInt32(d)
        }
        self.init(value)
    }
}

extension Tag {
    public static let item = Tag(0xFFFE_E000)
    public static let itemDelimitationItem = Tag(0xFFFE_E00D)
    public static let sequenceDelimitationItem = Tag(0xFFFE_E0DD)

    public static let fileMetaInformationGroupLength = Tag(0x0002_0000)
    public static let fileMetaInformationVersion = Tag(0x0002_0001)
    public static let mediaStorageSOPClassUID = Tag(0x0002_0002)
    public static let mediaStorageSOPInstanceUID = Tag(0x0002_0003)
    public static let transferSyntaxUID = Tag(0x0002_0010)
    public static let implementationClassUID = Tag(0x0002_0012)
    public static let implementationVersionName = Tag(0x0002_0013)
    public static let sourceApplicationEntityTitle = Tag(0x0002_0016)

    public static let specificCharacterSet = Tag(0x0008_0005)
    public static let sopClassUID = Tag(0x0008_0016)
    public static let sopInstanceUID = Tag(0x0008_0018)
    public static let studyDate = Tag(0x0008_0020)
    public static let modality = Tag(0x0008_0060)
    public static let patientName = Tag(0x0010_0010)
    public static let patientID = Tag(0x0010_0020)
    public static let studyInstanceUID = Tag(0x0020_000D)
    public static let seriesInstanceUID = Tag(0x0020_000E)
    public static let samplesPerPixel = Tag(0x0028_0002)
    public static let photometricInterpretation = Tag(0x0028_0004)
    public static let numberOfFrames = Tag(0x0028_0008)
    public static let rows = Tag(0x0028_0010)
    public static let columns = Tag(0x0028_0011)
    public static let bitsAllocated = Tag(0x0028_0100)
    public static let bitsStored = Tag(0x0028_0101)
    public static let pixelRepresentation = Tag(0x0028_0103)
    public static let extendedOffsetTable = Tag(0x7FE0_0001)
    public static let extendedOffsetTableLengths = Tag(0x7FE0_0002)
    public static let floatPixelData = Tag(0x7FE0_0008)
    public static let doubleFloatPixelData = Tag(0x7FE0_0009)
    public static let pixelData = Tag(0x7FE0_0010)
    public static let dataSetTrailingPadding = Tag(0xFFFC_FFFC)
}

@inlinable func hexDigitValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}

private let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

/// Four upper-case hex digits, without Foundation's String(format:).
func hex4(_ v: UInt16) -> String {
    String(unsafeUninitializedCapacity: 4) { buf in
        buf[0] = hexDigits[Int(v >> 12)]
        buf[1] = hexDigits[Int(v >> 8 & 0xF)]
        buf[2] = hexDigits[Int(v >> 4 & 0xF)]
        buf[3] = hexDigits[Int(v & 0xF)]
        return 4
    }
}

/// Upper-case hex of any width, zero padded to `digits`.
func hexString<T: FixedWidthInteger>(_ v: T, digits: Int) -> String {
    String(unsafeUninitializedCapacity: digits) { buf in
        var x = UInt64(truncatingIfNeeded: v)
        for i in stride(from: digits - 1, through: 0, by: -1) {
            buf[i] = hexDigits[Int(x & 0xF)]
            x >>= 4
        }
        return digits
    }
}
