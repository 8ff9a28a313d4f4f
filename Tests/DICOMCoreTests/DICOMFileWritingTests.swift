import DICOMCore
import Testing

@Suite("DICOMFile writing")
struct DICOMFileWritingTests {
    static func dataSet() -> DataSet {
        DataSet([
            DataElement(tag: .sopClassUID, vr: .UI, string: "1.2.840.10008.5.1.4.1.1.7"),
            DataElement(tag: .sopInstanceUID, vr: .UI, string: "2.25.1234"),
            DataElement(tag: .modality, vr: .CS, string: "OT"),
            DataElement(tag: Tag(0x0008_1140), items: [DataSet([DataElement(tag: Tag(0x0008_1150), vr: .UI, string: "1.2")])]),
            DataElement(tag: .patientName, vr: .PN, string: "Doe^John"),
            DataElement(tag: .rows, vr: .US, integers: [UInt16(2)]),
            DataElement(tag: .columns, vr: .US, integers: [UInt16(2)]),
            DataElement(tag: .pixelData, vr: .OW, integers: [UInt16(1), 2, 3, 0xFFFF]),
        ])
    }

    @Test("encoded() then DICOMFile(bytes:) round-trips in each native syntax",
          arguments: [TransferSyntax.explicitVRLittleEndian, .implicitVRLittleEndian, .explicitVRBigEndian])
    func roundTrip(syntax: TransferSyntax) throws {
        let file = DICOMFile(dataSet: Self.dataSet(), transferSyntax: syntax)
        let bytes = try file.encoded()
        #expect(bytes.count > 132)
        #expect(Array(bytes[0..<128]) == [UInt8](repeating: 0, count: 128))
        #expect(Array(bytes[128..<132]) == ascii("DICM"))
        let back = try DICOMFile(bytes: Bytes(bytes))
        #expect(back.warnings.isEmpty)
        #expect(back.transferSyntax == syntax)
        #expect(back.dataSet == Self.dataSet())
        #expect(back.preamble?.array == [UInt8](repeating: 0, count: 128))
    }

    @Test("the file meta information is completed and its group length computed")
    func metaInformation() throws {
        let file = DICOMFile(dataSet: Self.dataSet())
        let back = try DICOMFile(bytes: Bytes(try file.encoded()))
        let meta = back.fileMetaInformation
        #expect(meta.string(.transferSyntaxUID) == "1.2.840.10008.1.2.1")
        #expect(meta.string(.mediaStorageSOPClassUID) == "1.2.840.10008.5.1.4.1.1.7")
        #expect(meta.string(.mediaStorageSOPInstanceUID) == "2.25.1234")
        #expect(meta.string(.implementationClassUID) == DICOMFile.implementationClassUID)
        #expect(meta.string(.implementationVersionName) == DICOMFile.implementationVersionName)
        #expect(meta[.fileMetaInformationVersion]?.bytes?.array == [0, 1])
        let groupLength = try #require(meta.integer(.fileMetaInformationGroupLength))
        let rest = meta.filter { $0.tag != .fileMetaInformationGroupLength }
        #expect(groupLength == DataSetWriter.encodedLength(of: DataSet(Array(rest)), explicitVR: true))
        #expect(meta.allSatisfy { $0.tag.group == 0x0002 })
    }

    @Test("encoding in another syntax rewrites the transfer syntax UID; existing meta elements are kept")
    func transcodeNative() throws {
        var file = DICOMFile(dataSet: Self.dataSet(), transferSyntax: .explicitVRLittleEndian)
        file.fileMetaInformation.set(DataElement(tag: .sourceApplicationEntityTitle, vr: .AE, string: "SENDER"))
        file.fileMetaInformation.set(DataElement(tag: .transferSyntaxUID, vr: .UI, string: "1.2.840.10008.1.2.1"))
        let bytes = try file.encoded(transferSyntax: .implicitVRLittleEndian)
        let back = try DICOMFile(bytes: Bytes(bytes))
        #expect(back.transferSyntax == .implicitVRLittleEndian)
        #expect(back.fileMetaInformation.string(.transferSyntaxUID) == "1.2.840.10008.1.2")
        #expect(back.fileMetaInformation.string(.sourceApplicationEntityTitle) == "SENDER")
        #expect(back.dataSet == Self.dataSet())
    }

    @Test("a read file written again comes out byte for byte the same")
    func rewrite() throws {
        let first = try DICOMFile(dataSet: Self.dataSet(), transferSyntax: .explicitVRBigEndian).encoded()
        let again = try DICOMFile(bytes: Bytes(first)).encoded()
        #expect(again == first)
    }

    @Test("a preamble of its own is kept")
    func preamble() throws {
        let preamble = Bytes((0..<128).map { UInt8($0) })
        let file = DICOMFile(dataSet: Self.dataSet(), preamble: preamble)
        let back = try DICOMFile(bytes: Bytes(try file.encoded()))
        #expect(back.preamble == preamble)
    }

    @Test("deflated output needs a codec")
    func deflateUnavailable() {
        let file = DICOMFile(dataSet: Self.dataSet())
        #expect(throws: DICOMWriteError.deflateUnavailable) {
            _ = try file.encoded(transferSyntax: .deflatedExplicitVRLittleEndian)
        }
    }

    @Test("pixel data cannot move between native and encapsulated syntaxes without transcoding")
    func needsTranscoding() throws {
        let file = DICOMFile(dataSet: Self.dataSet())
        #expect(throws: DICOMWriteError.pixelDataNeedsTranscoding(from: "1.2.840.10008.1.2.1", to: "1.2.840.10008.1.2.4.50")) {
            _ = try file.encoded(transferSyntax: .jpegBaseline8Bit)
        }
        // Without pixel data, any syntax will do.
        var noPixels = file
        noPixels.dataSet.remove(.pixelData)
        let back = try DICOMFile(bytes: Bytes(try noPixels.encoded(transferSyntax: .jpegBaseline8Bit)))
        #expect(back.transferSyntax == .jpegBaseline8Bit)
        #expect(back.dataSet == noPixels.dataSet)
    }

    @Test("encapsulated pixel data round-trips in its own syntax")
    func encapsulated() throws {
        var ds = Self.dataSet()
        ds.set(DataElement(tag: .pixelData, vr: .OB, value: .encapsulated(
            EncapsulatedPixelData(basicOffsetTable: Bytes(le32(0)), fragments: [Bytes([0xFF, 0xD8, 0xFF, 0xD9])]))))
        let file = DICOMFile(dataSet: ds, transferSyntax: .jpegBaseline8Bit)
        let back = try DICOMFile(bytes: Bytes(try file.encoded()))
        #expect(back.transferSyntax == .jpegBaseline8Bit)
        #expect(back.dataSet == ds)
    }
}
