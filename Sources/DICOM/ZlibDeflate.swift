@_exported import DICOMCore
import Zlib

/// zlib's raw deflate as the codec for the Deflated Explicit VR Little Endian transfer syntax (PS3.5 §A.5).
public struct ZlibDeflate: DeflateCodec {
    /// zlib's level: -1 its default (6); 1 the fastest, for what is kept in the index at every ingest.
    public var level: Int32 = -1

    public init() {}
    public init(level: Int32) { self.level = level }

    public func inflate(_ input: UnsafeRawBufferPointer, limit: Int) throws -> (output: [UInt8], consumed: Int) {
        try Zlib.inflate(input, format: .raw, limit: limit)
    }

    public func deflate(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        try Zlib.deflate(input, format: .raw, level: level)
    }
}

extension ReadOptions {
    /// Options with every transfer syntax readable: the zlib codec for deflated data sets.
    public static var standard: ReadOptions { ReadOptions(deflate: ZlibDeflate()) }
}

extension DICOMFile {
    /// Reads a file in any transfer syntax, deflated ones included.
    public static func open(_ path: String, options: ReadOptions = .standard) throws -> DICOMFile {
        var options = options
        if options.deflate == nil { options.deflate = ZlibDeflate() }
        return try DICOMFile.read(path: path, options: options)
    }

    /// Encodes in any native transfer syntax, deflated ones included.
    public func encodedData(transferSyntax: TransferSyntax? = nil) throws -> [UInt8] {
        try encoded(transferSyntax: transferSyntax, deflate: ZlibDeflate())
    }
}
