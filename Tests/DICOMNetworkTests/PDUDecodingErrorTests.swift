import DICOM
import DICOMNetwork
import Testing

/// Malformed PDUs are PDUDecodingErrors carrying the A-ABORT reason of PS3.8 Table 9-26, never a trap.
@Suite("PDUCodec decoding errors")
struct PDUDecodingErrorTests {
    static var requestBody: [UInt8] { Array(PDUCodec.encode(.associateRQ(fullRequest())).dropFirst(6)) }

    @Test("unknown PDU types: unrecognized PDU", arguments: [0x00, 0x08, 0x09, 0x10, 0x7F, 0xFF] as [UInt8])
    func unknownType(type: UInt8) throws {
        let error = try #require(decodingError(type: type, body: [0, 0, 0, 0]))
        #expect(error.abortReason == AAbort.unrecognizedPDU)
        #expect(error.description.hasPrefix("invalid PDU"))
    }

    @Test("A-ASSOCIATE-RQ/AC shorter than the 68 bytes of fixed fields", arguments: [0, 1, 2, 10, 67])
    func shortAssociate(length: Int) throws {
        let body = Array(Self.requestBody.prefix(length))
        #expect(decodingError(type: 0x01, body: body)?.abortReason == AAbort.invalidPDUParameterValue)
        #expect(decodingError(type: 0x02, body: body)?.abortReason == AAbort.invalidPDUParameterValue)
    }

    @Test("every proper prefix of an A-ASSOCIATE-RQ body is refused")
    func everyTruncation() {
        let body = Self.requestBody
        var decoded: [Int] = []
        for n in 0..<body.count where decodingError(type: 0x01, body: Array(body.prefix(n))) == nil {
            decoded.append(n)
        }
        #expect(decoded.isEmpty, "prefixes that decoded: \(decoded)")
        #expect(decodingError(type: 0x01, body: body) == nil)
    }

    @Test("an item whose length runs past the end of the PDU")
    func itemPastEnd() throws {
        var body = Self.requestBody
        // The application context item starts at 68: make its length larger than the rest of the PDU.
        #expect(body[68] == 0x10)
        body.replaceSubrange(70..<72, with: be16(0xFFFF))
        #expect(decodingError(type: 0x01, body: body) != nil)
        // A sub-item inside a presentation context running past the context item.
        var body2 = Self.requestBody
        let pcAt = 68 + 4 + 21
        #expect(body2[pcAt] == 0x20)
        #expect(body2[pcAt + 8] == 0x30)
        body2.replaceSubrange(pcAt + 10..<pcAt + 12, with: be16(200))
        #expect(decodingError(type: 0x01, body: body2) != nil)
    }

    @Test("an even presentation context ID in an A-ASSOCIATE-RQ", arguments: [0, 2, 4, 254] as [UInt8])
    func evenContextID(id: UInt8) throws {
        let rq = AAssociateRQ(calledAETitle: "A", callingAETitle: "B", presentationContexts: [
            PresentationContextRQ(id: id, abstractSyntax: UID.verification, transferSyntaxes: [UID.implicitLE])])
        let error = try #require(decodingError(type: 0x01, body: Array(PDUCodec.encode(.associateRQ(rq)).dropFirst(6))))
        #expect(error.abortReason == AAbort.invalidPDUParameterValue)
        #expect(error.message.contains("even"))
    }

    @Test("an A-ASSOCIATE-RQ without presentation contexts")
    func noContexts() throws {
        let rq = AAssociateRQ(calledAETitle: "A", callingAETitle: "B", presentationContexts: [])
        let error = try #require(decodingError(type: 0x01, body: Array(PDUCodec.encode(.associateRQ(rq)).dropFirst(6))))
        #expect(error.abortReason == AAbort.invalidPDUParameterValue)
        // An A-ASSOCIATE-AC may have none (everything rejected is still a list; none at all is tolerated).
        let ac = AAssociateAC(calledAETitle: "A", callingAETitle: "B", presentationContexts: [])
        #expect(decodingError(type: 0x02, body: Array(PDUCodec.encode(.associateAC(ac)).dropFirst(6))) == nil)
    }

    @Test("an A-ASSOCIATE-RQ without an application context or user information item")
    func missingItems() {
        let fixed = Array(Self.requestBody.prefix(68))
        let pc = item(0x20, [1, 0, 0, 0] + item(0x30, ascii(UID.verification)) + item(0x40, ascii(UID.implicitLE)))
        let user = item(0x50, item(0x51, be32(0)))
        #expect(decodingError(type: 0x01, body: fixed + pc + user) != nil)  // no 0x10
        #expect(decodingError(type: 0x01, body: fixed + item(0x10, ascii(DICOMApplicationContext)) + pc) != nil)  // no 0x50
        #expect(decodingError(type: 0x01, body: fixed + item(0x10, ascii(DICOMApplicationContext)) + pc + user) == nil)
        // A context without its abstract syntax sub-item.
        let noAbstract = item(0x20, [1, 0, 0, 0] + item(0x40, ascii(UID.implicitLE)))
        #expect(decodingError(type: 0x01, body: fixed + item(0x10, ascii(DICOMApplicationContext)) + noAbstract + user) != nil)
    }

    @Test("an item type the PDU cannot hold: unexpected PDU parameter")
    func unexpectedItem() throws {
        let fixed = Array(Self.requestBody.prefix(68))
        let ctx = item(0x10, ascii(DICOMApplicationContext))
        let acContext = item(0x21, [1, 0, 0, 0] + item(0x40, ascii(UID.implicitLE)))
        let user = item(0x50, item(0x51, be32(0)))
        let e1 = try #require(decodingError(type: 0x01, body: fixed + ctx + acContext + user))
        #expect(e1.abortReason == AAbort.unexpectedPDUParameter)
        let rqContext = item(0x20, [1, 0, 0, 0] + item(0x30, ascii(UID.verification)) + item(0x40, ascii(UID.implicitLE)))
        let e2 = try #require(decodingError(type: 0x02, body: fixed + ctx + rqContext + user))
        #expect(e2.abortReason == AAbort.unexpectedPDUParameter)
        let e3 = try #require(decodingError(type: 0x01, body: fixed + ctx + item(0x77, [1, 2]) + user))
        #expect(e3.abortReason == AAbort.unexpectedPDUParameter)
    }

    @Test("malformed user information sub-items")
    func badUserInformation() {
        let fixed = Array(Self.requestBody.prefix(68))
        let head = fixed + item(0x10, ascii(DICOMApplicationContext))
            + item(0x20, [1, 0, 0, 0] + item(0x30, ascii(UID.verification)) + item(0x40, ascii(UID.implicitLE)))
        let bad: [[UInt8]] = [
            item(0x51, [0, 0, 1]),                                   // max length of 3 bytes
            item(0x53, [0, 1, 0]),                                   // window of 3 bytes
            item(0x54, be16(10) + ascii("1.2")),                     // UID length past the item
            item(0x58, [9, 0] + be16(1) + ascii("a") + be16(0)),     // user identity type 9
            item(0x58, [1, 0] + be16(5) + ascii("a")),               // primary field past the item
            item(0x57, be16(1) + ascii("1") + be16(1) + ascii("2") + be16(9)),  // related list past the item
        ]
        for sub in bad {
            #expect(decodingError(type: 0x01, body: head + item(0x50, sub)) != nil, "sub-item \(sub)")
        }
        // In an A-ASSOCIATE-AC: a server response whose length runs past its item.
        let acHead = fixed + item(0x10, ascii(DICOMApplicationContext)) + item(0x21, [1, 0, 0, 0] + item(0x40, ascii(UID.implicitLE)))
        #expect(decodingError(type: 0x02, body: acHead + item(0x50, item(0x59, be16(4) + [1]))) != nil)
        #expect(decodingError(type: 0x02, body: acHead + item(0x50, item(0x59, be16(1) + [1]))) == nil)
    }

    @Test("P-DATA-TF with a PDV length below 2", arguments: [0, 1])
    func shortPDV(length: Int) throws {
        let error = try #require(decodingError(type: 0x04, body: be32(length) + [1, 3]))
        #expect(error.abortReason == AAbort.invalidPDUParameterValue)
    }

    @Test("P-DATA-TF with a PDV running past the end, an even context ID, or no PDV")
    func badPData() {
        #expect(decodingError(type: 0x04, body: be32(10) + [1, 3, 0, 0]) != nil)
        #expect(decodingError(type: 0x04, body: be32(4) + [1, 3, 9, 9] + be32(3)) != nil)     // truncated second PDV
        #expect(decodingError(type: 0x04, body: be32(3) + [2, 3, 9]) != nil)
        #expect(decodingError(type: 0x04, body: []) != nil)
        #expect(decodingError(type: 0x04, body: be32(3) + [1, 3, 9]) == nil)
    }

    @Test("fixed-length PDUs of the wrong length or with invalid fields")
    func fixedPDUs() {
        #expect(decodingError(type: 0x03, body: [0, 1, 1]) != nil)
        #expect(decodingError(type: 0x03, body: [0, 1, 1, 1, 0]) != nil)
        #expect(decodingError(type: 0x03, body: [0, 3, 1, 1]) != nil)       // result 3
        #expect(decodingError(type: 0x03, body: [0, 1, 4, 1]) != nil)       // source 4
        #expect(decodingError(type: 0x05, body: [0, 0, 0]) != nil)
        #expect(decodingError(type: 0x06, body: [0, 0, 0, 0, 0]) != nil)
        #expect(decodingError(type: 0x07, body: []) != nil)
        #expect(decodingError(type: 0x07, body: [0, 0, 2, 1, 0]) != nil)
    }

    @Test("corrupting any single byte of valid PDUs never traps")
    func corruption() {
        let samples: [[UInt8]] = [
            PDUCodec.encode(.associateRQ(fullRequest())),
            PDUCodec.encode(.data(PDataTF(values: [PresentationDataValue(contextID: 1, isCommand: true, isLast: true,
                                                                         data: Bytes([1, 2, 3, 4, 5]))]))),
        ]
        var outcomes = 0
        for sample in samples {
            let body = Array(sample.dropFirst(6))
            for i in body.indices {
                for value: UInt8 in [0x00, 0x01, 0x7F, 0xFF] {
                    var b = body
                    b[i] = value
                    _ = decodingError(type: sample[0], body: b)
                    outcomes += 1
                }
            }
        }
        #expect(outcomes > 0)
    }
}
