import DICOMCore
import Testing

/// Typed reading of element values.
@Suite("DataElement typed values")
struct ElementValuesTests {
    func element(_ vr: VR, _ bytes: [UInt8], tag: Tag = Tag(0x0009_1001)) -> DataElement {
        DataElement(tag: tag, vr: vr, bytes: Bytes(bytes))
    }

    @Test("strings split on backslash, except LT, ST, UT and UR")
    func splitting() {
        #expect(element(.CS, ascii("ORIGINAL\\PRIMARY\\AXIAL ")).strings() == ["ORIGINAL", "PRIMARY", "AXIAL"])
        #expect(element(.LO, ascii("a\\\\b ")).strings() == ["a", "", "b"])
        for vr: VR in [.LT, .ST, .UT, .UR] {
            #expect(element(vr, ascii("C:\\dir\\file")).strings() == ["C:\\dir\\file"], "\(vr)")
        }
        #expect(element(.LO, []).strings() == [])
        #expect(element(.LO, ascii("  ")).strings() == [""])
    }

    @Test("trimming: trailing padding always; leading spaces except for text VRs and PN")
    func trimming() {
        #expect(element(.LO, ascii("  abc  ")).string() == "abc")
        #expect(element(.SH, ascii(" x ")).strings() == ["x"])
        #expect(element(.UI, ascii("1.2.3\0")).string() == "1.2.3")
        #expect(element(.ST, ascii("  indented  ")).string() == "  indented")
        #expect(element(.LT, ascii(" a\\b ")).string() == " a\\b")
        #expect(element(.UT, ascii(" t ")).string() == " t")
        #expect(element(.PN, ascii(" Doe^John ")).string() == " Doe^John")
        #expect(element(.CS, ascii(" A \\ B ")).strings() == ["A", "B"])
        #expect(element(.DS, ascii(" 1.5 \\ 2 ")).strings() == ["1.5", "2"])
    }

    @Test("text accessors refuse binary VRs and sequences")
    func notText() {
        #expect(element(.US, le16(1)).string() == nil)
        #expect(element(.OB, [1, 2]).strings() == nil)
        #expect(DataElement(tag: Tag(0x0008_1140), items: []).string() == nil)
        #expect(DataElement(tag: Tag(0x0008_1140), items: []).bytes == nil)
        // UN reads as text with string(), since it may hide a text attribute.
        #expect(element(.UN, ascii("AB")).string() == "AB")
    }

    @Test("binary numbers are read little endian")
    func binaryNumbers() {
        #expect(element(.US, le16(1, 512, 65535)).uint16s == [1, 512, 65535])
        #expect(element(.SS, le16(0xFFFF, 2)).int16s == [-1, 2])
        #expect(element(.UL, le32(0xDEAD_BEEF)).uint32s == [0xDEAD_BEEF])
        #expect(element(.SL, le32(0xFFFF_FFFE)).int32s == [-2])
        #expect(element(.UV, le32(1, 0) + le32(0, 1)).uint64s == [1, 1 << 32])
        #expect(element(.SV, le32(0xFFFF_FFFF, 0xFFFF_FFFF)).int64s == [-1])
        #expect(element(.FL, le32(Float(1.5).bitPattern, Float(-2).bitPattern)).floats == [1.5, -2])
        #expect(element(.FD, le32(0, 0x3FF8_0000)).doubles == [1.5])
        #expect(element(.US, [1, 2, 3]).uint16s == nil)
        #expect(element(.FD, le32(1)).doubles == nil)
        #expect(element(.US, []).uint16s == [])
    }

    @Test("AT values are pairs of group and element")
    func tags() {
        #expect(element(.AT, le16(0x0010, 0x0010, 0x7FE0, 0x0010)).tags == [.patientName, .pixelData])
        #expect(element(.AT, le16(0x0010)).tags == nil)
        #expect(DataElement(tag: Tag(0x0028_0009), tags: [Tag(0x0018_1063)]).bytes?.array == [0x18, 0x00, 0x63, 0x10])
    }

    @Test("integers of IS and of every binary integer VR")
    func integers() {
        #expect(element(.IS, ascii("1\\ 2 \\-3 ")).integers == [1, 2, -3])
        #expect(element(.IS, ascii("12.0")).integer == 12)
        #expect(element(.US, le16(7, 8)).integers == [7, 8])
        #expect(element(.SS, le16(0x8000)).integers == [-32768])
        #expect(element(.UL, le32(4_000_000_000)).integer == 4_000_000_000)
        #expect(element(.SL, le32(0x8000_0000)).integer == -2_147_483_648)
        #expect(element(.SV, le32(0xFFFF_FFFB, 0xFFFF_FFFF)).integer == -5)
        #expect(element(.UV, le32(0xFFFF_FFFF, 0xFFFF_FFFF)).integers == [])
        #expect(element(.DS, ascii("1.5")).integers == nil)
        #expect(element(.LO, ascii("12")).integer == nil)
    }

    @Test("decimals of DS, FL, FD and the integer VRs")
    func decimals() {
        #expect(element(.DS, ascii("1.5\\-2e3\\ 0.25")).decimals == [1.5, -2000, 0.25])
        #expect(element(.DS, ascii("0.5 ")).decimal == 0.5)
        #expect(element(.FL, le32(Float(0.5).bitPattern)).decimals == [0.5])
        #expect(element(.OF, le32(Float(2).bitPattern)).decimals == [2])
        #expect(element(.FD, le32(0, 0x4000_0000)).decimal == 2)
        #expect(element(.US, le16(3)).decimals == [3])
        #expect(element(.IS, ascii("4")).decimal == 4)
        #expect(element(.DS, ascii("abc\\2")).decimals == [2])
        #expect(element(.LO, ascii("1.5")).decimal == nil)
    }

    @Test("dates, times, date-times and ages by VR")
    func temporal() {
        #expect(element(.DA, ascii("20230101\\20231231")).dates == [DICOMDate("20230101")!, DICOMDate("20231231")!])
        #expect(element(.TM, ascii("1030\\103045.5 ")).times == [DICOMTime("1030")!, DICOMTime("103045.5")!])
        #expect(element(.DT, ascii("20230101120000+0100")).dateTimes?.first?.utcOffsetMinutes == 60)
        #expect(element(.AS, ascii("045Y")).ages == [DICOMAge("045Y")!])
        #expect(element(.LO, ascii("20230101")).dates == nil)
        #expect(element(.DA, ascii("20230230")).dates == [])
    }

    @Test("value lengths and emptiness")
    func lengths() {
        #expect(element(.LO, ascii("AB")).valueLength == 2)
        #expect(element(.LO, []).isEmpty)
        #expect(!element(.LO, ascii("AB")).isEmpty)
        let item = DataSet([DataElement(tag: Tag(0x0008_1150), vr: .UI, string: "1.2")])
        let undefined = DataElement(tag: Tag(0x0008_1140), items: [item])
        #expect(undefined.valueLength == nil)
        let defined = DataElement(tag: Tag(0x0008_1140), vr: .SQ, value: .sequence(
            DICOMSequence(items: [SequenceItem(item, hasUndefinedLength: false)], hasUndefinedLength: false)))
        #expect(defined.valueLength == 8 + 12)
        #expect(DataElement(tag: Tag(0x0008_1140), items: []).isEmpty)
    }

    @Test("typed access through the data set")
    func dataSetAccessors() {
        var ds = DataSet()
        ds.set(DataElement(tag: .studyDate, vr: .DA, string: "20230115"))
        ds.set(DataElement(tag: Tag(0x0008_0030), vr: .TM, string: "101010"))
        ds.set(DataElement(tag: Tag(0x0008_002A), vr: .DT, string: "20230115101010"))
        ds.set(DataElement(tag: Tag(0x0028_0030), decimalStrings: [0.5, 0.25]))
        ds.set(DataElement(tag: Tag(0x0020_0013), integerStrings: [3]))
        ds.set(DataElement(tag: .patientName, vr: .PN, string: "Doe^John"))
        #expect(ds.date(.studyDate) == DICOMDate("20230115"))
        #expect(ds.time(Tag(0x0008_0030))?.second == 10)
        #expect(ds.dateTime(Tag(0x0008_002A))?.time?.minute == 10)
        #expect(ds.decimals(Tag(0x0028_0030)) == [0.5, 0.25])
        #expect(ds.integers(Tag(0x0020_0013)) == [3])
        #expect(ds.personName(.patientName)?.alphabeticComponents.familyName == "Doe")
        #expect(ds.strings(.patientName) == ["Doe^John"])
        #expect(ds.string(.patientID) == nil)
        #expect(ds.items(.patientName) == nil)
    }
}
