import DICOMCore
import DICOMQuery
import Testing

/// "*" matches any run of characters (including none), "?" exactly one (PS3.4 C.2.2.2.4).
@Suite("Matching: wildcards")
struct WildcardMatchingTests {
    @Test("patterns that match", arguments: [
        ("DOE*", "DOE"), ("DOE*", "DOE^JOHN"), ("*JOHN", "DOE^JOHN"), ("*JOHN", "JOHN"), ("*O*N*", "DOE^JOHN"),
        ("D?E", "DOE"), ("D?E*", "DUE^X"), ("?", "A"), ("??", "AB"), ("A*B*C", "AXXBYYC"), ("A*B*C", "ABC"),
        ("*", ""), ("**A**", "A"), ("*A", "AAAA"), ("A*A", "AA"), ("*?*", "X"), ("?*?", "XY"), ("*AB", "AAB"),
        ("A*B", "AB"), ("héll?", "héllo"), ("*.*", "file.dcm"), ("a*b*c*d", "aXbXcXd"), ("*BC*", "ABCD"),
    ])
    func matching(pattern: String, candidate: String) {
        #expect(matches(pattern, candidate, .LO), "\(pattern) ~ \(candidate)")
    }

    @Test("patterns that must fail", arguments: [
        ("DOE*", "DO"), ("DOE*", "JOHN^DOE"), ("*JOHN", "JOHN^DOE"), ("D?E", "DE"), ("D?E", "DOOE"), ("?", ""),
        ("??", "A"), ("??", "ABC"), ("A*B*C", "AXXCYYB"), ("A*B*C", "ABCD"), ("*X", "ABC"), ("X*", "ABC"),
        ("A*A", "A"), ("doe*", "DOE^JOHN"), ("*BC", "ABCD"), ("?*?", "X"), ("a*b*c*d", "aXbXcX"),
    ])
    func notMatching(pattern: String, candidate: String) {
        #expect(!matches(pattern, candidate, .LO), "\(pattern) !~ \(candidate)")
    }

    @Test("wildcards apply to AE, CS, LO, PN, SH and the text VRs, not to UI, DA or numbers")
    func wildcardVRs() {
        for vr: VR in [.AE, .CS, .LO, .LT, .PN, .SH, .ST, .UC, .UT] {
            #expect(Matching(vr: vr, value: "AB*") == .wildcard("AB*"), "\(vr)")
            #expect(matches("AB*", "ABCD", vr), "\(vr)")
        }
        #expect(Matching(vr: .UI, value: "1.2*") == .single("1.2*"))
        #expect(Matching(vr: .IS, value: "1*") == .single("1*"))
        #expect(!matches("1*", "12", .IS))
    }

    @Test("a pattern of only stars is universal")
    func onlyStars() {
        #expect(Matching(vr: .LO, value: "*") == .universal)
        #expect(Matching(vr: .LO, value: "****") == .universal)
        #expect(Matching(vr: .LO, value: "*?") == .wildcard("*?"))
    }

    @Test("a hostile pattern finishes quickly")
    func pathological() {
        let candidate = String(repeating: "a", count: 5000)
        let pattern = String(repeating: "*a", count: 40) + "b"
        let start = ContinuousClock.now
        #expect(!matches(pattern, candidate, .LO))
        #expect(matches(String(repeating: "*a", count: 40), candidate, .LO))
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test("person name wildcards apply to each component group")
    func personNames() {
        #expect(matches("Doe*", "Doe^John", .PN))
        #expect(matches("*John", "Doe^John", .PN))
        #expect(matches("山*", "Yamada^Tarou=山田^太郎", .PN))
        #expect(!matches("Tar*", "Yamada^Tarou=山田^太郎", .PN))
    }
}
