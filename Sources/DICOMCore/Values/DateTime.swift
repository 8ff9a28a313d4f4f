/// A DA value (PS3.5 Table 6.2-1): a calendar date.
public struct DICOMDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year) || year == 0, (1...12).contains(month), (1...DICOMDate.days(year, month)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// "YYYYMMDD"; the ACR-NEMA form "YYYY.MM.DD" is read too (PS3.5 §6.2 note).
    public init?(_ text: some StringProtocol) {
        let u = Array(text.utf8.filter { $0 != 0x20 && $0 != 0 })
        let digits: [UInt8]
        if u.count == 10 && u[4] == UInt8(ascii: ".") && u[7] == UInt8(ascii: ".") {
            digits = Array(u[0..<4] + u[5..<7] + u[8..<10])
        } else {
            digits = u
        }
        guard digits.count == 8, let y = parseDigits(digits[0..<4]), let m = parseDigits(digits[4..<6]),
              let d = parseDigits(digits[6..<8]) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    static func days(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public var description: String { pad(year, 4) + pad(month, 2) + pad(day, 2) }

    public static func < (a: DICOMDate, b: DICOMDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    /// Days since 1970-01-01 (proleptic Gregorian), for arithmetic and conversion to timestamps.
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}

/// A TM value: a time of day to a precision given by how many components it has (PS3.5 Table 6.2-1).
public struct DICOMTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var hour: Int
    public var minute: Int?
    public var second: Int?
    /// Microseconds, with the number of fraction digits given.
    public var microsecond: Int?
    public var fractionDigits: Int

    public init?(hour: Int, minute: Int? = nil, second: Int? = nil, microsecond: Int? = nil, fractionDigits: Int = 6) {
        guard (0...23).contains(hour) else { return nil }
        if let minute { guard (0...59).contains(minute) else { return nil } }
        // 60 allows a leap second (PS3.5 Table 6.2-1).
        if let second { guard minute != nil, (0...60).contains(second) else { return nil } }
        if let microsecond { guard second != nil, (0...999_999).contains(microsecond) else { return nil } }
        self.hour = hour
        self.minute = minute
        self.second = second
        self.microsecond = microsecond
        self.fractionDigits = microsecond == nil ? 0 : max(1, min(6, fractionDigits))
    }

    /// "HH", "HHMM", "HHMMSS", "HHMMSS.FFFFFF"; the ACR-NEMA form "HH:MM:SS.frac" is read too.
    public init?(_ text: some StringProtocol) {
        let u = Array(text.utf8.filter { $0 != 0x20 && $0 != 0 && $0 != UInt8(ascii: ":") })
        guard u.count >= 2, let h = parseDigits(u[0..<2]) else { return nil }
        var m: Int?, s: Int?, f: Int?, fd = 0
        if u.count >= 4 {
            guard let mm = parseDigits(u[2..<4]) else { return nil }
            m = mm
        } else if u.count != 2 { return nil }
        if u.count >= 6 {
            guard let ss = parseDigits(u[4..<6]) else { return nil }
            s = ss
        } else if u.count > 4 { return nil }
        if u.count > 6 {
            guard u[6] == UInt8(ascii: "."), u.count > 7, u.count <= 13, let frac = parseDigits(u[7...]) else { return nil }
            fd = u.count - 7
            var micro = frac
            for _ in fd..<6 { micro *= 10 }
            f = micro
        }
        self.init(hour: h, minute: m, second: s, microsecond: f, fractionDigits: fd)
    }

    public var description: String {
        var s = pad(hour, 2)
        if let minute { s += pad(minute, 2) }
        if let second { s += pad(second, 2) }
        if let microsecond {
            var digits = pad(microsecond, 6)
            digits.removeLast(6 - fractionDigits)
            s += "." + digits
        }
        return s
    }

    /// Microseconds since midnight, missing components counting as zero (the start of the range they denote).
    public var microsecondsSinceMidnight: Int {
        ((hour * 60 + (minute ?? 0)) * 60 + (second ?? 0)) * 1_000_000 + (microsecond ?? 0)
    }

    /// The last microsecond this time denotes: "10" is 10:00:00.000000 to 10:59:59.999999 (PS3.4 C.2.2.2.5).
    public var lastMicrosecond: Int {
        if minute == nil { return (hour * 3600 + 3599) * 1_000_000 + 999_999 }
        if second == nil { return ((hour * 60 + minute!) * 60 + 59) * 1_000_000 + 999_999 }
        guard let microsecond else { return microsecondsSinceMidnight + 999_999 }
        var unit = 1
        for _ in fractionDigits..<6 { unit *= 10 }
        return microsecondsSinceMidnight - microsecond + microsecond / unit * unit + unit - 1
    }

    public static func < (a: DICOMTime, b: DICOMTime) -> Bool { a.microsecondsSinceMidnight < b.microsecondsSinceMidnight }
}

/// A DT value: a date and time, to any precision, with an optional offset from UTC (PS3.5 Table 6.2-1).
public struct DICOMDateTime: Hashable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int?
    public var day: Int?
    public var time: DICOMTime?
    /// Offset from UTC in minutes ("&ZZXX"), when given.
    public var utcOffsetMinutes: Int?

    public init?(_ text: some StringProtocol) {
        var u = Array(text.utf8.filter { $0 != 0x20 && $0 != 0 })
        var offset: Int?
        if let signIndex = u.firstIndex(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }) {
            let tz = u[(signIndex + 1)...]
            guard tz.count == 4, let hh = parseDigits(tz.prefix(2)), let mm = parseDigits(tz.suffix(2)),
                  hh <= 14, mm <= 59 else { return nil }
            offset = (hh * 60 + mm) * (u[signIndex] == UInt8(ascii: "-") ? -1 : 1)
            u = Array(u[..<signIndex])
        }
        guard u.count >= 4, let y = parseDigits(u[0..<4]) else { return nil }
        year = y
        if u.count >= 6 {
            guard let m = parseDigits(u[4..<6]), (1...12).contains(m) else { return nil }
            month = m
        } else if u.count != 4 { return nil }
        if u.count >= 8 {
            guard let d = parseDigits(u[6..<8]), (1...DICOMDate.days(y, month!)).contains(d) else { return nil }
            day = d
        } else if u.count > 6 { return nil }
        if u.count > 8 {
            guard let t = DICOMTime(String(decoding: u[8...], as: UTF8.self)) else { return nil }
            time = t
        }
        utcOffsetMinutes = offset
    }

    public var date: DICOMDate? {
        DICOMDate(year: year, month: month ?? 1, day: day ?? 1)
    }

    public var description: String {
        var s = pad(year, 4)
        if let month { s += pad(month, 2) }
        if let day { s += pad(day, 2) }
        if let time { s += time.description }
        if let o = utcOffsetMinutes { s += (o < 0 ? "-" : "+") + pad(abs(o) / 60, 2) + pad(abs(o) % 60, 2) }
        return s
    }

    /// Microseconds since 1970-01-01T00:00 in the value's own zone (or UTC when it has an offset and
    /// `inUTC` is true), counting missing components as their first value.
    public func microsecondsSinceEpoch(inUTC: Bool = false) -> Int64 {
        let d = DICOMDate(year: year, month: month ?? 1, day: day ?? 1)?.daysSinceEpoch ?? 0
        var us = Int64(d) * 86_400_000_000 + Int64(time?.microsecondsSinceMidnight ?? 0)
        if inUTC, let o = utcOffsetMinutes { us -= Int64(o) * 60_000_000 }
        return us
    }
}

/// An AS value: an age in days, weeks, months or years, "nnnD" (PS3.5 Table 6.2-1).
public struct DICOMAge: Hashable, Sendable, CustomStringConvertible {
    public enum Unit: Character, Sendable { case days = "D", weeks = "W", months = "M", years = "Y" }
    public var value: Int
    public var unit: Unit

    public init?(value: Int, unit: Unit) {
        guard (0...999).contains(value) else { return nil }
        self.value = value
        self.unit = unit
    }

    public init?(_ text: some StringProtocol) {
        let u = Array(text.utf8.filter { $0 != 0x20 && $0 != 0 })
        guard u.count == 4, let v = parseDigits(u[0..<3]), let unit = Unit(rawValue: Character(Unicode.Scalar(u[3]))) else {
            return nil
        }
        self.init(value: v, unit: unit)
    }

    public var description: String { pad(value, 3) + String(unit.rawValue) }
}

func parseDigits<C: Collection>(_ digits: C) -> Int? where C.Element == UInt8 {
    guard !digits.isEmpty, digits.count <= 18 else { return nil }
    var v = 0
    for c in digits {
        guard c >= 0x30 && c <= 0x39 else { return nil }
        v = v * 10 + Int(c - 0x30)
    }
    return v
}

func pad(_ v: Int, _ width: Int) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
