import DICOMCore
import Testing

@Suite("Bytes")
struct BytesTests {
    @Test("construction and collection access")
    func construction() {
        let b = Bytes([1, 2, 3, 4, 5])
        #expect(b.count == 5)
        #expect(b[0] == 1 && b[4] == 5)
        #expect(Array(b) == [1, 2, 3, 4, 5])
        #expect(b.array == [1, 2, 3, 4, 5])
        #expect(b.description == "5 bytes")
        #expect(Bytes("héllo").array == Array("héllo".utf8))
        #expect(Bytes().isEmpty)
        #expect(Bytes([UInt8]()).count == 0)
        let filled = Bytes(count: 4) { buf in for i in 0..<4 { buf[i] = UInt8(i * 2) } }
        #expect(filled.array == [0, 2, 4, 6])
    }

    @Test("equality compares contents, whatever the storage")
    func equality() {
        let a = Bytes([1, 2, 3])
        let b = Bytes([1, 2, 3])
        #expect(a == b)
        #expect(a != Bytes([1, 2, 4]))
        #expect(a != Bytes([1, 2]))
        #expect(Bytes() == Bytes([]))
        let region = ByteRegion.copying([9, 1, 2, 3, 9])
        let view = region.bytes[1..<4]
        #expect(view == a)
        #expect(view.isView)
        #expect(!a.isView)
        #expect(Set([a, b, view, Bytes([7])]).count == 2)
        #expect(a.hashValue == view.hashValue)
    }

    @Test("slicing shares memory and re-bases indices at zero")
    func slicing() {
        let b = Bytes([10, 11, 12, 13, 14, 15])
        let s = b[2..<5]
        #expect(s.count == 3)
        #expect(s.startIndex == 0 && s.endIndex == 3)
        #expect(s[0] == 12 && s[2] == 14)
        #expect(s.array == [12, 13, 14])
        #expect(s[1..<3].array == [13, 14])
        #expect(b[3..<3].isEmpty)
        #expect(b[0..<6] == b)
        let region = ByteRegion.copying([1, 2, 3, 4])
        let whole = region.bytes
        let part = whole[1..<3]
        part.withUnsafeBytes { p in
            whole.withUnsafeBytes { w in #expect(p.baseAddress == w.baseAddress! + 1) }
        }
    }

    @Test("a slice keeps its buffer alive")
    func lifetime() {
        var slice: Bytes
        do {
            let region = ByteRegion.copying(Array(0..<100))
            slice = region.bytes[90..<100]
        }
        #expect(slice.array == Array(90..<100))
        slice = Bytes()
        #expect(slice.isEmpty)
    }

    @Test("little-endian reads")
    func reads() {
        let b = Bytes([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09])
        #expect(b.uint16(at: 0) == 0x0201)
        #expect(b.uint16(at: 1) == 0x0302)
        #expect(b.uint32(at: 0) == 0x0403_0201)
        #expect(b.uint32(at: 5) == 0x0908_0706)
        #expect(b.uint64(at: 1) == 0x0908_0706_0504_0302)
        #expect(b[4..<8].uint32(at: 0) == 0x0807_0605)
    }

    @Test("ByteRegion: copying and adopting memory")
    func regions() {
        let copied = ByteRegion.copying([])
        #expect(copied.count == 0)
        #expect(copied.bytes.isEmpty)
        let p = UnsafeMutableRawPointer.allocate(byteCount: 3, alignment: 1)
        p.copyMemory(from: [7, 8, 9] as [UInt8], byteCount: 3)
        let adopted = ByteRegion.adopting(p, count: 3)
        #expect(adopted.bytes.array == [7, 8, 9])
    }

    @Test("reading a file that does not exist")
    func missingFile() {
        #expect(throws: DICOMFileError.self) { _ = try ByteRegion.file(at: "/nonexistent/lightbox/test.dcm") }
        #expect(throws: DICOMFileError.self) { _ = try DICOMFile.read(path: "/nonexistent/lightbox/test.dcm") }
        #expect(throws: DICOMFileError.cannotOpen(path: "/", reason: "is a directory")) { _ = try ByteRegion.file(at: "/") }
    }
}
