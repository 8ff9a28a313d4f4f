import Archive
import DICOMCore
import DICOMQuery
import HTTP

/// QIDO-RS (PS3.18 §10.6): a search request's parameters become a C-FIND identifier, answered by the archive
/// index with the same matching as C-FIND (PS3.4 C.2.2.2), so the two never disagree.
struct QIDOSearch {
    let level: QueryLevel
    let identifier: DataSet
    var limit: Int?
    var offset = 0
    var fuzzy = false
    var includeAll = false

    /// Attributes returned by default at each level (PS3.18 Table 10.6.3-3, -4, -5).
    static let studyDefaults: [Tag] = [
        .specificCharacterSet, .studyDate, Tag(0x0008_0030), Tag(0x0008_0050), Tag(0x0008_0056), Tag(0x0008_0061),
        Tag(0x0008_0090), Tag(0x0008_0201), Tag(0x0008_1190), .patientName, .patientID, Tag(0x0010_0030), Tag(0x0010_0040),
        .studyInstanceUID, Tag(0x0020_0010), Tag(0x0020_1206), Tag(0x0020_1208), Tag(0x0008_1030),
    ]
    static let seriesDefaults: [Tag] = [
        .specificCharacterSet, .modality, Tag(0x0008_0201), Tag(0x0008_103E), Tag(0x0008_1190), .seriesInstanceUID,
        Tag(0x0020_0011), Tag(0x0020_1209), Tag(0x0040_0244), Tag(0x0040_0245), Tag(0x0040_0275),
    ]
    static let instanceDefaults: [Tag] = [
        .specificCharacterSet, .sopClassUID, .sopInstanceUID, Tag(0x0008_0056), Tag(0x0008_0201), Tag(0x0008_1190),
        Tag(0x0020_0013), Tag(0x0028_0010), Tag(0x0028_0011), Tag(0x0028_0100), Tag(0x0028_0008),
    ]

    /// Reads the request: `{attributeID}={value}` match keys (keyword, tag, or a dotted path into a sequence),
    /// `includefield`, `fuzzymatching`, `limit`, `offset`. Anything else is a 400, so a misspelt key never
    /// silently widens a search.
    init(_ request: HTTPRequest, level: QueryLevel, study: String?, series: String?) throws(HTTPError) {
        self.level = level
        var id = DataSet()
        id.set(DataElement(tag: .specificCharacterSet, vr: .CS, string: "ISO_IR 192"))
        id.set(DataElement(tag: queryRetrieveLevelTag, vr: .CS, string: level == .image ? "IMAGE" : level.rawValue))
        var returnKeys: [Tag] = []
        switch level {
        case .study, .patient: returnKeys = Self.studyDefaults
        case .series: returnKeys = Self.seriesDefaults + (study == nil ? Self.studyDefaults : [])
        case .image: returnKeys = Self.instanceDefaults + (series == nil ? Self.seriesDefaults : [])
            + (study == nil ? Self.studyDefaults : [])
        }
        // Matching keys of the path: the study and series the resource is under.
        var pathKeys: [Tag: String] = [:]
        if let study { pathKeys[.studyInstanceUID] = study }
        if let series { pathKeys[.seriesInstanceUID] = series }
        var keys: [(path: [Tag], value: String)] = []
        for (name, value) in request.query {
            switch name.lowercased() {
            case "limit":
                guard let n = Int(value), n >= 0 else { throw HTTPError(400, "limit must be a non-negative integer, not '\(value)'") }
                limit = n
            case "offset":
                guard let n = Int(value), n >= 0 else { throw HTTPError(400, "offset must be a non-negative integer, not '\(value)'") }
                offset = n
            case "fuzzymatching":
                guard value == "true" || value == "false" else { throw HTTPError(400, "fuzzymatching must be true or false") }
                fuzzy = value == "true"
            case "includefield":
                for field in value.split(separator: ",").map({ String($0).trimmed }) where !field.isEmpty {
                    if field == "all" {
                        includeAll = true
                        continue
                    }
                    let path = try Self.attributePath(field)
                    returnKeys.append(path[0])
                }
            default:
                let path = try Self.attributePath(name)
                if path.count == 1, let fixed = pathKeys[path[0]], fixed != value {
                    throw HTTPError(400, "\(name)=\(value) contradicts the \(fixed) of the request's path")
                }
                keys.append((path, value))
            }
        }
        for (tag, uid) in pathKeys { keys.append(([tag], uid)) }
        for key in keys {
            guard key.path.count == 1 else {
                try Self.setSequenceKey(&id, key.path, key.value)
                continue
            }
            let tag = key.path[0]
            let vr = DataDictionary.vr(for: tag)?.preferred ?? .UN
            guard vr != .SQ else { throw HTTPError(400, "\(DataDictionary.keyword(for: tag) ?? "\(tag)") is a sequence; match its items' attributes (Sequence.Attribute)") }
            // A list of UIDs may be given with commas (PS3.18 §8.3.4.1); C-FIND lists use backslashes.
            let value = vr == .UI ? key.value.replacingAll(",", with: "\\") : key.value
            id.set(DataElement(tag: tag, vr: vr, string: value))
        }
        for tag in returnKeys where id[tag] == nil && tag != .specificCharacterSet {
            let vr = DataDictionary.vr(for: tag)?.preferred ?? .UN
            id.set(vr == .SQ ? DataElement(tag: tag, items: []) : DataElement(tag: tag, vr: vr, bytes: Bytes()))
        }
        identifier = id
    }

    /// A keyword ("PatientName"), a tag ("00100010"), or a dotted path of them into sequences.
    static func attributePath(_ text: String) throws(HTTPError) -> [Tag] {
        var out: [Tag] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            if part.count == 8, let tag = Tag(hex: part) {
                out.append(tag)
            } else if let tag = DataDictionary.tag(forKeyword: String(part)) {
                out.append(tag)
            } else {
                throw HTTPError(400, "'\(text)' is neither a search parameter (limit, offset, includefield, fuzzymatching) nor a DICOM attribute")
            }
        }
        guard !out.isEmpty else { throw HTTPError(400, "an empty attribute name") }
        return out
    }

    static func setSequenceKey(_ id: inout DataSet, _ path: [Tag], _ value: String) throws(HTTPError) {
        guard DataDictionary.vr(for: path[0])?.preferred == .SQ else {
            throw HTTPError(400, "\(DataDictionary.keyword(for: path[0]) ?? "\(path[0])") is not a sequence")
        }
        var item = id[path[0]]?.sequence?.items.first?.dataSet ?? DataSet()
        if path.count == 2 {
            let vr = DataDictionary.vr(for: path[1])?.preferred ?? .UN
            item.set(DataElement(tag: path[1], vr: vr, string: vr == .UI ? value.replacingAll(",", with: "\\") : value))
        } else {
            try setSequenceKey(&item, Array(path.dropFirst()), value)
        }
        id.set(DataElement(tag: path[0], items: [item]))
    }
}

extension DICOMWebService {
    /// GET …/studies, …/series, …/instances: matches as application/dicom+json, cut at the configured maximum
    /// with a Warning (PS3.18 §8.3.4.4) when the client set no smaller limit.
    func search(_ request: HTTPRequest, level: QueryLevel, study: String?, series: String?) throws(HTTPError) -> HTTPResponse {
        try checkAccepts(request, json: true)
        if let study { try checkUID(study) }
        if let series { try checkUID(series) }
        let search = try QIDOSearch(request, level: level, study: study, series: series)
        let options = MatchingOptions(caseInsensitivePersonNames: configuration.caseInsensitivePersonNames || search.fuzzy)
        var query: Query
        do {
            query = try Query(identifier: search.identifier, model: .studyRoot, options: options)
        } catch {
            throw HTTPError(400, error.message)
        }
        query.returnsAllAttributes = search.includeAll
        let cap = configuration.maximumResults
        let limit = min(search.limit ?? cap, cap)
        let base = baseURL(request)
        var out = "["
        var count = 0
        var more = false
        do {
            try archive.index.find(query, limit: limit + 1, offset: search.offset) { match in
                if count == limit {
                    more = true
                    return false
                }
                var m = match
                m.remove(queryRetrieveLevelTag)
                // Everything the archive holds is on its disks (PS3.4 C.4.1.1.3.1: Instance Availability).
                if let a = m[Tag(0x0008_0056)], a.bytes?.isEmpty ?? true {
                    m.set(DataElement(tag: a.tag, vr: .CS, string: "ONLINE"))
                }
                addRetrieveURL(&m, base: base, level: level)
                if count > 0 { out += "," }
                out += DICOMJSON.encode(m)
                count += 1
                return true
            }
        } catch {
            throw HTTPError(503, "the index is not usable: \(error)")
        }
        out += "]"
        var response = HTTPResponse.json(out, contentType: "application/dicom+json")
        if more && (search.limit == nil || search.limit! > cap) {
            response.headers.append(("Warning", "299 lightbox \"The number of results exceeded the maximum of \(cap); "
                                     + "request more with offset=\(search.offset + count)\""))
        }
        return response
    }

    /// Retrieve URL (0008,1190) of a match, when it was asked for (a default key at each level).
    func addRetrieveURL(_ m: inout DataSet, base: String, level: QueryLevel) {
        guard m[Tag(0x0008_1190)] != nil else { return }
        guard let study = m.string(.studyInstanceUID) else { return }
        var url = base + "/studies/" + study
        if level >= .series, let series = m.string(.seriesInstanceUID) { url += "/series/" + series }
        if level == .image, let sop = m.string(.sopInstanceUID) { url += "/instances/" + sop }
        m.set(DataElement(tag: Tag(0x0008_1190), vr: .UR, string: url))
    }
}
