/// The DICOM JSON model (PS3.18 Annex F), both ways.
public enum DICOMJSON {
    /// Decides, for a binary value, whether it goes out as a BulkDataURI (return the URI) or inline (return nil).
    /// Gets the element and the path of tags from the top-level data set to it.
    public typealias BulkDataHandler = (DataElement, [Tag]) -> String?

    // MARK: Encoding

    /// Encodes a data set as a DICOM JSON object. Text is decoded with the data set's character set; UN values of
    /// known attributes are given their real VR (as pydicom does).
    public static func encode(_ dataSet: DataSet, bulkData: BulkDataHandler? = nil) -> String {
        var out = ""
        out.reserveCapacity(dataSet.count * 64)
        writeObject(dataSet, path: [], bulkData: bulkData, to: &out)
        return out
    }

    static func writeObject(_ dataSet: DataSet, path: [Tag], bulkData: BulkDataHandler?, to out: inout String) {
        out += "{"
        let charset = dataSet.characterSet
        var first = true
        for raw in dataSet.elements {
            let e = dataSet.resolvingUN(raw)
            if !first { out += "," }
            first = false
            out += "\""
            out += e.tag.jsonKey
            out += "\":{\"vr\":\""
            out += e.vr.isKnown ? e.vr.description : "UN"
            out += "\""
            writeValue(e, charset: charset, parent: dataSet, path: path + [e.tag], bulkData: bulkData, to: &out)
            out += "}"
        }
        out += "}"
    }

    static func writeValue(_ e: DataElement, charset: SpecificCharacterSet, parent: DataSet, path: [Tag],
                           bulkData: BulkDataHandler?, to out: inout String) {
        switch e.value {
        case .sequence(let s):
            guard !s.items.isEmpty else { return }
            out += ",\"Value\":["
            for (i, item) in s.items.enumerated() {
                if i > 0 { out += "," }
                var ds = item.dataSet
                if ds.inheritedCharacterSet == nil { ds.inheritedCharacterSet = charset }
                writeObject(ds, path: path, bulkData: bulkData, to: &out)
            }
            out += "]"
        case .encapsulated(let p):
            // The encapsulated value as encoded: offset table and fragment items (the sequence delimiter that
            // ends the undefined length is not part of the value).
            if let uri = bulkData?(e, path) {
                out += ",\"BulkDataURI\":"
                JSONValue.writeString(uri, to: &out)
                return
            }
            var sink = ArraySink()
            let writer = DataSetWriter(explicitVR: true)
            for f in [p.basicOffsetTable] + p.fragments {
                try? writer.writeItemHeader(.item, length: UInt32(f.count + (f.count & 1)), to: &sink)
                sink.bytes.append(contentsOf: f.array)
                if f.count & 1 == 1 { sink.bytes.append(0) }
            }
            out += ",\"InlineBinary\":\""
            out += sink.bytes.withUnsafeBytes { Base64.encode($0) }
            out += "\""
        case .bytes(let b):
            if b.isEmpty { return }
            writePrimitive(e, b, charset: charset, path: path, bulkData: bulkData, to: &out)
        }
    }

    static func writePrimitive(_ e: DataElement, _ b: Bytes, charset: SpecificCharacterSet, path: [Tag],
                               bulkData: BulkDataHandler?, to out: inout String) {
        let vr = e.vr
        if vr.isBinary || !vr.isKnown {
            if let uri = bulkData?(e, path) {
                out += ",\"BulkDataURI\":"
                JSONValue.writeString(uri, to: &out)
            } else {
                out += ",\"InlineBinary\":\""
                out += Base64.encode(b)
                out += "\""
            }
            return
        }
        var values: [String] = []
        switch vr {
        case .PN:
            out += ",\"Value\":["
            let names = e.strings(characterSet: charset) ?? []
            for (i, name) in names.enumerated() {
                if i > 0 { out += "," }
                if name.isEmpty { out += "null"; continue }
                let pn = PersonName(name)
                var members: [(String, JSONValue)] = []
                if !pn.alphabetic.isEmpty { members.append(("Alphabetic", .string(pn.alphabetic))) }
                if !pn.ideographic.isEmpty { members.append(("Ideographic", .string(pn.ideographic))) }
                if !pn.phonetic.isEmpty { members.append(("Phonetic", .string(pn.phonetic))) }
                JSONValue.object(members).write(to: &out)
            }
            out += "]"
            return
        case .DS:
            values = (e.strings() ?? []).map { s in
                if s.isEmpty { return "null" }
                guard let d = parseDS(s), d.isFinite else { return jsonString(s) }
                return jsonNumber(d)
            }
        case .IS:
            values = (e.strings() ?? []).map { s in
                if s.isEmpty { return "null" }
                guard let v = parseIS(s) else { return jsonString(s) }
                return String(v)
            }
        case .US: values = (e.uint16s ?? []).map { String($0) }
        case .SS: values = (e.int16s ?? []).map { String($0) }
        case .UL: values = (e.uint32s ?? []).map { String($0) }
        case .SL: values = (e.int32s ?? []).map { String($0) }
        case .UV: values = (e.uint64s ?? []).map { String($0) }
        case .SV: values = (e.int64s ?? []).map { String($0) }
        case .FL: values = (e.floats ?? []).map { $0.isFinite ? jsonNumber(Double($0)) : "null" }
        case .FD: values = (e.doubles ?? []).map { $0.isFinite ? jsonNumber($0) : "null" }
        case .AT: values = (e.tags ?? []).map { jsonString($0.jsonKey) }
        default:
            values = (e.strings(characterSet: charset) ?? []).map { $0.isEmpty ? "null" : jsonString($0) }
        }
        if values.isEmpty {
            // A binary value whose length does not fit its VR: keep the bytes rather than lose them.
            if vr.numericWidth != nil {
                out += ",\"InlineBinary\":\"" + Base64.encode(b) + "\""
            }
            return
        }
        out += ",\"Value\":["
        out += values.joined(separator: ",")
        out += "]"
    }

    static func jsonString(_ s: String) -> String {
        var out = ""
        JSONValue.writeString(s, to: &out)
        return out
    }

    /// The shortest text that reads back as the same double.
    static func jsonNumber(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }

    // MARK: Decoding

    public enum DecodeError: Error, CustomStringConvertible, Equatable {
        case json(JSONParseError)
        case invalid(path: String, reason: String)

        public var description: String {
            switch self {
            case .json(let e): return e.description
            case .invalid(let path, let reason): return "\(path): \(reason)"
            }
        }
    }

    /// Resolves a BulkDataURI to the value's bytes.
    public typealias BulkDataResolver = (String) throws -> Bytes

    /// Decodes a DICOM JSON object into a data set. Text is encoded in the data set's Specific Character Set when
    /// it can hold it; otherwise the data set is switched to UTF-8 (ISO_IR 192), since JSON text is Unicode.
    public static func decode(_ text: String, bulkData: BulkDataResolver? = nil) throws -> DataSet {
        let value: JSONValue
        do { value = try JSONParser.parse(text) } catch { throw DecodeError.json(error) }
        return try decode(value, bulkData: bulkData)
    }

    public static func decode(_ value: JSONValue, bulkData: BulkDataResolver? = nil) throws -> DataSet {
        guard case .object = value else { throw DecodeError.invalid(path: "$", reason: "a data set must be a JSON object") }
        // The character set the text must be encoded in: the declared one if it can hold every string.
        var declared = SpecificCharacterSet.default
        if case .array(let terms)? = value["00080005"]?["Value"] {
            declared = SpecificCharacterSet(terms: terms.map { $0.string ?? "" })
        }
        if let ds = try? decodeObject(value, path: "$", charset: declared, bulkData: bulkData, strict: true) {
            return ds
        }
        var ds = try decodeObject(value, path: "$", charset: .utf8, bulkData: bulkData, strict: false)
        ds.set(DataElement(tag: .specificCharacterSet, vr: .CS, string: "ISO_IR 192"))
        return ds
    }

    struct Unencodable: Error {}

    static func decodeObject(_ value: JSONValue, path: String, charset: SpecificCharacterSet,
                             bulkData: BulkDataResolver?, strict: Bool) throws -> DataSet {
        guard let members = value.object else { throw DecodeError.invalid(path: path, reason: "expected an object") }
        var ds = DataSet()
        for (key, attribute) in members {
            let here = path + "." + key
            guard let tag = Tag(hex: key), key.utf8.count == 8 else {
                throw DecodeError.invalid(path: here, reason: "a key must be eight hex digits")
            }
            guard attribute.object != nil else { throw DecodeError.invalid(path: here, reason: "expected an object") }
            // A "vr" that is present must name a VR; only a missing one falls back to the dictionary.
            let vr = attribute["vr"].map { $0.string.flatMap { VR($0) } } ?? DataDictionary.vr(for: tag)?.preferred
            guard let vr, vr.isKnown else {
                throw DecodeError.invalid(path: here, reason: "missing or unknown vr")
            }
            ds.set(try decodeElement(tag: tag, vr: vr, attribute: attribute, path: here, charset: charset,
                                     bulkData: bulkData, strict: strict))
        }
        return ds
    }

    static func decodeElement(tag: Tag, vr: VR, attribute: JSONValue, path: String, charset: SpecificCharacterSet,
                              bulkData: BulkDataResolver?, strict: Bool) throws -> DataElement {
        if let inline = attribute["InlineBinary"] {
            guard let text = inline.string, let bytes = Base64.decode(text) else {
                throw DecodeError.invalid(path: path, reason: "InlineBinary is not base64")
            }
            return DataElement(tag: tag, vr: vr, data: bytes)
        }
        if let uri = attribute["BulkDataURI"] {
            guard let text = uri.string else { throw DecodeError.invalid(path: path, reason: "BulkDataURI must be a string") }
            guard let bulkData else { throw DecodeError.invalid(path: path, reason: "BulkDataURI \(text) cannot be resolved here") }
            let bytes = try bulkData(text)
            return DataElement(tag: tag, vr: vr, data: bytes.array)
        }
        guard let values = attribute["Value"] else {
            // An empty sequence is a sequence without items, not an empty byte value.
            return vr == .SQ ? DataElement(tag: tag, items: []) : DataElement(tag: tag, vr: vr, bytes: Bytes())
        }
        guard let array = values.array else { throw DecodeError.invalid(path: path, reason: "Value must be an array") }

        func number(_ v: JSONValue, _ i: Int) throws -> String {
            if let n = v.number { return n }
            if let s = v.string, parseDS(s) != nil { return s }  // numbers given as strings (PS3.18 F.2.3.1)
            throw DecodeError.invalid(path: "\(path).Value[\(i)]", reason: "expected a number")
        }
        func integer<T: FixedWidthInteger>(_ v: JSONValue, _ i: Int, _: T.Type) throws -> T {
            let text = try number(v, i)
            if let x = T(text) { return x }
            if let d = Double(text), d == d.rounded(), let x = T(exactly: d) { return x }
            throw DecodeError.invalid(path: "\(path).Value[\(i)]", reason: "\(text) is not a \(vr) value")
        }

        switch vr {
        case .SQ:
            var items: [DataSet] = []
            for (i, item) in array.enumerated() {
                var ds = try decodeObject(item, path: "\(path).Value[\(i)]", charset: charset, bulkData: bulkData, strict: strict)
                // As the parser does: items inherit a declared character set, and nothing for the default one.
                if ds[.specificCharacterSet] == nil && !charset.terms.isEmpty { ds.inheritedCharacterSet = charset }
                items.append(ds)
            }
            return DataElement(tag: tag, items: items)
        case .PN:
            let names: [String] = try array.enumerated().map { i, v in
                if v == .null { return "" }
                if let s = v.string { return s }
                guard v.object != nil else { throw DecodeError.invalid(path: "\(path).Value[\(i)]", reason: "expected a person name object") }
                return PersonName(alphabetic: v["Alphabetic"]?.string ?? "", ideographic: v["Ideographic"]?.string ?? "",
                                  phonetic: v["Phonetic"]?.string ?? "").description
            }
            return try text(tag, vr, names, charset, strict)
        case .DS:
            return DataElement(tag: tag, vr: vr, strings: try array.enumerated().map { i, v in
                if v == .null { return "" }
                let n = try number(v, i)
                return n.utf8.count <= 16 ? n : formatDS(Double(n) ?? 0)
            })
        case .IS:
            return DataElement(tag: tag, vr: vr, strings: try array.enumerated().map { i, v in
                v == .null ? "" : String(try integer(v, i, Int64.self))
            })
        case .US: return DataElement(tag: tag, vr: vr, integers: try array.enumerated().map { try integer($1, $0, UInt16.self) })
        case .SS: return DataElement(tag: tag, vr: vr, integers: try array.enumerated().map { try integer($1, $0, Int16.self) })
        case .UL: return DataElement(tag: tag, vr: vr, integers: try array.enumerated().map { try integer($1, $0, UInt32.self) })
        case .SL: return DataElement(tag: tag, vr: vr, integers: try array.enumerated().map { try integer($1, $0, Int32.self) })
        case .UV: return DataElement(tag: tag, vr: vr, integers: try array.enumerated().map { try integer($1, $0, UInt64.self) })
        case .SV: return DataElement(tag: tag, vr: vr, integers: try array.enumerated().map { try integer($1, $0, Int64.self) })
        case .FL:
            return DataElement(tag: tag, floats: try array.enumerated().map { i, v in Float(Double(try number(v, i)) ?? .nan) })
        case .FD:
            return DataElement(tag: tag, doubles: try array.enumerated().map { i, v in Double(try number(v, i)) ?? .nan })
        case .AT:
            return DataElement(tag: tag, tags: try array.enumerated().map { i, v in
                guard let s = v.string, let t = Tag(hex: s) else {
                    throw DecodeError.invalid(path: "\(path).Value[\(i)]", reason: "expected a tag as eight hex digits")
                }
                return t
            })
        default:
            guard vr.isString else { throw DecodeError.invalid(path: path, reason: "\(vr) takes InlineBinary or BulkDataURI") }
            let strings: [String] = try array.enumerated().map { i, v in
                if v == .null { return "" }
                if let s = v.string { return s }
                if let n = v.number { return n }
                throw DecodeError.invalid(path: "\(path).Value[\(i)]", reason: "expected a string")
            }
            return try text(tag, vr, strings, charset, strict)
        }
    }

    static func text(_ tag: Tag, _ vr: VR, _ strings: [String], _ charset: SpecificCharacterSet, _ strict: Bool) throws -> DataElement {
        do {
            return try DataElement(tag: tag, vr: vr, strings: strings, characterSet: vr.usesSpecificCharacterSet ? charset : .default)
        } catch {
            if strict { throw Unencodable() }
            return DataElement(tag: tag, vr: vr, strings: strings)
        }
    }
}
