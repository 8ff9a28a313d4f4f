import DICOMCore
import Testing

@Suite("Tag")
struct TagTests {
    @Test("parses the parenthesised, bare and comma forms")
    func parsing() throws {
        #expect(Tag(hex: "(0010,0010)") == .patientName)
        #expect(Tag(hex: "00100010") == .patientName)
        #expect(Tag(hex: "0010,0010") == .patientName)
        #expect(Tag(hex: "(7fe0,0010)") == .pixelData)
        #expect(Tag(hex: "7FE00010") == .pixelData)
        let t = try #require(Tag(hex: "(0008,103E)"))
        #expect(t.group == 0x0008)
        #expect(t.element == 0x103E)
        #expect(t.rawValue == 0x0008_103E)
    }

    @Test("rejects malformed text", arguments: ["", "0010001", "001000100", "(0010,001G)", "00100X10", "(0010;0010)", "0x100010"])
    func rejectsMalformed(text: String) {
        #expect(Tag(hex: text) == nil)
    }

    @Test("group and element constructors agree with the raw value")
    func constructors() {
        let t = Tag(group: 0x0020, element: 0x000D)
        #expect(t == Tag(0x0020_000D))
        #expect(t == .studyInstanceUID)
        #expect(Tag(group: 0xFFFE, element: 0xE000) == .item)
    }

    @Test("description and JSON key use upper-case hex")
    func formatting() {
        #expect(Tag.patientName.description == "(0010,0010)")
        #expect(Tag(0x7FE0_0010).description == "(7FE0,0010)")
        #expect(Tag(0x0008_103E).jsonKey == "0008103E")
        #expect(Tag(0x0000_0000).jsonKey == "00000000")
        #expect(Tag(hex: Tag(0x0029_10AB).description) == Tag(0x0029_10AB))
    }

    @Test("private groups are odd groups above 0007 other than FFFF")
    func isPrivate() {
        #expect(Tag(0x0009_0010).isPrivate)
        #expect(Tag(0x0029_1001).isPrivate)
        #expect(Tag(0x7FE1_0010).isPrivate)
        #expect(!Tag(0x0008_0010).isPrivate)
        #expect(!Tag(0x0010_0010).isPrivate)
        #expect(!Tag(0x0001_0010).isPrivate)
        #expect(!Tag(0x0003_0010).isPrivate)
        #expect(!Tag(0x0005_0010).isPrivate)
        #expect(!Tag(0x0007_0010).isPrivate)
        #expect(!Tag(0xFFFF_0010).isPrivate)
        #expect(!Tag.item.isPrivate)
    }

    @Test("private creator elements are (gggg,0010) to (gggg,00FF)")
    func isPrivateCreator() {
        #expect(Tag(0x0009_0010).isPrivateCreator)
        #expect(Tag(0x0009_00FF).isPrivateCreator)
        #expect(!Tag(0x0009_000F).isPrivateCreator)
        #expect(!Tag(0x0009_0100).isPrivateCreator)
        #expect(!Tag(0x0009_1001).isPrivateCreator)
        #expect(!Tag(0x0008_0010).isPrivateCreator)
    }

    @Test("privateCreatorTag names the block's creator element")
    func privateCreatorTag() {
        #expect(Tag(0x0009_1001).privateCreatorTag == Tag(0x0009_0010))
        #expect(Tag(0x0029_11FF).privateCreatorTag == Tag(0x0029_0011))
        #expect(Tag(0x0029_FF00).privateCreatorTag == Tag(0x0029_00FF))
        #expect(Tag(0x0009_0010).privateCreatorTag == nil)
        #expect(Tag(0x0009_0001).privateCreatorTag == nil)
        #expect(Tag(0x0010_1001).privateCreatorTag == nil)
    }

    @Test("group lengths and delimiters")
    func specialTags() {
        #expect(Tag(0x0008_0000).isGroupLength)
        #expect(Tag.fileMetaInformationGroupLength.isGroupLength)
        #expect(!Tag.patientName.isGroupLength)
        #expect(Tag.item.isDelimiter)
        #expect(Tag.itemDelimitationItem.isDelimiter)
        #expect(Tag.sequenceDelimitationItem.isDelimiter)
        #expect(!Tag.pixelData.isDelimiter)
        #expect(Tag.item.rawValue == 0xFFFE_E000)
        #expect(Tag.itemDelimitationItem.rawValue == 0xFFFE_E00D)
        #expect(Tag.sequenceDelimitationItem.rawValue == 0xFFFE_E0DD)
    }

    @Test("tags order by group, then element")
    func ordering() {
        #expect(Tag(0x0008_0016) < Tag(0x0008_0018))
        #expect(Tag(0x0008_FFFF) < Tag(0x0010_0000))
        #expect(Tag.pixelData < Tag.item)
        #expect(!(Tag.patientName < Tag.patientName))
        #expect(Tag(0x0010_0010) > Tag(0x0008_0060))
        let shuffled: [Tag] = [.pixelData, .patientID, .sopClassUID, .item, .fileMetaInformationGroupLength, .patientName]
        #expect(shuffled.sorted() == [.fileMetaInformationGroupLength, .sopClassUID, .patientName, .patientID, .pixelData, .item])
        #expect(shuffled.sorted().map(\.rawValue) == shuffled.map(\.rawValue).sorted())
    }

    @Test("tags are hashable by value")
    func hashing() {
        let set: Set<Tag> = [Tag(0x0010_0010), .patientName, Tag(group: 0x0010, element: 0x0010), .patientID]
        #expect(set.count == 2)
    }
}
