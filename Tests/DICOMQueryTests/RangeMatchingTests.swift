import DICOMCore
import DICOMQuery
import Testing

/// Range matching of DA, TM and DT (PS3.4 C.2.2.2.5): either end open, each bound the whole span of its precision.
@Suite("Matching: date, time and date-time ranges")
struct RangeMatchingTests {
    @Test("DA closed range", arguments: [
        ("20230101", true), ("20230115", true), ("20230131", true), ("20221231", false), ("20230201", false),
        ("19991231", false), ("20240115", false),
    ])
    func dateClosed(candidate: String, expected: Bool) {
        #expect(matches("20230101-20230131", candidate, .DA) == expected)
    }

    @Test("DA open ranges")
    func dateOpen() {
        #expect(matches("-20230131", "19000101", .DA))
        #expect(matches("-20230131", "20230131", .DA))
        #expect(!matches("-20230131", "20230201", .DA))
        #expect(matches("20230101-", "20230101", .DA))
        #expect(matches("20230101-", "29991231", .DA))
        #expect(!matches("20230101-", "20221231", .DA))
    }

    @Test("a DA range with an invalid bound is not a range, and matches nothing")
    func dateInvalidBound() {
        #expect(Matching(vr: .DA, value: "20230101-20231399") == .single("20230101-20231399"))
        #expect(!matches("20230101-20231399", "20230601", .DA))
    }

    @Test("TM ranges of partial precision: \"12\" is the whole hour", arguments: [
        ("095959", false), ("100000", true), ("103000", true), ("120000", true), ("123000", true), ("125959.999999", true),
        ("130000", false), ("12", true), ("1259", true), ("09", false),
    ])
    func timeHours(candidate: String, expected: Bool) {
        #expect(matches("10-12", candidate, .TM) == expected, "10-12 ~ \(candidate)")
    }

    @Test("TM ranges to the minute, second and fraction")
    func timePrecision() {
        #expect(matches("1000-1200", "120059", .TM))
        #expect(!matches("1000-1200", "120100", .TM))
        #expect(!matches("1000-1200", "095959.999999", .TM))
        #expect(matches("103000-103030", "103030.5", .TM))
        #expect(!matches("103000-103030", "103031", .TM))
        #expect(matches("-0800", "000000", .TM))
        #expect(!matches("-0800", "0900", .TM))
        #expect(matches("1700-", "235959", .TM))
        #expect(!matches("1700-", "165959", .TM))
        #expect(matches("10:00-12:00", "11:30", .TM))
    }

    @Test("DT ranges of partial precision")
    func dateTimePrecision() {
        #expect(Matching(vr: .DT, value: "2023-2024") == .range(lower: "2023", upper: "2024"))
        #expect(matches("2023-2024", "20230101000000", .DT))
        #expect(matches("2023-2024", "20241231235959.999999", .DT))
        #expect(!matches("2023-2024", "20250101", .DT))
        #expect(!matches("2023-2024", "2022", .DT))
        #expect(matches("202302-202302", "20230228", .DT))
        #expect(!matches("202302-202302", "20230301", .DT))
        #expect(matches("20230101120000-20230101130000", "20230101123000", .DT))
        #expect(matches("20230101120000-20230101130000", "20230101130000.5", .DT))
        #expect(!matches("20230101120000-20230101130000", "20230101130001", .DT))
        #expect(matches("-20230101", "19700101", .DT))
        #expect(matches("20230101-", "20991231", .DT))
    }

    @Test("DT ranges compare instants across UTC offsets")
    func dateTimeOffsets() {
        let key = "20230101113000+0000-20230101123000+0000"
        #expect(Matching(vr: .DT, value: key) == .range(lower: "20230101113000+0000", upper: "20230101123000+0000"))
        #expect(matches(key, "20230101140000+0200", .DT))   // 12:00 UTC
        #expect(matches(key, "20230101070000-0500", .DT))   // 12:00 UTC
        #expect(!matches(key, "20230101120000+0200", .DT))  // 10:00 UTC
        #expect(!matches(key, "20230101090000-0500", .DT))  // 14:00 UTC
        // Bounds with negative offsets: the "-" between them is found among the others.
        let negative = "20230101063000-0500-20230101073000-0500"
        #expect(Matching(vr: .DT, value: negative) == .range(lower: "20230101063000-0500", upper: "20230101073000-0500"))
        #expect(matches(negative, "20230101120000+0000", .DT))
        #expect(!matches(negative, "20230101070000+0000", .DT))
    }

    @Test("a DT single value with a negative UTC offset is not read as a range")
    func dateTimeNegativeOffsetSingle() {
        #expect(Matching(vr: .DT, value: "20230101120000-0500") == .single("20230101120000-0500"))
        #expect(Matching(vr: .DT, value: "20230101-0500") == .single("20230101-0500"))
        #expect(matches("20230101120000-0500", "20230101170000+0000", .DT))
        #expect(matches("20230101120000-0500", "20230101120000-0500", .DT))
        #expect(!matches("20230101120000-0500", "20230101120000", .DT))
        #expect(!matches("20230101120000-0500", "20230101120000+0000", .DT))
    }

    @Test("a DT range whose upper bound is a four-digit year, not a UTC offset (hours above 14)")
    func dateTimeYearUpperBound() {
        #expect(Matching(vr: .DT, value: "20230101-2024") == .range(lower: "20230101", upper: "2024"))
        #expect(matches("20230101-2024", "20240601", .DT))
        #expect(!matches("20230101-2024", "20221231", .DT))
    }

    @Test("a candidate that is not a valid value never matches a range")
    func invalidCandidates() {
        #expect(!matches("20230101-20230131", "", .DA))
        #expect(!matches("20230101-20230131", "2023-01-15", .DA))
        #expect(!matches("10-12", "25", .TM))
        #expect(!matches("2023-2024", "x", .DT))
    }
}
