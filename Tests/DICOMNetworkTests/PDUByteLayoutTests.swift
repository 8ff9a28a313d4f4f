import DICOM
import DICOMNetwork
import Testing

/// Exact encodings against the layouts of PS3.8 §9.3, and against pynetdicom 3.0.4's encodings (hard-coded).
@Suite("PDUCodec byte layouts")
struct PDUByteLayoutTests {
    @Test("A-ASSOCIATE-RQ: header, version, space-padded AE titles, items 10/20/30/40/50/51/52 (PS3.8 Table 9-11)")
    func associateRQLayout() {
        var user = UserInformation()
        user.maximumLength = 0x0001_0000
        user.implementationClassUID = "1.2"
        let rq = AAssociateRQ(calledAETitle: "SCP", callingAETitle: "SCU", presentationContexts: [
            PresentationContextRQ(id: 1, abstractSyntax: "1.2.3", transferSyntaxes: ["1.2.4", "1.2.5.6"]),
        ], userInformation: user)
        var body: [UInt8] = [0x00, 0x01, 0x00, 0x00]                      // protocol version 1, reserved
        body += ascii("SCP") + [UInt8](repeating: 0x20, count: 13)          // called AE, 16 bytes space padded
        body += ascii("SCU") + [UInt8](repeating: 0x20, count: 13)          // calling AE
        body += [UInt8](repeating: 0, count: 32)                            // reserved
        body += item(0x10, ascii("1.2.840.10008.3.1.1.1"))
        body += item(0x20, [1, 0, 0, 0] + item(0x30, ascii("1.2.3")) + item(0x40, ascii("1.2.4")) + item(0x40, ascii("1.2.5.6")))
        body += item(0x50, item(0x51, [0x00, 0x01, 0x00, 0x00]) + item(0x52, ascii("1.2")))
        let expected: [UInt8] = [0x01, 0x00] + be32(body.count) + body
        #expect(PDUCodec.encode(.associateRQ(rq)) == expected)
    }

    @Test("A-ASSOCIATE-AC: item 0x21 with result byte, transfer syntax 0x40, user information 0x50")
    func associateACLayout() {
        var user = UserInformation()
        user.maximumLength = nil
        user.implementationClassUID = "9"
        let ac = AAssociateAC(calledAETitle: "SCP", callingAETitle: "SCU", presentationContexts: [
            PresentationContextAC(id: 1, result: .acceptance, transferSyntax: "1.2.4"),
            PresentationContextAC(id: 3, result: .abstractSyntaxNotSupported, transferSyntax: "ignored"),
        ], userInformation: user)
        var body: [UInt8] = [0x00, 0x01, 0x00, 0x00]
        body += ascii("SCP") + [UInt8](repeating: 0x20, count: 13)
        body += ascii("SCU") + [UInt8](repeating: 0x20, count: 13)
        body += [UInt8](repeating: 0, count: 32)
        body += item(0x10, ascii("1.2.840.10008.3.1.1.1"))
        body += item(0x21, [1, 0, 0, 0] + item(0x40, ascii("1.2.4")))
        body += item(0x21, [3, 0, 3, 0] + item(0x40, []))
        body += item(0x50, item(0x52, ascii("9")))
        #expect(PDUCodec.encode(.associateAC(ac)) == [0x02, 0x00] + be32(body.count) + body)
    }

    @Test("AE titles longer than 16 characters are cut to 16")
    func longAETitle() throws {
        let rq = AAssociateRQ(calledAETitle: "ABCDEFGHIJKLMNOPQRST", callingAETitle: "B", presentationContexts: [
            PresentationContextRQ(id: 1, abstractSyntax: UID.verification, transferSyntaxes: [UID.implicitLE]),
        ])
        let bytes = PDUCodec.encode(.associateRQ(rq))
        #expect(Array(bytes[10..<26]) == ascii("ABCDEFGHIJKLMNOP"))
        guard case .associateRQ(let back) = try decodeWire(bytes) else { Issue.record("not RQ"); return }
        #expect(back.calledAETitle == "ABCDEFGHIJKLMNOP")
    }

    @Test("user information sub-items 0x53 to 0x59 (PS3.7 D.3.3)")
    func userInformationSubItems() throws {
        var rq = fullRequest()
        rq.userInformation.maximumLength = nil
        rq.userInformation.implementationClassUID = "1"
        rq.userInformation.roleSelections = [RoleSelection(sopClassUID: "1.2", scuRole: false, scpRole: true)]
        rq.userInformation.extendedNegotiations = [SOPClassExtendedNegotiation(sopClassUID: "3", applicationInformation: [1, 0, 1])]
        rq.userInformation.commonExtendedNegotiations = [SOPClassCommonExtendedNegotiation(
            sopClassUID: "4", serviceClassUID: "5", relatedGeneralSOPClassUIDs: ["6", "7.8"])]
        rq.userInformation.userIdentity = .username("u", passcode: "pw", positiveResponseRequested: true)
        let bytes = PDUCodec.encode(.associateRQ(rq))
        let at = try #require(userInformationOffset(bytes))
        var expected: [UInt8] = item(0x52, ascii("1"))
        expected += item(0x53, [0, 5, 0, 3])
        expected += item(0x54, be16(3) + ascii("1.2") + [0, 1])
        expected += item(0x55, ascii("LIGHTBOX_1"))
        expected += item(0x56, be16(1) + ascii("3") + [1, 0, 1])
        expected += item(0x57, be16(1) + ascii("4") + be16(1) + ascii("5") + be16(8) + be16(1) + ascii("6") + be16(3) + ascii("7.8"))
        expected += item(0x58, [2, 1] + be16(1) + ascii("u") + be16(2) + ascii("pw"))
        #expect(Array(bytes[at...]) == item(0x50, expected))
    }

    @Test("A-ASSOCIATE-AC user identity server response is item 0x59 with a 16-bit length")
    func serverResponseLayout() throws {
        var user = UserInformation()
        user.maximumLength = nil
        user.implementationClassUID = "1"
        user.userIdentityServerResponse = [0xAA, 0xBB, 0xCC]
        let bytes = PDUCodec.encode(.associateAC(AAssociateAC(calledAETitle: "A", callingAETitle: "B", presentationContexts: [],
                                                              userInformation: user)))
        let at = try #require(userInformationOffset(bytes))
        #expect(Array(bytes[at...]) == item(0x50, item(0x52, ascii("1")) + item(0x59, be16(3) + [0xAA, 0xBB, 0xCC])))
    }

    @Test("A-ASSOCIATE-RJ, A-RELEASE-RQ/RP, A-ABORT: fixed 10-byte PDUs (PS3.8 Tables 9-21, 9-24, 9-25, 9-26)")
    func fixedLayouts() {
        #expect(PDUCodec.encode(.associateRJ(AAssociateRJ(result: .transient, source: .serviceProviderPresentation, reason: 2)))
                == [0x03, 0, 0, 0, 0, 4, 0, 2, 3, 2])
        #expect(PDUCodec.encode(.associateRJ(AAssociateRJ(result: .permanent, source: .serviceUser, reason: 7)))
                == [0x03, 0, 0, 0, 0, 4, 0, 1, 1, 7])
        #expect(PDUCodec.encode(.releaseRQ) == [0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0])
        #expect(PDUCodec.encode(.releaseRP) == [0x06, 0, 0, 0, 0, 4, 0, 0, 0, 0])
        #expect(PDUCodec.encode(.abort(AAbort(source: .serviceProvider, reason: AAbort.unexpectedPDU)))
                == [0x07, 0, 0, 0, 0, 4, 0, 0, 2, 2])
        #expect(PDUCodec.encode(.abort(AAbort(source: .serviceUser))) == [0x07, 0, 0, 0, 0, 4, 0, 0, 0, 0])
    }

    @Test("P-DATA-TF: PDV item length, context ID, message control header bits (PS3.8 §9.3.5, Annex E)")
    func pDataLayout() {
        let pdu = PDU.data(PDataTF(values: [
            PresentationDataValue(contextID: 1, isCommand: true, isLast: true, data: Bytes([0x01, 0x02])),
            PresentationDataValue(contextID: 3, isCommand: false, isLast: true, data: Bytes([0xAA, 0xBB, 0xCC])),
            PresentationDataValue(contextID: 5, isCommand: true, isLast: false, data: Bytes([0x10])),
            PresentationDataValue(contextID: 7, isCommand: false, isLast: false, data: Bytes()),
        ]))
        // The first two PDVs are what pynetdicom encodes for [[1, b'\x03\x01\x02'], [3, b'\x02\xaa\xbb\xcc']].
        let expected = hex("04 00 0000001e") + hex("00000004 01 03 0102") + hex("00000005 03 02 aabbcc")
            + hex("00000003 05 01 10") + hex("00000002 07 00")
        #expect(PDUCodec.encode(pdu) == expected)
    }

    @Test("dataHeader equals the first 12 bytes of a one-PDV P-DATA-TF",
          arguments: [(1, true, true, 0), (1, true, false, 1), (3, false, true, 1000), (255, false, false, 70000)])
    func dataHeader(contextID: Int, isCommand: Bool, isLast: Bool, length: Int) {
        let data = Bytes([UInt8](repeating: 0x5A, count: length))
        let pdu = PDUCodec.encode(.data(PDataTF(values: [
            PresentationDataValue(contextID: UInt8(contextID), isCommand: isCommand, isLast: isLast, data: data)])))
        let header = PDUCodec.dataHeader(contextID: UInt8(contextID), isCommand: isCommand, isLast: isLast, dataLength: length)
        #expect(header.count == 12)
        #expect(header == Array(pdu.prefix(12)))
        #expect(pdu.count == 12 + length)
    }

    // MARK: pynetdicom

    /// pynetdicom 3.0.4, `A_ASSOCIATE_RQ.from_primitive(...).encode()`: PYSCU → LIGHTBOX, contexts 1 (Verification,
    /// implicit) and 3 (CT Image Storage, explicit then implicit), max length 16384, implementation class UID,
    /// version "PYNETDICOM_304" (0x55 before 0x53 in pynetdicom's order), window 5/3, role CT SCP only, extended
    /// negotiation 01 01 for Study Root FIND, common extended negotiation, user identity 2 with a response requested.
    static let pynetdicomRQ = hex("""
        0100000001da000100004c49474854424f58202020202020202050595343552020202020202020202020000000000000000000000000000000000000
        000000000000000000000000000010000015312e322e3834302e31303030382e332e312e312e312000002e0100000030000011312e322e3834302e31
        303030382e312e3140000011312e322e3834302e31303030382e312e322000004d0300000030000019312e322e3834302e31303030382e352e312e34
        2e312e312e3240000013312e322e3834302e31303030382e312e322e3140000011312e322e3834302e31303030382e312e32500000f6510000040000
        400052000020312e322e3832362e302e312e333638303034332e392e333831312e332e302e345500000e50594e45544449434f4d5f33303453000004
        000500035400001d0019312e322e3834302e31303030382e352e312e342e312e312e3200015600001f001b312e322e3834302e31303030382e352e31
        2e342e312e322e322e31010157000053001d312e322e3834302e31303030382e352e312e342e312e312e38382e32320011312e322e3834302e313030
        30382e342e32001f001d312e322e3834302e31303030382e352e312e342e312e312e38382e31315800001102010005616c6963650006736563726574
        """)

    /// The same request without the implementation version name: then both orders agree, byte for byte.
    static let pynetdicomRQNoVersion = hex("""
        0100000001c8000100004c49474854424f58202020202020202050595343552020202020202020202020000000000000000000000000000000000000
        000000000000000000000000000010000015312e322e3834302e31303030382e332e312e312e312000002e0100000030000011312e322e3834302e31
        303030382e312e3140000011312e322e3834302e31303030382e312e322000004d0300000030000019312e322e3834302e31303030382e352e312e34
        2e312e312e3240000013312e322e3834302e31303030382e312e322e3140000011312e322e3834302e31303030382e312e32500000e4510000040000
        400052000020312e322e3832362e302e312e333638303034332e392e333831312e332e302e3453000004000500035400001d0019312e322e3834302e
        31303030382e352e312e342e312e312e3200015600001f001b312e322e3834302e31303030382e352e312e342e312e322e322e31010157000053001d
        312e322e3834302e31303030382e352e312e342e312e312e38382e32320011312e322e3834302e31303030382e342e32001f001d312e322e3834302e
        31303030382e352e312e342e312e312e38382e31315800001102010005616c6963650006736563726574
        """)

    static func pynetdicomEquivalent(versionName: String?) -> AAssociateRQ {
        var user = UserInformation()
        user.maximumLength = 16384
        user.implementationClassUID = "1.2.826.0.1.3680043.9.3811.3.0.4"
        user.implementationVersionName = versionName
        user.asynchronousOperationsWindow = AsynchronousOperationsWindow(maximumInvoked: 5, maximumPerformed: 3)
        user.roleSelections = [RoleSelection(sopClassUID: UID.ctImageStorage, scuRole: false, scpRole: true)]
        user.extendedNegotiations = [SOPClassExtendedNegotiation(sopClassUID: UID.studyRootFind, applicationInformation: [1, 1])]
        user.commonExtendedNegotiations = [SOPClassCommonExtendedNegotiation(
            sopClassUID: "1.2.840.10008.5.1.4.1.1.88.22", serviceClassUID: "1.2.840.10008.4.2",
            relatedGeneralSOPClassUIDs: ["1.2.840.10008.5.1.4.1.1.88.11"])]
        user.userIdentity = .username("alice", passcode: "secret", positiveResponseRequested: true)
        return AAssociateRQ(calledAETitle: "LIGHTBOX", callingAETitle: "PYSCU", presentationContexts: [
            PresentationContextRQ(id: 1, abstractSyntax: UID.verification, transferSyntaxes: [UID.implicitLE]),
            PresentationContextRQ(id: 3, abstractSyntax: UID.ctImageStorage, transferSyntaxes: [UID.explicitLE, UID.implicitLE]),
        ], userInformation: user)
    }

    @Test("pynetdicom's A-ASSOCIATE-RQ decodes to the request it was built from")
    func decodePynetdicomRQ() throws {
        #expect(Self.pynetdicomRQ.count == 480)
        #expect(try decodeWire(Self.pynetdicomRQ) == .associateRQ(Self.pynetdicomEquivalent(versionName: "PYNETDICOM_304")))
        #expect(try decodeWire(Self.pynetdicomRQNoVersion) == .associateRQ(Self.pynetdicomEquivalent(versionName: nil)))
    }

    @Test("our encoding of the same request equals pynetdicom's byte for byte")
    func encodeLikePynetdicom() {
        #expect(PDUCodec.encode(.associateRQ(Self.pynetdicomEquivalent(versionName: nil))) == Self.pynetdicomRQNoVersion)
        // With the version name only the position of item 0x55 differs: same length.
        #expect(PDUCodec.encode(.associateRQ(Self.pynetdicomEquivalent(versionName: "PYNETDICOM_304"))).count == 480)
    }

    /// pynetdicom 3.0.4 A-ASSOCIATE-AC: context 1 accepted (implicit), context 3 rejected with result 3 (pynetdicom
    /// still sends a transfer syntax sub-item, which is not significant: read as ""), max length 32768, class UID
    /// "1.2.3.4", server response "OK".
    static let pynetdicomAC = hex("""
        0200000000b6000100004c49474854424f58202020202020202050595343552020202020202020202020000000000000000000000000000000000000
        000000000000000000000000000010000015312e322e3834302e31303030382e332e312e312e31210000190100000040000011312e322e3834302e31
        303030382e312e32210000190300030040000011312e322e3834302e31303030382e312e325000001b510000040000800052000007312e322e332e34
        5900000400024f4b
        """)

    @Test("pynetdicom's A-ASSOCIATE-AC decodes")
    func decodePynetdicomAC() throws {
        var user = UserInformation()
        user.maximumLength = 32768
        user.implementationClassUID = "1.2.3.4"
        user.userIdentityServerResponse = Array("OK".utf8)
        let expected = AAssociateAC(calledAETitle: "LIGHTBOX", callingAETitle: "PYSCU", presentationContexts: [
            PresentationContextAC(id: 1, result: .acceptance, transferSyntax: UID.implicitLE),
            PresentationContextAC(id: 3, result: .abstractSyntaxNotSupported, transferSyntax: ""),
        ], userInformation: user)
        #expect(try decodeWire(Self.pynetdicomAC) == .associateAC(expected))
    }
}
