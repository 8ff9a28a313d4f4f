import ImageCodecs
import JPEGTurbo
import PNG

extension RenderedImage {
    /// PNG of the image (8-bit grey or RGB, or 16-bit grey).
    public func png(compressionLevel: Int = 1) throws(CodecError) -> [UInt8] {
        do {
            return try pixels.withUnsafeBytes { (raw) throws(PNGError) in
                try PNG.encode(raw, width: width, height: height, channels: channels, bitDepth: bitDepth, compressionLevel: compressionLevel)
            }
        } catch { throw CodecError("\(error)") }
    }

    /// Baseline JPEG of an 8-bit image.
    public func jpeg(quality: Int = 90) throws(CodecError) -> [UInt8] {
        guard bitDepth == 8 else { throw CodecError("JPEG output is 8-bit; render display values, not modality values") }
        do {
            return try pixels.withUnsafeBytes { (raw) throws(LibJPEGError) in
                try LibJPEG.encode(raw, width: width, height: height, components: channels, quality: quality)
            }
        } catch { throw CodecError("\(error)") }
    }
}
