import DICOMCore
import Testing

/// Code extensions (PS3.5 §6.1.2.5, examples of PS3.5 Annexes H, I, K); expected bytes from the standard and
/// from Python's codecs.
@Suite("SpecificCharacterSet: ISO 2022 code extensions")
struct ISO2022Tests {
    static let ESC: UInt8 = 0x1B
    static let toASCII: [UInt8] = [ESC, 0x28, 0x42]          // ESC ( B
    static let toJISX0208: [UInt8] = [ESC, 0x24, 0x42]       // ESC $ B
    static let toRomaji: [UInt8] = [ESC, 0x28, 0x4A]         // ESC ( J
    static let toKSX1001: [UInt8] = [ESC, 0x24, 0x29, 0x43]  // ESC $ ) C
    static let toGB2312: [UInt8] = [ESC, 0x24, 0x29, 0x41]   // ESC $ ) A
    static let toJISX0212: [UInt8] = [ESC, 0x24, 0x28, 0x44] // ESC $ ( D

    /// PS3.5 H.3.1: "Yamada^Tarou=山田^太郎=やまだ^たろう" in \ISO 2022 IR 87.
    static let japanese = "Yamada^Tarou=山田^太郎=やまだ^たろう"
    static let japaneseBytes: [UInt8] = ascii("Yamada^Tarou=")
        + toJISX0208 + [0x3B, 0x33, 0x45, 0x44] + toASCII + ascii("^")
        + toJISX0208 + [0x42, 0x40, 0x4F, 0x3A] + toASCII + ascii("=")
        + toJISX0208 + [0x24, 0x64, 0x24, 0x5E, 0x24, 0x40] + toASCII + ascii("^")
        + toJISX0208 + [0x24, 0x3F, 0x24, 0x6D, 0x24, 0x26] + toASCII

    @Test("Japanese person name with kanji and hiragana (ISO 2022 IR 87)")
    func japaneseIR87() throws {
        let cs = SpecificCharacterSet(terms: ["", "ISO 2022 IR 87"])
        #expect(try cs.encode(Self.japanese, isPersonName: true) == Self.japaneseBytes)
        #expect(cs.decode(Bytes(Self.japaneseBytes), isPersonName: true) == Self.japanese)

        var ds = DataSet()
        ds.set(DataElement(tag: .specificCharacterSet, vr: .CS, strings: ["", "ISO 2022 IR 87"]))
        try ds.setString(.patientName, Self.japanese)
        #expect(ds[.patientName]?.bytes?.array == Self.japaneseBytes)  // 60 bytes: already even
        let name = try #require(ds.personName(.patientName))
        #expect(name.alphabetic == "Yamada^Tarou")
        #expect(name.ideographic == "山田^太郎")
        #expect(name.phonetic == "やまだ^たろう")
        #expect(name.ideographicComponents.familyName == "山田")
        #expect(name.phoneticComponents.givenName == "たろう")
    }

    @Test("Japanese with half-width katakana in G1 (ISO 2022 IR 13 and IR 87), PS3.5 H.3.2")
    func japaneseIR13() throws {
        let text = "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう"
        let expected: [UInt8] = [0xD4, 0xCF, 0xC0, 0xDE, 0x5E, 0xC0, 0xDB, 0xB3, 0x3D]
            + Self.toJISX0208 + [0x3B, 0x33, 0x45, 0x44] + Self.toRomaji + ascii("^")
            + Self.toJISX0208 + [0x42, 0x40, 0x4F, 0x3A] + Self.toRomaji + ascii("=")
            + Self.toJISX0208 + [0x24, 0x64, 0x24, 0x5E, 0x24, 0x40] + Self.toRomaji + ascii("^")
            + Self.toJISX0208 + [0x24, 0x3F, 0x24, 0x6D, 0x24, 0x26] + Self.toRomaji
        let cs = SpecificCharacterSet(terms: ["ISO 2022 IR 13", "ISO 2022 IR 87"])
        #expect(try cs.encode(text, isPersonName: true) == expected)
        #expect(cs.decode(Bytes(expected), isPersonName: true) == text)
    }

    @Test("JIS X 0212 supplementary kanji (ISO 2022 IR 159)")
    func japaneseIR159() throws {
        let cs = SpecificCharacterSet(terms: ["", "ISO 2022 IR 87", "ISO 2022 IR 159"])
        // 山 is in JIS X 0208; 丂 only in JIS X 0212.
        let expected = Self.toJISX0208 + [0x3B, 0x33] + Self.toJISX0212 + [0x30, 0x21] + Self.toASCII
        #expect(try cs.encode("山丂") == expected)
        #expect(cs.decode(Bytes(expected)) == "山丂")
        let only159 = SpecificCharacterSet(terms: ["", "ISO 2022 IR 159"])
        #expect(try only159.encode("丂") == Self.toJISX0212 + [0x30, 0x21] + Self.toASCII)
        #expect(throws: CharacterSetError.self) { _ = try SpecificCharacterSet(terms: ["", "ISO 2022 IR 87"]).encode("丂") }
    }

    /// PS3.5 I.2: "Hong^Gildong=洪^吉洞=홍^길동" in \ISO 2022 IR 149: the G1 designation is repeated after each
    /// delimiter, since delimiters return G1 to its initial set.
    @Test("Korean person name (ISO 2022 IR 149), PS3.5 I.2")
    func korean() throws {
        let text = "Hong^Gildong=洪^吉洞=홍^길동"
        let expected: [UInt8] = ascii("Hong^Gildong=")
            + Self.toKSX1001 + [0xFB, 0xF3] + ascii("^")
            + Self.toKSX1001 + [0xD1, 0xCE, 0xD4, 0xD7] + ascii("=")
            + Self.toKSX1001 + [0xC8, 0xAB] + ascii("^")
            + Self.toKSX1001 + [0xB1, 0xE6, 0xB5, 0xBF]
        let cs = SpecificCharacterSet(terms: ["", "ISO 2022 IR 149"])
        #expect(try cs.encode(text, isPersonName: true) == expected)
        #expect(cs.decode(Bytes(expected), isPersonName: true) == text)

        var ds = DataSet()
        ds.set(DataElement(tag: .specificCharacterSet, vr: .CS, strings: ["", "ISO 2022 IR 149"]))
        ds.set(try DataElement(tag: .patientName, vr: .PN, strings: [text], characterSet: ds.characterSet))
        #expect(ds[.patientName]?.bytes?.array == expected)  // 44 bytes: no padding
        #expect(ds.string(.patientName) == text)
        #expect(ds.personName(.patientName)?.phonetic == "홍^길동")
    }

    @Test("Korean text without delimiters keeps G1 designated")
    func koreanText() throws {
        let cs = SpecificCharacterSet(terms: ["", "ISO 2022 IR 149"])
        let expected = ascii("A ") + Self.toKSX1001 + [0xC8, 0xAB, 0xB1, 0xE6, 0xB5, 0xBF]
        #expect(try cs.encode("A 홍길동") == expected)
        #expect(cs.decode(Bytes(expected)) == "A 홍길동")
    }

    @Test("Chinese person name (ISO 2022 IR 58, GB 2312), PS3.5 K.2")
    func chineseIR58() throws {
        let text = "Zhang^XiaoDong=张^小东="
        let expected: [UInt8] = ascii("Zhang^XiaoDong=")
            + Self.toGB2312 + [0xD5, 0xC5] + ascii("^")
            + Self.toGB2312 + [0xD0, 0xA1, 0xB6, 0xAB] + ascii("=")
        let cs = SpecificCharacterSet(terms: ["", "ISO 2022 IR 58"])
        #expect(try cs.encode(text, isPersonName: true) == expected)
        #expect(cs.decode(Bytes(expected), isPersonName: true) == text)
        #expect(PersonName(cs.decode(Bytes(expected), isPersonName: true)).ideographic == "张^小东")
    }

    @Test("single-byte sets switched by escapes (ISO 2022 IR 100 and IR 144)")
    func singleByteExtensions() throws {
        let cs = SpecificCharacterSet(terms: ["ISO 2022 IR 100", "ISO 2022 IR 144"])
        let expected: [UInt8] = [0x4D, 0xFC] + ascii("ller ")
            + [Self.ESC, 0x2D, 0x4C] + [0xB8, 0xD2, 0xD0, 0xDD, 0xDE, 0xD2]
            + [Self.ESC, 0x2D, 0x41]
        #expect(try cs.encode("Müller Иванов") == expected)
        #expect(cs.decode(Bytes(expected)) == "Müller Иванов")
    }

    @Test("delimiters return G1 to its initial set when decoding")
    func delimitersReset() {
        let cs = SpecificCharacterSet(terms: ["", "ISO 2022 IR 149"])
        // After a delimiter the G1 bytes C8 AB are no longer KS X 1001 (홍) but the initial G1 (Latin-1: "È«").
        let name = Self.toKSX1001 + [0xC8, 0xAB] + ascii("^") + [0xC8, 0xAB]
        #expect(cs.decode(Bytes(name), isPersonName: true) == "홍^È«")
        // "^" delimits only in person names.
        #expect(cs.decode(Bytes(name)) == "홍^홍")
        let values = Self.toKSX1001 + [0xC8, 0xAB] + ascii("\\") + [0xC8, 0xAB]
        #expect(cs.decode(Bytes(values)) == "홍\\È«")
    }

    @Test("escape sequences are never left in decoded text, even unknown ones")
    func unknownEscape() {
        let cs = SpecificCharacterSet(terms: ["", "ISO 2022 IR 87"])
        #expect(cs.decode(Bytes([0x41, Self.ESC, 0x42])) == "AB")
        #expect(!cs.decode(Bytes(Self.japaneseBytes)).unicodeScalars.contains("\u{1B}"))
    }

    @Test("multi-valued text: each value starts in the initial sets")
    func multiValued() throws {
        var ds = DataSet()
        ds.set(DataElement(tag: .specificCharacterSet, vr: .CS, strings: ["", "ISO 2022 IR 87"]))
        ds.set(try DataElement(tag: Tag(0x0010_1001), vr: .PN, strings: ["山田", "Tarou"], characterSet: ds.characterSet))
        let bytes = try #require(ds[Tag(0x0010_1001)]?.bytes?.array)
        #expect(bytes == Self.toJISX0208 + [0x3B, 0x33, 0x45, 0x44] + Self.toASCII + ascii("\\Tarou"))
        #expect(ds.strings(Tag(0x0010_1001)) == ["山田", "Tarou"])
    }

    @Test("a 0x5C byte inside a two-byte JIS X 0208 code is not a value delimiter")
    func backslashInsideKanji() throws {
        var ds = DataSet()
        ds.set(DataElement(tag: .specificCharacterSet, vr: .CS, strings: ["", "ISO 2022 IR 87"]))
        // ぼ is 24 5C in JIS X 0208.
        ds.set(try DataElement(tag: Tag(0x0008_1030), vr: .LO, strings: ["ぼ", "A"], characterSet: ds.characterSet))
        #expect(ds[Tag(0x0008_1030)]?.bytes?.array == Self.toJISX0208 + [0x24, 0x5C] + Self.toASCII + ascii("\\A"))
        #expect(ds.strings(Tag(0x0008_1030)) == ["ぼ", "A"])
        #expect(ds.string(Tag(0x0008_1030)) == "ぼ\\A")
    }

    @Test("characters in none of the declared sets are refused")
    func unencodable() {
        #expect(throws: CharacterSetError.self) { _ = try SpecificCharacterSet(terms: ["", "ISO 2022 IR 87"]).encode("홍") }
        #expect(throws: CharacterSetError.self) { _ = try SpecificCharacterSet(terms: ["", "ISO 2022 IR 149"]).encode("ไทย") }
        #expect(throws: CharacterSetError.self) { _ = try SpecificCharacterSet(terms: ["", "ISO 2022 IR 58"]).encode("€") }
        #expect(throws: CharacterSetError.unencodable(character: "😀", characterSet: "\\ISO 2022 IR 87")) {
            _ = try SpecificCharacterSet(terms: ["", "ISO 2022 IR 87"]).encode("山😀")
        }
    }
}
