import DICOM
import Foundation
@testable import ImageCodecs
import Testing

@Suite struct JPEGDecoderTests {
    // MARK: Lossless (process 14)

    /// Every predictor, precisions from 2 to 16 bits, with and without a point transform, restarts and several
    /// components, through a small encoder written from T.81 Annex H: the decoder gives the samples back.
    @Test(arguments: 1...7)
    func losslessPredictorsRoundTrip(predictor: Int) throws {
        var rng = JPEGTestRandom(seed: UInt64(predictor))
        for (precision, pt, components, interleaved, restartRows, deep) in [
            (8, 0, 1, true, 0, false), (12, 0, 1, true, 3, true), (16, 0, 1, true, 0, true), (16, 2, 1, true, 0, false),
            (2, 0, 1, true, 0, false), (10, 1, 3, true, 2, false), (16, 0, 3, false, 1, true), (12, 3, 3, true, 0, true),
        ] {
            let width = Int.random(in: 1...23, using: &rng), height = Int.random(in: 1...19, using: &rng)
            let maxValue = (1 << precision) - 1
            var planes: [[Int]] = []
            for c in 0..<components {
                planes.append((0..<(width * height)).map { i in
                    let x = i % width, y = i / width
                    // Smooth areas, noise, and the extremes (so that 16-bit data reaches category 16).
                    switch (x + 2 * y + c) % 5 {
                    case 0: return maxValue
                    case 1: return 0
                    case 2: return Int.random(in: 0...maxValue, using: &rng)
                    default: return (x * 37 + y * 11) & maxValue
                    }
                })
            }
            let stream = TestJPEGWriter.lossless(planes: planes, width: width, height: height, precision: precision,
                                                 predictor: predictor, pointTransform: pt, restartRows: restartRows,
                                                 interleaved: interleaved, deepTable: deep)
            let image = try decode(stream)
            #expect(image.process == .lossless)
            #expect(image.width == width && image.height == height && image.components == components)
            #expect(image.precision == precision)
            let mask = ~((1 << pt) - 1)
            var expected: [Int] = []
            for i in 0..<(width * height) { for c in 0..<components { expected.append(planes[c][i] & mask) } }
            #expect(samples(image) == expected, "P\(precision) Pt\(pt) Nf\(components) predictor \(predictor)")
        }
    }

    /// A 16-bit difference of exactly 32768 is coded as category 16 with no extra bits (H.1.2.2).
    @Test func losslessDifferenceOf32768() throws {
        let row = [0, 32768, 0, 65535, 32767, 0, 32768, 65535]
        let stream = TestJPEGWriter.lossless(planes: [row + row.reversed()], width: 8, height: 2, precision: 16, predictor: 1,
                                             pointTransform: 0, restartRows: 0, interleaved: true, deepTable: true)
        #expect(stream.count > 20)
        #expect(try samples(decode(stream)) == row + row.reversed())
    }

    /// A lost RST marker loses its interval's rows, not the image: the others decode exactly.
    @Test func losslessMissingRestartMarkerResyncs() throws {
        let width = 9, height = 8
        let plane = (0..<(width * height)).map { ($0 * 97) & 0xFFF }
        var stream = TestJPEGWriter.lossless(planes: [plane], width: width, height: height, precision: 12, predictor: 4,
                                             pointTransform: 0, restartRows: 2, interleaved: true, deepTable: false)
        let rst = try #require(TestJPEGWriter.restartMarkerOffsets(stream).first)
        stream.removeSubrange(rst..<(rst + 2))
        let decoded = try samples(decode(stream))
        #expect(Array(decoded[0..<(2 * width)]) == Array(plane[0..<(2 * width)]))
        #expect(Array(decoded[(4 * width)...]) == Array(plane[(4 * width)...]))
    }

    // MARK: DCT

    /// 12-bit extended sequential blocks with 16-bit quantization tables, restarts that are not whole rows and
    /// long Huffman codes: each block is the islow IDCT of its coefficients.
    @Test(arguments: [8, 12])
    func sequentialBlocksMatchTheReferenceIDCT(precision: Int) throws {
        var rng = JPEGTestRandom(seed: UInt64(precision))
        let blocksWide = 5, blocksHigh = 3, width = 37, height = 21
        let quant = (0..<64).map { 1 + ($0 * 7) % (precision == 8 ? 40 : 300) }
        let blocks = (0..<(blocksWide * blocksHigh)).map { b in
            realisticBlock(&rng, precision: precision, quant: quant, kind: b % 4)
        }
        let stream = TestJPEGWriter.sequential(blocks: blocks, blocksWide: blocksWide, width: width, height: height,
                                               precision: precision, quant: quant, restartInterval: 4)
        let image = try decode(stream)
        #expect(image.process == (precision == 8 ? .baseline : .extended))
        let out = samples(image)
        // Expected: the scalar reference IDCT of every block.
        let q = quant.map { precision == 8 ? Int32(Int16(truncatingIfNeeded: $0)) : Int32($0) }
        var plane = [UInt16](repeating: 0, count: blocksWide * 8 * blocksHigh * 8)
        var workspace = [Int32](repeating: 0, count: 64)
        for (b, coef) in blocks.enumerated() {
            let c16 = coef.map { Int16($0) }
            let offset = (b / blocksWide) * 8 * blocksWide * 8 + (b % blocksWide) * 8
            plane.withUnsafeMutableBufferPointer { p in
                JPEGIDCT.transformReference(c16, q, p.baseAddress! + offset, stride: blocksWide * 8, precision: precision,
                                            workspace: &workspace)
            }
        }
        var expected: [Int] = []
        for y in 0..<height { for x in 0..<width { expected.append(Int(plane[y * blocksWide * 8 + x])) } }
        #expect(out == expected)
    }

    /// The SIMD IDCT and the DC-only shortcut give exactly what the scalar islow reference gives, for the
    /// coefficients of real blocks (smooth, noisy, edges and the extremes) however finely quantized.
    @Test func idctVariantsAgree() {
        var rng = JPEGTestRandom(seed: 7)
        var workspace = [Int32](repeating: 0, count: 64)
        for precision in [8, 12] {
            for trial in 0..<1000 {
                let quant = (0..<64).map { _ in trial % 3 == 0 ? 1 : Int.random(in: 1...40, using: &rng) }
                let coef = realisticBlock(&rng, precision: precision, quant: quant, kind: trial % 6).map { Int16($0) }
                let q = quant.map { Int32($0) }
                var a = [UInt16](repeating: 0, count: 64), b = a
                JPEGIDCT.transformReference(coef, q, &a, stride: 8, precision: precision, workspace: &workspace)
                JPEGIDCT.transform(coef, q, &b, stride: 8, precision: precision, workspace: &workspace)
                #expect(a == b)
                if coef[1...].allSatisfy({ $0 == 0 }) {
                    var c = [UInt16](repeating: 0, count: 64)
                    JPEGIDCT.transformDC(coef[0], q[0], &c, stride: 8, precision: precision)
                    #expect(a == c)
                }
            }
        }
    }

    /// The quantized coefficients (natural order) of an 8x8 block of samples (forward DCT of A.3.3): smooth,
    /// noise, an edge, all black, all white, or a checkerboard of both.
    func realisticBlock(_ rng: inout JPEGTestRandom, precision: Int, quant: [Int], kind: Int) -> [Int] {
        let top = (1 << precision) - 1
        let base = Int.random(in: 0...top, using: &rng)
        var f = [Double](repeating: 0, count: 64)
        for y in 0..<8 {
            for x in 0..<8 {
                let v: Int
                switch kind {
                case 0: v = base
                case 1: v = min(top, max(0, base + (x - y) * Int.random(in: 0...(top / 32 + 1), using: &rng)))
                case 2: v = Int.random(in: 0...top, using: &rng)
                case 3: v = x < 3 ? 0 : top
                case 4: v = (x + y) % 2 == 0 ? 0 : top
                default: v = kind % 2 == 0 ? 0 : top
                }
                f[8 * y + x] = Double(v - (1 << (precision - 1)))
            }
        }
        var coef = [Int](repeating: 0, count: 64)
        for v in 0..<8 {
            for u in 0..<8 {
                var sum = 0.0
                for y in 0..<8 {
                    for x in 0..<8 {
                        sum += f[8 * y + x] * cos(Double(2 * x + 1) * Double(u) * .pi / 16) * cos(Double(2 * y + 1) * Double(v) * .pi / 16)
                    }
                }
                let cu = u == 0 ? 1 / 2.0.squareRoot() : 1, cv = v == 0 ? 1 / 2.0.squareRoot() : 1
                coef[8 * v + u] = Int((sum * cu * cv / 4 / Double(quant[8 * v + u])).rounded())
            }
        }
        return coef
    }

    @Test func frameHeaderOnlyReadsTheHeader() throws {
        let stream = TestJPEGWriter.sequential(blocks: [[Int](repeating: 0, count: 64)], blocksWide: 1, width: 7, height: 5,
                                               precision: 12, quant: [Int](repeating: 1, count: 64), restartInterval: 0)
        // The scan data is cut away: the header alone answers.
        let sos = try #require(TestJPEGWriter.markerOffset(stream, 0xDA))
        let header = try withBuffer(Array(stream.prefix(sos))) { raw throws(CodecError) in try JPEGDecoder.frameHeader(raw) }
        #expect(header.width == 7 && header.height == 5 && header.components == 1 && header.precision == 12)
        #expect(header.process == .extended)
        let image = try decode(stream)
        #expect(samples(image) == [Int](repeating: 2048, count: 35))
    }

    // MARK: Hostile input

    @Test func truncatedStreamsThrow() throws {
        let plane = (0..<(13 * 11)).map { ($0 * 31) & 0xFFFF }
        let lossless = TestJPEGWriter.lossless(planes: [plane], width: 13, height: 11, precision: 16, predictor: 6,
                                               pointTransform: 0, restartRows: 3, interleaved: true, deepTable: true)
        let blocks = (0..<6).map { b in (0..<64).map { $0 == 0 ? b * 40 - 100 : ($0 % 9 == b ? 3 : 0) } }
        let dct = TestJPEGWriter.sequential(blocks: blocks, blocksWide: 3, width: 20, height: 16, precision: 12,
                                            quant: [Int](repeating: 2, count: 64), restartInterval: 2)
        for stream in [lossless, dct] {
            let full = try decode(stream)
            // Without its EOI the stream still decodes (common in DICOM); cut earlier, it must throw.
            #expect(try decode(Array(stream.dropLast(2))).samples == full.samples)
            for cut in 0..<(stream.count - 3) {
                #expect(throws: CodecError.self, "cut at \(cut)") { try decode(Array(stream.prefix(cut))) }
            }
        }
    }

    @Test func badFrameHeadersThrow() throws {
        let good = TestJPEGWriter.lossless(planes: [[1, 2, 3, 4]], width: 2, height: 2, precision: 8, predictor: 1,
                                           pointTransform: 0, restartRows: 0, interleaved: true, deepTable: false)
        let sof = try #require(TestJPEGWriter.markerOffset(good, 0xC3)) + 4   // P, Y, X, Nf, components
        func patched(_ changes: [(Int, UInt8)]) -> [UInt8] {
            var s = good
            for (i, v) in changes { s[sof + i] = v }
            return s
        }
        #expect(try decode(good).samples == [1, 2, 3, 4])
        #expect(throws: CodecError.self) { try decode(patched([(1, 0), (2, 0)])) }              // height 0 (DNL)
        #expect(throws: CodecError.self) { try decode(patched([(3, 0), (4, 0)])) }              // width 0
        #expect(throws: CodecError.self) { try decode(patched([(5, 5)])) }                      // 5 components
        #expect(throws: CodecError.self) { try decode(patched([(5, 0)])) }                      // none
        #expect(throws: CodecError.self) { try decode(patched([(7, 0x01)])) }                   // sampling 0x1
        #expect(throws: CodecError.self) { try decode(patched([(7, 0x50)])) }                   // sampling 5x0
        #expect(throws: CodecError.self) { try decode(patched([(7, 0x15)])) }                   // sampling 1x5
        #expect(throws: CodecError.self) { try decode(patched([(0, 17)])) }                     // precision 17
        #expect(throws: CodecError.self) { try decode(patched([(0, 1)])) }                      // precision 1
        // 65535 x 65535 is refused before anything is allocated, and so is a small image over a small limit.
        #expect(throws: CodecError.self) { try decode(patched([(1, 0xFF), (2, 0xFF), (3, 0xFF), (4, 0xFF)])) }
        #expect(throws: CodecError.self) { try decode(good, maxPixels: 3) }
        // Not JPEG at all, and empty.
        #expect(throws: CodecError.self) { try decode([0x00, 0x01, 0x02]) }
        #expect(throws: CodecError.self) { try decode([]) }
        #expect(throws: CodecError.self) { try decode([0xFF, 0xD8, 0xFF, 0xD9]) }
        // Arithmetic coding and hierarchical frames are not supported.
        for marker: UInt8 in [0xC5, 0xC9, 0xCB] {
            var s = good
            s[sof - 3] = marker
            #expect(throws: CodecError.self) { try decode(s) }
        }
    }

    @Test func badHuffmanTablesAndScansThrow() throws {
        let good = TestJPEGWriter.lossless(planes: [[1, 2, 3, 4]], width: 2, height: 2, precision: 8, predictor: 1,
                                           pointTransform: 0, restartRows: 0, interleaved: true, deepTable: false)
        let dht = try #require(TestJPEGWriter.markerOffset(good, 0xC4)) + 4   // Tc/Th, then 16 counts
        var s = good
        s[dht + 1] = 3   // three codes of length 1
        #expect(throws: CodecError.self) { try decode(s) }
        s = good
        s[dht + 16] = 255   // counts beyond 256 codes and past the segment
        #expect(throws: CodecError.self) { try decode(s) }
        s = good
        s[dht] = 0x01   // the table becomes DC1: the scan's DC0 is undefined
        #expect(throws: CodecError.self) { try decode(s) }
        let sos = try #require(TestJPEGWriter.markerOffset(good, 0xDA)) + 4   // Ns, Cs, Td/Ta, Ss, Se, Ah/Al
        s = good
        s[sos + 2] = 0x30   // DC table 3, never defined
        #expect(throws: CodecError.self) { try decode(s) }
        s = good
        s[sos + 1] = 9      // a component not in the frame
        #expect(throws: CodecError.self) { try decode(s) }
        s = good
        s[sos + 3] = 0      // predictor 0
        #expect(throws: CodecError.self) { try decode(s) }
        s = good
        s[sos + 3] = 8      // predictor 8
        #expect(throws: CodecError.self) { try decode(s) }
        s = good
        s[sos + 5] = 8      // point transform of all 8 bits
        #expect(throws: CodecError.self) { try decode(s) }
    }

    @Test func restartMarkersOutOfOrderThrow() throws {
        let plane = (0..<(6 * 8)).map { ($0 * 5) & 0xFF }
        let stream = TestJPEGWriter.lossless(planes: [plane], width: 6, height: 8, precision: 8, predictor: 2,
                                             pointTransform: 0, restartRows: 1, interleaved: true, deepTable: false)
        let offsets = TestJPEGWriter.restartMarkerOffsets(stream)
        #expect(offsets.count == 7)
        #expect(try samples(decode(stream)) == plane)
        var allZero = stream
        for o in offsets { allZero[o + 1] = 0xD0 }
        #expect(throws: CodecError.self) { try decode(allZero) }
        var swapped = stream
        swapped[offsets[1] + 1] = 0xD2
        swapped[offsets[2] + 1] = 0xD1
        #expect(throws: CodecError.self) { try decode(swapped) }
        var backwards = stream
        backwards[offsets[3] + 1] = 0xD1
        #expect(throws: CodecError.self) { try decode(backwards) }

        let blocks = (0..<8).map { b in (0..<64).map { $0 == 0 ? b * 10 : 0 } }
        let dct = TestJPEGWriter.sequential(blocks: blocks, blocksWide: 4, width: 32, height: 16, precision: 8,
                                            quant: [Int](repeating: 4, count: 64), restartInterval: 1)
        var dctZero = dct
        for o in TestJPEGWriter.restartMarkerOffsets(dct) { dctZero[o + 1] = 0xD0 }
        #expect(throws: CodecError.self) { try decode(dctZero) }
    }

    /// Random damage to valid streams: every outcome is an error or an image of the declared size, never a trap.
    @Test func damagedStreamsNeverTrap() {
        var rng = JPEGTestRandom(seed: 42)
        let plane = (0..<(17 * 9)).map { ($0 * 131) & 0xFFF }
        let seeds = [
            TestJPEGWriter.lossless(planes: [plane, plane.reversed()], width: 17, height: 9, precision: 12, predictor: 5,
                                    pointTransform: 1, restartRows: 2, interleaved: true, deepTable: true),
            TestJPEGWriter.sequential(blocks: (0..<6).map { b in (0..<64).map { ($0 * b) % 7 - 3 } }, blocksWide: 3,
                                      width: 24, height: 16, precision: 12, quant: [Int](repeating: 3, count: 64),
                                      restartInterval: 2),
        ]
        for i in 0..<3000 {
            var s = seeds[i % seeds.count]
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let at = Int.random(in: 0..<s.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: s[at] = UInt8.random(in: 0...255, using: &rng)
                case 1: s[at] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                case 2: s = Array(s.prefix(at))
                default: s.insert(contentsOf: [0xFF, UInt8.random(in: 0xC0...0xFF, using: &rng)], at: at)
                }
                if s.isEmpty { break }
            }
            if let image = try? decode(s, maxPixels: 1 << 16) {
                let bytes = image.precision <= 8 ? 1 : 2
                #expect(image.samples.count == image.width * image.height * image.components * bytes)
            }
        }
    }

    // MARK: Against the corpus

    /// The decoded samples of the corpus's JPEG files, checked to be identical to DCMTK's dcmdjpeg (+cn +px)
    /// output when these digests (FNV-1a 64 of all frames' samples) were recorded.
    static let corpusDigests: [(path: String, frames: Int, digest: UInt64)] = [
        ("cornerstone3D/packages/dicomImageLoader/testImages/CTImage.dcm_JPEGProcess10_12TransferSyntax_1.2.840.10008.1.2.4.55.dcm", 1, 0x8c99_90cf_5103_15b6),
        ("cornerstone3D/packages/dicomImageLoader/testImages/CTImage.dcm_JPEGProcess6_8TransferSyntax_1.2.840.10008.1.2.4.53.dcm", 1, 0x8c99_90cf_5103_15b6),
        ("cornerstone3D/packages/dicomImageLoader/testImages/CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm", 1, 0x734a_aee6_5a81_18ad),
        ("cornerstone3D/packages/dicomImageLoader/testImages/TestPattern_JPEG-Baseline_YBRFull.dcm", 1, 0xde2b_9d1d_e0ac_1945),
        ("dcm4che/dcm4che-test-data/src/main/resources/MR-JPEGLosslessSV1.dcm", 1, 0xcff9_dccd_3017_2db9),
        ("dcm4che/dcm4che-test-data/src/main/resources/NM1_JPLY", 1, 0x55ea_d43f_2558_5a5c),
        ("dicom-test-files/data/WG04/JPLL/MR2_JPLL", 1, 0x5b78_f39e_5b95_d7e0),
        ("dicom-test-files/data/WG04/JPLL/NM1_JPLL", 1, 0xfb85_47fb_401a_1ab5),
        ("dicom-test-files/data/WG04/JPLL/SC1_JPLL", 1, 0x1472_5fc0_14f9_9596),
        ("dicom-test-files/data/WG04/JPLL/XA1_JPLL", 1, 0x17ea_fde1_4b18_d1ca),
        ("dicom-test-files/data/WG04/JPLY/MG1_JPLY", 1, 0x2090_d5c1_fc57_4ad7),
        ("dicom-test-files/data/WG04/JPLY/SC1_JPLY", 1, 0x803f_a4d7_7ced_0447),
        ("dicom-test-files/data/WG04/JPLY/XA1_JPLY", 1, 0x4a59_5aca_1a86_8d21),
        ("dicom-test-files/data/pydicom/SC_rgb_dcmtk_+eb+cy+s4.dcm", 1, 0x44b6_f485_ccae_622d),
        ("dicom-test-files/data/pydicom/SC_rgb_jpeg_gdcm.dcm", 1, 0xe971_9e4c_815a_c1dd),
        ("dicom-test-files/data/pydicom/SC_rgb_dcmtk_+eb+cr.dcm", 1, 0x4664_7151_3697_1bad),
        ("dicom-test-files/data/pydicom/SC_rgb_dcmtk_+eb+cy+n1.dcm", 1, 0x7fcc_d74d_691a_6351),
        ("dicom-test-files/data/pydicom/SC_rgb_small_odd_jpeg.dcm", 1, 0x77e1_b2b7_f682_5ced),
        ("fo-dicom/Tests/FO-DICOM.Tests/Test Data/GH1261.dcm", 1, 0x4ec7_5299_91fe_3dc5),
        ("fo-dicom/Tests/FO-DICOM.Tests/Test Data/GH133.dcm", 1, 0xd5bc_b8a3_6310_1cd4),
        ("fo-dicom/Tests/FO-DICOM.Tests/Test Data/GH184.dcm", 1, 0x8778_b045_3476_171e),
        ("fo-dicom/Tests/FO-DICOM.Tests/Test Data/GH195.dcm", 1, 0xd75a_bd16_a892_7b30),
        ("fo-dicom/Tests/FO-DICOM.Tests/Test Data/HasFragmentSequence.dcm", 96, 0xba83_6551_5696_faa0),
        ("fo-dicom/Tests/FO-DICOM.Tests/Test Data/JPEGwithIcon.dcm", 1, 0xc4f7_5fa8_8aee_68f3),
        ("orthanc-tests/Database/Encodings/Lena-arabic.dcm", 1, 0x4527_22cf_6535_0cac),
        ("orthanc-tests/Database/Issue44/Monochrome1-Jpeg.dcm", 1, 0x1d1d_ecbc_ebb1_cf03),
        ("orthanc-tests/Database/Knix/Loc/IM-0001-0001.dcm", 1, 0xaf2f_3d73_af93_2db4),
        ("orthanc-tests/Database/Knix/Loc/IM-0001-0004.dcm", 1, 0xa27d_85bb_b0dc_5b61),
        ("orthanc-tests/Database/Knix/Loc/IM-0001-0009.dcm", 1, 0xa7d9_ae1f_ed3e_476a),
        ("orthanc-tests/Database/Knix/Loc/IM-0001-0010.dcm", 1, 0xe989_7caa_c364_6d61),
        ("orthanc-tests/Database/Knix/Loc/IM-0001-0012.dcm", 1, 0xb1dd_e1fe_e082_1aba),
        ("orthanc-tests/Database/Knix/Loc/IM-0001-0022.dcm", 1, 0x2689_6f58_6fbe_ab20),
        ("orthanc-tests/Database/Knix/Loc/IM-0001-0024.dcm", 1, 0x8c59_5d35_2341_219c),
        ("orthanc-tests/Database/LenaTwiceWithFragments.dcm", 2, 0x38fa_a401_6ed5_c079),
        ("orthanc-tests/Database/PatientWith2studies/TEST_1_study_1234.dcm", 1, 0x1016_0988_cf87_8e4f),
        ("orthanc-tests/Database/TransferSyntaxes/1.2.840.10008.1.2.4.50.dcm", 1, 0x7da4_e187_6d4e_0f25),
        ("pylibjpeg-data/ljdata/ds/JPEGBaseline/JPEGBaseline_1s_1f_u_08_08.dcm", 1, 0x2658_e951_80c2_5f6d),
        ("pylibjpeg-data/ljdata/ds/JPEGExtended/JPEGExtended_3s_1f_u_08_08.dcm", 1, 0x3020_a81b_0a59_f518),
        ("pylibjpeg-data/ljdata/ds/JPEGLossless/JPEGLossless_1s_1f_i_16_16_bad.dcm", 1, 0x0773_b19e_69ce_bfd6),
        ("pylibjpeg-data/ljdata/ds/JPEGLosslessSV1/JPEGLosslessP14SV1_3s_2f_u_08_08.dcm", 2, 0x4f3b_da20_21db_b5fa),
        ("pydicom-wheel/test_files/SC_jpeg_no_color_transform.dcm", 1, 0xe15f_f104_193f_93b8),
        ("pydicom-wheel/test_files/SC_jpeg_no_color_transform_2.dcm", 1, 0x2726_9c85_bef0_fc37),
        ("pydicom-wheel/test_files/examples_ybr_color.dcm", 30, 0x3a64_00ee_b5bf_2d56),
    ]

    @Test(arguments: corpusDigests.indices)
    func decodesTheCorpusLikeDCMTK(index: Int) throws {
        let entry = Self.corpusDigests[index]
        let path = corpusFolder + "/" + entry.path
        guard FileManager.default.fileExists(atPath: path) else {
            print("SKIP: \(path) is absent")
            return
        }
        let frames = try Self.jpegFrames(path)
        #expect(frames.count == entry.frames)
        var digest: UInt64 = 0xcbf2_9ce4_8422_2325
        for frame in frames {
            let image = try decode(frame)
            for b in image.samples {
                digest ^= UInt64(b)
                digest = digest &* 0x100_0000_01b3
            }
        }
        #expect(digest == entry.digest, "\(entry.path)")
    }

    /// fo-dicom's genFile.dcm holds a frame that is not JPEG (DCMTK refuses it too).
    @Test func refusesTheCorpusFrameWithoutSOI() throws {
        let path = corpusFolder + "/fo-dicom/Tests/FO-DICOM.Tests/Test Data/genFile.dcm"
        guard FileManager.default.fileExists(atPath: path) else {
            print("SKIP: \(path) is absent")
            return
        }
        let frame = try #require(try Self.jpegFrames(path).first)
        #expect(throws: CodecError.self) { try decode(frame) }
    }

    /// The frames of an encapsulated file; fragments are regrouped at each SOI when the offset table does not
    /// give one group per frame.
    static func jpegFrames(_ path: String) throws -> [[UInt8]] {
        let file = try DICOMFile(bytes: ByteRegion.file(at: path).bytes)
        let ds = file.dataSet
        let count = ds.integers(.numberOfFrames)?.first ?? 1
        let encapsulated = try #require(ds[.pixelData]?.encapsulated)
        let groups = encapsulated.frames(numberOfFrames: count)
        if groups.count == count { return groups.map { $0.flatMap { Array($0) } } }
        var frames: [[UInt8]] = []
        for fragment in encapsulated.fragments {
            let bytes = Array(fragment)
            if bytes.starts(with: [0xFF, 0xD8]) || frames.isEmpty { frames.append(bytes) } else { frames[frames.count - 1] += bytes }
        }
        return frames
    }

    var corpusFolder: String {
        ProcessInfo.processInfo.environment["LIGHTBOX_SHARED"].map { $0 + "/corpus" }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus").path
    }

    // MARK: Helpers

    func decode(_ bytes: [UInt8], maxPixels: Int = 1 << 28) throws(CodecError) -> JPEGDecoder.Image {
        try withBuffer(bytes) { raw throws(CodecError) in try JPEGDecoder.decode(raw, maxPixels: maxPixels) }
    }

    /// The bytes in a buffer of their own (so that reads past the end would be caught by sanitizers).
    func withBuffer<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(CodecError) -> R) throws(CodecError) -> R {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: bytes)
        return try body(UnsafeRawBufferPointer(buffer))
    }

    /// The samples as integers (1 or 2 bytes little endian each).
    func samples(_ image: JPEGDecoder.Image) -> [Int] {
        if image.precision <= 8 { return image.samples.map(Int.init) }
        return stride(from: 0, to: image.samples.count, by: 2).map { Int(image.samples[$0]) | Int(image.samples[$0 + 1]) << 8 }
    }
}

/// A deterministic generator (SplitMix64) so that failures reproduce.
struct JPEGTestRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A small JPEG writer for the tests, from T.81: Huffman-coded lossless (process 14) and sequential DCT streams
/// whose quantized coefficients are given.
enum TestJPEGWriter {
    struct HuffmanTable {
        var counts: [Int]
        var symbols: [UInt8]
        var codes: [Int: (code: Int, length: Int)] = [:]

        init(counts: [Int], symbols: [UInt8]) {
            self.counts = counts
            self.symbols = symbols
            var code = 0, i = 0
            for length in 1...16 {
                for _ in 0..<counts[length - 1] {
                    codes[Int(symbols[i])] = (code, length)
                    code += 1
                    i += 1
                }
                code <<= 1
            }
        }

        var segment: [UInt8] { counts.map { UInt8($0) } + symbols }

        /// Categories 0...16 with codes of 5 bits, or of 2 to 16 bits (so long codes are exercised too).
        static func categories(deep: Bool, count: Int = 17) -> HuffmanTable {
            var counts = [Int](repeating: 0, count: 16)
            if deep {
                for length in 2...15 { counts[length - 1] = 1 }
                counts[15] = count - 14
            } else {
                counts[4] = count
            }
            return HuffmanTable(counts: counts, symbols: (0..<count).map { UInt8($0) })
        }

        /// Every AC symbol (EOB, ZRL and run/size with size 1...15): 200 codes of 8 bits and 42 of 10 bits.
        static var ac: HuffmanTable {
            var symbols: [UInt8] = [0x00, 0xF0]
            for r in 0..<16 { for s in 1..<16 { symbols.append(UInt8(r << 4 | s)) } }
            var counts = [Int](repeating: 0, count: 16)
            counts[7] = 200
            counts[9] = symbols.count - 200
            return HuffmanTable(counts: counts, symbols: symbols)
        }
    }

    struct BitWriter {
        var bytes: [UInt8] = []
        var acc = 0, count = 0

        mutating func put(_ value: Int, _ n: Int) {
            for i in stride(from: n - 1, through: 0, by: -1) {
                acc = acc << 1 | (value >> i) & 1
                count += 1
                if count == 8 {
                    bytes.append(UInt8(acc))
                    if acc == 0xFF { bytes.append(0) }
                    acc = 0
                    count = 0
                }
            }
        }

        mutating func put(_ symbol: Int, _ table: HuffmanTable) {
            let c = table.codes[symbol]!
            put(c.code, c.length)
        }

        /// Pads the last byte with 1 bits (F.1.2.3) and returns the bytes.
        mutating func finish() -> [UInt8] {
            while count != 0 { put(1, 1) }
            defer { bytes = [] }
            return bytes
        }
    }

    static func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0xFF, marker, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
    }

    static func frameHeader(_ marker: UInt8, precision: Int, width: Int, height: Int, components: Int) -> [UInt8] {
        var p: [UInt8] = [UInt8(precision), UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF), UInt8(components)]
        for c in 0..<components { p += [UInt8(c + 1), 0x11, 0] }
        return segment(marker, p)
    }

    static func category(_ d: Int) -> Int {
        var m = abs(d), s = 0
        while m > 0 { s += 1; m >>= 1 }
        return s
    }

    /// A value as its category's extra bits (F.1.2.1).
    static func put(_ d: Int, _ table: HuffmanTable, _ w: inout BitWriter) {
        let s = category(d)
        w.put(s, table)
        if s > 0 { w.put(d >= 0 ? d : d + (1 << s) - 1, s) }
    }

    /// Lossless: one interleaved scan (or one scan per component), all components 1x1, restarts every
    /// `restartRows` rows.
    static func lossless(planes: [[Int]], width: Int, height: Int, precision: Int, predictor: Int, pointTransform pt: Int,
                         restartRows: Int, interleaved: Bool, deepTable: Bool) -> [UInt8] {
        let table = HuffmanTable.categories(deep: deepTable)
        var out: [UInt8] = [0xFF, 0xD8]
        out += frameHeader(0xC3, precision: precision, width: width, height: height, components: planes.count)
        out += segment(0xC4, [0x00] + table.segment)
        if restartRows > 0 {
            let interval = restartRows * width
            out += segment(0xDD, [UInt8(interval >> 8), UInt8(interval & 0xFF)])
        }
        let scans = interleaved ? [Array(planes.indices)] : planes.indices.map { [$0] }
        for scan in scans {
            var header: [UInt8] = [UInt8(scan.count)]
            for c in scan { header += [UInt8(c + 1), 0x00] }
            out += segment(0xDA, header + [UInt8(predictor), 0, UInt8(pt)])
            var w = BitWriter(), restarts = 0, firstRow = 0
            for y in 0..<height {
                if restartRows > 0 && y > 0 && y % restartRows == 0 {
                    out += w.finish() + [0xFF, UInt8(0xD0 + restarts % 8)]
                    restarts += 1
                    firstRow = y
                }
                for x in 0..<width {
                    for c in scan {
                        func sample(_ x: Int, _ y: Int) -> Int { planes[c][y * width + x] >> pt }
                        let prediction: Int
                        if y == firstRow {
                            prediction = x == 0 ? 1 << (precision - pt - 1) : sample(x - 1, y)
                        } else if x == 0 {
                            prediction = sample(0, y - 1)
                        } else {
                            let ra = sample(x - 1, y), rb = sample(x, y - 1), rc = sample(x - 1, y - 1)
                            switch predictor {
                            case 1: prediction = ra
                            case 2: prediction = rb
                            case 3: prediction = rc
                            case 4: prediction = ra + rb - rc
                            case 5: prediction = ra + ((rb - rc) >> 1)
                            case 6: prediction = rb + ((ra - rc) >> 1)
                            default: prediction = (ra + rb) >> 1
                            }
                        }
                        var d = (sample(x, y) - prediction) & 0xFFFF
                        if d > 32768 { d -= 65536 }
                        if d == 32768 { w.put(16, table) } else { put(d, table, &w) }
                    }
                }
            }
            out += w.finish()
        }
        return out + [0xFF, 0xD9]
    }

    /// Sequential DCT, one component: blocks of quantized coefficients in natural order, row by row.
    /// Baseline for 8 bits, extended (SOF1, 16-bit quantization table) for 12.
    static func sequential(blocks: [[Int]], blocksWide: Int, width: Int, height: Int, precision: Int, quant: [Int],
                           restartInterval: Int) -> [UInt8] {
        let dc = HuffmanTable.categories(deep: true, count: 16), ac = HuffmanTable.ac
        let zigzag = JPEGZigzag.natural
        var out: [UInt8] = [0xFF, 0xD8]
        var dqt: [UInt8] = [precision == 8 ? 0x00 : 0x10]
        for k in 0..<64 {
            let q = quant[zigzag[k]]
            dqt += precision == 8 ? [UInt8(q)] : [UInt8(q >> 8), UInt8(q & 0xFF)]
        }
        out += segment(0xDB, dqt)
        out += frameHeader(precision == 8 ? 0xC0 : 0xC1, precision: precision, width: width, height: height, components: 1)
        out += segment(0xC4, [0x00] + dc.segment)
        out += segment(0xC4, [0x10] + ac.segment)
        if restartInterval > 0 { out += segment(0xDD, [0, UInt8(restartInterval)]) }
        out += segment(0xDA, [1, 1, 0x00, 0, 63, 0])
        var w = BitWriter(), previous = 0, restarts = 0
        for (i, block) in blocks.enumerated() {
            if restartInterval > 0 && i > 0 && i % restartInterval == 0 {
                out += w.finish() + [0xFF, UInt8(0xD0 + restarts % 8)]
                restarts += 1
                previous = 0
            }
            put(block[0] - previous, dc, &w)
            previous = block[0]
            var run = 0
            for k in 1..<64 {
                let v = block[zigzag[k]]
                if v == 0 { run += 1; continue }
                while run > 15 { w.put(0xF0, ac); run -= 16 }
                let s = category(v)
                w.put(run << 4 | s, ac)
                w.put(v >= 0 ? v : v + (1 << s) - 1, s)
                run = 0
            }
            if run > 0 { w.put(0x00, ac) }
        }
        _ = blocksWide
        return out + w.finish() + [0xFF, 0xD9]
    }

    static func markerOffset(_ s: [UInt8], _ marker: UInt8) -> Int? {
        (0..<(s.count - 1)).first { s[$0] == 0xFF && s[$0 + 1] == marker }
    }

    static func restartMarkerOffsets(_ s: [UInt8]) -> [Int] {
        (0..<(s.count - 1)).filter { s[$0] == 0xFF && (0xD0...0xD7).contains(s[$0 + 1]) }
    }
}
