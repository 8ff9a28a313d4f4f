/// A dcmdump-like text view of a data set: one line per element with tag, VR, value, length, multiplicity and
/// keyword; items of sequences indented.
public struct DataSetDump {
    /// Longest value text before it is cut with "..."; nil prints values whole.
    public var maximumValueLength: Int? = 64
    /// How many bytes or numbers of a binary value to show.
    public var maximumBinaryValues: Int = 16

    public init(maximumValueLength: Int? = 64) {
        self.maximumValueLength = maximumValueLength
    }

    public func lines(for file: DICOMFile) -> [String] {
        var out = ["# Dicom-File-Format", ""]
        if !file.fileMetaInformation.isEmpty {
            out.append("# Dicom-Meta-Information-Header")
            out.append("# Used TransferSyntax: Little Endian Explicit")
            append(file.fileMetaInformation, depth: 0, to: &out)
            out.append("")
        }
        out.append("# Dicom-Data-Set")
        out.append("# Used TransferSyntax: \(file.transferSyntax.name)")
        append(file.dataSet, depth: 0, to: &out)
        return out
    }

    public func lines(for dataSet: DataSet) -> [String] {
        var out: [String] = []
        append(dataSet, depth: 0, to: &out)
        return out
    }

    func append(_ dataSet: DataSet, depth: Int, to out: inout [String]) {
        let indent = String(repeating: "  ", count: depth)
        let charset = dataSet.characterSet
        for raw in dataSet.elements {
            let e = dataSet.resolvingUN(raw)
            let name = keyword(for: e.tag, in: dataSet)
            switch e.value {
            case .sequence(let s):
                let kind = s.hasUndefinedLength ? "undefined" : "explicit"
                out.append(line(indent, e.tag, e.vr.description, "(Sequence with \(kind) length #=\(s.items.count))",
                                s.hasUndefinedLength ? "u/l" : String(DataSetWriter.sequenceValueLength(s, explicitVR: true)),
                                1, name))
                for item in s.items {
                    var ds = item.dataSet
                    if ds.inheritedCharacterSet == nil { ds.inheritedCharacterSet = charset }
                    let kind = item.hasUndefinedLength ? "undefined" : "explicit"
                    out.append(line(indent + "  ", .item, "na", "(Item with \(kind) length #=\(ds.count))",
                                    item.hasUndefinedLength ? "u/l" : String(DataSetWriter.encodedLength(of: ds, explicitVR: true)),
                                    1, "Item"))
                    append(ds, depth: depth + 2, to: &out)
                    if item.hasUndefinedLength {
                        out.append(line(indent + "  ", .itemDelimitationItem, "na", "(ItemDelimitationItem)", "0", 0,
                                        "ItemDelimitationItem"))
                    }
                }
                if s.hasUndefinedLength {
                    out.append(line(indent, .sequenceDelimitationItem, "na", "(SequenceDelimitationItem)", "0", 0,
                                    "SequenceDelimitationItem"))
                }
            case .encapsulated(let p):
                out.append(line(indent, e.tag, e.vr.description, "(PixelSequence #=\(p.fragments.count + 1))", "u/l", 1, name))
                for f in [p.basicOffsetTable] + p.fragments {
                    out.append(line(indent + "  ", .item, "pi", f.isEmpty ? "(no value available)" : hex(f, width: 1),
                                    String(f.count), 1, "Item"))
                }
                out.append(line(indent, .sequenceDelimitationItem, "na", "(SequenceDelimitationItem)", "0", 0,
                                "SequenceDelimitationItem"))
            case .bytes(let b):
                let (text, vm) = value(e, b, charset: charset)
                out.append(line(indent, e.tag, e.vr.isKnown ? e.vr.description : "??", text, String(b.count), vm, name))
            }
        }
    }

    func keyword(for tag: Tag, in dataSet: DataSet) -> String {
        if tag.isPrivate {
            if tag.isPrivateCreator { return "PrivateCreator" }
            if let creator = dataSet.privateCreator(of: tag),
               let entry = DataDictionary.privateEntry(for: tag, creator: creator) {
                return "Private: " + entry.name
            }
            return "PrivateTag"
        }
        if let entry = DataDictionary.entry(for: tag), !entry.keyword.isEmpty { return entry.keyword }
        return "UnknownTag"
    }

    func line(_ indent: String, _ tag: Tag, _ vr: String, _ value: String, _ length: String, _ vm: Int, _ name: String) -> String {
        let left = indent + tag.description.lowercased() + " " + vr + " " + value
        let lengthField = length.count >= 3 ? length : String(repeating: " ", count: 3 - length.count) + length
        return left.padding(to: 52) + " # " + lengthField + ", " + String(vm) + " " + name
    }

    func value(_ e: DataElement, _ b: Bytes, charset: SpecificCharacterSet) -> (String, Int) {
        if b.isEmpty { return ("(no value available)", 0) }
        let vr = e.vr
        if vr.isString {
            let values = e.strings(characterSet: charset) ?? []
            var text = values.joined(separator: "\\")
            if vr == .UI, values.count == 1, let entry = UIDRegistry.entry(for: text), !entry.keyword.isEmpty {
                text = "=" + entry.keyword
                return (cut(text), 1)
            }
            return ("[" + cut(text) + "]", values.count)
        }
        func join<T>(_ values: [T]?, _ f: (T) -> String) -> (String, Int) {
            guard let values else { return (hex(b, width: 1), 1) }
            let shown = values.prefix(maximumBinaryValues).map(f).joined(separator: "\\")
            return (values.count > maximumBinaryValues ? shown + "..." : shown, values.count)
        }
        switch vr {
        case .US: return join(e.uint16s) { String($0) }
        case .SS: return join(e.int16s) { String($0) }
        case .UL: return join(e.uint32s) { String($0) }
        case .SL: return join(e.int32s) { String($0) }
        case .UV: return join(e.uint64s) { String($0) }
        case .SV: return join(e.int64s) { String($0) }
        case .FL, .OF: return join(e.floats) { "\($0)" }
        case .FD, .OD: return join(e.doubles) { "\($0)" }
        case .AT: return join(e.tags) { $0.description.lowercased() }
        case .OW: return (hex(b, width: 2), 1)
        case .OL: return (hex(b, width: 4), 1)
        case .OV: return (hex(b, width: 8), 1)
        default: return (hex(b, width: 1), 1)
        }
    }

    func cut(_ s: String) -> String {
        guard let max = maximumValueLength, s.count > max else { return s }
        return String(s.prefix(max)) + "..."
    }

    /// Hex of the first values of a binary value, in units of `width` bytes (little endian).
    func hex(_ b: Bytes, width: Int) -> String {
        let units = b.count / width
        let shown = min(units, maximumBinaryValues)
        var parts: [String] = []
        for i in 0..<shown {
            var v: UInt64 = 0
            for k in stride(from: width - 1, through: 0, by: -1) { v = v << 8 | UInt64(b[i * width + k]) }
            parts.append(hexString(v, digits: width * 2).lowercased())
        }
        if units == 0 { parts = b.map { hexString($0, digits: 2).lowercased() } }
        return parts.joined(separator: "\\") + (units > shown ? "..." : "")
    }
}

func hexString<T: FixedWidthInteger>(_ v: T, digits: Int) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return s.count >= digits ? s : String(repeating: "0", count: digits - s.count) + s
}

extension String {
    func padding(to width: Int) -> String {
        let n = count
        return n >= width ? self : self + String(repeating: " ", count: width - n)
    }
}
