import DICOM
import DICOMQuery

/// What the index records of an instance at ingest: its place in the hierarchy, where it is stored, and its
/// header (the metadata every query and metadata request is answered from, without reading files).
public struct InstanceRecord: Sendable {
    public var sopInstanceUID: String
    public var sopClassUID: String
    public var seriesInstanceUID: String
    public var studyInstanceUID: String
    public var patientID: String
    public var issuerOfPatientID: String
    public var transferSyntaxUID: String
    public var storageKey: String
    public var size: Int
    public var sha256: String
    /// Seconds since 1970.
    public var receivedAt: Int64
    /// The data set without its pixel data.
    public var header: DataSet

    /// Reads the identifying attributes from a header; nil when one of the UIDs is missing.
    public init?(header: DataSet, transferSyntaxUID: String, storageKey: String, size: Int, sha256: String, receivedAt: Int64) {
        guard let sop = header.string(.sopInstanceUID), !sop.isEmpty,
              let sopClass = header.string(.sopClassUID), !sopClass.isEmpty,
              let series = header.string(.seriesInstanceUID), !series.isEmpty,
              let study = header.string(.studyInstanceUID), !study.isEmpty else { return nil }
        sopInstanceUID = sop
        sopClassUID = sopClass
        seriesInstanceUID = series
        studyInstanceUID = study
        patientID = header.string(.patientID) ?? ""
        issuerOfPatientID = header.string(Tag(0x0010_0021)) ?? ""
        self.transferSyntaxUID = transferSyntaxUID
        self.storageKey = storageKey
        self.size = size
        self.sha256 = sha256
        self.receivedAt = receivedAt
        self.header = header
    }
}

/// An instance as the index knows it: enough to retrieve and check it.
public struct StoredInstance: Sendable, Equatable {
    public var sopInstanceUID: String
    public var sopClassUID: String
    public var seriesInstanceUID: String
    public var studyInstanceUID: String
    public var transferSyntaxUID: String
    public var storageKey: String
    public var size: Int
    public var sha256: String
}

/// What to do with an instance whose SOP Instance UID is already stored.
public enum DuplicatePolicy: String, Sendable, CaseIterable {
    /// Keep the first, log a warning, answer success.
    case keep
    /// Store the new one in its place.
    case replace
    /// Refuse the new one (a failure status).
    case reject
}

public enum InsertOutcome: Sendable, Equatable {
    case inserted
    /// Replaced an instance with the same UID; its file is for the caller to remove.
    case replaced(previous: StoredInstance)
    /// The UID was already stored and the policy kept (or rejected) the new one.
    case duplicate(existing: StoredInstance)
}

public struct IndexStatistics: Sendable, Equatable {
    public var patients = 0
    public var studies = 0
    public var series = 0
    public var instances = 0
    public var bytes: Int64 = 0

    public init() {}
}

public struct IndexError: Error, Sendable, CustomStringConvertible {
    public let description: String
    /// The index could not write because the disk is full.
    public let isFull: Bool

    public init(_ description: String, isFull: Bool = false) {
        self.description = description
        self.isFull = isFull
    }
}

/// The archive's index: SQLite now, PostgreSQL later, the same answers either way. Every query and retrieve of
/// the archive passes through it, which is where per-study permissions will hook in.
public protocol ArchiveIndex: Sendable {
    /// Records an instance and its place in the hierarchy, all or nothing.
    func insert(_ record: InstanceRecord, duplicates: DuplicatePolicy) throws(IndexError) -> InsertOutcome
    /// The responses to a C-FIND (or QIDO-RS) query: matches at the query's level with the identifier's return keys
    /// filled, handed to `respond` one at a time (which returns false to stop: a C-CANCEL). `offset` matches are
    /// skipped, and at most `limit` are given.
    func find(_ query: Query, limit: Int?, offset: Int, respond: (DataSet) throws -> Bool) throws(IndexError)
    /// The instances under every entity a C-MOVE or C-GET identifier selects, in series and instance number order.
    func instances(matching query: Query) throws(IndexError) -> [StoredInstance]
    /// The same instances with the headers recorded at ingest, read in one pass (WADO-RS /metadata).
    func headers(matching query: Query) throws(IndexError) -> [(instance: StoredInstance, header: DataSet)]
    /// The same instances with their metadata for WADO-RS: prepared at ingest where it was (PreparedMetadata),
    /// else the header to encode.
    func metadata(matching query: Query) throws(IndexError) -> [(instance: StoredInstance, metadata: InstanceMetadata)]
    func instance(_ sopInstanceUID: String) throws(IndexError) -> StoredInstance?
    /// The header recorded at ingest (without pixel data and large binary values).
    func header(_ sopInstanceUID: String) throws(IndexError) -> DataSet?
    /// Every instance, a page at a time (for verify and statistics over millions without holding them all).
    func forEachInstance(_ body: (StoredInstance) throws -> Void) throws(IndexError)
    /// Whether an instance is recorded under a storage key (verify reports stored files nothing refers to).
    func isReferenced(storageKey: String) throws(IndexError) -> Bool
    @discardableResult func remove(_ sopInstanceUID: String) throws(IndexError) -> StoredInstance?
    /// Removes several instances, all or nothing; returns those that were recorded.
    @discardableResult func remove(_ sopInstanceUIDs: [String]) throws(IndexError) -> [StoredInstance]
    func statistics() throws(IndexError) -> IndexStatistics
    /// The latest receipt time recorded (seconds since 1970), nil when empty: after a crash, files stored since
    /// then are checked against the index.
    func latestReceipt() throws(IndexError) -> Int64?
    /// Makes every commit so far durable.
    func sync() throws(IndexError)
    /// Whether the index can be read and written (for health checks).
    func isUsable() -> Bool
}

/// An instance's metadata as the index keeps it.
public enum InstanceMetadata: Sendable {
    /// DICOM JSON prepared at ingest (PreparedMetadata.render makes it text).
    case prepared([UInt8])
    /// The header, to be encoded.
    case header(DataSet)
}

extension ArchiveIndex {
    /// An index that keeps no prepared metadata gives the headers.
    public func metadata(matching query: Query) throws(IndexError) -> [(instance: StoredInstance, metadata: InstanceMetadata)] {
        try headers(matching: query).map { ($0.instance, .header($0.header)) }
    }

    /// Removes several instances (a study or series being deleted). This default removes them one at a time;
    /// an index that can do it in one transaction does.
    public func remove(_ sopInstanceUIDs: [String]) throws(IndexError) -> [StoredInstance] {
        var out: [StoredInstance] = []
        for uid in sopInstanceUIDs { if let removed = try remove(uid) { out.append(removed) } }
        return out
    }

    /// Every response of a query, collected.
    public func find(_ query: Query, limit: Int? = nil, offset: Int = 0) throws(IndexError) -> [DataSet] {
        var out: [DataSet] = []
        try find(query, limit: limit, offset: offset) { out.append($0); return true }
        return out
    }
}
