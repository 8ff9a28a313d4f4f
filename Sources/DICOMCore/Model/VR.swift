/// A value representation (PS3.5 §6.2), as the two ASCII characters that encode it.
///
/// A struct rather than an enum so that a VR read from a file that the standard does not define survives a
/// round trip; `isKnown` tells them apart.
public struct VR: Hashable, Sendable, CustomStringConvertible {
    /// First character in the high byte, as the bytes appear in an explicit VR stream.
    public let code: UInt16

    @inlinable public init(code: UInt16) { self.code = code }
    @inlinable public init(_ a: UInt8, _ b: UInt8) { code = UInt16(a) << 8 | UInt16(b) }
    public init?(_ string: some StringProtocol) {
        let u = Array(string.utf8)
        guard u.count == 2 else { return nil }
        self.init(u[0], u[1])
    }

    public var description: String {
        let a = UInt8(code >> 8), b = UInt8(code & 0xFF)
        if VR.isPrintable(a) && VR.isPrintable(b) { return String(decoding: [a, b], as: UTF8.self) }
        return "??"
    }

    static func isPrintable(_ c: UInt8) -> Bool { c >= 0x20 && c < 0x7F }

    public static let AE = VR(0x41, 0x45), AS = VR(0x41, 0x53), AT = VR(0x41, 0x54)
    public static let CS = VR(0x43, 0x53), DA = VR(0x44, 0x41), DS = VR(0x44, 0x53), DT = VR(0x44, 0x54)
    public static let FD = VR(0x46, 0x44), FL = VR(0x46, 0x4C), IS = VR(0x49, 0x53)
    public static let LO = VR(0x4C, 0x4F), LT = VR(0x4C, 0x54)
    public static let OB = VR(0x4F, 0x42), OD = VR(0x4F, 0x44), OF = VR(0x4F, 0x46), OL = VR(0x4F, 0x4C)
    public static let OV = VR(0x4F, 0x56), OW = VR(0x4F, 0x57)
    public static let PN = VR(0x50, 0x4E), SH = VR(0x53, 0x48), SL = VR(0x53, 0x4C), SQ = VR(0x53, 0x51)
    public static let SS = VR(0x53, 0x53), ST = VR(0x53, 0x54), SV = VR(0x53, 0x56)
    public static let TM = VR(0x54, 0x4D), UC = VR(0x55, 0x43), UI = VR(0x55, 0x49), UL = VR(0x55, 0x4C)
    public static let UN = VR(0x55, 0x4E), UR = VR(0x55, 0x52), US = VR(0x55, 0x53), UT = VR(0x55, 0x54)
    public static let UV = VR(0x55, 0x56)

    /// Every VR of the current standard (PS3.5 Table 6.2-1).
    public static let all: [VR] = [.AE, .AS, .AT, .CS, .DA, .DS, .DT, .FD, .FL, .IS, .LO, .LT, .OB, .OD, .OF, .OL, .OV, .OW,
                                   .PN, .SH, .SL, .SQ, .SS, .ST, .SV, .TM, .UC, .UI, .UL, .UN, .UR, .US, .UT, .UV]

    public var isKnown: Bool {
        switch self {
        case .AE, .AS, .AT, .CS, .DA, .DS, .DT, .FD, .FL, .IS, .LO, .LT, .OB, .OD, .OF, .OL, .OV, .OW,
             .PN, .SH, .SL, .SQ, .SS, .ST, .SV, .TM, .UC, .UI, .UL, .UN, .UR, .US, .UT, .UV: return true
        default: return false
        }
    }

    /// In explicit VR encodings these VRs have two reserved bytes and a 32-bit length (PS3.5 §7.1.2, Table 7.1-1).
    @inlinable public var hasLongLength: Bool {
        switch self {
        case .OB, .OD, .OF, .OL, .OV, .OW, .SQ, .SV, .UC, .UN, .UR, .UT, .UV: return true
        default: return false
        }
    }

    /// Character string VRs, whose values are split on backslash and padded with a space (or NUL for UI).
    public var isString: Bool {
        switch self {
        case .AE, .AS, .CS, .DA, .DS, .DT, .IS, .LO, .LT, .PN, .SH, .ST, .TM, .UC, .UI, .UR, .UT: return true
        default: return false
        }
    }

    /// VRs whose values the Specific Character Set applies to (PS3.5 §6.1.2.3); the others are the default repertoire.
    public var usesSpecificCharacterSet: Bool {
        switch self {
        case .SH, .LO, .ST, .LT, .PN, .UC, .UT: return true
        default: return false
        }
    }

    /// Text VRs that hold one value: a backslash is a character, not a delimiter (PS3.5 §6.2, Table 6.2-1).
    public var isSingleValuedText: Bool {
        switch self {
        case .LT, .ST, .UT, .UR: return true
        default: return false
        }
    }

    /// The byte width of one value for binary numeric VRs; its byte order is swapped in big endian encodings.
    @inlinable public var numericWidth: Int? {
        switch self {
        case .US, .SS: return 2
        case .UL, .SL, .FL, .AT: return 4
        case .FD, .SV, .UV: return 8
        default: return nil
        }
    }

    /// The unit whose bytes are swapped between little and big endian: numbers, and words of OW/OL/OF/OD/OV.
    /// AT swaps as two 16-bit halves, not one 32-bit value (PS3.5 §7.3).
    @inlinable public var swapUnit: Int {
        switch self {
        case .US, .SS, .OW, .AT: return 2
        case .UL, .SL, .FL, .OL, .OF: return 4
        case .FD, .SV, .UV, .OD, .OV: return 8
        default: return 1
        }
    }

    /// The byte that pads an odd-length value to even length (PS3.5 §6.2).
    public var paddingByte: UInt8 {
        switch self {
        case .UI, .OB, .UN: return 0
        default: return isString ? 0x20 : 0
        }
    }

    /// Binary values, shown in DICOM JSON as InlineBinary (PS3.18 §F.2.7).
    public var isBinary: Bool {
        switch self {
        case .OB, .OD, .OF, .OL, .OV, .OW, .UN: return true
        default: return false
        }
    }

    /// The longest value allowed, in bytes or characters, where the standard sets one (PS3.5 Table 6.2-1).
    public var maximumLength: Int? {
        switch self {
        case .AE: return 16
        case .AS: return 4
        case .CS: return 16
        case .DA: return 8
        case .DS: return 16
        case .DT: return 26
        case .IS: return 12
        case .LO: return 64
        case .LT: return 10240
        case .PN: return 64
        case .SH: return 16
        case .ST: return 1024
        case .TM: return 14
        case .UI: return 64
        default: return nil
        }
    }

    /// The full name of the VR, as PS3.5 Table 6.2-1 gives it.
    public var name: String {
        switch self {
        case .AE: return "Application Entity"
        case .AS: return "Age String"
        case .AT: return "Attribute Tag"
        case .CS: return "Code String"
        case .DA: return "Date"
        case .DS: return "Decimal String"
        case .DT: return "Date Time"
        case .FD: return "Floating Point Double"
        case .FL: return "Floating Point Single"
        case .IS: return "Integer String"
        case .LO: return "Long String"
        case .LT: return "Long Text"
        case .OB: return "Other Byte"
        case .OD: return "Other Double"
        case .OF: return "Other Float"
        case .OL: return "Other Long"
        case .OV: return "Other 64-bit Very Long"
        case .OW: return "Other Word"
        case .PN: return "Person Name"
        case .SH: return "Short String"
        case .SL: return "Signed Long"
        case .SQ: return "Sequence of Items"
        case .SS: return "Signed Short"
        case .ST: return "Short Text"
        case .SV: return "Signed 64-bit Very Long"
        case .TM: return "Time"
        case .UC: return "Unlimited Characters"
        case .UI: return "Unique Identifier"
        case .UL: return "Unsigned Long"
        case .UN: return "Unknown"
        case .UR: return "Universal Resource Identifier"
        case .US: return "Unsigned Short"
        case .UT: return "Unlimited Text"
        case .UV: return "Unsigned 64-bit Very Long"
        default: return "Unknown VR \(description)"
        }
    }
}
