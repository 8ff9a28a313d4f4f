/// A dcmdump-like text view of a data set: one line per element with tag, VR, value, length, multiplicity and
/// keyword; items of sequences indented.
///
/// Written straight into a byte buffer: a dump of a large series prints hundreds of thousands of lines, and
/// building a String per line costs more than parsing the files.
public struct DataSetDump {
    /// Longest value text before it is cut with "..."; nil prints values whole.
    public var maximumValueLength: Int? = 64
    /// How many bytes or numbers of a binary value to show.
    public var maximumBinaryValues: Int = 16

    public init(maximumValueLength: Int? = 64) {
        self.maximumValueLength = maximumValueLength
    }

    /// The dump as lines (for tests and small uses).
    public func lines(for file: DICOMFile) -> [String] {
        var out: [UInt8] = []
        write(file, to: &out)
        return String(decoding: out, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    public func write(_ file: DICOMFile, to out: inout [UInt8]) {
        out.append(contentsOf: "# Dicom-File-Format\n\n".utf8)
        if !file.fileMetaInformation.isEmpty {
            out.append(contentsOf: "# Dicom-Meta-Information-Header\n# Used TransferSyntax: Little Endian Explicit\n".utf8)
            write(file.fileMetaInformation, depth: 0, to: &out)
            out.append(0x0A)
        }
        out.append(contentsOf: "# Dicom-Data-Set\n# Used TransferSyntax: ".utf8)
        out.append(contentsOf: file.transferSyntax.name.utf8)
        out.append(0x0A)
        write(file.dataSet, depth: 0, to: &out)
    }

    public func write(_ dataSet: DataSet, depth: Int, to out: inout [UInt8]) {
        let charset = dataSet.characterSet
        for raw in dataSet.elements {
            let e = raw.vr == .UN ? dataSet.resolvingUN(raw) : raw
            switch e.value {
            case .sequence(let s):
                let kind = s.hasUndefinedLength ? "undefined" : "explicit"
                line(&out, depth, e.tag, e.vr.description, "(Sequence with \(kind) length #=\(s.items.count))",
                     s.hasUndefinedLength ? nil : DataSetWriter.sequenceValueLength(s, explicitVR: true), 1) {
                    keyword(e.tag, dataSet, &$0)
                }
                for item in s.items {
                    var ds = item.dataSet
                    if ds.inheritedCharacterSet == nil { ds.inheritedCharacterSet = charset }
                    let kind = item.hasUndefinedLength ? "undefined" : "explicit"
                    line(&out, depth + 1, .item, "na", "(Item with \(kind) length #=\(ds.count))",
                         item.hasUndefinedLength ? nil : DataSetWriter.encodedLength(of: ds, explicitVR: true), 1) {
                        $0.append(contentsOf: "Item".utf8)
                    }
                    write(ds, depth: depth + 2, to: &out)
                    if item.hasUndefinedLength {
                        line(&out, depth + 1, .itemDelimitationItem, "na", "(ItemDelimitationItem)", 0, 0) {
                            $0.append(contentsOf: "ItemDelimitationItem".utf8)
                        }
                    }
                }
                if s.hasUndefinedLength {
                    line(&out, depth, .sequenceDelimitationItem, "na", "(SequenceDelimitationItem)", 0, 0) {
                        $0.append(contentsOf: "SequenceDelimitationItem".utf8)
                    }
                }
            case .encapsulated(let p):
                line(&out, depth, e.tag, e.vr.description, "(PixelSequence #=\(p.fragments.count + 1))", nil, 1) {
                    keyword(e.tag, dataSet, &$0)
                }
                for f in [p.basicOffsetTable] + p.fragments {
                    line(&out, depth + 1, .item, "pi", f.isEmpty ? "(no value available)" : hex(f, width: 1), f.count, 1) {
                        $0.append(contentsOf: "Item".utf8)
                    }
                }
                line(&out, depth, .sequenceDelimitationItem, "na", "(SequenceDelimitationItem)", 0, 0) {
                    $0.append(contentsOf: "SequenceDelimitationItem".utf8)
                }
            case .bytes(let b):
                let (text, vm) = value(e, b, charset: charset)
                line(&out, depth, e.tag, e.vr.isKnown ? e.vr.description : "??", text, b.count, vm) {
                    keyword(e.tag, dataSet, &$0)
                }
            }
        }
    }

    func keyword(_ tag: Tag, _ dataSet: DataSet, _ out: inout [UInt8]) {
        if tag.isPrivate && !tag.isPrivateCreator {
            if let creator = dataSet.privateCreator(of: tag),
               let entry = DataDictionary.privateEntry(for: tag, creator: creator) {
                out.append(contentsOf: "Private: ".utf8)
                out.append(contentsOf: entry.name.utf8)
            } else {
                out.append(contentsOf: "PrivateTag".utf8)
            }
            return
        }
        if let k = DataDictionary.keyword(for: tag), !k.isEmpty {
            out.append(contentsOf: k.utf8)
        } else {
            out.append(contentsOf: "UnknownTag".utf8)
        }
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// "(gggg,eeee) VR value   # len, vm name", the value column padded to a fixed width as dcmdump pads it.
    func line(_ out: inout [UInt8], _ depth: Int, _ tag: Tag, _ vr: String, _ value: String, _ length: Int?, _ vm: Int,
              _ name: (inout [UInt8]) -> Void) {
        let start = out.count
        for _ in 0..<depth { out.append(0x20); out.append(0x20) }
        out.append(UInt8(ascii: "("))
        appendHex(&out, tag.group)
        out.append(UInt8(ascii: ","))
        appendHex(&out, tag.element)
        out.append(UInt8(ascii: ")"))
        out.append(0x20)
        out.append(contentsOf: vr.utf8)
        out.append(0x20)
        out.append(contentsOf: value.utf8)
        // Pad by characters, not bytes, so that non-ASCII values keep the columns aligned on a terminal.
        var width = 0
        for b in out[start...] where b & 0xC0 != 0x80 { width += 1 }
        while width < 52 { out.append(0x20); width += 1 }
        out.append(contentsOf: " # ".utf8)
        let len = length.map { String($0) } ?? "u/l"
        for _ in 0..<max(0, 3 - len.utf8.count) { out.append(0x20) }
        out.append(contentsOf: len.utf8)
        out.append(contentsOf: ", ".utf8)
        out.append(contentsOf: String(vm).utf8)
        out.append(0x20)
        name(&out)
        out.append(0x0A)
    }

    func appendHex(_ out: inout [UInt8], _ v: UInt16) {
        out.append(DataSetDump.hexDigits[Int(v >> 12)])
        out.append(DataSetDump.hexDigits[Int(v >> 8 & 0xF)])
        out.append(DataSetDump.hexDigits[Int(v >> 4 & 0xF)])
        out.append(DataSetDump.hexDigits[Int(v & 0xF)])
    }

    func value(_ e: DataElement, _ b: Bytes, charset: SpecificCharacterSet) -> (String, Int) {
        if b.isEmpty { return ("(no value available)", 0) }
        let vr = e.vr
        if vr.isString {
            let values = e.strings(characterSet: charset) ?? []
            let text = values.count == 1 ? values[0] : values.joined(separator: "\\")
            if vr == .UI, values.count == 1, let entry = UIDRegistry.entry(for: text), !entry.keyword.isEmpty {
                return (cut("=" + entry.keyword), 1)
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
        guard let max = maximumValueLength, s.utf8.count > max, s.count > max else { return s }
        return String(s.prefix(max)) + "..."
    }

    /// Hex of the first values of a binary value, in units of `width` bytes (little endian).
    func hex(_ b: Bytes, width: Int) -> String {
        let units = b.count / width
        let shown = units == 0 ? b.count : min(units, maximumBinaryValues)
        let unit = units == 0 ? 1 : width
        var out: [UInt8] = []
        out.reserveCapacity(shown * (unit * 2 + 1) + 3)
        for i in 0..<shown {
            if i > 0 { out.append(UInt8(ascii: "\\")) }
            for k in stride(from: unit - 1, through: 0, by: -1) {
                let byte = b[i * unit + k]
                out.append(DataSetDump.hexDigits[Int(byte >> 4)])
                out.append(DataSetDump.hexDigits[Int(byte & 0xF)])
            }
        }
        if units > shown { out.append(contentsOf: "...".utf8) }
        return String(decoding: out, as: UTF8.self)
    }
}
