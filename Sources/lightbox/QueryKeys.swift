import DICOM

/// Builds a query identifier from `-k KEY=VALUE` arguments, as DCMTK's findscu does: KEY is a keyword
/// (PatientName) or a tag (0010,0010 or 00100010), and may be a path into sequences
/// ("ScheduledProcedureStepSequence[0].Modality"); without "=VALUE" the key is a return key.
enum QueryKeys {
    struct KeyError: Error, CustomStringConvertible {
        let description: String
    }

    static func tag(_ text: String) throws -> Tag {
        if let tag = Tag(hex: text) { return tag }
        if let tag = DataDictionary.tag(forKeyword: text) { return tag }
        throw KeyError(description: "unknown attribute \(text)")
    }

    static func apply(_ spec: String, to dataSet: inout DataSet) throws {
        let parts = spec.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let path = parts[0].split(separator: ".").map(String.init)
        guard !path.isEmpty else { throw KeyError(description: "empty key in \(spec)") }
        try set(path[...], value: parts.count > 1 ? parts[1] : nil, in: &dataSet)
    }

    static func set(_ path: ArraySlice<String>, value: String?, in dataSet: inout DataSet) throws {
        var segment = path.first!
        var index: Int?
        if let open = segment.firstIndex(of: "["), segment.hasSuffix("]") {
            index = Int(segment[segment.index(after: open)..<segment.index(before: segment.endIndex)])
            segment = String(segment[..<open])
        }
        let tag = try self.tag(segment)
        let vr = DataDictionary.vr(for: tag)?.preferred ?? .UN
        if path.count == 1 && index == nil {
            if vr == .SQ {
                // An empty sequence key: return the whole sequence.
                dataSet.set(DataElement(tag: tag, items: value == nil ? [DataSet()] : []))
                return
            }
            let text = value ?? ""
            if vr.isString {
                // Query values may hold any character; Specific Character Set says how (UTF-8 if any is not ASCII).
                if !text.utf8.allSatisfy({ $0 < 0x80 }) && dataSet[.specificCharacterSet] == nil {
                    dataSet.set(DataElement(tag: .specificCharacterSet, vr: .CS, string: "ISO_IR 192"))
                }
                dataSet.set(DataElement(tag: tag, vr: vr, string: text))
            } else if text.isEmpty {
                dataSet.set(DataElement(tag: tag, vr: vr, bytes: Bytes()))
            } else {
                guard let n = Int(text) else { throw KeyError(description: "\(segment) needs a number") }
                switch vr {
                case .US: dataSet.set(DataElement(tag: tag, vr: vr, integers: [UInt16(truncatingIfNeeded: n)]))
                case .SS: dataSet.set(DataElement(tag: tag, vr: vr, integers: [Int16(truncatingIfNeeded: n)]))
                case .UL: dataSet.set(DataElement(tag: tag, vr: vr, integers: [UInt32(truncatingIfNeeded: n)]))
                case .SL: dataSet.set(DataElement(tag: tag, vr: vr, integers: [Int32(truncatingIfNeeded: n)]))
                default: throw KeyError(description: "cannot set \(segment) (\(vr)) from text")
                }
            }
            return
        }
        guard vr == .SQ else { throw KeyError(description: "\(segment) is not a sequence") }
        var items = dataSet.items(tag) ?? []
        let i = index ?? 0
        while items.count <= i { items.append(DataSet()) }
        if path.count > 1 { try set(path.dropFirst(), value: value, in: &items[i]) }
        dataSet.set(DataElement(tag: tag, items: items))
    }
}
