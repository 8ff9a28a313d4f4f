import DICOMCore
import DICOMQuery
import Testing

/// What a C-MOVE or C-GET identifier selects, and how the index changes.
@Suite("MemoryIndex.instances(matching:) and updates")
struct MemoryIndexRetrieveTests {
    let index = Fixture.index()

    @Test("STUDY level: every instance of the listed studies")
    func studies() throws {
        #expect(try retrieve(index, "STUDY", [(.studyInstanceUID, .UI, "1.1\\1.3")]) == ["2.1.1", "2.1.2", "2.1.3", "2.1.5", "2.1.6"])
        #expect(try retrieve(index, "STUDY", [(.studyInstanceUID, .UI, "1.2")]) == ["2.1.4"])
        #expect(try retrieve(index, "STUDY", [(.studyInstanceUID, .UI, "9.9")]).isEmpty)
    }

    @Test("SERIES level: every instance of the listed series")
    func series() throws {
        #expect(try retrieve(index, "SERIES", [(.studyInstanceUID, .UI, "1.1"), (.seriesInstanceUID, .UI, "1.1.2")]) == ["2.1.3"])
        #expect(try retrieve(index, "SERIES", [(.seriesInstanceUID, .UI, "1.1.1\\1.3.1")]) == ["2.1.1", "2.1.2", "2.1.5", "2.1.6"])
        // The study key must agree.
        #expect(try retrieve(index, "SERIES", [(.studyInstanceUID, .UI, "1.2"), (.seriesInstanceUID, .UI, "1.1.2")]).isEmpty)
    }

    @Test("IMAGE level: the listed instances")
    func images() throws {
        #expect(try retrieve(index, "IMAGE", [(.sopInstanceUID, .UI, "2.1.5\\2.1.4")]) == ["2.1.4", "2.1.5"])
        #expect(try retrieve(index, "IMAGE", [(.seriesInstanceUID, .UI, "1.1.1"), (.sopInstanceUID, .UI, "2.1.2")]) == ["2.1.2"])
        #expect(try retrieve(index, "IMAGE", [(.sopInstanceUID, .UI, "2.1.9")]).isEmpty)
    }

    @Test("PATIENT level (Patient Root): every instance of the patient")
    func patients() throws {
        #expect(try retrieve(index, "PATIENT", [(.patientID, .LO, "PAT2")], model: .patientRoot) == ["2.1.5", "2.1.6"])
        #expect(try retrieve(index, "PATIENT", [(.patientID, .LO, "PAT1")], model: .patientRoot) == ["2.1.1", "2.1.2", "2.1.3", "2.1.4"])
    }

    @Test("the selected instances carry their paths")
    func paths() throws {
        let selected = index.instances(matching: try query("SERIES", [(.seriesInstanceUID, .UI, "1.1.1")]))
        #expect(selected.map(\.path) == ["/archive/2.1.1.dcm", "/archive/2.1.2.dcm"])
    }

    @Test("an instance added twice is replaced, not duplicated")
    func replacement() throws {
        let index = Fixture.index()
        var header = Fixture.header(patientID: "PAT1", issuer: "HOSP_A", name: "Doe^John", study: "1.1", date: "20230105",
                                    series: "1.1.1", modality: "CT", sop: "2.1.1", sopClass: Fixture.ct, number: 99)
        header.set(DataElement(tag: T.instanceNumber, integerStrings: [99]))
        index.add(path: "/elsewhere/2.1.1.dcm", header: header)
        #expect(index.count == 6)
        let matching = index.all.filter { $0.sopInstanceUID == "2.1.1" }
        #expect(matching.count == 1)
        #expect(matching.first?.path == "/elsewhere/2.1.1.dcm")
        let r = try find(index, "IMAGE", [(.sopInstanceUID, .UI, "2.1.1"), (T.instanceNumber, .IS, "")])
        #expect(column(r, T.instanceNumber) == ["99"])
        let s = try find(index, "STUDY", [(.studyInstanceUID, .UI, "1.1"), (T.numberOfStudyRelatedInstances, .IS, "")])
        #expect(column(s, T.numberOfStudyRelatedInstances) == ["3"])
    }

    @Test("an instance moved to another series by a second add leaves the old series")
    func moved() throws {
        let index = Fixture.index()
        index.add(path: "/archive/2.1.2.dcm", header: Fixture.header(
            patientID: "PAT1", issuer: "HOSP_A", name: "Doe^John", study: "1.1", date: "20230105", series: "1.1.2",
            modality: "MR", sop: "2.1.2", sopClass: Fixture.mr, number: 2))
        #expect(try retrieve(index, "SERIES", [(.seriesInstanceUID, .UI, "1.1.1")]) == ["2.1.1"])
        #expect(try retrieve(index, "SERIES", [(.seriesInstanceUID, .UI, "1.1.2")]) == ["2.1.2", "2.1.3"])
    }

    @Test("removed instances are no longer found")
    func removal() throws {
        let index = Fixture.index()
        index.remove(sopInstanceUID: "2.1.4")
        #expect(index.count == 5)
        #expect(try find(index, "STUDY", [(.studyInstanceUID, .UI, "1.2")]).isEmpty)
        let p = try find(index, "PATIENT", [(.patientID, .LO, "PAT1"), (T.numberOfPatientRelatedStudies, .IS, "")], model: .patientRoot)
        #expect(column(p, T.numberOfPatientRelatedStudies) == ["1"])
        index.remove(sopInstanceUID: "no-such-uid")
        #expect(index.count == 5)
    }
}
