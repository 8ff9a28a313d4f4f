/// The VR the data dictionary gives an attribute; some attributes have a VR that depends on other
/// attributes of the data set (PS3.5 §6.2, e.g. "US or SS" follows Pixel Representation).
public enum DictionaryVR: Hashable, Sendable, CustomStringConvertible {
    case vr(VR)
    case obOrOW
    case usOrSS
    case usOrOW
    case usOrSSOrOW
    /// Item and delimitation tags carry no VR.
    case none

    init(index: UInt32) {
        switch index {
        case 64: self = .obOrOW
        case 65: self = .usOrSS
        case 66: self = .usOrOW
        case 67: self = .usOrSSOrOW
        case 68: self = .none
        default: self = .vr(VR.all[Int(index)])
        }
    }

    /// The VR to use when nothing else decides: the first of the alternatives.
    public var preferred: VR {
        switch self {
        case .vr(let vr): return vr
        case .obOrOW: return .OW
        case .usOrSS, .usOrOW, .usOrSSOrOW: return .US
        case .none: return .UN
        }
    }

    public var description: String {
        switch self {
        case .vr(let vr): return vr.description
        case .obOrOW: return "OB or OW"
        case .usOrSS: return "US or SS"
        case .usOrOW: return "US or OW"
        case .usOrSSOrOW: return "US or SS or OW"
        case .none: return "NONE"
        }
    }
}

/// One entry of the data dictionary (PS3.6 §6) or of the private dictionary.
public struct DictionaryEntry: Sendable, Hashable {
    public let tag: Tag
    public let vr: DictionaryVR
    public let vm: VM
    public let keyword: String
    public let name: String
    public let isRetired: Bool
    /// The private creator for entries of the private dictionary.
    public let privateCreator: String?
}

/// Look-ups in the standard and private data dictionaries, generated from PS3.6 (see tools/generate_dictionary.py).
public enum DataDictionary {
    /// Index of a tag in the generated tables, by binary search over static data: no start-up cost.
    @usableFromInline static func index(of tag: Tag) -> Int? {
        let key = tag.rawValue
        return dictionaryTags.withUnsafeBufferPointer { tags -> Int? in
            var lo = 0, hi = tags.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                let v = tags[mid]
                if v == key { return mid }
                if v < key { lo = mid + 1 } else { hi = mid }
            }
            return nil
        }
    }

    static func repeaterIndex(of tag: Tag) -> Int? {
        let raw = tag.rawValue
        for i in 0..<repeaterMasks.count where raw & repeaterMasks[i] == repeaterValues[i] {
            // Overlay and curve groups repeat only in even groups 6000–601E / 5000–501E (PS3.5 §7.6).
            let g = tag.group
            if g & 0xFF00 == 0x6000 || g & 0xFF00 == 0x5000 {
                guard g & 1 == 0, g & 0xFF <= 0x1E else { return nil }
            }
            return i
        }
        return nil
    }

    /// The dictionary VR of a public tag, group lengths and private creators included; nil for unknown tags.
    public static func vr(for tag: Tag) -> DictionaryVR? {
        if let i = index(of: tag) { return DictionaryVR(index: dictionaryInfo[i] & 0xFF) }
        if tag.isGroupLength && !tag.isDelimiter { return .vr(.UL) }
        if tag.isPrivateCreator { return .vr(.LO) }
        if tag.isPrivate { return nil }
        if let i = repeaterIndex(of: tag) { return DictionaryVR(index: repeaterInfo[i] & 0xFF) }
        return nil
    }

    /// The dictionary entry of a public tag, including repeating groups (50xx, 60xx…) and group lengths.
    public static func entry(for tag: Tag) -> DictionaryEntry? {
        if let i = index(of: tag) {
            let (keyword, name) = standardText[i]
            return makeEntry(tag: tag, info: dictionaryInfo[i], keyword: keyword, name: name)
        }
        if tag.isPrivate && !tag.isGroupLength {
            if tag.isPrivateCreator {
                return DictionaryEntry(tag: tag, vr: .vr(.LO), vm: VM(minimum: 1, maximum: 1), keyword: "PrivateCreator",
                                       name: "Private Creator", isRetired: false, privateCreator: nil)
            }
            return nil
        }
        if let i = repeaterIndex(of: tag) {
            let (keyword, name) = repeaterTextLines[i]
            return makeEntry(tag: tag, info: repeaterInfo[i], keyword: keyword, name: name)
        }
        if tag.isGroupLength && !tag.isDelimiter {
            return DictionaryEntry(tag: tag, vr: .vr(.UL), vm: VM(minimum: 1, maximum: 1), keyword: "GroupLength",
                                   name: "Group Length", isRetired: false, privateCreator: nil)
        }
        return nil
    }

    /// The keyword of a public tag, without building a whole entry (for dumps of many elements).
    public static func keyword(for tag: Tag) -> Substring? {
        if let i = index(of: tag) { return standardText[i].0 }
        if tag.isPrivate && !tag.isGroupLength { return tag.isPrivateCreator ? "PrivateCreator" : nil }
        if let i = repeaterIndex(of: tag) { return repeaterTextLines[i].0 }
        if tag.isGroupLength && !tag.isDelimiter { return "GroupLength" }
        return nil
    }

    /// The tag of a keyword ("PatientName"), for the standard dictionary; nil when there is none.
    public static func tag(forKeyword keyword: String) -> Tag? {
        keywordIndex[keyword]
    }

    /// A private dictionary entry, found by the creator that reserved the element's block (PS3.5 §7.8.1).
    public static func privateEntry(for tag: Tag, creator: String) -> DictionaryEntry? {
        guard let table = privateTable[trimmedCreator(creator)] else { return nil }
        let g = hex4(tag.group), e = hex4(tag.element)
        // Most entries are written for any block ("xx"); some name an exact element or a group range.
        for key in [g + e, g + "xx" + e.suffix(2), g.prefix(2) + "xxxx" + e.suffix(2)] {
            if let p = table[String(key)] {
                return DictionaryEntry(tag: tag, vr: DictionaryVR(index: p.vr), vm: VM(dictionaryVMs[Int(p.vm)])!,
                                       keyword: "", name: p.name, isRetired: false, privateCreator: creator)
            }
        }
        return nil
    }

    static func trimmedCreator(_ s: String) -> String {
        var u = Substring(s)
        while let last = u.last, last == " " || last == "\0" { u = u.dropLast() }
        while let first = u.first, first == " " { u = u.dropFirst() }
        return String(u)
    }

    private static func makeEntry(tag: Tag, info: UInt32, keyword: Substring, name: Substring) -> DictionaryEntry {
        DictionaryEntry(tag: tag, vr: DictionaryVR(index: info & 0xFF), vm: VM(dictionaryVMs[Int(info >> 8 & 0xFF)])!,
                        keyword: String(keyword), name: String(name), isRetired: info & 0x10000 != 0, privateCreator: nil)
    }

    // The string tables are indexed once, on first use, so that parsing a file needs none of them.
    private static let standardText = TextTable(dictionaryText)
    private static let repeaterTextLines = TextTable(repeaterText)
    private static let keywordIndex: [String: Tag] = {
        var d = [String: Tag](minimumCapacity: dictionaryTags.count)
        for i in 0..<dictionaryTags.count {
            let keyword = standardText[i].0
            if !keyword.isEmpty { d[String(keyword)] = Tag(dictionaryTags[i]) }
        }
        return d
    }()

    /// Lines of "keyword TAB name", found by byte offsets: indexing scans the UTF-8 once, and a look-up makes
    /// two substrings without copying.
    struct TextTable: Sendable {
        let text: String
        /// For each line, the offsets of its start, its tab and its end.
        let offsets: [(Int32, Int32, Int32)]

        init(_ text: String) {
            var t = text
            t.makeContiguousUTF8()
            self.text = t
            var offsets: [(Int32, Int32, Int32)] = []
            t.utf8.withContiguousStorageIfAvailable { u in
                var start = 0, tab = -1
                for i in 0...u.count {
                    if i == u.count || u[i] == 0x0A {
                        offsets.append((Int32(start), Int32(tab < 0 ? i : tab), Int32(i)))
                        start = i + 1
                        tab = -1
                    } else if u[i] == 0x09 && tab < 0 {
                        tab = i
                    }
                }
            }
            self.offsets = offsets
        }

        subscript(i: Int) -> (Substring, Substring) {
            let (a, t, b) = offsets[i]
            let u = text.utf8
            let ia = u.index(u.startIndex, offsetBy: Int(a)), it = u.index(u.startIndex, offsetBy: Int(t))
            let ib = u.index(u.startIndex, offsetBy: Int(b))
            let name = t < b ? text[u.index(after: it)..<ib] : text[ib..<ib]
            return (text[ia..<it], name)
        }
    }

    struct PrivateEntryData: Sendable { let vr: UInt32; let vm: UInt32; let name: String }

    private static let privateTable: [String: [String: PrivateEntryData]] = {
        var table = [String: [String: PrivateEntryData]]()
        for line in privateDictionaryText.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count == 5, let vr = UInt32(f[2]), let vm = UInt32(f[3]) else { continue }
            table[String(f[0]), default: [:]][String(f[1])] = PrivateEntryData(vr: vr, vm: vm, name: String(f[4]))
        }
        return table
    }()
}
