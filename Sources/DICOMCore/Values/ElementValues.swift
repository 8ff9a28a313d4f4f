/// Typed reading of element values (PS3.5 §6.2). Values are decoded on demand from the encoded bytes.
extension DataElement {
    // MARK: Text

    /// The whole value as text, decoded with `characterSet` where the VR uses it, without its trailing padding
    /// (and without leading spaces where they are insignificant). Nil for binary VRs and sequences.
    public func string(characterSet: SpecificCharacterSet = .default) -> String? {
        guard let bytes, vr.isString || vr == .UN else { return nil }
        let text = decodeText(bytes, characterSet: characterSet)
        return DataElement.trim(text, vr: vr)
    }

    /// The values of a string VR, split on backslash (not for LT, ST, UT, UR, which hold one value), each trimmed.
    public func strings(characterSet: SpecificCharacterSet = .default) -> [String]? {
        guard let bytes, vr.isString else { return nil }
        if bytes.isEmpty { return [] }
        let cs = vr.usesSpecificCharacterSet ? characterSet : .default
        if cs.backslashIsDelimiterByte || vr.isSingleValuedText {
            // Split and trim the bytes, then decode each value: no String work on padding and delimiters.
            return bytes.withUnsafeBytes { raw -> [String] in
                var values: [String] = []
                var start = 0
                let n = raw.count
                let splits = !vr.isSingleValuedText
                for i in 0...n where i == n || (splits && raw[i] == 0x5C) {
                    var a = start, b = i
                    while b > a && (raw[b - 1] == 0x20 || raw[b - 1] == 0) { b -= 1 }
                    if DataElement.trimsLeadingSpaces(vr) { while a < b && raw[a] == 0x20 { a += 1 } }
                    values.append(cs.decode(UnsafeRawBufferPointer(rebasing: raw[a..<b]), isPersonName: vr == .PN))
                    start = i + 1
                }
                return values
            }
        }
        let text = decodeText(bytes, characterSet: characterSet)
        if vr.isSingleValuedText { return [DataElement.trim(text, vr: vr)] }
        return text.split(separator: "\\", omittingEmptySubsequences: false).map { DataElement.trim($0, vr: vr) }
    }

    func decodeText(_ bytes: Bytes, characterSet: SpecificCharacterSet) -> String {
        if vr.usesSpecificCharacterSet {
            return characterSet.decode(bytes, isPersonName: vr == .PN)
        }
        // The default repertoire; stray bytes above 0x7F read as Latin-1, as pydicom reads them.
        return SpecificCharacterSet.default.decode(bytes)
    }

    /// Removes the padding and the spaces the standard calls insignificant (PS3.5 Table 6.2-1): trailing for all
    /// string VRs (NUL too, for UI and sloppy writers), leading as well except for the text VRs and PN.
    static func trim(_ s: some StringProtocol, vr: VR) -> String {
        var u = Substring(s)
        while let last = u.last, last == " " || last == "\0" { u = u.dropLast() }
        if trimsLeadingSpaces(vr) { while let first = u.first, first == " " { u = u.dropFirst() } }
        return String(u)
    }

    static func trimsLeadingSpaces(_ vr: VR) -> Bool {
        switch vr {
        case .LT, .ST, .UT, .PN, .UC, .UR: return false
        default: return true
        }
    }

    // MARK: Binary numbers

    @inlinable
    func numbers<T: FixedWidthInteger>(_ type: T.Type) -> [T]? {
        guard let bytes, bytes.count % MemoryLayout<T>.size == 0 else { return nil }
        let n = bytes.count / MemoryLayout<T>.size
        return bytes.withUnsafeBytes { raw in
            [T](unsafeUninitializedCapacity: n) { out, count in
                #if _endian(little)
                if n > 0 { UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
                #else
                for i in 0..<n { out[i] = T(littleEndian: raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)) }
                #endif
                count = n
            }
        }
    }

    public var uint16s: [UInt16]? { numbers(UInt16.self) }
    public var int16s: [Int16]? { numbers(Int16.self) }
    public var uint32s: [UInt32]? { numbers(UInt32.self) }
    public var int32s: [Int32]? { numbers(Int32.self) }
    public var uint64s: [UInt64]? { numbers(UInt64.self) }
    public var int64s: [Int64]? { numbers(Int64.self) }
    public var floats: [Float]? { numbers(UInt32.self)?.map { Float(bitPattern: $0) } }
    public var doubles: [Double]? { numbers(UInt64.self)?.map { Double(bitPattern: $0) } }

    /// AT values: pairs of 16-bit group and element numbers (PS3.5 §6.2).
    public var tags: [Tag]? {
        guard let halves = uint16s, halves.count % 2 == 0 else { return nil }
        return stride(from: 0, to: halves.count, by: 2).map { Tag(group: halves[$0], element: halves[$0 + 1]) }
    }

    // MARK: Numbers of any VR

    /// Integer values of IS and of the binary integer VRs.
    public var integers: [Int]? {
        switch vr {
        case .IS: return strings()?.compactMap { parseIS($0) }
        case .US: return uint16s?.map(Int.init)
        case .SS: return int16s?.map(Int.init)
        case .UL: return uint32s?.map(Int.init)
        case .SL: return int32s?.map(Int.init)
        case .SV: return int64s?.map(Int.init)
        case .UV: return uint64s?.compactMap { Int(exactly: $0) }
        default: return nil
        }
    }

    public var integer: Int? { integers?.first }

    /// Real values of DS, FL, FD (and of the integer VRs).
    public var decimals: [Double]? {
        switch vr {
        case .DS: return strings()?.compactMap { parseDS($0) }
        case .FL, .OF: return floats?.map(Double.init)
        case .FD, .OD: return doubles
        default: return integers?.map(Double.init)
        }
    }

    public var decimal: Double? { decimals?.first }

    // MARK: Dates, times, ages, names

    public var dates: [DICOMDate]? { vr == .DA ? strings()?.compactMap { DICOMDate($0) } : nil }
    public var times: [DICOMTime]? { vr == .TM ? strings()?.compactMap { DICOMTime($0) } : nil }
    public var dateTimes: [DICOMDateTime]? { vr == .DT ? strings()?.compactMap { DICOMDateTime($0) } : nil }
    public var ages: [DICOMAge]? { vr == .AS ? strings()?.compactMap { DICOMAge($0) } : nil }

    public func personNames(characterSet: SpecificCharacterSet = .default) -> [PersonName]? {
        guard vr == .PN else { return nil }
        return strings(characterSet: characterSet)?.map { PersonName($0) }
    }
}

/// DS: a decimal in fixed or exponential notation, with optional sign and surrounding spaces (PS3.5 Table 6.2-1).
public func parseDS(_ s: some StringProtocol) -> Double? {
    let t = s.trimmingSpaces
    guard !t.isEmpty, t.utf8.count <= 64,
          t.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E || $0 == 0x45 || $0 == 0x65 })
    else { return nil }
    return Double(t)
}

/// IS: an integer with optional sign (PS3.5 Table 6.2-1). Real files sometimes write "12.0"; that reads as 12.
public func parseIS(_ s: some StringProtocol) -> Int? {
    let t = s.trimmingSpaces
    if let v = Int(t) { return v }
    if let d = parseDS(t), d == d.rounded(), abs(d) < 9.3e18 { return Int(d) }
    return nil
}

/// Formats a DS in at most 16 characters, exactly when possible (PS3.5 Table 6.2-1).
public func formatDS(_ value: Double) -> String {
    // NaN and infinity have no DS form: they make an empty value.
    guard value.isFinite else { return "" }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    let plain = "\(value)"
    if plain.utf8.count <= 16 { return plain }
    // Shorten the significand until it fits.
    for digits in stride(from: 15, through: 1, by: -1) {
        let s = formatSignificant(value, digits: digits)
        if s.utf8.count <= 16 { return s }
    }
    return String(Int64(value.rounded()))
}

/// `value` rounded to `digits` significant digits, in plain or exponential notation, whichever is shorter.
func formatSignificant(_ value: Double, digits: Int) -> String {
    guard value != 0, value.isFinite else { return "0" }
    let exponent = Int((abs(value)).log10Floor)
    let shift = digits - 1 - exponent
    // Scale by 10^shift in steps of at most 10^300: for values below about 1e-294 a single power of ten would
    // overflow to infinity (and Int64(infinity) traps).
    var scaled = value
    var remaining = abs(shift)
    while remaining > 0 {
        let step = min(remaining, 300)
        var scale = 1.0
        for _ in 0..<step { scale *= 10 }
        scaled = shift >= 0 ? scaled * scale : scaled / scale
        remaining -= step
    }
    scaled = scaled.rounded()
    let mantissa = Int64(scaled)
    let negative = mantissa < 0
    var ds = String(abs(mantissa))
    // Plain notation.
    var plain: String
    if shift <= 0 {
        plain = ds + String(repeating: "0", count: -shift)
    } else if shift >= ds.count {
        plain = "0." + String(repeating: "0", count: shift - ds.count) + ds
    } else {
        let point = ds.index(ds.endIndex, offsetBy: -shift)
        plain = ds[..<point] + "." + ds[point...]
    }
    if plain.contains(".") {
        while plain.hasSuffix("0") { plain.removeLast() }
        if plain.hasSuffix(".") { plain.removeLast() }
    }
    // Exponential notation.
    let e = ds.count - 1 - shift
    while ds.count > 1 && ds.hasSuffix("0") { ds.removeLast() }
    let exp = ds.count > 1 ? String(ds.first!) + "." + ds.dropFirst() + "E" + String(e) : ds + "E" + String(e)
    let best = plain.count <= exp.count ? plain : exp
    return negative ? "-" + best : best
}

extension Double {
    var log10Floor: Double {
        var e = 0.0, v = self
        while v >= 10 { v /= 10; e += 1 }
        while v < 1 { v *= 10; e -= 1 }
        return e
    }
}

extension StringProtocol {
    var trimmingSpaces: Substring {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\0" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\0" { s = s.dropLast() }
        return s
    }
}
