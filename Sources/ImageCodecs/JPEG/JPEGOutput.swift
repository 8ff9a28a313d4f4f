/// The final image: each component plane upsampled to full size and interleaved per pixel, 1 byte per sample
/// up to 8 bits of precision, else 2 bytes little endian. Upsampling follows libjpeg (jdsample.c as in
/// IJG 6b, used by DCMTK): the triangle filter for DCT components at half the horizontal resolution (and full or
/// half the vertical) more than 2 samples wide, replication otherwise; lossless components are replicated.

extension JPEGDecodeState {
    func output() throws(CodecError) -> [UInt8] {
        let f = frame
        let nf = f.components.count
        let bytesPerSample = f.precision <= 8 ? 1 : 2
        let (pixels, o1) = f.width.multipliedReportingOverflow(by: f.height)
        let (samples, o2) = pixels.multipliedReportingOverflow(by: nf)
        let (total, o3) = samples.multipliedReportingOverflow(by: bytesPerSample)
        guard !o1 && !o2 && !o3 else { throw CodecError("JPEG: \(f.width)x\(f.height)x\(nf) overflows") }
        var out = [UInt8](repeating: 0, count: total)
        let sampleMask = bytesPerSample == 1 ? 0xFF : 0xFFFF
        out.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            for (ci, c) in f.components.enumerated() {
                let shift = f.process == .lossless ? pointTransform[ci] : 0
                let plane = UnsafePointer(planes.pointer + planeOffset[ci])
                let stride = c.paddedWide * f.unit
                let writer = JPEGSampleWriter(base: base, width: f.width, components: nf, component: ci,
                                          twoBytes: bytesPerSample == 2, shift: shift, mask: sampleMask)
                if c.h == f.hmax && c.v == f.vmax {
                    for y in 0..<f.height { writer.row(y, plane + y * stride) }
                } else if f.process != .lossless && 2 * c.h == f.hmax && (c.v == f.vmax || 2 * c.v == f.vmax) && c.width > 2 {
                    fancy(writer, plane, stride: stride, c, vertical: c.v != f.vmax)
                } else {
                    nearest(writer, plane, stride: stride, c)
                }
            }
        }
        return out
    }

    /// h2v1 and h2v2 "fancy" upsampling (libjpeg's h2v1_fancy_upsample, h2v2_fancy_upsample): each output sample
    /// is 3/4 of the nearer input sample and 1/4 of the next one, in each direction; rows above the first and below
    /// the last repeat them.
    private func fancy(_ w: JPEGSampleWriter, _ plane: UnsafePointer<UInt16>, stride: Int, _ c: JPEGComponent, vertical: Bool) {
        let width = c.width
        let rowBuffer = JPEGBuffer<UInt16>(count: 2 * width, repeating: 0)
        let colsum = JPEGBuffer<Int>(count: width, repeating: 0)
        let o = rowBuffer.pointer, s = colsum.pointer
        for y in 0..<frame.height {
            if !vertical {
                let inp = plane + y * stride
                o[0] = inp[0]
                o[1] = UInt16(truncatingIfNeeded: (3 * Int(inp[0]) + Int(inp[1]) + 2) >> 2)
                for i in 1..<(width - 1) {
                    let v = 3 * Int(inp[i])
                    o[2 * i] = UInt16(truncatingIfNeeded: (v + Int(inp[i - 1]) + 1) >> 2)
                    o[2 * i + 1] = UInt16(truncatingIfNeeded: (v + Int(inp[i + 1]) + 2) >> 2)
                }
                o[2 * width - 2] = UInt16(truncatingIfNeeded: (3 * Int(inp[width - 1]) + Int(inp[width - 2]) + 1) >> 2)
                o[2 * width - 1] = inp[width - 1]
            } else {
                let r = y >> 1
                let near = plane + r * stride
                let farRow = y & 1 == 0 ? max(r - 1, 0) : min(r + 1, c.height - 1)
                let far = plane + farRow * stride
                for i in 0..<width { s[i] = 3 * Int(near[i]) + Int(far[i]) }
                o[0] = UInt16(truncatingIfNeeded: (s[0] * 4 + 8) >> 4)
                o[1] = UInt16(truncatingIfNeeded: (s[0] * 3 + s[1] + 7) >> 4)
                for i in 1..<(width - 1) {
                    o[2 * i] = UInt16(truncatingIfNeeded: (s[i] * 3 + s[i - 1] + 8) >> 4)
                    o[2 * i + 1] = UInt16(truncatingIfNeeded: (s[i] * 3 + s[i + 1] + 7) >> 4)
                }
                o[2 * width - 2] = UInt16(truncatingIfNeeded: (s[width - 1] * 3 + s[width - 2] + 8) >> 4)
                o[2 * width - 1] = UInt16(truncatingIfNeeded: (s[width - 1] * 4 + 7) >> 4)
            }
            w.row(y, UnsafePointer(o))
        }
    }

    /// Replication: output sample (x, y) takes component sample (x * H / Hmax, y * V / Vmax).
    private func nearest(_ w: JPEGSampleWriter, _ plane: UnsafePointer<UInt16>, stride: Int, _ c: JPEGComponent) {
        let f = frame
        let rowBuffer = JPEGBuffer<UInt16>(count: f.width, repeating: 0)
        let o = rowBuffer.pointer
        for y in 0..<f.height {
            let inp = plane + (y * c.v / f.vmax) * stride
            for x in 0..<f.width { o[x] = inp[x * c.h / f.hmax] }
            w.row(y, UnsafePointer(o))
        }
    }
}

/// Writes one full-width row of one component into the interleaved output.
struct JPEGSampleWriter {
    let base: UnsafeMutableRawPointer
    let width: Int
    let components: Int
    let component: Int
    let twoBytes: Bool
    let shift: Int
    let mask: Int

    @inline(__always) func row(_ y: Int, _ src: UnsafePointer<UInt16>) {
        let first = y * width * components + component
        if twoBytes {
            #if _endian(little)
            if components == 1 && shift == 0 {
                (base + 2 * first).copyMemory(from: src, byteCount: 2 * width)
                return
            }
            #endif
            var offset = 2 * first
            let step = 2 * components
            for x in 0..<width {
                let v = UInt16(truncatingIfNeeded: Int(src[x]) << shift)
                base.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt16.self)
                offset += step
            }
        } else {
            let p = base.assumingMemoryBound(to: UInt8.self) + first
            for x in 0..<width { p[x * components] = UInt8(truncatingIfNeeded: (Int(src[x]) << shift) & mask) }
        }
    }
}
