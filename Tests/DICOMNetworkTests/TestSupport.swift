import DICOM
import DICOMNetwork
import Testing

/// Swift Testing has a `Tag` of its own; in these tests `Tag` is always the DICOM one.
typealias Tag = DICOMCore.Tag

/// UIDs used throughout the tests.
enum UID {
    static let verification = "1.2.840.10008.1.1"
    static let ctImageStorage = "1.2.840.10008.5.1.4.1.1.2"
    static let mrImageStorage = "1.2.840.10008.5.1.4.1.1.4"
    static let studyRootFind = "1.2.840.10008.5.1.4.1.2.2.1"
    static let studyRootGet = "1.2.840.10008.5.1.4.1.2.2.3"
    static let implicitLE = "1.2.840.10008.1.2"
    static let explicitLE = "1.2.840.10008.1.2.1"
    static let deflate = "1.2.840.10008.1.2.1.99"
    static let jpegBaseline = "1.2.840.10008.1.2.4.50"
}

/// Splits an encoded PDU into its header fields and body, checking the header's length field.
func splitPDU(_ bytes: [UInt8]) throws -> (type: UInt8, body: Bytes) {
    try #require(bytes.count >= PDUCodec.headerLength)
    #expect(bytes[1] == 0, "reserved byte after the PDU type")
    let length = UInt32(bytes[2]) << 24 | UInt32(bytes[3]) << 16 | UInt32(bytes[4]) << 8 | UInt32(bytes[5])
    #expect(Int(length) == bytes.count - PDUCodec.headerLength, "PDU length field (big endian) counts the bytes after the header")
    return (bytes[0], Bytes(bytes[PDUCodec.headerLength...]))
}

/// Encodes then decodes a PDU.
func roundTrip(_ pdu: PDU) throws -> PDU {
    let (type, body) = try splitPDU(PDUCodec.encode(pdu))
    #expect(type == pdu.type)
    return try PDUCodec.decode(type: type, body: body)
}

/// Decodes a whole PDU as it came off the wire.
func decodeWire(_ bytes: [UInt8]) throws -> PDU {
    let (type, body) = try splitPDU(bytes)
    return try PDUCodec.decode(type: type, body: body)
}

/// The decoding error for a PDU body, or nil when it decodes.
func decodingError(type: UInt8, body: [UInt8]) -> PDUDecodingError? {
    do {
        _ = try PDUCodec.decode(type: type, body: Bytes(body))
        return nil
    } catch {
        return error
    }
}

/// Bytes from a hexadecimal string (whitespace ignored).
func hex(_ s: String) -> [UInt8] {
    let digits = Array(s.filter { !$0.isWhitespace })
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }

func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

/// A PS3.8 item: type, reserved, 16-bit big endian length, value.
func item(_ type: UInt8, _ value: [UInt8]) -> [UInt8] { [type, 0] + be16(value.count) + value }

/// An A-ASSOCIATE-RQ with every user information sub-item.
func fullRequest() -> AAssociateRQ {
    var user = UserInformation()
    user.maximumLength = 16384
    user.implementationClassUID = "1.2.826.0.1.3680043.10.1"
    user.implementationVersionName = "LIGHTBOX_1"
    user.asynchronousOperationsWindow = AsynchronousOperationsWindow(maximumInvoked: 5, maximumPerformed: 3)
    user.roleSelections = [RoleSelection(sopClassUID: UID.ctImageStorage, scuRole: false, scpRole: true),
                           RoleSelection(sopClassUID: UID.mrImageStorage, scuRole: true, scpRole: true)]
    user.extendedNegotiations = [SOPClassExtendedNegotiation(sopClassUID: UID.studyRootFind, applicationInformation: [1, 1, 0])]
    user.commonExtendedNegotiations = [SOPClassCommonExtendedNegotiation(
        sopClassUID: "1.2.840.10008.5.1.4.1.1.88.22", serviceClassUID: "1.2.840.10008.4.2",
        relatedGeneralSOPClassUIDs: ["1.2.840.10008.5.1.4.1.1.88.11", "1.2.840.10008.5.1.4.1.1.88.33"])]
    user.userIdentity = .username("alice", passcode: "s3cret", positiveResponseRequested: true)
    return AAssociateRQ(calledAETitle: "LIGHTBOX", callingAETitle: "MODALITY1", presentationContexts: [
        PresentationContextRQ(id: 1, abstractSyntax: UID.verification, transferSyntaxes: [UID.implicitLE]),
        PresentationContextRQ(id: 3, abstractSyntax: UID.ctImageStorage, transferSyntaxes: [UID.explicitLE, UID.implicitLE, UID.jpegBaseline]),
        PresentationContextRQ(id: 5, abstractSyntax: UID.studyRootFind, transferSyntaxes: [UID.implicitLE]),
    ], userInformation: user)
}
