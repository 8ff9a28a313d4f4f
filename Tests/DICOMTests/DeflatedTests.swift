import DICOM
import Testing

/// Deflated Explicit VR Little Endian (PS3.5 §A.5) through zlib.
@Suite("Deflated transfer syntax")
struct DeflatedTests {
    static func dataSet() -> DataSet {
        let item = DataSet([DataElement(tag: Tag(0x0008_1150), vr: .UI, string: "1.2.840.10008.5.1.4.1.1.7")])
        return DataSet([
            DataElement(tag: .sopClassUID, vr: .UI, string: "1.2.840.10008.5.1.4.1.1.7"),
            DataElement(tag: .sopInstanceUID, vr: .UI, string: "2.25.42"),
            DataElement(tag: .modality, vr: .CS, string: "OT"),
            DataElement(tag: Tag(0x0008_1140), items: [item]),
            DataElement(tag: .patientName, vr: .PN, string: "Doe^John"),
            DataElement(tag: Tag(0x0010_4000), vr: .LT, string: String(repeating: "compressible text ", count: 200)),
            DataElement(tag: .rows, vr: .US, integers: [UInt16(16)]),
            DataElement(tag: .columns, vr: .US, integers: [UInt16(16)]),
            DataElement(tag: .pixelData, vr: .OW, integers: (0..<256).map { UInt16($0 % 7) }),
        ])
    }

    @Test("a file written deflated reads back equal")
    func fileRoundTrip() throws {
        let file = DICOMFile(dataSet: Self.dataSet(), transferSyntax: .deflatedExplicitVRLittleEndian)
        let bytes = try file.encodedData()
        let plain = try DICOMFile(dataSet: Self.dataSet()).encoded()
        #expect(bytes.count < plain.count - 2000)

        let back = try DICOMFile(bytes: Bytes(bytes), options: .standard)
        #expect(back.transferSyntax == .deflatedExplicitVRLittleEndian)
        #expect(back.fileMetaInformation.string(.transferSyntaxUID) == "1.2.840.10008.1.2.1.99")
        #expect(back.dataSet == Self.dataSet())
        #expect(back.warnings.isEmpty)
    }

    @Test("the data set after the meta information is raw deflate")
    func rawDeflate() throws {
        let bytes = try DICOMFile(dataSet: Self.dataSet(), transferSyntax: .deflatedExplicitVRLittleEndian).encodedData()
        let meta = try DICOMFile(bytes: Bytes(bytes), options: ReadOptions(stopAtTag: Tag(0x0002_FFFF), deflate: ZlibDeflate()))
        let groupLength = try #require(meta.fileMetaInformation.integer(.fileMetaInformationGroupLength))
        let start = 132 + 12 + groupLength
        let body = Array(bytes[start...])
        let inflated = try body.withUnsafeBytes { try ZlibDeflate().inflate($0, limit: 1 << 20) }
        #expect(inflated.consumed == body.count)
        let ds = try DICOMFile.parseDataSet(Bytes(inflated.output), transferSyntax: .explicitVRLittleEndian)
        #expect(ds == Self.dataSet())
    }

    @Test("a bare deflated data set")
    func bareDataSet() throws {
        let plain = try DataSetWriter(explicitVR: true).encode(Self.dataSet())
        let packed = try plain.withUnsafeBytes { try ZlibDeflate().deflate($0) }
        let ds = try DICOMFile.parseDataSet(Bytes(packed), transferSyntax: .deflatedExplicitVRLittleEndian, options: .standard)
        #expect(ds == Self.dataSet())
        #expect(throws: DICOMParseError(.deflateUnavailable, offset: 0, tag: nil)) {
            _ = try DICOMFile.parseDataSet(Bytes(packed), transferSyntax: .deflatedExplicitVRLittleEndian)
        }
    }

    @Test("a corrupt or oversized deflated body fails with deflateFailed")
    func failures() throws {
        let good = try DICOMFile(dataSet: Self.dataSet(), transferSyntax: .deflatedExplicitVRLittleEndian).encodedData()
        var bad = good
        bad.removeLast(good.count / 3)
        do {
            _ = try DICOMFile(bytes: Bytes(bad), options: .standard)
            Issue.record("a truncated deflated file was read")
        } catch {
            guard case .deflateFailed = error.reason else { Issue.record("expected deflateFailed, got \(error)"); return }
        }
        var small = ReadOptions.standard
        small.maximumInflatedSize = 1000
        do {
            _ = try DICOMFile(bytes: Bytes(good), options: small)
            Issue.record("the inflate limit was not applied")
        } catch {
            guard case .deflateFailed(let why) = error.reason else { Issue.record("expected deflateFailed, got \(error)"); return }
            #expect(why.contains("1000"))
        }
        #expect(throws: DICOMParseError.self) { _ = try DICOMFile(bytes: Bytes(good)) }
    }

    @Test("re-encoding a deflated file as explicit VR little endian")
    func transcode() throws {
        let deflated = try DICOMFile(dataSet: Self.dataSet(), transferSyntax: .deflatedExplicitVRLittleEndian).encodedData()
        let file = try DICOMFile(bytes: Bytes(deflated), options: .standard)
        let plain = try file.encodedData(transferSyntax: .explicitVRLittleEndian)
        let back = try DICOMFile(bytes: Bytes(plain))
        #expect(back.transferSyntax == .explicitVRLittleEndian)
        #expect(back.dataSet == Self.dataSet())
    }
}

@Suite("Deflated transfer syntax: edge cases")
struct DeflatedEdgeTests {
    @Test("an empty data set, deflated to two bytes, reads back")
    func emptyDataSet() throws {
        let bytes = try DICOMFile(dataSet: DataSet(), transferSyntax: .deflatedExplicitVRLittleEndian).encodedData()
        let back = try DICOMFile(bytes: Bytes(bytes), options: .standard)
        #expect(back.dataSet.isEmpty)
        #expect(back.transferSyntax == .deflatedExplicitVRLittleEndian)
    }

    @Test("JPIP Referenced Deflate data sets are deflated too")
    func jpipReferencedDeflate() throws {
        let syntax = try #require(TransferSyntax.from(uid: "1.2.840.10008.1.2.4.95"))
        let ds = DataSet([DataElement(tag: .patientName, vr: .PN, string: "Doe^John"),
                          DataElement(tag: Tag(0x0028_7FE0), vr: .UR, string: "http://jpip.example/pixels")])
        let bytes = try DICOMFile(dataSet: ds, transferSyntax: syntax).encodedData()
        let back = try DICOMFile(bytes: Bytes(bytes), options: .standard)
        #expect(back.transferSyntax.uid == "1.2.840.10008.1.2.4.95")
        #expect(back.dataSet == ds)
    }
}
