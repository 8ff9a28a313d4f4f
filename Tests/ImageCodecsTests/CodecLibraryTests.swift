import CharLS
import DICOMCore
import JPEGTurbo
import JPEGXL
import OpenJPEG
import PNG
import Testing
@testable import ImageCodecs

/// The Debian libraries behind their Swift wrappers: round trips, and errors (never a crash) on bad input.
@Suite struct CodecLibraryTests {
    /// A 16-bit ramp with structure in both directions, 12 bits stored.
    static func ramp16(width: Int, height: Int) -> [UInt8] {
        var out: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                let v = UInt16((x * 37 + y * 91 + (x * y) % 17) & 0x0FFF)
                out += [UInt8(v & 0xFF), UInt8(v >> 8)]
            }
        }
        return out
    }

    @Test func charLSLosslessRoundTrip() throws {
        let pixels = Self.ramp16(width: 64, height: 48)
        let encoded = try pixels.withUnsafeBytes { try CharLS.encode($0, width: 64, height: 48, components: 1, bitsPerSample: 12) }
        #expect(encoded.count < pixels.count)
        let decoded = try encoded.withUnsafeBytes { try CharLS.decode($0) }
        #expect(decoded.bytes == pixels && decoded.width == 64 && decoded.height == 48 && decoded.nearLossless == 0)
    }

    @Test func charLSNearLosslessStaysWithinItsError() throws {
        let pixels = Self.ramp16(width: 32, height: 32)
        let encoded = try pixels.withUnsafeBytes { try CharLS.encode($0, width: 32, height: 32, components: 1, bitsPerSample: 12, nearLossless: 2) }
        let decoded = try encoded.withUnsafeBytes { try CharLS.decode($0) }
        for i in stride(from: 0, to: pixels.count, by: 2) {
            let a = Int(pixels[i]) | Int(pixels[i + 1]) << 8, b = Int(decoded.bytes[i]) | Int(decoded.bytes[i + 1]) << 8
            #expect(abs(a - b) <= 2)
        }
    }

    @Test func openJPEGLosslessRoundTripSignedAndColour() throws {
        let grey: [Int32] = (0..<(40 * 30)).map { Int32($0 % 997) - 500 }
        let j2k = try OpenJPEG.encode(grey, width: 40, height: 30, components: 1, precision: 12, signed: true)
        #expect(j2k.starts(with: [0xFF, 0x4F, 0xFF, 0x51]))
        let image = try j2k.withUnsafeBytes { try OpenJPEG.decode($0) }
        #expect(image.components.count == 1 && image.components[0].signed && image.components[0].samples == grey)
        let rgb: [Int32] = (0..<(16 * 16 * 3)).map { Int32(($0 * 7) % 256) }
        let colour = try OpenJPEG.encode(rgb, width: 16, height: 16, components: 3, precision: 8, signed: false)
        let back = try colour.withUnsafeBytes { try OpenJPEG.decode($0) }
        for c in 0..<3 { #expect(back.components[c].samples == stride(from: c, to: rgb.count, by: 3).map { rgb[$0] }) }
    }

    @Test func libJPEGRoundTripIsClose() throws {
        var grey = [UInt8](repeating: 0, count: 64 * 64)
        for i in grey.indices { grey[i] = UInt8((i % 64) * 4) }
        let jpeg = try grey.withUnsafeBytes { try LibJPEG.encode($0, width: 64, height: 64, components: 1, quality: 95) }
        let header = try jpeg.withUnsafeBytes { try LibJPEG.header($0) }
        #expect(header.width == 64 && header.height == 64 && header.components == 1 && header.precision == 8)
        var out = [UInt8](repeating: 0, count: 64 * 64)
        _ = try jpeg.withUnsafeBytes { src in try out.withUnsafeMutableBytes { try LibJPEG.decode(src, color: .toRGB, into: $0) } }
        let worst = zip(out, grey).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(worst <= 8)
    }

    @Test func libJPEGRefusesAnImageLargerThanTheBuffer() throws {
        let grey = [UInt8](repeating: 128, count: 32 * 32)
        let jpeg = try grey.withUnsafeBytes { try LibJPEG.encode($0, width: 32, height: 32, components: 1, quality: 80) }
        var small = [UInt8](repeating: 0, count: 100)
        #expect(throws: LibJPEGError.self) {
            try jpeg.withUnsafeBytes { src in try small.withUnsafeMutableBytes { try LibJPEG.decode(src, color: .toRGB, into: $0) } }
        }
    }

    @Test func pngRoundTrip16Bit() throws {
        let pixels = Self.ramp16(width: 20, height: 10)
        let png = try pixels.withUnsafeBytes { try PNG.encode($0, width: 20, height: 10, channels: 1, bitDepth: 16) }
        let image = try png.withUnsafeBytes { try PNG.decode($0) }
        #expect(image.width == 20 && image.height == 10 && image.channels == 1 && image.bitDepth == 16 && image.pixels == pixels)
    }

    /// Truncated, corrupt and empty codestreams: every library answers with an error.
    @Test func damagedCodestreamsThrow() throws {
        let pixels = Self.ramp16(width: 64, height: 64)
        let jls = try pixels.withUnsafeBytes { try CharLS.encode($0, width: 64, height: 64, components: 1, bitsPerSample: 12) }
        let j2k = try OpenJPEG.encode((0..<4096).map { Int32($0 % 4096) }, width: 64, height: 64, components: 1, precision: 12, signed: false)
        let grey = [UInt8](repeating: 7, count: 64 * 64)
        let jpeg = try grey.withUnsafeBytes { try LibJPEG.encode($0, width: 64, height: 64, components: 1, quality: 80) }
        for cut in [0, 2, 20, 60] {
            #expect(throws: CharLSError.self) { try Array(jls.prefix(cut)).withUnsafeBytes { try CharLS.decode($0) } }
            #expect(throws: OpenJPEGError.self) { try Array(j2k.prefix(cut)).withUnsafeBytes { try OpenJPEG.decode($0) } }
            #expect(throws: LibJPEGError.self) { try Array(jpeg.prefix(cut)).withUnsafeBytes { try LibJPEG.header($0) } }
        }
        let garbage = [UInt8](repeating: 0xFF, count: 300)
        #expect(throws: CharLSError.self) { try garbage.withUnsafeBytes { try CharLS.decode($0) } }
        #expect(throws: OpenJPEGError.self) { try garbage.withUnsafeBytes { try OpenJPEG.decode($0) } }
        #expect(throws: PNGError.self) { try garbage.withUnsafeBytes { try PNG.decode($0) } }
        #expect(throws: JPEGXLError.self) { try garbage.withUnsafeBytes { try JPEGXL.decode($0) } }
        // A JPEG XL signature (FF 0A) with nothing after it: truncated, not a hang.
        #expect(throws: JPEGXLError.self) { try [UInt8]([0xFF, 0x0A, 0x00]).withUnsafeBytes { try JPEGXL.decode($0) } }
    }

    /// A SIZ with millions of one-pixel tiles (found by the fuzzer: OpenJPEG allocated 284 MB for it while reading
    /// the header) is refused before the library sees it.
    @Test func openJPEGRefusesMillionsOfTiles() throws {
        var j2k = try OpenJPEG.encode([Int32](repeating: 1, count: 64), width: 8, height: 8, components: 1, precision: 8, signed: false)
        // SIZ: FF51, Lsiz, Rsiz, Xsiz at offset 8 of the codestream; XTsiz at 24.
        let xsiz: [UInt8] = [0x00, 0xC3, 0x01, 0x00], one: [UInt8] = [0, 0, 0, 1]
        j2k.replaceSubrange(8..<12, with: xsiz)
        j2k.replaceSubrange(24..<28, with: one)
        #expect(throws: OpenJPEGError.self) { try j2k.withUnsafeBytes { try OpenJPEG.decode($0) } }
    }

    /// A J2K header claiming a huge image is refused before any sample is allocated.
    @Test func openJPEGRefusesHugeImagesUpFront() throws {
        let j2k = try OpenJPEG.encode([Int32](repeating: 1, count: 64), width: 8, height: 8, components: 1, precision: 8, signed: false)
        #expect(throws: OpenJPEGError.self) { try j2k.withUnsafeBytes { try OpenJPEG.decode($0, maxPixels: 10) } }
    }
}

@Suite struct PixelPipelineTests {
    static func dataSet(rows: Int, columns: Int, bits: Int, stored: Int, signed: Bool = false, samples: Int = 1,
                        photometric: String = "MONOCHROME2", frames: Int? = nil, pixels: [UInt8]) -> DataSet {
        var ds = DataSet()
        ds.set(DataElement(tag: .samplesPerPixel, vr: .US, integers: [UInt16(samples)]))
        ds.set(DataElement(tag: .photometricInterpretation, vr: .CS, string: photometric))
        if let frames { ds.set(DataElement(tag: .numberOfFrames, vr: .IS, string: "\(frames)")) }
        ds.set(DataElement(tag: .rows, vr: .US, integers: [UInt16(rows)]))
        ds.set(DataElement(tag: .columns, vr: .US, integers: [UInt16(columns)]))
        ds.set(DataElement(tag: .bitsAllocated, vr: .US, integers: [UInt16(bits)]))
        ds.set(DataElement(tag: .bitsStored, vr: .US, integers: [UInt16(stored)]))
        ds.set(DataElement(tag: Tag(0x0028_0102), vr: .US, integers: [UInt16(stored - 1)]))
        ds.set(DataElement(tag: .pixelRepresentation, vr: .US, integers: [UInt16(signed ? 1 : 0)]))
        ds.set(DataElement(tag: .pixelData, vr: bits > 8 ? .OW : .OB, bytes: Bytes(pixels)))
        return ds
    }

    /// 12 bits stored in 16 with garbage above: every encoder keeps the 12 bits, and decoding gives them back.
    @Test func garbageInTheHighBitsIsNotEncoded() throws {
        var pixels = CodecLibraryTests.ramp16(width: 16, height: 16)
        for i in stride(from: 1, to: pixels.count, by: 2) { pixels[i] |= 0xA0 }
        let file = DICOMFile(dataSet: Self.dataSet(rows: 16, columns: 16, bits: 16, stored: 12, pixels: pixels))
        let expected = try file.decodedFrame(0).storedValues()
        #expect(expected.allSatisfy { $0 >= 0 && $0 < 4096 })
        for uid in ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.8.1"] {
            let syntax = try #require(TransferSyntax.from(uid: uid))
            let encoded = try file.transcodingPixels(to: syntax)
            #expect(try encoded.decodedFrame(0).storedValues() == expected, "\(uid)")
        }
    }

    /// Signed 12-bit data: JPEG-LS codes the two's complement pattern, JPEG 2000 the signed values.
    @Test func signedDataRoundTrips() throws {
        var pixels: [UInt8] = []
        for i in 0..<256 { let v = UInt16(bitPattern: Int16(i * 16 - 2048)); pixels += [UInt8(v & 0xFF), UInt8(v >> 8)] }
        let file = DICOMFile(dataSet: Self.dataSet(rows: 16, columns: 16, bits: 16, stored: 12, signed: true, pixels: pixels))
        let expected = try file.decodedFrame(0).storedValues()
        #expect(expected.first == -2048 && expected.last == 2032)
        for uid in ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.90"] {
            let encoded = try file.transcodingPixels(to: try #require(TransferSyntax.from(uid: uid)))
            #expect(try encoded.decodedFrame(0).storedValues() == expected, "\(uid)")
        }
        #expect(throws: CodecError.self) { try file.transcodingPixels(to: try #require(TransferSyntax.from(uid: "1.2.840.10008.1.2.4.81"))) }
    }

    /// Dimensions whose product overflows, or frames past the pixel data: errors, no allocation.
    @Test func hostileGeometryIsRefused() throws {
        var ds = Self.dataSet(rows: 65_535, columns: 65_535, bits: 32, stored: 32, samples: 4, frames: 1_000_000, pixels: [0, 0])
        #expect(throws: CodecError.self) { try PixelFrames(ds, transferSyntax: .explicitVRLittleEndian) }
        ds = Self.dataSet(rows: 4, columns: 4, bits: 8, stored: 8, frames: 3, pixels: [UInt8](repeating: 1, count: 40))
        #expect(throws: CodecError.self) { try PixelFrames(ds, transferSyntax: .explicitVRLittleEndian) }
        ds = Self.dataSet(rows: 0, columns: 4, bits: 8, stored: 8, pixels: [1])
        #expect(throws: CodecError.self) { try PixelFrames(ds, transferSyntax: .explicitVRLittleEndian) }
        ds = Self.dataSet(rows: 4, columns: 4, bits: 12, stored: 12, pixels: [UInt8](repeating: 1, count: 32))
        #expect(throws: CodecError.self) { try PixelFrames(ds, transferSyntax: .explicitVRLittleEndian) }
    }

    /// A fragment whose length runs past the end of the file: the strict reader refuses the file; the tolerant one
    /// keeps what is there (here the whole frame, and the delimiter after it), which decodes to the original
    /// pixels: no crash, and nothing allocated for the claimed 2 GB.
    @Test func fragmentLongerThanTheFile() throws {
        let pixels = CodecLibraryTests.ramp16(width: 32, height: 32)
        let native = DICOMFile(dataSet: Self.dataSet(rows: 32, columns: 32, bits: 16, stored: 12, pixels: pixels))
        let rle = try native.transcodingPixels(to: .rleLossless)
        var bytes = try rle.encodedData(transferSyntax: .rleLossless)
        // The last item tag (FFFE,E000) is the frame's fragment: claim 0x7FFFFFF0 bytes for it.
        var at = bytes.count - 8
        while at > 0 && !(bytes[at] == 0xFE && bytes[at + 1] == 0xFF && bytes[at + 2] == 0x00 && bytes[at + 3] == 0xE0) { at -= 1 }
        #expect(at > 0)
        bytes.replaceSubrange((at + 4)..<(at + 8), with: [0xF0, 0xFF, 0xFF, 0x7F])
        #expect(throws: (any Error).self) { try DICOMFile(bytes: Bytes(bytes)) }
        let tolerant = try DICOMFile(bytes: Bytes(bytes), options: ReadOptions(allowTruncation: true))
        #expect(try tolerant.decodedFrame(0).storedValues() == native.decodedFrame(0).storedValues())
        // Cut inside the frame as well: now the segments are short, and decoding says so.
        let cut = Array(bytes.prefix(bytes.count - 200))
        let shorter = try DICOMFile(bytes: Bytes(cut), options: ReadOptions(allowTruncation: true))
        #expect(throws: CodecError.self) { try shorter.decodedFrame(0) }
    }

    /// Rows and Columns encoded as UL (a forged header) with values past 65,535: refused by value.
    @Test func dimensionsAsULAreCheckedByValue() throws {
        var ds = Self.dataSet(rows: 4, columns: 4, bits: 8, stored: 8, pixels: [UInt8](repeating: 0, count: 16))
        ds.set(DataElement(tag: .rows, vr: .UL, integers: [UInt32(70_000)]))
        #expect(throws: CodecError.self) { try PixelFrames(ds, transferSyntax: .explicitVRLittleEndian) }
        ds.set(DataElement(tag: .rows, vr: .UL, integers: [UInt32(4)]))
        #expect(try PixelFrames(ds, transferSyntax: .explicitVRLittleEndian).count == 1)
    }

    /// A codestream whose size disagrees with Rows and Columns is refused, not written past a buffer.
    @Test func codestreamSizeMustMatchTheDataSet() throws {
        let pixels = CodecLibraryTests.ramp16(width: 8, height: 8)
        let jls = try pixels.withUnsafeBytes { try CharLS.encode($0, width: 8, height: 8, components: 1, bitsPerSample: 12) }
        let d = PixelDescription(rows: 16, columns: 16, bitsAllocated: 16, bitsStored: 12)
        #expect(throws: CodecError.self) {
            try jls.withUnsafeBytes { try FrameDecoder.decode($0, syntax: try #require(TransferSyntax.from(uid: "1.2.840.10008.1.2.4.80")), description: d) }
        }
    }

    /// Multi-frame 1-bit data whose frames do not end on a byte: frames are packed end to end both ways.
    @Test func oneBitFramesPackEndToEnd() throws {
        // 3 frames of 3x3 bits = 27 bits in 4 bytes.
        let bits: [UInt8] = (0..<27).map { UInt8($0 % 3 == 0 ? 1 : 0) }
        var packed = [UInt8](repeating: 0, count: 4)
        for (i, b) in bits.enumerated() where b == 1 { packed[i >> 3] |= 1 << (i & 7) }
        let file = DICOMFile(dataSet: Self.dataSet(rows: 3, columns: 3, bits: 1, stored: 1, frames: 3, pixels: packed))
        for f in 0..<3 { #expect(try file.decodedFrame(f).storedValues() == bits[(9 * f)..<(9 * f + 9)].map { Int32($0) }) }
        let deflated = try file.transcodingPixels(to: .deflatedImageFrameCompression)
        let back = try deflated.transcodingPixels(to: .explicitVRLittleEndian)
        #expect(back.dataSet[.pixelData]?.bytes.map(Array.init) == packed)
    }
}
