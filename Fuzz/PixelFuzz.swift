// libFuzzer entry point over every pixel decoder (built by tools/fuzz.sh with DICOMCore, ImageCodecs and the
// Swift wrappers of libjpeg-turbo, OpenJPEG, CharLS and libjxl in one module; the C libraries linked as they are).
//
// Input: one byte choosing the transfer syntax, one byte choosing the image description (size, bits, samples),
// then the codestream. Every input must decode or throw a CodecError: no crash, no hang, no allocation beyond
// what the description allows (libFuzzer's -malloc_limit_mb catches that).

let syntaxes: [TransferSyntax] = [
    .rleLossless, .jpegBaseline8Bit, .jpegExtended12Bit, .jpegLossless, .jpegLosslessSV1, .jpegLSLossless,
    .jpegLSNearLossless, .jpeg2000Lossless, .jpeg2000, .htj2kLossless, .deflatedImageFrameCompression,
    TransferSyntax.from(uid: "1.2.840.10008.1.2.4.110")!,
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let syntax = syntaxes[Int(data[0]) % syntaxes.count]
    let shape = data[1]
    let side = [8, 16, 33, 64][Int(shape & 3)]
    let bits = [8, 16][Int(shape >> 2 & 1)]
    let samples = shape >> 3 & 1 == 1 ? 3 : 1
    let stored = bits == 16 ? [12, 16][Int(shape >> 4 & 1)] : 8
    let description = PixelDescription(rows: side, columns: side + Int(shape >> 5), samplesPerPixel: samples, bitsAllocated: bits,
                                       bitsStored: stored, signed: shape >> 7 == 1,
                                       photometric: samples == 3 ? "RGB" : "MONOCHROME2")
    let stream = UnsafeRawBufferPointer(start: data + 2, count: size - 2)
    if let frame = try? FrameDecoder.decode(stream, syntax: syntax, description: description) {
        guard frame.bytes.count == frame.description.frameBytes else { fatalError("a decoded frame of the wrong size") }
        _ = frame.storedValues()
    }
    // The Swift JPEG decoder on its own, with its own size limit.
    if syntax.uid.hasPrefix("1.2.840.10008.1.2.4.5") || syntax.uid.hasPrefix("1.2.840.10008.1.2.4.7") {
        _ = try? JPEGDecoder.decode(stream, maxPixels: 1 << 16)
    }
    return 0
}
