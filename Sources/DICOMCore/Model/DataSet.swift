/// A data set (PS3.5 §7): data elements in ascending tag order.
///
/// A value type: copies are cheap (elements share their byte storage) and edits never reach other copies.
public struct DataSet: Sendable, Hashable, RandomAccessCollection {
    public private(set) var elements: [DataElement]
    /// The Specific Character Set of the enclosing data set, for an item that has none of its own
    /// (PS3.5 §7.5.2: items inherit it).
    public var inheritedCharacterSet: SpecificCharacterSet?

    public init() { elements = [] }

    /// Equal when the elements are: the inherited character set is context from the enclosing data set, not
    /// content (an item built in code and the same item parsed from a file are the same item).
    public static func == (a: DataSet, b: DataSet) -> Bool { a.elements == b.elements }

    public func hash(into hasher: inout Hasher) { hasher.combine(elements) }

    public init(_ elements: [DataElement]) {
        self.elements = []
        for e in elements { self[e.tag] = e }
    }

    /// Builds from elements known to be sorted and unique (the parser's fast path).
    init(sortedElements: [DataElement], inherited: SpecificCharacterSet?) {
        elements = sortedElements
        inheritedCharacterSet = inherited
    }

    // MARK: Collection

    public var startIndex: Int { 0 }
    public var endIndex: Int { elements.count }
    public subscript(position: Int) -> DataElement { elements[position] }

    // MARK: Access by tag

    func index(of tag: Tag) -> (found: Bool, index: Int) {
        var lo = 0, hi = elements.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            let t = elements[mid].tag
            if t == tag { return (true, mid) }
            if t < tag { lo = mid + 1 } else { hi = mid }
        }
        return (false, lo)
    }

    public subscript(tag: Tag) -> DataElement? {
        get {
            let (found, i) = index(of: tag)
            return found ? elements[i] : nil
        }
        set {
            let (found, i) = index(of: tag)
            if let newValue {
                precondition(newValue.tag == tag, "element stored under another tag")
                if found { elements[i] = newValue } else { elements.insert(newValue, at: i) }
            } else if found {
                elements.remove(at: i)
            }
        }
    }

    public func contains(_ tag: Tag) -> Bool { index(of: tag).found }

    /// Adds or replaces an element.
    public mutating func set(_ element: DataElement) { self[element.tag] = element }

    @discardableResult
    public mutating func remove(_ tag: Tag) -> DataElement? {
        let old = self[tag]
        self[tag] = nil
        return old
    }

    /// Removes every element the predicate selects.
    public mutating func removeAll(where predicate: (DataElement) throws -> Bool) rethrows {
        try elements.removeAll(where: predicate)
    }

    /// The elements of one group, e.g. the file meta information (0002).
    public func group(_ group: UInt16) -> DataSet {
        DataSet(sortedElements: elements.filter { $0.tag.group == group }, inherited: inheritedCharacterSet)
    }

    /// Appends without sorting; the caller guarantees ascending order.
    mutating func appendSorted(_ element: DataElement) {
        elements.append(element)
    }

    /// The same data set in memory of its own, one buffer for all its values: elements read from a file point
    /// into the file's buffer (or mapping) and keep all of it alive; a compacted copy keeps only what it holds.
    /// For data sets kept long (an index's headers).
    public func compacted() -> DataSet {
        var writer = DataSetWriter(explicitVR: true)
        writer.groupLengths = .keep
        guard let encoded = try? writer.encode(self),
              var copy = try? DICOMFile.parseDataSet(ByteRegion.copying(encoded).bytes, transferSyntax: .explicitVRLittleEndian)
        else { return self }
        copy.inheritedCharacterSet = inheritedCharacterSet
        return copy
    }

    // MARK: Character set

    /// The character set for this data set's text values: its own (0008,0005), or the inherited one, or the
    /// default repertoire.
    public var characterSet: SpecificCharacterSet {
        if let e = self[.specificCharacterSet], let b = e.bytes {
            return SpecificCharacterSet(encoded: b)
        }
        return inheritedCharacterSet ?? .default
    }

    // MARK: Private elements (PS3.5 §7.8)

    /// The creator that reserved the block of a private element: the value of (gggg,00xx).
    public func privateCreator(of tag: Tag) -> String? {
        guard let creatorTag = tag.privateCreatorTag, let e = self[creatorTag] else { return nil }
        return e.string(characterSet: .default).map(DataDictionary.trimmedCreator)
    }

    /// The tag of a private element, found by its creator and its offset within the block.
    public func privateTag(group: UInt16, creator: String, offset: UInt8) -> Tag? {
        let wanted = DataDictionary.trimmedCreator(creator)
        for block in UInt16(0x10)...0xFF {
            guard let e = self[Tag(group: group, element: block)] else { continue }
            if e.string(characterSet: .default).map(DataDictionary.trimmedCreator) == wanted {
                return Tag(group: group, element: block << 8 | UInt16(offset))
            }
        }
        return nil
    }

    /// Reserves a block for `creator` in `group` (reusing one it already has) and returns the tag for `offset`.
    public mutating func reservePrivateTag(group: UInt16, creator: String, offset: UInt8) -> Tag? {
        if let tag = privateTag(group: group, creator: creator, offset: offset) { return tag }
        for block in UInt16(0x10)...0xFF where self[Tag(group: group, element: block)] == nil {
            set(DataElement(tag: Tag(group: group, element: block), vr: .LO, string: creator))
            return Tag(group: group, element: block << 8 | UInt16(offset))
        }
        return nil
    }
}
