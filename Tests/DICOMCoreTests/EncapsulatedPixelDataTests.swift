import DICOMCore
import Testing

@Suite("Encapsulated pixel data")
struct EncapsulatedPixelDataTests {
    static let fragment0: [UInt8] = [0xFF, 0xD8, 0x01, 0x02]
    static let fragment1: [UInt8] = [0xFF, 0xD8, 0x03, 0x04, 0x05, 0x06]
    static let fragment2: [UInt8] = [0xFF, 0xD9]

    /// Two frames: fragment 0, then fragments 1 and 2. Offsets are from the first fragment's item tag.
    static func stream(explicit: Bool, offsets: [UInt32] = [0, 12]) -> Stream {
        var s = Stream()
        s.explicit(0x0028_0008, "IS", "2 ")
        if explicit { s.explicitHeader(0x7FE0_0010, "OB", length: 0xFFFF_FFFF) } else { s.implicitHeader(0x7FE0_0010, length: 0xFFFF_FFFF) }
        let table = offsets.flatMap { le32($0) }
        s.item(length: UInt32(table.count))
        s.raw(table)
        for f in [fragment0, fragment1, fragment2] {
            s.item(length: UInt32(f.count))
            s.raw(f)
        }
        s.sequenceDelimiter()
        return s
    }

    @Test("offset table and fragments, explicit VR")
    func explicitVR() throws {
        let ds = try DICOMFile.parseDataSet(Self.stream(explicit: true).data, transferSyntax: .jpegBaseline8Bit)
        let element = try #require(ds[.pixelData])
        #expect(element.vr == .OB)
        #expect(element.valueLength == nil)
        let pixels = try #require(element.encapsulated)
        #expect(pixels.basicOffsetTable.array == le32(0, 12))
        #expect(pixels.offsets == [0, 12])
        #expect(pixels.fragments.map(\.array) == [Self.fragment0, Self.fragment1, Self.fragment2])
        #expect(ds.integer(.numberOfFrames) == 2)
    }

    @Test("implicit VR: undefined-length pixel data is encapsulated OB")
    func implicitVR() throws {
        var s = Stream()
        s.implicitHeader(0x7FE0_0010, length: 0xFFFF_FFFF)
        s.item(length: 0)
        s.item(length: 4)
        s.raw([1, 2, 3, 4])
        s.sequenceDelimiter()
        let ds = try DICOMFile.parseDataSet(s.data, transferSyntax: .implicitVRLittleEndian)
        #expect(ds[.pixelData]?.vr == .OB)
        let pixels = try #require(ds[.pixelData]?.encapsulated)
        #expect(pixels.basicOffsetTable.isEmpty)
        #expect(pixels.offsets.isEmpty)
        #expect(pixels.fragments.map(\.array) == [[1, 2, 3, 4]])
    }

    @Test("frames follow the Basic Offset Table")
    func framesFromOffsetTable() throws {
        let ds = try DICOMFile.parseDataSet(Self.stream(explicit: true).data, transferSyntax: .jpegBaseline8Bit)
        let pixels = try #require(ds[.pixelData]?.encapsulated)
        let frames = pixels.frames(numberOfFrames: 2)
        #expect(frames.count == 2)
        #expect(frames[0].map(\.array) == [Self.fragment0])
        #expect(frames[1].map(\.array) == [Self.fragment1, Self.fragment2])
    }

    @Test("frames follow the Extended Offset Table when one is given")
    func framesFromExtendedOffsets() {
        let pixels = EncapsulatedPixelData(fragments: [Bytes(Self.fragment0), Bytes(Self.fragment1), Bytes(Self.fragment2)])
        // Fragment starts: 0, 12, 26.
        let frames = pixels.frames(numberOfFrames: 2, extendedOffsets: [0, 26])
        #expect(frames.map { $0.map(\.array) } == [[Self.fragment0, Self.fragment1], [Self.fragment2]])
    }

    @Test("without an offset table: one fragment per frame when the counts match, else one frame")
    func framesWithoutTable() {
        let pixels = EncapsulatedPixelData(fragments: [Bytes(Self.fragment0), Bytes(Self.fragment1), Bytes(Self.fragment2)])
        #expect(pixels.frames(numberOfFrames: 3).map { $0.map(\.array) } == [[Self.fragment0], [Self.fragment1], [Self.fragment2]])
        #expect(pixels.frames(numberOfFrames: 1).map { $0.map(\.array) } == [[Self.fragment0, Self.fragment1, Self.fragment2]])
        #expect(pixels.frames(numberOfFrames: 2).count == 1)
        #expect(EncapsulatedPixelData(fragments: []).frames(numberOfFrames: 1).isEmpty)
    }

    @Test("an offset table that does not match the frame count is not used")
    func mismatchedTable() throws {
        let ds = try DICOMFile.parseDataSet(Self.stream(explicit: true, offsets: [0, 12, 26]).data, transferSyntax: .jpegBaseline8Bit)
        let pixels = try #require(ds[.pixelData]?.encapsulated)
        #expect(pixels.offsets == [0, 12, 26])
        // Three fragments for two frames, and a three-entry table: all fragments as one frame.
        #expect(pixels.frames(numberOfFrames: 2).count == 1)
        #expect(pixels.frames(numberOfFrames: 3).map { $0.map(\.array) } == [[Self.fragment0], [Self.fragment1], [Self.fragment2]])
    }

    @Test("an encapsulated value that is not made of items is an error")
    func notItems() {
        var s = Stream()
        s.explicitHeader(0x7FE0_0010, "OB", length: 0xFFFF_FFFF)
        s.item(length: 0)
        s.explicit(0x0010_0010, "PN", "Doe^")
        let error = parseFailure { _ = try DICOMFile.parseDataSet(s.data, transferSyntax: .jpegBaseline8Bit) }
        #expect(error?.reason == .expectedItem(found: .patientName))
        #expect(error?.offset == 20)
        #expect(error?.tag == .pixelData)
    }

    @Test("equality and emptiness")
    func equality() {
        let a = EncapsulatedPixelData(basicOffsetTable: Bytes(le32(0)), fragments: [Bytes([1, 2])])
        let b = EncapsulatedPixelData(basicOffsetTable: Bytes(le32(0)), fragments: [Bytes([1, 2])])
        #expect(a == b)
        #expect(a != EncapsulatedPixelData(fragments: [Bytes([1, 2])]))
        #expect(DataElement(tag: .pixelData, vr: .OB, value: .encapsulated(EncapsulatedPixelData(fragments: []))).isEmpty)
        #expect(!DataElement(tag: .pixelData, vr: .OB, value: .encapsulated(a)).isEmpty)
    }
}
