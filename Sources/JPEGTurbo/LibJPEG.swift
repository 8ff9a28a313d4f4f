import CJPEGGlue

/// Why libjpeg-turbo refused a stream or an image: its own one-line message.
public struct LibJPEGError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// libjpeg-turbo (Debian's, 8-bit DCT only): decoding baseline, extended 8-bit and progressive JPEG, and encoding
/// baseline JPEG for previews. All calls go through the C glue, which keeps libjpeg's longjmp out of Swift frames.
public enum LibJPEG {
    /// J_COLOR_SPACE values of jpeglib.h, as far as DICOM meets them.
    public enum ColorSpace: Int32, Sendable {
        case unknown = 0, grayscale = 1, rgb = 2, ycbcr = 3, cmyk = 4, ycck = 5
    }

    public struct Header: Sendable, Equatable {
        public var width: Int
        public var height: Int
        public var components: Int
        public var precision: Int
        public var progressive: Bool
        public var arithmetic: Bool
        /// How the library reads the coded colour space from the markers (JFIF, Adobe, component IDs).
        public var colorSpace: ColorSpace
        public var sawJFIF: Bool
        public var sawAdobe: Bool
    }

    public static func header(_ data: UnsafeRawBufferPointer) throws(LibJPEGError) -> Header {
        var info = lb_jpeg_info()
        let status = lb_jpeg_read_header(data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count, &info)
        guard status == 0 else { throw LibJPEGError(description: message(&info)) }
        return header(info)
    }

    public enum ColorConversion: Int32, Sendable {
        /// The components as coded.
        case none = 0
        /// YCbCr data (as the library reads JFIF, Adobe or the component IDs) converted to RGB.
        case toRGB = 1
        /// As `toRGB`, but data with neither a JFIF nor an Adobe marker is taken to be RGB already.
        case toRGBUnmarkedIsRGB = 2
    }

    /// Decodes into `out`, which must hold width × height × components bytes.
    @discardableResult
    public static func decode(_ data: UnsafeRawBufferPointer, color: ColorConversion,
                              into out: UnsafeMutableRawBufferPointer) throws(LibJPEGError) -> Header {
        var info = lb_jpeg_info()
        let status = lb_jpeg_decode(data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count, color.rawValue,
                                    out.baseAddress?.assumingMemoryBound(to: UInt8.self), out.count, &info)
        guard status == 0 else { throw LibJPEGError(description: message(&info)) }
        return header(info)
    }

    /// Baseline JPEG of 8-bit grey or RGB pixels (interleaved); colour is coded as YCbCr 4:2:2.
    public static func encode(_ pixels: UnsafeRawBufferPointer, width: Int, height: Int, components: Int,
                              quality: Int) throws(LibJPEGError) -> [UInt8] {
        guard components == 1 || components == 3, width > 0, height > 0, width <= 65_500, height <= 65_500,
              pixels.count >= width * height * components else {
            throw LibJPEGError(description: "cannot encode \(width)x\(height) with \(components) components as JPEG")
        }
        var out: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        var text = [CChar](repeating: 0, count: 200)
        let status = lb_jpeg_encode(pixels.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(width), Int32(height),
                                    Int32(components), Int32(max(1, min(100, quality))), &out, &size, &text, text.count)
        defer { lb_jpeg_free(out) }
        guard status == 0, let out else {
            throw LibJPEGError(description: String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }

    private static func header(_ i: lb_jpeg_info) -> Header {
        Header(width: Int(i.width), height: Int(i.height), components: Int(i.components), precision: Int(i.precision),
               progressive: i.progressive != 0, arithmetic: i.arithmetic != 0,
               colorSpace: ColorSpace(rawValue: i.jpeg_color_space) ?? .unknown, sawJFIF: i.saw_jfif != 0,
               sawAdobe: i.saw_adobe != 0)
    }

    private static func message(_ info: inout lb_jpeg_info) -> String {
        withUnsafeBytes(of: &info.message) { raw in
            let text = String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            return text.isEmpty ? "libjpeg failed" : text
        }
    }
}
