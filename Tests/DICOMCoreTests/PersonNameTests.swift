import DICOMCore
import Testing

@Suite("PersonName")
struct PersonNameTests {
    @Test("three component groups")
    func groups() {
        let pn = PersonName("Yamada^Tarou=山田^太郎=やまだ^たろう")
        #expect(pn.alphabetic == "Yamada^Tarou")
        #expect(pn.ideographic == "山田^太郎")
        #expect(pn.phonetic == "やまだ^たろう")
        #expect(pn.alphabeticComponents.familyName == "Yamada")
        #expect(pn.alphabeticComponents.givenName == "Tarou")
        #expect(pn.ideographicComponents.familyName == "山田")
        #expect(pn.phoneticComponents.givenName == "たろう")
        #expect(pn.description == "Yamada^Tarou=山田^太郎=やまだ^たろう")
    }

    @Test("five components; extra ones stay in the suffix")
    func components() {
        let c = PersonName("Adams^John Robert Quincy^B.^Rev.^B.A. M.Div.").alphabeticComponents
        #expect(c.familyName == "Adams")
        #expect(c.givenName == "John Robert Quincy")
        #expect(c.middleName == "B.")
        #expect(c.namePrefix == "Rev.")
        #expect(c.nameSuffix == "B.A. M.Div.")
        #expect(PersonName.Components("A^B^C^D^E^F").nameSuffix == "E^F")
        #expect(PersonName.Components("Doe").givenName == "")
    }

    @Test("formatting drops trailing empty components and groups")
    func formatting() {
        #expect(PersonName.Components("Doe^John^^^").formatted == "Doe^John")
        #expect(PersonName.Components(familyName: "Doe", middleName: "Q").formatted == "Doe^^Q")
        #expect(PersonName.Components("").isEmpty)
        #expect(PersonName.Components("^^").isEmpty)
        #expect(!PersonName.Components("^John").isEmpty)
        #expect(PersonName(alphabetic: "Doe").description == "Doe")
        #expect(PersonName(alphabetic: "", ideographic: "山田").description == "=山田")
        #expect(PersonName(alphabetic: "A", ideographic: "", phonetic: "a").description == "A==a")
        #expect(PersonName("Doe^John==").description == "Doe^John")
        #expect(PersonName("Doe^John=").ideographic == "")
    }

    @Test("a value with more than three groups keeps the rest in the phonetic group")
    func extraGroups() {
        let pn = PersonName("a=b=c=d")
        #expect(pn.alphabetic == "a" && pn.ideographic == "b" && pn.phonetic == "c=d")
    }

    @Test("person names from a PN element, multi-valued")
    func fromElement() throws {
        let e = DataElement(tag: Tag(0x0010_1001), vr: .PN, strings: ["Doe^John", "Roe^Jane=ロウ"])
        let names = try #require(e.personNames(characterSet: .utf8))
        #expect(names.count == 2)
        #expect(names[0].alphabeticComponents.givenName == "John")
        #expect(names[1].ideographic == "ロウ")
        #expect(DataElement(tag: .patientID, vr: .LO, string: "x").personNames() == nil)
    }
}
