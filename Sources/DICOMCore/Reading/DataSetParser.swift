/// Parses an encoded data set (PS3.5 §7) from memory, without copying values: every element's bytes point into
/// the buffer they were read from.
///
/// Tolerates what real files do where pydicom or DCMTK tolerate it: odd lengths, explicit VR data sets that are
/// really implicit (and the reverse at the top level), UN for known attributes, undefined-length UN (read as an
/// implicit VR little endian sequence, PS3.5 §6.2.2), items without delimiters, trailing bytes. Anything else is
/// refused with a `DICOMParseError` that names the offset and the tag.
struct DataSetParser {
    let owner: AnyObject?
    let base: UnsafeRawPointer
    /// Bytes available from `base`.
    let count: Int
    /// Added to offsets in errors and warnings: where `base` sits in the file.
    let reportOffset: Int
    let options: ReadOptions
    var offset = 0
    var warnings: [String] = []
    /// Set when the top-level data set stopped at `options.stopAtTag` (rather than at the end of the data).
    var stoppedAtTag = false
    /// Read only the top-level elements of this group (the file meta information, group 0002).
    var onlyGroup: UInt16?
    /// Whether the top-level data set turned out to be explicit VR (it may contradict the transfer syntax).
    var topLevelExplicitVR: Bool?

    init(bytes: Bytes, reportOffset: Int = 0, options: ReadOptions) {
        owner = bytes.owner
        // An empty buffer still needs a valid address for pointer arithmetic.
        base = bytes.base ?? UnsafeRawPointer(bitPattern: 16)!
        count = bytes.count
        self.reportOffset = reportOffset
        self.options = options
    }

    /// How elements are encoded in the data set being read.
    struct Encoding {
        var explicitVR: Bool
        var bigEndian: Bool
    }

    /// What nested data sets need from their parents.
    struct Context {
        var characterSet: SpecificCharacterSet?
        var pixelRepresentation: Int?
        var depth: Int
    }

    // MARK: Reading primitives

    @inline(__always) func u16(_ at: Int, _ big: Bool) -> UInt16 {
        let v = base.loadUnaligned(fromByteOffset: at, as: UInt16.self)
        return big ? UInt16(bigEndian: v) : UInt16(littleEndian: v)
    }

    @inline(__always) func u32(_ at: Int, _ big: Bool) -> UInt32 {
        let v = base.loadUnaligned(fromByteOffset: at, as: UInt32.self)
        return big ? UInt32(bigEndian: v) : UInt32(littleEndian: v)
    }

    @inline(__always) func tag(at: Int, _ big: Bool) -> Tag {
        Tag(group: u16(at, big), element: u16(at + 2, big))
    }

    @inline(__always) func byte(_ at: Int) -> UInt8 { base.load(fromByteOffset: at, as: UInt8.self) }

    func bytes(_ start: Int, _ length: Int) -> Bytes {
        length == 0 ? Bytes() : Bytes(owner: owner, base: base + start, count: length)
    }

    func error(_ reason: DICOMParseError.Reason, at: Int, _ tag: Tag?) -> DICOMParseError {
        DICOMParseError(reason, offset: reportOffset + at, tag: tag)
    }

    @inline(__always) static func isVRLetter(_ c: UInt8) -> Bool { c >= 0x41 && c <= 0x5A }

    // MARK: Data sets

    /// Reads elements until `limit`, or until an Item Delimitation Item when `delimited`.
    mutating func parseDataSet(limit: Int, delimited: Bool, encoding initial: Encoding, context: Context,
                               topLevel: Bool) throws(DICOMParseError) -> DataSet {
        var encoding = initial
        var elements: [DataElement] = []
        var characterSet = context.characterSet
        var pixelRepresentation = context.pixelRepresentation
        var lutDescriptorFirst: Int?
        var first = true

        while true {
            if offset >= limit {
                if delimited && !topLevel {
                    try truncation(needed: 8, at: offset, tag: nil)
                }
                break
            }
            let start = offset
            let big = encoding.bigEndian
            if limit - start < 8 {
                // Reading only the file meta information: the bytes after it are the data set's (a deflated data
                // set can be shorter than an element header), not trailing padding.
                if topLevel && onlyGroup != nil { break }
                if topLevel {
                    // Trailing bytes too short to be an element: padding some writers leave; DCMTK ignores them too.
                    warnings.append("ignored \(limit - start) trailing bytes at offset \(reportOffset + start)")
                    offset = limit
                    break
                }
                try truncation(needed: 8, at: start, tag: nil)
                offset = limit
                break
            }
            let tag = self.tag(at: start, big)

            if tag.group == 0xFFFE {
                if tag == .itemDelimitationItem {
                    offset = start + 8
                    if delimited { break }
                    warnings.append("ignored a stray item delimiter at offset \(reportOffset + start)")
                    continue
                }
                if tag == .sequenceDelimitationItem {
                    if delimited && !topLevel {
                        // An item that lacks its delimiter: leave the sequence delimiter for the sequence.
                        warnings.append("item without delimiter before offset \(reportOffset + start)")
                        break
                    }
                    offset = start + 8
                    warnings.append("ignored a stray sequence delimiter at offset \(reportOffset + start)")
                    continue
                }
                throw error(.notDICOM("unexpected item tag in a data set"), at: start, tag)
            }

            if topLevel, let stop = options.stopAtTag, tag >= stop {
                stoppedAtTag = true
                break
            }
            if topLevel, let group = onlyGroup, tag.group != group { break }

            // The first element tells whether the encoding is what the transfer syntax says (pydicom and DCMTK
            // check it the same way): a VR field that is not two letters means implicit VR.
            if first {
                first = false
                let looksExplicit = DataSetParser.isVRLetter(byte(start + 4)) && DataSetParser.isVRLetter(byte(start + 5))
                if encoding.explicitVR && !looksExplicit {
                    encoding.explicitVR = false
                    if topLevel { warnings.append("the transfer syntax says explicit VR, the data set is implicit VR; read as implicit") }
                } else if !encoding.explicitVR && looksExplicit && topLevel
                            && VR(byte(start + 4), byte(start + 5)).isKnown {
                    encoding.explicitVR = true
                    warnings.append("the transfer syntax says implicit VR, the data set is explicit VR; read as explicit")
                }
                if topLevel { topLevelExplicitVR = encoding.explicitVR }
            }

            var vr: VR
            var length: UInt32
            var headerLength: Int
            var vrFromDictionary = false
            if encoding.explicitVR {
                let a = byte(start + 4), b = byte(start + 5)
                vr = VR(a, b)
                if !DataSetParser.isVRLetter(a) || !DataSetParser.isVRLetter(b) {
                    throw error(.invalidVR(hexString(UInt16(a) << 8 | UInt16(b), digits: 4)), at: start, tag)
                }
                var longLength = vr.hasLongLength
                if !longLength && !vr.isKnown {
                    // A VR the standard does not define: DCMTK reads it as UN; its length field is 32-bit when
                    // the two bytes after it are zero (the reserved field), 16-bit otherwise.
                    longLength = u16(start + 6, big) == 0 && limit - start >= 12
                    warnings.append("unknown VR \(vr) of \(tag) at offset \(reportOffset + start) read as UN")
                    vr = .UN
                }
                if longLength {
                    guard limit - start >= 12 else {
                        try truncation(needed: 12, at: start, tag: tag)
                        offset = limit
                        break
                    }
                    length = u32(start + 8, big)
                    headerLength = 12
                } else {
                    length = UInt32(u16(start + 6, big))
                    headerLength = 8
                }
            } else {
                length = u32(start + 4, big)
                headerLength = 8
                vrFromDictionary = true
                vr = implicitVR(tag, elements: elements, pixelRepresentation: pixelRepresentation,
                                lutDescriptorFirst: lutDescriptorFirst, undefinedLength: length == 0xFFFF_FFFF)
            }
            let valueStart = start + headerLength
            offset = valueStart

            let element: DataElement
            if length == 0xFFFF_FFFF {
                element = try parseUndefinedLength(tag: tag, vr: vr, vrFromDictionary: vrFromDictionary, at: start,
                                                   limit: limit, encoding: encoding,
                                                   context: Context(characterSet: characterSet ?? context.characterSet,
                                                                    pixelRepresentation: pixelRepresentation,
                                                                    depth: context.depth))
            } else {
                var valueLength = Int(length)
                if valueLength > limit - valueStart {
                    if vr == .SQ {
                        // A sequence whose length overstates what follows (a record removed, the length left):
                        // DCMTK and pydicom read its items up to the end; an element cut short still fails.
                        warnings.append("sequence \(tag) at offset \(reportOffset + start): length \(valueLength) exceeds the \(limit - valueStart) bytes left")
                    } else {
                        try truncation(needed: valueLength, at: start, tag: tag, available: limit - valueStart)
                    }
                    valueLength = limit - valueStart
                }
                let valueEnd = valueStart + valueLength
                if vr == .SQ && vrFromDictionary && valueLength >= 4 {
                    // The dictionary says SQ, but an old writer used the tag for something else (dcm4che's test
                    // data has (0040,A170) as CS): without an item at its start, keep the value as UN bytes.
                    let first = self.tag(at: valueStart, encoding.bigEndian)
                    if first != .item && first != .sequenceDelimitationItem {
                        warnings.append("element \(tag) at offset \(reportOffset + start) is not a sequence as the dictionary says; kept as UN")
                        vr = .UN
                    }
                }
                if vr == .SQ {
                    let seq = try parseSequence(tag: tag, at: start, limit: valueEnd, undefined: false,
                                                encoding: encoding,
                                                context: Context(characterSet: characterSet ?? context.characterSet,
                                                                 pixelRepresentation: pixelRepresentation,
                                                                 depth: context.depth))
                    offset = valueEnd
                    element = DataElement(tag: tag, vr: vr, value: .sequence(seq))
                } else {
                    offset = valueEnd
                    let value: Bytes
                    if encoding.bigEndian && vr.swapUnit > 1 {
                        value = swapped(valueStart, valueLength, unit: vr.swapUnit)
                    } else {
                        value = bytes(valueStart, valueLength)
                    }
                    element = DataElement(tag: tag, vr: vr, bytes: value)
                }
            }

            // State later elements depend on.
            switch tag {
            case .specificCharacterSet:
                if let b = element.bytes {
                    let cs = SpecificCharacterSet(encoded: b)
                    characterSet = cs
                    if !cs.unknownTerms.isEmpty {
                        warnings.append("unknown Specific Character Set term(s) \(cs.unknownTerms); text read as the default repertoire")
                    }
                }
            case .pixelRepresentation:
                if let v = element.uint16s?.first { pixelRepresentation = Int(v) }
            case Tag(0x0028_3002):
                if let b = element.bytes, b.count >= 2 { lutDescriptorFirst = Int(b.uint16(at: 0)) }
            default: break
            }

            if let last = elements.last, last.tag >= tag {
                // Out of order or repeated: keep order; a repeated tag replaces the earlier one, as pydicom does.
                warnings.append("element \(tag) out of order at offset \(reportOffset + start)")
                var ds = DataSet(sortedElements: elements, inherited: nil)
                ds.set(element)
                elements = ds.elements
            } else {
                elements.append(element)
            }
        }
        return DataSet(sortedElements: elements, inherited: context.characterSet)
    }

    /// Set once a truncation was reported: nested levels that end at the same point report nothing more.
    var truncationReported = false

    mutating func truncation(needed: Int, at: Int, tag: Tag?, available: Int? = nil) throws(DICOMParseError) {
        let left = available ?? (count - at)
        guard options.allowTruncation else {
            throw error(.truncated(needed: needed, available: left), at: at, tag)
        }
        if !truncationReported {
            warnings.append("truncated: " + error(.truncated(needed: needed, available: left), at: at, tag).description)
        }
        truncationReported = true
    }

    /// The VR of an element in an implicit VR data set: the dictionary's, the private dictionary's by the
    /// block's creator, or UN. Ambiguous VRs are resolved as pydicom resolves them (PS3.5 §A.1, PS3.3 C.11.1.1.1).
    func implicitVR(_ tag: Tag, elements: [DataElement], pixelRepresentation: Int?, lutDescriptorFirst: Int?,
                    undefinedLength: Bool) -> VR {
        if tag.isPrivate && !tag.isPrivateCreator && !tag.isGroupLength {
            guard let creatorTag = tag.privateCreatorTag,
                  let creatorElement = elements.last(where: { $0.tag == creatorTag }),
                  let creator = creatorElement.string(),
                  let entry = DataDictionary.privateEntry(for: tag, creator: creator) else { return .UN }
            return resolve(entry.vr, tag: tag, pixelRepresentation: pixelRepresentation,
                           lutDescriptorFirst: lutDescriptorFirst, undefinedLength: undefinedLength)
        }
        guard let dvr = DataDictionary.vr(for: tag) else { return .UN }
        return resolve(dvr, tag: tag, pixelRepresentation: pixelRepresentation, lutDescriptorFirst: lutDescriptorFirst,
                       undefinedLength: undefinedLength)
    }

    func resolve(_ dvr: DictionaryVR, tag: Tag, pixelRepresentation: Int?, lutDescriptorFirst: Int?,
                 undefinedLength: Bool) -> VR {
        switch dvr {
        case .vr(let vr): return vr
        case .obOrOW:
            // Encapsulated pixel data is OB; native pixel data, overlays and waveforms in implicit VR are OW.
            return undefinedLength ? .OB : .OW
        case .usOrSS:
            return (pixelRepresentation ?? 0) == 0 ? .US : .SS
        case .usOrOW:
            // LUT Data is US when the LUT has one entry, OW otherwise (PS3.3 C.11.1.1.1).
            return lutDescriptorFirst == 1 ? .US : .OW
        case .usOrSSOrOW:
            return .OW
        case .none:
            return .UN
        }
    }

    func swapped(_ start: Int, _ length: Int, unit: Int) -> Bytes {
        Bytes(count: length) { out in
            let src = base + start
            var i = 0
            while i + unit <= length {
                for k in 0..<unit {
                    out[i + k] = src.load(fromByteOffset: i + unit - 1 - k, as: UInt8.self)
                }
                i += unit
            }
            // A trailing partial unit (an odd length) is copied unchanged.
            while i < length {
                out[i] = src.load(fromByteOffset: i, as: UInt8.self)
                i += 1
            }
        }
    }

    // MARK: Undefined lengths

    mutating func parseUndefinedLength(tag: Tag, vr: VR, vrFromDictionary: Bool, at start: Int, limit: Int,
                                       encoding: Encoding, context: Context) throws(DICOMParseError) -> DataElement {
        if vr == .SQ {
            let seq = try parseSequence(tag: tag, at: start, limit: limit, undefined: true, encoding: encoding, context: context)
            return DataElement(tag: tag, vr: vr, value: .sequence(seq))
        }
        if vr == .UN {
            // PS3.5 §6.2.2: UN with undefined length holds a sequence encoded in implicit VR little endian.
            let implicit = Encoding(explicitVR: false, bigEndian: false)
            if vrFromDictionary, offset + 8 <= limit {
                // An unknown implicit VR element: a sequence only if items follow; otherwise raw bytes up to
                // a sequence delimiter, as pydicom reads it.
                let next = self.tag(at: offset, encoding.bigEndian)
                if next != .item && next != .sequenceDelimitationItem {
                    return DataElement(tag: tag, vr: .UN, bytes: try scanToSequenceDelimiter(tag: tag, at: start, limit: limit,
                                                                                            bigEndian: encoding.bigEndian))
                }
            }
            let seq = try parseSequence(tag: tag, at: start, limit: limit, undefined: true, encoding: implicit, context: context)
            if !vrFromDictionary {
                return DataElement(tag: tag, vr: .UN, value: .sequence(seq))
            }
            // In implicit VR, an unknown element of undefined length can only be a sequence.
            return DataElement(tag: tag, vr: .SQ, value: .sequence(seq))
        }
        if vr == .OB || vr == .OW {
            let pixels = try parseEncapsulated(tag: tag, at: start, limit: limit, encoding: encoding)
            return DataElement(tag: tag, vr: vr, value: .encapsulated(pixels))
        }
        // Any other VR with undefined length: read it as a sequence when items follow (DCMTK does the same).
        if offset + 8 <= limit, self.tag(at: offset, encoding.bigEndian) == .item
            || self.tag(at: offset, encoding.bigEndian) == .sequenceDelimitationItem {
            let seq = try parseSequence(tag: tag, at: start, limit: limit, undefined: true, encoding: encoding, context: context)
            // Items make it a sequence, whatever the dictionary said: it is kept, and written, as SQ.
            warnings.append("element \(tag) of VR \(vr) has undefined length and items; read as a sequence")
            return DataElement(tag: tag, vr: .SQ, value: .sequence(seq))
        }
        throw error(.unexpectedUndefinedLength, at: start, tag)
    }

    /// Reads an undefined-length value up to the Sequence Delimitation Item that ends it.
    mutating func scanToSequenceDelimiter(tag: Tag, at start: Int, limit: Int, bigEndian: Bool) throws(DICOMParseError) -> Bytes {
        let valueStart = offset
        var i = valueStart
        while i + 8 <= limit {
            if self.tag(at: i, bigEndian) == .sequenceDelimitationItem && u32(i + 4, bigEndian) == 0 {
                offset = i + 8
                return bytes(valueStart, i - valueStart)
            }
            i += 1
        }
        try truncation(needed: 8, at: start, tag: tag, available: limit - valueStart)
        offset = limit
        return bytes(valueStart, limit - valueStart)
    }

    // MARK: Sequences

    mutating func parseSequence(tag: Tag, at start: Int, limit: Int, undefined: Bool, encoding: Encoding,
                                context: Context) throws(DICOMParseError) -> DICOMSequence {
        guard context.depth < options.maximumDepth else {
            throw error(.nestingTooDeep(limit: options.maximumDepth), at: start, tag)
        }
        var items: [SequenceItem] = []
        let inner = Context(characterSet: context.characterSet, pixelRepresentation: context.pixelRepresentation,
                            depth: context.depth + 1)
        while true {
            if offset >= limit {
                if undefined { try truncation(needed: 8, at: offset, tag: tag) }
                break
            }
            let itemStart = offset
            guard limit - itemStart >= 8 else {
                try truncation(needed: 8, at: itemStart, tag: tag, available: limit - itemStart)
                offset = limit
                break
            }
            let itemTag = self.tag(at: itemStart, encoding.bigEndian)
            let itemLength = u32(itemStart + 4, encoding.bigEndian)
            offset = itemStart + 8
            if itemTag == .sequenceDelimitationItem {
                if undefined { break }
                // A delimiter inside a defined-length sequence: tolerated, as DCMTK does.
                warnings.append("sequence delimiter inside a defined-length sequence \(tag)")
                continue
            }
            guard itemTag == .item else {
                if itemTag == .itemDelimitationItem {
                    warnings.append("stray item delimiter in sequence \(tag) at offset \(reportOffset + itemStart)")
                    continue
                }
                throw error(.expectedItem(found: itemTag), at: itemStart, tag)
            }
            let dataSet: DataSet
            if itemLength == 0xFFFF_FFFF {
                dataSet = try parseDataSet(limit: limit, delimited: true, encoding: encoding, context: inner, topLevel: false)
            } else {
                var end = offset + Int(itemLength)
                if end > limit {
                    // As for sequences: an item length that overstates its content is tolerated at the end.
                    warnings.append("item of \(tag) at offset \(reportOffset + itemStart): length \(itemLength) exceeds the \(limit - offset) bytes left")
                    end = limit
                }
                dataSet = try parseDataSet(limit: end, delimited: false, encoding: encoding, context: inner, topLevel: false)
                offset = end
            }
            items.append(SequenceItem(dataSet, hasUndefinedLength: itemLength == 0xFFFF_FFFF))
        }
        return DICOMSequence(items: items, hasUndefinedLength: undefined)
    }

    // MARK: Encapsulated pixel data (PS3.5 §A.4)

    mutating func parseEncapsulated(tag: Tag, at start: Int, limit: Int, encoding: Encoding) throws(DICOMParseError) -> EncapsulatedPixelData {
        var table: Bytes?
        var fragments: [Bytes] = []
        while true {
            let itemStart = offset
            guard limit - itemStart >= 8 else {
                try truncation(needed: 8, at: itemStart, tag: tag, available: limit - itemStart)
                offset = limit
                break
            }
            let itemTag = self.tag(at: itemStart, encoding.bigEndian)
            let length = u32(itemStart + 4, encoding.bigEndian)
            offset = itemStart + 8
            if itemTag == .sequenceDelimitationItem { break }
            guard itemTag == .item else { throw error(.expectedItem(found: itemTag), at: itemStart, tag) }
            guard length != 0xFFFF_FFFF else { throw error(.unexpectedUndefinedLength, at: itemStart, tag) }
            var n = Int(length)
            if n > limit - offset {
                try truncation(needed: n, at: itemStart, tag: tag, available: limit - offset)
                n = limit - offset
            }
            let value = bytes(offset, n)
            offset += n
            if table == nil { table = value } else { fragments.append(value) }
        }
        return EncapsulatedPixelData(basicOffsetTable: table ?? Bytes(), fragments: fragments)
    }
}
