import Archive
import DICOMCore
import DICOMQuery
import HTTP

/// `GET /api/patients`, `/api/studies`, `/api/series`, `/api/instances` and the single resources: what the
/// archive holds, for an administrator's screen or a script, as plain JSON keyed by DICOM keywords. Searches use
/// the C-FIND matching (wildcards, ranges, lists of UIDs), so the API, QIDO-RS and C-FIND agree.
extension AdminService {
    /// The attributes listed at each level.
    static func listedKeys(_ level: QueryLevel) -> [Tag] {
        switch level {
        case .patient:
            return [.patientID, Tag(0x0010_0021), .patientName, Tag(0x0010_0030), Tag(0x0010_0040),
                    Tag(0x0020_1200), Tag(0x0020_1202), Tag(0x0020_1204)]
        case .study:
            return [.studyInstanceUID, .studyDate, Tag(0x0008_0030), Tag(0x0008_0050), Tag(0x0020_0010), Tag(0x0008_1030),
                    Tag(0x0008_0090), Tag(0x0008_0061), .patientID, .patientName, Tag(0x0010_0030), Tag(0x0010_0040),
                    Tag(0x0020_1206), Tag(0x0020_1208)]
        case .series:
            return [.studyInstanceUID, .seriesInstanceUID, .modality, Tag(0x0020_0011), Tag(0x0008_103E), Tag(0x0018_0015),
                    Tag(0x0008_0021), Tag(0x0020_1209)]
        case .image:
            return [.studyInstanceUID, .seriesInstanceUID, .sopInstanceUID, .sopClassUID, Tag(0x0020_0013), .numberOfFrames,
                    .rows, .columns]
        }
    }

    /// The matching keys and paging of a list request. Unknown parameters are a 400: a misspelt key must not
    /// silently list everything.
    struct ListRequest {
        var keys: [(tag: Tag, value: String)] = []
        var limit = 100
        var offset = 0

        init(_ request: HTTPRequest, maximum: Int) throws(HTTPError) {
            for (name, value) in request.query {
                switch name.lowercased() {
                case "limit":
                    guard let n = Int(value), n >= 1 else { throw HTTPError(400, "limit must be a positive integer, not '\(value.prefix(40))'") }
                    limit = min(n, maximum)
                case "offset":
                    guard let n = Int(value), n >= 0 else { throw HTTPError(400, "offset must be a non-negative integer, not '\(value.prefix(40))'") }
                    offset = n
                default:
                    let tag: Tag
                    if name.count == 8, let t = Tag(hex: Substring(name)) {
                        tag = t
                    } else if let t = DataDictionary.tag(forKeyword: name) {
                        tag = t
                    } else {
                        throw HTTPError(400, "'\(name.prefix(64))' is neither limit, offset nor a DICOM attribute keyword")
                    }
                    guard DataDictionary.vr(for: tag)?.preferred != .SQ else {
                        throw HTTPError(400, "\(name) is a sequence; the API matches plain attributes (QIDO-RS matches inside sequences)")
                    }
                    keys.append((tag, value))
                }
            }
        }
    }

    /// The C-FIND identifier for a listing: the level, its matching keys and the listed attributes.
    func identifier(_ level: QueryLevel, keys: [(tag: Tag, value: String)]) -> DataSet {
        var id = DataSet()
        id.set(DataElement(tag: .specificCharacterSet, vr: .CS, string: "ISO_IR 192"))
        id.set(DataElement(tag: queryRetrieveLevelTag, vr: .CS, string: level.rawValue))
        for (tag, value) in keys {
            let vr = DataDictionary.vr(for: tag)?.preferred ?? .UN
            // Lists of UIDs may be written with commas, as in QIDO-RS.
            id.set(DataElement(tag: tag, vr: vr, string: vr == .UI ? value.commasAsBackslashes : value))
        }
        for tag in Self.listedKeys(level) where id[tag] == nil {
            id.set(DataElement(tag: tag, vr: DataDictionary.vr(for: tag)?.preferred ?? .UN, bytes: Bytes()))
        }
        return id
    }

    /// The matches of a listing, as JSON objects, and whether more exist past the page.
    func list(_ level: QueryLevel, keys: [(tag: Tag, value: String)], limit: Int, offset: Int) throws(HTTPError) -> (items: [JSONValue], more: Bool) {
        let model: InformationModel = level == .patient ? .patientRoot : .studyRoot
        let query: Query
        do {
            query = try Query(identifier: identifier(level, keys: keys), model: model,
                              options: MatchingOptions(caseInsensitivePersonNames: configuration.caseInsensitivePersonNames))
        } catch {
            throw HTTPError(400, error.message)
        }
        var items: [JSONValue] = []
        var more = false
        do {
            try archive.index.find(query, limit: limit + 1, offset: offset) { match in
                if items.count == limit {
                    more = true
                    return false
                }
                items.append(try self.entry(match, level: level))
                return true
            }
        } catch let e as HTTPError {
            throw e
        } catch {
            throw HTTPError(503, "the index is not usable: \(error)")
        }
        return (items, more)
    }

    /// One match as JSON: the listed attributes by keyword; at the instance level, how it is stored.
    func entry(_ match: DataSet, level: QueryLevel) throws -> JSONValue {
        var o: [(String, JSONValue)] = []
        for tag in Self.listedKeys(level) {
            guard let element = match[tag], let value = Self.json(element, in: match) else { continue }
            o.append((DataDictionary.keyword(for: tag).map(String.init) ?? tag.description, value))
        }
        if level == .image, let sop = match.string(.sopInstanceUID), let stored = try archive.index.instance(sop) {
            o += [("transfer_syntax", .string(stored.transferSyntaxUID)), ("size", .number(String(stored.size))),
                  ("sha256", .string(stored.sha256))]
        }
        return .object(o)
    }

    /// A value as JSON: numbers for integer and decimal VRs, text otherwise, an array when multi-valued; nil
    /// when empty.
    static func json(_ element: DataElement, in ds: DataSet) -> JSONValue? {
        switch element.vr {
        case .IS, .SL, .SS, .UL, .US, .SV, .UV:
            guard let values = element.integers, !values.isEmpty else { return nil }
            return values.count == 1 ? .number(String(values[0])) : .array(values.map { .number(String($0)) })
        default:
            guard let strings = ds.strings(element.tag)?.filter({ !$0.isEmpty }), !strings.isEmpty else { return nil }
            return strings.count == 1 ? .string(strings[0]) : .array(strings.map { .string($0) })
        }
    }

    /// A page of a listing: `{"items": [...], "offset": n, "limit": n, "more": bool}`.
    func page(_ level: QueryLevel, _ request: HTTPRequest, fixed: [(tag: Tag, value: String)] = []) throws(HTTPError) -> HTTPResponse {
        let r = try ListRequest(request, maximum: configuration.maximumResults)
        let found = try list(level, keys: r.keys + fixed, limit: r.limit, offset: r.offset)
        let body: JSONValue = .object([("items", .array(found.items)), ("offset", .number(String(r.offset))),
                                       ("limit", .number(String(r.limit))), ("more", .bool(found.more))])
        return .json(body.serialized + "\n")
    }

    /// `GET /api/studies/{study}` and deeper: the resource, with its children listed (a study's series, a
    /// series' instances).
    func detail(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let r = try resource(request)
        var keys: [(tag: Tag, value: String)] = [(.studyInstanceUID, r.study)]
        if let s = r.series { keys.append((.seriesInstanceUID, s)) }
        if let i = r.instance { keys.append((.sopInstanceUID, i)) }
        let level: QueryLevel = r.instance != nil ? .image : r.series != nil ? .series : .study
        guard case .object(var fields)? = try list(level, keys: keys, limit: 1, offset: 0).items.first else {
            throw HTTPError(404, "\(r.describe) is not in the archive")
        }
        switch level {
        case .study:
            fields.append(("series", .array(try list(.series, keys: keys, limit: 100_000, offset: 0).items)))
        case .series:
            fields.append(("instances", .array(try list(.image, keys: keys, limit: 100_000, offset: 0).items)))
        default:
            break
        }
        return .json(JSONValue.object(fields).serialized + "\n")
    }
}
