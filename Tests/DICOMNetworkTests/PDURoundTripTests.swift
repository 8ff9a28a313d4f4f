import DICOM
import DICOMNetwork
import Testing

@Suite("PDUCodec round trips")
struct PDURoundTripTests {
    @Test("A-ASSOCIATE-RQ with several presentation contexts and every user information sub-item")
    func associateRQFull() throws {
        let rq = fullRequest()
        let decoded = try roundTrip(.associateRQ(rq))
        #expect(decoded == .associateRQ(rq))
        guard case .associateRQ(let back) = decoded else { Issue.record("not an A-ASSOCIATE-RQ"); return }
        #expect(back.presentationContexts.map(\.id) == [1, 3, 5])
        #expect(back.presentationContexts[1].transferSyntaxes == [UID.explicitLE, UID.implicitLE, UID.jpegBaseline])
        #expect(back.userInformation.maximumLength == 16384)
        #expect(back.userInformation.implementationVersionName == "LIGHTBOX_1")
        #expect(back.userInformation.asynchronousOperationsWindow == AsynchronousOperationsWindow(maximumInvoked: 5, maximumPerformed: 3))
        #expect(back.userInformation.roleSelections.count == 2)
        #expect(back.userInformation.extendedNegotiations.first?.relationalQueries == true)
        #expect(back.userInformation.extendedNegotiations.first?.combinedDateTimeMatching == true)
        #expect(back.userInformation.extendedNegotiations.first?.fuzzySemanticMatching == false)
        #expect(back.userInformation.commonExtendedNegotiations.first?.relatedGeneralSOPClassUIDs.count == 2)
        #expect(back.userInformation.userIdentity?.username == "alice")
        #expect(back.userInformation.userIdentity?.secondaryField == Array("s3cret".utf8))
    }

    @Test("A-ASSOCIATE-RQ with a minimal user information item")
    func associateRQMinimal() throws {
        let rq = AAssociateRQ(calledAETitle: "A", callingAETitle: "B", presentationContexts: [
            PresentationContextRQ(id: 1, abstractSyntax: UID.verification, transferSyntaxes: [UID.implicitLE]),
        ])
        #expect(try roundTrip(.associateRQ(rq)) == .associateRQ(rq))
    }

    @Test("A-ASSOCIATE-RQ keeps protocol version, application context and 16-character AE titles")
    func associateRQHeaderFields() throws {
        var rq = fullRequest()
        rq.protocolVersion = 3
        rq.applicationContext = "1.2.3.4.5"
        rq.calledAETitle = "ABCDEFGHIJKLMNOP"
        rq.callingAETitle = "X"
        #expect(try roundTrip(.associateRQ(rq)) == .associateRQ(rq))
    }

    static let identities: [UserIdentity] = [
        .username("bob"),
        .username("bob", positiveResponseRequested: true),
        .username("bob", passcode: "pw"),
        .username("bob", passcode: "pw", positiveResponseRequested: true),
        UserIdentity(kind: .kerberos, primaryField: [0x60, 0x82, 0x01, 0x00, 0xFF]),
        UserIdentity(kind: .kerberos, positiveResponseRequested: true, primaryField: [1, 2, 3], secondaryField: [9, 8]),
        UserIdentity(kind: .saml, primaryField: Array("<saml:Assertion/>".utf8)),
        UserIdentity(kind: .saml, positiveResponseRequested: true, primaryField: Array("<a/>".utf8), secondaryField: [7]),
        UserIdentity(kind: .jwt, primaryField: Array("eyJhbGciOiJIUzI1NiJ9.e30.sig".utf8)),
        UserIdentity(kind: .jwt, positiveResponseRequested: true, primaryField: Array("t".utf8), secondaryField: Array("x".utf8)),
    ]

    @Test("A-ASSOCIATE-RQ user identity of each kind, with and without a secondary field", arguments: identities)
    func userIdentity(identity: UserIdentity) throws {
        var rq = fullRequest()
        rq.userInformation.userIdentity = identity
        let back = try roundTrip(.associateRQ(rq))
        #expect(back == .associateRQ(rq))
        guard case .associateRQ(let decoded) = back else { return }
        #expect(decoded.userInformation.userIdentity == identity)
    }

    @Test("username identities: kind chosen by the presence of a passcode")
    func usernameKinds() {
        #expect(UserIdentity.username("a").kind == .username)
        #expect(UserIdentity.username("a", passcode: "b").kind == .usernameAndPasscode)
        #expect(UserIdentity.username("a", passcode: "b").username == "a")
        #expect(UserIdentity(kind: .jwt, primaryField: [1]).username == nil)
    }

    @Test("unknown user information sub-items are kept as they came")
    func unknownSubItems() throws {
        // UnknownItem has no public initialiser: make one by decoding.
        let bytes = PDUCodec.encode(.associateRQ(fullRequest()))
        var patched = bytes + item(0x5A, [1, 2, 3, 4])
        // Grow the user information item (the last one) and the PDU length by the 8 bytes added.
        let userAt = try #require(userInformationOffset(bytes))
        let userLength = Int(bytes[userAt + 2]) << 8 | Int(bytes[userAt + 3])
        patched.replaceSubrange(userAt + 2..<userAt + 4, with: be16(userLength + 8))
        patched.replaceSubrange(2..<6, with: be32(patched.count - 6))
        let decoded = try decodeWire(patched)
        guard case .associateRQ(let back) = decoded else { Issue.record("not an A-ASSOCIATE-RQ"); return }
        #expect(back.userInformation.unknownItems.map(\.type) == [0x5A])
        #expect(back.userInformation.unknownItems.first?.data == [1, 2, 3, 4])
        #expect(try roundTrip(decoded) == decoded)
    }

    @Test("A-ASSOCIATE-AC with accepted and rejected contexts and a user identity server response")
    func associateAC() throws {
        var user = UserInformation()
        user.maximumLength = 65536
        user.implementationClassUID = "1.2.3.4"
        user.implementationVersionName = "SCP"
        user.asynchronousOperationsWindow = AsynchronousOperationsWindow(maximumInvoked: 1, maximumPerformed: 1)
        user.roleSelections = [RoleSelection(sopClassUID: UID.ctImageStorage, scuRole: false, scpRole: true)]
        user.extendedNegotiations = [SOPClassExtendedNegotiation(sopClassUID: UID.studyRootFind, applicationInformation: [1, 0])]
        user.userIdentityServerResponse = Array("ticket".utf8)
        let ac = AAssociateAC(calledAETitle: "LIGHTBOX", callingAETitle: "MODALITY1", presentationContexts: [
            PresentationContextAC(id: 1, result: .acceptance, transferSyntax: UID.implicitLE),
            PresentationContextAC(id: 3, result: .acceptance, transferSyntax: UID.explicitLE),
            PresentationContextAC(id: 5, result: .userRejection, transferSyntax: ""),
            PresentationContextAC(id: 7, result: .noReason, transferSyntax: ""),
            PresentationContextAC(id: 9, result: .abstractSyntaxNotSupported, transferSyntax: ""),
            PresentationContextAC(id: 11, result: .transferSyntaxesNotSupported, transferSyntax: ""),
        ], userInformation: user)
        #expect(try roundTrip(.associateAC(ac)) == .associateAC(ac))
    }

    @Test("an A-ASSOCIATE-AC sends no user identity request, an A-ASSOCIATE-RQ no server response")
    func identityDirection() throws {
        var rq = fullRequest()
        rq.userInformation.userIdentityServerResponse = [1, 2]
        guard case .associateRQ(let backRQ) = try roundTrip(.associateRQ(rq)) else { Issue.record("not RQ"); return }
        #expect(backRQ.userInformation.userIdentityServerResponse == nil)
        #expect(backRQ.userInformation.userIdentity != nil)

        var user = UserInformation()
        user.userIdentity = .username("x")
        user.userIdentityServerResponse = []
        let ac = AAssociateAC(calledAETitle: "A", callingAETitle: "B", presentationContexts: [], userInformation: user)
        guard case .associateAC(let backAC) = try roundTrip(.associateAC(ac)) else { Issue.record("not AC"); return }
        #expect(backAC.userInformation.userIdentity == nil)
        #expect(backAC.userInformation.userIdentityServerResponse == [])
    }

    static let rejections: [AAssociateRJ] = [
        AAssociateRJ(result: .permanent, source: .serviceUser, reason: AAssociateRJ.noReasonGiven),
        AAssociateRJ(result: .permanent, source: .serviceUser, reason: AAssociateRJ.applicationContextNameNotSupported),
        AAssociateRJ(result: .permanent, source: .serviceUser, reason: AAssociateRJ.callingAETitleNotRecognized),
        AAssociateRJ(result: .permanent, source: .serviceUser, reason: AAssociateRJ.calledAETitleNotRecognized),
        AAssociateRJ(result: .permanent, source: .serviceProviderACSE, reason: AAssociateRJ.protocolVersionNotSupported),
        AAssociateRJ(result: .transient, source: .serviceProviderPresentation, reason: AAssociateRJ.temporaryCongestion),
        AAssociateRJ(result: .transient, source: .serviceProviderPresentation, reason: AAssociateRJ.localLimitExceeded),
    ]

    @Test("A-ASSOCIATE-RJ", arguments: rejections)
    func associateRJ(rj: AAssociateRJ) throws {
        #expect(try roundTrip(.associateRJ(rj)) == .associateRJ(rj))
    }

    @Test("P-DATA-TF with several PDVs and every combination of the command and last flags")
    func pData() throws {
        let values = [
            PresentationDataValue(contextID: 1, isCommand: true, isLast: false, data: Bytes([1, 2, 3, 4])),
            PresentationDataValue(contextID: 1, isCommand: true, isLast: true, data: Bytes([5, 6])),
            PresentationDataValue(contextID: 3, isCommand: false, isLast: false, data: Bytes(Array(repeating: 0xAB, count: 1000))),
            PresentationDataValue(contextID: 255, isCommand: false, isLast: true, data: Bytes()),
        ]
        let pdu = PDU.data(PDataTF(values: values))
        #expect(try roundTrip(pdu) == pdu)
    }

    @Test("A-RELEASE-RQ and A-RELEASE-RP")
    func release() throws {
        #expect(try roundTrip(.releaseRQ) == .releaseRQ)
        #expect(try roundTrip(.releaseRP) == .releaseRP)
    }

    static let aborts: [AAbort] = [
        AAbort(source: .serviceUser),
        AAbort(source: .serviceProvider, reason: AAbort.reasonNotSpecified),
        AAbort(source: .serviceProvider, reason: AAbort.unrecognizedPDU),
        AAbort(source: .serviceProvider, reason: AAbort.unexpectedPDU),
        AAbort(source: .serviceProvider, reason: AAbort.unrecognizedPDUParameter),
        AAbort(source: .serviceProvider, reason: AAbort.unexpectedPDUParameter),
        AAbort(source: .serviceProvider, reason: AAbort.invalidPDUParameterValue),
    ]

    @Test("A-ABORT", arguments: aborts)
    func abort(a: AAbort) throws {
        #expect(try roundTrip(.abort(a)) == .abort(a))
    }

    @Test("PDU type bytes and names")
    func typesAndNames() {
        let rq = fullRequest()
        let ac = AAssociateAC(calledAETitle: "", callingAETitle: "", presentationContexts: [])
        let cases: [(PDU, UInt8, String)] = [
            (.associateRQ(rq), 0x01, "A-ASSOCIATE-RQ"), (.associateAC(ac), 0x02, "A-ASSOCIATE-AC"),
            (.associateRJ(Self.rejections[0]), 0x03, "A-ASSOCIATE-RJ"), (.data(PDataTF(values: [])), 0x04, "P-DATA-TF"),
            (.releaseRQ, 0x05, "A-RELEASE-RQ"), (.releaseRP, 0x06, "A-RELEASE-RP"), (.abort(Self.aborts[0]), 0x07, "A-ABORT"),
        ]
        for (pdu, type, name) in cases {
            #expect(pdu.type == type)
            #expect(pdu.name == name)
            #expect(PDUCodec.encode(pdu).first == type)
        }
    }
}

/// The offset of the user information item (0x50) in an encoded A-ASSOCIATE PDU, walking the items.
func userInformationOffset(_ pdu: [UInt8]) -> Int? {
    var at = 6 + 68
    while at + 4 <= pdu.count {
        if pdu[at] == 0x50 { return at }
        at += 4 + (Int(pdu[at + 2]) << 8 | Int(pdu[at + 3]))
    }
    return nil
}
