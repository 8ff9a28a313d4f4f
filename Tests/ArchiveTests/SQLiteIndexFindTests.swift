import Archive
import DICOM
import DICOMQuery
import Testing

/// C-FIND over the SQLite index against the in-memory index of DICOMQuery (the reference): for every query of
/// the table both give the same responses, and the number the fixture says.
@Suite("SQLiteIndex.find against MemoryIndex")
struct SQLiteIndexFindTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var level: String
        var model: InformationModel = .studyRoot
        var keys: [(Tag, VR, String)]
        var caseInsensitive = false
        /// How many responses the fixture gives.
        var expected: Int

        var testDescription: String { name }
    }

    static let patientReturnKeys: [(Tag, VR, String)] = [
        (.patientID, .LO, ""), (T.issuerOfPatientID, .LO, ""), (.patientName, .PN, ""), (T.patientBirthDate, .DA, ""),
        (T.numberOfPatientRelatedStudies, .IS, ""), (T.numberOfPatientRelatedSeries, .IS, ""),
        (T.numberOfPatientRelatedInstances, .IS, ""),
    ]
    static let studyReturnKeys: [(Tag, VR, String)] = [
        (.studyInstanceUID, .UI, ""), (.studyDate, .DA, ""), (T.accessionNumber, .SH, ""), (.patientName, .PN, ""),
        (.patientID, .LO, ""), (T.modalitiesInStudy, .CS, ""), (T.sopClassesInStudy, .UI, ""),
        (T.numberOfStudyRelatedSeries, .IS, ""), (T.numberOfStudyRelatedInstances, .IS, ""),
        (T.numberOfPatientRelatedStudies, .IS, ""), (T.retrieveAETitle, .AE, ""), (T.instanceAvailability, .CS, ""),
    ]
    static let seriesReturnKeys: [(Tag, VR, String)] = [
        (.studyInstanceUID, .UI, ""), (.seriesInstanceUID, .UI, ""), (.modality, .CS, ""), (T.seriesNumber, .IS, ""),
        (T.numberOfSeriesRelatedInstances, .IS, ""), (T.retrieveAETitle, .AE, ""),
    ]
    static let imageReturnKeys: [(Tag, VR, String)] = [
        (.studyInstanceUID, .UI, ""), (.seriesInstanceUID, .UI, ""), (.sopInstanceUID, .UI, ""), (.sopClassUID, .UI, ""),
        (T.instanceNumber, .IS, ""), (T.instanceAvailability, .CS, ""),
    ]
    static let utf8: (Tag, VR, String) = (.specificCharacterSet, .CS, "ISO_IR 192")

    /// Matching keys replace the return key of the same tag.
    static func keys(_ base: [(Tag, VR, String)], _ matching: [(Tag, VR, String)]) -> [(Tag, VR, String)] {
        base.filter { key in !matching.contains { $0.0 == key.0 } } + matching
    }

    static func patient(_ name: String, _ matching: [(Tag, VR, String)], ci: Bool = false, _ expected: Int) -> Case {
        Case(name: "PATIENT " + name, level: "PATIENT", model: .patientRoot, keys: keys(patientReturnKeys, matching),
             caseInsensitive: ci, expected: expected)
    }

    static func study(_ name: String, _ matching: [(Tag, VR, String)], model: InformationModel = .studyRoot, ci: Bool = false,
                      _ expected: Int) -> Case {
        Case(name: "STUDY " + name + (model == .patientRoot ? " (patient root)" : ""), level: "STUDY", model: model,
             keys: keys(studyReturnKeys, matching), caseInsensitive: ci, expected: expected)
    }

    static func series(_ name: String, _ matching: [(Tag, VR, String)], model: InformationModel = .studyRoot, _ expected: Int) -> Case {
        Case(name: "SERIES " + name + (model == .patientRoot ? " (patient root)" : ""), level: "SERIES", model: model,
             keys: keys(seriesReturnKeys, matching), expected: expected)
    }

    static func image(_ name: String, _ matching: [(Tag, VR, String)], model: InformationModel = .studyRoot, ci: Bool = false,
                      _ expected: Int) -> Case {
        Case(name: "IMAGE " + name + (model == .patientRoot ? " (patient root)" : ""), level: "IMAGE", model: model,
             keys: keys(imageReturnKeys, matching), caseInsensitive: ci, expected: expected)
    }

    static let cases: [Case] = [
        patient("universal", [], 3),
        patient("Patient ID of two issuers", [(.patientID, .LO, "PID1")], 2),
        patient("Patient ID and issuer", [(.patientID, .LO, "PID1"), (T.issuerOfPatientID, .LO, "HOSP_B")], 1),
        patient("Patient ID wildcard ?", [(.patientID, .LO, "PID?")], 3),
        patient("Patient ID list (any of)", [(.patientID, .LO, "PID3\\NOPE")], 1),
        patient("name wildcard, case-sensitive", [(.patientName, .PN, "Smith*")], 1),
        patient("name wildcard, case-insensitive", [(.patientName, .PN, "smith*")], ci: true, 2),
        patient("exact name, other case, case-insensitive", [(.patientName, .PN, "SMITH^JANE")], ci: true, 1),
        patient("exact name, other case, case-sensitive", [(.patientName, .PN, "SMITH^JANE")], 0),
        patient("name with umlaut", [utf8, (.patientName, .PN, "Müller^Hans")], 1),
        patient("name with umlaut, lower case, case-insensitive", [utf8, (.patientName, .PN, "müller*")], ci: true, 1),
        patient("name with ? over the umlaut", [(.patientName, .PN, "M?ller^*")], 1),
        patient("name *", [(.patientName, .PN, "*")], 3),
        patient("upper-case umlaut, case-insensitive", [utf8, (.patientName, .PN, "MÜLLER*")], ci: true, 1),
        patient("issuer wildcard", [(T.issuerOfPatientID, .LO, "HOSP_*")], 2),
        patient("name with component groups", [(.patientName, .PN, "Smith^John=")], 1),
        patient("birth date range", [(T.patientBirthDate, .DA, "19700101-19851231")], 2),
        patient("sex", [(T.patientSex, .CS, "M")], 2),
        patient("related studies count", [(T.numberOfPatientRelatedStudies, .IS, "2")], 1),

        study("universal", [], 4),
        study("date open end", [(.studyDate, .DA, "20200101-")], 3),
        study("date open start", [(.studyDate, .DA, "-20201231")], 3),
        study("date range", [(.studyDate, .DA, "20200101-20201231")], 2),
        study("single date stored as YYYY.MM.DD", [(.studyDate, .DA, "20210301")], 1),
        study("range over a YYYY.MM.DD date", [(.studyDate, .DA, "20210201-20210331")], 1),
        study("single date", [(.studyDate, .DA, "20191231")], 1),
        study("single date given as YYYY.MM.DD", [(.studyDate, .DA, "2021.03.01")], 1),
        study("study ID", [(T.studyID, .SH, "S1.2")], 1),
        study("accession with * inside", [(T.accessionNumber, .SH, "A*1")], 1),
        study("accession with [ (no class in DICOM)", [(T.accessionNumber, .SH, "ACC[0*")], 0),
        study("accession ?", [(T.accessionNumber, .SH, "ACC00?")], 3),
        study("accession *", [(T.accessionNumber, .SH, "*9")], 1),
        study("accession single", [(T.accessionNumber, .SH, "ACC002")], 1),
        study("accession is case-sensitive", [(T.accessionNumber, .SH, "acc002")], 0),
        study("UID list", [(.studyInstanceUID, .UI, "1.3\\1.1\\9.9")], 2),
        study("single UID", [(.studyInstanceUID, .UI, "1.4")], 1),
        study("ModalitiesInStudy MR", [(T.modalitiesInStudy, .CS, "MR")], 3),
        study("ModalitiesInStudy SR", [(T.modalitiesInStudy, .CS, "SR")], 1),
        study("ModalitiesInStudy CT or SR", [(T.modalitiesInStudy, .CS, "CT\\SR")], 2),
        study("ModalitiesInStudy wildcard", [(T.modalitiesInStudy, .CS, "S?")], 1),
        study("ModalitiesInStudy none", [(T.modalitiesInStudy, .CS, "US")], 0),
        study("SOPClassesInStudy", [(T.sopClassesInStudy, .UI, SOPClass.basicTextSR)], 1),
        study("patient name, case-insensitive", [(.patientName, .PN, "smith^*")], ci: true, 3),
        study("patient name, case-sensitive", [(.patientName, .PN, "SMITH^*")], 1),
        study("patient ID and issuer", [(.patientID, .LO, "PID1"), (T.issuerOfPatientID, .LO, "HOSP_A")], model: .patientRoot, 2),
        study("patient ID", [(.patientID, .LO, "PID1")], 3),
        study("NumberOfStudyRelatedInstances", [(T.numberOfStudyRelatedInstances, .IS, "4")], 1),
        study("NumberOfStudyRelatedSeries", [(T.numberOfStudyRelatedSeries, .IS, "2")], 2),
        study("description (no column)", [(T.studyDescription, .LO, "*BRAIN")], 1),
        study("universal *", [(.patientName, .PN, "*"), (T.accessionNumber, .SH, "*")], 4),
        study("date and modality", [(.studyDate, .DA, "20200101-"), (T.modalitiesInStudy, .CS, "CT")], 1),

        series("of a study", [(.studyInstanceUID, .UI, "1.1")], 2),
        series("by modality, across studies", [(.modality, .CS, "MR")], 3),
        series("modality CT or SR", [(.modality, .CS, "CT\\SR")], 3),
        series("modality wildcard", [(.modality, .CS, "?R")], 4),
        series("of a patient", [(.patientID, .LO, "PID1"), (T.issuerOfPatientID, .LO, "HOSP_B"), (.studyInstanceUID, .UI, "1.3")],
               model: .patientRoot, 2),
        series("series number", [(T.seriesNumber, .IS, "2")], 2),
        series("instance count", [(T.numberOfSeriesRelatedInstances, .IS, "1")], 3),
        series("universal", [], 6),
        series("by study date", [(.studyDate, .DA, "-20200101")], 2),

        image("of a series", [(.seriesInstanceUID, .UI, "1.1.1")], 3),
        image("by SOP class", [(.sopClassUID, .UI, SOPClass.mr)], 5),
        image("UID list", [(.sopInstanceUID, .UI, "2.42\\2.11")], 2),
        image("instance number", [(T.instanceNumber, .IS, "2")], 3),
        image("all", [], model: .patientRoot, 10),
        image("by patient name", [(.patientName, .PN, "*Hans")], 2),
        image("by patient name, case-insensitive", [(.patientName, .PN, "*JOHN")], ci: true, 6),
        image("by modality and study", [(.studyInstanceUID, .UI, "1.3"), (.modality, .CS, "MR")], 1),
    ]

    /// Both indexes with the fixture; the SQLite one fed in reverse order (answers must not depend on it).
    static func indexes(_ folder: String, order: [Synthetic] = Fixture.all.reversed()) throws -> (SQLiteIndex, MemoryIndex) {
        let sqlite = try SQLiteIndex(path: folder + "/index.sqlite", retrieveAETitle: "LIGHTBOX")
        let memory = MemoryIndex(retrieveAETitle: "LIGHTBOX")
        for (n, s) in order.enumerated() {
            #expect(try sqlite.insert(s.record(receivedAt: 1_700_000_000 + Int64(n)), duplicates: .keep) == .inserted)
            memory.add(path: "key/" + s.sop, header: s.dataSet(), transferSyntaxUID: Syntax.explicitLE)
        }
        return (sqlite, memory)
    }

    @Test("the same responses as MemoryIndex", arguments: cases)
    func sameAsMemoryIndex(_ c: Case) throws {
        try withTemporaryFolder { folder in
            let (sqlite, memory) = try Self.indexes(folder)
            let q = try query(c.level, c.keys, model: c.model, caseInsensitive: c.caseInsensitive)
            let fromSQLite = try sqlite.find(q)
            let fromMemory = memory.find(q)
            #expect(fromSQLite.count == c.expected)
            #expect(fromMemory.count == c.expected)
            #expect(canonical(fromSQLite) == canonical(fromMemory))
            // Retrieve selects the same instances too.
            #expect(try sqlite.instances(matching: q).map(\.sopInstanceUID).sorted()
                    == memory.instances(matching: q).map(\.sopInstanceUID).sorted())
        }
    }

    @Test("computed attributes: counts, modalities and SOP classes per patient, study and series")
    func computedAttributes() throws {
        try withTemporaryFolder { folder in
            let (sqlite, _) = try Self.indexes(folder)
            let patients = try sqlite.find(query("PATIENT", Self.patientReturnKeys, model: .patientRoot))
            let byPatient = Dictionary(uniqueKeysWithValues: patients.map {
                (($0.string(.patientID) ?? "") + "/" + ($0.string(T.issuerOfPatientID) ?? ""),
                 [$0.string(T.numberOfPatientRelatedStudies), $0.string(T.numberOfPatientRelatedSeries),
                  $0.string(T.numberOfPatientRelatedInstances)])
            })
            #expect(byPatient["PID1/HOSP_A"] == ["2", "3", "6"])
            #expect(byPatient["PID1/HOSP_B"] == ["1", "2", "2"])
            #expect(byPatient["PID3/"] == ["1", "1", "2"])

            let studies = try sqlite.find(query("STUDY", Self.studyReturnKeys))
            let byStudy = Dictionary(uniqueKeysWithValues: studies.map { ($0.string(.studyInstanceUID)!, $0) })
            #expect(byStudy["1.1"]?.strings(T.modalitiesInStudy) == ["CT", "SR"])
            #expect(byStudy["1.1"]?.strings(T.sopClassesInStudy) == [SOPClass.ct, SOPClass.basicTextSR])
            #expect(byStudy["1.1"]?.string(T.numberOfStudyRelatedSeries) == "2")
            #expect(byStudy["1.1"]?.string(T.numberOfStudyRelatedInstances) == "4")
            #expect(byStudy["1.3"]?.strings(T.modalitiesInStudy) == ["CT", "MR"])
            #expect(byStudy["1.4"]?.string(T.numberOfPatientRelatedStudies) == "1")
            #expect(byStudy["1.2"]?.string(T.numberOfPatientRelatedStudies) == "2")
            #expect(studies.allSatisfy { $0.string(T.retrieveAETitle) == "LIGHTBOX" && $0.string(T.instanceAvailability) == "ONLINE" })
            #expect(studies.allSatisfy { $0.string(.specificCharacterSet) == "ISO_IR 192" && $0.string(T.level) == "STUDY" })
            #expect(byStudy["1.4"]?.string(.patientName) == "Müller^Hans")

            let series = try sqlite.find(query("SERIES", Self.seriesReturnKeys))
            #expect(Dictionary(uniqueKeysWithValues: series.map { ($0.string(.seriesInstanceUID)!, $0.string(T.numberOfSeriesRelatedInstances)!) })
                    == ["1.1.1": "3", "1.1.2": "1", "1.2.1": "2", "1.3.1": "1", "1.3.2": "1", "1.4.1": "2"])
        }
    }

    @Test("a key only instance headers hold (Slice Thickness at SERIES level) comes from the first instance")
    func representativeInstanceAttributes() throws {
        try withTemporaryFolder { folder in
            // Fed in UID order, so that the first stored instance is the first by UID, as MemoryIndex takes it.
            let (sqlite, memory) = try Self.indexes(folder, order: Fixture.all)
            let q = try query("SERIES", [(.seriesInstanceUID, .UI, ""), (T.sliceThickness, .DS, "")])
            let r = try sqlite.find(q)
            #expect(canonical(r) == canonical(memory.find(q)))
            #expect(r.first { $0.string(.seriesInstanceUID) == "1.1.1" }?.string(T.sliceThickness) == "1.5")
            // And matched on, with the first instance's value: every series starts with number 1 (1.5); 1.1.1 holds
            // a 2.5 further on, which a series query does not see.
            let matched = try sqlite.find(query("SERIES", [(.seriesInstanceUID, .UI, ""), (T.sliceThickness, .DS, "1.5")]))
            #expect(values(matched, .seriesInstanceUID) == ["1.1.1", "1.1.2", "1.2.1", "1.3.1", "1.3.2", "1.4.1"])
            let q2 = try query("SERIES", [(.seriesInstanceUID, .UI, ""), (T.sliceThickness, .DS, "2.5")])
            #expect(try sqlite.find(q2).isEmpty)
            #expect(memory.find(q2).isEmpty)
        }
    }

    @Test("limit and offset page through the same responses")
    func limitAndOffset() throws {
        try withTemporaryFolder { folder in
            let (sqlite, _) = try Self.indexes(folder)
            let q = try query("IMAGE", Self.imageReturnKeys)
            let all = try sqlite.find(q)
            #expect(all.count == 10)
            #expect(try sqlite.find(q, limit: 3, offset: 0) == Array(all[0..<3]))
            #expect(try sqlite.find(q, limit: 4, offset: 3) == Array(all[3..<7]))
            #expect(try sqlite.find(q, limit: 5, offset: 8) == Array(all[8..<10]))
            #expect(try sqlite.find(q, limit: nil, offset: 10).isEmpty)
            #expect(try sqlite.find(q, limit: 0, offset: 0).isEmpty)
            // Pages put together are the whole answer, each response once.
            var pages: [DataSet] = []
            for offset in stride(from: 0, to: 10, by: 3) { pages += try sqlite.find(q, limit: 3, offset: offset) }
            #expect(pages == all)
        }
    }

    @Test("respond returning false stops the find (C-CANCEL)")
    func respondStops() throws {
        try withTemporaryFolder { folder in
            let (sqlite, _) = try Self.indexes(folder)
            var calls = 0
            try sqlite.find(try query("IMAGE", Self.imageReturnKeys), limit: nil, offset: 0) { _ in
                calls += 1
                return calls < 2
            }
            #expect(calls == 2)
            calls = 0
            try sqlite.find(try query("STUDY", Self.studyReturnKeys), limit: nil, offset: 0) { _ in
                calls += 1
                return false
            }
            #expect(calls == 1)
        }
    }

    @Test("an error thrown by respond reaches the caller")
    func respondThrows() throws {
        try withTemporaryFolder { folder in
            let (sqlite, _) = try Self.indexes(folder)
            var calls = 0
            #expect(throws: IndexError.self) {
                try sqlite.find(try query("IMAGE", Self.imageReturnKeys), limit: nil, offset: 0) { _ in
                    calls += 1
                    throw TestFailure("requestor gone")
                }
            }
            #expect(calls == 1)
        }
    }
}
