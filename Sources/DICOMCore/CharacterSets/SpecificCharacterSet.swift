/// The character sets of a data set's text, from Specific Character Set (0008,0005) (PS3.3 C.12.1.1.2,
/// PS3.5 §6.1): a single-byte set, UTF-8, GB 18030 or GBK, or several sets switched by ISO 2022 escapes.
public struct SpecificCharacterSet: Sendable, Hashable, CustomStringConvertible {
    /// The defined terms as given (the first may be empty, meaning the default repertoire).
    public let terms: [String]
    /// Terms that name no character set this implementation knows; their text is read as the default.
    public let unknownTerms: [String]
    let encoding: Encoding

    enum Encoding: Hashable, Sendable {
        /// ISO 2022 (with or without code extensions): initial G0 and G1, and the sets escapes may designate.
        case iso2022(g0: GraphicSet, g1: GraphicSet, sets: [GraphicSet])
        case utf8
        case gb18030
        case gbk
    }

    /// The default repertoire (ISO-IR 6). Bytes above 0x7F, which it does not define, are read as Latin-1.
    public static let `default` = SpecificCharacterSet(terms: [])
    public static let utf8 = SpecificCharacterSet(terms: ["ISO_IR 192"])
    public static let latin1 = SpecificCharacterSet(terms: ["ISO_IR 100"])

    public init(terms: [String]) {
        self.terms = terms
        var unknown: [String] = []
        var sets: [GraphicSet] = []
        var g0 = GraphicSet.ascii
        var g1 = GraphicSet.upperHalf(.latin1)
        var standalone: Encoding?
        for (i, term) in terms.enumerated() {
            switch SpecificCharacterSet.parse(term) {
            case .standalone(let enc):
                if standalone == nil { standalone = enc }
            case .sets(let list):
                sets.append(contentsOf: list)
                if i == 0 {
                    for s in list {
                        if s.isG0 && !s.isMultiByte { g0 = s }
                        if !s.isG0 { g1 = s }
                    }
                }
            case .unknown:
                unknown.append(term)
            }
        }
        unknownTerms = unknown
        // UTF-8, GB 18030 and GBK cannot be combined with code extensions; they stand alone (PS3.3 C.12.1.1.2).
        encoding = standalone ?? .iso2022(g0: g0, g1: g1, sets: sets)
    }

    /// Parses the encoded value of (0008,0005): backslash-separated defined terms, padded with spaces.
    public init(encoded: Bytes) {
        // The common single values, without splitting.
        if encoded.count <= 10 {
            switch encoded.withUnsafeBytes({ String(decoding: $0, as: UTF8.self) }) {
            case "ISO_IR 100": self = .latin1; return
            case "ISO_IR 192": self = .utf8; return
            case "", " ": self = .default; return
            default: break
            }
        }
        let text = encoded.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        let terms = text.split(separator: "\\", omittingEmptySubsequences: false).map {
            String($0.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " || $0 == "\0" }).reversed())
        }
        self.init(terms: terms == [""] ? [] : terms)
    }

    public var description: String { terms.isEmpty ? "ISO_IR 6" : terms.joined(separator: "\\") }

    /// Whether a 0x5C byte is always a backslash, so that values can be split before they are decoded: true
    /// for single-byte sets and UTF-8, false where a multi-byte code may contain 0x5C (JIS X 0208/0212 in G0,
    /// GBK and GB 18030).
    var backslashIsDelimiterByte: Bool {
        switch encoding {
        case .utf8: return true
        case .gb18030, .gbk: return false
        case .iso2022(_, _, let sets): return !sets.contains(where: { $0 == .jisx0208 || $0 == .jisx0212 })
        }
    }

    public var isDefault: Bool {
        if case .iso2022(let g0, _, let sets) = encoding { return g0 == .ascii && sets.allSatisfy { $0 == .ascii } }
        return false
    }

    enum Parsed {
        case sets([GraphicSet])
        case standalone(Encoding)
        case unknown
    }

    /// Reads a defined term, tolerating the spellings seen in real files ("ISO_IR100", "ISO IR 100", "ISO-IR 100").
    static func parse(_ term: String) -> Parsed {
        // The spellings of the standard first, without normalising.
        switch term {
        case "", "ISO_IR 6", "ISO 2022 IR 6": return .sets([.ascii])
        case "ISO_IR 100", "ISO 2022 IR 100": return .sets([.ascii, .upperHalf(.latin1)])
        case "ISO_IR 192": return .standalone(.utf8)
        default: break
        }
        let key = String(term.uppercased().unicodeScalars.filter { ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") })
        switch key {
        case "", "ISOIR6", "ISO2022IR6": return .sets([.ascii])
        case "ISOIR192", "UTF8": return .standalone(.utf8)
        case "GB18030": return .standalone(.gb18030)
        case "GBK", "ISO2022GBK": return .standalone(.gbk)
        case "ISOIR13", "ISO2022IR13": return .sets([.romaji, .katakana])
        case "ISO2022IR87": return .sets([.jisx0208])
        case "ISO2022IR159": return .sets([.jisx0212])
        case "ISO2022IR149": return .sets([.ksx1001])
        case "ISO2022IR58", "ISO202258": return .sets([.gb2312])
        default: break
        }
        let number = key.hasPrefix("ISO2022IR") ? key.dropFirst(9) : key.hasPrefix("ISOIR") ? key.dropFirst(5) : ""
        let half: UpperHalf?
        switch number {
        case "100": half = .latin1
        case "101": half = .latin2
        case "109": half = .latin3
        case "110": half = .latin4
        case "144": half = .cyrillic
        case "127": half = .arabic
        case "126": half = .greek
        case "138": half = .hebrew
        case "148": half = .latin5
        case "203": half = .latin9
        case "166": half = .thai
        default: half = nil
        }
        if let half { return .sets([.ascii, .upperHalf(half)]) }
        return .unknown
    }

    // MARK: Decoding

    /// Decodes a text value. Delimiters reset ISO 2022 code elements to their initial state (PS3.5 §6.1.2.5.3):
    /// backslash and control characters always, and "^" and "=" in person names.
    public func decode(_ bytes: UnsafeRawBufferPointer, isPersonName: Bool = false) -> String {
        // Fast path: plain ASCII reads the same in every supported set but GB 18030/GBK trail bytes, which
        // are never ASCII-only, and ISO 2022 without an escape.
        var ascii = true
        for b in bytes where b >= 0x80 || b == 0x1B { ascii = false; break }
        if ascii { return String(decoding: bytes, as: UTF8.self) }
        switch encoding {
        case .utf8: return String(decoding: bytes, as: UTF8.self)
        case .gb18030: return ChineseDecoder.decode(bytes, fourByte: true)
        case .gbk: return ChineseDecoder.decode(bytes, fourByte: false)
        case .iso2022(let g0, let g1, _): return ISO2022.decode(bytes, g0: g0, g1: g1, isPersonName: isPersonName)
        }
    }

    public func decode(_ bytes: Bytes, isPersonName: Bool = false) -> String {
        bytes.withUnsafeBytes { decode($0, isPersonName: isPersonName) }
    }

    // MARK: Encoding

    /// Encodes text in this character set, with the escapes ISO 2022 needs. Throws when a character has no code in
    /// any of the sets.
    public func encode(_ string: String, isPersonName: Bool = false) throws(CharacterSetError) -> [UInt8] {
        if string.utf8.allSatisfy({ $0 < 0x80 && $0 != 0x1B }) { return Array(string.utf8) }
        switch encoding {
        case .utf8: return Array(string.utf8)
        case .gb18030: return try ChineseDecoder.encode(string, fourByte: true, charset: self)
        case .gbk: return try ChineseDecoder.encode(string, fourByte: false, charset: self)
        case .iso2022(let g0, let g1, let sets):
            return try ISO2022.encode(string, g0: g0, g1: g1, sets: sets, isPersonName: isPersonName, charset: self)
        }
    }

    /// Whether every character of the string can be encoded.
    public func canEncode(_ string: String) -> Bool { (try? encode(string)) != nil }
}

public enum CharacterSetError: Error, CustomStringConvertible, Equatable {
    case unencodable(character: String, characterSet: String)

    public var description: String {
        switch self {
        case .unencodable(let c, let cs): return "character \"\(c)\" cannot be encoded in \(cs)"
        }
    }
}
