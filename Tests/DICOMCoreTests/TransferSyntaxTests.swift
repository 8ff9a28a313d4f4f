import DICOMCore
import Testing

/// What PS3.5 says of a transfer syntax; nil where the property does not apply (syntaxes without pixel data in
/// the data set, whose "encapsulation" or "lossiness" is not defined).
struct ExpectedSyntax: Sendable, CustomStringConvertible {
    var uid: String
    var explicitVR = true
    var bigEndian = false
    var deflated = false
    var encapsulated: Bool? = true
    var lossy: Bool? = false
    var description: String { uid }
}

private func native(_ uid: String, explicit: Bool = true, big: Bool = false, deflated: Bool = false) -> ExpectedSyntax {
    ExpectedSyntax(uid: uid, explicitVR: explicit, bigEndian: big, deflated: deflated, encapsulated: false, lossy: false)
}
private func lossless(_ uid: String) -> ExpectedSyntax { ExpectedSyntax(uid: uid) }
private func lossy(_ uid: String) -> ExpectedSyntax { ExpectedSyntax(uid: uid, lossy: true) }
/// Syntaxes whose pixel data is not in the data set (JPIP references, RTP video, XML, MIME).
private func referenced(_ uid: String, deflated: Bool = false, lossy: Bool? = nil) -> ExpectedSyntax {
    ExpectedSyntax(uid: uid, deflated: deflated, encapsulated: nil, lossy: lossy)
}

let expectedSyntaxes: [ExpectedSyntax] = [
    native("1.2.840.10008.1.2", explicit: false),
    native("1.2.840.10008.1.2.1"),
    lossless("1.2.840.10008.1.2.1.98"),
    native("1.2.840.10008.1.2.1.99", deflated: true),
    native("1.2.840.10008.1.2.2", big: true),
    lossy("1.2.840.10008.1.2.4.50"), lossy("1.2.840.10008.1.2.4.51"), lossy("1.2.840.10008.1.2.4.52"),
    lossy("1.2.840.10008.1.2.4.53"), lossy("1.2.840.10008.1.2.4.54"), lossy("1.2.840.10008.1.2.4.55"),
    lossy("1.2.840.10008.1.2.4.56"),
    lossless("1.2.840.10008.1.2.4.57"), lossless("1.2.840.10008.1.2.4.58"),
    lossy("1.2.840.10008.1.2.4.59"), lossy("1.2.840.10008.1.2.4.60"), lossy("1.2.840.10008.1.2.4.61"),
    lossy("1.2.840.10008.1.2.4.62"), lossy("1.2.840.10008.1.2.4.63"), lossy("1.2.840.10008.1.2.4.64"),
    lossless("1.2.840.10008.1.2.4.65"), lossless("1.2.840.10008.1.2.4.66"), lossless("1.2.840.10008.1.2.4.70"),
    lossless("1.2.840.10008.1.2.4.80"), lossy("1.2.840.10008.1.2.4.81"),
    lossless("1.2.840.10008.1.2.4.90"), lossy("1.2.840.10008.1.2.4.91"),
    lossless("1.2.840.10008.1.2.4.92"), lossy("1.2.840.10008.1.2.4.93"),
    // JPIP Referenced Deflate: "identical to JPIP Referenced except that the data set is deflated" (PS3.5 §A.7).
    referenced("1.2.840.10008.1.2.4.94"), referenced("1.2.840.10008.1.2.4.95", deflated: true),
    lossy("1.2.840.10008.1.2.4.100"), lossy("1.2.840.10008.1.2.4.100.1"),
    lossy("1.2.840.10008.1.2.4.101"), lossy("1.2.840.10008.1.2.4.101.1"),
    lossy("1.2.840.10008.1.2.4.102"), lossy("1.2.840.10008.1.2.4.102.1"),
    lossy("1.2.840.10008.1.2.4.103"), lossy("1.2.840.10008.1.2.4.103.1"),
    lossy("1.2.840.10008.1.2.4.104"), lossy("1.2.840.10008.1.2.4.104.1"),
    lossy("1.2.840.10008.1.2.4.105"), lossy("1.2.840.10008.1.2.4.105.1"),
    lossy("1.2.840.10008.1.2.4.106"), lossy("1.2.840.10008.1.2.4.106.1"),
    lossy("1.2.840.10008.1.2.4.107"), lossy("1.2.840.10008.1.2.4.108"),
    lossless("1.2.840.10008.1.2.4.201"), lossless("1.2.840.10008.1.2.4.202"), lossy("1.2.840.10008.1.2.4.203"),
    referenced("1.2.840.10008.1.2.4.204"), referenced("1.2.840.10008.1.2.4.205", deflated: true),
    // JPEG XL; its JPEG recompression is lossless over an image that was already lossy JPEG: not asserted.
    lossless("1.2.840.10008.1.2.4.110"), ExpectedSyntax(uid: "1.2.840.10008.1.2.4.111", lossy: nil),
    lossy("1.2.840.10008.1.2.4.112"),
    lossless("1.2.840.10008.1.2.5"),
    // Deflated Image Frame Compression deflates each frame, not the data set.
    lossless("1.2.840.10008.1.2.8.1"),
    referenced("1.2.840.10008.1.2.6.1"), referenced("1.2.840.10008.1.2.6.2"),
    // SMPTE ST 2110 video and audio are uncompressed: never lossy.
    referenced("1.2.840.10008.1.2.7.1", lossy: false), referenced("1.2.840.10008.1.2.7.2", lossy: false),
    referenced("1.2.840.10008.1.2.7.3", lossy: false),
    // Papyrus 3 Implicit VR Little Endian (retired) is a native implicit VR encoding.
    native("1.2.840.10008.1.20", explicit: false),
]

@Suite("TransferSyntax")
struct TransferSyntaxTests {
    @Test("every transfer syntax of the registry has an expectation here")
    func registryCovered() {
        let registered = Set(UIDRegistry.all.filter { $0.type == "Transfer Syntax" }.map(\.uid))
        let expected = Set(expectedSyntaxes.map(\.uid))
        #expect(registered.subtracting(expected).isEmpty, "not covered: \(registered.subtracting(expected).sorted())")
        #expect(expected.subtracting(registered).isEmpty, "not registered: \(expected.subtracting(registered).sorted())")
    }

    @Test("properties of each registered transfer syntax", arguments: expectedSyntaxes)
    func properties(expected: ExpectedSyntax) throws {
        let ts = try #require(TransferSyntax.from(uid: expected.uid))
        #expect(ts.uid == expected.uid)
        #expect(ts.isExplicitVR == expected.explicitVR)
        #expect(ts.isBigEndian == expected.bigEndian)
        #expect(ts.isDeflated == expected.deflated)
        if let encapsulated = expected.encapsulated { #expect(ts.isEncapsulated == encapsulated) }
        if let lossy = expected.lossy { #expect(ts.isLossy == lossy) }
        #expect(ts.name == UIDRegistry.entry(for: expected.uid)?.name)
        #expect(ts.isRetired == UIDRegistry.entry(for: expected.uid)?.isRetired)
    }

    @Test("the named constants match the registry")
    func constants() {
        #expect(TransferSyntax.from(uid: "1.2.840.10008.1.2") == .implicitVRLittleEndian)
        #expect(TransferSyntax.from(uid: "1.2.840.10008.1.2.1") == .explicitVRLittleEndian)
        #expect(TransferSyntax.from(uid: "1.2.840.10008.1.2.1.99") == .deflatedExplicitVRLittleEndian)
        #expect(TransferSyntax.from(uid: "1.2.840.10008.1.2.2") == .explicitVRBigEndian)
        #expect(TransferSyntax.from(uid: "1.2.840.10008.1.2.4.50") == .jpegBaseline8Bit)
        #expect(TransferSyntax.from(uid: "1.2.840.10008.1.2.4.70") == .jpegLosslessSV1)
        #expect(TransferSyntax.from(uid: "1.2.840.10008.1.2.4.90") == .jpeg2000Lossless)
        #expect(TransferSyntax.from(uid: "1.2.840.10008.1.2.4.91") == .jpeg2000)
        #expect(TransferSyntax.from(uid: "1.2.840.10008.1.2.4.81") == .jpegLSNearLossless)
        #expect(TransferSyntax.from(uid: "1.2.840.10008.1.2.5") == .rleLossless)
        #expect(TransferSyntax.from(uid: "1.2.840.10008.1.2.1.98") == .encapsulatedUncompressedExplicitVRLittleEndian)
        #expect(TransferSyntax.from(uid: "1.2.840.10008.1.2.8.1") == .deflatedImageFrameCompression)
        #expect(TransferSyntax.from(uid: "1.2.840.10008.1.2.4.201") == .htj2kLossless)
        #expect(TransferSyntax.from(uid: "1.2.840.10008.1.2.4.203") == .htj2k)
        #expect(TransferSyntax.native == [.implicitVRLittleEndian, .explicitVRLittleEndian,
                                          .deflatedExplicitVRLittleEndian, .explicitVRBigEndian])
        #expect(TransferSyntax.implicitVRLittleEndian.name == "Implicit VR Little Endian")
        #expect(TransferSyntax.explicitVRBigEndian.isRetired)
    }

    @Test("UIDs padded with NUL or spaces are recognised")
    func padding() {
        #expect(TransferSyntax.from(uid: "1.2.840.10008.1.2.1\0") == .explicitVRLittleEndian)
        #expect(TransferSyntax.from(uid: "1.2.840.10008.1.2 ") == .implicitVRLittleEndian)
        #expect(TransferSyntax.from(uid: " 1.2.840.10008.1.2.4.50\0")?.uid == "1.2.840.10008.1.2.4.50")
    }

    @Test("UIDs that are not transfer syntaxes")
    func notTransferSyntaxes() {
        #expect(TransferSyntax.from(uid: "1.2.840.10008.5.1.4.1.1.2") == nil)  // CT Image Storage
        #expect(TransferSyntax.from(uid: "1.2.3.4.5") == nil)
        #expect(TransferSyntax.from(uid: "") == nil)
    }

    @Test("a private transfer syntax resolves to explicit VR little endian, encapsulated")
    func resolving() {
        let ts = TransferSyntax.resolving(uid: "1.2.3.4.5\0")
        #expect(ts.uid == "1.2.3.4.5")
        #expect(ts.isExplicitVR && !ts.isBigEndian && !ts.isDeflated && ts.isEncapsulated)
        #expect(ts.name == "1.2.3.4.5")
        #expect(TransferSyntax.resolving(uid: "1.2.840.10008.1.2") == .implicitVRLittleEndian)
    }
}
