import CJXL

/// Why libjxl refused a codestream.
public struct JPEGXLError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// libjxl (Debian's 0.7): JPEG XL decoding, for the JPEG XL transfer syntaxes (lossless, JPEG recompression,
/// lossy; PS3.5 §8.2.17). Pixels come out as the codestream's colour samples, RGB or grey, 8 or 16 bits.
public enum JPEGXL {
    public struct Image: Sendable {
        public var width: Int
        public var height: Int
        public var channels: Int
        public var bitsPerSample: Int
        /// Interleaved samples, 1 byte each up to 8 bits, else 2 bytes little endian.
        public var bytes: [UInt8]
    }

    public static func decode(_ data: UnsafeRawBufferPointer, maxPixels: Int = 1 << 28) throws(JPEGXLError) -> Image {
        guard let base = data.baseAddress, data.count > 0 else { throw JPEGXLError(description: "JPEG XL: an empty codestream") }
        guard let decoder = JxlDecoderCreate(nil) else { throw JPEGXLError(description: "JPEG XL: no decoder") }
        defer { JxlDecoderDestroy(decoder) }
        let events = Int32(JXL_DEC_BASIC_INFO.rawValue | JXL_DEC_FULL_IMAGE.rawValue)
        guard JxlDecoderSubscribeEvents(decoder, events) == JXL_DEC_SUCCESS,
              JxlDecoderSetInput(decoder, base.assumingMemoryBound(to: UInt8.self), data.count) == JXL_DEC_SUCCESS else {
            throw JPEGXLError(description: "JPEG XL: cannot set up the decoder")
        }
        JxlDecoderCloseInput(decoder)
        var info = JxlBasicInfo()
        var format = JxlPixelFormat()
        var output: [UInt8] = []
        var image: Image?
        while true {
            let status = JxlDecoderProcessInput(decoder)
            if status == JXL_DEC_ERROR { throw JPEGXLError(description: "JPEG XL: the codestream cannot be decoded") }
            if status == JXL_DEC_NEED_MORE_INPUT { throw JPEGXLError(description: "JPEG XL: the codestream is truncated") }
            if status == JXL_DEC_SUCCESS { break }
            if status == JXL_DEC_BASIC_INFO {
                guard JxlDecoderGetBasicInfo(decoder, &info) == JXL_DEC_SUCCESS else {
                    throw JPEGXLError(description: "JPEG XL: no basic information")
                }
                let channels = Int(info.num_color_channels)
                let (pixels, overflow) = Int(info.xsize).multipliedReportingOverflow(by: Int(info.ysize) * channels)
                guard !overflow, pixels <= maxPixels, channels == 1 || channels == 3 else {
                    throw JPEGXLError(description: "JPEG XL: \(info.xsize)x\(info.ysize) with \(channels) channels is refused")
                }
                format = JxlPixelFormat(num_channels: UInt32(channels), data_type: info.bits_per_sample > 8 ? JXL_TYPE_UINT16 : JXL_TYPE_UINT8,
                                        endianness: JXL_LITTLE_ENDIAN, align: 0)
            } else if status == JXL_DEC_NEED_IMAGE_OUT_BUFFER {
                var size = 0
                guard JxlDecoderImageOutBufferSize(decoder, &format, &size) == JXL_DEC_SUCCESS, size <= 2 * maxPixels else {
                    throw JPEGXLError(description: "JPEG XL: no output size")
                }
                output = [UInt8](repeating: 0, count: size)
                let set = output.withUnsafeMutableBytes { JxlDecoderSetImageOutBuffer(decoder, &format, $0.baseAddress, $0.count) }
                guard set == JXL_DEC_SUCCESS else { throw JPEGXLError(description: "JPEG XL: the output buffer was refused") }
            } else if status == JXL_DEC_FULL_IMAGE {
                // The first frame is the image; DICOM holds one JPEG XL frame per fragment.
                image = Image(width: Int(info.xsize), height: Int(info.ysize), channels: Int(format.num_channels),
                              bitsPerSample: Int(info.bits_per_sample), bytes: output)
                break
            }
        }
        guard let image else { throw JPEGXLError(description: "JPEG XL: the codestream holds no image") }
        return image
    }
}
