import DICOMCore
import Testing

/// GB 18030 and GBK (PS3.5 K.3/K.4); expected bytes from Python's gb18030 and gbk codecs.
@Suite("SpecificCharacterSet: GB 18030 and GBK")
struct ChineseCharacterSetTests {
    static let gb18030 = SpecificCharacterSet(terms: ["GB18030"])
    static let gbk = SpecificCharacterSet(terms: ["GBK"])

    @Test("GB 18030 person name with two-byte codes, PS3.5 K.3")
    func gb18030Name() throws {
        let text = "Wang^XiaoDong=王^小东="
        let bytes: [UInt8] = ascii("Wang^XiaoDong=") + [0xCD, 0xF5, 0x5E, 0xD0, 0xA1, 0xB6, 0xAB, 0x3D]
        #expect(try Self.gb18030.encode(text, isPersonName: true) == bytes)
        #expect(Self.gb18030.decode(Bytes(bytes), isPersonName: true) == text)
        #expect(Self.gb18030.unknownTerms.isEmpty)
    }

    @Test("GB 18030 four-byte codes for BMP characters outside the two-byte table",
          arguments: [("\u{80}", [0x81, 0x30, 0x81, 0x30]), ("¥", [0x81, 0x30, 0x84, 0x36]), ("¢", [0x81, 0x30, 0x84, 0x34])] as [(String, [UInt8])])
    func gb18030FourByteBMP(text: String, bytes: [UInt8]) throws {
        #expect(try Self.gb18030.encode(text) == bytes)
        #expect(Self.gb18030.decode(Bytes(bytes)) == text)
    }

    @Test("GB 18030 four-byte codes for supplementary-plane characters",
          arguments: [("😀", [0x94, 0x39, 0xFC, 0x36]), ("𠀀", [0x95, 0x32, 0x82, 0x36])] as [(String, [UInt8])])
    func gb18030Supplementary(text: String, bytes: [UInt8]) throws {
        #expect(try Self.gb18030.encode(text) == bytes)
        #expect(Self.gb18030.decode(Bytes(bytes)) == text)
    }

    @Test("GB 18030 two-byte codes of Latin letters and the euro sign")
    func gb18030TwoByte() throws {
        #expect(try Self.gb18030.encode("é") == [0xA8, 0xA6])
        #expect(try Self.gb18030.encode("ü") == [0xA8, 0xB9])
        #expect(try Self.gb18030.encode("€") == [0xA2, 0xE3])
        #expect(Self.gb18030.decode(Bytes([0xA2, 0xE3])) == "€")
    }

    @Test("GB 18030 round-trips mixed text")
    func gb18030RoundTrip() throws {
        let text = "患者 王小东 (ü) ¥100 😀 𠀀 end"
        let encoded = try Self.gb18030.encode(text)
        #expect(Self.gb18030.decode(Bytes(encoded)) == text)
        var ds = DataSet()
        ds.set(DataElement(tag: .specificCharacterSet, vr: .CS, string: "GB18030"))
        try ds.setString(Tag(0x0008_1030), text)
        #expect(ds.string(Tag(0x0008_1030)) == text)
    }

    @Test("malformed GB 18030 decodes to replacement characters, not a crash")
    func gb18030Malformed() {
        #expect(Self.gb18030.decode(Bytes([0x41, 0x81])) == "A\u{FFFD}")
        #expect(Self.gb18030.decode(Bytes([0x81, 0x30, 0x81])) == "\u{FFFD}")
        #expect(Self.gb18030.decode(Bytes([0x80, 0x41])) == "\u{FFFD}A")
        #expect(Self.gb18030.decode(Bytes([0xFF, 0x41])) == "\u{FFFD}A")
        // A four-byte code beyond U+10FFFF.
        #expect(Self.gb18030.decode(Bytes([0xFE, 0x39, 0xFE, 0x39])) == "\u{FFFD}")
    }

    @Test("GBK two-byte codes")
    func gbk() throws {
        #expect(try Self.gbk.encode("王^小东") == [0xCD, 0xF5, 0x5E, 0xD0, 0xA1, 0xB6, 0xAB])
        #expect(try Self.gbk.encode("中文") == [0xD6, 0xD0, 0xCE, 0xC4])
        #expect(Self.gbk.decode(Bytes([0xD6, 0xD0, 0xCE, 0xC4])) == "中文")
        #expect(Self.gbk.decode(Bytes([0xCD, 0xF5, 0x5E, 0xD0, 0xA1, 0xB6, 0xAB]), isPersonName: true) == "王^小东")
        #expect(SpecificCharacterSet(terms: ["ISO 2022 GBK"]).decode(Bytes([0xD6, 0xD0])) == "中")
    }

    @Test("a 0x5C trail byte is not a value delimiter", arguments: ["GB18030", "GBK"])
    func backslashTrailByte(term: String) throws {
        var ds = DataSet()
        ds.set(DataElement(tag: .specificCharacterSet, vr: .CS, string: term))
        // 乗 is 81 5C in GBK and GB 18030.
        ds.set(try DataElement(tag: Tag(0x0008_1030), vr: .LO, strings: ["乗", "A"], characterSet: ds.characterSet))
        #expect(ds[Tag(0x0008_1030)]?.bytes?.array == [0x81, 0x5C, 0x5C, 0x41])
        #expect(ds.strings(Tag(0x0008_1030)) == ["乗", "A"])
        ds.set(DataElement(tag: .patientName, vr: .PN, data: [0x81, 0x5C, 0x5E, 0x41]))
        #expect(ds.personName(.patientName)?.alphabeticComponents.familyName == "乗")
    }

    @Test("GBK has no four-byte codes: supplementary characters cannot be encoded")
    func gbkUnencodable() {
        #expect(throws: CharacterSetError.unencodable(character: "😀", characterSet: "GBK")) {
            _ = try Self.gbk.encode("王😀")
        }
        #expect(!Self.gbk.canEncode("\u{80}"))
    }
}
