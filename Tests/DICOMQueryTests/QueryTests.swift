import DICOMCore
import DICOMQuery
import Testing

/// Reading an identifier as a query and matching entities against it (PS3.4 C.4.1.2, C.2.2.2).
@Suite("Query: levels and matching")
struct QueryTests {
    @Test("the level is read from Query/Retrieve Level", arguments: [
        ("PATIENT", InformationModel.patientRoot, QueryLevel.patient), ("STUDY", .patientRoot, .study),
        ("SERIES", .patientRoot, .series), ("IMAGE", .patientRoot, .image), ("STUDY", .studyRoot, .study),
        ("SERIES", .studyRoot, .series), ("IMAGE", .studyRoot, .image),
    ])
    func levels(text: String, model: InformationModel, level: QueryLevel) throws {
        let q = try query(text, [], model: model)
        #expect(q.level == level)
        #expect(q.model == model)
    }

    @Test("a missing, empty or unknown level is an error")
    func badLevels() {
        #expect(throws: QueryError.self) { try Query(identifier: dataSet([(.patientID, .LO, "X")]), model: .studyRoot) }
        #expect(throws: QueryError.self) { try query("", []) }
        #expect(throws: QueryError.self) { try query("STUDIES", []) }
        #expect(throws: QueryError.self) { try query("study", []) }
        #expect(throws: QueryError.self) { try query("FRAME", [], model: .patientRoot) }
    }

    @Test("PATIENT level is not part of the Study Root model")
    func patientInStudyRoot() {
        #expect(throws: QueryError.self) { try query("PATIENT", [], model: .studyRoot) }
        #expect(InformationModel.studyRoot.levels == [.study, .series, .image])
        #expect(InformationModel.patientRoot.levels == [.patient, .study, .series, .image])
        #expect(QueryLevel.patient < .study && QueryLevel.series < .image)
        #expect(QueryLevel.series.uniqueKey == .seriesInstanceUID)
    }

    static let entity = dataSet([
        (.patientName, .PN, "Doe^John"), (.patientID, .LO, "P1"), (.studyDate, .DA, "20230115"),
        (T.studyTime, .TM, "101500"), (.studyInstanceUID, .UI, "1.2.3"), (.modality, .CS, "CT"),
        (.seriesInstanceUID, .UI, "1.2.3.4"), (.sopInstanceUID, .UI, "1.2.3.4.5"), (T.modalitiesInStudy, .CS, "CT\\MR"),
        (T.accessionNumber, .SH, "ACC1"),
    ])

    @Test("every key must match; empty keys are universal")
    func allKeys() throws {
        #expect(try query("STUDY", [(.patientName, .PN, "Doe*"), (.studyDate, .DA, "20230101-")]).matches(Self.entity))
        #expect(try !query("STUDY", [(.patientName, .PN, "Doe*"), (.studyDate, .DA, "-20221231")]).matches(Self.entity))
        #expect(try query("STUDY", [(.patientName, .PN, ""), (T.accessionNumber, .SH, ""), (.studyInstanceUID, .UI, "")])
                    .matches(Self.entity))
        #expect(try query("STUDY", [(.studyInstanceUID, .UI, "9.9\\1.2.3")]).matches(Self.entity))
    }

    @Test("a key with a value the entity lacks does not match")
    func missingAttribute() throws {
        #expect(try !query("STUDY", [(T.studyDescription, .LO, "HEAD")]).matches(Self.entity))
        #expect(try query("STUDY", [(T.studyDescription, .LO, "")]).matches(Self.entity))
        // An empty value does not match a non-universal key either.
        var e = Self.entity
        e.set(DataElement(tag: T.studyDescription, vr: .LO, string: ""))
        #expect(try !query("STUDY", [(T.studyDescription, .LO, "*HEAD*")]).matches(e))
    }

    @Test("keys of levels below the query's are ignored")
    func lowerLevelKeys() throws {
        // Modality is a series attribute and SOP Instance UID an image one: not matched at STUDY level.
        #expect(try query("STUDY", [(.modality, .CS, "MR"), (.sopInstanceUID, .UI, "9.9")]).matches(Self.entity))
        #expect(try !query("SERIES", [(.modality, .CS, "MR")]).matches(Self.entity))
        #expect(try query("SERIES", [(.modality, .CS, "CT"), (.sopInstanceUID, .UI, "9.9")]).matches(Self.entity))
        #expect(try !query("IMAGE", [(.sopInstanceUID, .UI, "9.9")]).matches(Self.entity))
        // Study keys at PATIENT level (Patient Root).
        #expect(try query("PATIENT", [(.studyDate, .DA, "19990101"), (.patientID, .LO, "P1")], model: .patientRoot).matches(Self.entity))
        // Patient keys are study keys in Study Root, and higher-level keys are matched at lower levels.
        #expect(try !query("STUDY", [(.patientID, .LO, "P2")]).matches(Self.entity))
        #expect(try !query("SERIES", [(.patientID, .LO, "P2")], model: .patientRoot).matches(Self.entity))
        #expect(QueryAttributes.level(of: .patientID, model: .studyRoot) == .study)
        #expect(QueryAttributes.level(of: .patientID, model: .patientRoot) == .patient)
        #expect(QueryAttributes.level(of: .modality, model: .studyRoot) == .series)
        #expect(QueryAttributes.level(of: Tag(0x0020_0013), model: .studyRoot) == .image)
        #expect(QueryAttributes.level(of: Tag(0x0099_0010), model: .studyRoot) == nil)
    }

    @Test("a multi-valued attribute matches when any of its values does")
    func multiValuedCandidate() throws {
        #expect(try query("STUDY", [(T.modalitiesInStudy, .CS, "MR")]).matches(Self.entity))
        #expect(try query("STUDY", [(T.modalitiesInStudy, .CS, "CT")]).matches(Self.entity))
        #expect(try !query("STUDY", [(T.modalitiesInStudy, .CS, "US")]).matches(Self.entity))
        #expect(try query("STUDY", [(T.modalitiesInStudy, .CS, "US\\MR")]).matches(Self.entity))
        #expect(try query("STUDY", [(T.modalitiesInStudy, .CS, "M?")]).matches(Self.entity))
    }

    static func code(_ value: String, _ scheme: String, _ meaning: String? = nil) -> DataSet {
        var items: [(Tag, VR, String)] = [(T.codeValue, .SH, value), (T.codingSchemeDesignator, .SH, scheme)]
        if let meaning { items.append((T.codeMeaning, .LO, meaning)) }
        return dataSet(items)
    }

    static func withCodes(_ codes: [DataSet]) -> DataSet {
        var e = entity
        e.set(DataElement(tag: T.procedureCodeSequence, items: codes))
        return e
    }

    static func codeQuery(_ item: DataSet?) throws -> Query {
        var id = identifier("STUDY", [])
        id.set(DataElement(tag: T.procedureCodeSequence, items: item.map { [$0] } ?? []))
        return try Query(identifier: id, model: .studyRoot)
    }

    @Test("sequence matching: the item's keys must all match one item of the candidate's sequence")
    func sequences() throws {
        let q = try Self.codeQuery(Self.code("X1", "DCM"))
        #expect(q.matches(Self.withCodes([Self.code("X1", "DCM", "Head")])))
        #expect(q.matches(Self.withCodes([Self.code("X2", "LN"), Self.code("X1", "DCM")])))
        // X1 and DCM appear, but not in the same item.
        #expect(!q.matches(Self.withCodes([Self.code("X1", "LN"), Self.code("X2", "DCM")])))
        #expect(!q.matches(Self.withCodes([])))
        #expect(!q.matches(Self.entity))
        // Wildcards and universal sub-keys within the item.
        let partial = try Self.codeQuery(dataSet([(T.codeValue, .SH, "X*"), (T.codingSchemeDesignator, .SH, "")]))
        #expect(partial.matches(Self.withCodes([Self.code("X9", "99LOCAL")])))
        #expect(!partial.matches(Self.withCodes([Self.code("Y9", "99LOCAL")])))
        // An item without values, or an empty sequence, asks for nothing.
        let universal = try Self.codeQuery(dataSet([(T.codeValue, .SH, "")]))
        #expect(universal.matches(Self.entity))
        #expect(try Self.codeQuery(nil).matches(Self.entity))
    }

    @Test("combined date-time matching, when enabled, reads the date and time keys as one range")
    func combinedDateTime() throws {
        let keys: [(Tag, VR, String)] = [(.studyDate, .DA, "20230101-20230102"), (T.studyTime, .TM, "2000-0800")]
        let combined = try query("STUDY", keys, options: MatchingOptions(combinedDateTime: true))
        let separate = try query("STUDY", keys)
        func study(_ date: String, _ time: String) -> DataSet {
            dataSet([(.studyDate, .DA, date), (T.studyTime, .TM, time), (.patientName, .PN, "X")])
        }
        // From 2023-01-01 20:00 to 2023-01-02 08:00:59.999999 ("0800" is the whole minute).
        #expect(combined.matches(study("20230101", "230000")))
        #expect(combined.matches(study("20230101", "200000")))
        #expect(combined.matches(study("20230102", "070000")))
        #expect(combined.matches(study("20230102", "080059")))
        #expect(!combined.matches(study("20230102", "080100")))
        #expect(!combined.matches(study("20230101", "195959")))
        #expect(!combined.matches(study("20230101", "100000")))
        #expect(!combined.matches(study("20230102", "090000")))
        #expect(!combined.matches(study("20230103", "010000")))
        // Matched separately, no time is both after 20:00 and before 08:01.
        #expect(!separate.matches(study("20230101", "230000")))
        #expect(!separate.matches(study("20230102", "070000")))

        // A single date with a time range.
        let single = try query("STUDY", [(.studyDate, .DA, "20230101"), (T.studyTime, .TM, "10-11")],
                               options: MatchingOptions(combinedDateTime: true))
        #expect(single.matches(study("20230101", "113000")))
        #expect(!single.matches(study("20230101", "120000")))
        #expect(!single.matches(study("20230102", "103000")))
        // Other keys are still matched.
        let withName = try query("STUDY", keys + [(.patientName, .PN, "Y")], options: MatchingOptions(combinedDateTime: true))
        #expect(!withName.matches(study("20230101", "230000")))
    }

    @Test("uniqueValues: the single values of a level's unique key")
    func uniqueValues() throws {
        #expect(try query("STUDY", [(.studyInstanceUID, .UI, "1.2.3")]).uniqueValues(.study) == ["1.2.3"])
        #expect(try query("STUDY", [(.studyInstanceUID, .UI, "1.2.3\\1.2.4")]).uniqueValues(.study) == ["1.2.3", "1.2.4"])
        #expect(try query("STUDY", [(.studyInstanceUID, .UI, "")]).uniqueValues(.study) == nil)
        #expect(try query("STUDY", [(.patientName, .PN, "X")]).uniqueValues(.study) == nil)
        #expect(try query("IMAGE", [(.seriesInstanceUID, .UI, "1.5"), (.sopInstanceUID, .UI, "1.5.1\\1.5.2")])
                    .uniqueValues(.image) == ["1.5.1", "1.5.2"])
        #expect(try query("IMAGE", [(.seriesInstanceUID, .UI, "1.5")]).uniqueValues(.series) == ["1.5"])
        #expect(try query("PATIENT", [(.patientID, .LO, "P1")], model: .patientRoot).uniqueValues(.patient) == ["P1"])
        #expect(try query("PATIENT", [(.patientID, .LO, "P*")], model: .patientRoot).uniqueValues(.patient) == nil)
    }
}
