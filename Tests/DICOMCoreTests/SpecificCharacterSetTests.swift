import DICOMCore
import Testing

/// Single-byte character sets, UTF-8, and the parsing of (0008,0005). Expected bytes from Python's codecs.
@Suite("SpecificCharacterSet: single-byte sets")
struct SpecificCharacterSetTests {
    struct Case: Sendable, CustomStringConvertible {
        let term: String
        let text: String
        let bytes: [UInt8]
        var description: String { term }
    }

    static let cases: [Case] = [
        Case(term: "ISO_IR 100", text: "Buc^Jérôme", bytes: [0x42, 0x75, 0x63, 0x5E, 0x4A, 0xE9, 0x72, 0xF4, 0x6D, 0x65]),
        Case(term: "ISO_IR 101", text: "Wałęsa", bytes: [0x57, 0x61, 0xB3, 0xEA, 0x73, 0x61]),
        Case(term: "ISO_IR 109", text: "Ġużeppi", bytes: [0xD5, 0x75, 0xBF, 0x65, 0x70, 0x70, 0x69]),
        Case(term: "ISO_IR 110", text: "Ķēniņš", bytes: [0xD3, 0xBA, 0x6E, 0x69, 0xF1, 0xB9]),
        Case(term: "ISO_IR 144", text: "Иванов", bytes: [0xB8, 0xD2, 0xD0, 0xDD, 0xDE, 0xD2]),
        Case(term: "ISO_IR 127", text: "قباني^لنزار", bytes: [0xE2, 0xC8, 0xC7, 0xE6, 0xEA, 0x5E, 0xE4, 0xE6, 0xD2, 0xC7, 0xD1]),
        Case(term: "ISO_IR 126", text: "Διονυσιος", bytes: [0xC4, 0xE9, 0xEF, 0xED, 0xF5, 0xF3, 0xE9, 0xEF, 0xF2]),
        Case(term: "ISO_IR 138", text: "שרון^דבורה", bytes: [0xF9, 0xF8, 0xE5, 0xEF, 0x5E, 0xE3, 0xE1, 0xE5, 0xF8, 0xE4]),
        Case(term: "ISO_IR 148", text: "Çavuşoğlu", bytes: [0xC7, 0x61, 0x76, 0x75, 0xFE, 0x6F, 0xF0, 0x6C, 0x75]),
        Case(term: "ISO_IR 166", text: "ประเทศไทย", bytes: [0xBB, 0xC3, 0xD0, 0xE0, 0xB7, 0xC8, 0xE4, 0xB7, 0xC2]),
        Case(term: "ISO_IR 203", text: "€uro", bytes: [0xA4, 0x75, 0x72, 0x6F]),
        Case(term: "ISO_IR 13", text: "ｱｲｳ", bytes: [0xB1, 0xB2, 0xB3]),
        Case(term: "ISO_IR 192", text: "Müller^山田=😀", bytes: Array("Müller^山田=😀".utf8)),
    ]

    @Test("decodes", arguments: cases)
    func decode(c: Case) {
        let cs = SpecificCharacterSet(terms: [c.term])
        #expect(cs.unknownTerms.isEmpty)
        #expect(cs.decode(Bytes(c.bytes)) == c.text)
        #expect(cs.decode(Bytes(c.bytes), isPersonName: true) == c.text)
    }

    @Test("encodes", arguments: cases)
    func encode(c: Case) throws {
        let cs = SpecificCharacterSet(terms: [c.term])
        #expect(try cs.encode(c.text) == c.bytes)
        #expect(cs.decode(Bytes(try cs.encode(c.text, isPersonName: true))) == c.text)
        #expect(cs.canEncode(c.text))
    }

    @Test("text in a data set is decoded with its (0008,0005)", arguments: cases)
    func throughDataSet(c: Case) throws {
        var ds = DataSet()
        ds.set(DataElement(tag: .specificCharacterSet, vr: .CS, string: c.term))
        ds.set(DataElement(tag: .patientName, vr: .PN, data: c.bytes))
        ds.set(DataElement(tag: Tag(0x0008_0070), vr: .LO, data: c.bytes))
        #expect(ds.characterSet.terms == [c.term])
        #expect(ds.string(.patientName) == c.text)
        #expect(ds.string(Tag(0x0008_0070)) == c.text)

        var built = DataSet()
        built.set(DataElement(tag: .specificCharacterSet, vr: .CS, string: c.term))
        try built.setString(.patientName, c.text)
        let padded = c.bytes.count % 2 == 0 ? c.bytes : c.bytes + [0x20]
        #expect(built[.patientName]?.bytes?.array == padded)
        #expect(built[.patientName]?.vr == .PN)
    }

    @Test("characters outside the set cannot be encoded")
    func unencodable() {
        #expect(throws: CharacterSetError.unencodable(character: "山", characterSet: "ISO_IR 100")) {
            _ = try SpecificCharacterSet(terms: ["ISO_IR 100"]).encode("Yama山")
        }
        #expect(throws: CharacterSetError.unencodable(character: "é", characterSet: "ISO_IR 6")) {
            _ = try SpecificCharacterSet.default.encode("José")
        }
        #expect(throws: CharacterSetError.self) { _ = try SpecificCharacterSet(terms: ["ISO_IR 144"]).encode("Jérôme") }
        #expect(throws: CharacterSetError.self) { _ = try SpecificCharacterSet(terms: ["ISO_IR 166"]).encode("Ελλάδα") }
        #expect(!SpecificCharacterSet(terms: ["ISO_IR 101"]).canEncode("日本"))
        #expect(SpecificCharacterSet.default.canEncode("plain ASCII ^=\\"))
        var ds = DataSet()
        #expect(throws: CharacterSetError.self) { try ds.setString(.patientName, "Müller") }
        #expect(ds.isEmpty)
    }

    @Test("the default repertoire: ASCII, with stray high bytes read as Latin-1")
    func defaultRepertoire() throws {
        let cs = SpecificCharacterSet.default
        #expect(cs.isDefault)
        #expect(cs.terms.isEmpty)
        #expect(cs.description == "ISO_IR 6")
        #expect(cs.decode(Bytes(ascii("Doe^John"))) == "Doe^John")
        #expect(cs.decode(Bytes([0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72])) == "Müller")
        #expect(try cs.encode("Doe^John") == ascii("Doe^John"))
        #expect(DataSet().characterSet == .default)
    }

    @Test("parsing (0008,0005): padding, empty first value, spelling variants, unknown terms")
    func parsing() {
        #expect(SpecificCharacterSet(encoded: Bytes(ascii("ISO_IR 100"))).terms == ["ISO_IR 100"])
        #expect(SpecificCharacterSet(encoded: Bytes(ascii("ISO_IR 192 "))).terms == ["ISO_IR 192"])
        #expect(SpecificCharacterSet(encoded: Bytes(ascii("\\ISO 2022 IR 87"))).terms == ["", "ISO 2022 IR 87"])
        #expect(SpecificCharacterSet(encoded: Bytes(ascii(" ISO 2022 IR 6\\ISO 2022 IR 149 "))).terms == ["ISO 2022 IR 6", "ISO 2022 IR 149"])
        #expect(SpecificCharacterSet(encoded: Bytes()).terms == [])
        #expect(SpecificCharacterSet(encoded: Bytes()) == .default)
        #expect(SpecificCharacterSet(encoded: Bytes(ascii("ISO_IR 192"))) == .utf8)

        let latin1 = [0x4D, 0xFC] as [UInt8]
        for spelling in ["ISO_IR100", "ISO IR 100", "ISO-IR 100", "iso_ir 100"] {
            let cs = SpecificCharacterSet(terms: [spelling])
            #expect(cs.unknownTerms.isEmpty, "\(spelling)")
            #expect(cs.decode(Bytes(latin1)) == "Mü", "\(spelling)")
        }

        let unknown = SpecificCharacterSet(terms: ["ISO_IR 999"])
        #expect(unknown.unknownTerms == ["ISO_IR 999"])
        #expect(unknown.description == "ISO_IR 999")
        #expect(unknown.decode(Bytes(ascii("ABC"))) == "ABC")
        #expect(!SpecificCharacterSet(terms: ["ISO_IR 100"]).isDefault)
        #expect(SpecificCharacterSet(terms: ["ISO 2022 IR 6"]).isDefault)
        #expect(SpecificCharacterSet(terms: ["", "ISO 2022 IR 87"]).description == "\\ISO 2022 IR 87")
    }

    @Test("UTF-8 round-trips anything, including supplementary planes")
    func utf8() throws {
        let text = "Ñandú 山田 Ελλάδα 😀 𠀀"
        let cs = SpecificCharacterSet.utf8
        #expect(try cs.encode(text) == Array(text.utf8))
        #expect(cs.decode(Bytes(Array(text.utf8))) == text)
    }

    @Test("C1 controls and unassigned codes do not break decoding")
    func unassigned() {
        // 0xA1 is unassigned in ISO 8859-6 (Arabic): it reads as U+FFFD, the rest as usual.
        #expect(SpecificCharacterSet(terms: ["ISO_IR 127"]).decode(Bytes([0x41, 0xA1, 0x42])) == "A\u{FFFD}B")
        #expect(SpecificCharacterSet(terms: ["ISO_IR 100"]).decode(Bytes([0x85])) == "\u{85}")
    }
}
