import DICOMCore
import Testing

/// Building elements from typed values: encoding and padding to even length (PS3.5 §6.2, §7.1.1).
@Suite("DataElement builders")
struct ElementBuildersTests {
    @Test("text is joined with backslash and padded with the VR's padding byte")
    func text() {
        #expect(DataElement(tag: .patientID, vr: .LO, string: "ABC").bytes?.array == ascii("ABC "))
        #expect(DataElement(tag: .patientID, vr: .LO, string: "ABCD").bytes?.array == ascii("ABCD"))
        #expect(DataElement(tag: .sopClassUID, vr: .UI, string: "1.2.3").bytes?.array == ascii("1.2.3") + [0])
        #expect(DataElement(tag: Tag(0x0008_0008), vr: .CS, strings: ["A", "BC"]).bytes?.array == ascii("A\\BC"))
        #expect(DataElement(tag: Tag(0x0008_0008), vr: .CS, strings: ["A", "B"]).bytes?.array == ascii("A\\B "))
        #expect(DataElement(tag: .patientID, vr: .LO, string: "").bytes?.count == 0)
        // Non-ASCII text without a character set goes out as UTF-8.
        #expect(DataElement(tag: .patientName, vr: .PN, string: "Mü").bytes?.array == [0x4D, 0xC3, 0xBC, 0x20])
    }

    @Test("text in a character set")
    func characterSet() throws {
        let latin1 = SpecificCharacterSet(terms: ["ISO_IR 100"])
        let e = try DataElement(tag: .patientName, vr: .PN, strings: ["Müller"], characterSet: latin1)
        #expect(e.bytes?.array == [0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72])
        let odd = try DataElement(tag: .patientName, vr: .PN, strings: ["Mül"], characterSet: latin1)
        #expect(odd.bytes?.array == [0x4D, 0xFC, 0x6C, 0x20])
        // VRs that do not use the Specific Character Set stay in the default repertoire.
        #expect(throws: CharacterSetError.self) {
            _ = try DataElement(tag: Tag(0x0008_0008), vr: .CS, strings: ["Ä"], characterSet: latin1)
        }
        #expect(throws: CharacterSetError.self) {
            _ = try DataElement(tag: .patientName, vr: .PN, strings: ["山"], characterSet: latin1)
        }
    }

    @Test("binary numbers are little endian")
    func numbers() {
        #expect(DataElement(tag: .rows, vr: .US, integers: [UInt16(1), 0x0203]).bytes?.array == [1, 0, 3, 2])
        #expect(DataElement(tag: Tag(0x0018_6020), vr: .SL, integers: [Int32(-2)]).bytes?.array == [0xFE, 0xFF, 0xFF, 0xFF])
        #expect(DataElement(tag: Tag(0x0072_0082), vr: .SV, integers: [Int64(1)]).bytes?.array == [1, 0, 0, 0, 0, 0, 0, 0])
        let fl = DataElement(tag: Tag(0x0008_9459), floats: [1.5])
        #expect(fl.vr == .FL)
        #expect(fl.bytes?.array == le32(Float(1.5).bitPattern))
        #expect(fl.floats == [1.5])
        let fd = DataElement(tag: Tag(0x0018_9087), doubles: [-0.5, 1e300])
        #expect(fd.vr == .FD)
        #expect(fd.doubles == [-0.5, 1e300])
        #expect(DataElement(tag: Tag(0x0018_1638), floats: [1], vr: .OF).vr == .OF)
        #expect(DataElement(tag: .rows, vr: .US, integers: [UInt16]()).isEmpty)
    }

    @Test("DS and IS builders")
    func numberStrings() {
        let ds = DataElement(tag: Tag(0x0028_0030), decimalStrings: [0.5, 1.0 / 3])
        #expect(ds.vr == .DS)
        let values = ds.strings() ?? []
        #expect(values.count == 2)
        #expect(values.allSatisfy { $0.utf8.count <= 16 })
        #expect(values[0] == "0.5")
        #expect(abs((ds.decimals?[1] ?? 0) - 1.0 / 3) < 1e-12)
        #expect((ds.bytes?.count ?? 1) % 2 == 0)

        let `is` = DataElement(tag: Tag(0x0020_0013), integerStrings: [1, -20])
        #expect(`is`.vr == .IS)
        #expect(`is`.bytes?.array == ascii("1\\-20 "))
        #expect(`is`.integers == [1, -20])
    }

    @Test("raw data is padded with the VR's padding byte")
    func data() {
        #expect(DataElement(tag: .pixelData, vr: .OB, data: [1, 2, 3]).bytes?.array == [1, 2, 3, 0])
        #expect(DataElement(tag: .patientID, vr: .LO, data: ascii("X")).bytes?.array == ascii("X "))
        #expect(DataElement(tag: .sopClassUID, vr: .UI, data: ascii("1")).bytes?.array == ascii("1") + [0])
        #expect(DataElement(tag: .pixelData, vr: .OB, data: [1, 2]).bytes?.array == [1, 2])
        // The plain bytes initialiser keeps the value as given.
        #expect(DataElement(tag: .patientID, vr: .LO, bytes: Bytes(ascii("X"))).bytes?.count == 1)
    }

    @Test("sequences of items")
    func items() throws {
        let item = DataSet([DataElement(tag: Tag(0x0008_1150), vr: .UI, string: "1.2")])
        let e = DataElement(tag: Tag(0x0008_1140), items: [item, DataSet()])
        #expect(e.vr == .SQ)
        let seq = try #require(e.sequence)
        #expect(seq.items.count == 2)
        #expect(seq.hasUndefinedLength)
        #expect(seq.items.allSatisfy { $0.hasUndefinedLength })
        #expect(seq.items[0].dataSet == item)
    }

    @Test("setString picks the dictionary VR, or the one given")
    func setString() throws {
        var ds = DataSet()
        try ds.setString(.patientName, "Doe^John")
        try ds.setString(Tag(0x0020_0013), "5")
        try ds.setString(Tag(0x0009_1001), "private")
        try ds.setString(Tag(0x0009_1002), "given", vr: .LO)
        #expect(ds[.patientName]?.vr == .PN)
        #expect(ds[Tag(0x0020_0013)]?.vr == .IS)
        #expect(ds[Tag(0x0020_0013)]?.bytes?.array == ascii("5 "))
        #expect(ds[Tag(0x0009_1001)]?.vr == .UN)
        #expect(ds[Tag(0x0009_1002)]?.vr == .LO)
        #expect(ds.string(.patientName) == "Doe^John")
    }
}
