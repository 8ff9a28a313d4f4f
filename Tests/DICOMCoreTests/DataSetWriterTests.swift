import DICOMCore
import Testing

@Suite("DataSetWriter")
struct DataSetWriterTests {
    /// A data set built in code, with every kind of value, using the dictionary's VRs so that implicit VR
    /// re-reads them the same.
    static func sample(defined: Bool = false) -> DataSet {
        var item1 = DataSet()
        item1.set(DataElement(tag: Tag(0x0008_1150), vr: .UI, string: "1.2.840.10008.5.1.4.1.1.2"))
        item1.set(DataElement(tag: Tag(0x0008_1155), vr: .UI, string: "1.2.3.4.5"))
        var nestedItem = DataSet()
        nestedItem.set(DataElement(tag: Tag(0x0008_0100), vr: .SH, string: "T-D0050"))
        var item2 = DataSet()
        item2.set(DataElement(tag: Tag(0x0008_2218), vr: .SQ,
                              value: .sequence(DICOMSequence(items: [SequenceItem(nestedItem, hasUndefinedLength: !defined)],
                                                             hasUndefinedLength: !defined))))
        let sequence = DICOMSequence(items: [SequenceItem(item1, hasUndefinedLength: !defined),
                                             SequenceItem(item2, hasUndefinedLength: true),
                                             SequenceItem(DataSet(), hasUndefinedLength: false)],
                                     hasUndefinedLength: !defined)
        return DataSet([
            DataElement(tag: .sopClassUID, vr: .UI, string: "1.2.840.10008.5.1.4.1.1.7"),
            DataElement(tag: .modality, vr: .CS, string: "OT"),
            DataElement(tag: Tag(0x0008_0008), vr: .CS, strings: ["ORIGINAL", "PRIMARY"]),
            DataElement(tag: Tag(0x0008_1140), vr: .SQ, value: .sequence(sequence)),
            DataElement(tag: .patientName, vr: .PN, string: "Doe^John"),
            DataElement(tag: .patientID, vr: .LO, string: ""),
            DataElement(tag: Tag(0x0010_1010), vr: .AS, string: "045Y"),
            DataElement(tag: Tag(0x0018_0050), decimalStrings: [2.5]),
            DataElement(tag: Tag(0x0018_6020), vr: .SL, integers: [Int32(-5), 70000]),
            DataElement(tag: Tag(0x0018_9087), doubles: [1000.5]),
            DataElement(tag: Tag(0x0008_9459), floats: [29.97]),
            DataElement(tag: Tag(0x0020_0013), integerStrings: [7]),
            DataElement(tag: Tag(0x0028_0009), tags: [Tag(0x0018_1063), .numberOfFrames]),
            DataElement(tag: .rows, vr: .US, integers: [UInt16(512)]),
            DataElement(tag: Tag(0x0066_0040), vr: .OL, integers: [UInt32(1), 0xDEAD_BEEF]),
            DataElement(tag: Tag(0x0072_0082), vr: .SV, integers: [Int64.min]),
            DataElement(tag: .pixelData, vr: .OW, integers: [UInt16(1), 2, 0xABCD]),
        ])
    }

    static let native: [(String, Bool, Bool)] = [("implicit LE", false, false), ("explicit LE", true, false), ("explicit BE", true, true)]

    @Test("data sets written in each native encoding re-read equal", arguments: [false, true])
    func roundTrip(defined: Bool) throws {
        let ds = Self.sample(defined: defined)
        for (name, explicit, big) in Self.native {
            let writer = DataSetWriter(explicitVR: explicit, bigEndian: big)
            let bytes = try writer.encode(ds)
            #expect(bytes.count == DataSetWriter.encodedLength(of: ds, explicitVR: explicit), "\(name)")
            let syntax: TransferSyntax = !explicit ? .implicitVRLittleEndian : big ? .explicitVRBigEndian : .explicitVRLittleEndian
            #expect(DataSetWriter(transferSyntax: syntax).explicitVR == explicit)
            let back = try DICOMFile.parseDataSet(Bytes(bytes), transferSyntax: syntax)
            #expect(back == ds, "\(name)")
            #expect(back.hashValue == ds.hashValue, "\(name)")
            // Writing what was read gives the same bytes again.
            #expect(try writer.encode(back) == bytes, "\(name)")
        }
    }

    @Test("a data set with a Specific Character Set and a sequence re-reads equal")
    func roundTripWithCharacterSet() throws {
        var ds = Self.sample()
        ds.set(DataElement(tag: .specificCharacterSet, vr: .CS, string: "ISO_IR 100"))
        let bytes = try DataSetWriter(explicitVR: true).encode(ds)
        let back = try DICOMFile.parseDataSet(Bytes(bytes), transferSyntax: .explicitVRLittleEndian)
        #expect(back.map(\.tag) == ds.map(\.tag))
        #expect(back == ds)
    }

    @Test("the exact bytes of explicit VR little endian")
    func explicitBytes() throws {
        let ds = DataSet([DataElement(tag: .modality, vr: .CS, string: "CT"),
                          DataElement(tag: .patientName, vr: .PN, string: "Doe"),
                          DataElement(tag: .pixelData, vr: .OB, data: [1, 2, 3])])
        let bytes = try DataSetWriter(explicitVR: true).encode(ds)
        #expect(bytes == [0x08, 0x00, 0x60, 0x00] + ascii("CS") + [2, 0] + ascii("CT")
                + [0x10, 0x00, 0x10, 0x00] + ascii("PN") + [4, 0] + ascii("Doe ")
                + [0xE0, 0x7F, 0x10, 0x00] + ascii("OB") + [0, 0, 4, 0, 0, 0, 1, 2, 3, 0])
    }

    @Test("the exact bytes of implicit VR little endian and explicit VR big endian")
    func otherEncodings() throws {
        let ds = DataSet([DataElement(tag: .rows, vr: .US, integers: [UInt16(0x0102)])])
        #expect(try DataSetWriter(explicitVR: false).encode(ds) == [0x28, 0x00, 0x10, 0x00, 2, 0, 0, 0, 0x02, 0x01])
        #expect(try DataSetWriter(explicitVR: true, bigEndian: true).encode(ds) == [0x00, 0x28, 0x00, 0x10] + ascii("US") + [0, 2, 0x01, 0x02])
    }

    @Test("odd values are padded with the VR's padding byte")
    func padding() throws {
        let ds = DataSet([DataElement(tag: .sopClassUID, vr: .UI, bytes: Bytes(ascii("1.2.3"))),
                          DataElement(tag: .patientID, vr: .LO, bytes: Bytes(ascii("ABC"))),
                          DataElement(tag: .pixelData, vr: .OB, bytes: Bytes([9]))])
        let bytes = try DataSetWriter(explicitVR: true).encode(ds)
        #expect(Array(bytes[8..<14]) == ascii("1.2.3") + [0])
        #expect(Array(bytes[14 + 8..<14 + 12]) == ascii("ABC "))
        #expect(Array(bytes.suffix(2)) == [9, 0])
        let back = try DICOMFile.parseDataSet(Bytes(bytes), transferSyntax: .explicitVRLittleEndian)
        #expect(back.string(.sopClassUID) == "1.2.3")
        #expect(back.string(.patientID) == "ABC")
    }

    @Test("group lengths are recomputed", arguments: [true, false])
    func groupLengths(explicit: Bool) throws {
        let ds = DataSet([
            DataElement(tag: Tag(0x0008_0000), vr: .UL, integers: [UInt32(999)]),
            DataElement(tag: .sopClassUID, vr: .UI, string: "1.2.3"),       // 8 + 6
            DataElement(tag: .modality, vr: .CS, string: "CT"),             // 8 + 2
            DataElement(tag: Tag(0x0008_0070), vr: .LO, string: "ACME"),    // 8 + 4
            DataElement(tag: Tag(0x0010_0000), vr: .UL, integers: [UInt32(0)]),
            DataElement(tag: .patientName, vr: .PN, string: "Doe^John"),    // 8 + 8
            DataElement(tag: Tag(0x0010_1010), vr: .AS, string: "045Y"),    // 8 + 4
            DataElement(tag: Tag(0x0020_0013), vr: .IS, string: "1"),       // no group length of its own
            DataElement(tag: Tag(0x7FE0_0000), vr: .UL, integers: [UInt32(1)]),
            DataElement(tag: .pixelData, vr: .OB, data: [1, 2, 3, 4]),      // 12 + 4 explicit, 8 + 4 implicit
        ])
        let syntax: TransferSyntax = explicit ? .explicitVRLittleEndian : .implicitVRLittleEndian
        let back = try DICOMFile.parseDataSet(Bytes(DataSetWriter(transferSyntax: syntax).encode(ds)), transferSyntax: syntax)
        #expect(back.integer(Tag(0x0008_0000)) == 14 + 10 + 12)
        #expect(back.integer(Tag(0x0010_0000)) == 16 + 12)
        #expect(back.integer(Tag(0x7FE0_0000)) == (explicit ? 16 : 12))
        #expect(back.string(Tag(0x0020_0013)) == "1")
    }

    @Test("removing group lengths shortens the defined-length items and sequences that held them")
    func removedGroupLengthsInDefinedLengthItems() throws {
        // As read from a file: an item of explicit length with a group length in it, then a top-level element.
        let item = DataSet([DataElement(tag: Tag(0x0008_0000), vr: .UL, integers: [UInt32(20)]),
                            DataElement(tag: Tag(0x0008_1155), vr: .UI, string: "1.2.3.4.5.6.7.8.9.10")])
        let sequence = DICOMSequence(items: [SequenceItem(item, hasUndefinedLength: false)], hasUndefinedLength: false)
        let ds = DataSet([DataElement(tag: Tag(0x0008_1120), vr: .SQ, value: .sequence(sequence)),
                          DataElement(tag: .patientName, vr: .PN, string: "Doe^John")])
        var writer = DataSetWriter(explicitVR: true)
        writer.groupLengths = .remove
        let back = try DICOMFile.parseDataSet(Bytes(writer.encode(ds)), transferSyntax: .explicitVRLittleEndian)
        #expect(back[Tag(0x0008_1120)]?.sequence?.items.first?.dataSet.string(Tag(0x0008_1155)) == "1.2.3.4.5.6.7.8.9.10")
        #expect(back[Tag(0x0008_1120)]?.sequence?.items.first?.dataSet[Tag(0x0008_0000)] == nil)
        #expect(back.string(.patientName) == "Doe^John")
    }

    @Test("group lengths cover sequences with their items")
    func groupLengthWithSequence() throws {
        let item = DataSet([DataElement(tag: Tag(0x0008_1150), vr: .UI, string: "1.2")])  // 8 + 4
        let ds = DataSet([DataElement(tag: Tag(0x0008_0000), vr: .UL, integers: [UInt32(0)]),
                          DataElement(tag: Tag(0x0008_1140), items: [item])])
        let back = try DICOMFile.parseDataSet(Bytes(DataSetWriter(explicitVR: true).encode(ds)), transferSyntax: .explicitVRLittleEndian)
        // SQ header 12, item header 8, element 12, item delimiter 8, sequence delimiter 8.
        #expect(back.integer(Tag(0x0008_0000)) == 12 + 8 + 12 + 8 + 8)
    }

    @Test("a short-VR value over 65535 bytes is written as UN in explicit VR")
    func longShortVR() throws {
        let text = [UInt8](repeating: UInt8(ascii: "a"), count: 70_000)
        let ds = DataSet([DataElement(tag: Tag(0x0010_4000), vr: .LT, bytes: Bytes(text))])
        let bytes = try DataSetWriter(explicitVR: true).encode(ds)
        #expect(bytes.count == 12 + 70_000)
        #expect(Array(bytes[4..<6]) == ascii("UN"))
        #expect(Array(bytes[6..<8]) == [0, 0])
        #expect(Array(bytes[8..<12]) == le32(70_000))
        let back = try DICOMFile.parseDataSet(Bytes(bytes), transferSyntax: .explicitVRLittleEndian)
        #expect(back[Tag(0x0010_4000)]?.vr == .UN)
        #expect(back[Tag(0x0010_4000)]?.bytes == Bytes(text))

        // Implicit VR has a 32-bit length for every VR: the value keeps its VR.
        let implicit = try DataSetWriter(explicitVR: false).encode(ds)
        let implicitBack = try DICOMFile.parseDataSet(Bytes(implicit), transferSyntax: .implicitVRLittleEndian)
        #expect(implicitBack == ds)
    }

    @Test("a VR the standard does not define is written as UN")
    func unknownVR() throws {
        let ds = DataSet([DataElement(tag: Tag(0x0009_1001), vr: VR("ZZ")!, bytes: Bytes([1, 2]))])
        let bytes = try DataSetWriter(explicitVR: true).encode(ds)
        #expect(bytes == [0x09, 0x00, 0x01, 0x10] + ascii("UN") + [0, 0, 2, 0, 0, 0, 1, 2])
    }

    @Test("encapsulated pixel data is written as items with a sequence delimiter")
    func encapsulated() throws {
        let pixels = EncapsulatedPixelData(basicOffsetTable: Bytes(le32(0)), fragments: [Bytes([1, 2, 3]), Bytes([4, 5])])
        let ds = DataSet([DataElement(tag: .pixelData, vr: .OB, value: .encapsulated(pixels))])
        let bytes = try DataSetWriter(explicitVR: true).encode(ds)
        #expect(bytes == [0xE0, 0x7F, 0x10, 0x00] + ascii("OB") + [0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
                + [0xFE, 0xFF, 0x00, 0xE0, 4, 0, 0, 0, 0, 0, 0, 0]
                + [0xFE, 0xFF, 0x00, 0xE0, 4, 0, 0, 0, 1, 2, 3, 0]
                + [0xFE, 0xFF, 0x00, 0xE0, 2, 0, 0, 0, 4, 5]
                + [0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0])
        #expect(bytes.count == DataSetWriter.encodedLength(of: ds, explicitVR: true))
        let back = try DICOMFile.parseDataSet(Bytes(bytes), transferSyntax: .jpegBaseline8Bit)
        #expect(back[.pixelData]?.encapsulated?.fragments.map(\.array) == [[1, 2, 3, 0], [4, 5]])
    }

    @Test("a UN sequence is written with implicit VR items whatever the encoding")
    func unSequence() throws {
        let item = DataSet([DataElement(tag: Tag(0x0008_1150), vr: .UI, string: "1.2")])
        let ds = DataSet([DataElement(tag: Tag(0x0009_1010), vr: .UN, value: .sequence(DICOMSequence([item])))])
        let bytes = try DataSetWriter(explicitVR: true).encode(ds)
        #expect(Array(bytes[4..<6]) == ascii("UN"))
        // The item's element has an implicit VR header: tag then a 32-bit length.
        #expect(Array(bytes[20..<28]) == [0x08, 0x00, 0x50, 0x11, 4, 0, 0, 0])
        let back = try DICOMFile.parseDataSet(Bytes(bytes), transferSyntax: .explicitVRLittleEndian)
        #expect(back == ds)
    }

    @Test("writing to a sink appends to what it holds")
    func sink() throws {
        var sink = ArraySink()
        sink.write(UnsafeRawBufferPointer(start: nil, count: 0))
        try DataSetWriter(explicitVR: true).write(DataSet([DataElement(tag: .modality, vr: .CS, string: "CT")]), to: &sink)
        try DataSetWriter(explicitVR: true).write(DataSet([DataElement(tag: .modality, vr: .CS, string: "MR")]), to: &sink)
        #expect(sink.bytes.count == 20)
        #expect(Array(sink.bytes[18..<20]) == ascii("MR"))
    }
}
