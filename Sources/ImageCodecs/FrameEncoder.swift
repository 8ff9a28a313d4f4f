import CharLS
import DICOMCore
import JPEGTurbo
import OpenJPEG
import Zlib

/// One frame encoded for an encapsulated transfer syntax, and what the encoding changed in the Image Pixel
/// module (PS3.5 §8.2: the photometric interpretation a codec's colour transform implies, lossy compression).
public struct EncodedFrame: Sendable {
    public var bytes: [UInt8]
    public var photometric: String
    /// The Lossy Image Compression Method (0028,2114) when the encoding lost information, else nil.
    public var lossyMethod: String?
}

/// Encodes native frames (as `FrameDecoder` produces them) for the syntaxes Lightbox writes.
public enum FrameEncoder {
    public struct Options: Sendable {
        /// JPEG Baseline quality, 1...100.
        public var jpegQuality = 90
        /// JPEG 2000 lossy compression ratio.
        public var jpeg2000Ratio: Float = 10
        /// JPEG-LS near-lossless maximum error.
        public var nearLossless = 2
        public init() {}
    }

    public static let encodable: Set<String> = [
        RLELossless.transferSyntaxUID, "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81",
        "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", TransferSyntax.deflatedImageFrameCompression.uid,
        TransferSyntax.encapsulatedUncompressedExplicitVRLittleEndian.uid,
    ]

    public static func encode(_ frame: DecodedFrame, to syntax: TransferSyntax,
                              options: Options = Options()) throws(CodecError) -> EncodedFrame {
        let d = frame.description
        guard d.sampleKind == .integer else { throw CodecError("\(syntax.name) cannot hold floating point pixel data") }
        switch syntax.uid {
        case TransferSyntax.deflatedImageFrameCompression.uid:
            do {
                let bytes = try frame.bytes.withUnsafeBytes { try deflate($0, format: .raw, level: 6) }
                return EncodedFrame(bytes: bytes, photometric: d.photometric, lossyMethod: nil)
            } catch { throw CodecError("Deflated Image Frame: \(error)") }
        case TransferSyntax.encapsulatedUncompressedExplicitVRLittleEndian.uid:
            return EncodedFrame(bytes: frame.bytes, photometric: d.photometric, lossyMethod: nil)
        default: break
        }
        guard d.bitsAllocated >= 8 else { throw CodecError("\(syntax.name) cannot hold \(d.bitsAllocated)-bit pixel data") }
        switch syntax.uid {
        case RLELossless.transferSyntaxUID:
            return EncodedFrame(bytes: try RLELossless.encode(frame.bytes, geometry: d.geometry), photometric: d.photometric, lossyMethod: nil)
        case "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81":
            return try encodeJPEGLS(frame, near: syntax.uid.hasSuffix(".81") ? options.nearLossless : 0)
        case "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91":
            return try encodeJPEG2000(frame, ratio: syntax.uid.hasSuffix(".91") ? options.jpeg2000Ratio : nil)
        case "1.2.840.10008.1.2.4.50":
            return try encodeJPEGBaseline(frame, quality: options.jpegQuality)
        case "1.2.840.10008.1.2.4.70":
            return try encodeJPEGLossless(frame)
        case "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203":
            throw CodecError("no encoder for \(syntax.name): Debian's OpenJPEG 2.5.0 decodes HTJ2K but does not encode it")
        default:
            throw CodecError("no encoder for \(syntax.name)")
        }
    }

    static func storedValues(_ frame: DecodedFrame) -> [Int32] { frame.storedValues() }

    static func encodeJPEGLS(_ frame: DecodedFrame, near: Int) throws(CodecError) -> EncodedFrame {
        let d = frame.description
        guard d.bitsAllocated <= 16, d.bitsStored >= 2 else {
            throw CodecError("JPEG-LS cannot hold \(d.bitsStored) of \(d.bitsAllocated) bits")
        }
        // Near-lossless reconstruction is modular (T.87 A.4.5): a signed sample at one end of its range can come
        // back at the other end, an error as large as the range.
        guard near == 0 || !d.signed else {
            throw CodecError("near-lossless JPEG-LS of signed pixel data can wrap around the range; use JPEG-LS lossless")
        }
        // Signed samples are coded as their two's complement in Bits Stored bits (PS3.5 §8.2.3).
        let bytes = packed(storedValues(frame), bits: d.bitsStored)
        do {
            let encoded = try bytes.withUnsafeBytes { (raw) throws(CharLSError) in
                try CharLS.encode(raw, width: d.columns, height: d.rows, components: d.samplesPerPixel,
                                  bitsPerSample: d.bitsStored, nearLossless: near)
            }
            return EncodedFrame(bytes: encoded, photometric: d.photometric, lossyMethod: near > 0 ? "ISO_14495_1" : nil)
        } catch { throw CodecError("JPEG-LS: \(error)") }
    }

    static func encodeJPEGLossless(_ frame: DecodedFrame) throws(CodecError) -> EncodedFrame {
        let d = frame.description
        guard d.bitsAllocated <= 16, d.bitsStored >= 2 else {
            throw CodecError("JPEG Lossless cannot hold \(d.bitsStored) of \(d.bitsAllocated) bits")
        }
        // Signed samples are coded as their two's complement in Bits Stored bits, as for JPEG-LS.
        let bytes = packed(storedValues(frame), bits: d.bitsStored)
        let encoded = try JPEGLosslessEncoder.encode(bytes, width: d.columns, height: d.rows, components: d.samplesPerPixel,
                                                     precision: d.bitsStored)
        return EncodedFrame(bytes: encoded, photometric: d.photometric, lossyMethod: nil)
    }

    /// Values as `bits`-bit patterns, 1 byte each up to 8 bits, else 2 bytes little endian.
    static func packed(_ values: [Int32], bits: Int) -> [UInt8] {
        let width = bits > 8 ? 2 : 1
        let mask = Int32(bitPattern: (1 << UInt32(bits)) - 1)
        var bytes = [UInt8](repeating: 0, count: values.count * width)
        for (i, v) in values.enumerated() {
            let u = v & mask
            bytes[i * width] = UInt8(truncatingIfNeeded: u)
            if width == 2 { bytes[i * width + 1] = UInt8(truncatingIfNeeded: u >> 8) }
        }
        return bytes
    }

    static func encodeJPEG2000(_ frame: DecodedFrame, ratio: Float?) throws(CodecError) -> EncodedFrame {
        let d = frame.description
        guard d.bitsStored <= 16 else { throw CodecError("JPEG 2000 encoding of \(d.bitsStored)-bit samples") }
        let rgb = d.samplesPerPixel == 3 && d.photometric == "RGB"
        var options = OpenJPEG.EncodeOptions(ratio: ratio, colorTransform: rgb)
        options.progression = .lrcp
        do {
            let bytes = try OpenJPEG.encode(storedValues(frame), width: d.columns, height: d.rows, components: d.samplesPerPixel,
                                            precision: d.bitsStored, signed: d.signed, options: options)
            // With the component transform, the codestream's components are YCbCr (PS3.5 §8.2.4).
            let photometric = rgb ? (ratio == nil ? "YBR_RCT" : "YBR_ICT") : d.photometric
            return EncodedFrame(bytes: bytes, photometric: photometric, lossyMethod: ratio == nil ? nil : "ISO_15444_1")
        } catch { throw CodecError("JPEG 2000: \(error)") }
    }

    static func encodeJPEGBaseline(_ frame: DecodedFrame, quality: Int) throws(CodecError) -> EncodedFrame {
        let d = frame.description
        guard d.bitsAllocated == 8, !d.signed else {
            throw CodecError("JPEG Baseline holds unsigned 8-bit samples, not \(d.bitsAllocated)-bit \(d.signed ? "signed" : "unsigned")")
        }
        guard d.samplesPerPixel == 1 || d.photometric == "RGB" else {
            throw CodecError("JPEG Baseline encodes grey or RGB pixel data, not \(d.photometric)")
        }
        do {
            let bytes = try frame.bytes.withUnsafeBytes { (raw) throws(LibJPEGError) in
                try LibJPEG.encode(raw, width: d.columns, height: d.rows, components: d.samplesPerPixel, quality: quality)
            }
            return EncodedFrame(bytes: bytes, photometric: d.isColor ? "YBR_FULL_422" : d.photometric, lossyMethod: "ISO_10918_1")
        } catch { throw CodecError("JPEG: \(error)") }
    }
}

extension DecodedFrame {
    /// Samples masked to Bits Stored and sign-extended when signed: the bits above High Bit are not part of a
    /// sample's value (PS3.5 §8.1.1), whatever garbage they hold.
    public func storedValues() -> [Int32] {
        let frame = self
        let d = frame.description
        if d.bitsAllocated == 1 {
            return frame.bytes.withUnsafeBytes { b in (0..<(d.pixels * d.samplesPerPixel)).map { Int32((b[$0 >> 3] >> ($0 & 7)) & 1) } }
        }
        let n = d.pixels * d.samplesPerPixel
        let bits = d.bitsStored
        let mask: UInt32 = bits >= 32 ? .max : (1 << UInt32(bits)) - 1
        let signBit: UInt32 = bits >= 32 ? 0 : 1 << UInt32(bits - 1)
        let signed = d.signed && bits < 32
        return [Int32](unsafeUninitializedCapacity: n) { out, initialized in
            frame.bytes.withUnsafeBytes { raw in
                // One pass per sample width; the sign extension by shifts keeps the loops branch-free.
                let shift = Int32(32 - bits)
                switch d.bytesPerSample {
                case 1:
                    let src = raw.bindMemory(to: UInt8.self)
                    for i in 0..<n {
                        let v = UInt32(src[i]) & mask
                        out[i] = signed ? Int32(bitPattern: v << UInt32(shift)) >> shift : Int32(bitPattern: v)
                    }
                case 2:
                    for i in 0..<n {
                        let v = UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) & mask
                        out[i] = signed ? Int32(bitPattern: v << UInt32(shift)) >> shift : Int32(bitPattern: v)
                    }
                default:
                    for i in 0..<n {
                        var v = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) & mask
                        if signed && v & signBit != 0 { v |= ~mask }
                        out[i] = Int32(bitPattern: v)
                    }
                }
            }
            initialized = n
        }
    }
}
