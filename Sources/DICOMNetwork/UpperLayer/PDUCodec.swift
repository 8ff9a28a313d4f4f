import DICOMCore

/// Why a PDU could not be decoded; each maps to the A-ABORT reason PS3.8 Table 9-26 gives for it.
public struct PDUDecodingError: Error, Equatable, CustomStringConvertible {
    public let abortReason: UInt8
    public let message: String

    init(_ abortReason: UInt8, _ message: String) {
        self.abortReason = abortReason
        self.message = message
    }

    static func invalid(_ message: String) -> PDUDecodingError { PDUDecodingError(AAbort.invalidPDUParameterValue, message) }

    public var description: String { "invalid PDU: \(message)" }
}

/// Encoding and decoding of PDUs (PS3.8 §9.3). All multi-byte fields are big endian.
public enum PDUCodec {
    /// Bytes of the PDU header: type, reserved, 32-bit length.
    public static let headerLength = 6

    // MARK: Encoding

    public static func encode(_ pdu: PDU) -> [UInt8] {
        var w = BigEndianWriter()
        w.u8(pdu.type)
        w.u8(0)
        let lengthAt = w.reserve32()
        switch pdu {
        case .associateRQ(let rq):
            w.u16(rq.protocolVersion)
            w.u16(0)
            w.aeTitle(rq.calledAETitle)
            w.aeTitle(rq.callingAETitle)
            w.zeros(32)
            w.uidItem(0x10, rq.applicationContext)
            for pc in rq.presentationContexts {
                w.item(0x20) { w in
                    w.u8(pc.id); w.u8(0); w.u8(0); w.u8(0)
                    w.uidItem(0x30, pc.abstractSyntax)
                    for ts in pc.transferSyntaxes { w.uidItem(0x40, ts) }
                }
            }
            encodeUserInformation(rq.userInformation, into: &w, request: true)
        case .associateAC(let ac):
            w.u16(ac.protocolVersion)
            w.u16(0)
            w.aeTitle(ac.calledAETitle)
            w.aeTitle(ac.callingAETitle)
            w.zeros(32)
            w.uidItem(0x10, ac.applicationContext)
            for pc in ac.presentationContexts {
                w.item(0x21) { w in
                    w.u8(pc.id); w.u8(0); w.u8(pc.result.rawValue); w.u8(0)
                    // A rejected context still carries a transfer syntax sub-item; its value is not significant.
                    w.uidItem(0x40, pc.result == .acceptance ? pc.transferSyntax : "")
                }
            }
            encodeUserInformation(ac.userInformation, into: &w, request: false)
        case .associateRJ(let rj):
            w.u8(0); w.u8(rj.result.rawValue); w.u8(rj.source.rawValue); w.u8(rj.reason)
        case .data(let p):
            for pdv in p.values {
                w.u32(UInt32(pdv.data.count + 2))
                w.u8(pdv.contextID)
                w.u8((pdv.isCommand ? 1 : 0) | (pdv.isLast ? 2 : 0))
                pdv.data.withUnsafeBytes { w.bytes.append(contentsOf: $0) }
            }
        case .releaseRQ, .releaseRP:
            w.zeros(4)
        case .abort(let a):
            w.u8(0); w.u8(0); w.u8(a.source.rawValue); w.u8(a.reason)
        }
        w.patch32(lengthAt, UInt32(w.bytes.count - headerLength))
        return w.bytes
    }

    /// The header of a P-DATA-TF PDU holding one PDV of `dataLength` bytes; the data follows it on the wire.
    /// Lets a sender stream a large value without copying it into a PDU buffer.
    public static func dataHeader(contextID: UInt8, isCommand: Bool, isLast: Bool, dataLength: Int) -> [UInt8] {
        var w = BigEndianWriter()
        w.u8(0x04)
        w.u8(0)
        w.u32(UInt32(dataLength + 6))
        w.u32(UInt32(dataLength + 2))
        w.u8(contextID)
        w.u8((isCommand ? 1 : 0) | (isLast ? 2 : 0))
        return w.bytes
    }

    static func encodeUserInformation(_ u: UserInformation, into w: inout BigEndianWriter, request: Bool) {
        w.item(0x50) { w in
            if let max = u.maximumLength {
                w.item(0x51) { $0.u32(max) }
            }
            w.uidItem(0x52, u.implementationClassUID)
            if let window = u.asynchronousOperationsWindow {
                w.item(0x53) { $0.u16(window.maximumInvoked); $0.u16(window.maximumPerformed) }
            }
            for role in u.roleSelections {
                w.item(0x54) { w in
                    w.lengthPrefixedUID(role.sopClassUID)
                    w.u8(role.scuRole ? 1 : 0)
                    w.u8(role.scpRole ? 1 : 0)
                }
            }
            if let name = u.implementationVersionName {
                w.item(0x55) { $0.bytes.append(contentsOf: latin1Bytes(name)) }
            }
            for ext in u.extendedNegotiations {
                w.item(0x56) { w in
                    w.lengthPrefixedUID(ext.sopClassUID)
                    w.bytes.append(contentsOf: ext.applicationInformation)
                }
            }
            for common in u.commonExtendedNegotiations {
                w.item(0x57) { w in
                    w.lengthPrefixedUID(common.sopClassUID)
                    w.lengthPrefixedUID(common.serviceClassUID)
                    var related = BigEndianWriter()
                    for uid in common.relatedGeneralSOPClassUIDs { related.lengthPrefixedUID(uid) }
                    w.lengthPrefixed(related.bytes)
                }
            }
            if request, let id = u.userIdentity {
                w.item(0x58) { w in
                    w.u8(id.kind.rawValue)
                    w.u8(id.positiveResponseRequested ? 1 : 0)
                    w.lengthPrefixed(id.primaryField)
                    w.lengthPrefixed(id.secondaryField)
                }
            }
            if !request, let response = u.userIdentityServerResponse {
                w.item(0x59) { $0.lengthPrefixed(response) }
            }
            for unknown in u.unknownItems {
                w.item(unknown.type) { $0.bytes.append(contentsOf: unknown.data) }
            }
        }
    }

    // MARK: Decoding

    /// Decodes a PDU from its type and the bytes after the 6-byte header.
    public static func decode(type: UInt8, body: Bytes) throws(PDUDecodingError) -> PDU {
        var r = BigEndianReader(body)
        switch type {
        case 0x01, 0x02:
            guard body.count >= 68 else { throw .invalid("A-ASSOCIATE PDU shorter than its fixed fields") }
            let version = try r.u16()
            try r.skip(2)
            let called = try r.aeTitle()
            let calling = try r.aeTitle()
            try r.skip(32)
            var applicationContext: String?
            var requested: [PresentationContextRQ] = []
            var accepted: [PresentationContextAC] = []
            var user: UserInformation?
            while !r.atEnd {
                let (itemType, item) = try r.item()
                switch itemType {
                case 0x10:
                    applicationContext = uid(item)
                case 0x20 where type == 0x01:
                    requested.append(try decodeRequestedContext(item))
                case 0x21 where type == 0x02:
                    accepted.append(try decodeAcceptedContext(item))
                case 0x50:
                    user = try decodeUserInformation(item, request: type == 0x01)
                default:
                    throw PDUDecodingError(AAbort.unexpectedPDUParameter, "unexpected item type \(hexByte(itemType))")
                }
            }
            guard let applicationContext else { throw .invalid("no application context item") }
            if type == 0x01 {
                guard !requested.isEmpty else { throw .invalid("A-ASSOCIATE-RQ without presentation contexts") }
                guard let user else { throw .invalid("A-ASSOCIATE-RQ without user information") }
                var rq = AAssociateRQ(calledAETitle: called, callingAETitle: calling, presentationContexts: requested,
                                      userInformation: user)
                rq.protocolVersion = version
                rq.applicationContext = applicationContext
                return .associateRQ(rq)
            }
            var ac = AAssociateAC(calledAETitle: called, callingAETitle: calling, presentationContexts: accepted,
                                  userInformation: user ?? UserInformation())
            ac.protocolVersion = version
            ac.applicationContext = applicationContext
            return .associateAC(ac)
        case 0x03:
            guard body.count == 4 else { throw .invalid("A-ASSOCIATE-RJ length \(body.count)") }
            guard let result = AAssociateRJ.Result(rawValue: body[1]),
                  let source = AAssociateRJ.Source(rawValue: body[2]) else {
                throw .invalid("A-ASSOCIATE-RJ result \(body[1]) source \(body[2])")
            }
            return .associateRJ(AAssociateRJ(result: result, source: source, reason: body[3]))
        case 0x04:
            var values: [PresentationDataValue] = []
            while !r.atEnd {
                let length = Int(try r.u32())
                guard length >= 2, length <= r.remaining else { throw .invalid("PDV length \(length)") }
                let contextID = try r.u8()
                let header = try r.u8()
                guard contextID & 1 == 1 else { throw .invalid("presentation context ID \(contextID) is even") }
                values.append(PresentationDataValue(contextID: contextID, isCommand: header & 1 == 1, isLast: header & 2 == 2,
                                                    data: try r.slice(length - 2)))
            }
            guard !values.isEmpty else { throw .invalid("P-DATA-TF without a PDV") }
            return .data(PDataTF(values: values))
        case 0x05, 0x06:
            guard body.count == 4 else { throw .invalid("A-RELEASE PDU length \(body.count)") }
            return type == 0x05 ? .releaseRQ : .releaseRP
        case 0x07:
            guard body.count == 4 else { throw .invalid("A-ABORT length \(body.count)") }
            return .abort(AAbort(source: AAbort.Source(rawValue: body[2]) ?? .serviceProvider, reason: body[3]))
        default:
            throw PDUDecodingError(AAbort.unrecognizedPDU, "unknown PDU type \(hexByte(type))")
        }
    }

    static func decodeRequestedContext(_ item: Bytes) throws(PDUDecodingError) -> PresentationContextRQ {
        var r = BigEndianReader(item)
        let id = try r.u8()
        try r.skip(3)
        var abstractSyntax: String?
        var transferSyntaxes: [String] = []
        while !r.atEnd {
            let (t, value) = try r.item()
            switch t {
            case 0x30: abstractSyntax = uid(value)
            case 0x40: transferSyntaxes.append(uid(value))
            default: throw PDUDecodingError(AAbort.unexpectedPDUParameter, "unexpected sub-item \(hexByte(t)) in a presentation context")
            }
        }
        guard let abstractSyntax else { throw .invalid("presentation context \(id) without an abstract syntax") }
        guard id & 1 == 1 else { throw .invalid("presentation context ID \(id) is even") }
        return PresentationContextRQ(id: id, abstractSyntax: abstractSyntax, transferSyntaxes: transferSyntaxes)
    }

    static func decodeAcceptedContext(_ item: Bytes) throws(PDUDecodingError) -> PresentationContextAC {
        var r = BigEndianReader(item)
        let id = try r.u8()
        try r.skip(1)
        let resultByte = try r.u8()
        try r.skip(1)
        guard let result = PresentationContextAC.Result(rawValue: resultByte) else {
            throw .invalid("presentation context result \(resultByte)")
        }
        var transferSyntax = ""
        while !r.atEnd {
            let (t, value) = try r.item()
            guard t == 0x40 else { throw PDUDecodingError(AAbort.unexpectedPDUParameter, "unexpected sub-item \(hexByte(t))") }
            transferSyntax = uid(value)
        }
        // A rejected context's transfer syntax sub-item "shall not be tested" (PS3.8 §9.3.3.2).
        return PresentationContextAC(id: id, result: result, transferSyntax: result == .acceptance ? transferSyntax : "")
    }

    /// The user information sub-items; an identity item of the wrong direction (a request in an AC) is kept as
    /// an unknown item rather than mistaken for the right one.
    static func decodeUserInformation(_ item: Bytes, request: Bool) throws(PDUDecodingError) -> UserInformation {
        var u = UserInformation()
        u.maximumLength = nil
        var r = BigEndianReader(item)
        while !r.atEnd {
            let (t, value) = try r.item()
            var s = BigEndianReader(value)
            switch t {
            case 0x51:
                guard value.count == 4 else { throw .invalid("maximum length item of \(value.count) bytes") }
                u.maximumLength = try s.u32()
            case 0x52:
                u.implementationClassUID = uid(value)
            case 0x53:
                guard value.count == 4 else { throw .invalid("asynchronous operations window of \(value.count) bytes") }
                u.asynchronousOperationsWindow = AsynchronousOperationsWindow(maximumInvoked: try s.u16(), maximumPerformed: try s.u16())
            case 0x54:
                let sopClass = try s.lengthPrefixedUID()
                u.roleSelections.append(RoleSelection(sopClassUID: sopClass, scuRole: try s.u8() == 1, scpRole: try s.u8() == 1))
            case 0x55:
                u.implementationVersionName = latin1(value.array).trimmingTrailing(" \0")
            case 0x56:
                let sopClass = try s.lengthPrefixedUID()
                u.extendedNegotiations.append(SOPClassExtendedNegotiation(sopClassUID: sopClass,
                                                                          applicationInformation: try s.slice(s.remaining).array))
            case 0x57:
                let sopClass = try s.lengthPrefixedUID()
                let serviceClass = try s.lengthPrefixedUID()
                let relatedLength = Int(try s.u16())
                var related = BigEndianReader(try s.slice(relatedLength))
                var uids: [String] = []
                while !related.atEnd { uids.append(try related.lengthPrefixedUID()) }
                u.commonExtendedNegotiations.append(SOPClassCommonExtendedNegotiation(
                    sopClassUID: sopClass, serviceClassUID: serviceClass, relatedGeneralSOPClassUIDs: uids))
            case 0x58 where request:
                guard let kind = UserIdentity.Kind(rawValue: try s.u8()) else { throw .invalid("user identity type") }
                let positive = try s.u8() == 1
                let primary = try s.slice(Int(try s.u16())).array
                let secondary = s.atEnd ? [] : try s.slice(Int(try s.u16())).array
                u.userIdentity = UserIdentity(kind: kind, positiveResponseRequested: positive, primaryField: primary,
                                              secondaryField: secondary)
            case 0x59 where !request:
                u.userIdentityServerResponse = try s.slice(Int(try s.u16())).array
            default:
                u.unknownItems.append(UserInformation.UnknownItem(type: t, data: value.array))
            }
        }
        return u
    }

    static func uid(_ b: Bytes) -> String {
        latin1(b.array).trimmingTrailing(" \0")
    }

    /// PDU text fields are ASCII; any other byte is read as Latin-1, so that each byte is one character and
    /// writing the text back gives the same bytes.
    static func latin1(_ bytes: [UInt8]) -> String {
        var s = ""
        s.unicodeScalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return s
    }

    static func latin1Bytes(_ text: String) -> [UInt8] {
        text.unicodeScalars.map { $0.value <= 0xFF ? UInt8($0.value) : UInt8(ascii: "?") }
    }
}

func hexByte(_ b: UInt8) -> String {
    let s = String(b, radix: 16, uppercase: true)
    return "0x" + (s.count == 1 ? "0" + s : s)
}

extension String {
    func trimmingTrailing(_ characters: String) -> String {
        var s = Substring(self)
        while let last = s.last, characters.contains(last) { s = s.dropLast() }
        return String(s)
    }

    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let last = s.last, last == " " || last == "\0" { s = s.dropLast() }
        while let first = s.first, first == " " { s = s.dropFirst() }
        return String(s)
    }
}

/// Appends big endian fields.
struct BigEndianWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xFF)) }
    mutating func u32(_ v: UInt32) {
        bytes.append(UInt8(v >> 24)); bytes.append(UInt8(v >> 16 & 0xFF))
        bytes.append(UInt8(v >> 8 & 0xFF)); bytes.append(UInt8(v & 0xFF))
    }
    mutating func zeros(_ n: Int) { bytes.append(contentsOf: repeatElement(0, count: n)) }

    mutating func reserve32() -> Int {
        let at = bytes.count
        zeros(4)
        return at
    }

    mutating func patch32(_ at: Int, _ v: UInt32) {
        bytes[at] = UInt8(v >> 24); bytes[at + 1] = UInt8(v >> 16 & 0xFF)
        bytes[at + 2] = UInt8(v >> 8 & 0xFF); bytes[at + 3] = UInt8(v & 0xFF)
    }

    /// An AE title: 16 bytes, space padded (PS3.8 §9.3.2).
    mutating func aeTitle(_ title: String) {
        var b = Array(PDUCodec.latin1Bytes(title).prefix(16))
        while b.count < 16 { b.append(0x20) }
        bytes.append(contentsOf: b)
    }

    /// A field with a 16-bit length before it. Longer fields cannot be encoded: they are cut to 65,535 bytes
    /// (`AAssociateRQ.validate()` refuses them before anything is sent).
    mutating func lengthPrefixed(_ field: [UInt8]) {
        let n = min(field.count, Int(UInt16.max))
        u16(UInt16(n))
        bytes.append(contentsOf: field[0..<n])
    }

    /// An item: type, reserved byte, 16-bit length, then what `body` writes (cut to 65,535 bytes, as above).
    mutating func item(_ type: UInt8, _ body: (inout BigEndianWriter) -> Void) {
        u8(type)
        u8(0)
        let at = bytes.count
        u16(0)
        body(&self)
        if bytes.count - at - 2 > Int(UInt16.max) { bytes.removeLast(bytes.count - at - 2 - Int(UInt16.max)) }
        let length = bytes.count - at - 2
        bytes[at] = UInt8(length >> 8 & 0xFF)
        bytes[at + 1] = UInt8(length & 0xFF)
    }

    mutating func uidItem(_ type: UInt8, _ uid: String) {
        item(type) { $0.bytes.append(contentsOf: PDUCodec.latin1Bytes(uid)) }
    }

    mutating func lengthPrefixedUID(_ uid: String) {
        lengthPrefixed(PDUCodec.latin1Bytes(uid))
    }
}

/// Reads big endian fields with bounds checks; every read past the end is a decoding error, never a trap.
struct BigEndianReader {
    let data: Bytes
    var offset = 0

    init(_ data: Bytes) { self.data = data }

    var atEnd: Bool { offset >= data.count }
    var remaining: Int { data.count - offset }

    mutating func need(_ n: Int) throws(PDUDecodingError) {
        guard n >= 0, n <= remaining else { throw .invalid("field runs past the end (\(n) bytes wanted, \(remaining) left)") }
    }

    mutating func u8() throws(PDUDecodingError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return data[offset]
    }

    mutating func u16() throws(PDUDecodingError) -> UInt16 {
        try need(2)
        defer { offset += 2 }
        return UInt16(data[offset]) << 8 | UInt16(data[offset + 1])
    }

    mutating func u32() throws(PDUDecodingError) -> UInt32 {
        try need(4)
        defer { offset += 4 }
        return UInt32(data[offset]) << 24 | UInt32(data[offset + 1]) << 16 | UInt32(data[offset + 2]) << 8 | UInt32(data[offset + 3])
    }

    mutating func skip(_ n: Int) throws(PDUDecodingError) {
        try need(n)
        offset += n
    }

    mutating func slice(_ n: Int) throws(PDUDecodingError) -> Bytes {
        try need(n)
        defer { offset += n }
        return data[offset..<offset + n]
    }

    mutating func aeTitle() throws(PDUDecodingError) -> String {
        PDUCodec.latin1(try slice(16).array).trimmingSpaces()
    }

    /// An item: type, reserved, 16-bit length, value.
    mutating func item() throws(PDUDecodingError) -> (UInt8, Bytes) {
        let type = try u8()
        try skip(1)
        let length = Int(try u16())
        return (type, try slice(length))
    }

    mutating func lengthPrefixedUID() throws(PDUDecodingError) -> String {
        PDUCodec.uid(try slice(Int(try u16())))
    }
}
