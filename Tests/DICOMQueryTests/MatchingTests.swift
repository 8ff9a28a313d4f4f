import DICOMCore
import DICOMQuery
import Testing

/// Universal, single value, UID list and multi-valued keys (PS3.4 C.2.2.2.1–C.2.2.2.3).
@Suite("Matching: kinds, single values, UID lists")
struct MatchingTests {
    @Test("the kind of matching a key asks for")
    func kinds() {
        #expect(Matching(vr: .LO, value: "") == .universal)
        #expect(Matching(vr: .DA, value: "") == .universal)
        #expect(Matching(vr: .UI, value: "") == .universal)
        #expect(Matching(vr: .LO, value: "*") == .universal)
        #expect(Matching(vr: .PN, value: "***") == .universal)
        #expect(Matching(vr: .CS, value: "CT") == .single("CT"))
        #expect(Matching(vr: .UI, value: "1.2.3") == .single("1.2.3"))
        #expect(Matching(vr: .UI, value: "1.2.3\\1.2.4") == .uidList(["1.2.3", "1.2.4"]))
        #expect(Matching(vr: .LO, value: "DOE*") == .wildcard("DOE*"))
        #expect(Matching(vr: .SH, value: "A?C") == .wildcard("A?C"))
        #expect(Matching(vr: .DA, value: "20230101-20230131") == .range(lower: "20230101", upper: "20230131"))
        #expect(Matching(vr: .DA, value: "-20230131") == .range(lower: nil, upper: "20230131"))
        #expect(Matching(vr: .DA, value: "20230101-") == .range(lower: "20230101", upper: nil))
        #expect(Matching(vr: .CS, value: "CT\\MR") == .anyOf([.single("CT"), .single("MR")]))
        #expect(Matching(vr: .DA, value: "20230101\\20230105-20230107")
                == .anyOf([.single("20230101"), .range(lower: "20230105", upper: "20230107")]))
    }

    @Test("universal matching matches any value")
    func universal() {
        for candidate in ["", "anything", "20230101", "Doe^John"] {
            #expect(Matching.universal.matches(candidate, vr: .LO, options: MatchingOptions()))
        }
        #expect(matches("*", "whatever", .LO))
    }

    @Test("single values are case sensitive and exact", arguments: [
        ("CT", "CT", true), ("CT", "ct", false), ("CT", "CTX", false), ("CT", "C", false),
        ("ABC123", "ABC123", true), ("ABC123", "abc123", false), ("A B", "A B", true), ("A B", "AB", false),
    ])
    func singleValue(key: String, candidate: String, expected: Bool) {
        #expect(matches(key, candidate, .SH) == expected)
        #expect(matches(key, candidate, .CS) == expected)
        #expect(matches(key, candidate, .LO) == expected)
    }

    @Test("a wildcard character in a VR without wildcards is matched literally")
    func literalStar() {
        #expect(Matching(vr: .UI, value: "1.2.*") == .single("1.2.*"))
        #expect(!matches("1.2.*", "1.2.3", .UI))
        #expect(matches("1.2.*", "1.2.*", .UI))
    }

    @Test("person names: case sensitive by default, case insensitive with the option")
    func personNameCase() {
        let ci = MatchingOptions(caseInsensitivePersonNames: true)
        #expect(matches("Doe^John", "Doe^John", .PN))
        #expect(!matches("Doe^John", "DOE^JOHN", .PN))
        #expect(matches("Doe^John", "DOE^JOHN", .PN, options: ci))
        #expect(!matches("Doe^John", "Doe^Jane", .PN, options: ci))
        #expect(matches("doe*", "DOE^JOHN", .PN, options: ci))
        #expect(!matches("doe*", "DOE^JOHN", .PN))
        // The option is for person names only.
        #expect(!matches("ct", "CT", .CS, options: ci))
        #expect(!matches("doe*", "DOE^JOHN", .LO, options: ci))
    }

    @Test("person names with component groups (alphabetic=ideographic=phonetic)")
    func personNameGroups() {
        let name = "Yamada^Tarou=山田^太郎=やまだ^たろう"
        #expect(matches("Yamada^Tarou", name, .PN))
        #expect(matches("山田^太郎", name, .PN))
        #expect(matches("やまだ^たろう", name, .PN))
        #expect(matches("=山田^太郎", name, .PN))
        #expect(matches("Yamada^Tarou=山田^太郎", name, .PN))
        #expect(matches("==やまだ^たろう", name, .PN))
        #expect(matches("Yamada*=山田*", name, .PN))
        #expect(!matches("Yamada^Tarou=山田^花子", name, .PN))
        #expect(!matches("=Yamada^Tarou", name, .PN))
        #expect(!matches("山田^花子", name, .PN))
        #expect(!matches("Yamada", name, .PN))
        #expect(matches("Yamada*", name, .PN))
        // A query group beyond the candidate's groups does not match.
        #expect(!matches("==やまだ^たろう", "Yamada^Tarou", .PN))
        // An empty query group matches any.
        #expect(matches("Yamada^Tarou=", name, .PN))
    }

    @Test("UID lists match any listed UID, exactly")
    func uidLists() {
        let key = "1.2.3\\1.2.4\\1.2.840.10008.5.1.4.1.1.2"
        #expect(matches(key, "1.2.3", .UI))
        #expect(matches(key, "1.2.4", .UI))
        #expect(matches(key, "1.2.840.10008.5.1.4.1.1.2", .UI))
        #expect(!matches(key, "1.2.5", .UI))
        #expect(!matches(key, "1.2.3.4", .UI))
        #expect(!matches(key, "1.2", .UI))
        #expect(matches("1.2.3", "1.2.3", .UI))
        #expect(!matches("1.2.3", "1.2.30", .UI))
    }

    @Test("multi-valued keys of other VRs match when any value does")
    func multiValuedKeys() {
        #expect(matches("CT\\MR", "MR", .CS))
        #expect(matches("CT\\MR", "CT", .CS))
        #expect(!matches("CT\\MR", "US", .CS))
        #expect(matches("DOE*\\ROE*", "ROE^JANE", .PN))
        #expect(!matches("DOE*\\ROE*", "POE^JANE", .PN))
        #expect(matches("20230101\\20230301-20230331", "20230315", .DA))
        #expect(!matches("20230101\\20230301-20230331", "20230201", .DA))
        // LT is single valued: a backslash is text.
        #expect(Matching(vr: .LT, value: "a\\b") == .single("a\\b"))
    }

    @Test("numbers compare by value")
    func numbers() {
        #expect(matches("1.50", "1.5", .DS))
        #expect(matches("2", "2.0", .DS))
        #expect(matches("007", "7", .IS))
        #expect(!matches("7", "8", .IS))
        #expect(!matches("1.5", "1.25", .DS))
    }

    @Test("single dates, times and date-times match the span of the key at its precision")
    func temporalSingle() {
        #expect(matches("20230115", "20230115", .DA))
        #expect(!matches("20230115", "20230116", .DA))
        #expect(matches("1030", "103015", .TM))
        #expect(!matches("1030", "103115", .TM))
        #expect(matches("10", "105959.999", .TM))
        #expect(matches("2023", "20230615101010", .DT))
        #expect(!matches("2023", "20240101", .DT))
        #expect(matches("20230615", "20230615235959", .DT))
        // Unparsable candidates do not match a date key.
        #expect(!matches("20230115", "not a date", .DA))
    }
}
