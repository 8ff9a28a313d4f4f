import DICOMCore
import Testing

/// Parsing bare data sets in the three native encodings, through `DICOMFile.parseDataSet`.
@Suite("Parsing encodings")
struct DataSetParsingTests {
    static let fd1000 = withUnsafeBytes(of: (1000.0 as Double).bitPattern.littleEndian) { Array($0) }

    /// The same elements in explicit VR (little or big endian) or implicit VR little endian.
    static func sample(explicit: Bool, bigEndian: Bool = false) -> Stream {
        var s = Stream(bigEndian: bigEndian)
        func add(_ tag: UInt32, _ vr: String, _ value: [UInt8]) {
            if explicit { s.explicit(tag, vr, value) } else { s.implicit(tag, value) }
        }
        // Numbers are given little endian and reversed per unit for big endian.
        func number(_ le: [UInt8], unit: Int) -> [UInt8] {
            guard bigEndian else { return le }
            return stride(from: 0, to: le.count, by: unit).flatMap { le[$0..<$0 + unit].reversed() }
        }
        add(0x0008_0060, "CS", ascii("CT"))
        add(0x0010_0010, "PN", ascii("Doe^John"))
        add(0x0018_0050, "DS", ascii("2.5 "))
        add(0x0018_6020, "SL", number(le32(UInt32(bitPattern: -5)), unit: 4))
        add(0x0018_9087, "FD", number(fd1000, unit: 8))
        add(0x0028_0009, "AT", number(le16(0x0018, 0x1063), unit: 2))
        add(0x0028_0010, "US", number(le16(512), unit: 2))
        add(0x0066_0040, "OL", number(le32(1, 0x0102_0304), unit: 4))
        add(0x7FE0_0010, "OW", number(le16(1, 2, 0x0304, 0xFFFE), unit: 2))
        return s
    }

    func checkSample(_ ds: DataSet) throws {
        #expect(ds.count == 9)
        #expect(ds.map(\.tag.rawValue) == [0x0008_0060, 0x0010_0010, 0x0018_0050, 0x0018_6020, 0x0018_9087,
                                           0x0028_0009, 0x0028_0010, 0x0066_0040, 0x7FE0_0010])
        #expect(ds.map(\.vr) == [.CS, .PN, .DS, .SL, .FD, .AT, .US, .OL, .OW])
        #expect(ds.string(.modality) == "CT")
        #expect(ds.string(.patientName) == "Doe^John")
        #expect(ds.decimal(Tag(0x0018_0050)) == 2.5)
        #expect(ds.integer(Tag(0x0018_6020)) == -5)
        #expect(ds[Tag(0x0018_9087)]?.doubles == [1000.0])
        #expect(ds[Tag(0x0028_0009)]?.tags == [Tag(0x0018_1063)])
        #expect(ds.integer(.rows) == 512)
        // Values are held little endian whatever the encoding.
        #expect(ds[.rows]?.bytes?.array == le16(512))
        #expect(ds[Tag(0x0066_0040)]?.uint32s == [1, 0x0102_0304])
        #expect(ds[.pixelData]?.bytes?.array == le16(1, 2, 0x0304, 0xFFFE))
    }

    @Test("explicit VR little endian")
    func explicitLittleEndian() throws {
        let ds = try DICOMFile.parseDataSet(Self.sample(explicit: true).data, transferSyntax: .explicitVRLittleEndian)
        try checkSample(ds)
    }

    @Test("implicit VR little endian takes VRs from the dictionary")
    func implicitLittleEndian() throws {
        let ds = try DICOMFile.parseDataSet(Self.sample(explicit: false).data, transferSyntax: .implicitVRLittleEndian)
        try checkSample(ds)
    }

    @Test("explicit VR big endian: numbers come back little endian, text untouched")
    func explicitBigEndian() throws {
        let stream = Self.sample(explicit: true, bigEndian: true)
        #expect(Array(stream.bytes.prefix(4)) == [0x00, 0x08, 0x00, 0x60])
        let ds = try DICOMFile.parseDataSet(stream.data, transferSyntax: .explicitVRBigEndian)
        try checkSample(ds)
    }

    @Test("an empty data set")
    func empty() throws {
        #expect(try DICOMFile.parseDataSet(Bytes(), transferSyntax: .explicitVRLittleEndian).isEmpty)
        #expect(try DICOMFile.parseDataSet(Bytes(), transferSyntax: .implicitVRLittleEndian).isEmpty)
    }

    @Test("odd-length values are tolerated and kept as read")
    func oddLengths() throws {
        var s = Stream()
        s.explicit(0x0010_0020, "LO", "ABC")
        s.explicit(0x0010_0030, "DA", "20000101")
        s.explicit(0x0010_0040, "CS", "M")
        let ds = try DICOMFile.parseDataSet(s.data, transferSyntax: .explicitVRLittleEndian)
        #expect(ds.count == 3)
        #expect(ds[.patientID]?.bytes?.count == 3)
        #expect(ds.string(.patientID) == "ABC")
        #expect(ds.date(Tag(0x0010_0030)) == DICOMDate(year: 2000, month: 1, day: 1))
        #expect(ds.string(Tag(0x0010_0040)) == "M")
    }

    @Test("US or SS follows Pixel Representation in implicit VR")
    func pixelRepresentation() throws {
        for (rep, vr) in [(UInt16(0), VR.US), (1, .SS)] {
            var s = Stream()
            s.implicit(0x0028_0103, le16(rep))
            s.implicit(0x0028_0106, le16(0xFFFF))
            let ds = try DICOMFile.parseDataSet(s.data, transferSyntax: .implicitVRLittleEndian)
            #expect(ds[Tag(0x0028_0106)]?.vr == vr)
            #expect(ds.integer(Tag(0x0028_0106)) == (rep == 0 ? 65535 : -1))
        }
    }

    @Test("private elements in implicit VR take their VR from the creator's dictionary")
    func privateImplicit() throws {
        var s = Stream()
        s.implicit(0x0009_0010, "GEMS_IDEN_01")
        s.implicit(0x0009_1001, "ABCD")
        s.implicit(0x0009_1027, le32(7))
        s.implicit(0x0011_1001, "WXYZ")
        let ds = try DICOMFile.parseDataSet(s.data, transferSyntax: .implicitVRLittleEndian)
        #expect(ds[Tag(0x0009_0010)]?.vr == .LO)
        #expect(ds[Tag(0x0009_1001)]?.vr == .LO)
        #expect(ds[Tag(0x0009_1027)]?.vr == .SL)
        #expect(ds[Tag(0x0011_1001)]?.vr == .UN)
        #expect(ds.privateCreator(of: Tag(0x0009_1001)) == "GEMS_IDEN_01")
    }

    @Test("a VR the standard does not define is read as UN")
    func unknownVR() throws {
        var s = Stream()
        s.tag(0x0009_1001)
        s.raw(ascii("ZZ"))
        s.u16(4)
        s.raw([1, 2, 3, 4])
        s.explicit(0x0010_0010, "PN", "Doe^")
        let ds = try DICOMFile.parseDataSet(s.data, transferSyntax: .explicitVRLittleEndian)
        #expect(ds[Tag(0x0009_1001)]?.vr == .UN)
        #expect(ds[Tag(0x0009_1001)]?.bytes?.array == [1, 2, 3, 4])
        #expect(ds.string(.patientName) == "Doe^")
    }

    @Test("UN hiding a known attribute resolves to the dictionary VR")
    func unResolution() throws {
        var s = Stream()
        s.explicit(0x0010_0010, "UN", "Doe^John")
        s.explicit(0x0028_0010, "UN", le16(256))
        let ds = try DICOMFile.parseDataSet(s.data, transferSyntax: .explicitVRLittleEndian)
        let name = try #require(ds[.patientName])
        #expect(name.vr == .UN)
        #expect(ds.resolvingUN(name).vr == .PN)
        #expect(ds.resolvingUN(name).bytes == name.bytes)
        let rows = ds.resolvingUN(try #require(ds[.rows]))
        #expect(rows.vr == .US)
        #expect(rows.integer == 256)
        let plain = DataElement(tag: .patientID, vr: .LO, string: "X")
        #expect(ds.resolvingUN(plain) == plain)
    }

    @Test("elements out of order are sorted; a repeated tag keeps the later value")
    func outOfOrder() throws {
        var s = Stream()
        s.explicit(0x0010_0020, "LO", "ID01")
        s.explicit(0x0008_0060, "CS", "MR")
        s.explicit(0x0010_0020, "LO", "ID02")
        let ds = try DICOMFile.parseDataSet(s.data, transferSyntax: .explicitVRLittleEndian)
        #expect(ds.map(\.tag) == [.modality, .patientID])
        #expect(ds.string(.patientID) == "ID02")
    }

    @Test("stray delimiters and short trailing bytes at the top level are ignored")
    func strayDelimiters() throws {
        var s = Stream()
        s.explicit(0x0008_0060, "CS", "CT")
        s.itemDelimiter()
        s.explicit(0x0010_0010, "PN", "A^B ")
        s.sequenceDelimiter()
        s.raw([0, 0, 0])
        let ds = try DICOMFile.parseDataSet(s.data, transferSyntax: .explicitVRLittleEndian)
        #expect(ds.map(\.tag) == [.modality, .patientName])
    }

    @Test("stopAtTag reads only the elements before it")
    func stopAtTag() throws {
        let data = Self.sample(explicit: true).data
        let header = try DICOMFile.parseDataSet(data, transferSyntax: .explicitVRLittleEndian, options: .headerOnly)
        #expect(header.count == 8)
        #expect(header[.pixelData] == nil)
        let early = try DICOMFile.parseDataSet(data, transferSyntax: .explicitVRLittleEndian,
                                               options: ReadOptions(stopAtTag: Tag(0x0018_9087)))
        #expect(early.map(\.tag.rawValue) == [0x0008_0060, 0x0010_0010, 0x0018_0050, 0x0018_6020])
    }

    @Test("a parsed data set is a value: edits to a copy do not reach the original")
    func valueSemantics() throws {
        let ds = try DICOMFile.parseDataSet(Self.sample(explicit: true).data, transferSyntax: .explicitVRLittleEndian)
        let copy = ds
        var edited = ds
        edited.set(DataElement(tag: .patientName, vr: .PN, string: "Other"))
        #expect(copy.string(.patientName) == "Doe^John")
        #expect(edited.string(.patientName) == "Other")
    }
}
