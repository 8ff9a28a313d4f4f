import Archive
import DICOM
import DICOMQuery
import Testing

/// The SQLite index outside of queries: counts kept as instances come and go, duplicates, lookups, headers,
/// and a reopened index keeping everything.
@Suite("SQLiteIndex")
struct SQLiteIndexTests {
    static func filled(_ folder: String, _ instances: [Synthetic] = Fixture.all) throws -> SQLiteIndex {
        let index = try SQLiteIndex(path: folder + "/index.sqlite")
        for (n, s) in instances.enumerated() {
            #expect(try index.insert(s.record(size: 100 + n, receivedAt: 1_700_000_000 + Int64(n)), duplicates: .keep) == .inserted)
        }
        return index
    }

    static let patientCounts: [(Tag, VR, String)] = [
        (.patientID, .LO, ""), (T.issuerOfPatientID, .LO, ""), (T.numberOfPatientRelatedStudies, .IS, ""),
        (T.numberOfPatientRelatedSeries, .IS, ""), (T.numberOfPatientRelatedInstances, .IS, ""),
    ]
    static let studyCounts: [(Tag, VR, String)] = [
        (.studyInstanceUID, .UI, ""), (T.numberOfStudyRelatedSeries, .IS, ""), (T.numberOfStudyRelatedInstances, .IS, ""),
        (T.modalitiesInStudy, .CS, ""), (T.sopClassesInStudy, .UI, ""), (T.numberOfPatientRelatedStudies, .IS, ""),
    ]

    /// Patient counts by "ID/issuer": [studies, series, instances].
    static func patientCounts(_ index: SQLiteIndex) throws -> [String: [String]] {
        let r = try index.find(query("PATIENT", patientCounts, model: .patientRoot))
        var out: [String: [String]] = [:]
        for ds in r {
            let key = (ds.string(.patientID) ?? "") + "/" + (ds.string(T.issuerOfPatientID) ?? "")
            let counts = [T.numberOfPatientRelatedStudies, T.numberOfPatientRelatedSeries, T.numberOfPatientRelatedInstances]
            out[key] = counts.map { ds.string($0) ?? "" }
        }
        return out
    }

    /// Study counts by UID: [series, instances, modalities, SOP classes].
    static func studyCounts(_ index: SQLiteIndex) throws -> [String: [String]] {
        let r = try index.find(query("STUDY", studyCounts))
        var out: [String: [String]] = [:]
        for ds in r {
            let modalities = (ds.strings(T.modalitiesInStudy) ?? []).joined(separator: ",")
            let sopClasses = (ds.strings(T.sopClassesInStudy) ?? []).joined(separator: ",")
            out[ds.string(.studyInstanceUID) ?? ""] = [ds.string(T.numberOfStudyRelatedSeries) ?? "",
                                                       ds.string(T.numberOfStudyRelatedInstances) ?? "", modalities, sopClasses]
        }
        return out
    }

    @Test("statistics count patients (ID and issuer), studies, series, instances and bytes")
    func statistics() throws {
        try withTemporaryFolder { folder in
            let empty = try SQLiteIndex(path: folder + "/empty.sqlite")
            #expect(try empty.statistics() == IndexStatistics())
            let index = try Self.filled(folder)
            let stats = try index.statistics()
            #expect(stats.patients == 3)
            #expect(stats.studies == 4)
            #expect(stats.series == 6)
            #expect(stats.instances == 10)
            #expect(stats.bytes == Int64((0..<10).reduce(0) { $0 + 100 + $1 }))
            #expect(index.isUsable())
        }
    }

    @Test("counts after inserts, and after removals down to nothing, agree with MemoryIndex")
    func countsAfterRemove() throws {
        try withTemporaryFolder { folder in
            let index = try Self.filled(folder)
            let memory = MemoryIndex()
            for s in Fixture.all { memory.add(path: s.sop, header: s.dataSet()) }
            #expect(try Self.patientCounts(index) == ["PID1/HOSP_A": ["2", "3", "6"], "PID1/HOSP_B": ["1", "2", "2"], "PID3/": ["1", "1", "2"]])

            // The only SR: its series goes, and SR leaves the study's modalities and SOP classes.
            let removed = try index.remove("2.14")
            memory.remove(sopInstanceUID: "2.14")
            #expect(removed?.sopInstanceUID == "2.14")
            #expect(removed?.seriesInstanceUID == "1.1.2")
            #expect(removed?.storageKey == "key/2.14")
            #expect(try index.instance("2.14") == nil)
            #expect(try index.remove("2.14") == nil)
            #expect(try index.remove("9.9.9") == nil)
            #expect(try Self.studyCounts(index)["1.1"] == ["1", "3", "CT", SOPClass.ct])
            #expect(try Self.patientCounts(index)["PID1/HOSP_A"] == ["2", "2", "5"])
            var stats = try index.statistics()
            #expect([stats.patients, stats.studies, stats.series, stats.instances] == [3, 4, 5, 9])

            // One of two MR series of HOSP_B's study: the study keeps CT only.
            try index.remove("2.32")
            memory.remove(sopInstanceUID: "2.32")
            #expect(try Self.studyCounts(index)["1.3"] == ["1", "1", "CT", SOPClass.ct])

            // The whole of PID3: its study and the patient go.
            try index.remove("2.41")
            memory.remove(sopInstanceUID: "2.41")
            #expect(try Self.patientCounts(index)["PID3/"] == ["1", "1", "1"])
            try index.remove("2.42")
            memory.remove(sopInstanceUID: "2.42")
            #expect(try Self.patientCounts(index)["PID3/"] == nil)
            stats = try index.statistics()
            #expect([stats.patients, stats.studies, stats.series, stats.instances] == [2, 3, 3, 6])
            // The name of a removed patient matches no longer.
            #expect(try index.find(query("PATIENT", [(.patientName, .PN, "M*")], model: .patientRoot)).isEmpty)

            for level in ["PATIENT", "STUDY", "SERIES", "IMAGE"] {
                let keys = level == "PATIENT" ? Self.patientCounts : level == "STUDY" ? Self.studyCounts
                    : level == "SERIES" ? [(.seriesInstanceUID, .UI, ""), (T.numberOfSeriesRelatedInstances, .IS, "")]
                    : [(.seriesInstanceUID, .UI, ""), (.sopInstanceUID, .UI, "")]
                let q = try query(level, keys, model: .patientRoot)
                #expect(canonical(try index.find(q)) == canonical(memory.find(q)), "\(level)")
            }

            for s in Fixture.all where try index.instance(s.sop) != nil { try index.remove(s.sop) }
            #expect(try index.statistics() == IndexStatistics())
            #expect(try index.find(query("PATIENT", Self.patientCounts, model: .patientRoot)).isEmpty)
            #expect(try index.latestReceipt() == nil)
        }
    }

    @Test("ModalitiesInStudy and SOPClassesInStudy are sorted whatever the order of arrival")
    func modalitiesSorted() throws {
        try withTemporaryFolder { folder in
            let study = Fixture.all.filter { $0.study == "1.1" || $0.study == "1.2" }.map { s -> Synthetic in
                var s = s
                s.study = "1.1"
                return s
            }
            var answers: [[String]] = []
            for (n, order) in [study, study.reversed(), [study[3], study[4], study[0], study[5], study[1], study[2]]].enumerated() {
                let index = try SQLiteIndex(path: folder + "/index-\(n).sqlite")
                for s in order { _ = try index.insert(s.record(), duplicates: .keep) }
                let r = try index.find(query("STUDY", Self.studyCounts))
                #expect(r.count == 1)
                answers.append(r.first?.strings(T.modalitiesInStudy) ?? [])
                #expect(r.first?.strings(T.sopClassesInStudy) == [SOPClass.ct, SOPClass.mr, SOPClass.basicTextSR])
            }
            #expect(answers == [["CT", "MR", "SR"], ["CT", "MR", "SR"], ["CT", "MR", "SR"]])
        }
    }

    @Test("duplicates: keep and reject leave the first, replace puts the new one in its place")
    func duplicates() throws {
        try withTemporaryFolder { folder in
            let index = try Self.filled(folder)
            let before = try index.statistics()
            let first = try #require(try index.instance("2.12"))
            #expect(first.storageKey == "key/2.12")

            var again = Fixture.all[1]
            again.sliceThickness = "9"
            let second = again.record(storageKey: "key/2.12-again", size: 5000)
            #expect(try index.insert(second, duplicates: .keep) == .duplicate(existing: first))
            #expect(try index.insert(second, duplicates: .reject) == .duplicate(existing: first))
            #expect(try index.instance("2.12") == first)
            #expect(try index.statistics() == before)

            #expect(try index.insert(second, duplicates: .replace) == .replaced(previous: first))
            let now = try #require(try index.instance("2.12"))
            #expect(now.storageKey == "key/2.12-again")
            #expect(now.size == 5000)
            #expect(try index.header("2.12")?.string(T.sliceThickness) == "9")
            var after = try index.statistics()
            #expect([after.patients, after.studies, after.series, after.instances] == [before.patients, before.studies, before.series, before.instances])
            #expect(after.bytes == before.bytes - Int64(first.size) + 5000)
            #expect(try Self.studyCounts(index)["1.1"]?[1] == "4")
            #expect(try index.isReferenced(storageKey: "key/2.12-again"))
            #expect(try !index.isReferenced(storageKey: "key/2.12"))

            // A replacement that moves the last instance of a study to another study.
            var moved = Fixture.all[9]
            moved.study = "1.9"
            moved.series = "1.9.1"
            let previous = try #require(try index.instance("2.42"))
            #expect(try index.insert(moved.record(storageKey: "key/moved"), duplicates: .replace) == .replaced(previous: previous))
            after = try index.statistics()
            #expect(after.studies == 5)
            #expect(try Self.studyCounts(index)["1.4"]?[1] == "1")
            #expect(try Self.studyCounts(index)["1.9"]?[1] == "1")
        }
    }

    @Test("a study sent again under another patient stays with its first, leaving no empty patient behind")
    func studyUnderAnotherPatient() throws {
        try withTemporaryFolder { folder in
            let index = try SQLiteIndex(path: folder + "/index.sqlite")
            let first = Fixture.all[0]
            var second = Fixture.all[1]
            second.patientID = "OTHER"
            second.issuer = nil
            second.patientName = "Other^Patient"
            _ = try index.insert(first.record(), duplicates: .keep)
            _ = try index.insert(second.record(), duplicates: .keep)
            let patients = try index.find(query("PATIENT", Self.patientCounts, model: .patientRoot))
            #expect(values(patients, .patientID) == ["PID1"])
            #expect(try Self.patientCounts(index)["PID1/HOSP_A"] == ["1", "1", "2"])
            #expect(try index.statistics().patients == 1)
            #expect(try index.find(query("PATIENT", [(.patientName, .PN, "Other*")], model: .patientRoot)).isEmpty)
        }
    }

    @Test("a series sent again under another study stays in its first; counts stay right through removal")
    func seriesUnderAnotherStudy() throws {
        try withTemporaryFolder { folder in
            let index = try SQLiteIndex(path: folder + "/index.sqlite")
            let first = Fixture.all[0]
            var second = Fixture.all[1]
            second.study = "1.7"
            second.patientID = "PID7"
            second.issuer = nil
            _ = try index.insert(first.record(), duplicates: .keep)
            _ = try index.insert(second.record(), duplicates: .keep)
            var stats = try index.statistics()
            #expect([stats.patients, stats.studies, stats.series, stats.instances] == [1, 1, 1, 2])
            #expect(try Self.studyCounts(index)["1.1"]?[0...1] == ["1", "2"])
            #expect(try index.instance(second.sop)?.studyInstanceUID == "1.1")
            #expect(try Self.patientCounts(index)["PID1/HOSP_A"] == ["1", "1", "2"])
            try index.remove(first.sop)
            #expect(try Self.studyCounts(index)["1.1"]?[0...1] == ["1", "1"])
            try index.remove(second.sop)
            stats = try index.statistics()
            #expect(stats == IndexStatistics())
        }
    }

    @Test("latestReceipt is the latest receipt time, nil when empty")
    func latestReceipt() throws {
        try withTemporaryFolder { folder in
            let index = try SQLiteIndex(path: folder + "/index.sqlite")
            #expect(try index.latestReceipt() == nil)
            _ = try index.insert(Fixture.all[0].record(receivedAt: 2_000), duplicates: .keep)
            _ = try index.insert(Fixture.all[1].record(receivedAt: 5_000), duplicates: .keep)
            _ = try index.insert(Fixture.all[2].record(receivedAt: 3_000), duplicates: .keep)
            #expect(try index.latestReceipt() == 5_000)
            try index.remove(Fixture.all[1].sop)
            #expect(try index.latestReceipt() == 3_000)
        }
    }

    @Test("instances(matching:) gives whole entities in series and instance number order")
    func instancesOrder() throws {
        try withTemporaryFolder { folder in
            let s = Fixture.all
            // Arrival out of order within series 1.1.1, the SR series first.
            let index = try Self.filled(folder, [s[3], s[2], s[0], s[1], s[5], s[4], s[6], s[7], s[9], s[8]])
            #expect(try index.instances(matching: query("STUDY", [(.studyInstanceUID, .UI, "1.1")])).map(\.sopInstanceUID)
                    == ["2.14", "2.11", "2.12", "2.13"])
            #expect(try index.instances(matching: query("SERIES", [(.seriesInstanceUID, .UI, "1.1.1")])).map(\.sopInstanceUID)
                    == ["2.11", "2.12", "2.13"])
            #expect(try index.instances(matching: query("IMAGE", [(.sopInstanceUID, .UI, "2.42")])).map(\.sopInstanceUID) == ["2.42"])
            let ofPatient = try index.instances(matching: query("PATIENT", [(.patientID, .LO, "PID1"), (T.issuerOfPatientID, .LO, "HOSP_A")],
                                                                model: .patientRoot))
            #expect(ofPatient.map(\.sopInstanceUID) == ["2.14", "2.11", "2.12", "2.13", "2.21", "2.22"])
            #expect(try index.instances(matching: query("STUDY", [(.studyInstanceUID, .UI, "7.7")])).isEmpty)
            let one = try #require(ofPatient.first)
            #expect(one.sopClassUID == SOPClass.basicTextSR)
            #expect(one.studyInstanceUID == "1.1")
            #expect(one.transferSyntaxUID == Syntax.explicitLE)
            #expect(one.storageKey == "key/2.14")
            #expect(one.size == 100)
        }
    }

    @Test("header(_:) gives back the header as recorded, without pixel data and bulk binary values")
    func headerRoundTrip() throws {
        try withTemporaryFolder { folder in
            let index = try SQLiteIndex(path: folder + "/index.sqlite")
            var header = Fixture.all[8].header
            header.set(DataElement(tag: T.privateCreator, vr: .LO, string: "LIGHTBOX TEST"))
            header.set(DataElement(tag: T.privateBlob, vr: .OB, data: [UInt8](repeating: 1, count: 20_000)))
            header.set(DataElement(tag: Tag(0x0009_1011), vr: .OB, data: [1, 2, 3, 4]))
            header.set(DataElement(tag: Tag(0x0040_A730), items: [DataSet([DataElement(tag: Tag(0x0040_A160), vr: .UT, string: "nested text")])]))
            let record = try #require(InstanceRecord(header: header, transferSyntaxUID: Syntax.explicitLE, storageKey: "k", size: 1,
                                                     sha256: "", receivedAt: 1))
            _ = try index.insert(record, duplicates: .keep)
            let back = try #require(try index.header(Fixture.all[8].sop))
            var expected = header
            expected.remove(T.privateBlob)
            #expect(back == expected)
            #expect(back.string(.patientName) == "Müller^Hans")
            #expect(back[T.privateBlob] == nil)
            #expect(back[Tag(0x0009_1011)]?.bytes?.array == [1, 2, 3, 4])
            #expect(try index.header("9.9") == nil)
        }
    }

    @Test("InstanceRecord needs the four UIDs that place an instance")
    func recordNeedsUIDs() {
        for tag in [Tag.sopInstanceUID, .sopClassUID, .studyInstanceUID, .seriesInstanceUID] {
            var header = Fixture.all[0].header
            header.remove(tag)
            #expect(InstanceRecord(header: header, transferSyntaxUID: "", storageKey: "", size: 0, sha256: "", receivedAt: 0) == nil, "\(tag)")
        }
        let r = Fixture.all[6].record()
        #expect(r.patientID == "PID1")
        #expect(r.issuerOfPatientID == "HOSP_B")
        #expect(Fixture.all[8].record().issuerOfPatientID == "")
    }

    @Test("a reopened index holds everything it held")
    func reopen() throws {
        try withTemporaryFolder { folder in
            let queries = [
                try query("PATIENT", SQLiteIndexFindTests.patientReturnKeys, model: .patientRoot),
                try query("STUDY", SQLiteIndexFindTests.studyReturnKeys),
                try query("SERIES", SQLiteIndexFindTests.seriesReturnKeys),
                try query("IMAGE", SQLiteIndexFindTests.imageReturnKeys, model: .patientRoot),
            ]
            var before: [[String]] = []
            var stats = IndexStatistics()
            var instances: [StoredInstance] = []
            do {
                let index = try Self.filled(folder)
                try index.remove("2.31")
                before = try queries.map { canonical(try index.find($0)) }
                stats = try index.statistics()
                try index.forEachInstance { instances.append($0) }
                try index.sync()
            }
            let reopened = try SQLiteIndex(path: folder + "/index.sqlite")
            #expect(try queries.map { canonical(try reopened.find($0)) } == before)
            #expect(try reopened.statistics() == stats)
            var after: [StoredInstance] = []
            try reopened.forEachInstance { after.append($0) }
            #expect(after == instances)
            #expect(after.count == 9)
            #expect(try reopened.latestReceipt() == 1_700_000_009)
            #expect(try reopened.header("2.42")?.string(.patientName) == "Müller^Hans")
            // And takes more.
            #expect(try reopened.insert(Fixture.all[6].record(), duplicates: .keep) == .inserted)
            #expect(try reopened.statistics().instances == 10)
        }
    }

    @Test("forEachInstance visits every instance once; isReferenced knows the storage keys")
    func forEachAndReferenced() throws {
        try withTemporaryFolder { folder in
            let index = try Self.filled(folder)
            var seen: [String] = []
            try index.forEachInstance { seen.append($0.sopInstanceUID) }
            #expect(seen.sorted() == Fixture.all.map(\.sop).sorted())
            #expect(try index.isReferenced(storageKey: "key/2.21"))
            #expect(try !index.isReferenced(storageKey: "key/2.2"))
            // An error of the body ends the walk and reaches the caller.
            var calls = 0
            #expect(throws: IndexError.self) {
                try index.forEachInstance { _ in
                    calls += 1
                    throw TestFailure("stop")
                }
            }
            #expect(calls == 1)
        }
    }
}
