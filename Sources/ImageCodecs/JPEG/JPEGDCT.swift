/// DCT-based scans: sequential (baseline and extended, T.81 F.2) decoded block by block straight into the
/// component planes, and progressive (G.2: spectral selection and successive approximation) decoded into a
/// coefficient buffer that is transformed once the last scan is read.

/// Where a block of a sequential MCU goes and how it is decoded.
struct JPEGBlockPlan {
    var dc: JPEGHuffmanView
    var ac: JPEGHuffmanView
    var quant: UnsafeMutablePointer<Int32>
    /// The block's position in the first MCU; MCU (mx, my) adds my * rowStep + mx * colStep.
    var out: UnsafeMutablePointer<UInt16>
    var stride: Int
    var rowStep: Int
    var colStep: Int
    var predictor: Int
}

/// One data unit of an MCU: which scan component, and its block offset inside the MCU.
struct JPEGMCUBlock {
    var scanComponent: Int
    var dx: Int
    var dy: Int
}

extension JPEGDecodeState {
    /// The MCU grid of a scan and the blocks of one MCU (A.2.2, A.2.3): a single-component scan is
    /// non-interleaved (one block per MCU over the component's own block grid).
    func mcuLayout(_ scan: JPEGScan) -> (wide: Int, high: Int, blocks: [JPEGMCUBlock]) {
        if scan.components.count == 1 {
            let c = frame.components[scan.components[0]]
            return (c.unitsWide, c.unitsHigh, [JPEGMCUBlock(scanComponent: 0, dx: 0, dy: 0)])
        }
        var blocks = [JPEGMCUBlock]()
        for (k, ci) in scan.components.enumerated() {
            let c = frame.components[ci]
            for dy in 0..<c.v { for dx in 0..<c.h { blocks.append(JPEGMCUBlock(scanComponent: k, dx: dx, dy: dy)) } }
        }
        return (frame.mcusWide, frame.mcusHigh, blocks)
    }

    /// The Huffman tables of each scan component (which `tables` keeps alive during the scan).
    func huffmanTables(_ scan: JPEGScan, dc: Bool, ac: Bool, number: Int) throws(CodecError) -> (dc: [JPEGHuffmanView], ac: [JPEGHuffmanView]) {
        var dcTables = [JPEGHuffmanView](), acTables = [JPEGHuffmanView]()
        for k in scan.components.indices {
            if dc {
                guard let t = tables.dc[scan.dcTables[k]] else {
                    throw CodecError("JPEG: scan \(number) uses undefined Huffman table DC\(scan.dcTables[k])")
                }
                dcTables.append(t.view)
            }
            if ac {
                guard let t = tables.ac[scan.acTables[k]] else {
                    throw CodecError("JPEG: scan \(number) uses undefined Huffman table AC\(scan.acTables[k])")
                }
                acTables.append(t.view)
            }
        }
        return (dcTables, acTables)
    }

    /// Latches the quantization table of each scan component at its first scan (as libjpeg does), as Int32 in
    /// natural order; libjpeg keeps 8-bit multipliers as 16-bit signed values, so that is mimicked.
    func latchQuantization(_ scan: JPEGScan, number: Int) throws(CodecError) {
        for ci in scan.components where quantOffset[ci] < 0 {
            let tq = frame.components[ci].tq
            guard let table = tables.quant[tq] else {
                throw CodecError("JPEG: scan \(number) needs undefined quantization table \(tq)")
            }
            quantOffset[ci] = ci * 64
            for k in 0..<64 {
                quant.pointer[ci * 64 + k] = frame.precision == 8 ? Int32(Int16(truncatingIfNeeded: table[k])) : Int32(truncatingIfNeeded: table[k])
            }
        }
    }

    /// At an MCU boundary: processes a due restart marker, and notices when the entropy data ran out (before a
    /// marker: the rest of the interval is decoded as if empty; at the end of the data: throws).
    @inline(__always)
    func mcuBoundary(_ reader: inout JPEGBitReader, mcu: Int, restarts: inout Int, starved: inout Bool, number: Int) throws(CodecError) -> Bool {
        let interval = tables.restartInterval
        if interval > 0 && mcu > 0 && mcu % interval == 0 {
            starved = !(try reader.restart(expected: restarts, scan: number))
            restarts += 1
            return true
        }
        if !starved && reader.overrun {
            if reader.atEnd { throw CodecError("JPEG: truncated before EOI in scan \(number)") }
            starved = true
        }
        return false
    }

    /// A DC difference category (F.2.2.1): at most 16 (a table may hold other symbols as long as they are not
    /// decoded, as libjpeg allows).
    @inline(never)
    func dcCategory(_ reader: inout JPEGBitReader, _ t: JPEGHuffmanView, number: Int) throws(CodecError) -> Int {
        let s = reader.decode(t)
        guard s >= 0 else { throw CodecError("JPEG: Huffman code not in table in scan \(number)") }
        guard s <= 16 else { throw CodecError("JPEG: difference category \(s) in scan \(number)") }
        return s
    }

    /// At the end of a scan: data that ends without EOI is accepted when no coded bit is missing.
    func finishScan(_ reader: JPEGBitReader, number: Int) throws(CodecError) {
        if reader.atEnd && reader.overrun { throw CodecError("JPEG: truncated before EOI in scan \(number)") }
    }

    // MARK: Sequential

    /// A baseline or extended scan (F.2.2). Ss, Se, Ah and Al are ignored, as libjpeg does (some DICOM encoders
    /// write Se = 0 and code all 64 coefficients).
    func decodeSequentialScan(_ scan: JPEGScan, reader readerInOut: inout JPEGBitReader, number: Int) throws(CodecError) {
        // A local copy keeps the bit buffer in registers.
        var reader = readerInOut
        defer { readerInOut = reader }
        let (dcTables, acTables) = try huffmanTables(scan, dc: true, ac: true, number: number)
        try latchQuantization(scan, number: number)
        for ci in scan.components { componentDone[ci] = true }
        let layout = mcuLayout(scan)
        let natural = zigzag.pointer
        let block = scratch.pointer, workspace = idctWorkspace.pointer
        let precision = frame.precision
        // What each block of the MCU needs, in unsafe storage so the loop does no reference counting.
        let single = layout.blocks.count == 1
        let plans = JPEGBuffer<JPEGBlockPlan>(count: layout.blocks.count, repeating: JPEGBlockPlan(
            dc: dcTables[0], ac: acTables[0], quant: quant.pointer, out: planes.pointer, stride: 0, rowStep: 0, colStep: 0, predictor: 0))
        for (i, b) in layout.blocks.enumerated() {
            let ci = scan.components[b.scanComponent]
            let c = frame.components[ci]
            let stride = c.paddedWide * 8
            plans.pointer[i] = JPEGBlockPlan(
                dc: dcTables[b.scanComponent], ac: acTables[b.scanComponent], quant: quant.pointer + quantOffset[ci],
                out: planes.pointer + planeOffset[ci] + 8 * b.dy * stride + 8 * b.dx, stride: stride,
                rowStep: 8 * stride * (single ? 1 : c.v), colStep: 8 * (single ? 1 : c.h), predictor: b.scanComponent)
        }
        let predictors = JPEGBuffer<Int>(count: scan.components.count, repeating: 0)
        let pred = predictors.pointer, blockCount = layout.blocks.count
        var restarts = 0, starved = false, mcu = 0
        block.update(repeating: 0, count: 64)
        for my in 0..<layout.high {
            for mx in 0..<layout.wide {
                if try mcuBoundary(&reader, mcu: mcu, restarts: &restarts, starved: &starved, number: number) {
                    pred.update(repeating: 0, count: predictors.count)
                }
                for i in 0..<blockCount {
                    let plan = plans.pointer[i]
                    var acSeen = false
                    if !starved {
                        // DC (F.2.2.1), then AC (F.2.2.2).
                        reader.ensure(32)
                        if let diff = reader.decodeValueFast(plan.dc) {
                            pred[plan.predictor] &+= diff
                        } else {
                            let s = try dcCategory(&reader, plan.dc, number: number)
                            if s > 0 { pred[plan.predictor] &+= reader.receiveExtend(s) }
                        }
                        block[0] = Int16(truncatingIfNeeded: pred[plan.predictor])
                        var z = 1
                        while z < 64 {
                            reader.ensure(32)
                            let e = reader.peekFast(plan.ac)
                            if e != 0 {
                                reader.skip(e & 0xFF)
                                let r = (e &>> 8) & 15
                                if e & 0x1000 == 0 {
                                    z &+= r
                                    block[natural[z]] = Int16(truncatingIfNeeded: e &>> 16)
                                    z &+= 1
                                    acSeen = true
                                    continue
                                }
                                if r != 15 { break }
                                z &+= 16
                                continue
                            }
                            let rs = reader.decode(plan.ac)
                            guard rs >= 0 else { throw CodecError("JPEG: Huffman code not in table in scan \(number)") }
                            let r = rs &>> 4, s = rs & 15
                            if s != 0 {
                                z &+= r
                                block[natural[z]] = Int16(truncatingIfNeeded: reader.receiveExtend(s))
                                z &+= 1
                                acSeen = true
                            } else {
                                if r != 15 { break }
                                z &+= 16
                            }
                        }
                    }
                    let out = plan.out + my * plan.rowStep + mx * plan.colStep
                    if acSeen {
                        JPEGIDCT.transform(block, plan.quant, out, stride: plan.stride, precision: precision, workspace: workspace)
                        block.update(repeating: 0, count: 64)
                    } else {
                        JPEGIDCT.transformDC(block[0], plan.quant[0], out, stride: plan.stride, precision: precision)
                        block[0] = 0
                    }
                }
                mcu += 1
            }
        }
        try finishScan(reader, number: number)
    }

    // MARK: Progressive

    /// A progressive scan (G.1.1.1.1 and G.2): DC first or refinement (possibly interleaved), or AC first or
    /// refinement (one component), with end-of-band runs. Coefficients accumulate in `coefficients`.
    func decodeProgressiveScan(_ scan: JPEGScan, reader: inout JPEGBitReader, number: Int) throws(CodecError) {
        let dcBand = scan.ss == 0
        var bad = false
        if dcBand {
            bad = scan.se != 0
        } else {
            bad = scan.ss > scan.se || scan.se > 63 || scan.components.count != 1
        }
        if scan.ah != 0 && scan.al != scan.ah - 1 { bad = true }
        if scan.al > 13 { bad = true }
        guard !bad else {
            throw CodecError("JPEG: progressive scan \(number) has Ss=\(scan.ss) Se=\(scan.se) Ah=\(scan.ah) Al=\(scan.al)")
        }
        let (dcTables, acTables) = try huffmanTables(scan, dc: dcBand && scan.ah == 0, ac: !dcBand, number: number)
        try latchQuantization(scan, number: number)
        for ci in scan.components { componentDone[ci] = true }
        let layout = mcuLayout(scan)
        let natural = zigzag.pointer
        let coef = coefficients.pointer
        var predictors = [Int](repeating: 0, count: scan.components.count)
        var restarts = 0, starved = false, mcu = 0, eobrun = 0
        let al = scan.al, ss = scan.ss, se = scan.se
        let p1 = 1 << al, m1 = -1 << al
        for my in 0..<layout.high {
            for mx in 0..<layout.wide {
                if try mcuBoundary(&reader, mcu: mcu, restarts: &restarts, starved: &starved, number: number) {
                    for k in predictors.indices { predictors[k] = 0 }
                    eobrun = 0
                }
                mcu += 1
                if starved { continue }
                for b in layout.blocks {
                    let k = b.scanComponent
                    let ci = scan.components[k]
                    let c = frame.components[ci]
                    let bx = layout.blocks.count == 1 ? mx : mx * c.h + b.dx
                    let by = layout.blocks.count == 1 ? my : my * c.v + b.dy
                    let blk = coef + coefOffset[ci] + (by * c.paddedWide + bx) * 64
                    if dcBand {
                        if scan.ah == 0 {
                            reader.ensure(32)
                            if let diff = reader.decodeValueFast(dcTables[k]) {
                                predictors[k] &+= diff
                            } else {
                                let s = try dcCategory(&reader, dcTables[k], number: number)
                                if s > 0 { predictors[k] &+= reader.receiveExtend(s) }
                            }
                            blk[0] = Int16(truncatingIfNeeded: predictors[k] &<< al)
                        } else if reader.getBit() {
                            blk[0] |= Int16(truncatingIfNeeded: p1)
                        }
                    } else if scan.ah == 0 {
                        // AC first (G.1.2.2).
                        if eobrun > 0 { eobrun -= 1; continue }
                        var z = ss
                        while z <= se {
                            reader.ensure(32)
                            let rs = reader.decode(acTables[k])
                            guard rs >= 0 else { throw CodecError("JPEG: Huffman code not in table in scan \(number)") }
                            let r = rs &>> 4, s = rs & 15
                            if s != 0 {
                                z &+= r
                                blk[natural[z]] = Int16(truncatingIfNeeded: reader.receiveExtend(s) &<< al)
                            } else if r == 15 {
                                z &+= 15
                            } else {
                                eobrun = 1 << r
                                if r > 0 { eobrun += reader.getBits(r) }
                                eobrun -= 1
                                break
                            }
                            z &+= 1
                        }
                    } else {
                        try refineAC(blk, reader: &reader, table: acTables[k], ss: ss, se: se, p1: p1, m1: m1,
                                     eobrun: &eobrun, number: number)
                    }
                }
            }
        }
        try finishScan(reader, number: number)
    }

    /// AC successive approximation refinement (G.1.2.3), as libjpeg's decode_mcu_AC_refine.
    @inline(__always)
    private func refineAC(_ blk: UnsafeMutablePointer<Int16>, reader: inout JPEGBitReader, table: JPEGHuffmanView,
                          ss: Int, se: Int, p1: Int, m1: Int, eobrun: inout Int, number: Int) throws(CodecError) {
        let natural = zigzag.pointer
        @inline(__always) func correct(_ i: Int, _ reader: inout JPEGBitReader) {
            let v = Int(blk[i])
            if v != 0 && reader.getBit() && v & p1 == 0 {
                blk[i] = Int16(truncatingIfNeeded: v >= 0 ? v &+ p1 : v &+ m1)
            }
        }
        var z = ss
        if eobrun == 0 {
            while z <= se {
                reader.ensure(32)
                let rs = reader.decode(table)
                guard rs >= 0 else { throw CodecError("JPEG: Huffman code not in table in scan \(number)") }
                var r = rs &>> 4
                var value = 0
                if rs & 15 != 0 {
                    // Only 1 is valid here; libjpeg takes any size as 1.
                    value = reader.getBit() ? p1 : m1
                } else if r != 15 {
                    eobrun = 1 << r
                    if r > 0 { eobrun += reader.getBits(r) }
                    break
                }
                // Skip r zero coefficients (refining the nonzero ones passed), then place the new one.
                while z <= se {
                    let i = natural[z]
                    if blk[i] != 0 {
                        correct(i, &reader)
                    } else {
                        if r == 0 { break }
                        r -= 1
                    }
                    z += 1
                }
                if value != 0 { blk[natural[z]] = Int16(truncatingIfNeeded: value) }
                z += 1
            }
        }
        if eobrun > 0 {
            while z <= se {
                correct(natural[z], &reader)
                z += 1
            }
            eobrun -= 1
        }
    }

    /// Transforms the whole coefficient buffer into the planes (after the last progressive scan).
    func transformCoefficients() {
        let workspace = idctWorkspace.pointer
        for (ci, c) in frame.components.enumerated() {
            let q: UnsafePointer<Int32>
            if quantOffset[ci] >= 0 {
                q = UnsafePointer(quant.pointer + quantOffset[ci])
            } else {
                // Never in a scan: all coefficients are zero, any table gives mid-grey.
                q = UnsafePointer(quant.pointer + ci * 64)
            }
            let stride = c.paddedWide * 8
            for by in 0..<c.paddedHigh {
                for bx in 0..<c.paddedWide {
                    let blk = coefficients.pointer + coefOffset[ci] + (by * c.paddedWide + bx) * 64
                    let out = planes.pointer + planeOffset[ci] + by * 8 * stride + bx * 8
                    var acZero = true
                    for i in 1..<64 where blk[i] != 0 { acZero = false; break }
                    if acZero {
                        JPEGIDCT.transformDC(blk[0], q[0], out, stride: stride, precision: frame.precision)
                    } else {
                        JPEGIDCT.transform(blk, q, out, stride: stride, precision: frame.precision, workspace: workspace)
                    }
                }
            }
        }
    }
}
