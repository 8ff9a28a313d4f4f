import DICOM
import Testing

@Suite("DataSetDump")
struct DataSetDumpTests {
    /// The element lines of a dump of `dataSet` alone (no meta information).
    func dump(_ dataSet: DataSet, _ dumper: DataSetDump = DataSetDump()) -> [String] {
        let lines = dumper.lines(for: DICOMFile(dataSet: dataSet))
        #expect(Array(lines.prefix(4)) == ["# Dicom-File-Format", "", "# Dicom-Data-Set", "# Used TransferSyntax: Explicit VR Little Endian"])
        return Array(lines.dropFirst(4))
    }

    @Test("one line per element: tag, VR, value, length, multiplicity, keyword")
    func elements() {
        let ds = DataSet([
            DataElement(tag: .sopClassUID, vr: .UI, string: "1.2.840.10008.5.1.4.1.1.7"),
            DataElement(tag: Tag(0x0008_0008), vr: .CS, strings: ["ORIGINAL", "PRIMARY"]),
            DataElement(tag: .patientName, vr: .PN, string: "Doe^John"),
            DataElement(tag: .patientID, vr: .LO, string: ""),
            DataElement(tag: .rows, vr: .US, integers: [UInt16(512)]),
            DataElement(tag: Tag(0x0009_0010), vr: .LO, string: "GEMS_IDEN_01"),
            DataElement(tag: Tag(0x0009_1001), vr: .LO, string: "x"),
            DataElement(tag: Tag(0x0011_1001), vr: .UN, bytes: Bytes([0xAB, 0xCD])),
        ])
        let lines = dump(ds)
        #expect(lines.count == 8)
        #expect(lines[0].hasPrefix("(0008,0008) CS [ORIGINAL\\PRIMARY]"))
        #expect(lines[0].hasSuffix(" #  16, 2 ImageType"))
        #expect(lines[1].hasPrefix("(0008,0016) UI =SecondaryCaptureImageStorage"))
        #expect(lines[1].hasSuffix(" #  26, 1 SOPClassUID"))
        #expect(lines[2] == "(0009,0010) LO [GEMS_IDEN_01]" + String(repeating: " ", count: 52 - 29) + " #  12, 1 PrivateCreator")
        #expect(lines[3].hasSuffix("1 Private: Full fidelity"))
        #expect(lines[4].hasPrefix("(0010,0010) PN [Doe^John]"))
        #expect(lines[4].hasSuffix(" #   8, 1 PatientName"))
        #expect(lines[5].hasPrefix("(0010,0020) LO (no value available)"))
        #expect(lines[5].hasSuffix(" #   0, 0 PatientID"))
        #expect(lines[6].hasPrefix("(0011,1001) UN ab\\cd"))
        #expect(lines[6].hasSuffix("PrivateTag"))
        #expect(lines[7].hasPrefix("(0028,0010) US 512"))
        #expect(lines[7].hasSuffix(" #   2, 1 Rows"))
    }

    @Test("sequences and items are indented, with their delimiters")
    func sequences() {
        let item = DataSet([DataElement(tag: Tag(0x0008_1150), vr: .UI, string: "1.2")])
        let ds = DataSet([DataElement(tag: Tag(0x0008_1140), items: [item])])
        let lines = dump(ds)
        #expect(lines.count == 5)
        #expect(lines[0].hasPrefix("(0008,1140) SQ (Sequence with undefined length #=1)"))
        #expect(lines[0].hasSuffix("u/l, 1 ReferencedImageSequence"))
        #expect(lines[1].hasPrefix("  (fffe,e000) na (Item with undefined length #=1)"))
        #expect(lines[2].hasPrefix("    (0008,1150) UI [1.2]"))
        #expect(lines[3].hasPrefix("  (fffe,e00d) na (ItemDelimitationItem)"))
        #expect(lines[4].hasPrefix("(fffe,e0dd) na (SequenceDelimitationItem)"))
    }

    @Test("long values are cut; a file dump names its transfer syntax")
    func fileDump() throws {
        let ds = DataSet([DataElement(tag: Tag(0x0010_4000), vr: .LT, string: String(repeating: "x", count: 100))])
        let cut = dump(ds, DataSetDump(maximumValueLength: 10))
        #expect(cut[0].hasPrefix("(0010,4000) LT [xxxxxxxxxx...]"))
        let whole = dump(ds, DataSetDump(maximumValueLength: nil))
        #expect(whole[0].contains(String(repeating: "x", count: 100) + "]"))

        let file = try DICOMFile(bytes: Bytes(DICOMFile(dataSet: ds, transferSyntax: .implicitVRLittleEndian).encoded()))
        let lines = DataSetDump().lines(for: file)
        #expect(lines.first == "# Dicom-File-Format")
        #expect(lines.contains("# Dicom-Meta-Information-Header"))
        #expect(lines.contains("# Used TransferSyntax: Implicit VR Little Endian"))
        #expect(lines.contains { $0.hasPrefix("(0002,0010) UI =ImplicitVRLittleEndian") })
    }
}
