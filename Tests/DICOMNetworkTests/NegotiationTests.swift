import DICOM
import DICOMNetwork
import Testing

/// AssociationPolicy.negotiate: the acceptor's answer to an A-ASSOCIATE-RQ (PS3.8 §9.3.3, §9.3.4; PS3.7 Annex D).
@Suite("AssociationPolicy.negotiate")
struct NegotiationTests {
    static let local = "127.0.0.1"

    func request(called: String = "LIGHTBOX", calling: String = "SCU", contexts: [PresentationContextRQ]? = nil,
                 user: UserInformation = UserInformation()) -> AAssociateRQ {
        AAssociateRQ(calledAETitle: called, callingAETitle: calling, presentationContexts: contexts ?? [
            PresentationContextRQ(id: 1, abstractSyntax: UID.verification, transferSyntaxes: [UID.implicitLE]),
        ], userInformation: user)
    }

    func policy() -> AssociationPolicy {
        var p = AssociationPolicy(aeTitle: "LIGHTBOX")
        p.abstractSyntaxes[UID.verification] = .some(nil)
        return p
    }

    func accepted(_ result: Result<AAssociateAC, AAssociateRJ>, sourceLocation: SourceLocation = #_sourceLocation) -> AAssociateAC? {
        switch result {
        case .success(let ac): return ac
        case .failure(let rj):
            Issue.record("rejected: \(rj)", sourceLocation: sourceLocation)
            return nil
        }
    }

    func rejection(_ result: Result<AAssociateAC, AAssociateRJ>) -> AAssociateRJ? {
        if case .failure(let rj) = result { return rj }
        return nil
    }

    @Test("a called AE title other than ours: rejected permanent, service user, reason 7")
    func calledAE() {
        let rj = rejection(policy().negotiate(request(called: "OTHER"), host: Self.local))
        #expect(rj == AAssociateRJ(result: .permanent, source: .serviceUser, reason: 7))
        var lenient = policy()
        lenient.checkCalledAETitle = false
        #expect(accepted(lenient.negotiate(request(called: "OTHER"), host: Self.local)) != nil)
    }

    @Test("by default any calling AE title is allowed, from the local host only", arguments: [
        ("127.0.0.1", true), ("::1", true), ("10.0.0.5", false), ("192.168.1.20", false), ("::ffff:10.0.0.5", false),
    ])
    func defaultCallers(host: String, allowed: Bool) {
        let result = policy().negotiate(request(calling: "ANYONE"), host: host)
        if allowed {
            #expect(accepted(result) != nil)
        } else {
            #expect(rejection(result) == AAssociateRJ(result: .permanent, source: .serviceUser, reason: 3))
        }
        #expect(policy().allows(callingAETitle: "ANYONE", host: host) == allowed)
    }

    @Test("allowed callers by AE title and host, with the * wildcard")
    func allowedCallers() {
        var p = policy()
        p.allowedCallers = [AllowedCaller(aeTitle: "CT1", hosts: ["10.0.0.5"]),
                            AllowedCaller(aeTitle: "WS", hosts: nil),
                            AllowedCaller(aeTitle: "ROAMING", hosts: ["*"])]
        #expect(p.allows(callingAETitle: "CT1", host: "10.0.0.5"))
        #expect(!p.allows(callingAETitle: "CT1", host: "10.0.0.6"))
        #expect(!p.allows(callingAETitle: "CT1", host: Self.local))
        #expect(p.allows(callingAETitle: "WS", host: "172.16.0.1"))
        #expect(p.allows(callingAETitle: "ROAMING", host: "8.8.8.8"))
        #expect(!p.allows(callingAETitle: "ct1", host: "10.0.0.5"))
        #expect(!p.allows(callingAETitle: "UNKNOWN", host: "10.0.0.5"))
        #expect(accepted(p.negotiate(request(calling: "CT1"), host: "10.0.0.5")) != nil)
        #expect(rejection(p.negotiate(request(calling: "CT1"), host: "10.0.0.9"))?.reason == AAssociateRJ.callingAETitleNotRecognized)
        #expect(rejection(p.negotiate(request(calling: "MR2"), host: "10.0.0.5"))?.reason == 3)

        var anyAE = policy()
        anyAE.allowedCallers = [AllowedCaller(aeTitle: "*", hosts: ["10.0.0.0", "10.0.0.1"])]
        #expect(anyAE.allows(callingAETitle: "WHOEVER", host: "10.0.0.1"))
        #expect(!anyAE.allows(callingAETitle: "WHOEVER", host: "10.0.0.2"))
        var nobody = policy()
        nobody.allowedCallers = []
        #expect(!nobody.allows(callingAETitle: "SCU", host: Self.local))
    }

    @Test("an application context other than DICOM's: reason 2 from the service user")
    func applicationContext() {
        var rq = request()
        rq.applicationContext = "1.2.840.10008.3.1.1.2"
        #expect(rejection(policy().negotiate(rq, host: Self.local)) == AAssociateRJ(result: .permanent, source: .serviceUser, reason: 2))
    }

    @Test("a protocol version without bit 0: reason 2 from the ACSE provider", arguments: [0, 2, 4, 0x8000] as [UInt16])
    func protocolVersion(version: UInt16) {
        var rq = request()
        rq.protocolVersion = version
        #expect(rejection(policy().negotiate(rq, host: Self.local))
                == AAssociateRJ(result: .permanent, source: .serviceProviderACSE, reason: AAssociateRJ.protocolVersionNotSupported))
    }

    @Test("a protocol version with bit 0 and more is accepted", arguments: [1, 3, 0xFFFF] as [UInt16])
    func protocolVersionAccepted(version: UInt16) {
        var rq = request()
        rq.protocolVersion = version
        #expect(accepted(policy().negotiate(rq, host: Self.local)) != nil)
    }

    @Test("presentation contexts: transfer syntax in the requestor's order or ours; results 3 and 4")
    func contexts() throws {
        var p = policy()
        p.abstractSyntaxes[UID.ctImageStorage] = [UID.explicitLE, UID.implicitLE]
        p.abstractSyntaxes[UID.mrImageStorage] = [UID.jpegBaseline]
        let rq = request(contexts: [
            PresentationContextRQ(id: 1, abstractSyntax: UID.ctImageStorage, transferSyntaxes: [UID.deflate, UID.implicitLE, UID.explicitLE]),
            PresentationContextRQ(id: 3, abstractSyntax: UID.verification, transferSyntaxes: [UID.implicitLE, UID.explicitLE]),
            PresentationContextRQ(id: 5, abstractSyntax: UID.studyRootFind, transferSyntaxes: [UID.implicitLE]),
            PresentationContextRQ(id: 7, abstractSyntax: UID.mrImageStorage, transferSyntaxes: [UID.implicitLE, UID.explicitLE]),
        ])
        let theirs = try #require(accepted(p.negotiate(rq, host: Self.local)))
        #expect(theirs.presentationContexts == [
            PresentationContextAC(id: 1, result: .acceptance, transferSyntax: UID.implicitLE),
            PresentationContextAC(id: 3, result: .acceptance, transferSyntax: UID.implicitLE),
            PresentationContextAC(id: 5, result: .abstractSyntaxNotSupported, transferSyntax: ""),
            PresentationContextAC(id: 7, result: .transferSyntaxesNotSupported, transferSyntax: ""),
        ])
        p.preferOurTransferSyntaxOrder = true
        let ours = try #require(accepted(p.negotiate(rq, host: Self.local)))
        #expect(ours.presentationContexts.map(\.transferSyntax) == [UID.explicitLE, UID.explicitLE, "", ""])
        #expect(ours.presentationContexts.map(\.result) == [.acceptance, .acceptance, .abstractSyntaxNotSupported,
                                                            .transferSyntaxesNotSupported])
    }

    @Test("any transfer syntax accepted, our order: a proposed syntax outside our preferences falls back to the first")
    func anySyntaxOurOrder() throws {
        var p = policy()
        p.preferOurTransferSyntaxOrder = true
        let rq = request(contexts: [PresentationContextRQ(id: 1, abstractSyntax: UID.verification, transferSyntaxes: [UID.jpegBaseline, UID.deflate])])
        #expect(try #require(accepted(p.negotiate(rq, host: Self.local))).presentationContexts.first?.transferSyntax == UID.jpegBaseline)
    }

    @Test("acceptAnyStorageClass accepts storage SOP classes only")
    func anyStorage() throws {
        var p = AssociationPolicy(aeTitle: "LIGHTBOX")
        p.acceptAnyStorageClass = true
        let rq = request(contexts: [
            PresentationContextRQ(id: 1, abstractSyntax: UID.ctImageStorage, transferSyntaxes: [UID.jpegBaseline, UID.explicitLE]),
            PresentationContextRQ(id: 3, abstractSyntax: "1.2.840.10008.5.1.4.1.1.999", transferSyntaxes: [UID.implicitLE]),
            PresentationContextRQ(id: 5, abstractSyntax: UID.studyRootFind, transferSyntaxes: [UID.implicitLE]),
            PresentationContextRQ(id: 7, abstractSyntax: UID.verification, transferSyntaxes: [UID.implicitLE]),
        ])
        let ac = try #require(accepted(p.negotiate(rq, host: Self.local)))
        #expect(ac.presentationContexts.map(\.result) == [.acceptance, .acceptance, .abstractSyntaxNotSupported, .abstractSyntaxNotSupported])
        #expect(ac.presentationContexts[0].transferSyntax == UID.jpegBaseline)
        #expect(isStorageSOPClass(UID.ctImageStorage))
        #expect(isStorageSOPClass(UID.mrImageStorage))
        #expect(!isStorageSOPClass(UID.studyRootFind))
        #expect(!isStorageSOPClass(UID.verification))
    }

    @Test("role selection: the SCP role only for storage classes when acceptAnyStorageClassForSCPRole, or listed classes")
    func roles() throws {
        var user = UserInformation()
        user.roleSelections = [RoleSelection(sopClassUID: UID.ctImageStorage, scuRole: false, scpRole: true),
                               RoleSelection(sopClassUID: UID.studyRootFind, scuRole: true, scpRole: true),
                               RoleSelection(sopClassUID: UID.mrImageStorage, scuRole: true, scpRole: false)]
        let rq = request(user: user)
        let plain = try #require(accepted(policy().negotiate(rq, host: Self.local)))
        #expect(plain.userInformation.roleSelections == [
            RoleSelection(sopClassUID: UID.ctImageStorage, scuRole: false, scpRole: false),
            RoleSelection(sopClassUID: UID.studyRootFind, scuRole: true, scpRole: false),
            RoleSelection(sopClassUID: UID.mrImageStorage, scuRole: true, scpRole: false),
        ])
        var p = policy()
        p.acceptAnyStorageClassForSCPRole = true
        let storage = try #require(accepted(p.negotiate(rq, host: Self.local)))
        #expect(storage.userInformation.roleSelections.map(\.scpRole) == [true, false, false])
        var listed = policy()
        listed.requestorSCPRoleClasses = [UID.studyRootFind]
        let l = try #require(accepted(listed.negotiate(rq, host: Self.local)))
        #expect(l.userInformation.roleSelections.map(\.scpRole) == [false, true, false])
        #expect(l.userInformation.roleSelections.map(\.scuRole) == [false, true, true])
    }

    @Test("an asynchronous operations window is answered with 1/1; none proposed, none answered")
    func asyncWindow() throws {
        var user = UserInformation()
        user.asynchronousOperationsWindow = AsynchronousOperationsWindow(maximumInvoked: 16, maximumPerformed: 0)
        let ac = try #require(accepted(policy().negotiate(request(user: user), host: Self.local)))
        #expect(ac.userInformation.asynchronousOperationsWindow == AsynchronousOperationsWindow(maximumInvoked: 1, maximumPerformed: 1))
        let none = try #require(accepted(policy().negotiate(request(), host: Self.local)))
        #expect(none.userInformation.asynchronousOperationsWindow == nil)
    }

    @Test("user identity: accepted with a server response only when one was requested; rejected with reason 1")
    func userIdentity() throws {
        var p = policy()
        p.userIdentityValidator = { identity, calling, host in
            identity.username == "alice" && identity.secondaryField == Array("pw".utf8) && calling == "SCU" && host == "127.0.0.1"
                ? .accept(serverResponse: Array("welcome".utf8)) : .reject
        }
        var user = UserInformation()
        user.userIdentity = .username("alice", passcode: "pw", positiveResponseRequested: true)
        let withResponse = try #require(accepted(p.negotiate(request(user: user), host: Self.local)))
        #expect(withResponse.userInformation.userIdentityServerResponse == Array("welcome".utf8))

        user.userIdentity = .username("alice", passcode: "pw", positiveResponseRequested: false)
        let silent = try #require(accepted(p.negotiate(request(user: user), host: Self.local)))
        #expect(silent.userInformation.userIdentityServerResponse == nil)

        user.userIdentity = .username("alice", passcode: "wrong", positiveResponseRequested: true)
        #expect(rejection(p.negotiate(request(user: user), host: Self.local))
                == AAssociateRJ(result: .permanent, source: .serviceUser, reason: AAssociateRJ.noReasonGiven))

        // No validator: the identity is ignored.
        let ignored = try #require(accepted(policy().negotiate(request(user: user), host: Self.local)))
        #expect(ignored.userInformation.userIdentityServerResponse == nil)
        // A validator but no identity proposed: accepted without consulting it.
        let anonymous = try #require(accepted(p.negotiate(request(), host: Self.local)))
        #expect(anonymous.userInformation.userIdentityServerResponse == nil)
    }

    @Test("the A-ASSOCIATE-AC: our maximum length, implementation identity, echoed AE titles, extended negotiation")
    func acceptFields() throws {
        var p = policy()
        p.maximumPDULength = 65536
        p.extendedNegotiation = { sopClass, proposed in
            sopClass == UID.studyRootFind ? [proposed.first ?? 0, 0] : nil
        }
        var user = UserInformation()
        user.maximumLength = 1000
        user.extendedNegotiations = [SOPClassExtendedNegotiation(sopClassUID: UID.studyRootFind, applicationInformation: [1, 1, 1]),
                                     SOPClassExtendedNegotiation(sopClassUID: UID.studyRootGet, applicationInformation: [1])]
        let ac = try #require(accepted(p.negotiate(request(calling: "SCU", user: user), host: Self.local)))
        #expect(ac.userInformation.maximumLength == 65536)
        #expect(ac.userInformation.implementationClassUID == Implementation.classUID)
        #expect(!ac.userInformation.implementationClassUID.isEmpty)
        #expect(ac.userInformation.implementationVersionName == Implementation.versionName)
        #expect(ac.calledAETitle == "LIGHTBOX")
        #expect(ac.callingAETitle == "SCU")
        #expect(ac.applicationContext == DICOMApplicationContext)
        #expect(ac.userInformation.extendedNegotiations == [
            SOPClassExtendedNegotiation(sopClassUID: UID.studyRootFind, applicationInformation: [1, 0])])
        // Without a handler, extended negotiation is not answered.
        let plain = try #require(accepted(policy().negotiate(request(user: user), host: Self.local)))
        #expect(plain.userInformation.extendedNegotiations.isEmpty)
        #expect(plain.userInformation.maximumLength == UInt32(256 * 1024))
        // And the answer encodes and decodes.
        #expect(try roundTrip(.associateAC(ac)) == .associateAC(ac))
    }

    @Test("checks are made in order: protocol version, application context, called AE, calling AE")
    func order() {
        var rq = request(called: "OTHER")
        rq.protocolVersion = 2
        rq.applicationContext = "1.2.3"
        #expect(rejection(policy().negotiate(rq, host: "10.9.9.9"))?.source == .serviceProviderACSE)
        rq.protocolVersion = 1
        #expect(rejection(policy().negotiate(rq, host: "10.9.9.9"))?.reason == 2)
        rq.applicationContext = DICOMApplicationContext
        #expect(rejection(policy().negotiate(rq, host: "10.9.9.9"))?.reason == 7)
        rq.calledAETitle = "LIGHTBOX"
        #expect(rejection(policy().negotiate(rq, host: "10.9.9.9"))?.reason == 3)
    }
}
