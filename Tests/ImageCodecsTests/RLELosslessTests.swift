import DICOM
import Foundation
import ImageCodecs
import Testing

@Suite struct RLELosslessTests {
    // MARK: Round trips

    @Test(arguments: [(1, 8), (1, 16), (3, 8), (3, 16), (1, 32), (3, 32)])
    func encodeThenDecodeIsExact(samples: Int, bits: Int) throws {
        let g = FrameGeometry(rows: 37, columns: 53, samplesPerPixel: samples, bitsAllocated: bits)
        var rng = SystemRandomNumberGenerator()
        // Runs and noise mixed, so that both replicate and literal runs (and the 128-byte limits) occur.
        var pixels = [UInt8](repeating: 0, count: g.frameLength!)
        for i in pixels.indices { pixels[i] = i % 700 < 300 ? UInt8(i / 700 % 256) : UInt8.random(in: 0...255, using: &rng) }
        let encoded = try RLELossless.encode(pixels, geometry: g)
        #expect(encoded.count % 2 == 0)
        #expect(try RLELossless.decode(encoded, geometry: g) == pixels)
    }

    @Test func constantImageCompressesToReplicateRuns() throws {
        let g = FrameGeometry(rows: 512, columns: 512, samplesPerPixel: 1, bitsAllocated: 16)
        let pixels = [UInt8](repeating: 7, count: g.frameLength!)
        let encoded = try RLELossless.encode(pixels, geometry: g)
        // 2 segments x 512 rows x 4 runs of 2 bytes (128+128+128+128), plus the header.
        #expect(encoded.count == 64 + 2 * 512 * 4 * 2)
        #expect(try RLELossless.decode(encoded, geometry: g) == pixels)
    }

    /// A frame written by hand from PS3.5 G.3.1: one segment, a literal run of 3 then a replicate run of 4.
    @Test func decodesAHandWrittenSegment() throws {
        var frame = [UInt8](repeating: 0, count: 64)
        frame[0] = 1
        frame[4] = 64
        frame += [0x02, 10, 20, 30, 0xFD, 99, 0x80, 0x00]
        let g = FrameGeometry(rows: 1, columns: 7, samplesPerPixel: 1, bitsAllocated: 8)
        #expect(try RLELossless.decode(frame, geometry: g) == [10, 20, 30, 99, 99, 99, 99])
    }

    // MARK: Hostile input

    @Test func refusesBadFramesWithAReason() {
        let g = FrameGeometry(rows: 4, columns: 4, samplesPerPixel: 1, bitsAllocated: 16)
        var header = [UInt8](repeating: 0, count: 64)
        #expect(throws: CodecError.self) { try RLELossless.decode([1, 2, 3], geometry: g) }
        header[0] = 3  // three segments where 16-bit grey needs two
        #expect(throws: CodecError.self) { try RLELossless.decode(header, geometry: g) }
        header[0] = 2
        header[4] = 64
        header[8] = 0xFF; header[9] = 0xFF  // second segment far past the end
        #expect(throws: CodecError.self) { try RLELossless.decode(header + [0x0F, 1], geometry: g) }
        header[8] = 66; header[9] = 0
        // A literal run longer than what is left.
        #expect(throws: CodecError.self) { try RLELossless.decode(header + [0x7F, 1] + [0xF1, 0], geometry: g) }
        // Segments that decode to too few bytes.
        #expect(throws: CodecError.self) { try RLELossless.decode(header + [0x00, 1] + [0x00, 1], geometry: g) }
        // Dimensions whose product overflows.
        let huge = FrameGeometry(rows: Int.max / 2, columns: 3, samplesPerPixel: 1, bitsAllocated: 8)
        #expect(throws: CodecError.self) { try RLELossless.decode(header, geometry: huge) }
    }

    // MARK: Against the corpus

    /// pydicom's RLE test files and their uncompressed twins hold the same pixels.
    @Test(arguments: ["SC_rgb", "SC_rgb_16bit", "SC_rgb_32bit", "SC_rgb_2frame", "SC_rgb_16bit_2frame", "SC_rgb_32bit_2frame"])
    func decodesLikeTheUncompressedTwin(name: String) throws {
        let folder = corpusFolder + "/dicom-test-files/data/pydicom/"
        guard FileManager.default.fileExists(atPath: folder) else {
            print("SKIP: \(folder) is absent")
            return
        }
        let rle = try DICOMFile(bytes: ByteRegion.file(at: folder + name.replacingOccurrences(of: "SC_rgb", with: "SC_rgb_rle") + ".dcm").bytes)
        let native = try DICOMFile(bytes: ByteRegion.file(at: folder + name + ".dcm").bytes)
        #expect(rle.transferSyntax.uid == RLELossless.transferSyntaxUID)
        let ds = rle.dataSet
        let g = FrameGeometry(rows: ds.integers(.rows)![0], columns: ds.integers(.columns)![0],
                              samplesPerPixel: ds.integers(.samplesPerPixel)![0], bitsAllocated: ds.integers(.bitsAllocated)![0])
        let frames = ds.integers(.numberOfFrames)?.first ?? 1
        let encapsulated = try #require(ds[.pixelData]?.encapsulated)
        var decoded: [UInt8] = []
        for fragments in encapsulated.frames(numberOfFrames: frames) {
            decoded += try RLELossless.decode(fragments.flatMap { Array($0) }, geometry: g)
        }
        let expected = Array(try #require(native.dataSet[.pixelData]?.bytes))
        #expect(decoded.count == g.frameLength! * frames)
        #expect(decoded == Array(expected.prefix(decoded.count)))
        // And our encoder's frames decode back to the same pixels.
        let again = try RLELossless.encode(Array(decoded.prefix(g.frameLength!)), geometry: g)
        #expect(try RLELossless.decode(again, geometry: g) == Array(decoded.prefix(g.frameLength!)))
    }

    var corpusFolder: String {
        ProcessInfo.processInfo.environment["LIGHTBOX_SHARED"].map { $0 + "/corpus" }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus").path
    }
}
