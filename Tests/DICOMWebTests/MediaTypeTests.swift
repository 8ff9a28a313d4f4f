import Testing
@testable import DICOMWeb

@Suite struct MediaTypeTests {
    @Test func parsesParametersWithQuotes() throws {
        let m = try #require(MediaType.parse("multipart/related; type=\"application/dicom\"; transfer-syntax=*"))
        #expect(m.essence == "multipart/related")
        #expect(m.parameter("type") == "application/dicom")
        #expect(m.parameter("transfer-syntax") == "*")
    }

    @Test func acceptOrdersByQuality() {
        let list = MediaType.acceptList("image/png;q=0.5, image/jpeg, text/html;q=0")
        #expect(list.map(\.essence) == ["image/jpeg", "image/png"])
    }

    @Test func absentAcceptIsAnything() {
        #expect(MediaType.acceptList(nil).map(\.essence) == ["*/*"])
    }
}
