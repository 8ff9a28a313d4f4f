/// The code tables behind the character sets, expanded from the generated base64 on first use.
///
/// Each 94×94 table is indexed `(row - 0x21) * 94 + (column - 0x21)`; each 96-character table `byte - 0xA0`.
enum CodeTables {
    static func expand(_ base64: String) -> [UInt16] {
        let bytes = Base64.decode(base64)!
        return stride(from: 0, to: bytes.count - 1, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
    }

    static let iso8859_2 = expand(CharacterSetTables.iso8859_2)
    static let iso8859_3 = expand(CharacterSetTables.iso8859_3)
    static let iso8859_4 = expand(CharacterSetTables.iso8859_4)
    static let iso8859_5 = expand(CharacterSetTables.iso8859_5)
    static let iso8859_6 = expand(CharacterSetTables.iso8859_6)
    static let iso8859_7 = expand(CharacterSetTables.iso8859_7)
    static let iso8859_8 = expand(CharacterSetTables.iso8859_8)
    static let iso8859_9 = expand(CharacterSetTables.iso8859_9)
    static let iso8859_15 = expand(CharacterSetTables.iso8859_15)
    static let tis620 = expand(CharacterSetTables.tis620)
    static let jisx0208 = expand(CharacterSetTables.jisx0208)
    static let jisx0212 = expand(CharacterSetTables.jisx0212)
    static let ksx1001 = expand(CharacterSetTables.ksx1001)
    static let gb2312 = expand(CharacterSetTables.gb2312)
    static let gbk = expand(CharacterSetTables.gbk)
    static let gb18030Two = expand(CharacterSetTables.gb18030two)

    /// Reverse maps (scalar → code), built once per table when text is first encoded with it.
    static func reverse(_ table: [UInt16]) -> [UInt32: UInt16] {
        var r = [UInt32: UInt16](minimumCapacity: table.count)
        for (i, v) in table.enumerated() where v != 0 && r[UInt32(v)] == nil { r[UInt32(v)] = UInt16(i) }
        return r
    }

    static let reverseJISX0208 = reverse(jisx0208)
    static let reverseJISX0212 = reverse(jisx0212)
    static let reverseKSX1001 = reverse(ksx1001)
    static let reverseGB2312 = reverse(gb2312)
    static let reverseGBK = reverse(gbk)
    static let reverseGB18030Two = reverse(gb18030Two)
}

/// A 94- or 96-character graphic set that ISO 2022 designates into G0 or G1 (PS3.3 Table C.12-3, C.12-4).
enum GraphicSet: Hashable, Sendable {
    /// ISO 646 (ASCII), the default repertoire (ISO-IR 6).
    case ascii
    /// JIS X 0201 Romaji (ISO-IR 14); decoded as ASCII, as pydicom and most Japanese systems do.
    case romaji
    /// The upper half of an ISO 8859 part or TIS 620 (ISO-IR 100, 101, 109, 110, 126, 127, 138, 144, 148, 166, 203).
    case upperHalf(UpperHalf)
    /// JIS X 0201 Katakana (ISO-IR 13).
    case katakana
    /// Multi-byte 94×94 sets: JIS X 0208 (ISO-IR 87), JIS X 0212 (ISO-IR 159), KS X 1001 (ISO-IR 149), GB 2312 (ISO-IR 58).
    case jisx0208, jisx0212, ksx1001, gb2312

    var isMultiByte: Bool {
        switch self {
        case .jisx0208, .jisx0212, .ksx1001, .gb2312: return true
        default: return false
        }
    }

    /// The escape sequence that designates this set (PS3.3 Table C.12-4), without the ESC byte.
    var designation: [UInt8] {
        switch self {
        case .ascii: return Array("(B".utf8)
        case .romaji: return Array("(J".utf8)
        case .upperHalf(let h): return [UInt8(ascii: "-"), h.final]
        case .katakana: return Array(")I".utf8)
        case .jisx0208: return Array("$B".utf8)
        case .jisx0212: return Array("$(D".utf8)
        case .ksx1001: return Array("$)C".utf8)
        case .gb2312: return Array("$)A".utf8)
        }
    }

    /// Whether the set is invoked in G0 (bytes 0x21–0x7E) rather than G1 (0xA1–0xFE).
    var isG0: Bool {
        switch self {
        case .ascii, .romaji, .jisx0208, .jisx0212: return true
        default: return false
        }
    }

    var table94: [UInt16]? {
        switch self {
        case .jisx0208: return CodeTables.jisx0208
        case .jisx0212: return CodeTables.jisx0212
        case .ksx1001: return CodeTables.ksx1001
        case .gb2312: return CodeTables.gb2312
        default: return nil
        }
    }

    var reverse94: [UInt32: UInt16]? {
        switch self {
        case .jisx0208: return CodeTables.reverseJISX0208
        case .jisx0212: return CodeTables.reverseJISX0212
        case .ksx1001: return CodeTables.reverseKSX1001
        case .gb2312: return CodeTables.reverseGB2312
        default: return nil
        }
    }
}

/// The upper halves of the single-byte character sets.
enum UpperHalf: Hashable, Sendable {
    case latin1, latin2, latin3, latin4, cyrillic, arabic, greek, hebrew, latin5, latin9, thai

    /// The final byte of the G1 designation ESC - F.
    var final: UInt8 {
        switch self {
        case .latin1: return UInt8(ascii: "A")
        case .latin2: return UInt8(ascii: "B")
        case .latin3: return UInt8(ascii: "C")
        case .latin4: return UInt8(ascii: "D")
        case .cyrillic: return UInt8(ascii: "L")
        case .arabic: return UInt8(ascii: "G")
        case .greek: return UInt8(ascii: "F")
        case .hebrew: return UInt8(ascii: "H")
        case .latin5: return UInt8(ascii: "M")
        case .latin9: return UInt8(ascii: "b")
        case .thai: return UInt8(ascii: "T")
        }
    }

    init?(final: UInt8) {
        for h in [UpperHalf.latin1, .latin2, .latin3, .latin4, .cyrillic, .arabic, .greek, .hebrew, .latin5, .latin9, .thai]
        where h.final == final { self = h; return }
        return nil
    }

    /// Scalar for a byte 0xA0–0xFF; 0 when unassigned. Latin-1 is the identity.
    @inline(__always) func scalar(_ byte: UInt8) -> UInt32 {
        if self == .latin1 { return UInt32(byte) }
        return UInt32(table[Int(byte) - 0xA0])
    }

    var table: [UInt16] {
        switch self {
        case .latin1: return (0xA0...0xFF).map { UInt16($0) }
        case .latin2: return CodeTables.iso8859_2
        case .latin3: return CodeTables.iso8859_3
        case .latin4: return CodeTables.iso8859_4
        case .cyrillic: return CodeTables.iso8859_5
        case .arabic: return CodeTables.iso8859_6
        case .greek: return CodeTables.iso8859_7
        case .hebrew: return CodeTables.iso8859_8
        case .latin5: return CodeTables.iso8859_9
        case .latin9: return CodeTables.iso8859_15
        case .thai: return CodeTables.tis620
        }
    }

    func byte(for scalar: UInt32) -> UInt8? {
        if self == .latin1 { return scalar >= 0xA0 && scalar <= 0xFF ? UInt8(scalar) : nil }
        if let i = table.firstIndex(of: UInt16(truncatingIfNeeded: scalar)), scalar <= 0xFFFF { return UInt8(0xA0 + i) }
        return nil
    }
}
