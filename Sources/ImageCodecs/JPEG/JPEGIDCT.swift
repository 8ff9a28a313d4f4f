/// Dequantization and inverse DCT of one 8x8 block (T.81 A.3.3), level shift and clamping to [0, 2^P - 1].
///
/// This is the IJG "islow" algorithm (jidctint.c: Loeffler-Ligtenberg-Moschytz with 13-bit constants), with the
/// same pass-1 scaling (2 bits for 8-bit samples, 1 bit for 12-bit) and the same range limiting, so the output is
/// identical to libjpeg's default IDCT as used by DCMTK and libjpeg-turbo. `transform` (used by the decoders)
/// works in 32-bit SIMD lanes; `transformReference` is the scalar 64-bit version. All arithmetic wraps: nothing
/// can trap on hostile coefficients.
enum JPEGIDCT {
    private static let fix0_298631336 = 2446
    private static let fix0_390180644 = 3196
    private static let fix0_541196100 = 4433
    private static let fix0_765366865 = 6270
    private static let fix0_899976223 = 7373
    private static let fix1_175875602 = 9633
    private static let fix1_501321110 = 12299
    private static let fix1_847759065 = 15137
    private static let fix1_961570560 = 16069
    private static let fix2_053119869 = 16819
    private static let fix2_562915447 = 20995
    private static let fix3_072711026 = 25172
    private static let constBits = 13

    /// The scalar version, in 64-bit arithmetic as libjpeg on LP64: the reference for `transform`.
    @inline(__always)
    static func transformReference(_ coef: UnsafePointer<Int16>, _ quant: UnsafePointer<Int32>, _ out: UnsafeMutablePointer<UInt16>,
                                   stride: Int, precision: Int, workspace ws: UnsafeMutablePointer<Int32>) {
        if precision == 8 {
            run(coef, quant, out, stride: stride, pass1: 2, bits: 8, ws)
        } else {
            run(coef, quant, out, stride: stride, pass1: 1, bits: 12, ws)
        }
    }

    /// The same result as `transform` for a block whose AC coefficients are all zero: one value.
    @inline(__always)
    static func transformDC(_ dc: Int16, _ q0: Int32, _ out: UnsafeMutablePointer<UInt16>, stride: Int, precision: Int) {
        let pass1 = precision == 8 ? 2 : 1
        let ws = Int(Int32(truncatingIfNeeded: (Int(dc) &* Int(q0)) &<< pass1))
        let shift = pass1 + 3
        let n = 1 << precision
        let v = ((ws &+ (1 &<< (shift - 1))) &>> shift)
        let w = ((v &+ 2 &* n) & (4 &* n &- 1)) &- 2 &* n
        let value = UInt16(truncatingIfNeeded: min(max(w &+ (n >> 1), 0), n - 1))
        for r in 0..<8 {
            let o = out + r * stride
            for k in 0..<8 { o[k] = value }
        }
    }

    @inline(__always)
    private static func run(_ inp: UnsafePointer<Int16>, _ q: UnsafePointer<Int32>, _ out: UnsafeMutablePointer<UInt16>,
                            stride: Int, pass1: Int, bits: Int, _ ws: UnsafeMutablePointer<Int32>) {
        // Pass 1: columns.
        for c in 0..<8 {
            if inp[8 + c] == 0 && inp[16 + c] == 0 && inp[24 + c] == 0 && inp[32 + c] == 0 &&
                inp[40 + c] == 0 && inp[48 + c] == 0 && inp[56 + c] == 0 {
                let dc = Int32(truncatingIfNeeded: (Int(inp[c]) &* Int(q[c])) &<< pass1)
                for r in 0..<8 { ws[8 * r + c] = dc }
                continue
            }
            let z2 = Int(inp[16 + c]) &* Int(q[16 + c])
            let z3 = Int(inp[48 + c]) &* Int(q[48 + c])
            let z1 = (z2 &+ z3) &* fix0_541196100
            let tmp2e = z1 &+ z3 &* -fix1_847759065
            let tmp3e = z1 &+ z2 &* fix0_765366865
            let d0 = Int(inp[c]) &* Int(q[c])
            let d4 = Int(inp[32 + c]) &* Int(q[32 + c])
            let tmp0e = (d0 &+ d4) &<< constBits
            let tmp1e = (d0 &- d4) &<< constBits
            let tmp10 = tmp0e &+ tmp3e, tmp13 = tmp0e &- tmp3e
            let tmp11 = tmp1e &+ tmp2e, tmp12 = tmp1e &- tmp2e
            let (tmp0, tmp1, tmp2, tmp3) = odd(Int(inp[56 + c]) &* Int(q[56 + c]), Int(inp[40 + c]) &* Int(q[40 + c]),
                                               Int(inp[24 + c]) &* Int(q[24 + c]), Int(inp[8 + c]) &* Int(q[8 + c]))
            let shift = constBits - pass1
            let round = 1 &<< (shift - 1)
            ws[c] = Int32(truncatingIfNeeded: (tmp10 &+ tmp3 &+ round) &>> shift)
            ws[56 + c] = Int32(truncatingIfNeeded: (tmp10 &- tmp3 &+ round) &>> shift)
            ws[8 + c] = Int32(truncatingIfNeeded: (tmp11 &+ tmp2 &+ round) &>> shift)
            ws[48 + c] = Int32(truncatingIfNeeded: (tmp11 &- tmp2 &+ round) &>> shift)
            ws[16 + c] = Int32(truncatingIfNeeded: (tmp12 &+ tmp1 &+ round) &>> shift)
            ws[40 + c] = Int32(truncatingIfNeeded: (tmp12 &- tmp1 &+ round) &>> shift)
            ws[24 + c] = Int32(truncatingIfNeeded: (tmp13 &+ tmp0 &+ round) &>> shift)
            ws[32 + c] = Int32(truncatingIfNeeded: (tmp13 &- tmp0 &+ round) &>> shift)
        }
        // Pass 2: rows, descaled by 2^(13 + pass1 + 3), range limited as libjpeg's range_limit table does.
        let n = 1 << bits
        let center = n >> 1, maxValue = n - 1
        @inline(__always) func limit(_ v: Int) -> UInt16 {
            let w = ((v &+ 2 &* n) & (4 &* n &- 1)) &- 2 &* n
            return UInt16(truncatingIfNeeded: min(max(w &+ center, 0), maxValue))
        }
        for r in 0..<8 {
            let w = ws + 8 * r
            let o = out + r * stride
            if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
                let shift = pass1 + 3
                let v = limit((Int(w[0]) &+ (1 &<< (shift - 1))) &>> shift)
                for k in 0..<8 { o[k] = v }
                continue
            }
            let z2 = Int(w[2]), z3 = Int(w[6])
            let z1 = (z2 &+ z3) &* fix0_541196100
            let tmp2e = z1 &+ z3 &* -fix1_847759065
            let tmp3e = z1 &+ z2 &* fix0_765366865
            let tmp0e = (Int(w[0]) &+ Int(w[4])) &<< constBits
            let tmp1e = (Int(w[0]) &- Int(w[4])) &<< constBits
            let tmp10 = tmp0e &+ tmp3e, tmp13 = tmp0e &- tmp3e
            let tmp11 = tmp1e &+ tmp2e, tmp12 = tmp1e &- tmp2e
            let (tmp0, tmp1, tmp2, tmp3) = odd(Int(w[7]), Int(w[5]), Int(w[3]), Int(w[1]))
            let shift = constBits + pass1 + 3
            let round = 1 &<< (shift - 1)
            o[0] = limit((tmp10 &+ tmp3 &+ round) &>> shift)
            o[7] = limit((tmp10 &- tmp3 &+ round) &>> shift)
            o[1] = limit((tmp11 &+ tmp2 &+ round) &>> shift)
            o[6] = limit((tmp11 &- tmp2 &+ round) &>> shift)
            o[2] = limit((tmp12 &+ tmp1 &+ round) &>> shift)
            o[5] = limit((tmp12 &- tmp1 &+ round) &>> shift)
            o[3] = limit((tmp13 &+ tmp0 &+ round) &>> shift)
            o[4] = limit((tmp13 &- tmp0 &+ round) &>> shift)
        }
    }

    /// The odd part (figure 8 of the paper): inputs y7, y5, y3, y1.
    @inline(__always)
    private static func odd(_ t0: Int, _ t1: Int, _ t2: Int, _ t3: Int) -> (Int, Int, Int, Int) {
        let z1 = t0 &+ t3, z2 = t1 &+ t2, z3 = t0 &+ t2, z4 = t1 &+ t3
        let z5 = (z3 &+ z4) &* fix1_175875602
        let a0 = t0 &* fix0_298631336, a1 = t1 &* fix2_053119869
        let a2 = t2 &* fix3_072711026, a3 = t3 &* fix1_501321110
        let m1 = z1 &* -fix0_899976223, m2 = z2 &* -fix2_562915447
        let m3 = z3 &* -fix1_961570560 &+ z5, m4 = z4 &* -fix0_390180644 &+ z5
        return (a0 &+ m1 &+ m3, a1 &+ m2 &+ m4, a2 &+ m2 &+ m3, a3 &+ m1 &+ m4)
    }

    // MARK: SIMD version (8 columns or 8 rows at once)

    typealias V = SIMD8<Int32>

    /// Transforms `coef` (64 quantized coefficients in natural order) with `quant` (natural order) into 8 rows
    /// of 8 samples at `out` (row stride `stride`). `workspace` holds 64 Int32.
    ///
    /// The work is done in 32-bit SIMD lanes: all columns of pass 1 at once, then (through a transposition in
    /// `workspace`) all rows of pass 2. Every intermediate value is a sum of at most 61214 times the largest input
    /// of its pass, so the result is exactly `transformReference`'s while the dequantized coefficients and the
    /// pass-1 outputs stay within +-35080: always for valid data (IJG's analysis: 12-bit pass-1 outputs fit in
    /// 16 bits). Corrupt coefficients beyond that wrap (as libjpeg does where its INT32 is 32 bits) but never trap.
    @inline(__always)
    static func transform(_ coef: UnsafePointer<Int16>, _ quant: UnsafePointer<Int32>, _ out: UnsafeMutablePointer<UInt16>,
                          stride: Int, precision: Int, workspace ws: UnsafeMutablePointer<Int32>) {
        let pass1: Int32 = precision == 8 ? 2 : 1
        @inline(__always) func row(_ r: Int) -> V {
            let c = UnsafeRawPointer(coef + 8 * r).loadUnaligned(as: SIMD8<Int16>.self)
            let q = UnsafeRawPointer(quant + 8 * r).loadUnaligned(as: V.self)
            // |coef| <= 2^15 and |q| < 2^16: the product cannot wrap.
            return V(truncatingIfNeeded: c) &* q
        }
        let y0 = row(0), y1 = row(1), y2 = row(2), y3 = row(3), y4 = row(4), y5 = row(5), y6 = row(6), y7 = row(7)
        // Pass 1: lanes are columns, so the 1-D transform of every column runs at once.
        var (o0, o1, o2, o3, o4, o5, o6, o7) = idct1D(y0, y1, y2, y3, y4, y5, y6, y7)
        var shift = V(repeating: 13 - pass1)
        var round = V(repeating: 1) &<< (shift &- 1)
        o0 = (o0 &+ round) &>> shift; o1 = (o1 &+ round) &>> shift
        o2 = (o2 &+ round) &>> shift; o3 = (o3 &+ round) &>> shift
        o4 = (o4 &+ round) &>> shift; o5 = (o5 &+ round) &>> shift
        o6 = (o6 &+ round) &>> shift; o7 = (o7 &+ round) &>> shift
        // Transpose: workspace row j holds column j.
        @inline(__always) func scatter(_ v: V, _ r: Int) {
            ws[r] = v[0]; ws[8 + r] = v[1]; ws[16 + r] = v[2]; ws[24 + r] = v[3]
            ws[32 + r] = v[4]; ws[40 + r] = v[5]; ws[48 + r] = v[6]; ws[56 + r] = v[7]
        }
        scatter(o0, 0); scatter(o1, 1); scatter(o2, 2); scatter(o3, 3)
        scatter(o4, 4); scatter(o5, 5); scatter(o6, 6); scatter(o7, 7)
        @inline(__always) func col(_ j: Int) -> V { UnsafeRawPointer(ws + 8 * j).loadUnaligned(as: V.self) }
        // Pass 2: lanes are rows.
        var (p0, p1, p2, p3, p4, p5, p6, p7) = idct1D(col(0), col(1), col(2), col(3), col(4), col(5), col(6), col(7))
        shift = V(repeating: 13 + pass1 + 3)
        round = V(repeating: 1) &<< (shift &- 1)
        let n = Int32(1) << Int32(precision)
        let twoN = V(repeating: 2 * n), mask = V(repeating: 4 * n - 1)
        let center = V(repeating: n >> 1), top = V(repeating: n - 1)
        @inline(__always) func limit(_ v: V) -> V {
            var w = ((((v &+ round) &>> shift) &+ twoN) & mask) &- twoN &+ center
            w &= ~(w &>> 31)                    // below 0: 0
            let over = top &- w
            return w &+ (over & (over &>> 31))  // above the top: the top
        }
        p0 = limit(p0); p1 = limit(p1); p2 = limit(p2); p3 = limit(p3)
        p4 = limit(p4); p5 = limit(p5); p6 = limit(p6); p7 = limit(p7)
        for r in 0..<8 {
            let o = out + r * stride
            o[0] = UInt16(truncatingIfNeeded: p0[r]); o[1] = UInt16(truncatingIfNeeded: p1[r])
            o[2] = UInt16(truncatingIfNeeded: p2[r]); o[3] = UInt16(truncatingIfNeeded: p3[r])
            o[4] = UInt16(truncatingIfNeeded: p4[r]); o[5] = UInt16(truncatingIfNeeded: p5[r])
            o[6] = UInt16(truncatingIfNeeded: p6[r]); o[7] = UInt16(truncatingIfNeeded: p7[r])
        }
    }

    /// One 1-D islow IDCT of inputs y0...y7 (undescaled outputs 0...7).
    @inline(__always)
    private static func idct1D(_ y0: V, _ y1: V, _ y2: V, _ y3: V, _ y4: V, _ y5: V, _ y6: V, _ y7: V)
        -> (V, V, V, V, V, V, V, V) {
        let z1 = (y2 &+ y6) &* V(repeating: Int32(fix0_541196100))
        let tmp2 = z1 &+ y6 &* V(repeating: Int32(-fix1_847759065))
        let tmp3 = z1 &+ y2 &* V(repeating: Int32(fix0_765366865))
        let tmp0 = (y0 &+ y4) &<< 13
        let tmp1 = (y0 &- y4) &<< 13
        let tmp10 = tmp0 &+ tmp3, tmp13 = tmp0 &- tmp3
        let tmp11 = tmp1 &+ tmp2, tmp12 = tmp1 &- tmp2
        let a = y7, b = y5, c = y3, d = y1
        let zz1 = a &+ d, zz2 = b &+ c, zz3 = a &+ c, zz4 = b &+ d
        let z5 = (zz3 &+ zz4) &* V(repeating: Int32(fix1_175875602))
        let a0 = a &* V(repeating: Int32(fix0_298631336)), a1 = b &* V(repeating: Int32(fix2_053119869))
        let a2 = c &* V(repeating: Int32(fix3_072711026)), a3 = d &* V(repeating: Int32(fix1_501321110))
        let m1 = zz1 &* V(repeating: Int32(-fix0_899976223)), m2 = zz2 &* V(repeating: Int32(-fix2_562915447))
        let m3 = zz3 &* V(repeating: Int32(-fix1_961570560)) &+ z5, m4 = zz4 &* V(repeating: Int32(-fix0_390180644)) &+ z5
        let t0 = a0 &+ m1 &+ m3, t1 = a1 &+ m2 &+ m4, t2 = a2 &+ m2 &+ m3, t3 = a3 &+ m1 &+ m4
        return (tmp10 &+ t3, tmp11 &+ t2, tmp12 &+ t1, tmp13 &+ t0, tmp13 &- t0, tmp12 &- t1, tmp11 &- t2, tmp10 &- t3)
    }
}
