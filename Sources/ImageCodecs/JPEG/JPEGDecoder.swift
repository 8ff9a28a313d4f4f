/// A JPEG decoder (ITU-T T.81) in Swift for what libjpeg-turbo's 8-bit build does not decode: 12-bit DCT
/// (DICOM JPEG Extended, process 2/4), the retired progressive syntaxes (spectral selection, full progression)
/// and JPEG Lossless (process 14, any predictor, 2 to 16 bits, point transform). 8-bit baseline and progressive
/// work too. Huffman coding only: arithmetic coding and hierarchical frames throw.
///
/// Output matches libjpeg (as used by DCMTK): the islow IDCT, libjpeg's range limiting, and its "fancy"
/// (triangle) upsampling for components subsampled 2:1 horizontally (h2v1, h2v2) when the component is more
/// than 2 samples wide; every other subsampling is replicated (nearest), as libjpeg does too. No block smoothing
/// of incomplete progressive images, no colour conversion.
public enum JPEGDecoder {
    /// A decoded JPEG image: samples interleaved component by component per pixel, each component upsampled to full size;
    /// 1 byte per sample when precision <= 8, else 2 bytes little-endian per sample. No colour conversion is done.
    public struct Image: Sendable {
        public var width: Int
        public var height: Int
        public var components: Int
        public var precision: Int
        public var process: Process
        public var componentIDs: [UInt8]
        public var adobeTransform: Int?
        public var hasJFIF: Bool
        public var samples: [UInt8]
    }

    public enum Process: Sendable, Equatable { case baseline, extended, progressive, lossless }

    /// Only parses headers up to the first SOF (for dispatching to libjpeg-turbo when 8-bit DCT): width, height, components, precision, process.
    public static func frameHeader(_ data: UnsafeRawBufferPointer) throws(CodecError) -> (width: Int, height: Int, components: Int, precision: Int, process: Process) {
        let b = try JPEGBytes(data)
        guard b.count >= 2, b.byte(0) == 0xFF, b.byte(1) == 0xD8 else { throw CodecError("JPEG: no SOI marker") }
        var pos = 2
        while let (code, after) = b.nextMarker(from: pos) {
            switch code {
            case 0xD8, 0xD9, 0xDA:
                throw CodecError("JPEG: marker 0x\(jpegHex(code)) before the frame header")
            case 0x01:
                pos = after
            case 0xC0...0xCF where code != 0xC4 && code != 0xC8 && code != 0xCC:
                let s = try b.segment(at: after, marker: code)
                let f = try JPEGFrame.parse(b, marker: code, start: s.start, length: s.length)
                return (f.width, f.height, f.components.count, f.precision, f.process)
            default:
                let s = try b.segment(at: after, marker: code)
                pos = s.start + s.length
            }
        }
        throw CodecError("JPEG: truncated before the frame header")
    }

    public static func decode(_ data: UnsafeRawBufferPointer, maxPixels: Int = 1 << 28) throws(CodecError) -> Image {
        let b = try JPEGBytes(data)
        guard b.count >= 2, b.byte(0) == 0xFF, b.byte(1) == 0xD8 else { throw CodecError("JPEG: no SOI marker") }
        var tables = JPEGTables()
        var state: JPEGDecodeState?
        var pos = 2, scans = 0, sawEOI = false
        markers: while true {
            guard let (code, after) = b.nextMarker(from: pos) else { break }
            switch code {
            case 0xD9:
                sawEOI = true
                break markers
            case 0xD8:
                throw CodecError("JPEG: second SOI marker")
            case 0x01:
                pos = after
            case 0xF7:
                throw CodecError("JPEG-LS (SOF55) not supported")
            case 0xC0...0xCF where code != 0xC4 && code != 0xC8 && code != 0xCC:
                guard state == nil else { throw CodecError("JPEG: second frame header") }
                let s = try b.segment(at: after, marker: code)
                let frame = try JPEGFrame.parse(b, marker: code, start: s.start, length: s.length)
                guard frame.width * frame.height <= maxPixels else {
                    throw CodecError("JPEG: \(frame.width)x\(frame.height) exceeds the limit of \(maxPixels) pixels")
                }
                state = try JPEGDecodeState(frame: frame, maxPixels: maxPixels)
                pos = s.start + s.length
            case 0xDA:
                guard let st = state else { throw CodecError("JPEG: scan before the frame header") }
                let s = try b.segment(at: after, marker: code)
                scans += 1
                // Progressive files have about 10 scans; thousands of empty ones would only burn time.
                guard scans <= 1000 else { throw CodecError("JPEG: more than 1000 scans") }
                let scan = try JPEGScan.parse(b, start: s.start, length: s.length, frame: st.frame, number: scans)
                st.tables = tables
                var reader = JPEGBitReader(base: b.base, end: b.count, pos: s.start + s.length)
                switch st.frame.process {
                case .baseline, .extended: try st.decodeSequentialScan(scan, reader: &reader, number: scans)
                case .progressive: try st.decodeProgressiveScan(scan, reader: &reader, number: scans)
                case .lossless: try st.decodeLosslessScan(scan, reader: &reader, number: scans)
                }
                pos = reader.pos
            default:
                let s = try b.segment(at: after, marker: code)
                switch code {
                case 0xC4: try tables.parseDHT(b, start: s.start, length: s.length)
                case 0xDB: try tables.parseDQT(b, start: s.start, length: s.length)
                case 0xDD: try tables.parseDRI(b, start: s.start, length: s.length)
                case 0xE0...0xEF: tables.parseAPP(b, marker: code, start: s.start, length: s.length)
                default: break   // COM, DNL (the height is known), DAC, JPGn and reserved segments are skipped
                }
                pos = s.start + s.length
            }
        }
        guard let st = state else { throw CodecError("JPEG: truncated before the frame header") }
        guard scans > 0 else { throw CodecError("JPEG: truncated before the first scan") }
        // Without EOI, the data may end between scans: accepted only once every component has been coded.
        guard sawEOI || st.componentDone.allSatisfy({ $0 }) else { throw CodecError("JPEG: truncated before EOI") }
        st.tables.adobeTransform = tables.adobeTransform
        st.tables.hasJFIF = tables.hasJFIF
        return try st.image()
    }
}

/// A trivially typed buffer freed with its owner; the decoders index it through `pointer` after checking bounds.
final class JPEGBuffer<T> {
    let pointer: UnsafeMutablePointer<T>
    let count: Int

    init(count: Int, repeating value: T) {
        self.count = count
        pointer = .allocate(capacity: Swift.max(count, 1))
        pointer.initialize(repeating: value, count: Swift.max(count, 1))
    }

    deinit { pointer.deallocate() }
}

/// What a frame's decoding accumulates: the component planes (one UInt16 per sample, padded to whole MCUs),
/// the coefficients of a progressive frame, and the tables in force.
final class JPEGDecodeState {
    let frame: JPEGFrame
    var tables = JPEGTables()
    let planes: JPEGBuffer<UInt16>
    var planeOffset = [Int]()
    let coefficients: JPEGBuffer<Int16>
    var coefOffset = [Int]()
    /// Latched quantization tables: 64 Int32 per component, at `quantOffset` (-1 before its first scan).
    let quant: JPEGBuffer<Int32>
    var quantOffset: [Int]
    /// Components that appeared in a scan.
    var componentDone: [Bool]
    /// Lossless point transform of each component.
    var pointTransform: [Int]
    let zigzag: JPEGBuffer<Int>
    let scratch = JPEGBuffer<Int16>(count: 64, repeating: 0)
    let idctWorkspace = JPEGBuffer<Int32>(count: 64, repeating: 0)

    init(frame: JPEGFrame, maxPixels: Int) throws(CodecError) {
        self.frame = frame
        let u = frame.unit
        // Padded planes can exceed the image (MCUs up to 32x32 samples): bound them too.
        var total = 0
        for c in frame.components {
            planeOffset.append(total)
            total += c.paddedWide * u * c.paddedHigh * u
        }
        let budget = frame.components.count * (2 * maxPixels + 65536)
        guard total <= budget else {
            throw CodecError("JPEG: \(frame.width)x\(frame.height) frame padded to \(total) samples exceeds the limit")
        }
        let fill: UInt16 = frame.process == .lossless ? 0 : UInt16(1 << (frame.precision - 1))
        planes = JPEGBuffer(count: total, repeating: fill)
        coefOffset = planeOffset
        coefficients = JPEGBuffer(count: frame.process == .progressive ? total : 0, repeating: 0)
        quant = JPEGBuffer(count: 64 * frame.components.count, repeating: 0)
        quantOffset = [Int](repeating: -1, count: frame.components.count)
        componentDone = [Bool](repeating: false, count: frame.components.count)
        pointTransform = [Int](repeating: 0, count: frame.components.count)
        zigzag = JPEGBuffer(count: 80, repeating: 63)
        for (i, n) in JPEGZigzag.natural.enumerated() { zigzag.pointer[i] = n }
    }

    func image() throws(CodecError) -> JPEGDecoder.Image {
        if frame.process == .progressive { transformCoefficients() }
        let samples = try output()
        return JPEGDecoder.Image(width: frame.width, height: frame.height, components: frame.components.count,
                                 precision: frame.precision, process: frame.process,
                                 componentIDs: frame.components.map(\.id), adobeTransform: tables.adobeTransform,
                                 hasJFIF: tables.hasJFIF, samples: samples)
    }
}
