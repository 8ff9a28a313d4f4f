import DICOMCore
import Testing

@Suite("VR")
struct VRTests {
    static let longLength: Set<VR> = [.OB, .OD, .OF, .OL, .OV, .OW, .SQ, .SV, .UC, .UN, .UR, .UT, .UV]

    @Test("exactly OB OD OF OL OV OW SQ SV UC UN UR UT UV have a 32-bit length in explicit VR")
    func hasLongLength() {
        for vr in VR.all {
            #expect(vr.hasLongLength == Self.longLength.contains(vr), "\(vr)")
        }
        #expect(VR.all.filter(\.hasLongLength).count == 13)
    }

    @Test("the standard defines 34 VRs, all known")
    func known() {
        #expect(VR.all.count == 34)
        #expect(Set(VR.all).count == 34)
        for vr in VR.all { #expect(vr.isKnown, "\(vr)") }
        #expect(!VR("XX")!.isKnown)
        #expect(!VR("ob")!.isKnown)
        #expect(!VR(code: 0).isKnown)
    }

    @Test("built from two characters")
    func construction() {
        #expect(VR("PN") == .PN)
        #expect(VR("SQ") == .SQ)
        #expect(VR(0x55, 0x4E) == .UN)
        #expect(VR.OB.code == 0x4F42)
        #expect(VR("P") == nil)
        #expect(VR("PNX") == nil)
        #expect(VR.LO.description == "LO")
        #expect(VR(code: 0x0102).description == "??")
        for vr in VR.all { #expect(VR(vr.description) == vr) }
    }

    @Test("padding bytes: NUL for UI OB UN and binary VRs, space for text")
    func paddingByte() {
        #expect(VR.UI.paddingByte == 0)
        #expect(VR.OB.paddingByte == 0)
        #expect(VR.UN.paddingByte == 0)
        #expect(VR.OW.paddingByte == 0)
        #expect(VR.US.paddingByte == 0)
        for vr: VR in [.AE, .AS, .CS, .DA, .DS, .DT, .IS, .LO, .LT, .PN, .SH, .ST, .TM, .UC, .UR, .UT] {
            #expect(vr.paddingByte == 0x20, "\(vr)")
        }
    }

    @Test("string VRs, single-valued text and character set use")
    func classification() {
        #expect(VR.PN.isString && VR.UI.isString && VR.DS.isString)
        #expect(!VR.US.isString && !VR.OB.isString && !VR.SQ.isString && !VR.AT.isString)
        #expect(Set(VR.all.filter(\.isSingleValuedText)) == [.LT, .ST, .UT, .UR])
        #expect(Set(VR.all.filter(\.usesSpecificCharacterSet)) == [.SH, .LO, .ST, .LT, .PN, .UC, .UT])
        #expect(Set(VR.all.filter(\.isBinary)) == [.OB, .OD, .OF, .OL, .OV, .OW, .UN])
    }

    @Test("numeric widths and byte-swap units")
    func widths() {
        #expect(VR.US.numericWidth == 2)
        #expect(VR.SL.numericWidth == 4)
        #expect(VR.FD.numericWidth == 8)
        #expect(VR.UV.numericWidth == 8)
        #expect(VR.LO.numericWidth == nil)
        #expect(VR.AT.swapUnit == 2)
        #expect(VR.OW.swapUnit == 2)
        #expect(VR.OF.swapUnit == 4)
        #expect(VR.OD.swapUnit == 8)
        #expect(VR.OB.swapUnit == 1)
        #expect(VR.PN.swapUnit == 1)
    }

    @Test("maximum lengths and names")
    func lengthsAndNames() {
        #expect(VR.AE.maximumLength == 16)
        #expect(VR.LO.maximumLength == 64)
        #expect(VR.UI.maximumLength == 64)
        #expect(VR.DS.maximumLength == 16)
        #expect(VR.IS.maximumLength == 12)
        #expect(VR.UT.maximumLength == nil)
        #expect(VR.PN.name == "Person Name")
        #expect(VR.SQ.name == "Sequence of Items")
        #expect(VR("QQ")!.name == "Unknown VR QQ")
    }
}
