import DICOMCore
import Testing

@Suite("Parse errors")
struct ParseErrorTests {
    /// (0008,0060) CS "CT", then (0010,0010) PN declaring 10 bytes with only "Doe^" left.
    static func truncatedBody() -> [UInt8] {
        var s = Stream()
        s.explicit(0x0008_0060, "CS", "CT")
        s.explicitHeader(0x0010_0010, "PN", length: 10)
        s.raw(ascii("Doe^"))
        return s.bytes
    }

    @Test("a truncated value names the element, its offset and what is missing")
    func truncatedValue() {
        let error = parseFailure { _ = try DICOMFile.parseDataSet(Bytes(Self.truncatedBody()), transferSyntax: .explicitVRLittleEndian) }
        #expect(error == DICOMParseError(.truncated(needed: 10, available: 4), offset: 10, tag: .patientName))
        #expect(error?.description.contains("(0010,0010)") == true)
    }

    @Test("offsets in a Part 10 file count from the start of the file")
    func truncatedFile() {
        let bytes = part10(transferSyntaxUID: "1.2.840.10008.1.2.1", body: Self.truncatedBody())
        let error = parseFailure { _ = try DICOMFile(bytes: Bytes(bytes)) }
        #expect(error == DICOMParseError(.truncated(needed: 10, available: 4), offset: 132 + 12 + 42 + 10, tag: .patientName))
    }

    @Test("a truncated header")
    func truncatedHeader() {
        var s = Stream()
        s.explicit(0x0008_0060, "CS", "CT")
        s.tag(0x7FE0_0010)
        s.raw(ascii("OB"))
        s.u16(0)
        s.raw([0x10, 0x00])  // two of the four length bytes
        let error = parseFailure { _ = try DICOMFile.parseDataSet(s.data, transferSyntax: .explicitVRLittleEndian) }
        #expect(error?.reason == .truncated(needed: 12, available: 10))
        #expect(error?.offset == 10)
        #expect(error?.tag == .pixelData)
    }

    @Test("a length of about 4 GB is a truncation, not a crash or an allocation")
    func hugeLength() {
        var s = Stream()
        s.implicitHeader(0x0010_0010, length: 0xFFFF_FFF0)
        s.raw(ascii("Doe^"))
        let error = parseFailure { _ = try DICOMFile.parseDataSet(s.data, transferSyntax: .implicitVRLittleEndian) }
        #expect(error == DICOMParseError(.truncated(needed: 0xFFFF_FFF0, available: 4), offset: 0, tag: .patientName))

        var e = Stream()
        e.explicitHeader(0x7FE0_0010, "OB", length: 0xFFFF_FFF0)
        e.raw([1, 2])
        let explicitError = parseFailure { _ = try DICOMFile.parseDataSet(e.data, transferSyntax: .explicitVRLittleEndian) }
        #expect(explicitError == DICOMParseError(.truncated(needed: 0xFFFF_FFF0, available: 2), offset: 0, tag: .pixelData))
    }

    static func deeplyNested(depth: Int, explicit: Bool) -> Stream {
        var s = Stream()
        for _ in 0..<depth {
            if explicit { s.explicitHeader(0x0040_A730, "SQ", length: 0xFFFF_FFFF) } else { s.implicitHeader(0x0040_A730, length: 0xFFFF_FFFF) }
            s.item()
        }
        for _ in 0..<depth {
            s.itemDelimiter()
            s.sequenceDelimiter()
        }
        return s
    }

    @Test("sequences nested 10,000 deep are refused with nestingTooDeep", arguments: [true, false])
    func deepNesting(explicit: Bool) {
        let data = Self.deeplyNested(depth: 10_000, explicit: explicit).data
        let perLevel = explicit ? 20 : 16
        let syntax: TransferSyntax = explicit ? .explicitVRLittleEndian : .implicitVRLittleEndian
        let error = parseFailure { _ = try DICOMFile.parseDataSet(data, transferSyntax: syntax) }
        #expect(error == DICOMParseError(.nestingTooDeep(limit: 64), offset: 64 * perLevel, tag: Tag(0x0040_A730)))
        let tolerant = parseFailure {
            _ = try DICOMFile.parseDataSet(data, transferSyntax: syntax, options: ReadOptions(allowTruncation: true))
        }
        #expect(tolerant?.reason == .nestingTooDeep(limit: 64))
        let file = parseFailure { _ = try DICOMFile(bytes: data) }
        #expect(file?.reason == .nestingTooDeep(limit: 64))
    }

    @Test("nesting within the limit is read; the limit is configurable")
    func nestingLimit() throws {
        let data = Self.deeplyNested(depth: 64, explicit: true).data
        var ds = try DICOMFile.parseDataSet(data, transferSyntax: .explicitVRLittleEndian)
        var levels = 0
        while let next = ds.items(Tag(0x0040_A730))?.first {
            levels += 1
            ds = next
        }
        #expect(levels == 64)
        let error = parseFailure {
            _ = try DICOMFile.parseDataSet(data, transferSyntax: .explicitVRLittleEndian, options: ReadOptions(maximumDepth: 10))
        }
        #expect(error?.reason == .nestingTooDeep(limit: 10))
        #expect(error?.offset == 200)
    }

    @Test("garbage is not DICOM")
    func garbage() {
        let text = parseFailure { _ = try DICOMFile(bytes: Bytes(ascii("this is certainly not a DICOM file, just text"))) }
        guard case .notDICOM? = text?.reason else { Issue.record("expected notDICOM, got \(String(describing: text))"); return }
        #expect(text?.offset == 0)

        let afterDICM = parseFailure { _ = try DICOMFile(bytes: Bytes([UInt8](repeating: 0, count: 128) + ascii("DICM") + ascii("garbage!garbage!"))) }
        guard case .notDICOM? = afterDICM?.reason else { Issue.record("expected notDICOM, got \(String(describing: afterDICM))"); return }
        #expect(afterDICM?.offset == 132)

        #expect(parseFailure { _ = try DICOMFile(bytes: Bytes()) } != nil)
        #expect(parseFailure { _ = try DICOMFile(bytes: Bytes([0x08, 0x00])) } != nil)
    }

    @Test("random bytes never crash the parser")
    func randomBytes() {
        var rng = SplitMix(seed: 42)
        var failures = 0
        for round in 0..<300 {
            let n = Int(rng.next() % 300)
            var bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            // Half of the inputs start like a data set, so that the parser gets past the first element.
            if round % 2 == 0 && n >= 8 { bytes.replaceSubrange(0..<6, with: [0x08, 0x00, 0x05, 0x00] + ascii("SQ")) }
            for syntax in [TransferSyntax.explicitVRLittleEndian, .implicitVRLittleEndian, .explicitVRBigEndian] {
                if parseFailure({ _ = try DICOMFile.parseDataSet(Bytes(bytes), transferSyntax: syntax) }) != nil { failures += 1 }
            }
            _ = parseFailure { _ = try DICOMFile(bytes: Bytes(bytes)) }
        }
        #expect(failures > 0)
    }

    @Test("an item tag where an element is expected")
    func itemAtTopLevel() {
        var s = Stream()
        s.explicit(0x0008_0060, "CS", "CT")
        s.item(length: 0)
        let error = parseFailure { _ = try DICOMFile.parseDataSet(s.data, transferSyntax: .explicitVRLittleEndian) }
        #expect(error == DICOMParseError(.notDICOM("unexpected item tag in a data set"), offset: 10, tag: .item))

        var nested = Stream()
        nested.explicitHeader(0x0008_1140, "SQ", length: 0xFFFF_FFFF)
        nested.item()
        nested.item(length: 0)
        let inner = parseFailure { _ = try DICOMFile.parseDataSet(nested.data, transferSyntax: .explicitVRLittleEndian) }
        #expect(inner?.tag == .item)
        #expect(inner?.offset == 20)
    }

    @Test("an element where an item is expected")
    func elementInSequence() {
        var s = Stream()
        s.explicitHeader(0x0008_1140, "SQ", length: 0xFFFF_FFFF)
        s.explicit(0x0010_0010, "PN", "Doe^")
        let error = parseFailure { _ = try DICOMFile.parseDataSet(s.data, transferSyntax: .explicitVRLittleEndian) }
        #expect(error == DICOMParseError(.expectedItem(found: .patientName), offset: 12, tag: Tag(0x0008_1140)))
    }

    @Test("a VR field that is not two letters, after the first element")
    func invalidVR() {
        var s = Stream()
        s.explicit(0x0008_0060, "CS", "CT")
        s.tag(0x0010_0010)
        s.raw([0x01, 0x02, 0x04, 0x00])
        s.raw(ascii("Doe^"))
        let error = parseFailure { _ = try DICOMFile.parseDataSet(s.data, transferSyntax: .explicitVRLittleEndian) }
        #expect(error == DICOMParseError(.invalidVR("0102"), offset: 10, tag: .patientName))
    }

    @Test("undefined length on a VR that cannot have one")
    func undefinedLengthText() {
        var s = Stream()
        s.explicitHeader(0x0040_A160, "UT", length: 0xFFFF_FFFF)
        s.raw(ascii("text"))
        let error = parseFailure { _ = try DICOMFile.parseDataSet(s.data, transferSyntax: .explicitVRLittleEndian) }
        #expect(error == DICOMParseError(.unexpectedUndefinedLength, offset: 0, tag: Tag(0x0040_A160)))
    }

    @Test("an unterminated sequence is truncated")
    func unterminatedSequence() {
        var s = Stream()
        s.explicitHeader(0x0008_1140, "SQ", length: 0xFFFF_FFFF)
        s.item()
        s.explicit(0x0008_1150, "UI", "1.2\0")
        let error = parseFailure { _ = try DICOMFile.parseDataSet(s.data, transferSyntax: .explicitVRLittleEndian) }
        guard case .truncated? = error?.reason else { Issue.record("expected truncated, got \(String(describing: error))"); return }
        #expect(error?.offset == s.count)
    }

    @Test("allowTruncation yields the partial data set and a warning")
    func allowTruncation() throws {
        let bytes = part10(transferSyntaxUID: "1.2.840.10008.1.2.1", body: Self.truncatedBody())
        let file = try DICOMFile(bytes: Bytes(bytes), options: ReadOptions(allowTruncation: true))
        #expect(file.dataSet.string(.modality) == "CT")
        #expect(file.dataSet[.patientName]?.bytes?.array == ascii("Doe^"))
        #expect(file.warnings.filter { $0.contains("truncated") }.count == 1)
        #expect(file.warnings.contains { $0.contains("(0010,0010)") })

        var s = Stream()
        s.explicit(0x0008_0060, "CS", "CT")
        s.explicitHeader(0x0008_1140, "SQ", length: 0xFFFF_FFFF)
        s.item()
        s.explicit(0x0008_1150, "UI", "1.2\0")
        let partial = try DICOMFile.parseDataSet(s.data, transferSyntax: .explicitVRLittleEndian, options: ReadOptions(allowTruncation: true))
        #expect(partial.items(Tag(0x0008_1140))?.first?.string(Tag(0x0008_1150)) == "1.2")
    }
}

/// A small deterministic generator, so that the random-input test is reproducible.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
