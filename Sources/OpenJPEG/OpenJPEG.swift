import COpenJPEG

/// Why OpenJPEG refused a codestream or an image: the library's last error message.
public struct OpenJPEGError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// OpenJPEG (Debian's 2.5): JPEG 2000 Part 1 and HTJ2K (Part 15) decoding, JPEG 2000 encoding. Streams run over
/// memory through callbacks; the library's messages are collected, never printed.
public enum OpenJPEG {
    public struct Component: Sendable {
        public var precision: Int
        public var signed: Bool
        /// Row-major samples of the full image (subsampled components are brought to full size by replication).
        public var samples: [Int32]
    }

    public struct Image: Sendable {
        public var width: Int
        public var height: Int
        public var components: [Component]
    }

    /// Decodes a J2K codestream (or a JP2 file) to its components. Images over `maxPixels` are refused before
    /// any sample is allocated.
    public static func decode(_ data: UnsafeRawBufferPointer, maxPixels: Int = 1 << 28,
                              threads: Int = 1) throws(OpenJPEGError) -> Image {
        let threads = opj_has_thread_support() != 0 ? threads : 1
        let isJP2 = data.count >= 12 && data[4] == 0x6A && data[5] == 0x50 && data[6] == 0x20 && data[7] == 0x20
        try checkSize(data, maxPixels: maxPixels)
        guard let codec = opj_create_decompress(isJP2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K) else {
            throw OpenJPEGError(description: "OpenJPEG: no decoder")
        }
        defer { opj_destroy_codec(codec) }
        let messages = Messages()
        let context = Unmanaged.passUnretained(messages).toOpaque()
        opj_set_error_handler(codec, { text, user in Messages.record(text, user) }, context)
        var parameters = opj_dparameters_t()
        opj_set_default_decoder_parameters(&parameters)
        guard opj_setup_decoder(codec, &parameters) != 0 else { throw messages.error("cannot set up the decoder") }
        // Code blocks decode in parallel on the machine's cores (the library's own thread pool), for frames large
        // enough to pay for it.
        if threads > 1 { _ = opj_codec_set_threads(codec, Int32(threads)) }
        let source = Source(data)
        guard let stream = source.stream() else { throw OpenJPEGError(description: "OpenJPEG: no stream") }
        defer { opj_stream_destroy(stream) }
        var imagePointer: UnsafeMutablePointer<opj_image_t>?
        guard opj_read_header(stream, codec, &imagePointer) != 0, let image = imagePointer else {
            opj_image_destroy(imagePointer)
            throw messages.error("cannot read the codestream's header")
        }
        defer { opj_image_destroy(image) }
        let width = Int(image.pointee.x1) - Int(image.pointee.x0)
        let height = Int(image.pointee.y1) - Int(image.pointee.y0)
        let count = Int(image.pointee.numcomps)
        guard width > 0, height > 0, count > 0, count <= 4 else {
            throw OpenJPEGError(description: "OpenJPEG: an image of \(width)x\(height) with \(count) components")
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height * count)
        guard !overflow, pixels <= maxPixels else {
            throw OpenJPEGError(description: "OpenJPEG: \(width)x\(height)x\(count) samples exceed the limit of \(maxPixels)")
        }
        guard opj_decode(codec, stream, image) != 0, opj_end_decompress(codec, stream) != 0 else {
            throw messages.error("cannot decode the codestream")
        }
        var components: [Component] = []
        for c in 0..<count {
            let comp = image.pointee.comps[c]
            let w = Int(comp.w), h = Int(comp.h), dx = max(1, Int(comp.dx)), dy = max(1, Int(comp.dy))
            guard let data = comp.data, w > 0, h > 0, w * dx >= width, h * dy >= height else {
                throw OpenJPEGError(description: "OpenJPEG: component \(c + 1) was not decoded")
            }
            var samples: [Int32]
            if w == width && h == height {
                samples = Array(UnsafeBufferPointer(start: data, count: width * height))
            } else {
                samples = [Int32](repeating: 0, count: width * height)
                for y in 0..<height {
                    for x in 0..<width { samples[y * width + x] = data[min(y / dy, h - 1) * w + min(x / dx, w - 1)] }
                }
            }
            components.append(Component(precision: Int(comp.prec), signed: comp.sgnd != 0, samples: samples))
        }
        return Image(width: width, height: height, components: components)
    }

    /// The image and tile sizes of the SIZ marker segment (ISO/IEC 15444-1 A.5.1), checked before the library
    /// sees them: it allocates per tile while reading the header, so a forged SIZ with millions of one-pixel
    /// tiles would take gigabytes before any limit of ours applied.
    static func checkSize(_ data: UnsafeRawBufferPointer, maxPixels: Int) throws(OpenJPEGError) {
        // The codestream: at the start, or (JP2) wherever its SOC and SIZ markers first appear.
        var start = -1
        var i = 0
        while i + 4 <= data.count {
            if data[i] == 0xFF && data[i + 1] == 0x4F && data[i + 2] == 0xFF && data[i + 3] == 0x51 { start = i; break }
            i += 1
        }
        guard start >= 0, start + 4 + 38 <= data.count else { throw OpenJPEGError(description: "OpenJPEG: no SIZ marker segment") }
        func u32(_ at: Int) -> Int {
            let p = start + 4 + at
            return Int(data[p]) << 24 | Int(data[p + 1]) << 16 | Int(data[p + 2]) << 8 | Int(data[p + 3])
        }
        let xsiz = u32(4), ysiz = u32(8), xo = u32(12), yo = u32(16), xt = u32(20), yt = u32(24), xto = u32(28), yto = u32(32)
        let components = Int(data[start + 4 + 36]) << 8 | Int(data[start + 4 + 37])
        let width = xsiz - xo, height = ysiz - yo
        guard width > 0, height > 0, xt > 0, yt > 0, xto <= xo, yto <= yo, (1...4).contains(components) else {
            throw OpenJPEGError(description: "OpenJPEG: an invalid SIZ (\(width)x\(height), tiles \(xt)x\(yt), \(components) components)")
        }
        let (pixels, o) = width.multipliedReportingOverflow(by: height * components)
        guard !o, pixels <= maxPixels else {
            throw OpenJPEGError(description: "OpenJPEG: \(width)x\(height)x\(components) samples exceed the limit of \(maxPixels)")
        }
        let tiles = ((xsiz - xto + xt - 1) / xt) * ((ysiz - yto + yt - 1) / yt)
        guard tiles <= 16_384 else { throw OpenJPEGError(description: "OpenJPEG: \(tiles) tiles, more than 16,384") }
    }

    public struct EncodeOptions: Sendable {
        /// nil: lossless (reversible 5/3 wavelet); otherwise a compression ratio with the irreversible 9/7 wavelet.
        public var ratio: Float?
        /// The multiple component transform (RCT when lossless, ICT when lossy) for three components.
        public var colorTransform: Bool
        public var resolutions: Int
        public var progression: Progression

        public enum Progression: Sendable { case lrcp, rpcl }

        public init(ratio: Float? = nil, colorTransform: Bool = true, resolutions: Int = 6, progression: Progression = .lrcp) {
            self.ratio = ratio
            self.colorTransform = colorTransform
            self.resolutions = resolutions
            self.progression = progression
        }
    }

    /// Encodes interleaved samples (one `Int32` per sample, pixel by pixel) as a raw J2K codestream.
    public static func encode(_ samples: [Int32], width: Int, height: Int, components: Int, precision: Int, signed: Bool,
                              options: EncodeOptions = EncodeOptions()) throws(OpenJPEGError) -> [UInt8] {
        guard width > 0, height > 0, components == 1 || components == 3, (1...16).contains(precision),
              samples.count >= width * height * components else {
            throw OpenJPEGError(description: "OpenJPEG: cannot encode \(width)x\(height)x\(components) at \(precision) bits")
        }
        var params = (0..<components).map { _ in
            opj_image_cmptparm_t(dx: 1, dy: 1, w: UInt32(width), h: UInt32(height), x0: 0, y0: 0, prec: UInt32(precision),
                                 bpp: UInt32(precision), sgnd: signed ? 1 : 0)
        }
        guard let image = opj_image_create(UInt32(components), &params, components == 3 ? OPJ_CLRSPC_SRGB : OPJ_CLRSPC_GRAY) else {
            throw OpenJPEGError(description: "OpenJPEG: cannot allocate the image")
        }
        defer { opj_image_destroy(image) }
        image.pointee.x1 = UInt32(width)
        image.pointee.y1 = UInt32(height)
        let n = width * height
        samples.withUnsafeBufferPointer { s in
            for c in 0..<components {
                let dst = image.pointee.comps[c].data!
                for i in 0..<n { dst[i] = s[i * components + c] }
            }
        }
        var parameters = opj_cparameters_t()
        opj_set_default_encoder_parameters(&parameters)
        parameters.tcp_numlayers = 1
        parameters.cp_disto_alloc = 1
        if let ratio = options.ratio {
            parameters.irreversible = 1
            parameters.tcp_rates.0 = ratio
        } else {
            parameters.tcp_rates.0 = 0  // lossless
        }
        parameters.tcp_mct = components == 3 && options.colorTransform ? 1 : 0
        // Fewer resolutions for small images: each level halves the size, and a level needs at least one sample.
        var levels = max(1, options.resolutions)
        while levels > 1 && (width >> (levels - 1) < 1 || height >> (levels - 1) < 1) { levels -= 1 }
        parameters.numresolution = Int32(levels)
        parameters.prog_order = options.progression == .rpcl ? OPJ_RPCL : OPJ_LRCP
        guard let codec = opj_create_compress(OPJ_CODEC_J2K) else { throw OpenJPEGError(description: "OpenJPEG: no encoder") }
        defer { opj_destroy_codec(codec) }
        let messages = Messages()
        opj_set_error_handler(codec, { text, user in Messages.record(text, user) }, Unmanaged.passUnretained(messages).toOpaque())
        guard opj_setup_encoder(codec, &parameters, image) != 0 else { throw messages.error("cannot set up the encoder") }
        let sink = Sink()
        guard let stream = sink.stream() else { throw OpenJPEGError(description: "OpenJPEG: no stream") }
        defer { opj_stream_destroy(stream) }
        guard opj_start_compress(codec, image, stream) != 0, opj_encode(codec, stream) != 0,
              opj_end_compress(codec, stream) != 0 else {
            throw messages.error("cannot encode the image")
        }
        return sink.bytes
    }
}

/// The library's error messages for one call.
private final class Messages {
    var last = ""

    static func record(_ text: UnsafePointer<CChar>?, _ user: UnsafeMutableRawPointer?) {
        guard let text, let user else { return }
        let messages = Unmanaged<Messages>.fromOpaque(user).takeUnretainedValue()
        var line = String(cString: text)
        while line.last == "\n" { line.removeLast() }
        messages.last = line
    }

    func error(_ what: String) -> OpenJPEGError {
        OpenJPEGError(description: "OpenJPEG: \(what)" + (last.isEmpty ? "" : " (\(last))"))
    }
}

/// A memory input stream: read, skip and seek over the caller's buffer.
private final class Source {
    let base: UnsafeRawPointer?
    let count: Int
    var position = 0

    init(_ data: UnsafeRawBufferPointer) {
        base = data.baseAddress
        count = data.count
    }

    func stream() -> UnsafeMutablePointer<opj_stream_t?>? {
        guard let stream = opj_stream_create(1 << 16, 1) else { return nil }
        let me = Unmanaged.passRetained(self).toOpaque()
        opj_stream_set_user_data(stream, me) { user in
            if let user { Unmanaged<Source>.fromOpaque(user).release() }
        }
        opj_stream_set_user_data_length(stream, UInt64(count))
        opj_stream_set_read_function(stream) { buffer, size, user in
            let s = Unmanaged<Source>.fromOpaque(user!).takeUnretainedValue()
            let n = min(size, s.count - s.position)
            guard n > 0, let buffer, let base = s.base else { return -1 }  // (OPJ_SIZE_T)-1: the end
            buffer.copyMemory(from: base + s.position, byteCount: n)
            s.position += n
            return n
        }
        opj_stream_set_skip_function(stream) { offset, user in
            let s = Unmanaged<Source>.fromOpaque(user!).takeUnretainedValue()
            let target = max(0, min(s.count, s.position + Int(offset)))
            let moved = target - s.position
            s.position = target
            return Int64(moved)
        }
        opj_stream_set_seek_function(stream) { offset, user in
            let s = Unmanaged<Source>.fromOpaque(user!).takeUnretainedValue()
            guard offset >= 0, offset <= Int64(s.count) else { return 0 }
            s.position = Int(offset)
            return 1
        }
        return stream
    }
}

/// A memory output stream that grows as the encoder writes.
private final class Sink {
    var bytes: [UInt8] = []
    var position = 0

    func stream() -> UnsafeMutablePointer<opj_stream_t?>? {
        guard let stream = opj_stream_create(1 << 16, 0) else { return nil }
        opj_stream_set_user_data(stream, Unmanaged.passUnretained(self).toOpaque(), nil)
        opj_stream_set_write_function(stream) { buffer, size, user in
            let s = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
            guard let buffer else { return -1 }
            let chunk = UnsafeRawBufferPointer(start: buffer, count: size)
            let end = s.position + size
            if end > s.bytes.count { s.bytes.append(contentsOf: repeatElement(0, count: end - s.bytes.count)) }
            s.bytes.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: s.position).copyMemory(from: chunk.baseAddress!, byteCount: size) }
            s.position = end
            return size
        }
        opj_stream_set_skip_function(stream) { offset, user in
            let s = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
            let target = max(0, s.position + Int(offset))
            if target > s.bytes.count { s.bytes.append(contentsOf: repeatElement(0, count: target - s.bytes.count)) }
            s.position = target
            return offset
        }
        opj_stream_set_seek_function(stream) { offset, user in
            let s = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
            guard offset >= 0 else { return 0 }
            if Int(offset) > s.bytes.count { s.bytes.append(contentsOf: repeatElement(0, count: Int(offset) - s.bytes.count)) }
            s.position = Int(offset)
            return 1
        }
        return stream
    }
}
