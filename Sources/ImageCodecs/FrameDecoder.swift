import CharLS
import DICOMCore
import JPEGTurbo
import JPEGXL
import OpenJPEG
import Zlib

/// One frame decoded to native form: little endian, colour by pixel (Planar Configuration 0), full-resolution
/// chrominance, Bits Allocated as the data set declares. `description` says what the samples are now: a decoder
/// that converts colour (JPEG's YCbCr, JPEG 2000's RCT/ICT) changes its photometric interpretation to RGB.
public struct DecodedFrame: Sendable {
    public var description: PixelDescription
    public var bytes: [UInt8]
}

/// Decodes stored frames of every transfer syntax Lightbox reads (PS3.5 §8, §10, Annex A.4).
public enum FrameDecoder {
    public static func decode(_ frames: PixelFrames, frame index: Int) throws(CodecError) -> DecodedFrame {
        var d = frames.description
        d.numberOfFrames = 1
        let syntax = frames.transferSyntax
        if !frames.isEncapsulated {
            var bytes = try frames.nativeFrame(index)
            let unit = d.bitsAllocated / 8
            if syntax.isBigEndian && unit > 1 && frames.readerSwapUnit != unit {
                // Undo the reader's swap by its VR's unit, then swap by the sample's own width.
                if frames.readerSwapUnit > 1 { swapBytes(&bytes, width: frames.readerSwapUnit) }
                swapBytes(&bytes, width: unit)
            }
            if d.photometric == "YBR_FULL_422" && d.bitsAllocated >= 8 {
                bytes = expand422(bytes, d)
                d.photometric = "YBR_FULL"
            }
            if d.planarConfiguration == 1 && d.isColor {
                bytes = DICOMFile.interleaved(bytes, geometry: d.geometry)
            }
            d.planarConfiguration = 0
            return DecodedFrame(description: d, bytes: bytes)
        }
        return try frames.withEncodedFrame(index) { raw throws(CodecError) in try decode(raw, syntax: syntax, description: d) }
    }

    /// One codestream in `syntax` decoded against the data set's description of it.
    public static func decode(_ data: UnsafeRawBufferPointer, syntax: TransferSyntax,
                              description: PixelDescription) throws(CodecError) -> DecodedFrame {
        var d = description
        d.numberOfFrames = 1
        guard let length = d.frameBytes else { throw CodecError("the frame is too large") }
        let out: DecodedFrame
        switch syntax.uid {
        case RLELossless.transferSyntaxUID:
            guard d.bitsAllocated >= 8 else { throw CodecError("RLE with Bits Allocated \(d.bitsAllocated)") }
            let bytes = try RLELossless.decode(data, geometry: d.geometry)
            d.planarConfiguration = 0
            out = DecodedFrame(description: d, bytes: bytes)
        case TransferSyntax.deflatedImageFrameCompression.uid:
            let inflated: [UInt8]
            do { inflated = try inflate(data, format: .raw, limit: length).output } catch {
                throw CodecError("Deflated Image Frame: \(error)")
            }
            guard inflated.count >= length else {
                throw CodecError("Deflated Image Frame: \(inflated.count) bytes inflated, \(length) expected")
            }
            var bytes = Array(inflated.prefix(length))
            if d.planarConfiguration == 1 && d.isColor && d.bitsAllocated >= 8 { bytes = DICOMFile.interleaved(bytes, geometry: d.geometry) }
            d.planarConfiguration = 0
            out = DecodedFrame(description: d, bytes: bytes)
        case TransferSyntax.encapsulatedUncompressedExplicitVRLittleEndian.uid:
            guard data.count >= length else { throw CodecError("an uncompressed fragment of \(data.count) bytes, \(length) expected") }
            var bytes = Array(data.prefix(length))
            if d.planarConfiguration == 1 && d.isColor && d.bitsAllocated >= 8 { bytes = DICOMFile.interleaved(bytes, geometry: d.geometry) }
            d.planarConfiguration = 0
            out = DecodedFrame(description: d, bytes: bytes)
        case "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70",
             "1.2.840.10008.1.2.4.53", "1.2.840.10008.1.2.4.55":
            out = try decodeJPEG(data, d)
        case "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81":
            out = try decodeJPEGLS(data, d)
        case "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.92", "1.2.840.10008.1.2.4.93",
             "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203":
            out = try decodeJPEG2000(data, d)
        case "1.2.840.10008.1.2.4.110", "1.2.840.10008.1.2.4.111", "1.2.840.10008.1.2.4.112":
            out = try decodeJPEGXL(data, d)
        default:
            throw CodecError("no decoder for \(syntax.name)")
        }
        guard out.bytes.count == (out.description.frameBytes ?? -1) else {
            throw CodecError("the decoded frame has \(out.bytes.count) bytes, \(out.description.frameBytes ?? 0) expected")
        }
        return out
    }

    // MARK: JPEG (ITU-T T.81)

    static func decodeJPEG(_ data: UnsafeRawBufferPointer, _ description: PixelDescription) throws(CodecError) -> DecodedFrame {
        var d = description
        d.planarConfiguration = 0
        // 8-bit Huffman DCT (baseline, extended, progressive): libjpeg-turbo, YCbCr converted to RGB as every DICOM
        // toolkit decodes it. Whether the data is YCbCr: a JFIF or Adobe marker says so; without one, the
        // photometric interpretation does (an "RGB" stream without markers is RGB, as pydicom and DCMTK read it).
        if let header = try? LibJPEG.header(data), header.precision == 8, !header.arithmetic {
            try check(width: header.width, height: header.height, components: header.components, d)
            var bytes = [UInt8](repeating: 0, count: d.pixels * header.components)
            let unmarkedRGB = d.photometric == "RGB"
            let status: Result<LibJPEG.Header, LibJPEGError> = bytes.withUnsafeMutableBytes { out in
                Result { () throws(LibJPEGError) in try LibJPEG.decode(data, color: unmarkedRGB ? .toRGBUnmarkedIsRGB : .toRGB, into: out) }
            }
            if case .failure(let error) = status { throw CodecError("JPEG: \(error)") }
            if header.components == 3 {
                let ycbcr = header.colorSpace == .ycbcr && !(unmarkedRGB && !header.sawJFIF && !header.sawAdobe)
                d.photometric = ycbcr ? "RGB" : (d.photometric == "YBR_FULL_422" ? "YBR_FULL" : d.photometric)
            }
            return DecodedFrame(description: d, bytes: widen(bytes, from: 1, to: d))
        }
        let header = try JPEGDecoder.frameHeader(data)
        try check(width: header.width, height: header.height, components: header.components, d)
        // 12-bit DCT, lossless and the retired processes: the Swift decoder, samples as coded.
        let image = try JPEGDecoder.decode(data, maxPixels: d.pixels * max(1, header.components))
        if header.components == 3 && d.photometric == "YBR_FULL_422" { d.photometric = "YBR_FULL" }
        return DecodedFrame(description: d, bytes: widen(image.samples, from: image.precision > 8 ? 2 : 1, to: d))
    }

    // MARK: JPEG-LS (ITU-T T.87)

    static func decodeJPEGLS(_ data: UnsafeRawBufferPointer, _ description: PixelDescription) throws(CodecError) -> DecodedFrame {
        var d = description
        let image: CharLS.Image
        do { image = try CharLS.decode(data, maxBytes: (d.frameBytes ?? 0) * 2 + 16) } catch { throw CodecError("JPEG-LS: \(error)") }
        try check(width: image.width, height: image.height, components: image.components, d)
        d.planarConfiguration = 0
        var bytes = widen(image.bytes, from: image.bitsPerSample > 8 ? 2 : 1, to: d)
        // Signed data is coded as its Bits Stored-bit two's complement pattern (PS3.5 §8.2.3): extend the sign.
        if d.signed && d.bitsAllocated == 16 && d.bitsStored < 16 { signExtend16(&bytes, bits: d.bitsStored) }
        return DecodedFrame(description: d, bytes: bytes)
    }

    // MARK: JPEG 2000 and HTJ2K (ISO/IEC 15444-1, -15)

    static func decodeJPEG2000(_ data: UnsafeRawBufferPointer, _ description: PixelDescription) throws(CodecError) -> DecodedFrame {
        var d = description
        let image: OpenJPEG.Image
        // Large frames use the library's threads, up to the cores there are (a 512x512 CT slice decodes 1.8 times
        // faster on two).
        let threads = d.pixels >= 256 * 256 ? min(4, processorCount) : 1
        do { image = try OpenJPEG.decode(data, maxPixels: d.pixels * d.samplesPerPixel, threads: threads) } catch {
            throw CodecError("JPEG 2000: \(error)")
        }
        try check(width: image.width, height: image.height, components: image.components.count, d)
        d.planarConfiguration = 0
        // The decoder undoes the codestream's multiple component transform: RCT/ICT data comes out as RGB.
        if d.photometric == "YBR_RCT" || d.photometric == "YBR_ICT" { d.photometric = "RGB" }
        if d.isColor && d.photometric == "YBR_FULL_422" { d.photometric = "YBR_FULL" }
        let n = d.pixels, spp = d.samplesPerPixel, width = d.bytesPerSample
        var bytes = [UInt8](repeating: 0, count: n * spp * width)
        bytes.withUnsafeMutableBytes { out in
            for (c, component) in image.components.enumerated() {
                component.samples.withUnsafeBufferPointer { s in
                    // One typed store per sample, by width: this loop runs over every sample of the frame.
                    switch width {
                    case 1:
                        let o = out.bindMemory(to: UInt8.self)
                        for i in 0..<n { o[i * spp + c] = UInt8(truncatingIfNeeded: s[i]) }
                    case 2:
                        let o = out.bindMemory(to: UInt16.self)
                        for i in 0..<n { o[i * spp + c] = UInt16(truncatingIfNeeded: s[i]).littleEndian }
                    default:
                        let o = out.bindMemory(to: UInt32.self)
                        for i in 0..<n { o[i * spp + c] = UInt32(bitPattern: s[i]).littleEndian }
                    }
                }
            }
        }
        return DecodedFrame(description: d, bytes: bytes)
    }

    // MARK: JPEG XL (ISO/IEC 18181)

    static func decodeJPEGXL(_ data: UnsafeRawBufferPointer, _ description: PixelDescription) throws(CodecError) -> DecodedFrame {
        var d = description
        let image: JPEGXL.Image
        do { image = try JPEGXL.decode(data, maxPixels: d.pixels * d.samplesPerPixel) } catch { throw CodecError("\(error)") }
        try check(width: image.width, height: image.height, components: image.channels, d)
        d.planarConfiguration = 0
        // libjxl gives colour as RGB, whatever the codestream (or the JPEG it recompresses) coded it as.
        if d.isColor { d.photometric = "RGB" }
        return DecodedFrame(description: d, bytes: widen(image.bytes, from: image.bitsPerSample > 8 ? 2 : 1, to: d))
    }

    // MARK: Helpers

    static func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(CodecError) -> R) throws(CodecError) -> R {
        let result: Result<R, CodecError> = bytes.withUnsafeBytes { raw in Result { () throws(CodecError) in try body(raw) } }
        return try result.get()
    }

    static func check(width: Int, height: Int, components: Int, _ d: PixelDescription) throws(CodecError) {
        guard width == d.columns, height == d.rows else {
            throw CodecError("the codestream is \(width)x\(height), the data set says \(d.columns)x\(d.rows)")
        }
        guard components == d.samplesPerPixel else {
            throw CodecError("the codestream has \(components) components, the data set says \(d.samplesPerPixel) samples per pixel")
        }
    }

    /// Samples of `from` bytes each brought to the data set's Bits Allocated.
    static func widen(_ samples: [UInt8], from: Int, to d: PixelDescription) -> [UInt8] {
        let to = d.bytesPerSample
        if from == to { return samples }
        let count = samples.count / from
        var out = [UInt8](repeating: 0, count: count * to)
        for i in 0..<count {
            for k in 0..<min(from, to) { out[i * to + k] = samples[i * from + k] }
        }
        return out
    }

    static func swapBytes(_ bytes: inout [UInt8], width: Int) {
        var i = 0
        while i + width <= bytes.count {
            bytes[i..<i + width].reverse()
            i += width
        }
    }

    static func signExtend16(_ bytes: inout [UInt8], bits: Int) {
        let shift = UInt16(16 - bits)
        bytes.withUnsafeMutableBytes { raw in
            for i in stride(from: 0, to: raw.count - 1, by: 2) {
                let v = UInt16(raw[i]) | UInt16(raw[i + 1]) << 8
                let s = UInt16(bitPattern: Int16(bitPattern: v << shift) >> Int16(shift))
                raw[i] = UInt8(truncatingIfNeeded: s)
                raw[i + 1] = UInt8(truncatingIfNeeded: s >> 8)
            }
        }
    }

    /// Native YBR_FULL_422 (Y1 Y2 Cb Cr for each pair of pixels) to full-resolution YBR_FULL.
    static func expand422(_ bytes: [UInt8], _ d: PixelDescription) -> [UInt8] {
        let b = d.bytesPerSample
        var out = [UInt8](repeating: 0, count: d.pixels * 3 * b)
        let pairs = d.pixels / 2
        for p in 0..<pairs where (4 * p + 3) * b + b <= bytes.count {
            for k in 0..<b {
                let y1 = bytes[(4 * p) * b + k], y2 = bytes[(4 * p + 1) * b + k]
                let cb = bytes[(4 * p + 2) * b + k], cr = bytes[(4 * p + 3) * b + k]
                out[(6 * p) * b + k] = y1; out[(6 * p + 1) * b + k] = cb; out[(6 * p + 2) * b + k] = cr
                out[(6 * p + 3) * b + k] = y2; out[(6 * p + 4) * b + k] = cb; out[(6 * p + 5) * b + k] = cr
            }
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
/// Processors this process may run on.
let processorCount = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
#else
let processorCount = 1
#endif
