import DICOMCore

extension DICOMFile {
    /// The file's pixel data as frames, as stored.
    public func pixelFrames() throws(CodecError) -> PixelFrames {
        try PixelFrames(dataSet, transferSyntax: transferSyntax)
    }

    /// Frame `index` (from 0) decoded to native form.
    public func decodedFrame(_ index: Int) throws(CodecError) -> DecodedFrame {
        try FrameDecoder.decode(pixelFrames(), frame: index)
    }

    /// The file ready to be written in `target`: its pixel data decoded from, or encoded to, an encapsulated
    /// syntax when the change needs it (PS3.5 §8.2, Annex A.4). Native to native needs nothing here (the writer
    /// re-encodes). The Image Pixel module follows the pixels: the photometric interpretation a codec implies,
    /// Planar Configuration 0 for colour, and the lossy compression attributes (PS3.3 C.7.6.1.1.5) when
    /// information was lost.
    public func transcodingPixels(to target: TransferSyntax,
                                  options: FrameEncoder.Options = FrameEncoder.Options()) throws(CodecError) -> DICOMFile {
        guard dataSet[.pixelData] != nil, transferSyntax.uid != target.uid,
              transferSyntax.isEncapsulated || target.isEncapsulated else { return self }
        if target.isEncapsulated && !FrameEncoder.encodable.contains(target.uid) {
            if ["1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"].contains(target.uid) {
                throw CodecError("no encoder for \(target.name): Debian's OpenJPEG 2.5.0 decodes HTJ2K but does not encode it")
            }
            throw CodecError("no encoder for \(target.name)")
        }
        let frames = try pixelFrames()
        var out = self
        out.encodedDataSet = nil
        out.transferSyntax = target
        // Decoded frames, one by one, so memory holds the output and one frame beside it.
        var described = frames.description
        // Native output goes straight into one buffer the pixel data element then owns: no second copy.
        var native: UnsafeMutableRawPointer?
        var nativeCount = 0
        var bits: [UInt8] = []
        defer { if let native { native.deallocate() } }
        var fragments: [Bytes] = []
        var photometric: String?
        var lossy: String?
        var encodedBytes = 0
        for f in 0..<frames.count {
            let frame = try FrameDecoder.decode(frames, frame: f)
            described = frame.description
            if target.isEncapsulated {
                let encoded = try FrameEncoder.encode(frame, to: target, options: options)
                photometric = encoded.photometric
                lossy = encoded.lossyMethod
                encodedBytes += encoded.bytes.count
                fragments.append(Bytes(encoded.bytes.count & 1 == 1 ? encoded.bytes + [0] : encoded.bytes))
            } else if described.bitsAllocated == 1 {
                Self.appendBits(frame.bytes, count: described.pixels * described.samplesPerPixel, frameIndex: f, to: &bits)
            } else {
                let (total, overflow) = frame.bytes.count.multipliedReportingOverflow(by: frames.count)
                guard !overflow, total <= PixelDescription.maxFrameBytes * 4 else {
                    throw CodecError("\(frames.count) frames of \(frame.bytes.count) bytes cannot be held")
                }
                if native == nil { native = .allocate(byteCount: max(1, total), alignment: 16) }
                guard nativeCount + frame.bytes.count <= total else { throw CodecError("frame \(f + 1) changed size") }
                frame.bytes.withUnsafeBytes { native!.advanced(by: nativeCount).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                nativeCount += frame.bytes.count
            }
        }
        var pixelModule = described
        pixelModule.numberOfFrames = frames.count
        if let photometric { pixelModule.photometric = photometric }
        if target.isEncapsulated {
            var offsets: [UInt8] = []
            if fragments.count > 1 {
                var position: UInt32 = 0
                for fragment in fragments {
                    for k in 0..<4 { offsets.append(UInt8(truncatingIfNeeded: position >> (8 * UInt32(k)))) }
                    position &+= UInt32(truncatingIfNeeded: 8 + fragment.count)
                }
            }
            out.dataSet.set(DataElement(tag: .pixelData, vr: .OB,
                                        value: .encapsulated(EncapsulatedPixelData(basicOffsetTable: Bytes(offsets), fragments: fragments))))
        } else {
            let pixels: Bytes
            if let buffer = native {
                native = nil  // the region owns it now
                pixels = ByteRegion.adopting(buffer, count: nativeCount).bytes
            } else {
                pixels = Bytes(bits)
            }
            out.dataSet.set(DataElement(tag: .pixelData, vr: pixelModule.bitsAllocated > 8 ? .OW : .OB, bytes: pixels))
        }
        if !target.isEncapsulated { out.decodeIcons(from: transferSyntax) }
        out.dataSet.remove(.extendedOffsetTable)
        out.dataSet.remove(.extendedOffsetTableLengths)
        out.dataSet.set(DataElement(tag: .photometricInterpretation, vr: .CS, string: pixelModule.photometric))
        if pixelModule.isColor { out.dataSet.set(DataElement(tag: Tag(0x0028_0006), vr: .US, integers: [UInt16(0)])) }
        if let lossy {
            let uncompressed = Double((pixelModule.frameBytes ?? 0) * frames.count)
            let ratio = encodedBytes > 0 ? uncompressed / Double(encodedBytes) : 1
            out.markLossy(method: lossy, ratio: ratio)
        }
        return out
    }

    /// Sequence items (the Icon Image Sequence, and private ones that copy it) whose pixel data is encapsulated,
    /// decoded: a native syntax cannot hold encapsulated pixel data at any depth (PS3.5 A.4). An item whose pixels
    /// cannot be decoded is dropped: it is a thumbnail, and the file must stay readable.
    mutating func decodeIcons(from syntax: TransferSyntax) {
        dataSet = Self.decodingNestedPixels(in: dataSet, syntax: syntax, depth: 0)
    }

    static func decodingNestedPixels(in dataSet: DataSet, syntax: TransferSyntax, depth: Int) -> DataSet {
        var out = dataSet
        guard depth < 16 else { return out }
        for element in dataSet.elements {
            guard var sequence = element.sequence else { continue }
            var items: [SequenceItem] = []
            var changed = false
            for var item in sequence.items {
                if item.dataSet[.pixelData]?.encapsulated != nil {
                    changed = true
                    guard let frames = try? PixelFrames(item.dataSet, transferSyntax: syntax),
                          let frame = try? FrameDecoder.decode(frames, frame: 0) else { continue }
                    let d = frame.description
                    item.dataSet.set(DataElement(tag: .pixelData, vr: d.bitsAllocated > 8 ? .OW : .OB, bytes: Bytes(frame.bytes)))
                    item.dataSet.set(DataElement(tag: .photometricInterpretation, vr: .CS, string: d.photometric))
                    if d.isColor { item.dataSet.set(DataElement(tag: Tag(0x0028_0006), vr: .US, integers: [UInt16(0)])) }
                }
                let nested = decodingNestedPixels(in: item.dataSet, syntax: syntax, depth: depth + 1)
                if nested != item.dataSet { item.dataSet = nested; changed = true }
                items.append(item)
            }
            guard changed else { continue }
            sequence.items = items
            out.set(DataElement(tag: element.tag, vr: element.vr, value: .sequence(sequence)))
        }
        return out
    }

    /// Lossy Image Compression "01", with this step's ratio and method appended to any earlier ones (PS3.3 C.7.6.1.1.5).
    mutating func markLossy(method: String, ratio: Double) {
        dataSet.set(DataElement(tag: Tag(0x0028_2110), vr: .CS, string: "01"))
        let ratios = (dataSet.strings(Tag(0x0028_2112)) ?? []) + [String(format3(ratio))]
        let methods = (dataSet.strings(Tag(0x0028_2114)) ?? []) + [method]
        dataSet.set(DataElement(tag: Tag(0x0028_2112), vr: .DS, string: ratios.joined(separator: "\\")))
        dataSet.set(DataElement(tag: Tag(0x0028_2114), vr: .CS, string: methods.joined(separator: "\\")))
    }

    /// 1-bit frames are packed end to end in native pixel data (PS3.5 §8.1.1 and Annex D).
    static func appendBits(_ frame: [UInt8], count: Int, frameIndex: Int, to out: inout [UInt8]) {
        let start = frameIndex * count
        if start % 8 == 0 {
            out.removeLast(max(0, out.count - start / 8))
            out += frame.prefix((count + 7) / 8)
            return
        }
        let needed = (start + count + 7) / 8
        if out.count < needed { out += [UInt8](repeating: 0, count: needed - out.count) }
        for b in 0..<count where (frame[b >> 3] >> (b & 7)) & 1 == 1 {
            let s = start + b
            out[s >> 3] |= 1 << (s & 7)
        }
    }

    /// A colour-by-plane frame (Planar Configuration 1) as colour-by-pixel.
    static func interleaved(_ planar: [UInt8], geometry g: FrameGeometry) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: planar.count)
        let b = g.bytesPerSample, n = g.pixels
        guard planar.count >= n * g.samplesPerPixel * b else { return planar }
        for s in 0..<g.samplesPerPixel {
            for i in 0..<n {
                for k in 0..<b { out[(i * g.samplesPerPixel + s) * b + k] = planar[(s * n + i) * b + k] }
            }
        }
        return out
    }
}

/// A DS value of at most 16 characters with three decimals at most.
private func format3(_ value: Double) -> String {
    let scaled = (value * 1000).rounded() / 1000
    var text = "\(scaled)"
    if text.hasSuffix(".0") { text.removeLast(2) }
    return String(text.prefix(16))
}
