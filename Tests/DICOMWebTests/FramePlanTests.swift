import DICOMCore
import Testing
@testable import DICOMWeb

@Suite struct FramePlanTests {
    let jp2 = TransferSyntax.jpeg2000Lossless
    let native = TransferSyntax.explicitVRLittleEndian

    @Test func octetStreamDecodes() {
        #expect(DICOMWebService.framePlan(stored: jp2, accepted: [("application/octet-stream", "*")])?.0 == .native)
    }

    @Test func theStoredTypeIsSentAsStored() {
        #expect(DICOMWebService.framePlan(stored: jp2, accepted: [("image/jp2", nil)])?.0 == .asStored)
        #expect(DICOMWebService.framePlan(stored: jp2, accepted: [("*/*", nil)])?.0 == .asStored)
    }

    @Test func anotherImageTypeIsEncoded() {
        #expect(DICOMWebService.framePlan(stored: native, accepted: [("image/jls", nil)])?.0 == .encode("1.2.840.10008.1.2.4.80"))
    }

    @Test func anUnencodableTypeFallsToTheNextAccepted() {
        let plan = DICOMWebService.framePlan(stored: native, accepted: [("image/jphc", nil), ("application/octet-stream", nil)])
        #expect(plan?.0 == .native)
        #expect(DICOMWebService.framePlan(stored: native, accepted: [("image/jphc", nil)]) == nil)
    }

    @Test func frameListsAreChecked() throws {
        #expect(try DICOMWebService.frameNumbers("1,3,5") == [1, 3, 5])
        #expect(throws: (any Error).self) { try DICOMWebService.frameNumbers("1,,2") }
        #expect(throws: (any Error).self) { try DICOMWebService.frameNumbers("0") }
    }
}
