import DICOMCore

/// A protocol data unit of the DICOM Upper Layer (PS3.8 §9.3).
public enum PDU: Sendable, Equatable {
    case associateRQ(AAssociateRQ)
    case associateAC(AAssociateAC)
    case associateRJ(AAssociateRJ)
    case data(PDataTF)
    case releaseRQ
    case releaseRP
    case abort(AAbort)

    /// The PDU-type byte (PS3.8 Table 9-11 and following).
    public var type: UInt8 {
        switch self {
        case .associateRQ: return 0x01
        case .associateAC: return 0x02
        case .associateRJ: return 0x03
        case .data: return 0x04
        case .releaseRQ: return 0x05
        case .releaseRP: return 0x06
        case .abort: return 0x07
        }
    }

    public var name: String {
        switch self {
        case .associateRQ: return "A-ASSOCIATE-RQ"
        case .associateAC: return "A-ASSOCIATE-AC"
        case .associateRJ: return "A-ASSOCIATE-RJ"
        case .data: return "P-DATA-TF"
        case .releaseRQ: return "A-RELEASE-RQ"
        case .releaseRP: return "A-RELEASE-RP"
        case .abort: return "A-ABORT"
        }
    }
}

/// A-ASSOCIATE-RJ (PS3.8 §9.3.4): result, source and reason.
public struct AAssociateRJ: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Result: UInt8, Sendable { case permanent = 1, transient = 2 }
    public enum Source: UInt8, Sendable {
        case serviceUser = 1
        case serviceProviderACSE = 2
        case serviceProviderPresentation = 3
    }

    public var result: Result
    public var source: Source
    /// The reason code; its meaning depends on the source (PS3.8 Table 9-21).
    public var reason: UInt8

    public init(result: Result, source: Source, reason: UInt8) {
        self.result = result
        self.source = source
        self.reason = reason
    }

    // Reasons given by the service user (source 1).
    public static let noReasonGiven: UInt8 = 1
    public static let applicationContextNameNotSupported: UInt8 = 2
    public static let callingAETitleNotRecognized: UInt8 = 3
    public static let calledAETitleNotRecognized: UInt8 = 7
    // Reasons given by the presentation service provider (source 3).
    public static let temporaryCongestion: UInt8 = 1
    public static let localLimitExceeded: UInt8 = 2
    // Reasons given by the ACSE provider (source 2).
    public static let protocolVersionNotSupported: UInt8 = 2

    public var description: String {
        let why: String
        switch (source, reason) {
        case (.serviceUser, 1): why = "no reason given"
        case (.serviceUser, 2): why = "application context name not supported"
        case (.serviceUser, 3): why = "calling AE title not recognized"
        case (.serviceUser, 7): why = "called AE title not recognized"
        case (.serviceProviderACSE, 1): why = "no reason given"
        case (.serviceProviderACSE, 2): why = "protocol version not supported"
        case (.serviceProviderPresentation, 1): why = "temporary congestion"
        case (.serviceProviderPresentation, 2): why = "local limit exceeded"
        default: why = "reason \(reason)"
        }
        let kind = result == .permanent ? "rejected permanently" : "rejected transiently"
        let by: String
        switch source {
        case .serviceUser: by = "by the service user"
        case .serviceProviderACSE: by = "by the ACSE provider"
        case .serviceProviderPresentation: by = "by the presentation provider"
        }
        return "association \(kind) \(by): \(why)"
    }
}

/// A-ABORT (PS3.8 §9.3.8): who aborted and why.
public struct AAbort: Sendable, Equatable, CustomStringConvertible {
    public enum Source: UInt8, Sendable { case serviceUser = 0, reserved = 1, serviceProvider = 2 }
    public var source: Source
    /// Meaningful when the provider aborted (PS3.8 Table 9-26).
    public var reason: UInt8

    public init(source: Source, reason: UInt8 = 0) {
        self.source = source
        self.reason = reason
    }

    public static let reasonNotSpecified: UInt8 = 0
    public static let unrecognizedPDU: UInt8 = 1
    public static let unexpectedPDU: UInt8 = 2
    public static let unrecognizedPDUParameter: UInt8 = 4
    public static let unexpectedPDUParameter: UInt8 = 5
    public static let invalidPDUParameterValue: UInt8 = 6

    public var description: String {
        guard source == .serviceProvider else { return "association aborted by the peer" }
        let why: String
        switch reason {
        case 1: why = "unrecognized PDU"
        case 2: why = "unexpected PDU"
        case 4: why = "unrecognized PDU parameter"
        case 5: why = "unexpected PDU parameter"
        case 6: why = "invalid PDU parameter value"
        default: why = "reason not specified"
        }
        return "association aborted by the service provider: \(why)"
    }
}

/// P-DATA-TF (PS3.8 §9.3.5): presentation data values.
public struct PDataTF: Sendable, Equatable {
    public var values: [PresentationDataValue]

    public init(values: [PresentationDataValue]) { self.values = values }
}

/// One PDV: a fragment of a command set or a data set, on a presentation context (PS3.8 §9.3.5.1, Annex E).
public struct PresentationDataValue: Sendable, Equatable {
    public var contextID: UInt8
    /// Bit 0 of the message control header.
    public var isCommand: Bool
    /// Bit 1: the last fragment of the command or data set.
    public var isLast: Bool
    public var data: Bytes

    public init(contextID: UInt8, isCommand: Bool, isLast: Bool, data: Bytes) {
        self.contextID = contextID
        self.isCommand = isCommand
        self.isLast = isLast
        self.data = data
    }
}
