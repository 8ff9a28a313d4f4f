import DICOMCore

/// Options of C-FIND matching that the standard leaves to the SCP or to extended negotiation (PS3.4 C.2.2.2).
public struct MatchingOptions: Sendable, Equatable {
    /// Match person names regardless of case (a common configuration; the standard's default is exact).
    public var caseInsensitivePersonNames = false
    /// Treat a date key and its time key as one date-time range (PS3.4 C.2.2.2.5.1, negotiated).
    public var combinedDateTime = false

    public init(caseInsensitivePersonNames: Bool = false, combinedDateTime: Bool = false) {
        self.caseInsensitivePersonNames = caseInsensitivePersonNames
        self.combinedDateTime = combinedDateTime
    }
}

/// The kinds of matching of PS3.4 C.2.2.2, decided from a key's VR and value.
public enum Matching: Sendable, Equatable {
    /// C.2.2.2.3: an empty value matches everything.
    case universal
    /// C.2.2.2.1: exact match of one value.
    case single(String)
    /// C.2.2.2.2: a UI key listing UIDs separated by backslash matches any of them.
    case uidList([String])
    /// C.2.2.2.4: "*" any run of characters, "?" one character.
    case wildcard(String)
    /// C.2.2.2.5: DA, TM, DT ranges; either end may be open.
    case range(lower: String?, upper: String?)
    /// Several values for a key that is not UI: any of them may match (as dcm4che and pynetdicom read it).
    case anyOf([Matching])

    /// The matching a key asks for.
    public init(vr: VR, value: String) {
        if value.isEmpty {
            self = .universal
            return
        }
        if vr == .UI {
            let uids = value.split(separator: "\\", omittingEmptySubsequences: true).map { String($0) }
            self = uids.count > 1 ? .uidList(uids) : .single(uids.first ?? "")
            return
        }
        let values = vr.isSingleValuedText ? [value] : value.split(separator: "\\", omittingEmptySubsequences: false).map(String.init)
        if values.count > 1 {
            self = .anyOf(values.map { Matching(vr: vr, value: $0) })
            return
        }
        if vr == .DA || vr == .TM || vr == .DT, let (lower, upper) = Matching.rangeBounds(value, vr: vr) {
            self = .range(lower: lower.isEmpty ? nil : lower, upper: upper.isEmpty ? nil : upper)
            return
        }
        if Matching.wildcardVRs.contains(vr) && (value.contains("*") || value.contains("?")) {
            self = value.allSatisfy({ $0 == "*" }) ? .universal : .wildcard(value)
            return
        }
        self = .single(value)
    }

    /// Splits "lower-upper" (either may be empty). A DT's "-" may instead start a UTC offset ("-0500" after a
    /// date-time), which is not a range; each "-" is tried until both sides read as values of the VR.
    static func rangeBounds(_ value: String, vr: VR) -> (String, String)? {
        let chars = Array(value)
        for i in chars.indices where chars[i] == "-" {
            let lower = String(chars[..<i]), upper = String(chars[(i + 1)...])
            // Only when the whole value reads as one date-time with that offset: "20230101-2024" is a range to
            // 2024, since no offset is 20 hours.
            if vr == .DT && lower.count >= 8 && upper.count == 4 && upper.allSatisfy(\.isNumber)
                && DICOMDateTime(value) != nil { continue }
            func valid(_ s: String) -> Bool {
                if s.isEmpty { return true }
                switch vr {
                case .DA: return DICOMDate(s) != nil
                case .TM: return DICOMTime(s) != nil
                default: return DICOMDateTime(s) != nil
                }
            }
            if valid(lower) && valid(upper) && !(lower.isEmpty && upper.isEmpty) { return (lower, upper) }
        }
        return nil
    }

    /// VRs for which "*" and "?" are wildcards (PS3.4 C.2.2.2.4).
    static let wildcardVRs: Set<VR> = [.AE, .CS, .LO, .LT, .PN, .SH, .ST, .UC, .UR, .UT]

    /// Whether one candidate value matches.
    public func matches(_ candidate: String, vr: VR, options: MatchingOptions) -> Bool {
        switch self {
        case .universal:
            return true
        case .single(let value):
            if vr == .PN { return PersonNameMatch.matches(query: value, candidate: candidate, wildcard: false, options: options) }
            if vr == .DA || vr == .TM || vr == .DT { return TemporalMatch.equal(value, candidate, vr: vr) }
            if vr == .DS || vr == .IS || vr == .FL || vr == .FD {
                if let a = Double(value), let b = Double(candidate) { return a == b }
            }
            return value == candidate
        case .uidList(let uids):
            return uids.contains(candidate)
        case .wildcard(let pattern):
            if vr == .PN { return PersonNameMatch.matches(query: pattern, candidate: candidate, wildcard: true, options: options) }
            return Wildcard.matches(pattern, candidate, caseInsensitive: false)
        case .range(let lower, let upper):
            return TemporalMatch.inRange(candidate, lower: lower, upper: upper, vr: vr)
        case .anyOf(let list):
            return list.contains { $0.matches(candidate, vr: vr, options: options) }
        }
    }
}

/// "*" and "?" over Unicode characters, iteratively with backtracking to the last star: linear in practice,
/// and never recursive, so a hostile pattern cannot blow the stack.
enum Wildcard {
    static func matches(_ pattern: String, _ text: String, caseInsensitive: Bool) -> Bool {
        let p = Array(caseInsensitive ? pattern.lowercased() : pattern)
        let t = Array(caseInsensitive ? text.lowercased() : text)
        var i = 0, j = 0
        var star = -1, mark = 0
        while j < t.count {
            if i < p.count && (p[i] == "?" || p[i] == t[j]) {
                i += 1
                j += 1
            } else if i < p.count && p[i] == "*" {
                star = i
                mark = j
                i += 1
            } else if star >= 0 {
                i = star + 1
                mark += 1
                j = mark
            } else {
                return false
            }
        }
        while i < p.count && p[i] == "*" { i += 1 }
        return i == p.count
    }
}

/// Person names: a query without "=" is matched against each component group; with groups, group by group
/// (an empty query group matching any) (PS3.4 C.2.2.2.1, C.2.2.2.4).
enum PersonNameMatch {
    static func matches(query: String, candidate: String, wildcard: Bool, options: MatchingOptions) -> Bool {
        let ci = options.caseInsensitivePersonNames
        func one(_ q: String, _ c: String) -> Bool {
            if q.isEmpty { return true }
            if wildcard { return Wildcard.matches(q, c, caseInsensitive: ci) }
            return ci ? q.lowercased() == c.lowercased() : q == c
        }
        let groups = candidate.split(separator: "=", omittingEmptySubsequences: false).map(String.init)
        guard query.contains("=") else {
            return groups.contains { one(query, $0) } || one(query, candidate)
        }
        let queryGroups = query.split(separator: "=", omittingEmptySubsequences: false).map(String.init)
        for (k, q) in queryGroups.enumerated() where !q.isEmpty {
            guard k < groups.count, one(q, groups[k]) else { return false }
        }
        return true
    }
}

/// Dates, times and date-times compared as the span of time they denote at their precision (PS3.4 C.2.2.2.5):
/// "2023" is the whole year, "10" the whole hour.
enum TemporalMatch {
    /// The first and last microsecond of a value, in a common scale for its VR.
    static func span(_ value: String, vr: VR) -> (Int64, Int64)? {
        switch vr {
        case .DA:
            guard let d = DICOMDate(value) else { return nil }
            let start = Int64(d.daysSinceEpoch) * 86_400_000_000
            return (start, start + 86_400_000_000 - 1)
        case .TM:
            guard let t = DICOMTime(value) else { return nil }
            return (Int64(t.microsecondsSinceMidnight), Int64(t.lastMicrosecond))
        case .DT:
            guard let dt = DICOMDateTime(value) else { return nil }
            let start = dt.microsecondsSinceEpoch(inUTC: true)
            var end = start
            if dt.month == nil {
                let next = DICOMDate(year: dt.year + 1, month: 1, day: 1)?.daysSinceEpoch ?? 0
                end = Int64(next) * 86_400_000_000 - 1 - (dt.utcOffsetMinutes.map { Int64($0) * 60_000_000 } ?? 0)
            } else if dt.day == nil {
                let (y, m) = dt.month! == 12 ? (dt.year + 1, 1) : (dt.year, dt.month! + 1)
                let next = DICOMDate(year: y, month: m, day: 1)?.daysSinceEpoch ?? 0
                end = Int64(next) * 86_400_000_000 - 1 - (dt.utcOffsetMinutes.map { Int64($0) * 60_000_000 } ?? 0)
            } else if let time = dt.time {
                end = start + Int64(time.lastMicrosecond - time.microsecondsSinceMidnight)
            } else {
                end = start + 86_400_000_000 - 1
            }
            return (start, end)
        default:
            return nil
        }
    }

    static func equal(_ query: String, _ candidate: String, vr: VR) -> Bool {
        if query == candidate { return true }
        guard let q = span(query, vr: vr), let c = span(candidate, vr: vr) else { return false }
        // A query of lower precision ("2023") matches every value inside it.
        return c.0 >= q.0 && c.0 <= q.1
    }

    static func inRange(_ candidate: String, lower: String?, upper: String?, vr: VR) -> Bool {
        guard let c = span(candidate, vr: vr) else { return false }
        if let lower {
            guard let l = span(lower, vr: vr), c.1 >= l.0 else { return false }
        }
        if let upper {
            guard let u = span(upper, vr: vr), c.0 <= u.1 else { return false }
        }
        return true
    }
}
