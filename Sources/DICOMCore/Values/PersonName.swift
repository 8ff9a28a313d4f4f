/// A PN value (PS3.5 §6.2.1): up to three component groups, alphabetic, ideographic and phonetic, separated by
/// "=", each of five components separated by "^".
public struct PersonName: Hashable, Sendable, CustomStringConvertible {
    public struct Components: Hashable, Sendable {
        public var familyName: String
        public var givenName: String
        public var middleName: String
        public var namePrefix: String
        public var nameSuffix: String

        public init(familyName: String = "", givenName: String = "", middleName: String = "", namePrefix: String = "",
                    nameSuffix: String = "") {
            self.familyName = familyName
            self.givenName = givenName
            self.middleName = middleName
            self.namePrefix = namePrefix
            self.nameSuffix = nameSuffix
        }

        /// Splits "Family^Given^Middle^Prefix^Suffix"; components beyond five stay in the suffix.
        public init(_ group: some StringProtocol) {
            let parts = String(group).split(separator: "^", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
            self.init(familyName: parts.count > 0 ? parts[0] : "", givenName: parts.count > 1 ? parts[1] : "",
                      middleName: parts.count > 2 ? parts[2] : "", namePrefix: parts.count > 3 ? parts[3] : "",
                      nameSuffix: parts.count > 4 ? parts[4] : "")
        }

        var all: [String] { [familyName, givenName, middleName, namePrefix, nameSuffix] }

        /// The group as encoded: trailing empty components and their "^" are dropped (PS3.5 §6.2.1).
        public var formatted: String {
            var parts = all
            while let last = parts.last, last.isEmpty { parts.removeLast() }
            return parts.joined(separator: "^")
        }

        public var isEmpty: Bool { all.allSatisfy(\.isEmpty) }
    }

    /// The groups as written (the text between "="), kept verbatim so that a value round-trips exactly.
    public var alphabetic: String
    public var ideographic: String
    public var phonetic: String

    public init(alphabetic: String = "", ideographic: String = "", phonetic: String = "") {
        self.alphabetic = alphabetic
        self.ideographic = ideographic
        self.phonetic = phonetic
    }

    /// Parses one value (already decoded from its character set).
    public init(_ value: some StringProtocol) {
        let groups = String(value).split(separator: "=", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        self.init(alphabetic: groups.count > 0 ? groups[0] : "", ideographic: groups.count > 1 ? groups[1] : "",
                  phonetic: groups.count > 2 ? groups[2] : "")
    }

    public var alphabeticComponents: Components { Components(alphabetic) }
    public var ideographicComponents: Components { Components(ideographic) }
    public var phoneticComponents: Components { Components(phonetic) }

    /// The value as encoded: trailing empty groups and their "=" are dropped.
    public var description: String {
        var groups = [alphabetic, ideographic, phonetic]
        while let last = groups.last, last.isEmpty { groups.removeLast() }
        return groups.joined(separator: "=")
    }
}
