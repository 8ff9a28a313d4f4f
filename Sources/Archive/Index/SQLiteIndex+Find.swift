import DICOM
import DICOMQuery
import SQLite

/// C-FIND and the selection of C-MOVE/C-GET over the SQLite index. A query runs in two steps: SQL narrows the
/// candidates with the indexed columns (never dropping a true match), then each candidate's attributes are
/// matched exactly as PS3.4 C.2.2.2 says (the same code as every other index), and the response is built from
/// them. Results are produced in chunks, each in a short read, so that a slow requestor holds no transaction.
extension SQLiteIndex {
    public func find(_ query: Query, limit: Int?, offset: Int, respond: (DataSet) throws -> Bool) throws(IndexError) {
        do {
            let plan = QueryPlan(query)
            let ids = try read { db in try plan.candidates(db) }
            var skipped = 0, given = 0
            var start = 0
            while start < ids.count {
                let chunk = ids[start..<min(start + 256, ids.count)]
                start += 256
                let responses: [DataSet] = try read { db in
                    try chunk.compactMap { id in
                        guard let entity = try self.entity(db, plan, id), query.matches(entity.attributes) else { return nil }
                        return query.response(from: entity.attributes, extra: entity.computed)
                    }
                }
                for response in responses {
                    if skipped < offset {
                        skipped += 1
                        continue
                    }
                    if let limit, given >= limit { return }
                    given += 1
                    guard try respond(response) else { return }
                }
            }
        } catch let error as IndexError {
            throw error
        } catch {
            throw IndexError.from(error, "query failed")
        }
    }

    public func instances(matching query: Query) throws(IndexError) -> [StoredInstance] {
        try selectInstances(query).map(\.instance)
    }

    public func headers(matching query: Query) throws(IndexError) -> [(instance: StoredInstance, header: DataSet)] {
        try selectInstances(query, blob: "i.header").map { ($0.instance, LevelAttributes.decode($0.blob)) }
    }

    public func metadata(matching query: Query) throws(IndexError) -> [(instance: StoredInstance, metadata: InstanceMetadata)] {
        // The prepared JSON where there is one, else the header (instances indexed before version 2); column 0
        // tells which.
        try selectInstances(query, blob: "i.metadata IS NULL, COALESCE(i.metadata, i.header)").map { row in
            guard let blob = row.blob else { return (row.instance, .header(DataSet())) }
            return (row.instance, row.flag ? .header(LevelAttributes.decode(blob)) : .prepared(blob))
        }
    }

    /// The instances under each matching entity, with an encoded column when asked for (decoded by the caller,
    /// outside the read). `blob` is one column, or a flag column and then one.
    func selectInstances(_ query: Query, blob: String? = nil) throws(IndexError) -> [(instance: StoredInstance, blob: [UInt8]?, flag: Bool)] {
        let headers = blob != nil
        let flagged = blob?.contains(",") ?? false
        let first: Int32 = flagged ? 2 : 1
        do {
            let plan = QueryPlan(query)
            return try read { db in
                var out: [(instance: StoredInstance, blob: [UInt8]?, flag: Bool)] = []
                for id in try plan.candidates(db) {
                    guard let entity = try self.entity(db, plan, id), query.matches(entity.attributes) else { continue }
                    let column: String
                    switch query.level {
                    case .patient: column = "st.patient"
                    case .study: column = "st.id"
                    case .series: column = "se.id"
                    case .image: column = "i.id"
                    }
                    let s = try db.statement("""
                        SELECT \(blob.map { $0 + ", " } ?? "")\(SQLiteIndex.instanceColumns) WHERE \(column) = ?
                        ORDER BY st.id, se.id, i.instance_number IS NULL, i.instance_number, i.id
                        """)
                    try s.bind([.integer(id)])
                    while try s.step() {
                        if headers {
                            out.append((SQLiteIndex.storedInstance(s, from: first), s.blob(first - 1), flagged && s.int(0) != 0))
                        } else {
                            out.append((SQLiteIndex.storedInstance(s), nil, false))
                        }
                    }
                }
                return out
            }
        } catch {
            throw IndexError.from(error, "query failed")
        }
    }

    /// An entity of the query's level: its attributes and those of the levels above it, and the computed ones.
    struct Entity {
        var attributes: DataSet
        var computed: DataSet
    }

    func entity(_ db: SQLiteDatabase, _ plan: QueryPlan, _ id: Int64) throws -> Entity? {
        let level = plan.query.level
        let sql: String
        switch level {
        case .patient:
            sql = "SELECT p.attributes, p.studies, p.series, p.instances FROM patient p WHERE p.id = ?"
        case .study:
            sql = """
                SELECT p.attributes, p.studies, p.series, p.instances, st.attributes, st.series, st.instances, st.modalities,
                       st.sop_classes
                FROM study st JOIN patient p ON p.id = st.patient WHERE st.id = ?
                """
        case .series:
            sql = """
                SELECT p.attributes, st.attributes, se.attributes, se.instances
                FROM series se JOIN study st ON st.id = se.study JOIN patient p ON p.id = st.patient WHERE se.id = ?
                """
        case .image:
            sql = """
                SELECT p.attributes, st.attributes, se.attributes, i.header
                FROM instance i JOIN series se ON se.id = i.series JOIN study st ON st.id = se.study
                JOIN patient p ON p.id = st.patient WHERE i.id = ?
                """
        }
        let s = try db.statement(sql)
        try s.bind([.integer(id)])
        guard try s.step() else { return nil }
        var attributes = LevelAttributes.decode(s.blob(0))
        var computed = DataSet()
        func merge(_ column: Int32) {
            for e in LevelAttributes.decode(s.blob(column)).elements { attributes.set(e) }
        }
        func count(_ tag: UInt32, _ column: Int32) {
            computed.set(DataElement(tag: Tag(tag), integerStrings: [Int(s.int(column))]))
        }
        func list(_ column: Int32) -> [String] {
            (s.text(column) ?? "").split(separator: "\\").map(String.init)
        }
        switch level {
        case .patient:
            count(0x0020_1200, 1)
            count(0x0020_1202, 2)
            count(0x0020_1204, 3)
        case .study:
            merge(4)
            count(0x0020_1200, 1)
            count(0x0020_1202, 2)
            count(0x0020_1204, 3)
            count(0x0020_1206, 5)
            count(0x0020_1208, 6)
            computed.set(DataElement(tag: Tag(0x0008_0061), vr: .CS, strings: list(7)))
            computed.set(DataElement(tag: Tag(0x0008_0062), vr: .UI, strings: list(8)))
        case .series:
            merge(1)
            merge(2)
            count(0x0020_1209, 3)
        case .image:
            merge(1)
            merge(2)
            merge(3)
        }
        if let retrieveAETitle { computed.set(DataElement(tag: Tag(0x0008_0054), vr: .AE, string: retrieveAETitle)) }
        computed.set(DataElement(tag: Tag(0x0008_0056), vr: .CS, string: "ONLINE"))
        // Keys the level attributes do not hold (a series query asking for Slice Thickness, a private
        // attribute) come from the header of one of the entity's instances: the one with the lowest SOP Instance
        // UID, so that the answer does not depend on arrival order (a reindex answers as the original did).
        if level != .image && plan.wantsInstanceAttributes {
            if let header = try representativeHeader(db, level, id) {
                for e in header.elements where attributes[e.tag] == nil { attributes.set(e) }
            }
        }
        for e in computed.elements { attributes.set(e) }
        return Entity(attributes: attributes, computed: computed)
    }

    func representativeHeader(_ db: SQLiteDatabase, _ level: QueryLevel, _ id: Int64) throws -> DataSet? {
        let sql: String
        switch level {
        case .patient:
            sql = """
                SELECT i.header FROM instance i JOIN series se ON se.id = i.series JOIN study st ON st.id = se.study
                WHERE st.patient = ? ORDER BY i.sop_uid LIMIT 1
                """
        case .study:
            sql = "SELECT i.header FROM instance i JOIN series se ON se.id = i.series WHERE se.study = ? ORDER BY i.sop_uid LIMIT 1"
        case .series:
            sql = "SELECT header FROM instance WHERE series = ? ORDER BY sop_uid LIMIT 1"
        case .image:
            return nil
        }
        let s = try db.statement(sql)
        try s.bind([.integer(id)])
        guard try s.step() else { return nil }
        return LevelAttributes.decode(s.blob(0))
    }
}

/// The SQL first filter of a query: conditions on indexed columns for the keys that have one.
struct QueryPlan {
    let query: Query
    var joins: [String] = []
    var conditions: [String] = []
    var values: [SQLiteValue?] = []
    /// Whether the identifier asks for attributes only instance headers hold.
    var wantsInstanceAttributes = false

    /// A column that mirrors an attribute, and how it may be compared.
    enum ColumnKind { case text, date, uid, contained }

    static let columns: [Tag: (column: String, level: QueryLevel, kind: ColumnKind)] = [
        .patientID: ("p.patient_id", .patient, .text),
        Tag(0x0010_0021): ("p.issuer", .patient, .text),
        Tag(0x0010_0030): ("p.birth_date", .patient, .date),
        Tag(0x0010_0040): ("p.sex", .patient, .text),
        .studyInstanceUID: ("st.study_uid", .study, .uid),
        .studyDate: ("st.study_date", .study, .date),
        Tag(0x0008_0050): ("st.accession", .study, .text),
        Tag(0x0020_0010): ("st.study_id", .study, .text),
        Tag(0x0008_0061): ("st.modalities", .study, .contained),
        Tag(0x0008_0062): ("st.sop_classes", .study, .contained),
        .seriesInstanceUID: ("se.series_uid", .series, .uid),
        .modality: ("se.modality", .series, .text),
        .sopInstanceUID: ("i.sop_uid", .image, .uid),
        .sopClassUID: ("i.sop_class", .image, .uid),
    ]

    /// Computed attributes (PS3.4 C.6.1.1) and those about the archive: never in a header.
    static let computedTags: Set<Tag> = [
        Tag(0x0020_1200), Tag(0x0020_1202), Tag(0x0020_1204), Tag(0x0020_1206), Tag(0x0020_1208), Tag(0x0020_1209),
        Tag(0x0008_0061), Tag(0x0008_0062), Tag(0x0008_0054), Tag(0x0008_0056),
    ]

    init(_ query: Query) {
        self.query = query
        let level = query.level
        for condition in query.conditions {
            if condition.tag == .patientName {
                addName(condition.matching)
                continue
            }
            guard let (column, columnLevel, kind) = QueryPlan.columns[condition.tag], columnLevel <= level else { continue }
            add(column, kind, condition.matching)
        }
        for e in query.identifier.elements {
            let t = e.tag
            if t == queryRetrieveLevelTag || t == .specificCharacterSet || t.isGroupLength || QueryPlan.computedTags.contains(t) { continue }
            if QueryAttributes.level(of: t, model: query.model) != nil { continue }
            wantsInstanceAttributes = true
        }
    }

    mutating func add(_ column: String, _ kind: ColumnKind, _ matching: Matching) {
        switch (kind, matching) {
        case (.text, .single(let v)), (.uid, .single(let v)):
            conditions.append("\(column) = ?")
            values.append(.text(v))
        case (.uid, .uidList(let list)), (.text, .uidList(let list)):
            conditions.append("\(column) IN (\(Array(repeating: "?", count: list.count).joined(separator: ", ")))")
            values += list.map { .text($0) }
        case (.text, .wildcard(let p)):
            conditions.append("\(column) GLOB ?")
            values.append(.text(QueryPlan.glob(p)))
        case (.text, .anyOf(let list)):
            // Several values (any may match): a list of single values becomes IN; patterns are left to matching.
            var singles: [String] = []
            for m in list {
                guard case .single(let v) = m else { return }
                singles.append(v)
            }
            conditions.append("\(column) IN (\(Array(repeating: "?", count: singles.count).joined(separator: ", ")))")
            values += singles.map { .text($0) }
        case (.date, .single(let v)):
            guard DICOMDate(v) != nil else { return }
            conditions.append("\(column) = ?")
            values.append(.text(IndexRows.normalizedDate(v)))
        case (.date, .range(let lower, let upper)):
            if let lower {
                guard DICOMDate(lower) != nil else { return }
                conditions.append("\(column) >= ?")
                values.append(.text(IndexRows.normalizedDate(lower)))
            }
            if let upper {
                guard DICOMDate(upper) != nil else { return }
                conditions.append("\(column) <= ?")
                values.append(.text(IndexRows.normalizedDate(upper)))
            }
        case (.contained, .single(let v)):
            conditions.append("instr(\(column), ?) > 0")
            values.append(.text("\\" + v + "\\"))
        default:
            break
        }
    }

    /// Person names match per component group or whole (PS3.4 C.2.2.2.1): the name table holds each. A query
    /// with groups is narrowed by its first non-empty group.
    mutating func addName(_ matching: Matching) {
        let ci = query.options.caseInsensitivePersonNames
        let column = ci ? "lower" : "value"
        func group(_ v: String) -> String? {
            guard v.contains("=") else { return v }
            return v.split(separator: "=", omittingEmptySubsequences: true).first.map(String.init)
        }
        switch matching {
        case .single(let v):
            guard let g = group(v) else { return }
            conditions.append("p.id IN (SELECT patient FROM patient_name WHERE \(column) = ?)")
            values.append(.text(ci ? g.lowercased() : g))
        case .wildcard(let v):
            guard let g = group(v) else { return }
            conditions.append("p.id IN (SELECT patient FROM patient_name WHERE \(column) GLOB ?)")
            values.append(.text(QueryPlan.glob(ci ? g.lowercased() : g)))
        default:
            break
        }
    }

    /// A DICOM wildcard as a GLOB pattern: "*" and "?" mean the same; "[" must be escaped.
    static func glob(_ pattern: String) -> String {
        pattern.replacing("[", with: "[[]")
    }

    /// The ids of the candidate entities at the query's level.
    func candidates(_ db: SQLiteDatabase) throws -> [Int64] {
        let from: String
        switch query.level {
        case .patient: from = "SELECT p.id FROM patient p"
        case .study: from = "SELECT st.id FROM study st JOIN patient p ON p.id = st.patient"
        case .series: from = "SELECT se.id FROM series se JOIN study st ON st.id = se.study JOIN patient p ON p.id = st.patient"
        case .image:
            from = """
                SELECT i.id FROM instance i JOIN series se ON se.id = i.series JOIN study st ON st.id = se.study
                JOIN patient p ON p.id = st.patient
                """
        }
        let sql = from + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
        // Prepared afresh: the text varies with the query, and the statement cache is for the fixed statements.
        let s = try db.prepare(sql)
        try s.bind(values)
        var ids: [Int64] = []
        while try s.step() { ids.append(s.int(0)) }
        return ids
    }
}
