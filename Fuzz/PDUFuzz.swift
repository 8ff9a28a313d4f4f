// libFuzzer entry point over the PDU decoder (built by tools/fuzz.sh with the DICOMCore sources and the Upper
// Layer codec). Every input must decode or fail with a PDUDecodingError; whatever decodes must encode back to
// bytes that decode to the same PDU.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let type = data[0]
    let body = Bytes(copying: UnsafeRawBufferPointer(start: data + 1, count: size - 1))
    guard let pdu = try? PDUCodec.decode(type: type, body: body) else { return 0 }
    let encoded = PDUCodec.encode(pdu)
    let again = Bytes(encoded[PDUCodec.headerLength...])
    guard let back = try? PDUCodec.decode(type: encoded[0], body: again) else {
        fatalError("cannot decode what was encoded from \(pdu.name)")
    }
    if back != pdu { fatalError("\(pdu.name) changed through encode and decode") }
    return 0
}
