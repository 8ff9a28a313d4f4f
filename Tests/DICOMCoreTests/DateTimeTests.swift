import DICOMCore
import Testing

@Suite("DICOMDate")
struct DICOMDateTests {
    @Test("YYYYMMDD and the ACR-NEMA YYYY.MM.DD")
    func parsing() throws {
        let d = try #require(DICOMDate("20230115"))
        #expect(d.year == 2023 && d.month == 1 && d.day == 15)
        #expect(d.description == "20230115")
        #expect(DICOMDate("2023.01.15") == d)
        #expect(DICOMDate(" 20230115 ") == d)
        #expect(DICOMDate("20230115\0") == d)
        #expect(DICOMDate(year: 2023, month: 1, day: 15) == d)
    }

    @Test("invalid dates are refused",
          arguments: ["20230230", "20230229", "19000229", "20231301", "20230001", "20230100", "20230431", "2023011",
                      "202301150", "2023-01-15", "2023/01/15", "", "abcdefgh", "2023.1.15"])
    func invalid(text: String) {
        #expect(DICOMDate(text) == nil)
    }

    @Test("leap years")
    func leapYears() {
        #expect(DICOMDate("20240229") != nil)
        #expect(DICOMDate("20000229") != nil)
        #expect(DICOMDate("21000229") == nil)
        #expect(DICOMDate(year: 2023, month: 2, day: 29) == nil)
        #expect(DICOMDate(year: 2023, month: 12, day: 31) != nil)
        #expect(DICOMDate(year: 10000, month: 1, day: 1) == nil)
    }

    @Test("ordering and days since the epoch")
    func arithmetic() throws {
        let a = try #require(DICOMDate("19991231"))
        let b = try #require(DICOMDate("20000101"))
        #expect(a < b)
        #expect(b.daysSinceEpoch - a.daysSinceEpoch == 1)
        #expect(DICOMDate("19700101")?.daysSinceEpoch == 0)
        #expect(DICOMDate("19691231")?.daysSinceEpoch == -1)
        #expect(DICOMDate("20000101")?.daysSinceEpoch == 10957)
        #expect(DICOMDate("20230301")!.daysSinceEpoch - DICOMDate("20230228")!.daysSinceEpoch == 1)
        #expect(DICOMDate("20240301")!.daysSinceEpoch - DICOMDate("20240228")!.daysSinceEpoch == 2)
    }
}

@Suite("DICOMTime")
struct DICOMTimeTests {
    @Test("partial precision")
    func precision() throws {
        let h = try #require(DICOMTime("10"))
        #expect(h.hour == 10 && h.minute == nil && h.second == nil && h.microsecond == nil)
        let hm = try #require(DICOMTime("1030"))
        #expect(hm.minute == 30 && hm.second == nil)
        let hms = try #require(DICOMTime("103045"))
        #expect(hms.second == 45 && hms.microsecond == nil && hms.fractionDigits == 0)
        #expect(DICOMTime("235960")?.second == 60)  // leap second
    }

    @Test("fractions keep their number of digits")
    func fractions() throws {
        let t = try #require(DICOMTime("103045.123"))
        #expect(t.microsecond == 123_000)
        #expect(t.fractionDigits == 3)
        #expect(t.description == "103045.123")
        let full = try #require(DICOMTime("103045.000001"))
        #expect(full.microsecond == 1 && full.fractionDigits == 6)
        #expect(full.description == "103045.000001")
        #expect(DICOMTime("103045.5")?.microsecond == 500_000)
        #expect(DICOMTime("10:30:45.5") == DICOMTime("103045.5"))
        #expect(DICOMTime("10:30")?.minute == 30)
    }

    @Test("invalid times are refused",
          arguments: ["", "1", "103", "10304", "2400", "1060", "103061", "103045.", "103045.1234567", "103045,5", "ab", "10a0"])
    func invalid(text: String) {
        #expect(DICOMTime(text) == nil)
    }

    @Test("microseconds since midnight and the last microsecond denoted")
    func ranges() throws {
        #expect(DICOMTime("10")?.microsecondsSinceMidnight == 36_000_000_000)
        #expect(DICOMTime("10")?.lastMicrosecond == (10 * 3600 + 3599) * 1_000_000 + 999_999)
        #expect(DICOMTime("1030")?.lastMicrosecond == ((10 * 60 + 30) * 60 + 59) * 1_000_000 + 999_999)
        #expect(DICOMTime("103045")?.lastMicrosecond == (37_845 * 1_000_000) + 999_999)
        #expect(DICOMTime("103045.1")?.lastMicrosecond == 37_845 * 1_000_000 + 199_999)
        #expect(DICOMTime("103045.12")?.lastMicrosecond == 37_845 * 1_000_000 + 129_999)
        #expect(DICOMTime("103045.123456")?.lastMicrosecond == 37_845 * 1_000_000 + 123_456)
        #expect(DICOMTime("235959.999999")?.lastMicrosecond == 86_400_000_000 - 1)
        #expect(DICOMTime("0930")! < DICOMTime("093000.5")!)
    }

    @Test("constructed from components")
    func components() {
        #expect(DICOMTime(hour: 24) == nil)
        #expect(DICOMTime(hour: 1, minute: nil, second: 5) == nil)
        #expect(DICOMTime(hour: 1, minute: 2, second: 3, microsecond: 1_000_000) == nil)
        #expect(DICOMTime(hour: 7, minute: 5)?.description == "0705")
        #expect(DICOMTime(hour: 7, minute: 5, second: 9, microsecond: 250_000, fractionDigits: 2)?.description == "070509.25")
    }
}

@Suite("DICOMDateTime")
struct DICOMDateTimeTests {
    @Test("a full value with a UTC offset")
    func full() throws {
        let dt = try #require(DICOMDateTime("20230115103045.5+0130"))
        #expect(dt.year == 2023 && dt.month == 1 && dt.day == 15)
        #expect(dt.time == DICOMTime("103045.5"))
        #expect(dt.utcOffsetMinutes == 90)
        #expect(dt.description == "20230115103045.5+0130")
        #expect(dt.date == DICOMDate("20230115"))
        let local = dt.microsecondsSinceEpoch()
        #expect(local - dt.microsecondsSinceEpoch(inUTC: true) == 90 * 60_000_000)
        #expect(local == Int64(DICOMDate("20230115")!.daysSinceEpoch) * 86_400_000_000 + 37_845_500_000)
    }

    @Test("negative offsets and partial values")
    func partial() throws {
        let west = try #require(DICOMDateTime("20230115-0530"))
        #expect(west.utcOffsetMinutes == -330)
        #expect(west.time == nil)
        #expect(west.description == "20230115-0530")
        #expect(west.microsecondsSinceEpoch(inUTC: true) - west.microsecondsSinceEpoch() == 330 * 60_000_000)

        let year = try #require(DICOMDateTime("2023"))
        #expect(year.month == nil && year.day == nil && year.utcOffsetMinutes == nil)
        #expect(year.date == DICOMDate("20230101"))
        #expect(DICOMDateTime("202302")?.month == 2)
        #expect(DICOMDateTime("2023+0100")?.utcOffsetMinutes == 60)
        #expect(DICOMDateTime("2023011510")?.time?.hour == 10)
        #expect(DICOMDateTime("20230115103045.123456")?.time?.microsecond == 123_456)
        #expect(DICOMDateTime("2023011510 ")?.description == "2023011510")
    }

    @Test("invalid values are refused",
          arguments: ["", "202", "20231", "2023131", "20231301", "20230230", "2023011", "202301151", "20230115+01",
                      "20230115+1500", "20230115+0160", "20230115256000", "x0230115"])
    func invalid(text: String) {
        #expect(DICOMDateTime(text) == nil)
    }
}

@Suite("DICOMAge")
struct DICOMAgeTests {
    @Test("nnnD, nnnW, nnnM, nnnY")
    func parsing() throws {
        let a = try #require(DICOMAge("045Y"))
        #expect(a.value == 45 && a.unit == .years)
        #expect(DICOMAge("003D")?.unit == .days)
        #expect(DICOMAge("012W")?.unit == .weeks)
        #expect(DICOMAge("018M")?.value == 18)
        #expect(a.description == "045Y")
        #expect(DICOMAge(value: 7, unit: .months)?.description == "007M")
    }

    @Test("invalid ages", arguments: ["45Y", "0045Y", "045X", "045y", "04AY", "", "Y045"])
    func invalid(text: String) {
        #expect(DICOMAge(text) == nil)
    }

    @Test("values out of range")
    func range() {
        #expect(DICOMAge(value: 1000, unit: .days) == nil)
        #expect(DICOMAge(value: -1, unit: .years) == nil)
        #expect(DICOMAge(value: 999, unit: .years) != nil)
    }
}
