import DICOMCore

/// The levels of the Query/Retrieve information models (PS3.4 C.6).
public enum QueryLevel: String, Sendable, CaseIterable, Comparable {
    case patient = "PATIENT", study = "STUDY", series = "SERIES", image = "IMAGE"

    var depth: Int {
        switch self {
        case .patient: return 0
        case .study: return 1
        case .series: return 2
        case .image: return 3
        }
    }

    public static func < (a: QueryLevel, b: QueryLevel) -> Bool { a.depth < b.depth }

    /// The unique key of the level (PS3.4 C.6.1.1, C.6.2.1).
    public var uniqueKey: Tag {
        switch self {
        case .patient: return .patientID
        case .study: return .studyInstanceUID
        case .series: return .seriesInstanceUID
        case .image: return .sopInstanceUID
        }
    }
}

public enum InformationModel: Sendable, Equatable {
    case patientRoot, studyRoot

    public var levels: [QueryLevel] {
        self == .patientRoot ? [.patient, .study, .series, .image] : [.study, .series, .image]
    }
}

/// Why an identifier cannot be used (PS3.4 C.4.1.1.4: A900 "identifier does not match SOP class", C000 "unable
/// to process").
public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

public let queryRetrieveLevelTag = Tag(0x0008_0052)

/// A C-FIND (or C-MOVE/C-GET) identifier read as a query: its level, its matching keys and its return keys.
public struct Query: Sendable {
    public let level: QueryLevel
    public let model: InformationModel
    public let identifier: DataSet
    public let options: MatchingOptions
    /// Every attribute the index holds for a match is returned, not only the identifier's keys (QIDO-RS
    /// `includefield=all`, PS3.18 §8.3.4.3).
    public var returnsAllAttributes = false

    /// A key with a value (or a sequence with sub-keys): what is matched.
    struct Key: Sendable {
        let tag: Tag
        let vr: VR
        let matching: Matching
        /// For a sequence key: the item's keys, matched against any item of the candidate's sequence.
        let items: [Key]?
    }

    let keys: [Key]

    /// A matching key with a plain value (not a sequence): what an index can turn into its own lookups as a first
    /// filter, before `matches` decides.
    public struct Condition: Sendable {
        public let tag: Tag
        public let vr: VR
        public let matching: Matching
    }

    public var conditions: [Condition] {
        keys.compactMap { $0.items == nil ? Condition(tag: $0.tag, vr: $0.vr, matching: $0.matching) : nil }
    }

    public init(identifier: DataSet, model: InformationModel, options: MatchingOptions = MatchingOptions()) throws(QueryError) {
        guard let levelText = identifier.string(queryRetrieveLevelTag), let level = QueryLevel(rawValue: levelText) else {
            throw QueryError(message: "Query/Retrieve Level (0008,0052) is missing or not one of PATIENT, STUDY, SERIES, IMAGE")
        }
        guard model.levels.contains(level) else {
            throw QueryError(message: "level \(level.rawValue) is not part of the \(model == .studyRoot ? "Study" : "Patient") Root model")
        }
        self.level = level
        self.model = model
        self.identifier = identifier
        self.options = options
        keys = Query.keys(of: identifier, level: level, model: model)
    }

    static func keys(of dataSet: DataSet, level: QueryLevel?, model: InformationModel) -> [Key] {
        var keys: [Key] = []
        let charset = dataSet.characterSet
        for e in dataSet.elements {
            if e.tag == queryRetrieveLevelTag || e.tag == .specificCharacterSet || e.tag.isGroupLength { continue }
            // Keys of a level below the query's are not matched (PS3.4 C.4.1.2.1).
            if let level, let keyLevel = QueryAttributes.level(of: e.tag, model: model), keyLevel > level { continue }
            let vr = e.vr == .UN ? (DataDictionary.vr(for: e.tag)?.preferred ?? .UN) : e.vr
            if let sequence = e.sequence {
                let sub = sequence.items.first.map { Query.keys(of: $0.dataSet, level: nil, model: model) } ?? []
                if !sub.isEmpty { keys.append(Key(tag: e.tag, vr: .SQ, matching: .universal, items: sub)) }
                continue
            }
            let value = e.string(characterSet: charset) ?? ""
            let matching = Matching(vr: vr, value: value)
            if matching != .universal { keys.append(Key(tag: e.tag, vr: vr, matching: matching, items: nil)) }
        }
        return keys
    }

    /// Whether an entity (an attribute set at the query's level) matches every key.
    public func matches(_ entity: DataSet) -> Bool {
        if options.combinedDateTime, let combined = combinedDateTimeMatch(entity) {
            return combined && Query.matches(keys.filter { !QueryAttributes.dateTimePairs.keys.contains($0.tag)
                                                               && !QueryAttributes.dateTimePairs.values.contains($0.tag) },
                                             entity, options: options)
        }
        return Query.matches(keys, entity, options: options)
    }

    static func matches(_ keys: [Key], _ entity: DataSet, options: MatchingOptions) -> Bool {
        let charset = entity.characterSet
        for key in keys {
            guard let element = entity[key.tag] else { return false }
            if let sub = key.items {
                guard let items = element.sequence?.items,
                      items.contains(where: { item in
                          var ds = item.dataSet
                          if ds.inheritedCharacterSet == nil { ds.inheritedCharacterSet = charset }
                          return matches(sub, ds, options: options)
                      }) else { return false }
                continue
            }
            let values = entity.resolvingUN(element).strings(characterSet: charset) ?? numericStrings(element)
            // A multi-valued attribute matches when any of its values does (PS3.4 C.2.2.2.1).
            guard values.contains(where: { !$0.isEmpty && key.matching.matches($0, vr: key.vr, options: options) }) else {
                return false
            }
        }
        return true
    }

    static func numericStrings(_ e: DataElement) -> [String] {
        if let d = e.decimals { return d.map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int64($0)) : "\($0)" } }
        return []
    }

    /// Combined date-time matching (PS3.4 C.2.2.2.5.1): a date key and its time key form one range of instants.
    /// Nil when the identifier has no such pair with values.
    func combinedDateTimeMatch(_ entity: DataSet) -> Bool? {
        for (dateTag, timeTag) in QueryAttributes.dateTimePairs {
            guard let dateKey = keys.first(where: { $0.tag == dateTag }),
                  let timeKey = keys.first(where: { $0.tag == timeTag }) else { continue }
            guard let date = entity.string(dateTag), let candidateDate = DICOMDate(date) else { return false }
            let time = entity.string(timeTag).flatMap { DICOMTime($0) }
            let instant = Int64(candidateDate.daysSinceEpoch) * 86_400_000_000 + Int64(time?.microsecondsSinceMidnight ?? 0)
            func bound(_ d: String?, _ t: String?, upper: Bool) -> Int64? {
                guard let d, let day = DICOMDate(d) else { return nil }
                let base = Int64(day.daysSinceEpoch) * 86_400_000_000
                guard let t, let tm = DICOMTime(t) else { return upper ? base + 86_400_000_000 - 1 : base }
                return base + Int64(upper ? tm.lastMicrosecond : tm.microsecondsSinceMidnight)
            }
            switch (dateKey.matching, timeKey.matching) {
            case (.range(let dl, let du), .range(let tl, let tu)):
                if let lo = bound(dl, tl, upper: false), instant < lo { return false }
                if let hi = bound(du, tu, upper: true), instant > hi { return false }
                return true
            case (.single(let d), .range(let tl, let tu)):
                if let lo = bound(d, tl, upper: false), instant < lo { return false }
                if let hi = bound(d, tu, upper: true), instant > hi { return false }
                return true
            default:
                return nil
            }
        }
        return nil
    }

    /// The response for a matching entity: each key of the identifier with the entity's value (empty when it has
    /// none), the level, and the entity's character set (PS3.4 C.4.1.1.3.2).
    public func response(from entity: DataSet, extra: DataSet = DataSet()) -> DataSet {
        var out = DataSet()
        if let cs = entity[.specificCharacterSet] { out.set(cs) }
        out.set(DataElement(tag: queryRetrieveLevelTag, vr: .CS, string: level.rawValue))
        if returnsAllAttributes {
            for e in entity.elements where e.tag != queryRetrieveLevelTag { out.set(e) }
            for e in extra.elements { out.set(e) }
        }
        Query.fill(&out, keys: identifier, from: entity, extra: extra)
        return out
    }

    static func fill(_ out: inout DataSet, keys: DataSet, from entity: DataSet, extra: DataSet) {
        for key in keys.elements {
            if key.tag == queryRetrieveLevelTag || key.tag == .specificCharacterSet || key.tag.isGroupLength { continue }
            let source = extra[key.tag] ?? entity[key.tag]
            if let sub = key.sequence {
                // A sequence key returns the entity's items, reduced to the item keys when it lists any.
                guard let items = source?.sequence?.items else {
                    out.set(DataElement(tag: key.tag, vr: .SQ, value: .sequence(DICOMSequence(items: []))))
                    continue
                }
                let subKeys = sub.items.first?.dataSet ?? DataSet()
                let reduced: [DataSet] = items.map { item in
                    if subKeys.isEmpty { return item.dataSet }
                    var ds = DataSet()
                    fill(&ds, keys: subKeys, from: item.dataSet, extra: DataSet())
                    return ds
                }
                out.set(DataElement(tag: key.tag, items: reduced))
                continue
            }
            if let source {
                out.set(source)
            } else {
                out.set(DataElement(tag: key.tag, vr: key.vr == .UN ? (DataDictionary.vr(for: key.tag)?.preferred ?? .UN) : key.vr,
                                    bytes: Bytes()))
            }
        }
    }

    /// The single values given for a level's unique key (a list of UIDs, or one ID), nil when the key is absent,
    /// empty or a pattern: what C-MOVE and C-GET select by.
    public func uniqueValues(_ level: QueryLevel) -> [String]? {
        guard let key = keys.first(where: { $0.tag == level.uniqueKey }) else { return nil }
        switch key.matching {
        case .single(let v): return [v]
        case .uidList(let list): return list
        default: return nil
        }
    }
}

/// Which level the Query/Retrieve attributes belong to (PS3.4 Tables C.6-1 to C.6-10): keys below the query
/// level are not matched, and the index builds each level's attributes from them.
public enum QueryAttributes {
    public static let patient: Set<Tag> = [
        .patientName, .patientID, Tag(0x0010_0021), Tag(0x0010_0024), Tag(0x0010_0030), Tag(0x0010_0032), Tag(0x0010_0040),
        Tag(0x0010_1000), Tag(0x0010_1001), Tag(0x0010_1002), Tag(0x0010_2160), Tag(0x0010_4000), Tag(0x0010_2201),
        Tag(0x0010_2203), Tag(0x0020_1200), Tag(0x0020_1202), Tag(0x0020_1204),
    ]
    public static let study: Set<Tag> = [
        .studyDate, Tag(0x0008_0030), Tag(0x0008_0050), Tag(0x0008_0051), Tag(0x0008_0061), Tag(0x0008_0062),
        Tag(0x0008_0090), Tag(0x0008_1030), Tag(0x0008_1032), Tag(0x0008_1060), Tag(0x0008_1080), Tag(0x0008_0096),
        .studyInstanceUID, Tag(0x0020_0010), Tag(0x0020_1206), Tag(0x0020_1208), Tag(0x0010_1010), Tag(0x0010_1020),
        Tag(0x0010_1030), Tag(0x0010_2180), Tag(0x0010_21B0), Tag(0x0032_1033), Tag(0x0032_1060),
    ]
    public static let series: Set<Tag> = [
        .modality, Tag(0x0008_0021), Tag(0x0008_0031), Tag(0x0008_103E), Tag(0x0008_1050), .seriesInstanceUID,
        Tag(0x0020_0011), Tag(0x0020_1209), Tag(0x0018_0015), Tag(0x0020_0060), Tag(0x0040_0244), Tag(0x0040_0245),
        Tag(0x0040_0275), Tag(0x0008_1010), Tag(0x0008_0070), Tag(0x0008_1090),
    ]

    /// Date keys and their time keys, for combined date-time matching.
    public static let dateTimePairs: [Tag: Tag] = [
        .studyDate: Tag(0x0008_0030), Tag(0x0008_0021): Tag(0x0008_0031), Tag(0x0008_0022): Tag(0x0008_0032),
        Tag(0x0008_0023): Tag(0x0008_0033), Tag(0x0040_0244): Tag(0x0040_0245),
    ]

    /// The level of a Query/Retrieve attribute; nil for attributes of no particular level (matched at the query's).
    public static func level(of tag: Tag, model: InformationModel) -> QueryLevel? {
        if tag == .sopInstanceUID || tag == .sopClassUID || tag == Tag(0x0020_0013) { return .image }
        if series.contains(tag) { return .series }
        if study.contains(tag) { return .study }
        // In the Study Root model patient attributes are study attributes (PS3.4 C.6.2).
        if patient.contains(tag) { return model == .studyRoot ? .study : .patient }
        return nil
    }
}
