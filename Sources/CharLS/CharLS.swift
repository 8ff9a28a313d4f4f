import CCharLS

/// Why CharLS refused a stream or an image: its error message.
public struct CharLSError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// CharLS (Debian's 2.4): JPEG-LS (ITU-T T.87) lossless and near-lossless, both ways.
public enum CharLS {
    public struct Image: Sendable {
        public var width: Int
        public var height: Int
        public var components: Int
        public var bitsPerSample: Int
        public var nearLossless: Int
        /// Interleaved samples, 1 byte each up to 8 bits, else 2 bytes little endian.
        public var bytes: [UInt8]
    }

    public static func decode(_ data: UnsafeRawBufferPointer, maxBytes: Int = 1 << 30) throws(CharLSError) -> Image {
        guard let decoder = charls_jpegls_decoder_create() else { throw CharLSError(description: "CharLS: no decoder") }
        defer { charls_jpegls_decoder_destroy(decoder) }
        guard let source = data.baseAddress, data.count > 0 else { throw CharLSError(description: "CharLS: an empty stream") }
        try check(charls_jpegls_decoder_set_source_buffer(decoder, source, data.count))
        try check(charls_jpegls_decoder_read_header(decoder))
        var info = charls_frame_info()
        try check(charls_jpegls_decoder_get_frame_info(decoder, &info))
        var near: Int32 = 0
        try check(charls_jpegls_decoder_get_near_lossless(decoder, 0, &near))
        var mode = CHARLS_INTERLEAVE_MODE_NONE
        try check(charls_jpegls_decoder_get_interleave_mode(decoder, &mode))
        var size = 0
        try check(charls_jpegls_decoder_get_destination_size(decoder, 0, &size))
        guard size <= maxBytes else { throw CharLSError(description: "CharLS: \(size) bytes exceed the limit of \(maxBytes)") }
        guard size > 0 else { throw CharLSError(description: "CharLS: an empty image") }
        var bytes = [UInt8](repeating: 0, count: size)
        let status = bytes.withUnsafeMutableBytes {
            charls_jpegls_decoder_decode_to_buffer(decoder, $0.baseAddress!, $0.count, 0)
        }
        try check(status)
        let components = Int(info.component_count), width = Int(info.width), height = Int(info.height)
        let bytesPerSample = info.bits_per_sample > 8 ? 2 : 1
        // Without interleaving the library writes plane after plane: bring them to pixel order.
        if mode == CHARLS_INTERLEAVE_MODE_NONE && components > 1 {
            var interleaved = [UInt8](repeating: 0, count: size)
            let n = width * height
            for c in 0..<components {
                for i in 0..<n {
                    for k in 0..<bytesPerSample {
                        interleaved[(i * components + c) * bytesPerSample + k] = bytes[(c * n + i) * bytesPerSample + k]
                    }
                }
            }
            bytes = interleaved
        }
        return Image(width: width, height: height, components: components, bitsPerSample: Int(info.bits_per_sample),
                     nearLossless: Int(near), bytes: bytes)
    }

    /// Interleaved samples (1 byte each up to 8 bits, else 2 bytes little endian) as a JPEG-LS stream; colour is
    /// coded sample-interleaved. `nearLossless` 0 is lossless.
    public static func encode(_ pixels: UnsafeRawBufferPointer, width: Int, height: Int, components: Int, bitsPerSample: Int,
                              nearLossless: Int = 0) throws(CharLSError) -> [UInt8] {
        guard let encoder = charls_jpegls_encoder_create() else { throw CharLSError(description: "CharLS: no encoder") }
        defer { charls_jpegls_encoder_destroy(encoder) }
        var info = charls_frame_info(width: UInt32(clamping: width), height: UInt32(clamping: height),
                                     bits_per_sample: Int32(bitsPerSample), component_count: Int32(components))
        try check(charls_jpegls_encoder_set_frame_info(encoder, &info))
        try check(charls_jpegls_encoder_set_near_lossless(encoder, Int32(nearLossless)))
        if components > 1 { try check(charls_jpegls_encoder_set_interleave_mode(encoder, CHARLS_INTERLEAVE_MODE_SAMPLE)) }
        var size = 0
        try check(charls_jpegls_encoder_get_estimated_destination_size(encoder, &size))
        guard size > 0, let source = pixels.baseAddress else { throw CharLSError(description: "CharLS: an empty image") }
        var out = [UInt8](repeating: 0, count: size)
        let status = out.withUnsafeMutableBytes { dst in
            let s = charls_jpegls_encoder_set_destination_buffer(encoder, dst.baseAddress!, dst.count)
            guard s == CHARLS_JPEGLS_ERRC_SUCCESS else { return s }
            return charls_jpegls_encoder_encode_from_buffer(encoder, source, pixels.count, 0)
        }
        try check(status)
        var written = 0
        try check(charls_jpegls_encoder_get_bytes_written(encoder, &written))
        out.removeSubrange(written...)
        return out
    }

    private static func check(_ status: charls_jpegls_errc) throws(CharLSError) {
        guard status != CHARLS_JPEGLS_ERRC_SUCCESS else { return }
        throw CharLSError(description: "CharLS: " + String(cString: charls_get_error_message(status)))
    }
}
