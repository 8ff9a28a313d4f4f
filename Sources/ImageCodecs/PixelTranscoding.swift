import DICOMCore

extension DICOMFile {
    /// The file ready to be written in `target`: its pixel data decoded from, or encoded to, an encapsulated
    /// syntax when the change needs it (PS3.5 §8.2, Annex A.4). Native to native needs nothing here (the writer
    /// re-encodes). Covered so far: RLE Lossless both ways; other compressed syntaxes throw, naming the syntax.
    public func transcodingPixels(to target: TransferSyntax) throws(CodecError) -> DICOMFile {
        guard dataSet[.pixelData] != nil, transferSyntax.uid != target.uid,
              transferSyntax.isEncapsulated || target.isEncapsulated else { return self }
        let g = try pixelGeometry()
        let frames = max(1, dataSet.integers(.numberOfFrames)?.first ?? 1)
        guard let frameLength = g.frameLength else { throw CodecError("pixel data of \(g.rows)x\(g.columns) cannot be held") }
        var out = self
        out.encodedDataSet = nil
        out.transferSyntax = target
        if transferSyntax.isEncapsulated {
            guard transferSyntax.uid == RLELossless.transferSyntaxUID else {
                throw CodecError("no decoder for \(transferSyntax.name) yet")
            }
            guard let encapsulated = dataSet[.pixelData]?.encapsulated else { throw CodecError("the pixel data is not encapsulated") }
            let grouped = encapsulated.frames(numberOfFrames: frames)
            guard grouped.count == frames else { throw CodecError("\(grouped.count) frames of pixel data where \(frames) are declared") }
            var pixels: [UInt8] = []
            pixels.reserveCapacity(frameLength * frames)
            for fragments in grouped {
                pixels += try RLELossless.decode(fragments.flatMap { Array($0) }, geometry: g)
            }
            out.dataSet.set(DataElement(tag: .pixelData, vr: g.bitsAllocated > 8 ? .OW : .OB, bytes: Bytes(pixels)))
            if g.samplesPerPixel > 1 { out.dataSet.set(DataElement(tag: Tag(0x0028_0006), vr: .US, integers: [UInt16(0)])) }
        }
        if target.isEncapsulated {
            guard target.uid == RLELossless.transferSyntaxUID else { throw CodecError("no encoder for \(target.name) yet") }
            // Chroma subsampled data has no place in RLE's one-segment-per-plane layout (PS3.5 §8.2.2).
            let photometric = out.dataSet[Tag(0x0028_0004)]?.string()?.trimmingSpaces ?? ""
            guard !photometric.hasPrefix("YBR_FULL_422"), !photometric.hasPrefix("YBR_PARTIAL") else {
                throw CodecError("RLE cannot hold \(photometric) (subsampled) pixel data")
            }
            guard !transferSyntax.isBigEndian || g.bitsAllocated == 8 else {
                throw CodecError("RLE from \(transferSyntax.name): convert to little endian first")
            }
            guard let native = out.dataSet[.pixelData]?.bytes, native.count >= frameLength * frames else {
                throw CodecError("the native pixel data is shorter than \(frames) frames of \(frameLength) bytes")
            }
            let planar = (out.dataSet.integers(Tag(0x0028_0006))?.first ?? 0) == 1 && g.samplesPerPixel > 1
            var fragments: [Bytes] = []
            var offsets: [UInt8] = []
            var position: UInt32 = 0
            for f in 0..<frames {
                var frame = Array(native[native.startIndex + f * frameLength ..< native.startIndex + (f + 1) * frameLength])
                if planar { frame = DICOMFile.interleaved(frame, geometry: g) }
                let encoded = try RLELossless.encode(frame, geometry: g)
                for k in 0..<4 { offsets.append(UInt8(truncatingIfNeeded: position >> (8 * UInt32(k)))) }
                position += UInt32(8 + encoded.count)
                fragments.append(Bytes(encoded))
            }
            let pixels = EncapsulatedPixelData(basicOffsetTable: Bytes(offsets), fragments: fragments)
            out.dataSet.set(DataElement(tag: .pixelData, vr: .OB, value: .encapsulated(pixels)))
            if planar { out.dataSet.set(DataElement(tag: Tag(0x0028_0006), vr: .US, integers: [UInt16(0)])) }
        }
        return out
    }

    func pixelGeometry() throws(CodecError) -> FrameGeometry {
        guard let rows = dataSet.integers(.rows)?.first, let columns = dataSet.integers(.columns)?.first,
              let bits = dataSet.integers(.bitsAllocated)?.first else {
            throw CodecError("Rows, Columns or Bits Allocated is missing")
        }
        return FrameGeometry(rows: rows, columns: columns, samplesPerPixel: dataSet.integers(.samplesPerPixel)?.first ?? 1,
                             bitsAllocated: bits)
    }

    /// A colour-by-plane frame (Planar Configuration 1) as colour-by-pixel.
    static func interleaved(_ planar: [UInt8], geometry g: FrameGeometry) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: planar.count)
        let b = g.bytesPerSample, n = g.pixels
        for s in 0..<g.samplesPerPixel {
            for i in 0..<n {
                for k in 0..<b { out[(i * g.samplesPerPixel + s) * b + k] = planar[(s * n + i) * b + k] }
            }
        }
        return out
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while s.last == " " || s.last == "\0" { s.removeLast() }
        while s.first == " " { s.removeFirst() }
        return String(s)
    }
}
