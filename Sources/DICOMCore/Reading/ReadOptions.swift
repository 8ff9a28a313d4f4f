/// Compression for the Deflated Explicit VR Little Endian transfer syntax (PS3.5 §A.5). DICOMCore has no
/// dependencies, so the codec is handed in: the `DICOM` target supplies zlib's.
public protocol DeflateCodec: Sendable {
    /// Inflates raw deflate data (RFC 1951, no header). The result may not exceed `limit` bytes. Returns the
    /// output and how many input bytes the stream used.
    func inflate(_ input: UnsafeRawBufferPointer, limit: Int) throws -> (output: [UInt8], consumed: Int)
    /// Deflates to raw deflate data.
    func deflate(_ input: UnsafeRawBufferPointer) throws -> [UInt8]
}

/// How to read a data set or a file.
public struct ReadOptions: Sendable {
    /// Stop at the first top-level element at or after this tag (for example `.pixelData` to read the header only).
    public var stopAtTag: Tag?
    /// Sequences nested deeper than this are refused: a hostile file could otherwise exhaust the stack.
    public var maximumDepth: Int
    /// Read what a truncated file holds, as pydicom does, instead of failing; the truncation is reported as a
    /// warning. Off by default: an archive must not take a partial file for a whole one.
    public var allowTruncation: Bool
    /// The codec for deflated data sets; without one such files are refused with `.deflateUnavailable`.
    public var deflate: (any DeflateCodec)?
    /// The most bytes a deflated data set may inflate to.
    public var maximumInflatedSize: Int
    /// Read a bare data set (no preamble, no meta) in this transfer syntax instead of detecting it.
    public var transferSyntax: TransferSyntax?

    public init(stopAtTag: Tag? = nil, maximumDepth: Int = 64, allowTruncation: Bool = false,
                deflate: (any DeflateCodec)? = nil, maximumInflatedSize: Int = 1 << 30,
                transferSyntax: TransferSyntax? = nil) {
        self.stopAtTag = stopAtTag
        self.maximumDepth = maximumDepth
        self.allowTruncation = allowTruncation
        self.deflate = deflate
        self.maximumInflatedSize = maximumInflatedSize
        self.transferSyntax = transferSyntax
    }

    /// Reads everything but the pixel data.
    public static var headerOnly: ReadOptions { ReadOptions(stopAtTag: .pixelData) }
}

/// Why a data set could not be read: what went wrong, at which byte offset, in which element.
public struct DICOMParseError: Error, CustomStringConvertible, Equatable {
    public enum Reason: Equatable, Sendable {
        /// The data ends inside an element header or value.
        case truncated(needed: Int, available: Int)
        /// An item was expected in a sequence or encapsulated pixel data, and something else was found.
        case expectedItem(found: Tag)
        /// An undefined length where the standard does not allow one.
        case unexpectedUndefinedLength
        /// Sequences nested beyond `ReadOptions.maximumDepth`.
        case nestingTooDeep(limit: Int)
        /// An item's or element's defined length runs past its enclosing item or sequence.
        case lengthExceedsParent(length: Int, available: Int)
        /// Neither a Part 10 file nor a data set this reader can recognise.
        case notDICOM(String)
        case invalidFileMeta(String)
        case unsupportedTransferSyntax(String)
        case deflateUnavailable
        case deflateFailed(String)
        /// A VR field that is not two upper-case letters in an explicit VR data set.
        case invalidVR(String)
    }

    public let reason: Reason
    /// Offset of the element or item header, from the start of the file (or of the bare data set).
    public let offset: Int
    public let tag: Tag?

    public init(_ reason: Reason, offset: Int, tag: Tag?) {
        self.reason = reason
        self.offset = offset
        self.tag = tag
    }

    public var description: String {
        var s = "at offset \(offset)"
        if let tag { s += ", element \(tag)" }
        s += ": "
        switch reason {
        case .truncated(let needed, let available): s += "data ends early (needs \(needed) bytes, \(available) left)"
        case .expectedItem(let found): s += "expected an item tag (FFFE,E000), found \(found)"
        case .unexpectedUndefinedLength: s += "undefined length is not allowed here"
        case .nestingTooDeep(let limit): s += "sequences nested deeper than \(limit) levels"
        case .lengthExceedsParent(let length, let available): s += "length \(length) exceeds the \(available) bytes of its parent"
        case .notDICOM(let why): s += "not DICOM: \(why)"
        case .invalidFileMeta(let why): s += "invalid file meta information: \(why)"
        case .unsupportedTransferSyntax(let uid): s += "unsupported transfer syntax \(uid)"
        case .deflateUnavailable: s += "deflated data set, but no deflate codec was given"
        case .deflateFailed(let why): s += "cannot inflate the data set: \(why)"
        case .invalidVR(let vr): s += "invalid VR \(vr)"
        }
        return s
    }
}
