import DICOMCore
import Testing

/// Inputs the libFuzzer target over the reader found, kept so that they stay fixed.
@Suite struct FuzzRegressionTests {
    /// Writing what the reader made of an input, in each native syntax, then reading and writing it again,
    /// changes nothing (the fuzz target's fixed-point check).
    func expectFixedPoint(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        for tolerant in [false, true] {
            guard let file = try? DICOMFile(bytes: Bytes(bytes), options: ReadOptions(allowTruncation: tolerant)) else { continue }
            for syntax in [TransferSyntax.explicitVRLittleEndian, .implicitVRLittleEndian, .explicitVRBigEndian] {
                guard let written = try? file.encoded(transferSyntax: syntax, groupLengths: .recalculate) else { continue }
                let again = try? DICOMFile(bytes: Bytes(written))
                #expect(again != nil, "cannot re-read what was written in \(syntax.name)", sourceLocation: sourceLocation)
                let rewritten = try? again?.encoded(transferSyntax: syntax, groupLengths: .recalculate)
                #expect(rewritten == written, "\(syntax.name), tolerant \(tolerant): not a fixed point", sourceLocation: sourceLocation)
            }
        }
    }

    /// Group 0000 elements in a data set, repeated and out of order, the last truncated to 3 bytes of a UL.
    @Test func repeatedCommandGroupLengthsTruncated() {
        var b = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)
        b[6] = 0x04; b[7] = 0x51; b[8] = 0x14
        b += [0x02, 0x00, 0x00, 0x00] + Array("UL".utf8) + [0x04, 0x00, 0xD0, 0x00, 0x00, 0x00]
        b += [0x02, 0x00, 0x01, 0x00] + Array("OB".utf8) + [0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01]
        b += [0x02, 0x00, 0x02, 0x00] + Array("UI".utf8) + [0x1A, 0x00] + Array("1.2.840.10008.5.1".utf8)
        b += [UInt8](repeating: 0, count: 0x136 - b.count) + Array("47110".utf8)
        #expect(b.count == 315)
        expectFixedPoint(b)
    }
}
