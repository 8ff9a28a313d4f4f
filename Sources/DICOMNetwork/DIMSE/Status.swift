/// A DIMSE status code (PS3.7 Annex C) and its category.
public struct DIMSEStatus: Hashable, Sendable, CustomStringConvertible {
    public let code: UInt16

    public init(_ code: UInt16) { self.code = code }

    public enum Category: Sendable {
        case success, pending, cancel, warning, failure
    }

    /// PS3.7 C.1–C.5 and the service class statuses of PS3.4.
    public var category: Category {
        switch code {
        case 0x0000: return .success
        case 0xFF00, 0xFF01: return .pending
        case 0xFE00: return .cancel
        case 0x0001, 0x0107, 0x0116, 0xB000...0xBFFF: return .warning
        default: return .failure
        }
    }

    public var isSuccess: Bool { category == .success }
    public var isPending: Bool { category == .pending }
    public var isFailure: Bool { category == .failure }

    public static let success = DIMSEStatus(0x0000)
    public static let pending = DIMSEStatus(0xFF00)
    /// C-FIND pending with optional keys not supported (PS3.4 C.4.1.1.4).
    public static let pendingWithWarnings = DIMSEStatus(0xFF01)
    public static let cancel = DIMSEStatus(0xFE00)
    public static let warning = DIMSEStatus(0x0001)
    /// C-STORE: coercion of data elements (PS3.4 B.2.3).
    public static let coercionOfDataElements = DIMSEStatus(0xB000)
    public static let elementsDiscarded = DIMSEStatus(0xB006)
    public static let dataSetDoesNotMatchSOPClassWarning = DIMSEStatus(0xB007)
    /// C-MOVE/C-GET: sub-operations complete, one or more failures or warnings (PS3.4 C.4.2.1.4).
    public static let subOperationsCompleteWithFailures = DIMSEStatus(0xB000)
    /// Out of resources (C-STORE A7xx, C-FIND/C-MOVE/C-GET A700).
    public static let outOfResources = DIMSEStatus(0xA700)
    public static let outOfResourcesSubOperations = DIMSEStatus(0xA702)
    public static let moveDestinationUnknown = DIMSEStatus(0xA801)
    public static let dataSetDoesNotMatchSOPClass = DIMSEStatus(0xA900)
    public static let identifierDoesNotMatchSOPClass = DIMSEStatus(0xA900)
    public static let cannotUnderstand = DIMSEStatus(0xC000)
    /// Unable to process (C-FIND/C-MOVE/C-GET C0xx).
    public static let unableToProcess = DIMSEStatus(0xC001)
    public static let noSuchSOPClass = DIMSEStatus(0x0118)
    public static let sopClassNotSupported = DIMSEStatus(0x0122)
    public static let processingFailure = DIMSEStatus(0x0110)
    public static let duplicateSOPInstance = DIMSEStatus(0x0111)
    public static let noSuchObjectInstance = DIMSEStatus(0x0112)
    public static let noSuchEventType = DIMSEStatus(0x0113)
    public static let noSuchArgument = DIMSEStatus(0x0114)
    public static let invalidArgumentValue = DIMSEStatus(0x0115)
    public static let invalidAttributeValue = DIMSEStatus(0x0106)
    public static let invalidObjectInstance = DIMSEStatus(0x0117)
    public static let noSuchAttribute = DIMSEStatus(0x0105)
    public static let missingAttribute = DIMSEStatus(0x0120)
    public static let missingAttributeValue = DIMSEStatus(0x0121)
    public static let classInstanceConflict = DIMSEStatus(0x0119)
    public static let noSuchAction = DIMSEStatus(0x0123)
    public static let notAuthorized = DIMSEStatus(0x0124)
    public static let duplicateInvocation = DIMSEStatus(0x0210)
    public static let unrecognizedOperation = DIMSEStatus(0x0211)
    public static let mistypedArgument = DIMSEStatus(0x0212)
    public static let resourceLimitation = DIMSEStatus(0x0213)

    public var description: String {
        let hex = String(code, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - hex.count) + hex
    }
}
