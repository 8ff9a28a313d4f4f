import DICOMCore
import Testing

@Suite("Parsing sequences")
struct SequenceParsingTests {
    /// (0008,1140) of undefined length with an undefined-length item and a defined-length item, then
    /// (0008,2218) of defined length with a defined-length item, then (0010,0010).
    static func stream(explicit: Bool, bigEndian: Bool = false) -> Stream {
        var s = Stream(bigEndian: bigEndian)
        func element(_ tag: UInt32, _ vr: String, _ value: [UInt8]) {
            if explicit { s.explicit(tag, vr, value) } else { s.implicit(tag, value) }
        }
        func sequenceHeader(_ tag: UInt32, length: UInt32) {
            if explicit { s.explicitHeader(tag, "SQ", length: length) } else { s.implicitHeader(tag, length: length) }
        }
        sequenceHeader(0x0008_1140, length: 0xFFFF_FFFF)
        s.item()
        element(0x0008_1150, "UI", ascii("1.2.3\0"))
        element(0x0008_1155, "UI", ascii("1.2.3.4\0"))
        s.itemDelimiter()
        s.item(length: 14)
        element(0x0008_1150, "UI", ascii("1.2.4\0"))
        s.sequenceDelimiter()

        sequenceHeader(0x0008_2218, length: 8 + 16 + 8 + 8 + 8)
        s.item(length: 16)
        element(0x0008_0100, "SH", ascii("T-D0050 "))
        s.item(length: 0)
        s.item(length: 0xFFFF_FFFF)
        s.itemDelimiter()

        element(0x0010_0010, "PN", ascii("Doe^John"))
        return s
    }

    func check(_ ds: DataSet) throws {
        #expect(ds.map(\.tag.rawValue) == [0x0008_1140, 0x0008_2218, 0x0010_0010])
        let images = try #require(ds[Tag(0x0008_1140)]?.sequence)
        #expect(ds[Tag(0x0008_1140)]?.vr == .SQ)
        #expect(images.hasUndefinedLength)
        #expect(images.items.count == 2)
        #expect(images.items[0].hasUndefinedLength)
        #expect(!images.items[1].hasUndefinedLength)
        #expect(images.items[0].dataSet.string(Tag(0x0008_1150)) == "1.2.3")
        #expect(images.items[0].dataSet.string(Tag(0x0008_1155)) == "1.2.3.4")
        #expect(images.items[1].dataSet.string(Tag(0x0008_1150)) == "1.2.4")
        #expect(images.items[1].dataSet.count == 1)

        let region = try #require(ds[Tag(0x0008_2218)]?.sequence)
        #expect(!region.hasUndefinedLength)
        #expect(region.items.count == 3)
        #expect(!region.items[0].hasUndefinedLength)
        #expect(region.items[0].dataSet.string(Tag(0x0008_0100)) == "T-D0050")
        #expect(region.items[1].dataSet.isEmpty && !region.items[1].hasUndefinedLength)
        #expect(region.items[2].dataSet.isEmpty && region.items[2].hasUndefinedLength)
        #expect(ds.items(Tag(0x0008_2218))?.count == 3)

        #expect(ds.string(.patientName) == "Doe^John")
    }

    @Test("defined and undefined lengths, explicit VR little endian")
    func explicitVR() throws {
        try check(DICOMFile.parseDataSet(Self.stream(explicit: true).data, transferSyntax: .explicitVRLittleEndian))
    }

    @Test("defined and undefined lengths, implicit VR little endian")
    func implicitVR() throws {
        try check(DICOMFile.parseDataSet(Self.stream(explicit: false).data, transferSyntax: .implicitVRLittleEndian))
    }

    @Test("defined and undefined lengths, explicit VR big endian")
    func bigEndian() throws {
        try check(DICOMFile.parseDataSet(Self.stream(explicit: true, bigEndian: true).data, transferSyntax: .explicitVRBigEndian))
    }

    @Test("empty sequences of both kinds")
    func emptySequences() throws {
        var s = Stream()
        s.explicitHeader(0x0008_1140, "SQ", length: 0)
        s.explicitHeader(0x0008_2218, "SQ", length: 0xFFFF_FFFF)
        s.sequenceDelimiter()
        let ds = try DICOMFile.parseDataSet(s.data, transferSyntax: .explicitVRLittleEndian)
        let a = try #require(ds[Tag(0x0008_1140)]?.sequence)
        let b = try #require(ds[Tag(0x0008_2218)]?.sequence)
        #expect(a.items.isEmpty && !a.hasUndefinedLength)
        #expect(b.items.isEmpty && b.hasUndefinedLength)
        #expect(ds[Tag(0x0008_1140)]?.isEmpty == true)
    }

    @Test("nested sequences three levels deep, mixing lengths")
    func nested() throws {
        var s = Stream()
        s.explicitHeader(0x0040_A730, "SQ", length: 0xFFFF_FFFF)
        s.item()
        s.explicit(0x0040_A010, "CS", "CONTAINS")
        // Level 2, defined length: an item of (0040,A010), 16 bytes, and level 3, 12 + 8 + 16 + 8 + 8 = 52 bytes.
        s.explicitHeader(0x0040_A730, "SQ", length: 8 + 16 + 52)
        s.item(length: 16 + 52)
        s.explicit(0x0040_A010, "CS", "HAS PROP")
        s.explicitHeader(0x0040_A730, "SQ", length: 0xFFFF_FFFF)
        s.item()
        s.explicit(0x0040_A160, "UT", "deep")
        s.itemDelimiter()
        s.sequenceDelimiter()
        s.itemDelimiter()
        s.sequenceDelimiter()
        s.explicit(0x0040_A160, "UT", "top ")

        let ds = try DICOMFile.parseDataSet(s.data, transferSyntax: .explicitVRLittleEndian)
        #expect(ds.count == 2)
        let level1 = try #require(ds.items(Tag(0x0040_A730))?.first)
        #expect(level1.string(Tag(0x0040_A010)) == "CONTAINS")
        let level2 = try #require(level1.items(Tag(0x0040_A730))?.first)
        #expect(level1[Tag(0x0040_A730)]?.sequence?.hasUndefinedLength == false)
        #expect(level2.string(Tag(0x0040_A010)) == "HAS PROP")
        let level3 = try #require(level2.items(Tag(0x0040_A730))?.first)
        #expect(level3.string(Tag(0x0040_A160)) == "deep")
        #expect(ds.string(Tag(0x0040_A160)) == "top")
    }

    @Test("UN of undefined length is read as an implicit VR sequence")
    func unSequence() throws {
        var s = Stream()
        s.explicitHeader(0x0008_1140, "UN", length: 0xFFFF_FFFF)
        s.item()
        s.implicit(0x0008_1150, "1.2.3\0")
        s.itemDelimiter()
        s.item(length: 14)
        s.implicit(0x0008_1155, "1.2.5\0")
        s.sequenceDelimiter()
        s.explicitHeader(0x0009_1010, "UN", length: 0xFFFF_FFFF)
        s.item()
        s.implicit(0x0010_0020, "PID1")
        s.itemDelimiter()
        s.sequenceDelimiter()
        s.explicit(0x0010_0010, "PN", "Doe^John")

        let ds = try DICOMFile.parseDataSet(s.data, transferSyntax: .explicitVRLittleEndian)
        let un = try #require(ds[Tag(0x0008_1140)])
        #expect(un.vr == .UN)
        let seq = try #require(un.sequence)
        #expect(seq.items.count == 2)
        #expect(seq.items[0].dataSet[Tag(0x0008_1150)]?.vr == .UI)
        #expect(seq.items[0].dataSet.string(Tag(0x0008_1150)) == "1.2.3")
        #expect(seq.items[1].dataSet.string(Tag(0x0008_1155)) == "1.2.5")
        #expect(ds.resolvingUN(un).vr == .SQ)
        #expect(ds.resolvingUN(un).sequence == seq)

        let privateSeq = try #require(ds[Tag(0x0009_1010)]?.sequence)
        #expect(privateSeq.items.first?.dataSet.string(.patientID) == "PID1")
        #expect(ds.string(.patientName) == "Doe^John")
    }

    @Test("unknown implicit VR elements of undefined length: a sequence when items follow, else raw bytes")
    func implicitUnknownUndefined() throws {
        var s = Stream()
        s.implicitHeader(0x0009_1010, length: 0xFFFF_FFFF)
        s.item()
        s.implicit(0x0010_0020, "PID1")
        s.itemDelimiter()
        s.sequenceDelimiter()
        s.implicitHeader(0x0011_1010, length: 0xFFFF_FFFF)
        s.raw([1, 2, 3, 4])
        s.sequenceDelimiter()
        let ds = try DICOMFile.parseDataSet(s.data, transferSyntax: .implicitVRLittleEndian)
        #expect(ds[Tag(0x0009_1010)]?.vr == .SQ)
        #expect(ds.items(Tag(0x0009_1010))?.first?.string(.patientID) == "PID1")
        #expect(ds[Tag(0x0011_1010)]?.vr == .UN)
        #expect(ds[Tag(0x0011_1010)]?.bytes?.array == [1, 2, 3, 4])
    }

    @Test("items inherit the Specific Character Set of their data set")
    func characterSetInheritance() throws {
        var s = Stream()
        s.explicit(0x0008_0005, "CS", "ISO_IR 100")
        s.explicitHeader(0x0008_1140, "SQ", length: 0xFFFF_FFFF)
        s.item()
        s.explicit(0x0010_0010, "PN", [0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72])  // "Müller" in Latin-1
        s.itemDelimiter()
        s.sequenceDelimiter()
        let ds = try DICOMFile.parseDataSet(s.data, transferSyntax: .explicitVRLittleEndian)
        let item = try #require(ds.items(Tag(0x0008_1140))?.first)
        #expect(item.inheritedCharacterSet?.terms == ["ISO_IR 100"])
        #expect(item.characterSet.terms == ["ISO_IR 100"])
        #expect(item.string(.patientName) == "Müller")
    }

    @Test("an SQ in the dictionary that holds text instead of items is kept as UN")
    func notASequence() throws {
        var s = Stream()
        s.implicit(0x0040_A170, "TEXT")
        let ds = try DICOMFile.parseDataSet(s.data, transferSyntax: .implicitVRLittleEndian)
        #expect(ds[Tag(0x0040_A170)]?.vr == .UN)
        #expect(ds[Tag(0x0040_A170)]?.bytes?.array == ascii("TEXT"))
    }

    @Test("a non-SQ element of undefined length that holds items is read as SQ and writes back readable")
    func undefinedLengthItemsUnderAnotherVR() throws {
        // (3039,0012) is a private creator (LO), yet here it has undefined length and items, as a fuzzer made it.
        var s = Stream()
        s.implicitHeader(0x3039_0012, length: 0xFFFF_FFFF)
        s.item()
        s.implicit(0x0008_1150, "1.2.3\0")
        s.itemDelimiter()
        s.sequenceDelimiter()
        let ds = try DICOMFile.parseDataSet(s.data, transferSyntax: .implicitVRLittleEndian)
        #expect(ds[Tag(0x3039_0012)]?.vr == .SQ)
        for syntax in [TransferSyntax.explicitVRLittleEndian, .implicitVRLittleEndian, .explicitVRBigEndian] {
            let written = try DataSetWriter(transferSyntax: syntax).encode(ds)
            let back = try DICOMFile.parseDataSet(Bytes(written), transferSyntax: syntax)
            #expect(back[Tag(0x3039_0012)]?.sequence?.items.first?.dataSet.string(Tag(0x0008_1150)) == "1.2.3")
        }
    }
}
