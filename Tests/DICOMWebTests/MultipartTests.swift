import HTTP
import Testing
@testable import DICOMWeb

@Suite struct MultipartTests {
    /// A body that arrives `step` bytes at a time, so delimiters fall across reads.
    static func body(_ bytes: [UInt8], step: Int) -> HTTPBody {
        final class Cursor: @unchecked Sendable { var at = 0 }
        let cursor = Cursor()
        return HTTPBody(declaredLength: bytes.count) { buffer in
            let n = min(step, buffer.count, bytes.count - cursor.at)
            for i in 0..<n { buffer[i] = bytes[cursor.at + i] }
            cursor.at += n
            return n
        }
    }

    static func message(_ parts: [[UInt8]]) -> [UInt8] {
        var out = Array("preamble to ignore\r\n".utf8)
        for p in parts {
            out += Array("--b0undary\r\nContent-Type: application/dicom\r\n\r\n".utf8) + p + Array("\r\n".utf8)
        }
        return out + Array("--b0undary--\r\n".utf8)
    }

    @Test("parts come back whole whatever the read sizes", arguments: [1, 3, 7, 64, 100_000])
    func partsAcrossReads(step: Int) throws {
        // Part bodies that hold CR LF and a near-delimiter, which must not end them.
        let parts: [[UInt8]] = [Array("first\r\n--b0undar".utf8), [], Array(repeating: 0x0D, count: 5000) + [1, 2, 3]]
        let reader = MultipartReader(body: Self.body(Self.message(parts), step: step), boundary: "b0undary")
        var got: [[UInt8]] = []
        while let fields = try reader.nextPart() {
            #expect(fields.first?.name == "content-type")
            got.append(try reader.collectPart(limit: 1 << 20))
        }
        #expect(got == parts)
    }

    @Test func aBodyWithoutTheBoundaryIsRefused() {
        let reader = MultipartReader(body: HTTPBody(bytes: Array("--other\r\n\r\nx\r\n--other--".utf8)), boundary: "b0undary")
        #expect(throws: HTTPError.self) { _ = try reader.nextPart() }
    }

    @Test func aBodyCutInsideAPartIsRefused() throws {
        let whole = Self.message([Array("some bytes".utf8)])
        let reader = MultipartReader(body: HTTPBody(bytes: Array(whole.prefix(75))), boundary: "b0undary")
        _ = try reader.nextPart()
        #expect(throws: HTTPError.self) { _ = try reader.collectPart(limit: 1000) }
    }

    @Test func aPartOverTheLimitIsRefused() throws {
        let reader = MultipartReader(body: HTTPBody(bytes: Self.message([Array(repeating: 7, count: 2000)])), boundary: "b0undary")
        _ = try reader.nextPart()
        #expect(throws: HTTPError.self) { _ = try reader.collectPart(limit: 1000) }
    }
}
