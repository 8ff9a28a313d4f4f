import DICOMCore
import ImageCodecs
import PNG
import Testing
@testable import Imaging

@Suite struct WindowTests {
    /// PS3.3 C.11.2.1.2.1: LINEAR with c = 2048, w = 4096 maps 0 to 0 and 4095 to 255; the edges are exact.
    @Test func linearEdges() {
        let w = Window(center: 2048, width: 4096)
        #expect(w.apply(0) == 0)
        #expect(w.apply(4095) >= 254.9)
        #expect(w.apply(-5) == 0 && w.apply(5000) == 255)
        #expect(abs(w.apply(2047.5) - 127.5) < 1e-9)
    }

    @Test func linearExactAndSigmoid() {
        let exact = Window(center: 100, width: 50, function: .linearExact)
        #expect(exact.apply(75) == 0 && exact.apply(125) == 255 && abs(exact.apply(100) - 127.5) < 1e-9)
        let sigmoid = Window(center: 100, width: 50, function: .sigmoid)
        #expect(abs(sigmoid.apply(100) - 127.5) < 1e-9)
        #expect(sigmoid.apply(0) < 1 && sigmoid.apply(200) > 254)
    }

    /// Width 1 is a threshold at the center.
    @Test func widthOneIsAThreshold() {
        let w = Window(center: 10, width: 1)
        #expect(w.apply(9) == 0 && w.apply(10) == 255)
    }
}

@Suite struct LookupTableTests {
    @Test func valuesOutsideTheTableTakeItsEnds() {
        let lut = LookupTable(firstMapped: -2, bits: 8, entries: [10, 20, 30])
        #expect(lut.lookup(-100) == 10 && lut.lookup(-1) == 20 && lut.lookup(0) == 30 && lut.lookup(99) == 30)
    }

    /// C.7.9.2: a discrete segment, a linear one, and an indirect copy of the first.
    @Test func segmentedTablesExpand() throws {
        let words: [UInt16] = [0, 3, 0, 10, 20, 1, 2, 40, 2, 1, 0, 0]
        var bytes: [UInt8] = []
        for w in words { bytes += [UInt8(w & 0xFF), UInt8(w >> 8)] }
        let descriptor = DataElement(tag: Tag(0x0028_1101), vr: .US, integers: [UInt16(8), 0, 16])
        let data = DataElement(tag: Tag(0x0028_1221), vr: .OW, bytes: Bytes(bytes))
        let lut = try LookupTable.segmented(descriptor: descriptor, data: data, signedFirst: false)
        #expect(lut.entries == [0, 10, 20, 30, 40, 0, 10, 20])
    }

    @Test func truncatedLUTDataIsAnError() {
        let descriptor = DataElement(tag: Tag(0x0028_3002), vr: .US, integers: [UInt16(256), 0, 16])
        let data = DataElement(tag: Tag(0x0028_3006), vr: .OW, bytes: Bytes([1, 2, 3]))
        #expect(throws: CodecError.self) { try LookupTable(descriptor: descriptor, data: data, signedFirst: false) }
    }
}

@Suite struct RendererTests {
    static func ct(values: [Int16], rows: Int, columns: Int, extra: (inout DataSet) -> Void = { _ in }) -> DICOMFile {
        var ds = DataSet()
        ds.set(DataElement(tag: .samplesPerPixel, vr: .US, integers: [UInt16(1)]))
        ds.set(DataElement(tag: .photometricInterpretation, vr: .CS, string: "MONOCHROME2"))
        ds.set(DataElement(tag: .rows, vr: .US, integers: [UInt16(rows)]))
        ds.set(DataElement(tag: .columns, vr: .US, integers: [UInt16(columns)]))
        ds.set(DataElement(tag: .bitsAllocated, vr: .US, integers: [UInt16(16)]))
        ds.set(DataElement(tag: .bitsStored, vr: .US, integers: [UInt16(16)]))
        ds.set(DataElement(tag: Tag(0x0028_0102), vr: .US, integers: [UInt16(15)]))
        ds.set(DataElement(tag: .pixelRepresentation, vr: .US, integers: [UInt16(1)]))
        var bytes: [UInt8] = []
        for v in values { let u = UInt16(bitPattern: v); bytes += [UInt8(u & 0xFF), UInt8(u >> 8)] }
        ds.set(DataElement(tag: .pixelData, vr: .OW, bytes: Bytes(bytes)))
        extra(&ds)
        return DICOMFile(dataSet: ds)
    }

    /// Rescale then window: HU -1000 (air) is black, +1000 white, 0 mid-grey with a 2000-wide window at 0.
    @Test func rescaleThenWindow() throws {
        let file = Self.ct(values: [0, 1024, 2024, 3048], rows: 2, columns: 2) { ds in
            ds.set(DataElement(tag: Tag(0x0028_1052), vr: .DS, string: "-1024"))
            ds.set(DataElement(tag: Tag(0x0028_1053), vr: .DS, string: "1"))
            ds.set(DataElement(tag: Tag(0x0028_1050), vr: .DS, string: "0"))
            ds.set(DataElement(tag: Tag(0x0028_1051), vr: .DS, string: "2000"))
        }
        let image = try Renderer.render(file)
        #expect(image.width == 2 && image.height == 2 && image.channels == 1)
        // -1024 → 0; 0 → ~128; 1000 → 255; 2024 → 255.
        #expect(image.pixels[0] == 0 && abs(Int(image.pixels[1]) - 128) <= 1 && image.pixels[2] == 255 && image.pixels[3] == 255)
    }

    /// MONOCHROME1 is inverted; the requested window overrides the file's.
    @Test func monochrome1AndRequestedWindow() throws {
        let file = Self.ct(values: [0, 100], rows: 1, columns: 2) { ds in
            ds.set(DataElement(tag: .photometricInterpretation, vr: .CS, string: "MONOCHROME1"))
        }
        var options = RenderOptions()
        options.window = Window(center: 50, width: 100, function: .linearExact)
        let image = try Renderer.render(file, options: options)
        #expect(image.pixels == [255, 0])
    }

    /// No window anywhere: the frame's range spans black to white.
    @Test func defaultWindowIsTheFrameRange() throws {
        let image = try Renderer.render(Self.ct(values: [-500, 0, 500], rows: 1, columns: 3))
        #expect(image.pixels == [0, 128, 255])
    }

    @Test func modalityValuesAs16BitPNG() throws {
        let file = Self.ct(values: [0, 2048], rows: 1, columns: 2) { ds in
            ds.set(DataElement(tag: Tag(0x0028_1052), vr: .DS, string: "-1024"))
        }
        let (image, offset) = try Renderer.modalityImage(file)
        #expect(offset == 32_768)
        let png = try image.png()
        let decoded = try png.withUnsafeBytes { try PNG.decode($0) }
        #expect(decoded.pixels == image.pixels && decoded.bitDepth == 16)
        let first = Int(image.pixels[0]) | Int(image.pixels[1]) << 8, second = Int(image.pixels[2]) | Int(image.pixels[3]) << 8
        #expect(first == 32_768 - 1024 && second == 32_768 + 1024)
    }

    @Test func missingFrameIsAnError() {
        var options = RenderOptions()
        options.frame = 3
        #expect(throws: CodecError.self) { try Renderer.render(Self.ct(values: [1], rows: 1, columns: 1), options: options) }
    }

    @Test func resizeKeepsTheAspectRatio() throws {
        var options = RenderOptions()
        options.size = (2, 2)
        let image = try Renderer.render(Self.ct(values: [Int16](repeating: 7, count: 8), rows: 2, columns: 4), options: options)
        #expect(image.width == 2 && image.height == 1)
    }
}

/// The viewport region of PS3.18 §8.3.5.1.3: cropped before fitting, mirrored for negative sizes, clipped.
@Suite struct ViewportRegionTests {
    /// A 4x3 grey image whose pixel values are 10 * row + column.
    static let image = RenderedImage(width: 4, height: 3, channels: 1, bitDepth: 8,
                                     pixels: (0..<3).flatMap { r in (0..<4).map { c in UInt8(10 * r + c) } })

    @Test func cropsARegion() throws {
        let out = try Renderer.cropped(Self.image, to: (1, 1, 2, 2))
        #expect(out.width == 2 && out.height == 2 && out.pixels == [11, 12, 21, 22])
    }

    @Test func negativeSizesMirror() throws {
        let h = try Renderer.cropped(Self.image, to: (3, 0, -4, 1))
        #expect(h.pixels == [3, 2, 1, 0])
        let v = try Renderer.cropped(Self.image, to: (0, 2, 1, -3))
        #expect(v.pixels == [20, 10, 0])
    }

    @Test func clipsToTheImageAndRefusesWhatIsOutside() throws {
        let out = try Renderer.cropped(Self.image, to: (2, 1, 100, 100))
        #expect(out.width == 2 && out.height == 2 && out.pixels == [12, 13, 22, 23])
        #expect(throws: (any Error).self) { try Renderer.cropped(Self.image, to: (10, 10, 5, 5)) }
    }
}
