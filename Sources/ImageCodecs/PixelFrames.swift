import DICOMCore

/// The frames of a data set's pixel data as stored: slices of native pixel data, or each frame's fragments of
/// encapsulated pixel data (PS3.5 §8.2, A.4) joined into one codestream.
public struct PixelFrames: Sendable {
    public let description: PixelDescription
    public let transferSyntax: TransferSyntax
    private let native: Bytes?
    /// Bytes per unit the reader already swapped native big endian data in (its VR's: 2 for OW, 4 for OF, 8 for OD,
    /// 1 for OB, which it leaves alone): what remains is to swap by Bits Allocated instead (PS3.5 §8.1.1).
    let readerSwapUnit: Int
    private let groups: [[Bytes]]

    public init(_ dataSet: DataSet, transferSyntax: TransferSyntax) throws(CodecError) {
        description = try PixelDescription(dataSet)
        self.transferSyntax = transferSyntax
        guard let element = dataSet[.pixelData] ?? dataSet[.floatPixelData] ?? dataSet[.doubleFloatPixelData] else {
            throw CodecError("the data set has no pixel data")
        }
        readerSwapUnit = transferSyntax.isBigEndian ? element.vr.swapUnit : 1
        if let encapsulated = element.encapsulated {
            native = nil
            groups = try Self.group(encapsulated, dataSet: dataSet, frames: description.numberOfFrames, syntax: transferSyntax)
        } else {
            guard let bytes = element.bytes else { throw CodecError("the pixel data has no value") }
            guard !transferSyntax.isEncapsulated else {
                throw CodecError("\(transferSyntax.name) needs encapsulated pixel data, the file has native")
            }
            native = bytes
            groups = []
            guard let needed = nativeFrameBytes, bytes.count >= Self.nativeBytes(description, frameBytes: needed) else {
                throw CodecError("the pixel data has \(bytes.count) bytes, fewer than \(description.numberOfFrames) frames need")
            }
        }
    }

    public var count: Int { description.numberOfFrames }
    public var isEncapsulated: Bool { native == nil }

    /// Bytes of one stored native frame: YBR_FULL_422 keeps two luminance and two chrominance samples per two
    /// pixels (PS3.3 C.7.6.3.1.2).
    var nativeFrameBytes: Int? {
        guard description.photometric == "YBR_FULL_422", description.bitsAllocated >= 8 else { return description.frameBytes }
        return description.pixels * 2 * description.bytesPerSample
    }

    static func nativeBytes(_ d: PixelDescription, frameBytes: Int) -> Int {
        d.bitsAllocated == 1 ? (d.totalNativeBytes ?? Int.max) : frameBytes * d.numberOfFrames
    }

    /// A native frame's bytes as stored (1-bit frames re-aligned to start on a byte).
    public func nativeFrame(_ index: Int) throws(CodecError) -> [UInt8] {
        guard let native, let length = nativeFrameBytes else { throw CodecError("the pixel data is encapsulated") }
        guard (0..<count).contains(index) else { throw CodecError("frame \(index + 1) of \(count)") }
        if description.bitsAllocated == 1 {
            let bits = description.pixels * description.samplesPerPixel
            let first = index * bits
            var out = [UInt8](repeating: 0, count: (bits + 7) / 8)
            native.withUnsafeBytes { src in
                if first % 8 == 0 {
                    for i in 0..<out.count where first / 8 + i < src.count { out[i] = src[first / 8 + i] }
                } else {
                    for b in 0..<bits {
                        let s = first + b
                        if (src[s >> 3] >> (s & 7)) & 1 == 1 { out[b >> 3] |= 1 << (b & 7) }
                    }
                }
            }
            return out
        }
        let start = index * length
        return native.withUnsafeBytes { Array($0[start..<start + length]) }
    }

    /// An encapsulated frame's codestream: its fragments joined.
    public func encodedFrame(_ index: Int) throws(CodecError) -> [UInt8] {
        guard native == nil else { throw CodecError("the pixel data is native") }
        guard (0..<groups.count).contains(index) else { throw CodecError("frame \(index + 1) of \(groups.count)") }
        let fragments = groups[index]
        if fragments.count == 1 { return fragments[0].withUnsafeBytes { Array($0) } }
        var out: [UInt8] = []
        out.reserveCapacity(fragments.reduce(0) { $0 + $1.count })
        for f in fragments { f.withUnsafeBytes { out.append(contentsOf: $0) } }
        return out
    }

    /// Runs `body` over an encapsulated frame's codestream, without copying it when it is one fragment (the
    /// usual case: the bytes stay in the memory-mapped file).
    public func withEncodedFrame<R>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws(CodecError) -> R) throws(CodecError) -> R {
        guard native == nil else { throw CodecError("the pixel data is native") }
        guard (0..<groups.count).contains(index) else { throw CodecError("frame \(index + 1) of \(groups.count)") }
        if groups[index].count == 1 {
            let result: Result<R, CodecError> = groups[index][0].withUnsafeBytes { raw in Result { () throws(CodecError) in try body(raw) } }
            return try result.get()
        }
        return try FrameDecoder.withBytes(try encodedFrame(index), body)
    }

    /// Fragments grouped into frames: by the Extended or Basic Offset Table, one fragment per frame, or, with
    /// neither, by where each codestream starts (JPEG SOI, JPEG 2000 SOC or a JP2 signature), as PS3.5 A.4 allows.
    static func group(_ pixels: EncapsulatedPixelData, dataSet: DataSet, frames: Int,
                      syntax: TransferSyntax) throws(CodecError) -> [[Bytes]] {
        guard !pixels.fragments.isEmpty else { throw CodecError("the encapsulated pixel data has no fragments") }
        var extended: [UInt64]?
        if let table = dataSet[.extendedOffsetTable]?.bytes, table.count == 8 * frames {
            extended = table.withUnsafeBytes { raw in (0..<frames).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self).littleEndian } }
        }
        let grouped = pixels.frames(numberOfFrames: frames, extendedOffsets: extended)
        if grouped.count == frames { return grouped }
        // Several fragments per frame and no table: a new frame starts with each fragment that opens a codestream.
        var byMarker: [[Bytes]] = []
        for fragment in pixels.fragments {
            if byMarker.isEmpty || startsCodestream(fragment, syntax: syntax) { byMarker.append([fragment]) } else {
                byMarker[byMarker.count - 1].append(fragment)
            }
        }
        if byMarker.count == frames { return byMarker }
        // Fewer fragments than frames: frames sharing a fragment is not DICOM, but a single fragment holding
        // every frame back to back happens with RLE-less native-like payloads; refuse with the counts.
        throw CodecError("\(pixels.fragments.count) fragments cannot be divided into \(frames) frames")
    }

    static func startsCodestream(_ fragment: Bytes, syntax: TransferSyntax) -> Bool {
        fragment.withUnsafeBytes { b in
            guard b.count >= 4 else { return false }
            if b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF { return true }                  // JPEG, JPEG-LS SOI
            if b[0] == 0xFF && b[1] == 0x4F && b[2] == 0xFF && b[3] == 0x51 { return true }  // J2K SOC + SIZ
            if b.count >= 8 && b[4] == 0x6A && b[5] == 0x50 && b[6] == 0x20 && b[7] == 0x20 { return true }  // JP2
            return false
        }
    }
}
