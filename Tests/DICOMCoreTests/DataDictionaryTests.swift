import DICOMCore
import Testing

@Suite("DataDictionary")
struct DataDictionaryTests {
    @Test("VRs of standard attributes")
    func standardVRs() {
        #expect(DataDictionary.vr(for: .patientName) == .vr(.PN))
        #expect(DataDictionary.vr(for: .patientID) == .vr(.LO))
        #expect(DataDictionary.vr(for: .sopClassUID) == .vr(.UI))
        #expect(DataDictionary.vr(for: .studyDate) == .vr(.DA))
        #expect(DataDictionary.vr(for: .rows) == .vr(.US))
        #expect(DataDictionary.vr(for: Tag(0x0008_1140)) == .vr(.SQ))
        #expect(DataDictionary.vr(for: Tag(0x0028_0030)) == .vr(.DS))
        #expect(DataDictionary.vr(for: Tag(0x0020_0013)) == .vr(.IS))
        #expect(DataDictionary.vr(for: .transferSyntaxUID) == .vr(.UI))
        #expect(DataDictionary.vr(for: .fileMetaInformationVersion) == .vr(.OB))
    }

    @Test("ambiguous VRs and delimiters")
    func ambiguous() {
        #expect(DataDictionary.vr(for: .pixelData) == .obOrOW)
        #expect(DataDictionary.vr(for: Tag(0x0028_0106)) == .usOrSS)
        #expect(DataDictionary.vr(for: Tag(0x0028_3006)) == .usOrOW)
        #expect(DataDictionary.vr(for: .item) == DictionaryVR.none)
        #expect(DictionaryVR.obOrOW.preferred == .OW)
        #expect(DictionaryVR.usOrSS.preferred == .US)
        #expect(DictionaryVR.none.preferred == .UN)
        #expect(DictionaryVR.vr(.PN).preferred == .PN)
        #expect(DictionaryVR.obOrOW.description == "OB or OW")
        #expect(DictionaryVR.usOrSSOrOW.description == "US or SS or OW")
    }

    @Test("group lengths are UL, private ones included", arguments: [0x0008_0000, 0x0010_0000, 0x0009_0000, 0x7FE0_0000] as [UInt32])
    func groupLengths(raw: UInt32) throws {
        #expect(DataDictionary.vr(for: Tag(raw)) == .vr(.UL))
        let entry = try #require(DataDictionary.entry(for: Tag(raw)))
        #expect(entry.vr == .vr(.UL))
        #expect(!entry.keyword.isEmpty)
    }

    @Test("private creators are LO, other private elements unknown without a creator")
    func privateCreators() throws {
        #expect(DataDictionary.vr(for: Tag(0x0009_0010)) == .vr(.LO))
        #expect(DataDictionary.vr(for: Tag(0x0029_00FF)) == .vr(.LO))
        #expect(DataDictionary.vr(for: Tag(0x0009_1001)) == nil)
        let entry = try #require(DataDictionary.entry(for: Tag(0x0011_0012)))
        #expect(entry.keyword == "PrivateCreator")
        #expect(entry.vr == .vr(.LO))
        #expect(DataDictionary.entry(for: Tag(0x0011_1012)) == nil)
    }

    @Test("overlay groups 6000-601E repeat; odd and out-of-range groups do not")
    func repeatingGroups() throws {
        #expect(DataDictionary.vr(for: Tag(0x6000_3000)) == .obOrOW)
        #expect(DataDictionary.vr(for: Tag(0x6002_3000)) == .obOrOW)
        #expect(DataDictionary.vr(for: Tag(0x601E_3000)) == .obOrOW)
        #expect(DataDictionary.vr(for: Tag(0x6000_0010)) == .vr(.US))
        #expect(DataDictionary.vr(for: Tag(0x6004_0011)) == .vr(.US))
        #expect(DataDictionary.vr(for: Tag(0x6002_0050)) == .vr(.SS))
        #expect(DataDictionary.vr(for: Tag(0x6020_3000)) == nil)
        #expect(DataDictionary.vr(for: Tag(0x6100_3000)) == nil)
        // An odd overlay group is private: its (6001,0010) is a private creator.
        #expect(DataDictionary.vr(for: Tag(0x6001_0010)) == .vr(.LO))
        #expect(DataDictionary.vr(for: Tag(0x6001_3000)) == nil)

        let overlay = try #require(DataDictionary.entry(for: Tag(0x6002_3000)))
        #expect(overlay.keyword == "OverlayData")
        #expect(overlay.name == "Overlay Data")
        #expect(overlay.tag == Tag(0x6002_3000))
        #expect(!overlay.isRetired)
        let rows = try #require(DataDictionary.entry(for: Tag(0x6006_0010)))
        #expect(rows.keyword == "OverlayRows")
        #expect(rows.vm == VM("1"))
        // Curve data (50xx) is retired.
        let curve = try #require(DataDictionary.entry(for: Tag(0x5002_3000)))
        #expect(curve.isRetired)
        #expect(curve.vr == .obOrOW)
    }

    @Test("entries carry keyword, name, VM and retirement")
    func entries() throws {
        let name = try #require(DataDictionary.entry(for: .patientName))
        #expect(name.tag == .patientName)
        #expect(name.keyword == "PatientName")
        #expect(name.name == "Patient's Name")
        #expect(name.vr == .vr(.PN))
        #expect(name.vm == VM("1"))
        #expect(!name.isRetired)
        #expect(name.privateCreator == nil)

        let imageType = try #require(DataDictionary.entry(for: Tag(0x0008_0008)))
        #expect(imageType.keyword == "ImageType")
        #expect(imageType.vm == VM("2-n"))

        let spacing = try #require(DataDictionary.entry(for: Tag(0x0028_0030)))
        #expect(spacing.keyword == "PixelSpacing")
        #expect(spacing.vm == VM("2"))

        let retired = try #require(DataDictionary.entry(for: Tag(0x0008_0010)))
        #expect(retired.keyword == "RecognitionCode")
        #expect(retired.isRetired)

        #expect(DataDictionary.entry(for: Tag(0x0010_0011)) == nil)
        #expect(DataDictionary.entry(for: Tag(0x0009_1001)) == nil)
    }

    @Test("keywords map back to tags")
    func keywords() {
        #expect(DataDictionary.tag(forKeyword: "PatientName") == .patientName)
        #expect(DataDictionary.tag(forKeyword: "PixelData") == .pixelData)
        #expect(DataDictionary.tag(forKeyword: "TransferSyntaxUID") == .transferSyntaxUID)
        #expect(DataDictionary.tag(forKeyword: "SOPInstanceUID") == .sopInstanceUID)
        #expect(DataDictionary.tag(forKeyword: "patientname") == nil)
        #expect(DataDictionary.tag(forKeyword: "NoSuchAttribute") == nil)
        #expect(DataDictionary.tag(forKeyword: "") == nil)
        for tag: Tag in [.patientID, .studyInstanceUID, .rows, .bitsAllocated, .numberOfFrames] {
            let keyword = DataDictionary.entry(for: tag)?.keyword ?? ""
            #expect(DataDictionary.tag(forKeyword: keyword) == tag)
        }
    }

    @Test("private dictionary: GEMS_IDEN_01 (0009,xx01) is Full fidelity, LO")
    func privateEntries() throws {
        let e = try #require(DataDictionary.privateEntry(for: Tag(0x0009_1001), creator: "GEMS_IDEN_01"))
        #expect(e.vr == .vr(.LO))
        #expect(e.name == "Full fidelity")
        #expect(e.vm == VM("1"))
        #expect(e.privateCreator == "GEMS_IDEN_01")
        #expect(e.tag == Tag(0x0009_1001))

        // The same element in another block, and a creator padded with a space.
        let other = try #require(DataDictionary.privateEntry(for: Tag(0x0009_1201), creator: "GEMS_IDEN_01 "))
        #expect(other.name == "Full fidelity")
        #expect(DataDictionary.privateEntry(for: Tag(0x0009_1002), creator: "GEMS_IDEN_01")?.vr == .vr(.SH))
        #expect(DataDictionary.privateEntry(for: Tag(0x0009_1027), creator: "GEMS_IDEN_01")?.vr == .vr(.SL))
        #expect(DataDictionary.privateEntry(for: Tag(0x0009_10E2), creator: "GEMS_IDEN_01")?.vm == VM("1-n"))

        #expect(DataDictionary.privateEntry(for: Tag(0x0009_1003), creator: "GEMS_IDEN_01") == nil)
        #expect(DataDictionary.privateEntry(for: Tag(0x0011_1001), creator: "GEMS_IDEN_01") == nil)
        #expect(DataDictionary.privateEntry(for: Tag(0x0009_1001), creator: "NO SUCH CREATOR") == nil)
        #expect(DataDictionary.privateEntry(for: Tag(0x0009_1001), creator: "gems_iden_01") == nil)
    }

    @Test("private entries for a range of groups and for exact tags")
    func privateGroupRanges() throws {
        // DLX_LKUP_01 names (60xx,xx01) for any overlay-like group.
        let lut = try #require(DataDictionary.privateEntry(for: Tag(0x6001_1001), creator: "DLX_LKUP_01"))
        #expect(lut.name == "Gray Palette color lookup table descriptor")
        #expect(DataDictionary.privateEntry(for: Tag(0x6011_1101), creator: "DLX_LKUP_01")?.name == lut.name)
        // CANON_MEC_MR3 names (700D,0005) exactly.
        let fov = try #require(DataDictionary.privateEntry(for: Tag(0x700D_0005), creator: "CANON_MEC_MR3"))
        #expect(fov.name == "FOV")
        #expect(fov.vr == .vr(.DS))
        #expect(fov.vm == VM("4"))
    }
}
