import DICOMNetwork
import Testing

@Suite("DIMSEStatus")
struct DIMSEStatusTests {
    @Test("categories of PS3.7 Annex C and PS3.4", arguments: [
        (0x0000, DIMSEStatus.Category.success),
        (0xFF00, .pending), (0xFF01, .pending),
        (0xFE00, .cancel),
        (0x0001, .warning), (0x0107, .warning), (0x0116, .warning), (0xB000, .warning), (0xB006, .warning),
        (0xB007, .warning), (0xBFFF, .warning),
        (0xA700, .failure), (0xA702, .failure), (0xA801, .failure), (0xA900, .failure), (0xC000, .failure),
        (0xC001, .failure), (0x0122, .failure), (0x0110, .failure), (0x0211, .failure),
    ] as [(Int, DIMSEStatus.Category)])
    func category(code: Int, expected: DIMSEStatus.Category) {
        let status = DIMSEStatus(UInt16(code))
        #expect(status.category == expected)
        #expect(status.isSuccess == (expected == .success))
        #expect(status.isPending == (expected == .pending))
        #expect(status.isFailure == (expected == .failure))
    }

    @Test("named statuses carry their codes")
    func named() {
        #expect(DIMSEStatus.success.code == 0x0000)
        #expect(DIMSEStatus.pending.code == 0xFF00)
        #expect(DIMSEStatus.pendingWithWarnings.code == 0xFF01)
        #expect(DIMSEStatus.cancel.code == 0xFE00)
        #expect(DIMSEStatus.coercionOfDataElements.code == 0xB000)
        #expect(DIMSEStatus.dataSetDoesNotMatchSOPClassWarning.code == 0xB007)
        #expect(DIMSEStatus.outOfResources.code == 0xA700)
        #expect(DIMSEStatus.moveDestinationUnknown.code == 0xA801)
        #expect(DIMSEStatus.cannotUnderstand.code == 0xC000)
        #expect(DIMSEStatus.sopClassNotSupported.code == 0x0122)
    }

    @Test("description: four uppercase hex digits")
    func description() {
        #expect(DIMSEStatus(0x0000).description == "0000")
        #expect(DIMSEStatus(0x0001).description == "0001")
        #expect(DIMSEStatus(0x0122).description == "0122")
        #expect(DIMSEStatus(0xA801).description == "A801")
        #expect(DIMSEStatus(0xFF00).description == "FF00")
    }
}
