import DICOM
import DICOMNetwork
import Testing

/// DIMSE command sets (PS3.7 §9.3, §10.3, Annex E): implicit VR little endian group 0000 with its group length.
@Suite("DIMSECommand")
struct DIMSECommandTests {
    typealias T = DIMSECommand.Tags

    func decodeRoundTrip(_ command: DIMSECommand) throws -> DIMSECommand {
        try DIMSECommand.decode(Bytes(command.encoded()))
    }

    /// Little endian readers over the encoded bytes.
    func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
    func u32(_ b: [UInt8], _ at: Int) -> Int { u16(b, at) | u16(b, at + 2) << 16 }

    @Test("encoding starts with (0000,0000) UL whose value is the length of the rest of the group")
    func groupLength() throws {
        var c = DIMSECommand(.cEchoRQ, hasDataSet: false)
        c.messageID = 7
        c.affectedSOPClassUID = "1.2.840.10008.1.1"
        let bytes = c.encoded()
        try #require(bytes.count > 12)
        #expect(Array(bytes[0..<4]) == [0, 0, 0, 0])   // tag (0000,0000)
        #expect(u32(bytes, 4) == 4)                      // implicit VR: 32-bit length
        #expect(u32(bytes, 8) == bytes.count - 12)
        // Elements follow in ascending tag order: (0000,0002), (0000,0100), (0000,0110), (0000,0800).
        var at = 12
        var tags: [UInt32] = []
        while at + 8 <= bytes.count {
            tags.append(UInt32(u16(bytes, at)) << 16 | UInt32(u16(bytes, at + 2)))
            at += 8 + u32(bytes, at + 4)
        }
        #expect(at == bytes.count)
        #expect(tags == [0x0000_0002, 0x0000_0100, 0x0000_0110, 0x0000_0800])
    }

    @Test("a group length already present with a wrong value is recalculated")
    func staleGroupLength() throws {
        var ds = DataSet()
        ds.set(DataElement(tag: T.commandGroupLength, vr: .UL, integers: [UInt32(9999)]))
        ds.set(DataElement(tag: T.commandField, vr: .US, integers: [UInt16(0x0030)]))
        let bytes = DIMSECommand(dataSet: ds).encoded()
        #expect(u32(bytes, 8) == bytes.count - 12)
        // And added when missing.
        var without = DataSet()
        without.set(DataElement(tag: T.commandField, vr: .US, integers: [UInt16(0x0030)]))
        let b2 = DIMSECommand(dataSet: without).encoded()
        #expect(Array(b2[0..<8]) == [0, 0, 0, 0, 4, 0, 0, 0])
        #expect(u32(b2, 8) == b2.count - 12)
    }

    @Test("CommandDataSetType: 0x0101 without a data set, 0x0000 with one")
    func dataSetType() throws {
        let none = DIMSECommand(.cEchoRQ, hasDataSet: false)
        #expect(none.dataSet[T.commandDataSetType]?.uint16s == [0x0101])
        #expect(!none.hasDataSet)
        var some = DIMSECommand(.cStoreRQ, hasDataSet: true)
        #expect(some.dataSet[T.commandDataSetType]?.uint16s == [0x0000])
        #expect(some.hasDataSet)
        some.hasDataSet = false
        #expect(some.dataSet[T.commandDataSetType]?.uint16s == [0x0101])
        // Any value other than 0x0101 means a data set follows (PS3.7 Table E.1-1); absent means none.
        var ds = DataSet()
        ds.set(DataElement(tag: T.commandField, vr: .US, integers: [UInt16(0x0001)]))
        #expect(!DIMSECommand(dataSet: ds).hasDataSet)
        ds.set(DataElement(tag: T.commandDataSetType, vr: .US, integers: [UInt16(0xFEFE)]))
        #expect(DIMSECommand(dataSet: ds).hasDataSet)
        #expect(try decodeRoundTrip(DIMSECommand(.cFindRQ, hasDataSet: true)).hasDataSet)
        #expect(try !decodeRoundTrip(DIMSECommand(.cEchoRSP, hasDataSet: false)).hasDataSet)
    }

    @Test("a C-STORE-RQ round trip: command field, message ID, UIDs, priority, move originator")
    func storeRequest() throws {
        var c = DIMSECommand(.cStoreRQ, hasDataSet: true)
        c.messageID = 0xFFFF
        c.affectedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        c.affectedSOPInstanceUID = "1.2.3.4.5.6.7"   // odd length: padded with NUL, read back without
        c.priority = .high
        c.moveOriginatorAETitle = "MOVER"
        c.moveOriginatorMessageID = 42
        let d = try decodeRoundTrip(c)
        #expect(d.commandField == .cStoreRQ)
        #expect(d.rawCommandField == 0x0001)
        #expect(d.messageID == 0xFFFF)
        #expect(d.affectedSOPClassUID == "1.2.840.10008.5.1.4.1.1.2")
        #expect(d.affectedSOPInstanceUID == "1.2.3.4.5.6.7")
        #expect(d.sopClassUID == "1.2.840.10008.5.1.4.1.1.2")
        #expect(d.sopInstanceUID == "1.2.3.4.5.6.7")
        #expect(d.priority == .high)
        #expect(d.moveOriginatorAETitle == "MOVER")
        #expect(d.moveOriginatorMessageID == 42)
        #expect(d.encoded() == c.encoded())
    }

    @Test("priority: medium when absent, each value round trips", arguments: [Priority.low, .medium, .high])
    func priority(p: Priority) throws {
        #expect(DIMSECommand(.cFindRQ, hasDataSet: true).priority == .medium)
        var c = DIMSECommand(.cFindRQ, hasDataSet: true)
        c.priority = p
        #expect(try decodeRoundTrip(c).priority == p)
        #expect(c.dataSet[T.priority]?.uint16s == [p.rawValue])
    }

    @Test("responses: message ID being responded to, status, error comment, offending elements")
    func response() throws {
        var c = DIMSECommand(.cStoreRSP, hasDataSet: false)
        c.messageIDBeingRespondedTo = 3
        c.status = .outOfResources
        c.errorComment = "disk full"
        c.offendingElements = [Tag(0x0010_0010), Tag(0x0020_000D)]
        let d = try decodeRoundTrip(c)
        #expect(d.commandField == .cStoreRSP)
        #expect(d.messageIDBeingRespondedTo == 3)
        #expect(d.messageID == nil)
        #expect(d.status == DIMSEStatus(0xA700))
        #expect(d.errorComment == "disk full")
        #expect(d.offendingElements == [Tag(0x0010_0010), Tag(0x0020_000D)])
        #expect(d.description.contains("C-STORE-RSP"))
        #expect(d.description.contains("A700"))
        // Clearing removes the elements.
        c.status = nil
        c.errorComment = nil
        c.offendingElements = []
        c.messageIDBeingRespondedTo = nil
        for tag in [T.status, T.errorComment, T.offendingElement, T.messageIDBeingRespondedTo] {
            #expect(c.dataSet[tag] == nil)
        }
    }

    @Test("an error comment longer than 64 characters is cut to 64 (LO)")
    func errorCommentTruncated() throws {
        var c = DIMSECommand(.cFindRSP, hasDataSet: false)
        let long = String(repeating: "abcdefghij", count: 10)
        c.errorComment = long
        #expect(c.errorComment == String(long.prefix(64)))
        #expect(c.dataSet[T.errorComment]?.vr == .LO)
        #expect(try decodeRoundTrip(c).errorComment?.count == 64)
        c.errorComment = "short"
        #expect(c.errorComment == "short")
    }

    @Test("C-MOVE: move destination and sub-operation counts")
    func move() throws {
        var rq = DIMSECommand(.cMoveRQ, hasDataSet: true)
        rq.moveDestination = "STORESCP"
        rq.requestedSOPClassUID = nil
        #expect(try decodeRoundTrip(rq).moveDestination == "STORESCP")
        #expect(rq.dataSet[T.moveDestination]?.vr == .AE)

        var rsp = DIMSECommand(.cMoveRSP, hasDataSet: false)
        #expect(rsp.suboperations == nil)
        rsp.suboperations = SuboperationCounts(remaining: 5, completed: 10, failed: 1, warning: 2)
        let d = try decodeRoundTrip(rsp)
        #expect(d.suboperations == SuboperationCounts(remaining: 5, completed: 10, failed: 1, warning: 2))
        #expect(d.dataSet[T.numberOfRemainingSuboperations]?.uint16s == [5])
        #expect(d.dataSet[T.numberOfCompletedSuboperations]?.uint16s == [10])
        #expect(d.dataSet[T.numberOfFailedSuboperations]?.uint16s == [1])
        #expect(d.dataSet[T.numberOfWarningSuboperations]?.uint16s == [2])

        rsp.removeRemainingSuboperations()
        #expect(rsp.dataSet[T.numberOfRemainingSuboperations] == nil)
        #expect(rsp.suboperations == SuboperationCounts(remaining: 0, completed: 10, failed: 1, warning: 2))

        rsp.suboperations = SuboperationCounts(remaining: -3, completed: 100_000)
        #expect(rsp.suboperations == SuboperationCounts(remaining: 0, completed: 65535, failed: 0, warning: 0))
        rsp.suboperations = nil
        #expect(rsp.suboperations == nil)
        #expect(rsp.dataSet[T.numberOfCompletedSuboperations] == nil)
    }

    @Test("N-services: requested UIDs, event type ID, action type ID, attribute identifier list")
    func normalized() throws {
        var get = DIMSECommand(.nGetRQ, hasDataSet: false)
        get.requestedSOPClassUID = "1.2.840.10008.5.1.1.1"
        get.requestedSOPInstanceUID = "1.2.3"
        get.attributeIdentifierList = [Tag(0x2100_0020), Tag(0x0008_0018)]
        let g = try decodeRoundTrip(get)
        #expect(g.requestedSOPClassUID == "1.2.840.10008.5.1.1.1")
        #expect(g.requestedSOPInstanceUID == "1.2.3")
        #expect(g.affectedSOPClassUID == nil)
        #expect(g.sopClassUID == "1.2.840.10008.5.1.1.1")
        #expect(g.sopInstanceUID == "1.2.3")
        #expect(g.attributeIdentifierList == [Tag(0x2100_0020), Tag(0x0008_0018)])
        #expect(g.dataSet[T.attributeIdentifierList]?.vr == .AT)

        var event = DIMSECommand(.nEventReportRQ, hasDataSet: true)
        event.eventTypeID = 2
        #expect(try decodeRoundTrip(event).eventTypeID == 2)
        var action = DIMSECommand(.nActionRQ, hasDataSet: true)
        action.actionTypeID = 1
        #expect(try decodeRoundTrip(action).actionTypeID == 1)
        action.actionTypeID = nil
        #expect(action.dataSet[T.actionTypeID] == nil)
        get.attributeIdentifierList = []
        #expect(get.dataSet[T.attributeIdentifierList] == nil)
    }

    @Test("unknown command fields survive as raw values")
    func unknownCommandField() throws {
        var ds = DataSet()
        ds.set(DataElement(tag: T.commandField, vr: .US, integers: [UInt16(0x0777)]))
        let d = try DIMSECommand.decode(Bytes(DIMSECommand(dataSet: ds).encoded()))
        #expect(d.commandField == nil)
        #expect(d.rawCommandField == 0x0777)
    }

    @Test("decoding bytes without a Command Field fails")
    func noCommandField() {
        var ds = DataSet()
        ds.set(DataElement(tag: T.messageID, vr: .US, integers: [UInt16(1)]))
        #expect(throws: DIMSEError.self) { try DIMSECommand.decode(Bytes(DIMSECommand(dataSet: ds).encoded())) }
        #expect(throws: (any Error).self) { try DIMSECommand.decode(Bytes([0x00, 0x00, 0x00])) }
    }

    @Test("command fields: responses and descriptions")
    func commandFields() {
        #expect(CommandField.cStoreRQ.response == .cStoreRSP)
        #expect(CommandField.cFindRQ.response == .cFindRSP)
        #expect(CommandField.nActionRQ.response == .nActionRSP)
        #expect(CommandField.cCancelRQ.response == nil)
        #expect(CommandField.cEchoRSP.response == nil)
        #expect(CommandField.cMoveRSP.isResponse)
        #expect(!CommandField.cGetRQ.isResponse)
        #expect(!CommandField.cCancelRQ.isResponse)
        #expect(CommandField.nEventReportRSP.description == "N-EVENT-REPORT-RSP")
        #expect(CommandField(rawValue: 0x8020) == .cFindRSP)
    }
}
