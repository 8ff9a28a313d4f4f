import DICOM

/// An instance's metadata as DICOM JSON (PS3.18 §F.2), made once at ingest and kept in the index, so that a
/// WADO-RS `/metadata` request only inflates and concatenates: no header is decoded, no JSON encoded per request.
/// Bulk data (pixel data, and binary values over `LevelAttributes.bulkThreshold`) is given as a BulkDataURI;
/// since the URI's scheme and host are the request's, the kept text holds a marker where the service's base URL
/// goes, replaced as the response is assembled.
public enum PreparedMetadata {
    /// What stands for the base URL in a kept BulkDataURI. JSON escapes U+0001, so the marker is the twelve
    /// characters `\u0001LB\u0001` in the kept text, which no other escaped value produces unless it holds the
    /// same characters (and then only gains a URL).
    static let marker = "\u{1}LB\u{1}"
    static let escapedMarker = Array("\\u0001LB\\u0001".utf8)

    /// The DICOM JSON of a header (without group lengths and file meta), deflated after a format byte.
    static func prepare(_ header: DataSet, transferSyntaxUID: String, study: String, series: String, instance: String) -> [UInt8] {
        var h = DataSet()
        for e in header.elements where !e.tag.isGroupLength && e.tag.group != 0x0002 {
            if e.tag == .pixelData || e.tag == .floatPixelData || e.tag == .doubleFloatPixelData { continue }
            h.set(e)
        }
        h.inheritedCharacterSet = header.inheritedCharacterSet
        if h[.rows] != nil && h[.columns] != nil && h[.bitsAllocated] != nil {
            // A placeholder value, so the encoder asks for its URI (the header keeps no pixel data).
            let syntax = TransferSyntax.resolving(uid: transferSyntaxUID)
            let vr: VR = syntax.isEncapsulated || h.integer(.bitsAllocated) == 8 ? .OB : .OW
            h.set(DataElement(tag: .pixelData, vr: vr, bytes: Bytes([0, 0])))
        }
        let prefix = marker + "/studies/\(study)/series/\(series)/instances/\(instance)/bulkdata/"
        let json = DICOMJSON.encode(h) { element, path in
            guard path.count == 1 else { return nil }
            guard element.tag == .pixelData || LevelAttributes.isBulk(element) else { return nil }
            return prefix + element.tag.jsonKey
        }
        let bytes = Array(json.utf8)
        if let packed = try? bytes.withUnsafeBytes({ try ZlibDeflate(level: 1).deflate($0) }) { return [1] + packed }
        return [0] + bytes
    }

    /// A kept metadata blob as JSON text with `base` in place of the marker, appended to `out`. False when the
    /// blob cannot be read (the caller then encodes the header instead).
    public static func render(_ blob: [UInt8], base: String, into out: inout [UInt8]) -> Bool {
        guard let mark = blob.first else { return false }
        let text: [UInt8]
        switch mark {
        case 0: text = Array(blob.dropFirst())
        case 1:
            guard let inflated = try? blob.withUnsafeBytes({ try ZlibDeflate().inflate(UnsafeRawBufferPointer(rebasing: $0[1...]),
                                                                                    limit: 256 << 20) }).output else { return false }
            text = inflated
        default: return false
        }
        let base = Array(base.utf8)
        let m = escapedMarker
        text.withUnsafeBufferPointer { t in
            var start = 0
            var i = 0
            let n = t.count
            // The marker begins with a backslash; scan for those, compare the rest.
            while i + m.count <= n {
                if t[i] == 0x5C && t[i + 1] == 0x75 && t[i + 5] == 0x31 && t[i + 6] == 0x4C {
                    var same = true
                    for k in 2..<m.count where t[i + k] != m[k] { same = false; break }
                    if same {
                        out.append(contentsOf: t[start..<i])
                        out.append(contentsOf: base)
                        i += m.count
                        start = i
                        continue
                    }
                }
                i += 1
            }
            out.append(contentsOf: t[start..<n])
        }
        return true
    }
}
