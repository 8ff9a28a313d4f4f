import DICOMCore

/// A media type with its parameters (RFC 9110 §8.3.1): `multipart/related; type="application/dicom";
/// transfer-syntax=*`. Type, subtype and parameter names are lower-cased; values keep their case, unquoted.
public struct MediaType: Sendable, Equatable, CustomStringConvertible {
    public var type: String
    public var subtype: String
    public var parameters: [(name: String, value: String)]

    public init(_ type: String, _ subtype: String, _ parameters: [(name: String, value: String)] = []) {
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
    }

    public static func == (a: MediaType, b: MediaType) -> Bool {
        a.type == b.type && a.subtype == b.subtype && a.parameters.map(\.name) == b.parameters.map(\.name)
            && a.parameters.map(\.value) == b.parameters.map(\.value)
    }

    /// "type/subtype", lower case.
    public var essence: String { type + "/" + subtype }

    public func parameter(_ name: String) -> String? { parameters.first { $0.name == name }?.value }

    public var description: String {
        var s = essence
        for p in parameters {
            let plain = !p.value.isEmpty && p.value.allSatisfy { $0.isLetter || $0.isNumber || ".-_*+".contains($0) }
            s += "; \(p.name)=" + (plain ? p.value : "\"" + p.value.replacingAll("\"", with: "\\\"") + "\"")
        }
        return s
    }

    /// Parses one media type; nil when it is not `type/subtype` followed by `; name=value` parameters.
    public static func parse(_ text: String) -> MediaType? {
        var fields = splitOutsideQuotes(text, separator: ";")
        guard !fields.isEmpty else { return nil }
        let essence = fields.removeFirst().trimmed.lowercased()
        let parts = essence.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        var parameters: [(name: String, value: String)] = []
        for field in fields {
            let f = field.trimmed
            if f.isEmpty { continue }
            guard let eq = f.firstIndex(of: "=") else { return nil }
            let name = String(f[..<eq]).trimmed.lowercased()
            var value = String(f[f.index(after: eq)...]).trimmed
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast()).replacingAll("\\\"", with: "\"")
            }
            parameters.append((name, value))
        }
        return MediaType(String(parts[0]), String(parts[1]), parameters)
    }

    /// The media ranges of an Accept header in the client's order of preference (q descending, then as
    /// written); ranges with q=0 are left out. An absent or empty header is `*/*`.
    public static func acceptList(_ header: String?) -> [MediaType] {
        guard let header, !header.trimmed.isEmpty else { return [MediaType("*", "*")] }
        var ranked: [(q: Double, index: Int, type: MediaType)] = []
        for (i, item) in splitOutsideQuotes(header, separator: ",").enumerated() {
            guard var m = parse(item) else { continue }
            var q = 1.0
            if let qi = m.parameters.firstIndex(where: { $0.name == "q" }) {
                q = Double(m.parameters[qi].value) ?? 1
                m.parameters.remove(at: qi)
            }
            if q > 0 { ranked.append((q, i, m)) }
        }
        return ranked.sorted { $0.q != $1.q ? $0.q > $1.q : $0.index < $1.index }.map(\.type)
    }

    /// Whether this media range (from Accept) covers `type/subtype`.
    public func covers(_ type: String, _ subtype: String) -> Bool {
        (self.type == "*" || self.type == type) && (self.subtype == "*" || self.subtype == subtype)
    }

    static func splitOutsideQuotes(_ text: String, separator: Character) -> [String] {
        var out: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for c in text {
            if escaped {
                current.append(c)
                escaped = false
                continue
            }
            if c == "\\" && quoted { escaped = true; current.append(c); continue }
            if c == "\"" { quoted.toggle() }
            if c == separator && !quoted {
                out.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        out.append(current)
        return out
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }

    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    /// The first occurrence of `target` (no Foundation here).
    func range(of target: String) -> Range<Substring.Index>? {
        let t = Array(target.utf8)
        guard !t.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].utf8.starts(with: t) {
                return i..<self.utf8.index(i, offsetBy: t.count)
            }
            i = index(after: i)
        }
        return nil
    }
}

/// The media types of pixel data in each transfer syntax (PS3.18 Table 8.7.3-2 and 8.7.3-5): what a frame or
/// bulk data part is labelled with, and which syntax a requested image type defaults to.
public enum PixelMediaTypes {
    /// The media type a frame in `syntax` is sent as.
    public static func mediaType(for syntax: TransferSyntax) -> String {
        let uid = syntax.uid
        switch uid {
        case "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70",
             "1.2.840.10008.1.2.4.53", "1.2.840.10008.1.2.4.55":
            return "image/jpeg"
        case "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81": return "image/jls"
        case "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91": return "image/jp2"
        case "1.2.840.10008.1.2.4.92", "1.2.840.10008.1.2.4.93": return "image/jpx"
        case "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203": return "image/jphc"
        case "1.2.840.10008.1.2.4.110", "1.2.840.10008.1.2.4.111", "1.2.840.10008.1.2.4.112": return "image/jxl"
        case "1.2.840.10008.1.2.5": return "image/dicom-rle"
        case "1.2.840.10008.1.2.4.100", "1.2.840.10008.1.2.4.100.1", "1.2.840.10008.1.2.4.101", "1.2.840.10008.1.2.4.101.1":
            return "video/mpeg"
        case _ where uid.hasPrefix("1.2.840.10008.1.2.4.10"): return "video/mp4"
        default: return "application/octet-stream"
        }
    }

    /// The transfer syntax a media type means when the request names none (PS3.18 Table 8.7.3-5 defaults).
    public static func defaultSyntax(for mediaType: String) -> String? {
        switch mediaType {
        case "application/octet-stream": return TransferSyntax.explicitVRLittleEndian.uid
        case "image/jpeg": return "1.2.840.10008.1.2.4.50"
        case "image/jls": return "1.2.840.10008.1.2.4.80"
        case "image/jp2": return "1.2.840.10008.1.2.4.90"
        case "image/jpx": return "1.2.840.10008.1.2.4.92"
        case "image/jphc": return "1.2.840.10008.1.2.4.201"
        case "image/jxl": return "1.2.840.10008.1.2.4.110"
        case "image/dicom-rle": return "1.2.840.10008.1.2.5"
        default: return nil
        }
    }
}
