import DICOM

/// Who is on the other end of an association, for the services it calls (and, later, for permissions and audit:
/// every request passes through a service with this in hand).
public struct AssociationContext: Sendable {
    public let id: UInt64
    public let callingAETitle: String
    public let calledAETitle: String
    public let host: String
    public let port: Int
    public let userIdentity: UserIdentity?
}

/// The answer of a service to a request it could not fully perform.
public struct ServiceFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: DIMSEStatus
    public var comment: String?

    public init(_ status: DIMSEStatus, _ comment: String? = nil) {
        self.status = status
        self.comment = comment
    }

    public var description: String { "status \(status)" + (comment.map { ": \($0)" } ?? "") }
}

// MARK: Storage (PS3.4 Annex B)

public struct StoreRequest: Sendable {
    public var command: DIMSECommand
    public var sopClassUID: String
    public var sopInstanceUID: String
    /// The transfer syntax of the data set's bytes (the presentation context's).
    public var transferSyntax: String
    public var priority: Priority { command.priority }
    public var moveOriginatorAETitle: String? { command.moveOriginatorAETitle }
}

/// Receives one instance's data set as it arrives; memory stays bounded whatever the instance's size.
public protocol StoreSink: AnyObject, DataSink {
    /// All bytes have arrived: make them durable and answer with the C-STORE status.
    func finish() -> ServiceResult
    /// The transfer failed midway (the association died, or the data set could not be written): leave nothing.
    func cancel()
}

/// A final status with its optional error comment.
public struct ServiceResult: Sendable, Equatable {
    public var status: DIMSEStatus
    public var comment: String?

    public init(_ status: DIMSEStatus, comment: String? = nil) {
        self.status = status
        self.comment = comment
    }

    public static let success = ServiceResult(.success)
}

public protocol StorageService: Sendable {
    /// A C-STORE-RQ arrived: return where its data set goes, or throw the status that refuses it.
    func beginStore(_ request: StoreRequest, on association: AssociationContext) throws(ServiceFailure) -> any StoreSink
}

// MARK: Query (PS3.4 Annex C, C-FIND)

public struct FindRequest: Sendable {
    public var command: DIMSECommand
    /// The information model: the FIND SOP class of the presentation context.
    public var sopClassUID: String
    public var identifier: DataSet
    /// Extended negotiation agreed for this SOP class (PS3.4 C.5.1.1).
    public var relationalQueries: Bool
    public var combinedDateTimeMatching: Bool
    public var fuzzySemanticMatching: Bool
}

public protocol QueryService: Sendable {
    /// Finds the matches, handing each to `respond`, which returns false once the requestor has cancelled.
    /// Returns the final status (success, cancel, or a failure).
    func find(_ request: FindRequest, on association: AssociationContext, respond: (DataSet) throws -> Bool) -> ServiceResult
}

// MARK: Retrieve (PS3.4 Annex C, C-MOVE and C-GET)

public struct RetrieveRequest: Sendable {
    public var command: DIMSECommand
    public var sopClassUID: String
    public var identifier: DataSet
    /// C-MOVE: the destination AE title; nil for C-GET.
    public var moveDestination: String?
}

/// An instance to send in a C-MOVE or C-GET sub-operation.
public struct RetrievableInstance: Sendable {
    public var sopClassUID: String
    public var sopInstanceUID: String
    /// The transfer syntax it is stored in, when the index knows it (else the header is read to find out).
    public var transferSyntaxUID: String?
    /// Loads the instance when its turn comes, so that a retrieve holds one instance at a time. With
    /// `headerOnly`, the pixel data may be left out.
    public var load: @Sendable (_ headerOnly: Bool) throws -> DICOMFile

    public init(sopClassUID: String, sopInstanceUID: String, transferSyntaxUID: String? = nil,
                load: @escaping @Sendable (_ headerOnly: Bool) throws -> DICOMFile) {
        self.sopClassUID = sopClassUID
        self.sopInstanceUID = sopInstanceUID
        self.transferSyntaxUID = transferSyntaxUID
        self.load = load
    }

    /// An instance stored as a Part 10 file.
    public static func file(path: String, sopClassUID: String, sopInstanceUID: String, transferSyntaxUID: String? = nil) -> RetrievableInstance {
        RetrievableInstance(sopClassUID: sopClassUID, sopInstanceUID: sopInstanceUID, transferSyntaxUID: transferSyntaxUID) { headerOnly in
            try DICOMFile.open(path, options: headerOnly ? .headerOnly : .standard)
        }
    }
}

/// Where a C-MOVE sends its sub-operations.
public struct DICOMNode: Sendable, Equatable {
    public var aeTitle: String
    public var host: String
    public var port: Int

    public init(aeTitle: String, host: String, port: Int) {
        self.aeTitle = aeTitle
        self.host = host
        self.port = port
    }

    /// Parses "AET=HOST:PORT" (the form of `--modality`).
    public init?(parsing text: String) {
        guard let eq = text.firstIndex(of: "="), let colon = text.lastIndex(of: ":"), colon > eq,
              let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        let ae = String(text[..<eq]), host = String(text[text.index(after: eq)..<colon])
        guard !ae.isEmpty, ae.count <= 16, !host.isEmpty else { return nil }
        self.init(aeTitle: ae, host: host, port: port)
    }
}

public protocol RetrieveService: Sendable {
    /// The instances a C-MOVE or C-GET identifier selects.
    func instances(for request: RetrieveRequest, on association: AssociationContext) throws(ServiceFailure) -> [RetrievableInstance]
    /// The address of a C-MOVE destination; nil when the AE title is unknown (status A801).
    func destination(for aeTitle: String) -> DICOMNode?
    /// Converts an instance's pixel data for a peer that accepts none of the file's own syntax (a compressed
    /// instance to a native syntax, say); nil when the service cannot, and such sub-operations fail.
    var pixelConverter: PixelConverter? { get }
}

extension RetrieveService {
    public var pixelConverter: PixelConverter? { nil }
}

/// A file with its pixel data re-encoded for another transfer syntax (the codecs live above this layer).
public typealias PixelConverter = @Sendable (DICOMFile, TransferSyntax) throws -> DICOMFile

// MARK: Normalized services (PS3.7 §10: N-EVENT-REPORT, N-GET, N-SET, N-ACTION, N-CREATE, N-DELETE)

public struct NRequest: Sendable {
    public var command: DIMSECommand
    public var dataSet: DataSet?
    public var transferSyntax: String
}

public struct NResponse: Sendable {
    public var status: DIMSEStatus
    public var comment: String?
    /// The instance UID to report as affected (N-CREATE assigns one when the requestor gave none).
    public var affectedSOPInstanceUID: String?
    public var dataSet: DataSet?

    public init(status: DIMSEStatus, comment: String? = nil, affectedSOPInstanceUID: String? = nil, dataSet: DataSet? = nil) {
        self.status = status
        self.comment = comment
        self.affectedSOPInstanceUID = affectedSOPInstanceUID
        self.dataSet = dataSet
    }
}

public protocol NormalizedService: Sendable {
    /// The SOP classes this service answers for.
    var sopClassUIDs: [String] { get }
    func handle(_ request: NRequest, on association: AssociationContext) -> NResponse
}

/// The services an SCP offers. Verification is always offered.
public struct ServiceSet: Sendable {
    public var storage: (any StorageService)?
    public var query: (any QueryService)?
    /// The FIND information models the query service answers.
    public var queryModels: [String] = [QueryRetrieveModel.patientRootFind, QueryRetrieveModel.studyRootFind]
    public var retrieve: (any RetrieveService)?
    public var normalized: [any NormalizedService] = []

    public init(storage: (any StorageService)? = nil, query: (any QueryService)? = nil, retrieve: (any RetrieveService)? = nil,
                normalized: [any NormalizedService] = []) {
        self.storage = storage
        self.query = query
        self.retrieve = retrieve
        self.normalized = normalized
    }
}

/// The SOP classes of Query/Retrieve (PS3.4 C.6) and Verification.
public enum QueryRetrieveModel {
    public static let verification = "1.2.840.10008.1.1"
    public static let patientRootFind = "1.2.840.10008.5.1.4.1.2.1.1"
    public static let patientRootMove = "1.2.840.10008.5.1.4.1.2.1.2"
    public static let patientRootGet = "1.2.840.10008.5.1.4.1.2.1.3"
    public static let studyRootFind = "1.2.840.10008.5.1.4.1.2.2.1"
    public static let studyRootMove = "1.2.840.10008.5.1.4.1.2.2.2"
    public static let studyRootGet = "1.2.840.10008.5.1.4.1.2.2.3"
    public static let patientStudyOnlyFind = "1.2.840.10008.5.1.4.1.2.3.1"
    public static let modalityWorklistFind = "1.2.840.10008.5.1.4.31"

    public static let moveModels = [patientRootMove, studyRootMove]
    public static let getModels = [patientRootGet, studyRootGet]

    /// Whether a FIND model is the patient root one (for level checks).
    public static func isPatientRoot(_ uid: String) -> Bool {
        uid == patientRootFind || uid == patientRootMove || uid == patientRootGet
    }

    /// The SCP's answer to a Query/Retrieve SOP Class Extended Negotiation sub-item (PS3.4 C.5.1.1, C.5.2.1,
    /// C.5.3.1): each proposed option echoed as 1 when we support it, 0 when not. FIND: relational queries and
    /// combined date-time matching are supported; fuzzy semantic matching of person names and timezone
    /// adjustment are not. MOVE and GET: relational retrieval is (a retrieve needs only its level's unique key);
    /// enhanced multi-frame conversion is not. Nil for other SOP classes (no sub-item in the A-ASSOCIATE-AC).
    @Sendable public static func extendedNegotiationReply(sopClass: String, proposed: [UInt8]) -> [UInt8]? {
        let supported: [Bool]
        switch sopClass {
        case patientRootFind, studyRootFind: supported = [true, true, false, false]
        case patientRootMove, studyRootMove, patientRootGet, studyRootGet: supported = [true, false]
        default: return nil
        }
        guard !proposed.isEmpty else { return nil }
        return proposed.enumerated().map { i, byte in byte == 1 && i < supported.count && supported[i] ? 1 : 0 }
    }
}
