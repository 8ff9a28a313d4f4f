/// ISO 2022 decoding and encoding as DICOM uses it (PS3.5 §6.1.2.5, PS3.3 C.12.1.1.2): G0 and G1 code elements,
/// switched by escape sequences, reset to the initial sets at delimiters.
enum ISO2022 {
    static func decode(_ bytes: UnsafeRawBufferPointer, g0 initialG0: GraphicSet, g1 initialG1: GraphicSet,
                       isPersonName: Bool) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        var g0 = initialG0, g1 = initialG1
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b == 0x1B {
                if let (set, length) = designation(bytes, at: i) {
                    if set.isG0 { g0 = set } else { g1 = set }
                    i += length
                    continue
                }
                // An escape we do not know: keep it out of the text, as DCMTK does, and go on.
                i += 1
                continue
            }
            if b < 0x80 {
                if g0.isMultiByte && b >= 0x21 && b <= 0x7E && i + 1 < n && bytes[i + 1] >= 0x21 && bytes[i + 1] <= 0x7E {
                    appendScalar(lookup94(g0, bytes[i], bytes[i + 1]), to: &out)
                    i += 2
                    continue
                }
                if isDelimiter(b, isPersonName: isPersonName) {
                    g0 = initialG0
                    g1 = initialG1
                }
                out.append(b)
                i += 1
                continue
            }
            switch g1 {
            case .upperHalf(let half):
                // 0x80–0x9F are C1 controls, passed through as Latin-1 does.
                appendScalar(b < 0xA0 ? UInt32(b) : orReplacement(half.scalar(b)), to: &out)
                i += 1
            case .katakana:
                appendScalar(b >= 0xA1 && b <= 0xDF ? 0xFF61 + UInt32(b - 0xA1) : 0xFFFD, to: &out)
                i += 1
            case .ksx1001, .gb2312:
                if i + 1 < n, bytes[i + 1] >= 0xA1, bytes[i + 1] <= 0xFE, b >= 0xA1, b <= 0xFE {
                    appendScalar(lookup94(g1, b & 0x7F, bytes[i + 1] & 0x7F), to: &out)
                    i += 2
                } else {
                    appendScalar(0xFFFD, to: &out)
                    i += 1
                }
            default:
                appendScalar(UInt32(b), to: &out)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    @inline(__always) static func isDelimiter(_ b: UInt8, isPersonName: Bool) -> Bool {
        switch b {
        case 0x5C, 0x0D, 0x0A, 0x09, 0x0C: return true
        case 0x5E, 0x3D: return isPersonName
        default: return false
        }
    }

    /// Recognises ESC followed by a designation at `i`; returns the set and the sequence length.
    static func designation(_ bytes: UnsafeRawBufferPointer, at i: Int) -> (GraphicSet, Int)? {
        func byte(_ k: Int) -> UInt8? { i + k < bytes.count ? bytes[i + k] : nil }
        guard let b1 = byte(1), let b2 = byte(2) else { return nil }
        switch (b1, b2) {
        case (0x28, 0x42): return (.ascii, 3)                 // ESC ( B
        case (0x28, 0x4A): return (.romaji, 3)                // ESC ( J
        case (0x29, 0x49): return (.katakana, 3)              // ESC ) I
        case (0x24, 0x42), (0x24, 0x40): return (.jisx0208, 3) // ESC $ B (and the 1978 ESC $ @)
        case (0x2D, _): return UpperHalf(final: b2).map { (.upperHalf($0), 3) }
        case (0x24, 0x28): return byte(3) == 0x44 ? (.jisx0212, 4) : nil // ESC $ ( D
        case (0x24, 0x29):
            if byte(3) == 0x43 { return (.ksx1001, 4) }       // ESC $ ) C
            if byte(3) == 0x41 { return (.gb2312, 4) }        // ESC $ ) A
            return nil
        default: return nil
        }
    }

    @inline(__always) static func lookup94(_ set: GraphicSet, _ row: UInt8, _ col: UInt8) -> UInt32 {
        guard let table = set.table94 else { return 0xFFFD }
        return orReplacement(UInt32(table[Int(row - 0x21) * 94 + Int(col - 0x21)]))
    }

    @inline(__always) static func orReplacement(_ v: UInt32) -> UInt32 { v == 0 ? 0xFFFD : v }

    @inline(__always) static func appendScalar(_ v: UInt32, to out: inout [UInt8]) {
        guard let s = Unicode.Scalar(v) else { out.append(contentsOf: [0xEF, 0xBF, 0xBD]); return }
        if v < 0x80 {
            out.append(UInt8(v))
        } else {
            out.append(contentsOf: UTF8.encode(s)!)
        }
    }

    // MARK: Encoding

    static func encode(_ string: String, g0 initialG0: GraphicSet, g1 initialG1: GraphicSet, sets: [GraphicSet],
                       isPersonName: Bool, charset: SpecificCharacterSet) throws(CharacterSetError) -> [UInt8] {
        var out = [UInt8]()
        var g0 = initialG0, g1 = initialG1
        // The sets escapes may designate; the initial G1 counts only when it was declared.
        let declared = sets.isEmpty ? [GraphicSet.ascii] : sets
        func designate(_ set: GraphicSet) {
            out.append(0x1B)
            out.append(contentsOf: set.designation)
            if set.isG0 { g0 = set } else { g1 = set }
        }
        func resetToInitial() {
            if g0 != initialG0 { designate(initialG0) }
            if g1 != initialG1 && declared.contains(initialG1) { designate(initialG1) }
            g1 = initialG1
        }
        for scalar in string.unicodeScalars {
            let v = scalar.value
            if v < 0x80 {
                let b = UInt8(v)
                if isDelimiter(b, isPersonName: isPersonName) {
                    resetToInitial()
                } else if g0.isMultiByte {
                    designate(initialG0.isMultiByte ? .ascii : initialG0)
                }
                out.append(b)
                continue
            }
            // Prefer the current sets, then the declared ones in order.
            var candidates = [g1, g0]
            candidates.append(contentsOf: declared)
            var done = false
            for set in candidates where declared.contains(set) || set == initialG1 && declared.contains(set) {
                if let code = encodeScalar(v, in: set) {
                    if set.isG0 { if g0 != set { designate(set) } } else if g1 != set { designate(set) }
                    out.append(contentsOf: code)
                    done = true
                    break
                }
            }
            if !done { throw .unencodable(character: String(scalar), characterSet: charset.description) }
        }
        resetToInitial()
        return out
    }

    static func encodeScalar(_ v: UInt32, in set: GraphicSet) -> [UInt8]? {
        switch set {
        case .ascii, .romaji: return nil
        case .upperHalf(let h): return h.byte(for: v).map { [$0] }
        case .katakana: return v >= 0xFF61 && v <= 0xFF9F ? [UInt8(v - 0xFF61 + 0xA1)] : nil
        case .jisx0208, .jisx0212, .ksx1001, .gb2312:
            guard let index = set.reverse94?[v] else { return nil }
            let row = UInt8(index / 94) + 0x21, col = UInt8(index % 94) + 0x21
            return set.isG0 ? [row, col] : [row | 0x80, col | 0x80]
        }
    }
}

/// GB 18030 and GBK (PS3.3 C.12.1.1.2): multi-byte sets without code extensions.
enum ChineseDecoder {
    static func decode(_ bytes: UnsafeRawBufferPointer, fourByte: Bool) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        let table = fourByte ? CodeTables.gb18030Two : CodeTables.gbk
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 {
                out.append(b)
                i += 1
                continue
            }
            if b == 0x80 || b == 0xFF || i + 1 >= n {
                ISO2022.appendScalar(0xFFFD, to: &out)
                i += 1
                continue
            }
            let t = bytes[i + 1]
            if fourByte && t >= 0x30 && t <= 0x39 {
                guard i + 3 < n else { ISO2022.appendScalar(0xFFFD, to: &out); i = n; continue }
                let b3 = bytes[i + 2], b4 = bytes[i + 3]
                let linear = ((UInt32(b - 0x81) * 10 + UInt32(t - 0x30)) * 126 + UInt32(b3 &- 0x81)) * 10 + UInt32(b4 &- 0x30)
                ISO2022.appendScalar(fourByteScalar(linear: linear, b: b), to: &out)
                i += 4
                continue
            }
            if t >= 0x40 && t <= 0xFE && t != 0x7F {
                let index = Int(b - 0x81) * 190 + Int(t - 0x40) - (t > 0x7F ? 1 : 0)
                ISO2022.appendScalar(ISO2022.orReplacement(UInt32(table[index])), to: &out)
                i += 2
                continue
            }
            ISO2022.appendScalar(0xFFFD, to: &out)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func fourByteScalar(linear: UInt32, b: UInt8) -> UInt32 {
        // Supplementary planes start at 0x90308130 (linear 189000), contiguous (GB 18030-2005 §6.3).
        if b >= 0x90 {
            let v = linear &- 189000 &+ 0x10000
            return v >= 0x10000 && v <= 0x10FFFF ? v : 0xFFFD
        }
        guard let r = range(column: 0, atOrBelow: linear) else { return 0xFFFD }
        return linear - r.linear < r.count ? r.scalar + (linear - r.linear) : 0xFFFD
    }

    /// The last (linear, scalar, count) range whose `column` (0 linear, 1 scalar) is at or below `value`;
    /// both columns ascend.
    static func range(column: Int, atOrBelow value: UInt32) -> (linear: UInt32, scalar: UInt32, count: UInt32)? {
        let ranges = CharacterSetTables.gb18030Ranges
        var lo = 0, hi = ranges.count / 3
        while lo < hi {
            let mid = (lo + hi) >> 1
            if ranges[mid * 3 + column] <= value { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return nil }
        let k = (lo - 1) * 3
        return (ranges[k], ranges[k + 1], ranges[k + 2])
    }

    static func encode(_ string: String, fourByte: Bool, charset: SpecificCharacterSet) throws(CharacterSetError) -> [UInt8] {
        var out = [UInt8]()
        let reverse = fourByte ? CodeTables.reverseGB18030Two : CodeTables.reverseGBK
        for scalar in string.unicodeScalars {
            let v = scalar.value
            if v < 0x80 { out.append(UInt8(v)); continue }
            if let index = reverse[v] {
                let lead = UInt8(index / 190) + 0x81
                var trail = UInt8(index % 190) + 0x40
                if trail >= 0x7F { trail += 1 }
                out.append(lead)
                out.append(trail)
                continue
            }
            guard fourByte, let linear = fourByteLinear(v) else {
                throw .unencodable(character: String(scalar), characterSet: charset.description)
            }
            var l = linear
            let b4 = UInt8(l % 10) + 0x30; l /= 10
            let b3 = UInt8(l % 126) + 0x81; l /= 126
            let b2 = UInt8(l % 10) + 0x30; l /= 10
            let b1 = UInt8(l) + 0x81
            out.append(contentsOf: [b1, b2, b3, b4])
        }
        return out
    }

    static func fourByteLinear(_ v: UInt32) -> UInt32? {
        if v >= 0x10000 { return v <= 0x10FFFF ? v - 0x10000 + 189000 : nil }
        guard let r = range(column: 1, atOrBelow: v), v - r.scalar < r.count else { return nil }
        return r.linear + (v - r.scalar)
    }
}
