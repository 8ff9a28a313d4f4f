/// An entry of the registry of DICOM unique identifiers (PS3.6 Annex A).
public struct UIDEntry: Sendable, Hashable {
    public let uid: String
    public let name: String
    /// "Transfer Syntax", "SOP Class", "Well-known SOP Instance", "Coding Scheme"…
    public let type: String
    public let keyword: String
    public let isRetired: Bool
    public let info: String
}

public enum UIDRegistry {
    public static func entry(for uid: String) -> UIDEntry? { byUID[uid] }
    public static func entry(keyword: String) -> UIDEntry? { byKeyword[keyword] }
    public static var all: [UIDEntry] { entries }

    /// Storage SOP classes: every SOP class whose name says it stores instances (PS3.4 Annex B), the set a
    /// storage SCP accepts.
    public static let storageSOPClasses: [UIDEntry] = entries.filter { e in
        e.type == "SOP Class" && (e.name.hasSuffix("Storage") || e.name.contains("Storage -") || e.name.contains("Storage SOP Class")
            || e.name.hasSuffix("Storage (Retired)")) && !e.name.contains("Commitment")
    }

    private static let entries: [UIDEntry] = uidRegistryText.split(separator: "\n").compactMap { line in
        let f = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard f.count == 6 else { return nil }
        return UIDEntry(uid: String(f[0]), name: String(f[1]), type: String(f[2]), keyword: String(f[3]),
                        isRetired: f[4] == "1", info: String(f[5]))
    }
    private static let byUID: [String: UIDEntry] = Dictionary(entries.map { ($0.uid, $0) }, uniquingKeysWith: { a, _ in a })
    private static let byKeyword: [String: UIDEntry] = Dictionary(
        entries.filter { !$0.keyword.isEmpty }.map { ($0.keyword, $0) }, uniquingKeysWith: { a, _ in a })
}
