// TEMPORARY: replaced by JPEG/ when the Swift JPEG decoder lands.
public enum JPEGDecoder {
    public struct Image: Sendable { public var width: Int; public var height: Int; public var components: Int; public var precision: Int; public var process: Process; public var componentIDs: [UInt8]; public var adobeTransform: Int?; public var hasJFIF: Bool; public var samples: [UInt8] }
    public enum Process: Sendable, Equatable { case baseline, extended, progressive, lossless }
    public static func frameHeader(_ data: UnsafeRawBufferPointer) throws(CodecError) -> (width: Int, height: Int, components: Int, precision: Int, process: Process) { throw CodecError("stub") }
    public static func decode(_ data: UnsafeRawBufferPointer, maxPixels: Int = 1 << 28) throws(CodecError) -> Image { throw CodecError("stub") }
}
