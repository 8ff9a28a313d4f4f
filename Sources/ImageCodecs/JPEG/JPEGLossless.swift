/// Lossless scans (T.81 Annex H, process 14, Huffman coded): differences decoded per MCU row (H.2.2), then
/// undifferenced row by row per component with predictors 1 to 7 (Table H.1), the first-row and first-column
/// rules and the reset at each restart interval (H.1.2.1). As in libjpeg's lossless codec (used by DCMTK):
/// reconstruction is modulo 2^16, a difference category of 16 is 32768 with no extra bits, the restart interval
/// must be a whole number of MCU rows, and once the entropy data has run out (before a marker) each further row
/// is reconstructed from zero differences from the initial predictor.

extension JPEGDecodeState {
    func decodeLosslessScan(_ scan: JPEGScan, reader readerInOut: inout JPEGBitReader, number: Int) throws(CodecError) {
        // A local copy keeps the bit buffer in registers.
        var reader = readerInOut
        defer { readerInOut = reader }
        let psv = scan.ss, pt = scan.al
        guard psv >= 1 && psv <= 7 else { throw CodecError("JPEG: lossless predictor \(psv) in scan \(number)") }
        guard pt < frame.precision else { throw CodecError("JPEG: point transform \(pt) in scan \(number) of \(frame.precision)-bit data") }
        let (dcTables, _) = try huffmanTables(scan, dc: true, ac: false, number: number)
        for ci in scan.components {
            pointTransform[ci] = pt
            componentDone[ci] = true
        }
        let single = scan.components.count == 1
        let comps = scan.components.map { frame.components[$0] }
        let mcusWide = single ? comps[0].width : frame.mcusWide
        let mcusHigh = single ? comps[0].height : frame.mcusHigh
        let hs = single ? [1] : comps.map(\.h), vs = single ? [1] : comps.map(\.v)
        let interval = tables.restartInterval
        guard interval % mcusWide == 0 else {
            throw CodecError("JPEG: lossless restart interval \(interval) is not a multiple of the \(mcusWide) MCUs per row")
        }
        let rowsPerInterval = interval / mcusWide
        // One MCU row of differences: v rows of mcusWide * h for each scan component.
        var diffOffset = [Int](), diffWidth = [Int](), total = 0
        for k in comps.indices {
            diffOffset.append(total)
            diffWidth.append(mcusWide * hs[k])
            total += mcusWide * hs[k] * vs[k]
        }
        let diffs = JPEGBuffer<Int32>(count: total, repeating: 0)
        let d = diffs.pointer
        let initial = 1 << (frame.precision - pt - 1)
        let oneSampleEach = hs.allSatisfy { $0 == 1 } && vs.allSatisfy { $0 == 1 }
        var firstRow = [Bool](repeating: true, count: comps.count)
        var restarts = 0, starved = false
        for my in 0..<mcusHigh {
            if rowsPerInterval > 0 && my > 0 && my % rowsPerInterval == 0 {
                starved = !(try reader.restart(expected: restarts, scan: number))
                restarts += 1
                for k in firstRow.indices { firstRow[k] = true }
            }
            if !starved && reader.overrun {
                if reader.atEnd { throw CodecError("JPEG: truncated before EOI in scan \(number)") }
                starved = true
            }
            if starved {
                d.update(repeating: 0, count: total)
                for k in firstRow.indices { firstRow[k] = true }
            } else if single {
                let t = dcTables[0]
                for x in 0..<mcusWide {
                    d[x] = try difference(&reader, t, number: number)
                }
            } else if oneSampleEach {
                // One sample of each component per MCU.
                let n = comps.count
                for mx in 0..<mcusWide {
                    for k in 0..<n { d[k * mcusWide + mx] = try difference(&reader, dcTables[k], number: number) }
                }
            } else {
                for mx in 0..<mcusWide {
                    for k in comps.indices {
                        let t = dcTables[k]
                        for dy in 0..<vs[k] {
                            let row = d + diffOffset[k] + dy * diffWidth[k] + mx * hs[k]
                            for dx in 0..<hs[k] { row[dx] = try difference(&reader, t, number: number) }
                        }
                    }
                }
            }
            for (k, ci) in scan.components.enumerated() {
                let c = comps[k]
                let stride = c.paddedWide
                for dy in 0..<vs[k] {
                    let y = my * vs[k] + dy
                    guard y < c.height else { break }
                    let out = planes.pointer + planeOffset[ci] + y * stride
                    let diffRow = UnsafePointer(d + diffOffset[k] + dy * diffWidth[k])
                    if firstRow[k] || y == 0 {
                        undifferenceFirstRow(diffRow, out, width: c.width, initial: initial)
                        firstRow[k] = false
                    } else {
                        undifference(diffRow, UnsafePointer(out - stride), out, width: c.width, predictor: psv)
                    }
                }
            }
        }
        try finishScan(reader, number: number)
    }

    /// One difference (H.2.2): its category, then that many bits; category 16 is 32768.
    @inline(__always)
    private func difference(_ reader: inout JPEGBitReader, _ t: JPEGHuffmanView, number: Int) throws(CodecError) -> Int32 {
        reader.ensure(32)
        if let v = reader.decodeValueFast(t) { return Int32(truncatingIfNeeded: v) }
        let s = try dcCategory(&reader, t, number: number)
        if s == 0 { return 0 }
        if s == 16 { return 32768 }
        return Int32(truncatingIfNeeded: reader.receiveExtend(s))
    }

    /// The first row of a scan or restart interval: 2^(P-Pt-1) for the first sample, then Ra.
    @inline(__always)
    private func undifferenceFirstRow(_ diff: UnsafePointer<Int32>, _ out: UnsafeMutablePointer<UInt16>, width: Int, initial: Int) {
        var ra = (Int(diff[0]) &+ initial) & 0xFFFF
        out[0] = UInt16(truncatingIfNeeded: ra)
        var x = 1
        while x < width {
            ra = (Int(diff[x]) &+ ra) & 0xFFFF
            out[x] = UInt16(truncatingIfNeeded: ra)
            x += 1
        }
    }

    /// Other rows: Rb for the first sample, then the scan's predictor (Table H.1, computed in wide integers).
    private func undifference(_ diff: UnsafePointer<Int32>, _ prev: UnsafePointer<UInt16>, _ out: UnsafeMutablePointer<UInt16>,
                              width: Int, predictor: Int) {
        switch predictor {
        case 1: row(diff, prev, out, width) { ra, _, _ in ra }
        case 2: row(diff, prev, out, width) { _, rb, _ in rb }
        case 3: row(diff, prev, out, width) { _, _, rc in rc }
        case 4: row(diff, prev, out, width) { ra, rb, rc in ra &+ rb &- rc }
        case 5: row(diff, prev, out, width) { ra, rb, rc in ra &+ ((rb &- rc) &>> 1) }
        case 6: row(diff, prev, out, width) { ra, rb, rc in rb &+ ((ra &- rc) &>> 1) }
        default: row(diff, prev, out, width) { ra, rb, _ in (ra &+ rb) &>> 1 }
        }
    }

    @inline(__always)
    private func row(_ diff: UnsafePointer<Int32>, _ prev: UnsafePointer<UInt16>, _ out: UnsafeMutablePointer<UInt16>,
                     _ width: Int, _ predict: (Int, Int, Int) -> Int) {
        var rb = Int(prev[0])
        var ra = (Int(diff[0]) &+ rb) & 0xFFFF
        out[0] = UInt16(truncatingIfNeeded: ra)
        var x = 1
        while x < width {
            let rc = rb
            rb = Int(prev[x])
            ra = (Int(diff[x]) &+ predict(ra, rb, rc)) & 0xFFFF
            out[x] = UInt16(truncatingIfNeeded: ra)
            x += 1
        }
    }
}
