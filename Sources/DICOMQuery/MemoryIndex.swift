import DICOMCore
import Synchronization

/// An index of instances held in memory: the header of each instance, grouped into patients, studies and series
/// as Query/Retrieve sees them, with the computed attributes of PS3.4 C.6.1.1 (counts, modalities and SOP
/// classes in a study). Enough for `lightbox receive` to answer C-FIND, C-MOVE and C-GET about what it has
/// stored, and for tests; the archive's index (SQLite) follows the same matching rules.
public final class MemoryIndex: Sendable {
    public struct Instance: Sendable {
        public let path: String
        /// The header: the data set without its pixel data.
        public let header: DataSet
        /// The transfer syntax the instance is stored in, when known.
        public let transferSyntaxUID: String?
        public var sopInstanceUID: String { header.string(.sopInstanceUID) ?? "" }
        public var sopClassUID: String { header.string(.sopClassUID) ?? "" }
        public var seriesInstanceUID: String { header.string(.seriesInstanceUID) ?? "" }
        public var studyInstanceUID: String { header.string(.studyInstanceUID) ?? "" }
        /// Patient ID and its issuer: the same ID from two issuers is two patients.
        public var patientKey: String { (header.string(.patientID) ?? "") + "\u{0}" + (header.string(Tag(0x0010_0021)) ?? "") }
    }

    private let instances = Mutex<[String: Instance]>([:])
    public let retrieveAETitle: String?

    public init(retrieveAETitle: String? = nil) {
        self.retrieveAETitle = retrieveAETitle
    }

    public var count: Int { instances.withLock { $0.count } }

    /// Adds or replaces an instance (by SOP Instance UID).
    public func add(path: String, header: DataSet, transferSyntaxUID: String? = nil) {
        var h = header
        h.remove(.pixelData)
        // Held for as long as the index lives: in memory of its own, not the file's or the network buffer's.
        h = h.compacted()
        let instance = Instance(path: path, header: h, transferSyntaxUID: transferSyntaxUID)
        instances.withLock { $0[instance.sopInstanceUID] = instance }
    }

    public func remove(sopInstanceUID: String) {
        instances.withLock { _ = $0.removeValue(forKey: sopInstanceUID) }
    }

    public var all: [Instance] { instances.withLock { Array($0.values) } }

    /// The key that groups instances into entities of a level.
    static func key(_ instance: Instance, _ level: QueryLevel) -> String {
        switch level {
        case .patient: return instance.patientKey
        case .study: return instance.studyInstanceUID
        case .series: return instance.seriesInstanceUID
        case .image: return instance.sopInstanceUID
        }
    }

    /// The entities of the query's level, each as its attributes (from its first instance, in UID order, so that
    /// answers are stable) and the computed ones; the matching ones as responses.
    public func find(_ query: Query) -> [DataSet] {
        let snapshot = all.sorted { $0.sopInstanceUID < $1.sopInstanceUID }
        var groups: [String: [Instance]] = [:]
        var order: [String] = []
        for i in snapshot {
            let k = MemoryIndex.key(i, query.level)
            if groups[k] == nil { order.append(k) }
            groups[k, default: []].append(i)
        }
        var out: [DataSet] = []
        for k in order {
            let members = groups[k]!
            var entity = members[0].header
            let computed = computedAttributes(level: query.level, members: members, all: snapshot)
            for e in computed.elements { entity.set(e) }
            guard query.matches(entity) else { continue }
            out.append(query.response(from: entity, extra: computed))
        }
        return out
    }

    /// The instances a C-MOVE or C-GET identifier selects: those under every matching entity of its level.
    public func instances(matching query: Query) -> [Instance] {
        let snapshot = all.sorted { $0.sopInstanceUID < $1.sopInstanceUID }
        var selected: [Instance] = []
        var groups: [String: [Instance]] = [:]
        var order: [String] = []
        for i in snapshot {
            let k = MemoryIndex.key(i, query.level)
            if groups[k] == nil { order.append(k) }
            groups[k, default: []].append(i)
        }
        for k in order {
            let members = groups[k]!
            var entity = members[0].header
            for e in computedAttributes(level: query.level, members: members, all: snapshot).elements { entity.set(e) }
            if query.matches(entity) { selected += members }
        }
        return selected
    }

    /// Counts and summaries of PS3.4 C.6.1.1.2–C.6.1.1.5, and where the instances can be retrieved.
    func computedAttributes(level: QueryLevel, members: [Instance], all: [Instance]) -> DataSet {
        var ds = DataSet()
        let studies = Set(members.map(\.studyInstanceUID))
        let series = Set(members.map(\.seriesInstanceUID))
        switch level {
        case .patient:
            ds.set(DataElement(tag: Tag(0x0020_1200), integerStrings: [studies.count]))
            ds.set(DataElement(tag: Tag(0x0020_1202), integerStrings: [series.count]))
            ds.set(DataElement(tag: Tag(0x0020_1204), integerStrings: [members.count]))
        case .study:
            ds.set(DataElement(tag: Tag(0x0020_1206), integerStrings: [series.count]))
            ds.set(DataElement(tag: Tag(0x0020_1208), integerStrings: [members.count]))
            let modalities = Set(members.compactMap { $0.header.string(.modality) }).filter { !$0.isEmpty }.sorted()
            ds.set(DataElement(tag: Tag(0x0008_0061), vr: .CS, strings: modalities))
            ds.set(DataElement(tag: Tag(0x0008_0062), vr: .UI, strings: Set(members.map(\.sopClassUID)).sorted()))
            let patientKey = members[0].patientKey
            let patientStudies = Set(all.filter { $0.patientKey == patientKey }.map(\.studyInstanceUID))
            ds.set(DataElement(tag: Tag(0x0020_1200), integerStrings: [patientStudies.count]))
        case .series:
            ds.set(DataElement(tag: Tag(0x0020_1209), integerStrings: [members.count]))
        case .image:
            break
        }
        if let retrieveAETitle { ds.set(DataElement(tag: Tag(0x0008_0054), vr: .AE, string: retrieveAETitle)) }
        ds.set(DataElement(tag: Tag(0x0008_0056), vr: .CS, string: "ONLINE"))
        return ds
    }
}
