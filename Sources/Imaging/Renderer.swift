import DICOMCore
import ImageCodecs

/// A rendered frame: grey or RGB samples, 8 bits (display values) or 16 bits (modality values, host endian).
public struct RenderedImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var bitDepth: Int
    public var pixels: [UInt8]
}

public struct RenderOptions: Sendable {
    /// The frame, from 0.
    public var frame = 0
    /// Overrides the file's window; its function overrides the file's VOI LUT Function.
    public var window: Window?
    public var function: VOIFunction?
    /// Fit inside this box, keeping the aspect ratio.
    public var size: (width: Int, height: Int)?
    /// The region of the frame shown, before fitting (PS3.18 §8.3.5.1.3 viewport sx,sy,sw,sh): a negative width
    /// or height flips the region horizontally or vertically; the region is clipped to the frame.
    public var region: (x: Int, y: Int, width: Int, height: Int)?
    /// Burn the 60xx overlays in (PS3.3 C.9.2) as white.
    public var overlays = false

    public init() {}
}

/// The grayscale and colour pipelines of PS3.4 Annex N: stored values, Modality LUT, VOI LUT, Presentation LUT
/// (MONOCHROME1 and INVERSE invert) to 8-bit display values; colour models to RGB.
public enum Renderer {
    public static func render(_ file: DICOMFile, options: RenderOptions = RenderOptions()) throws(CodecError) -> RenderedImage {
        let frames = try file.pixelFrames()
        guard (0..<frames.count).contains(options.frame) else {
            throw CodecError("frame \(options.frame + 1) does not exist; the image has \(frames.count)")
        }
        let frame = try FrameDecoder.decode(frames, frame: options.frame)
        let d = frame.description
        var image: RenderedImage
        if d.isColor || d.photometric == "PALETTE COLOR" {
            image = try color(frame, dataSet: file.dataSet)
        } else {
            image = try grey(frame, dataSet: file.dataSet, options: options)
        }
        if options.overlays { burnOverlays(&image, dataSet: file.dataSet, frame: options.frame) }
        if let region = options.region { image = try cropped(image, to: region) }
        if let size = options.size { image = resized(image, toFit: size) }
        return image
    }

    /// Modality values (after the Modality LUT) as 16-bit grey; when they can be negative, offset by 32,768.
    public static func modalityImage(_ file: DICOMFile, frame index: Int = 0) throws(CodecError) -> (image: RenderedImage, offset: Int) {
        let frame = try file.decodedFrame(index)
        let d = frame.description
        guard !d.isColor, d.photometric != "PALETTE COLOR" else { throw CodecError("modality values are for grey images, not \(d.photometric)") }
        let modality = try ModalityTransform(file.dataSet, frame: index, description: d)
        let values = modality.apply(frame)
        let negative = values.contains { $0 < 0 }
        let offset = negative ? 32_768 : 0
        var pixels = [UInt8](repeating: 0, count: values.count * 2)
        for (i, v) in values.enumerated() {
            let u = UInt16(clamping: Int(v.rounded()) + offset)
            pixels[2 * i] = UInt8(truncatingIfNeeded: u)
            pixels[2 * i + 1] = UInt8(truncatingIfNeeded: u >> 8)
        }
        return (RenderedImage(width: d.columns, height: d.rows, channels: 1, bitDepth: 16, pixels: pixels), offset)
    }

    // MARK: Grey

    static func grey(_ frame: DecodedFrame, dataSet: DataSet, options: RenderOptions) throws(CodecError) -> RenderedImage {
        let d = frame.description
        let modality = try ModalityTransform(dataSet, frame: options.frame, description: d)
        let voi = try VOITransform(dataSet, frame: options.frame, signed: d.signed, options: options)
        let invert = d.photometric == "MONOCHROME1" || presentationShape(dataSet) == "INVERSE"
        var out = [UInt8](repeating: 0, count: d.pixels)
        if d.sampleKind == .integer && d.bitsStored <= 16 && (!voi.needsRange || modality.lut == nil) {
            // Every stored value the frame holds through the whole chain once: one lookup per pixel. Two passes over
            // the samples as stored (their range, then the lookups), with no array of values between them.
            let (low, high) = Self.storedRange(frame)
            var voi = voi
            if voi.needsRange {
                // Rescale is monotonic: the frame's modality values span those of its smallest and largest sample.
                voi.setRange([modality.apply(stored: low), modality.apply(stored: high)])
            }
            var table = [UInt8](repeating: 0, count: high - low + 1)
            for k in 0..<table.count {
                let y = voi.apply(modality.apply(stored: low + k))
                table[k] = UInt8(invert ? 255 - y : y)
            }
            table.withUnsafeBufferPointer { t in
                out.withUnsafeMutableBufferPointer { o in
                    Self.forEachStored(frame) { i, v in o[i] = t[v &- low] }
                }
            }
        } else {
            let values = modality.apply(frame)
            var v = voi
            if v.needsRange { v.setRange(values) }
            for i in 0..<d.pixels {
                let y = v.apply(values[i])
                out[i] = UInt8(invert ? 255 - y : y)
            }
        }
        return RenderedImage(width: d.columns, height: d.rows, channels: 1, bitDepth: 8, pixels: out)
    }

    /// The smallest and largest stored value of a grey frame.
    static func storedRange(_ frame: DecodedFrame) -> (Int, Int) {
        var low = Int.max, high = Int.min
        forEachStored(frame) { _, v in
            if v < low { low = v }
            if v > high { high = v }
        }
        return low <= high ? (low, high) : (0, 0)
    }

    /// Calls `body` with each sample's index and stored value (masked to Bits Stored, sign-extended when signed),
    /// read straight from the frame's bytes.
    @inline(__always)
    static func forEachStored(_ frame: DecodedFrame, _ body: (Int, Int) -> Void) {
        let d = frame.description
        let n = d.pixels * d.samplesPerPixel
        let shift = 32 - d.bitsStored
        let mask = d.bitsStored >= 32 ? UInt32.max : (1 << UInt32(d.bitsStored)) - 1
        frame.bytes.withUnsafeBytes { raw in
            switch d.bitsAllocated {
            case 8:
                let p = raw.bindMemory(to: UInt8.self)
                for i in 0..<n {
                    let v = UInt32(p[i]) & mask
                    body(i, d.signed ? Int(Int32(bitPattern: v << UInt32(shift)) >> Int32(shift)) : Int(v))
                }
            case 16:
                for i in 0..<n {
                    let v = UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) & mask
                    body(i, d.signed ? Int(Int32(bitPattern: v << UInt32(shift)) >> Int32(shift)) : Int(v))
                }
            default:
                for (i, v) in frame.storedValues().enumerated() { body(i, Int(v)) }
            }
        }
    }

    static func presentationShape(_ dataSet: DataSet) -> String? {
        dataSet.string(Tag(0x2050_0020))?.trimmingCharacters(in: .init(charactersIn: " "))
    }

    // MARK: Colour

    static func color(_ frame: DecodedFrame, dataSet: DataSet) throws(CodecError) -> RenderedImage {
        let d = frame.description
        let n = d.pixels
        var out = [UInt8](repeating: 0, count: n * 3)
        let stored = frame.storedValues()
        switch d.photometric {
        case "PALETTE COLOR":
            let luts = try palette(dataSet, signed: d.signed)
            for i in 0..<n {
                let index = Int(stored[i])
                for c in 0..<3 { out[3 * i + c] = scale(luts[c].lookup(index), bits: luts[c].bits) }
            }
        case "RGB", "YBR_FULL", "YBR_PARTIAL_422", "YBR_PARTIAL_420":
            guard d.samplesPerPixel == 3 else { throw CodecError("\(d.photometric) with \(d.samplesPerPixel) samples per pixel") }
            let maxValue = (1 << d.bitsStored) - 1
            for i in 0..<n {
                for c in 0..<3 { out[3 * i + c] = d.bitsStored == 8 ? UInt8(clamping: stored[3 * i + c]) : scale(Int(stored[3 * i + c]), max: maxValue) }
            }
            if d.photometric == "YBR_FULL" {
                for i in 0..<n { ybrFullToRGB(&out, at: 3 * i) }
            } else if d.photometric.hasPrefix("YBR_PARTIAL") {
                for i in 0..<n { ybrPartialToRGB(&out, at: 3 * i) }
            }
        default:
            throw CodecError("cannot render photometric interpretation \(d.photometric)")
        }
        return RenderedImage(width: d.columns, height: d.rows, channels: 3, bitDepth: 8, pixels: out)
    }

    static func palette(_ ds: DataSet, signed: Bool) throws(CodecError) -> [LookupTable] {
        var luts: [LookupTable] = []
        for c in 0..<3 {
            let descriptor = ds[Tag(0x0028_1101 + UInt32(c))]
            if let segmented = ds[Tag(0x0028_1221 + UInt32(c))] {
                luts.append(try LookupTable.segmented(descriptor: descriptor, data: segmented, signedFirst: signed))
            } else {
                luts.append(try LookupTable(descriptor: descriptor, data: ds[Tag(0x0028_1201 + UInt32(c))], signedFirst: signed))
            }
        }
        return luts
    }

    @inline(__always) static func scale(_ v: Int, bits: Int) -> UInt8 {
        bits <= 8 ? UInt8(clamping: v) : scale(v, max: (1 << bits) - 1)
    }

    @inline(__always) static func scale(_ v: Int, max: Int) -> UInt8 {
        UInt8(clamping: (Swift.max(0, Swift.min(v, max)) * 255 + max / 2) / max)
    }

    /// PS3.3 C.7.6.3.1.2: full-range YCbCr (ITU-R BT.601 without headroom) to RGB.
    @inline(__always) static func ybrFullToRGB(_ p: inout [UInt8], at i: Int) {
        let y = Double(p[i]), cb = Double(p[i + 1]) - 128, cr = Double(p[i + 2]) - 128
        p[i] = clamp8(y + 1.402 * cr)
        p[i + 1] = clamp8(y - 0.344136 * cb - 0.714136 * cr)
        p[i + 2] = clamp8(y + 1.772 * cb)
    }

    /// Partial-range (16-235, 16-240) YCbCr to RGB.
    @inline(__always) static func ybrPartialToRGB(_ p: inout [UInt8], at i: Int) {
        let y = 1.164383 * (Double(p[i]) - 16), cb = Double(p[i + 1]) - 128, cr = Double(p[i + 2]) - 128
        p[i] = clamp8(y + 1.596027 * cr)
        p[i + 1] = clamp8(y - 0.391762 * cb - 0.812968 * cr)
        p[i + 2] = clamp8(y + 2.017232 * cb)
    }

    @inline(__always) static func clamp8(_ v: Double) -> UInt8 { UInt8(Swift.max(0, Swift.min(255, v.rounded()))) }
}

extension String {
    func trimmingCharacters(in set: CharacterSet) -> String {
        var s = Substring(self)
        while let last = s.last, set.contains(last) || last == "\0" { s.removeLast() }
        while let first = s.first, set.contains(first) { s.removeFirst() }
        return String(s)
    }

    struct CharacterSet {
        let characters: Set<Character>
        init(charactersIn text: String) { characters = Set(text) }
        func contains(_ c: Character) -> Bool { characters.contains(c) }
    }
}
