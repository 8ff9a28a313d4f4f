/// Building elements from typed values: the inverse of ElementValues.
extension DataElement {
    /// A text element; values are joined with backslash, encoded in `characterSet` where the VR uses it, and
    /// padded to even length (PS3.5 §6.2).
    public init(tag: Tag, vr: VR, strings: [String], characterSet: SpecificCharacterSet) throws(CharacterSetError) {
        let text = strings.joined(separator: "\\")
        var encoded = vr.usesSpecificCharacterSet
            ? try characterSet.encode(text, isPersonName: vr == .PN)
            : try SpecificCharacterSet.default.encode(text)
        if encoded.count & 1 == 1 { encoded.append(vr.paddingByte) }
        self.init(tag: tag, vr: vr, bytes: Bytes(encoded))
    }

    /// A text element in the default repertoire, or in UTF-8 bytes where the text is not ASCII (set Specific
    /// Character Set to ISO_IR 192 for such data sets, or use the throwing initialiser).
    public init(tag: Tag, vr: VR, strings: [String]) {
        var encoded = Array(strings.joined(separator: "\\").utf8)
        if encoded.count & 1 == 1 { encoded.append(vr.paddingByte) }
        self.init(tag: tag, vr: vr, bytes: Bytes(encoded))
    }

    public init(tag: Tag, vr: VR, string: String) {
        self.init(tag: tag, vr: vr, strings: [string])
    }

    /// Binary numbers, encoded little endian.
    @inlinable
    public init<T: FixedWidthInteger>(tag: Tag, vr: VR, integers: [T]) {
        #if _endian(little)
        // Memory order is already the encoded order: one copy.
        let bytes = integers.withUnsafeBytes { Bytes(copying: $0) }
        #else
        let size = MemoryLayout<T>.size
        let bytes = Bytes(count: integers.count * size) { buf in
            for i in integers.indices { buf.storeBytes(of: integers[i].littleEndian, toByteOffset: i * size, as: T.self) }
        }
        #endif
        self.init(tag: tag, vr: vr, bytes: bytes)
    }

    public init(tag: Tag, floats: [Float], vr: VR = .FL) {
        self.init(tag: tag, vr: vr, integers: floats.map(\.bitPattern))
    }

    public init(tag: Tag, doubles: [Double], vr: VR = .FD) {
        self.init(tag: tag, vr: vr, integers: doubles.map(\.bitPattern))
    }

    /// AT values.
    public init(tag: Tag, tags: [Tag]) {
        self.init(tag: tag, vr: .AT, integers: tags.flatMap { [$0.group, $0.element] })
    }

    /// DS values formatted in at most 16 characters each.
    public init(tag: Tag, decimalStrings: [Double]) {
        self.init(tag: tag, vr: .DS, strings: decimalStrings.map(formatDS))
    }

    /// IS values.
    public init(tag: Tag, integerStrings: [Int]) {
        self.init(tag: tag, vr: .IS, strings: integerStrings.map { String($0) })
    }

    /// A sequence of items.
    public init(tag: Tag, items: [DataSet]) {
        self.init(tag: tag, vr: .SQ, value: .sequence(DICOMSequence(items)))
    }

    /// Raw bytes, padded to even length with the VR's padding byte.
    public init(tag: Tag, vr: VR, data: [UInt8]) {
        var d = data
        if d.count & 1 == 1 { d.append(vr.paddingByte) }
        self.init(tag: tag, vr: vr, bytes: Bytes(d))
    }
}

/// Typed access by tag, decoding text with the data set's character set.
extension DataSet {
    public func string(_ tag: Tag) -> String? { self[tag]?.string(characterSet: characterSet) }
    public func strings(_ tag: Tag) -> [String]? { self[tag]?.strings(characterSet: characterSet) }
    public func integer(_ tag: Tag) -> Int? { self[tag]?.integer }
    public func integers(_ tag: Tag) -> [Int]? { self[tag]?.integers }
    public func decimal(_ tag: Tag) -> Double? { self[tag]?.decimal }
    public func decimals(_ tag: Tag) -> [Double]? { self[tag]?.decimals }
    public func date(_ tag: Tag) -> DICOMDate? { self[tag]?.dates?.first }
    public func time(_ tag: Tag) -> DICOMTime? { self[tag]?.times?.first }
    public func dateTime(_ tag: Tag) -> DICOMDateTime? { self[tag]?.dateTimes?.first }
    public func personName(_ tag: Tag) -> PersonName? { self[tag]?.personNames(characterSet: characterSet)?.first }
    public func items(_ tag: Tag) -> [DataSet]? { self[tag]?.sequence?.items.map(\.dataSet) }

    /// Sets a text element, encoding it in this data set's character set.
    public mutating func setString(_ tag: Tag, _ value: String, vr: VR? = nil) throws(CharacterSetError) {
        let vr = vr ?? DataDictionary.vr(for: tag)?.preferred ?? .UN
        set(try DataElement(tag: tag, vr: vr, strings: [value], characterSet: characterSet))
    }
}
