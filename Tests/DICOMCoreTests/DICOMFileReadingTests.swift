import DICOMCore
import Testing

@Suite("DICOMFile reading")
struct DICOMFileReadingTests {
    static func explicitBody() -> [UInt8] {
        var s = Stream()
        s.explicit(0x0008_0016, "UI", "1.2.840.10008.5.1.4.1.1.7\0")
        s.explicit(0x0008_0060, "CS", "OT")
        s.explicit(0x0010_0010, "PN", "Doe^John")
        return s.bytes
    }

    static func implicitBody() -> [UInt8] {
        var s = Stream()
        s.implicit(0x0008_0016, "1.2.840.10008.5.1.4.1.1.7\0")
        s.implicit(0x0008_0060, "OT")
        s.implicit(0x0010_0010, "Doe^John")
        return s.bytes
    }

    func checkBody(_ ds: DataSet) {
        #expect(ds.count == 3)
        #expect(ds.string(.sopClassUID) == "1.2.840.10008.5.1.4.1.1.7")
        #expect(ds[.sopClassUID]?.vr == .UI)
        #expect(ds.string(.modality) == "OT")
        #expect(ds.string(.patientName) == "Doe^John")
    }

    @Test("a Part 10 file: preamble, DICM, meta information, data set")
    func part10File() throws {
        var bytes = part10(transferSyntaxUID: "1.2.840.10008.1.2.1", body: Self.explicitBody())
        bytes[0] = 0x41
        let file = try DICOMFile(bytes: Bytes(bytes))
        #expect(file.preamble?.count == 128)
        #expect(file.preamble?[0] == 0x41)
        #expect(file.transferSyntax == .explicitVRLittleEndian)
        #expect(file.warnings.isEmpty)
        #expect(file.fileMetaInformation.map(\.tag) == [.fileMetaInformationGroupLength, .fileMetaInformationVersion, .transferSyntaxUID])
        #expect(file.fileMetaInformation.string(.transferSyntaxUID) == "1.2.840.10008.1.2.1")
        #expect(file.fileMetaInformation[.fileMetaInformationVersion]?.bytes?.array == [0, 1])
        #expect(file.fileMetaInformation.integer(.fileMetaInformationGroupLength) == 14 + 28)
        checkBody(file.dataSet)
    }

    @Test("Part 10 files in implicit VR and big endian")
    func part10OtherSyntaxes() throws {
        let implicit = try DICOMFile(bytes: Bytes(part10(transferSyntaxUID: "1.2.840.10008.1.2", body: Self.implicitBody())))
        #expect(implicit.transferSyntax == .implicitVRLittleEndian)
        #expect(implicit.warnings.isEmpty)
        checkBody(implicit.dataSet)

        var big = Stream(bigEndian: true)
        big.explicit(0x0028_0010, "US", be16(300))
        big.explicit(0x0028_0011, "US", be16(2))
        let file = try DICOMFile(bytes: Bytes(part10(transferSyntaxUID: "1.2.840.10008.1.2.2", body: big.bytes)))
        #expect(file.transferSyntax == .explicitVRBigEndian)
        #expect(file.dataSet.integer(.rows) == 300)
        #expect(file.dataSet.integer(.columns) == 2)
    }

    @Test("DICM without a preamble is read, with a warning")
    func noPreamble() throws {
        let file = try DICOMFile(bytes: Bytes(part10(transferSyntaxUID: "1.2.840.10008.1.2.1", body: Self.explicitBody(), preamble: false)))
        #expect(file.preamble == nil)
        #expect(file.warnings.contains { $0.contains("no preamble") })
        #expect(file.transferSyntax == .explicitVRLittleEndian)
        checkBody(file.dataSet)
    }

    @Test("meta information without preamble or DICM is still read")
    func metaWithoutDICM() throws {
        let bytes = Array(part10(transferSyntaxUID: "1.2.840.10008.1.2", body: Self.implicitBody()).dropFirst(132))
        let file = try DICOMFile(bytes: Bytes(bytes))
        #expect(file.preamble == nil)
        #expect(file.fileMetaInformation.string(.transferSyntaxUID) == "1.2.840.10008.1.2")
        #expect(file.transferSyntax == .implicitVRLittleEndian)
        checkBody(file.dataSet)
    }

    @Test("a bare data set without preamble or meta: the encoding is detected",
          arguments: [(true, false), (false, false), (true, true)])
    func detection(explicit: Bool, bigEndian: Bool) throws {
        let bytes: [UInt8]
        if bigEndian {
            var s = Stream(bigEndian: true)
            s.explicit(0x0008_0060, "CS", "OT")
            s.explicit(0x0028_0010, "US", be16(300))
            bytes = s.bytes
        } else {
            bytes = explicit ? Self.explicitBody() : Self.implicitBody()
        }
        let file = try DICOMFile(bytes: Bytes(bytes))
        #expect(file.preamble == nil)
        #expect(file.fileMetaInformation.isEmpty)
        let expected: TransferSyntax = bigEndian ? .explicitVRBigEndian : explicit ? .explicitVRLittleEndian : .implicitVRLittleEndian
        #expect(file.transferSyntax == expected)
        if bigEndian {
            #expect(file.dataSet.integer(.rows) == 300)
        } else {
            checkBody(file.dataSet)
        }
    }

    @Test("a meta header that says explicit VR over an implicit VR data set")
    func metaSaysExplicit() throws {
        let file = try DICOMFile(bytes: Bytes(part10(transferSyntaxUID: "1.2.840.10008.1.2.1", body: Self.implicitBody())))
        #expect(file.transferSyntax == .implicitVRLittleEndian)
        #expect(file.fileMetaInformation.string(.transferSyntaxUID) == "1.2.840.10008.1.2.1")
        #expect(file.warnings.contains { $0.contains("says explicit VR") })
        checkBody(file.dataSet)
    }

    @Test("a meta header that says implicit VR over an explicit VR data set")
    func metaSaysImplicit() throws {
        let file = try DICOMFile(bytes: Bytes(part10(transferSyntaxUID: "1.2.840.10008.1.2", body: Self.explicitBody())))
        #expect(file.transferSyntax == .explicitVRLittleEndian)
        #expect(file.warnings.contains { $0.contains("says implicit VR") })
        checkBody(file.dataSet)
    }

    @Test("a meta header without a transfer syntax: detected, with a warning")
    func metaWithoutSyntax() throws {
        var meta = Stream()
        meta.explicit(0x0002_0001, "OB", [0, 1])
        var bytes = [UInt8](repeating: 0, count: 128) + ascii("DICM") + meta.bytes
        bytes += Self.implicitBody()
        let file = try DICOMFile(bytes: Bytes(bytes))
        #expect(file.transferSyntax == .implicitVRLittleEndian)
        #expect(file.warnings.contains { $0.contains("no transfer syntax") })
        checkBody(file.dataSet)
    }

    @Test("a forced transfer syntax overrides detection")
    func forcedSyntax() throws {
        let file = try DICOMFile(bytes: Bytes(Self.explicitBody()), options: ReadOptions(transferSyntax: .explicitVRLittleEndian))
        #expect(file.transferSyntax == .explicitVRLittleEndian)
        checkBody(file.dataSet)
    }

    @Test("encapsulated syntaxes are read as explicit VR little endian")
    func encapsulatedFile() throws {
        var s = Stream()
        s.explicit(0x0028_0010, "US", le16(8))
        s.explicitHeader(0x7FE0_0010, "OB", length: 0xFFFF_FFFF)
        s.item(length: 0)
        s.item(length: 2)
        s.raw([0xFF, 0xD8])
        s.sequenceDelimiter()
        let file = try DICOMFile(bytes: Bytes(part10(transferSyntaxUID: "1.2.840.10008.1.2.4.50", body: s.bytes)))
        #expect(file.transferSyntax == .jpegBaseline8Bit)
        #expect(file.dataSet[.pixelData]?.encapsulated?.fragments.map(\.array) == [[0xFF, 0xD8]])
    }

    @Test("a deflated file without a codec is refused")
    func deflatedWithoutCodec() {
        let bytes = part10(transferSyntaxUID: "1.2.840.10008.1.2.1.99", body: [0x63, 0x60, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05])
        let error = parseFailure { _ = try DICOMFile(bytes: Bytes(bytes)) }
        #expect(error?.reason == .deflateUnavailable)
        #expect(error?.offset == 132 + 12 + 14 + 30)
    }

    /// An identity "codec" that records what it was given: enough to see which bytes DICOMFile takes for the data set.
    final class RecordingCodec: DeflateCodec, @unchecked Sendable {
        var inputs: [[UInt8]] = []
        func inflate(_ input: UnsafeRawBufferPointer, limit: Int) throws -> (output: [UInt8], consumed: Int) {
            inputs.append(Array(input))
            return (Array(input), input.count)
        }
        func deflate(_ input: UnsafeRawBufferPointer) throws -> [UInt8] { Array(input) }
    }

    @Test("a deflated data set shorter than an element header is handed to the codec whole")
    func shortDeflatedBody() throws {
        let codec = RecordingCodec()
        // Raw deflate of an empty data set is two bytes: 03 00.
        let bytes = part10(transferSyntaxUID: "1.2.840.10008.1.2.1.99", body: [0x03, 0x00])
        let file = try DICOMFile(bytes: Bytes(bytes), options: ReadOptions(deflate: codec))
        #expect(codec.inputs == [[0x03, 0x00]])
        #expect(file.transferSyntax == .deflatedExplicitVRLittleEndian)
        #expect(file.fileMetaInformation.count == 3)
    }

    @Test("headerOnly stops before pixel data")
    func headerOnly() throws {
        var body = Stream()
        body.explicit(0x0028_0010, "US", le16(1))
        body.explicit(0x7FE0_0010, "OW", le16(1, 2, 3))
        let file = try DICOMFile(bytes: Bytes(part10(transferSyntaxUID: "1.2.840.10008.1.2.1", body: body.bytes)),
                                 options: .headerOnly)
        #expect(file.dataSet.map(\.tag) == [.rows])
    }

    @Test("the meta group length bounds the meta: a big endian tag that reads as (0002,xxxx) is data set")
    func metaGroupLengthBoundsTheMeta() throws {
        // (0200,1200) in big endian is the bytes 02 00 12 00: (0002,0012) when read little endian.
        var body = Stream(bigEndian: true)
        body.explicit(0x0200_1200, "UN", [1, 2, 3, 4])
        let file = try DICOMFile(bytes: Bytes(part10(transferSyntaxUID: "1.2.840.10008.1.2.2", body: body.bytes)))
        #expect(file.fileMetaInformation.count == 3)
        #expect(file.dataSet[Tag(0x0200_1200)]?.bytes?.array == [1, 2, 3, 4])
        #expect(file.warnings.isEmpty)
    }

    @Test("a wrong meta group length is passed over with a warning, the meta read by group")
    func wrongMetaGroupLength() throws {
        var bytes = part10(transferSyntaxUID: "1.2.840.10008.1.2.1", body: { var b = Stream(); b.explicit(0x0008_0060, "CS", "CT"); return b.bytes }())
        bytes[140] = 0x7F  // the group length's value
        let file = try DICOMFile(bytes: Bytes(bytes))
        #expect(file.dataSet.string(.modality) == "CT")
        #expect(file.warnings.contains { $0.contains("group length") })
    }
}
