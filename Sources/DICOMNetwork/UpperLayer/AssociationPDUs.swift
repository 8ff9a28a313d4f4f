/// A-ASSOCIATE-RQ (PS3.8 §9.3.2): who calls whom, for what, in which transfer syntaxes.
public struct AAssociateRQ: Sendable, Equatable {
    public var protocolVersion: UInt16 = 1
    public var calledAETitle: String
    public var callingAETitle: String
    public var applicationContext: String = DICOMApplicationContext
    public var presentationContexts: [PresentationContextRQ]
    public var userInformation: UserInformation

    public init(calledAETitle: String, callingAETitle: String, presentationContexts: [PresentationContextRQ],
                userInformation: UserInformation = UserInformation()) {
        self.calledAETitle = calledAETitle
        self.callingAETitle = callingAETitle
        self.presentationContexts = presentationContexts
        self.userInformation = userInformation
    }
}

extension AAssociateRQ {
    /// Checks what the encoding cannot hold: an item's 16-bit length (a JWT over 64 KiB, say), more than 128
    /// presentation contexts, AE titles over 16 characters.
    public func validate() throws(PDUDecodingError) {
        guard !presentationContexts.isEmpty, presentationContexts.count <= 128 else {
            throw .invalid("\(presentationContexts.count) presentation contexts (1 to 128 can be proposed)")
        }
        guard calledAETitle.utf8.count <= 16, callingAETitle.utf8.count <= 16 else { throw .invalid("an AE title over 16 characters") }
        if let id = userInformation.userIdentity, id.primaryField.count + id.secondaryField.count + 6 > 65535 {
            throw .invalid("a user identity of \(id.primaryField.count + id.secondaryField.count) bytes (64 KiB at most)")
        }
        let user = PDUCodec.encode(.associateRQ(AAssociateRQ(calledAETitle: "", callingAETitle: "", presentationContexts: [],
                                                             userInformation: userInformation)))
        guard user.count - 6 - 68 - 25 <= 65535 + 4 else { throw .invalid("user information over 64 KiB") }
    }
}

/// A-ASSOCIATE-AC (PS3.8 §9.3.3): the acceptor's answer for each proposed presentation context.
public struct AAssociateAC: Sendable, Equatable {
    public var protocolVersion: UInt16 = 1
    /// Echoed from the request; PS3.8 says the receiver shall not test them.
    public var calledAETitle: String
    public var callingAETitle: String
    public var applicationContext: String = DICOMApplicationContext
    public var presentationContexts: [PresentationContextAC]
    public var userInformation: UserInformation

    public init(calledAETitle: String, callingAETitle: String, presentationContexts: [PresentationContextAC],
                userInformation: UserInformation = UserInformation()) {
        self.calledAETitle = calledAETitle
        self.callingAETitle = callingAETitle
        self.presentationContexts = presentationContexts
        self.userInformation = userInformation
    }
}

/// The DICOM application context name (PS3.7 Annex A.2.1).
public let DICOMApplicationContext = "1.2.840.10008.3.1.1.1"

/// A proposed presentation context (PS3.8 §9.3.2.2): an odd ID, one abstract syntax, transfer syntaxes in order
/// of preference.
public struct PresentationContextRQ: Sendable, Equatable {
    public var id: UInt8
    public var abstractSyntax: String
    public var transferSyntaxes: [String]

    public init(id: UInt8, abstractSyntax: String, transferSyntaxes: [String]) {
        self.id = id
        self.abstractSyntax = abstractSyntax
        self.transferSyntaxes = transferSyntaxes
    }
}

/// The acceptor's answer to one presentation context (PS3.8 §9.3.3.2).
public struct PresentationContextAC: Sendable, Equatable {
    public enum Result: UInt8, Sendable, CustomStringConvertible {
        case acceptance = 0
        case userRejection = 1
        case noReason = 2
        case abstractSyntaxNotSupported = 3
        case transferSyntaxesNotSupported = 4

        public var description: String {
            switch self {
            case .acceptance: return "accepted"
            case .userRejection: return "rejected by the user"
            case .noReason: return "rejected (no reason)"
            case .abstractSyntaxNotSupported: return "abstract syntax not supported"
            case .transferSyntaxesNotSupported: return "transfer syntaxes not supported"
            }
        }
    }

    public var id: UInt8
    public var result: Result
    /// The accepted transfer syntax (meaningless unless accepted).
    public var transferSyntax: String

    public init(id: UInt8, result: Result, transferSyntax: String) {
        self.id = id
        self.result = result
        self.transferSyntax = transferSyntax
    }
}

/// The User Information item and its sub-items (PS3.8 §9.3.2.3, PS3.7 Annex D.3.3).
public struct UserInformation: Sendable, Equatable {
    /// Maximum length of the variable field of P-DATA-TF PDUs this side can receive; 0 means no limit.
    public var maximumLength: UInt32? = 0
    public var implementationClassUID: String = ""
    public var implementationVersionName: String?
    /// Maximum operations invoked and performed asynchronously (PS3.7 D.3.3.3).
    public var asynchronousOperationsWindow: AsynchronousOperationsWindow?
    public var roleSelections: [RoleSelection] = []
    public var extendedNegotiations: [SOPClassExtendedNegotiation] = []
    public var commonExtendedNegotiations: [SOPClassCommonExtendedNegotiation] = []
    /// In an A-ASSOCIATE-RQ: the requestor's identity (PS3.7 D.3.3.7).
    public var userIdentity: UserIdentity?
    /// In an A-ASSOCIATE-AC: the server's response to a user identity that asked for one.
    public var userIdentityServerResponse: [UInt8]?
    /// Sub-items this implementation does not know, kept as they came.
    public var unknownItems: [UnknownItem] = []

    public init() {}

    public struct UnknownItem: Sendable, Equatable {
        public var type: UInt8
        public var data: [UInt8]
    }
}

public struct AsynchronousOperationsWindow: Sendable, Equatable {
    public var maximumInvoked: UInt16
    public var maximumPerformed: UInt16

    public init(maximumInvoked: UInt16, maximumPerformed: UInt16) {
        self.maximumInvoked = maximumInvoked
        self.maximumPerformed = maximumPerformed
    }
}

/// SCP/SCU Role Selection (PS3.7 D.3.3.4): C-GET needs the requestor to take the SCP role for storage.
public struct RoleSelection: Sendable, Equatable {
    public var sopClassUID: String
    public var scuRole: Bool
    public var scpRole: Bool

    public init(sopClassUID: String, scuRole: Bool, scpRole: Bool) {
        self.sopClassUID = sopClassUID
        self.scuRole = scuRole
        self.scpRole = scpRole
    }
}

/// SOP Class Extended Negotiation (PS3.7 D.3.3.5): application information defined by each service class.
public struct SOPClassExtendedNegotiation: Sendable, Equatable {
    public var sopClassUID: String
    public var applicationInformation: [UInt8]

    public init(sopClassUID: String, applicationInformation: [UInt8]) {
        self.sopClassUID = sopClassUID
        self.applicationInformation = applicationInformation
    }

    /// For Query/Retrieve (PS3.4 C.5.1.1): byte 0 relational queries, byte 1 combined date-time matching,
    /// byte 2 fuzzy semantic matching of person names, byte 3 timezone query adjustment.
    public var relationalQueries: Bool { applicationInformation.first == 1 }
    public var combinedDateTimeMatching: Bool { applicationInformation.count > 1 && applicationInformation[1] == 1 }
    public var fuzzySemanticMatching: Bool { applicationInformation.count > 2 && applicationInformation[2] == 1 }
}

/// SOP Class Common Extended Negotiation (PS3.7 D.3.3.6).
public struct SOPClassCommonExtendedNegotiation: Sendable, Equatable {
    public var sopClassUID: String
    public var serviceClassUID: String
    public var relatedGeneralSOPClassUIDs: [String]

    public init(sopClassUID: String, serviceClassUID: String, relatedGeneralSOPClassUIDs: [String] = []) {
        self.sopClassUID = sopClassUID
        self.serviceClassUID = serviceClassUID
        self.relatedGeneralSOPClassUIDs = relatedGeneralSOPClassUIDs
    }
}

/// User Identity Negotiation (PS3.7 D.3.3.7).
public struct UserIdentity: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case username = 1
        case usernameAndPasscode = 2
        case kerberos = 3
        case saml = 4
        case jwt = 5
    }

    public var kind: Kind
    public var positiveResponseRequested: Bool
    public var primaryField: [UInt8]
    /// The passcode, for `.usernameAndPasscode`.
    public var secondaryField: [UInt8]

    public init(kind: Kind, positiveResponseRequested: Bool = false, primaryField: [UInt8], secondaryField: [UInt8] = []) {
        self.kind = kind
        self.positiveResponseRequested = positiveResponseRequested
        self.primaryField = primaryField
        self.secondaryField = secondaryField
    }

    public static func username(_ name: String, passcode: String? = nil, positiveResponseRequested: Bool = false) -> UserIdentity {
        UserIdentity(kind: passcode == nil ? .username : .usernameAndPasscode,
                     positiveResponseRequested: positiveResponseRequested,
                     primaryField: Array(name.utf8), secondaryField: passcode.map { Array($0.utf8) } ?? [])
    }

    public var username: String? {
        kind == .username || kind == .usernameAndPasscode ? String(decoding: primaryField, as: UTF8.self) : nil
    }
}
