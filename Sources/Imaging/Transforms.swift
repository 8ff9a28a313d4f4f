import DICOMCore
import ImageCodecs

/// Where an enhanced multi-frame image keeps a frame's attributes: the Per-Frame Functional Groups item for the
/// frame, then the Shared Functional Groups (PS3.3 C.7.6.16); otherwise the data set's top level.
func frameAttributes(_ ds: DataSet, frame: Int, macro: Tag) -> DataSet? {
    if let perFrame = ds[Tag(0x5200_9230)]?.sequence?.items, frame < perFrame.count,
       let item = perFrame[frame].dataSet[macro]?.sequence?.items.first {
        return item.dataSet
    }
    if let shared = ds[Tag(0x5200_9229)]?.sequence?.items.first, let item = shared.dataSet[macro]?.sequence?.items.first {
        return item.dataSet
    }
    return nil
}

/// The Modality LUT stage (PS3.3 C.11.1): a Modality LUT Sequence, or Rescale Slope and Intercept (1 and 0 when
/// absent), from the frame's Pixel Value Transformation macro in enhanced images.
struct ModalityTransform {
    var slope = 1.0
    var intercept = 0.0
    var lut: LookupTable?

    init(_ ds: DataSet, frame: Int, description d: PixelDescription) throws(CodecError) {
        let source = frameAttributes(ds, frame: frame, macro: Tag(0x0028_9145)) ?? ds
        if let item = ds[Tag(0x0028_3000)]?.sequence?.items.first {
            lut = try LookupTable(descriptor: item.dataSet[Tag(0x0028_3002)], data: item.dataSet[Tag(0x0028_3006)], signedFirst: d.signed)
        } else {
            slope = source.decimals(Tag(0x0028_1053))?.first ?? 1
            intercept = source.decimals(Tag(0x0028_1052))?.first ?? 0
            if !slope.isFinite || slope == 0 { slope = 1 }
            if !intercept.isFinite { intercept = 0 }
        }
    }

    @inline(__always) func apply(stored: Int) -> Double {
        if let lut { return Double(lut.lookup(stored)) }
        return Double(stored) * slope + intercept
    }

    func apply(_ frame: DecodedFrame) -> [Double] {
        let d = frame.description
        switch d.sampleKind {
        case .float32:
            return frame.bytes.withUnsafeBytes { b in (0..<d.pixels).map { Double(b.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self)) * slope + intercept } }
        case .float64:
            return frame.bytes.withUnsafeBytes { b in (0..<d.pixels).map { b.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self) * slope + intercept } }
        case .integer:
            return frame.storedValues().map { apply(stored: Int($0)) }
        }
    }
}

/// The VOI LUT stage (PS3.3 C.11.2): the requested window, else the file's VOI LUT Sequence, else its first
/// window (Window Center and Width with VOI LUT Function), else the frame's range of modality values.
struct VOITransform {
    var window: Window?
    var lut: LookupTable?
    /// No window and no LUT: the window spans the frame's values, known only once they are.
    var needsRange: Bool { window == nil && lut == nil }

    init(_ ds: DataSet, frame: Int, signed: Bool, options: RenderOptions) throws(CodecError) {
        if let requested = options.window {
            window = requested
            if let f = options.function { window?.function = f }
            return
        }
        let source = frameAttributes(ds, frame: frame, macro: Tag(0x0028_9132)) ?? ds
        if let item = ds[Tag(0x0028_3010)]?.sequence?.items.first {
            lut = try LookupTable(descriptor: item.dataSet[Tag(0x0028_3002)], data: item.dataSet[Tag(0x0028_3006)], signedFirst: signed)
        } else if let c = source.decimals(Tag(0x0028_1050))?.first, let w = source.decimals(Tag(0x0028_1051))?.first,
                  c.isFinite, w.isFinite, w > 0 {
            var text = source.string(Tag(0x0028_1056)) ?? ""
            while text.last == " " { text.removeLast() }
            window = Window(center: c, width: w, function: options.function ?? VOIFunction(rawValue: text) ?? .linear)
        }
    }

    /// The window that spans `values`, LINEAR_EXACT from the smallest to the largest.
    mutating func setRange(_ values: [Double]) {
        let low = values.min() ?? 0, high = values.max() ?? 0
        window = Window(center: (low + high) / 2, width: max(high - low, 1), function: .linearExact)
    }

    /// A display value in 0...255, rounded.
    @inline(__always) func apply(_ x: Double) -> Int {
        if let lut {
            // A VOI LUT's output spans 0 to 2^bits - 1 (C.11.2.1.1).
            let maxOut = Double((1 << lut.bits) - 1)
            let y = Double(lut.lookup(Int(x.rounded(.down)))) / maxOut * 255
            return Int(max(0, min(255, y.rounded())))
        }
        guard let window else { return 0 }
        return Int(max(0, min(255, window.apply(x).rounded())))
    }
}
