import DICOM

/// The identity of this implementation in association negotiation (PS3.7 D.3.3.2).
public enum Implementation {
    public static let classUID = DICOMFile.implementationClassUID
    public static let versionName = DICOMFile.implementationVersionName
}

/// A calling application allowed to associate: an AE title ("*" for any) and, optionally, the hosts it may
/// come from.
public struct AllowedCaller: Sendable, Equatable {
    public var aeTitle: String
    /// Host addresses; nil for any host.
    public var hosts: [String]?

    public init(aeTitle: String, hosts: [String]? = nil) {
        self.aeTitle = aeTitle
        self.hosts = hosts
    }
}

/// What an acceptor decides about a user identity (PS3.7 D.3.3.7): accept (with the response to send when one was
/// asked for) or reject.
public enum UserIdentityDecision: Sendable {
    case accept(serverResponse: [UInt8])
    case reject
}

/// How an acceptor negotiates (PS3.8 §9.3, PS3.7 Annex D): which callers, which abstract syntaxes and transfer
/// syntaxes, which roles.
public struct AssociationPolicy: Sendable {
    public var aeTitle: String
    /// Refuse a called AE title other than ours (reason 7, "called AE title not recognized").
    public var checkCalledAETitle = true
    /// Callers allowed; nil allows any calling AE title from the local host only (secure by default).
    public var allowedCallers: [AllowedCaller]?
    /// Abstract syntaxes accepted, each with the transfer syntaxes accepted for it (nil: any proposed).
    public var abstractSyntaxes: [String: [String]?] = [:]
    /// Accept any abstract syntax that is a storage SOP class, in any transfer syntax (a storage SCP that keeps
    /// what it is sent).
    public var acceptAnyStorageClass = false
    /// Choose among proposed transfer syntaxes in our order (`preferredTransferSyntaxes`) rather than the
    /// requestor's.
    public var preferOurTransferSyntaxOrder = false
    public var preferredTransferSyntaxes: [String] = [TransferSyntax.explicitVRLittleEndian.uid,
                                                      TransferSyntax.implicitVRLittleEndian.uid]
    /// SOP classes for which a requestor may take the SCP role (storage, for C-GET).
    public var requestorSCPRoleClasses: Set<String> = []
    public var acceptAnyStorageClassForSCPRole = false
    /// Query/Retrieve extended negotiation we support: relational queries, combined date-time, fuzzy matching.
    public var extendedNegotiation: (@Sendable (_ sopClass: String, _ proposed: [UInt8]) -> [UInt8]?)?
    /// Checks a user identity; nil accepts any (and ignores it).
    public var userIdentityValidator: (@Sendable (UserIdentity, _ callingAETitle: String, _ host: String) -> UserIdentityDecision)?
    /// The largest P-DATA-TF variable field we accept.
    public var maximumPDULength: Int = 256 * 1024

    public init(aeTitle: String) {
        self.aeTitle = aeTitle
    }

    static let localHosts: Set<String> = ["127.0.0.1", "::1", "localhost"]

    /// Whether the caller may associate (by AE title and host).
    public func allows(callingAETitle: String, host: String) -> Bool {
        guard let allowed = allowedCallers else { return AssociationPolicy.localHosts.contains(host) }
        return allowed.contains { caller in
            (caller.aeTitle == "*" || caller.aeTitle == callingAETitle)
                && (caller.hosts == nil || caller.hosts!.contains(host) || caller.hosts!.contains("*"))
        }
    }

    /// The transfer syntaxes accepted for an abstract syntax: nil for none, [] for any.
    func acceptableSyntaxes(for abstractSyntax: String) -> [String]? {
        if let entry = abstractSyntaxes[abstractSyntax] { return entry ?? [] }
        if acceptAnyStorageClass && isStorageSOPClass(abstractSyntax) { return [] }
        return nil
    }

    /// Answers an A-ASSOCIATE-RQ: an A-ASSOCIATE-AC, or the A-ASSOCIATE-RJ to send (PS3.8 §9.3.4 reasons).
    public func negotiate(_ rq: AAssociateRQ, host: String) -> Result<AAssociateAC, AAssociateRJ> {
        if rq.protocolVersion & 1 == 0 {
            return .failure(AAssociateRJ(result: .permanent, source: .serviceProviderACSE, reason: AAssociateRJ.protocolVersionNotSupported))
        }
        if rq.applicationContext != DICOMApplicationContext {
            return .failure(AAssociateRJ(result: .permanent, source: .serviceUser, reason: AAssociateRJ.applicationContextNameNotSupported))
        }
        if checkCalledAETitle && rq.calledAETitle != aeTitle {
            return .failure(AAssociateRJ(result: .permanent, source: .serviceUser, reason: AAssociateRJ.calledAETitleNotRecognized))
        }
        if !allows(callingAETitle: rq.callingAETitle, host: host) {
            return .failure(AAssociateRJ(result: .permanent, source: .serviceUser, reason: AAssociateRJ.callingAETitleNotRecognized))
        }
        var user = UserInformation()
        user.maximumLength = UInt32(maximumPDULength)
        user.implementationClassUID = Implementation.classUID
        user.implementationVersionName = Implementation.versionName
        if let identity = rq.userInformation.userIdentity, let validator = userIdentityValidator {
            switch validator(identity, rq.callingAETitle, host) {
            case .reject:
                return .failure(AAssociateRJ(result: .permanent, source: .serviceUser, reason: AAssociateRJ.noReasonGiven))
            case .accept(let response):
                if identity.positiveResponseRequested { user.userIdentityServerResponse = response }
            }
        }
        // Operations are performed one at a time: a proposed window is answered with 1, 1 (PS3.7 D.3.3.3).
        if rq.userInformation.asynchronousOperationsWindow != nil {
            user.asynchronousOperationsWindow = AsynchronousOperationsWindow(maximumInvoked: 1, maximumPerformed: 1)
        }
        for role in rq.userInformation.roleSelections {
            let scp = role.scpRole && (requestorSCPRoleClasses.contains(role.sopClassUID)
                                       || acceptAnyStorageClassForSCPRole && isStorageSOPClass(role.sopClassUID))
            user.roleSelections.append(RoleSelection(sopClassUID: role.sopClassUID, scuRole: role.scuRole, scpRole: scp))
        }
        if let extendedNegotiation {
            for ext in rq.userInformation.extendedNegotiations {
                if let reply = extendedNegotiation(ext.sopClassUID, ext.applicationInformation) {
                    user.extendedNegotiations.append(SOPClassExtendedNegotiation(sopClassUID: ext.sopClassUID, applicationInformation: reply))
                }
            }
        }
        var contexts: [PresentationContextAC] = []
        for pc in rq.presentationContexts {
            guard let acceptable = acceptableSyntaxes(for: pc.abstractSyntax) else {
                contexts.append(PresentationContextAC(id: pc.id, result: .abstractSyntaxNotSupported, transferSyntax: ""))
                continue
            }
            let proposed = pc.transferSyntaxes
            let chosen: String?
            if acceptable.isEmpty {
                chosen = preferOurTransferSyntaxOrder
                    ? preferredTransferSyntaxes.first(where: proposed.contains) ?? proposed.first
                    : proposed.first
            } else if preferOurTransferSyntaxOrder {
                chosen = acceptable.first(where: proposed.contains)
            } else {
                chosen = proposed.first(where: acceptable.contains)
            }
            if let chosen {
                contexts.append(PresentationContextAC(id: pc.id, result: .acceptance, transferSyntax: chosen))
            } else {
                contexts.append(PresentationContextAC(id: pc.id, result: .transferSyntaxesNotSupported, transferSyntax: ""))
            }
        }
        return .success(AAssociateAC(calledAETitle: rq.calledAETitle, callingAETitle: rq.callingAETitle,
                                     presentationContexts: contexts, userInformation: user))
    }
}

/// Storage SOP classes of the registry, and any class under the storage branch of the DICOM root
/// (1.2.840.10008.5.1.4.1.1.x), so that classes added after this build are stored too.
public func isStorageSOPClass(_ uid: String) -> Bool {
    if storageClassUIDs.contains(uid) { return true }
    return uid.hasPrefix("1.2.840.10008.5.1.4.1.1.") && !uid.hasPrefix("1.2.840.10008.5.1.4.1.1.200.4")
        && !uid.hasPrefix("1.2.840.10008.5.1.4.1.1.201.2")
}

let storageClassUIDs: Set<String> = Set(UIDRegistry.storageSOPClasses.map(\.uid))

extension Association {
    /// Records what was agreed: the accepted contexts with their roles, and the peer's maximum PDU length.
    func adopt(_ ac: AAssociateAC) {
        response = ac
        let proposed = Dictionary(request.presentationContexts.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let roles = Dictionary((isRequestor ? ac.userInformation : request.userInformation).roleSelections.map { ($0.sopClassUID, $0) },
                               uniquingKeysWith: { a, _ in a })
        for pc in ac.presentationContexts where pc.result == .acceptance {
            guard let rq = proposed[pc.id] else { continue }
            var context = AcceptedContext(id: pc.id, abstractSyntax: rq.abstractSyntax, transferSyntax: pc.transferSyntax)
            if let role = roles[rq.abstractSyntax] {
                context.requestorIsSCU = role.scuRole
                context.requestorIsSCP = role.scpRole
            }
            acceptedContexts[pc.id] = context
        }
        let peerUser = isRequestor ? ac.userInformation : request.userInformation
        peerMaximumLength = Int(peerUser.maximumLength ?? 0)
    }

    // MARK: Requestor

    /// Opens an association: connects, sends the A-ASSOCIATE-RQ and waits for the answer (PS3.8 AE-1 to AE-4).
    /// `wrap` lets TLS take over the connection before the first PDU.
    public static func request(host: String, port: Int, request rq: AAssociateRQ, maximumPDULength: Int = 256 * 1024,
                               timeouts: AssociationTimeouts = AssociationTimeouts(),
                               wrap: ((TCPConnection) throws -> Connection)? = nil) throws(AssociationError) -> Association {
        var rq = rq
        rq.userInformation.maximumLength = UInt32(maximumPDULength)
        if rq.userInformation.implementationClassUID.isEmpty {
            rq.userInformation.implementationClassUID = Implementation.classUID
            rq.userInformation.implementationVersionName = Implementation.versionName
        }
        do { try rq.validate() } catch { throw .protocolError(error.message) }
        let tcp: TCPConnection
        do { tcp = try TCPConnection.connect(host: host, port: port, timeout: timeouts.connect) } catch { throw .network(error) }
        let connection: Connection
        do {
            connection = try wrap?(tcp) ?? tcp
        } catch let e as NetworkError {
            tcp.close()
            throw .network(e)
        } catch {
            tcp.close()
            throw .network(.tls("\(error)"))
        }
        let association = Association(connection: connection, isRequestor: true, request: rq,
                                      localMaximumLength: maximumPDULength, timeouts: timeouts)
        _ = association.machine.handle(.associateRequest)
        _ = association.machine.handle(.transportConnectConfirm)
        try association.send(.associateRQ(rq))
        let answer = try association.readPDU(timeout: timeouts.connect)
        switch answer {
        case .associateAC(let ac):
            _ = association.machine.handle(.associateACReceived)
            association.adopt(ac)
            return association
        case .associateRJ(let rj):
            _ = association.machine.handle(.associateRJReceived)
            association.close()
            throw .rejected(rj)
        case .abort(let a):
            _ = association.machine.handle(.abortReceived)
            association.close()
            throw .aborted(a)
        default:
            throw association.protocolFailure("\(answer.name) in answer to an A-ASSOCIATE-RQ")
        }
    }

    // MARK: Acceptor

    /// Runs the acceptor side of negotiation on a new connection (PS3.8 AE-5 to AE-8): waits for the
    /// A-ASSOCIATE-RQ within ARTIM, and answers it by the policy. Nil when it was rejected, aborted or timed out
    /// (the connection is closed then); `onReject` hears why.
    public static func accept(connection: Connection, policy: AssociationPolicy, timeouts: AssociationTimeouts,
                              overLimit: Bool = false,
                              onReject: (AAssociateRQ?, String) -> Void = { _, _ in }) -> Association? {
        let placeholder = AAssociateRQ(calledAETitle: "", callingAETitle: "", presentationContexts: [])
        let association = Association(connection: connection, isRequestor: false, request: placeholder,
                                      localMaximumLength: policy.maximumPDULength, timeouts: timeouts)
        _ = association.machine.handle(.transportConnectIndication)  // AE-5: ARTIM starts
        let pdu: PDU
        do {
            // ARTIM bounds the whole A-ASSOCIATE-RQ, not only its first byte.
            pdu = try association.readPDU(timeout: timeouts.artim, pduTimeout: timeouts.artim)
        } catch {
            onReject(nil, "\(error)")
            association.close()
            return nil
        }
        guard case .associateRQ(let rq) = pdu else {
            // AA-1 in Sta2: anything but an A-ASSOCIATE-RQ is answered with an A-ABORT.
            _ = association.machine.handle(.invalidPDUReceived)
            try? association.send(.abort(AAbort(source: .serviceProvider, reason: AAbort.unexpectedPDU)))
            onReject(nil, "\(pdu.name) before A-ASSOCIATE-RQ")
            association.close()
            return nil
        }
        association.request = rq
        _ = association.machine.handle(.associateRQReceived(acceptable: true))
        let decision: Result<AAssociateAC, AAssociateRJ> = overLimit
            ? .failure(AAssociateRJ(result: .transient, source: .serviceProviderPresentation, reason: AAssociateRJ.localLimitExceeded))
            : policy.negotiate(rq, host: connection.remoteAddress)
        switch decision {
        case .success(let ac):
            _ = association.machine.handle(.associateResponseAccept)
            do { try association.send(.associateAC(ac)) } catch {
                association.close()
                return nil
            }
            association.adopt(ac)
            return association
        case .failure(let rj):
            _ = association.machine.handle(.associateResponseReject)
            try? association.send(.associateRJ(rj))
            onReject(rq, rj.description)
            association.waitForPeerClose()
            return nil
        }
    }
}
