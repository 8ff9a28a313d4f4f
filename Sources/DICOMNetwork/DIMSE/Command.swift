import DICOM

/// The Command Field of a DIMSE message (PS3.7 §9.3 and §10.3, Table E.1-1).
public enum CommandField: UInt16, Sendable, CustomStringConvertible {
    case cStoreRQ = 0x0001, cStoreRSP = 0x8001
    case cGetRQ = 0x0010, cGetRSP = 0x8010
    case cFindRQ = 0x0020, cFindRSP = 0x8020
    case cMoveRQ = 0x0021, cMoveRSP = 0x8021
    case cEchoRQ = 0x0030, cEchoRSP = 0x8030
    case nEventReportRQ = 0x0100, nEventReportRSP = 0x8100
    case nGetRQ = 0x0110, nGetRSP = 0x8110
    case nSetRQ = 0x0120, nSetRSP = 0x8120
    case nActionRQ = 0x0130, nActionRSP = 0x8130
    case nCreateRQ = 0x0140, nCreateRSP = 0x8140
    case nDeleteRQ = 0x0150, nDeleteRSP = 0x8150
    case cCancelRQ = 0x0FFF

    public var isResponse: Bool { rawValue & 0x8000 != 0 }

    /// The response to a request.
    public var response: CommandField? {
        isResponse || self == .cCancelRQ ? nil : CommandField(rawValue: rawValue | 0x8000)
    }

    public var description: String {
        switch self {
        case .cStoreRQ: return "C-STORE-RQ"
        case .cStoreRSP: return "C-STORE-RSP"
        case .cGetRQ: return "C-GET-RQ"
        case .cGetRSP: return "C-GET-RSP"
        case .cFindRQ: return "C-FIND-RQ"
        case .cFindRSP: return "C-FIND-RSP"
        case .cMoveRQ: return "C-MOVE-RQ"
        case .cMoveRSP: return "C-MOVE-RSP"
        case .cEchoRQ: return "C-ECHO-RQ"
        case .cEchoRSP: return "C-ECHO-RSP"
        case .nEventReportRQ: return "N-EVENT-REPORT-RQ"
        case .nEventReportRSP: return "N-EVENT-REPORT-RSP"
        case .nGetRQ: return "N-GET-RQ"
        case .nGetRSP: return "N-GET-RSP"
        case .nSetRQ: return "N-SET-RQ"
        case .nSetRSP: return "N-SET-RSP"
        case .nActionRQ: return "N-ACTION-RQ"
        case .nActionRSP: return "N-ACTION-RSP"
        case .nCreateRQ: return "N-CREATE-RQ"
        case .nCreateRSP: return "N-CREATE-RSP"
        case .nDeleteRQ: return "N-DELETE-RQ"
        case .nDeleteRSP: return "N-DELETE-RSP"
        case .cCancelRQ: return "C-CANCEL-RQ"
        }
    }
}

/// Priority of a C-STORE, C-FIND, C-MOVE or C-GET request (PS3.7 §9.1.1.1.7).
public enum Priority: UInt16, Sendable {
    case medium = 0x0000
    case high = 0x0001
    case low = 0x0002
}

/// A DIMSE command set (PS3.7 §6.3, Annex E): group 0000 elements, always encoded in implicit VR little endian.
/// A thin typed view over the data set, so that every field the standard defines, and any it may add, survives.
public struct DIMSECommand: Sendable, Equatable, CustomStringConvertible {
    public var dataSet: DataSet

    public init(dataSet: DataSet) { self.dataSet = dataSet }

    public init(_ field: CommandField, hasDataSet: Bool) {
        dataSet = DataSet()
        dataSet.set(DataElement(tag: Tags.commandGroupLength, vr: .UL, integers: [UInt32(0)]))
        set(Tags.commandField, UInt16(field.rawValue))
        set(Tags.commandDataSetType, hasDataSet ? 0x0000 : 0x0101)
    }

    public enum Tags {
        public static let commandGroupLength = Tag(0x0000_0000)
        public static let affectedSOPClassUID = Tag(0x0000_0002)
        public static let requestedSOPClassUID = Tag(0x0000_0003)
        public static let commandField = Tag(0x0000_0100)
        public static let messageID = Tag(0x0000_0110)
        public static let messageIDBeingRespondedTo = Tag(0x0000_0120)
        public static let moveDestination = Tag(0x0000_0600)
        public static let priority = Tag(0x0000_0700)
        public static let commandDataSetType = Tag(0x0000_0800)
        public static let status = Tag(0x0000_0900)
        public static let offendingElement = Tag(0x0000_0901)
        public static let errorComment = Tag(0x0000_0902)
        public static let errorID = Tag(0x0000_0903)
        public static let affectedSOPInstanceUID = Tag(0x0000_1000)
        public static let requestedSOPInstanceUID = Tag(0x0000_1001)
        public static let eventTypeID = Tag(0x0000_1002)
        public static let attributeIdentifierList = Tag(0x0000_1005)
        public static let actionTypeID = Tag(0x0000_1008)
        public static let numberOfRemainingSuboperations = Tag(0x0000_1020)
        public static let numberOfCompletedSuboperations = Tag(0x0000_1021)
        public static let numberOfFailedSuboperations = Tag(0x0000_1022)
        public static let numberOfWarningSuboperations = Tag(0x0000_1023)
        public static let moveOriginatorApplicationEntityTitle = Tag(0x0000_1030)
        public static let moveOriginatorMessageID = Tag(0x0000_1031)
    }

    // MARK: Field access

    func uint16(_ tag: Tag) -> UInt16? { dataSet[tag]?.uint16s?.first }

    mutating func set(_ tag: Tag, _ value: UInt16) {
        dataSet.set(DataElement(tag: tag, vr: .US, integers: [value]))
    }

    mutating func set(_ tag: Tag, _ value: UInt16?) {
        if let value { set(tag, value) } else { dataSet.remove(tag) }
    }

    func uid(_ tag: Tag) -> String? { dataSet[tag]?.string() }

    mutating func setUID(_ tag: Tag, _ value: String?) {
        if let value { dataSet.set(DataElement(tag: tag, vr: .UI, string: value)) } else { dataSet.remove(tag) }
    }

    public var commandField: CommandField? { uint16(Tags.commandField).flatMap(CommandField.init(rawValue:)) }
    public var rawCommandField: UInt16? { uint16(Tags.commandField) }

    public var hasDataSet: Bool {
        get { (uint16(Tags.commandDataSetType) ?? 0x0101) != 0x0101 }
        set { set(Tags.commandDataSetType, newValue ? 0x0000 : 0x0101) }
    }

    public var messageID: UInt16? {
        get { uint16(Tags.messageID) }
        set { set(Tags.messageID, newValue) }
    }

    public var messageIDBeingRespondedTo: UInt16? {
        get { uint16(Tags.messageIDBeingRespondedTo) }
        set { set(Tags.messageIDBeingRespondedTo, newValue) }
    }

    public var affectedSOPClassUID: String? {
        get { uid(Tags.affectedSOPClassUID) }
        set { setUID(Tags.affectedSOPClassUID, newValue) }
    }

    public var requestedSOPClassUID: String? {
        get { uid(Tags.requestedSOPClassUID) }
        set { setUID(Tags.requestedSOPClassUID, newValue) }
    }

    public var affectedSOPInstanceUID: String? {
        get { uid(Tags.affectedSOPInstanceUID) }
        set { setUID(Tags.affectedSOPInstanceUID, newValue) }
    }

    public var requestedSOPInstanceUID: String? {
        get { uid(Tags.requestedSOPInstanceUID) }
        set { setUID(Tags.requestedSOPInstanceUID, newValue) }
    }

    /// The SOP class of the request: affected for C- services and N-CREATE/N-EVENT-REPORT, requested for the others.
    public var sopClassUID: String? { affectedSOPClassUID ?? requestedSOPClassUID }
    public var sopInstanceUID: String? { affectedSOPInstanceUID ?? requestedSOPInstanceUID }

    public var priority: Priority {
        get { uint16(Tags.priority).flatMap(Priority.init(rawValue:)) ?? .medium }
        set { set(Tags.priority, newValue.rawValue) }
    }

    public var status: DIMSEStatus? {
        get { uint16(Tags.status).map(DIMSEStatus.init) }
        set { set(Tags.status, newValue?.code) }
    }

    public var errorComment: String? {
        get { dataSet[Tags.errorComment]?.string() }
        set {
            if let newValue {
                // LO: 64 characters at most.
                dataSet.set(DataElement(tag: Tags.errorComment, vr: .LO, string: String(newValue.prefix(64))))
            } else {
                dataSet.remove(Tags.errorComment)
            }
        }
    }

    public var offendingElements: [Tag] {
        get { dataSet[Tags.offendingElement]?.tags ?? [] }
        set {
            if newValue.isEmpty { dataSet.remove(Tags.offendingElement) } else {
                dataSet.set(DataElement(tag: Tags.offendingElement, tags: newValue))
            }
        }
    }

    public var moveDestination: String? {
        get { dataSet[Tags.moveDestination]?.string() }
        set {
            if let newValue { dataSet.set(DataElement(tag: Tags.moveDestination, vr: .AE, string: newValue)) } else {
                dataSet.remove(Tags.moveDestination)
            }
        }
    }

    public var moveOriginatorAETitle: String? {
        get { dataSet[Tags.moveOriginatorApplicationEntityTitle]?.string() }
        set {
            if let newValue {
                dataSet.set(DataElement(tag: Tags.moveOriginatorApplicationEntityTitle, vr: .AE, string: newValue))
            } else {
                dataSet.remove(Tags.moveOriginatorApplicationEntityTitle)
            }
        }
    }

    public var moveOriginatorMessageID: UInt16? {
        get { uint16(Tags.moveOriginatorMessageID) }
        set { set(Tags.moveOriginatorMessageID, newValue) }
    }

    public var eventTypeID: UInt16? {
        get { uint16(Tags.eventTypeID) }
        set { set(Tags.eventTypeID, newValue) }
    }

    public var actionTypeID: UInt16? {
        get { uint16(Tags.actionTypeID) }
        set { set(Tags.actionTypeID, newValue) }
    }

    public var attributeIdentifierList: [Tag] {
        get { dataSet[Tags.attributeIdentifierList]?.tags ?? [] }
        set {
            if newValue.isEmpty { dataSet.remove(Tags.attributeIdentifierList) } else {
                dataSet.set(DataElement(tag: Tags.attributeIdentifierList, tags: newValue))
            }
        }
    }

    /// Sub-operation counts of C-MOVE and C-GET responses (PS3.7 §9.3.3, §9.3.4).
    public var suboperations: SuboperationCounts? {
        get {
            let fields = [Tags.numberOfRemainingSuboperations, Tags.numberOfCompletedSuboperations,
                          Tags.numberOfFailedSuboperations, Tags.numberOfWarningSuboperations].map { uint16($0) }
            guard fields.contains(where: { $0 != nil }) else { return nil }
            return SuboperationCounts(remaining: Int(fields[0] ?? 0), completed: Int(fields[1] ?? 0),
                                      failed: Int(fields[2] ?? 0), warning: Int(fields[3] ?? 0))
        }
        set {
            guard let c = newValue else {
                for t in [Tags.numberOfRemainingSuboperations, Tags.numberOfCompletedSuboperations,
                          Tags.numberOfFailedSuboperations, Tags.numberOfWarningSuboperations] { dataSet.remove(t) }
                return
            }
            func clamp(_ v: Int) -> UInt16 { UInt16(max(0, min(Int(UInt16.max), v))) }
            set(Tags.numberOfRemainingSuboperations, clamp(c.remaining))
            set(Tags.numberOfCompletedSuboperations, clamp(c.completed))
            set(Tags.numberOfFailedSuboperations, clamp(c.failed))
            set(Tags.numberOfWarningSuboperations, clamp(c.warning))
        }
    }

    /// Removes the number of remaining sub-operations, which final C-MOVE/C-GET responses may not carry.
    public mutating func removeRemainingSuboperations() {
        dataSet.remove(Tags.numberOfRemainingSuboperations)
    }

    // MARK: Encoding

    /// The command set as it goes on the wire: implicit VR little endian, command group length computed.
    public func encoded() -> [UInt8] {
        var ds = dataSet
        if ds[Tags.commandGroupLength] == nil {
            ds.set(DataElement(tag: Tags.commandGroupLength, vr: .UL, integers: [UInt32(0)]))
        }
        var writer = DataSetWriter(explicitVR: false)
        writer.groupLengths = .recalculate
        return (try? writer.encode(ds)) ?? []
    }

    /// Parses a command set received in PDVs.
    public static func decode(_ bytes: Bytes) throws -> DIMSECommand {
        let ds = try DICOMFile.parseDataSet(bytes, transferSyntax: .implicitVRLittleEndian)
        guard ds[Tags.commandField] != nil else { throw DIMSEError.invalidCommand("no Command Field (0000,0100)") }
        return DIMSECommand(dataSet: ds)
    }

    public var description: String {
        var s = commandField?.description ?? "command \(rawCommandField.map { String($0, radix: 16) } ?? "?")"
        if let id = messageID { s += " id=\(id)" }
        if let id = messageIDBeingRespondedTo { s += " responding-to=\(id)" }
        if let status { s += " status=\(status)" }
        return s
    }
}

public struct SuboperationCounts: Sendable, Equatable, CustomStringConvertible {
    public var remaining: Int
    public var completed: Int
    public var failed: Int
    public var warning: Int

    public init(remaining: Int = 0, completed: Int = 0, failed: Int = 0, warning: Int = 0) {
        self.remaining = remaining
        self.completed = completed
        self.failed = failed
        self.warning = warning
    }

    public var description: String { "remaining \(remaining), completed \(completed), failed \(failed), warning \(warning)" }
}

public enum DIMSEError: Error, Equatable, CustomStringConvertible {
    case invalidCommand(String)
    case unexpectedMessage(String)
    case dataSetTooLarge(limit: Int)
    case noPresentationContext(String)

    public var description: String {
        switch self {
        case .invalidCommand(let m): return "invalid DIMSE command: \(m)"
        case .unexpectedMessage(let m): return "unexpected DIMSE message: \(m)"
        case .dataSetTooLarge(let limit): return "data set larger than \(limit) bytes"
        case .noPresentationContext(let m): return "no accepted presentation context for \(m)"
        }
    }
}
