/// UN values that hide known attributes (PS3.5 §6.2.2): an explicit VR writer that did not know an attribute
/// wrote it as UN, with its value in implicit VR little endian. Readers that know the attribute read it with its
/// real VR, as pydicom and DCMTK do.
extension DataSet {
    /// The element as its attribute's real VR when it was encoded as UN and a dictionary knows it; unchanged
    /// otherwise. Private attributes are looked up by the creator of their block.
    public func resolvingUN(_ element: DataElement) -> DataElement {
        guard element.vr == .UN else { return element }
        if case .sequence = element.value { return DataElement(tag: element.tag, vr: .SQ, value: element.value) }
        guard let bytes = element.bytes else { return element }
        let tag = element.tag
        var dictionaryVR: DictionaryVR?
        if tag.isPrivate {
            if tag.isPrivateCreator { dictionaryVR = .vr(.LO) }
            else if let creator = privateCreator(of: tag) {
                dictionaryVR = DataDictionary.privateEntry(for: tag, creator: creator)?.vr
            }
        } else if bytes.count < 0xFFFF {
            // pydicom leaves long UN values alone: they are more likely bulk data than a mislabelled attribute.
            dictionaryVR = DataDictionary.vr(for: tag)
        }
        guard let dictionaryVR else { return element }
        let vr: VR
        switch dictionaryVR {
        case .vr(let v): vr = v
        case .usOrSS: vr = (integer(.pixelRepresentation) ?? 0) == 0 ? .US : .SS
        case .obOrOW, .usOrOW, .usOrSSOrOW: vr = .OW
        case .none: return element
        }
        if vr == .UN { return element }
        if vr == .SQ {
            // The value is an implicit VR little endian sequence of defined-length or delimited items.
            var parser = DataSetParser(bytes: bytes, options: ReadOptions())
            guard let seq = try? parser.parseSequence(tag: tag, at: 0, limit: bytes.count, undefined: false,
                                                      encoding: .init(explicitVR: false, bigEndian: false),
                                                      context: .init(characterSet: characterSet, pixelRepresentation: nil, depth: 0))
            else { return element }
            return DataElement(tag: tag, vr: .SQ, value: .sequence(seq))
        }
        return DataElement(tag: tag, vr: vr, bytes: bytes)
    }
}
