import DICOMCore
import Testing

@Suite("DataSet")
struct DataSetTests {
    func cs(_ tag: Tag, _ value: String) -> DataElement { DataElement(tag: tag, vr: .CS, string: value) }

    @Test("elements are kept in ascending tag order whatever the insertion order")
    func ordering() {
        var ds = DataSet()
        ds.set(DataElement(tag: .pixelData, vr: .OB, data: [1, 2]))
        ds.set(DataElement(tag: .patientName, vr: .PN, string: "A"))
        ds.set(cs(.modality, "CT"))
        ds[.patientID] = DataElement(tag: .patientID, vr: .LO, string: "ID")
        ds.set(DataElement(tag: .fileMetaInformationGroupLength, vr: .UL, integers: [UInt32(0)]))
        #expect(ds.map(\.tag) == [.fileMetaInformationGroupLength, .modality, .patientName, .patientID, .pixelData])
        #expect(ds.elements.map(\.tag) == ds.map(\.tag))
        #expect(ds.count == 5)
        #expect(ds.first?.tag == .fileMetaInformationGroupLength)
        #expect(ds[ds.startIndex].tag == .fileMetaInformationGroupLength)
    }

    @Test("the array initialiser sorts and keeps the last of repeated tags")
    func initialiser() {
        let ds = DataSet([cs(.modality, "MR"), DataElement(tag: .patientName, vr: .PN, string: "A"), cs(.modality, "CT")])
        #expect(ds.map(\.tag) == [.modality, .patientName])
        #expect(ds.string(.modality) == "CT")
    }

    @Test("set replaces, subscript reads, remove returns the removed element")
    func editing() {
        var ds = DataSet([cs(.modality, "CT")])
        ds.set(cs(.modality, "MR"))
        #expect(ds.count == 1)
        #expect(ds[.modality]?.string() == "MR")
        #expect(ds.contains(.modality))
        #expect(!ds.contains(.patientName))
        #expect(ds[.patientName] == nil)
        let removed = ds.remove(.modality)
        #expect(removed?.string() == "MR")
        #expect(ds.isEmpty)
        #expect(ds.remove(.modality) == nil)
        ds[.modality] = cs(.modality, "US")
        ds[.modality] = nil
        #expect(ds.isEmpty)
    }

    @Test("removeAll(where:) and group()")
    func groups() {
        var ds = DataSet([cs(Tag(0x0008_0060), "CT"), cs(Tag(0x0008_0064), "WSD"),
                          DataElement(tag: .patientName, vr: .PN, string: "A"),
                          DataElement(tag: Tag(0x0009_0010), vr: .LO, string: "ACME"),
                          DataElement(tag: Tag(0x0009_1001), vr: .LO, string: "x")])
        #expect(ds.group(0x0008).map(\.tag) == [Tag(0x0008_0060), Tag(0x0008_0064)])
        #expect(ds.group(0x0020).isEmpty)
        ds.removeAll { $0.tag.isPrivate }
        #expect(ds.map(\.tag) == [Tag(0x0008_0060), Tag(0x0008_0064), .patientName])
    }

    @Test("equality and hashing follow the elements")
    func equality() {
        let a = DataSet([cs(.modality, "CT"), DataElement(tag: .patientName, vr: .PN, string: "A")])
        let b = DataSet([DataElement(tag: .patientName, vr: .PN, string: "A"), cs(.modality, "CT")])
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != DataSet([cs(.modality, "CT")]))
        #expect(a != DataSet([cs(.modality, "MR"), DataElement(tag: .patientName, vr: .PN, string: "A")]))
        // The same value under another VR is another element.
        #expect(DataSet([DataElement(tag: .modality, vr: .LO, string: "CT")]) != DataSet([cs(.modality, "CT")]))
    }

    @Test("the character set comes from (0008,0005), else from the enclosing data set")
    func characterSet() {
        var ds = DataSet([DataElement(tag: .specificCharacterSet, vr: .CS, string: "ISO_IR 144")])
        #expect(ds.characterSet.terms == ["ISO_IR 144"])
        var item = DataSet()
        #expect(item.characterSet == .default)
        item.inheritedCharacterSet = SpecificCharacterSet(terms: ["ISO_IR 100"])
        #expect(item.characterSet.terms == ["ISO_IR 100"])
        item.set(DataElement(tag: .specificCharacterSet, vr: .CS, string: "ISO_IR 192"))
        #expect(item.characterSet == .utf8)
        ds.remove(.specificCharacterSet)
        #expect(ds.characterSet == .default)
    }

    @Test("private tags: reserve a block per creator, reuse it, find it again")
    func privateTags() throws {
        var ds = DataSet()
        let r1 = ds.reservePrivateTag(group: 0x0009, creator: "ACME 1.0", offset: 0x01)
        let t1 = try #require(r1)
        #expect(t1 == Tag(0x0009_1001))
        #expect(ds.string(Tag(0x0009_0010)) == "ACME 1.0")
        #expect(ds[Tag(0x0009_0010)]?.vr == .LO)
        let r2 = ds.reservePrivateTag(group: 0x0009, creator: "ACME 1.0", offset: 0x02)
        let t2 = try #require(r2)
        #expect(t2 == Tag(0x0009_1002))
        #expect(ds.count == 1)
        let r3 = ds.reservePrivateTag(group: 0x0009, creator: "OTHER", offset: 0x01)
        let other = try #require(r3)
        #expect(other == Tag(0x0009_1101))
        #expect(ds.string(Tag(0x0009_0011)) == "OTHER")
        let r4 = ds.reservePrivateTag(group: 0x0011, creator: "ACME 1.0", offset: 0xFF)
        #expect(r4 == Tag(0x0011_10FF))

        ds.set(DataElement(tag: t1, vr: .LO, string: "value"))
        #expect(ds.privateCreator(of: t1) == "ACME 1.0")
        #expect(ds.privateCreator(of: Tag(0x0009_1101)) == "OTHER")
        #expect(ds.privateCreator(of: Tag(0x0009_1201)) == nil)
        #expect(ds.privateCreator(of: .patientName) == nil)
        #expect(ds.privateTag(group: 0x0009, creator: "OTHER", offset: 0x20) == Tag(0x0009_1120))
        #expect(ds.privateTag(group: 0x0009, creator: "ACME 1.0 ", offset: 0x01) == t1)
        #expect(ds.privateTag(group: 0x0009, creator: "MISSING", offset: 0x01) == nil)
        #expect(ds.privateTag(group: 0x0019, creator: "ACME 1.0", offset: 0x01) == nil)
    }

    @Test("private creators found in a parsed block, odd-length creator padded")
    func privateCreatorPadding() throws {
        var ds = DataSet()
        ds.set(DataElement(tag: Tag(0x0029_0012), vr: .LO, string: "SIEMENS CSA HEADER"))
        ds.set(DataElement(tag: Tag(0x0029_0013), vr: .LO, string: "ODD"))
        #expect(ds[Tag(0x0029_0013)]?.bytes?.array == ascii("ODD "))
        #expect(ds.privateTag(group: 0x0029, creator: "ODD", offset: 0x10) == Tag(0x0029_1310))
        #expect(ds.privateCreator(of: Tag(0x0029_1210)) == "SIEMENS CSA HEADER")
    }

    @Test("every block can be reserved, then none is left")
    func exhaustBlocks() {
        var ds = DataSet()
        for i in 0..<240 {
            let tag = ds.reservePrivateTag(group: 0x0011, creator: "C\(i)", offset: 0)
            #expect(tag == Tag(group: 0x0011, element: UInt16(0x10 + i) << 8))
        }
        let none = ds.reservePrivateTag(group: 0x0011, creator: "ONE MORE", offset: 0)
        #expect(none == nil)
        let again = ds.reservePrivateTag(group: 0x0011, creator: "C7", offset: 1)
        #expect(again == Tag(0x0011_1701))
    }
}
