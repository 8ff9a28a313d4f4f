import DICOMCore
import DICOMQuery
import Testing

/// C-FIND over the in-memory index at each level of both models, with the computed attributes of PS3.4 C.6.1.1.
@Suite("MemoryIndex.find")
struct MemoryIndexFindTests {
    let index = Fixture.index()

    @Test("the index holds every instance, headers without pixel data")
    func contents() throws {
        #expect(index.count == 6)
        #expect(Set(index.all.map(\.sopInstanceUID)) == ["2.1.1", "2.1.2", "2.1.3", "2.1.4", "2.1.5", "2.1.6"])
        let i = try #require(index.all.first { $0.sopInstanceUID == "2.1.3" })
        #expect(i.header[.pixelData] == nil)
        #expect(i.path == "/archive/2.1.3.dcm")
        #expect(i.studyInstanceUID == "1.1")
        #expect(i.seriesInstanceUID == "1.1.2")
        #expect(i.sopClassUID == Fixture.mr)
    }

    @Test("PATIENT level (Patient Root): every patient, with related counts")
    func patients() throws {
        let r = try find(index, "PATIENT", [(.patientID, .LO, ""), (.patientName, .PN, ""),
                                            (T.numberOfPatientRelatedStudies, .IS, ""), (T.numberOfPatientRelatedSeries, .IS, ""),
                                            (T.numberOfPatientRelatedInstances, .IS, "")], model: .patientRoot)
        #expect(column(r, .patientID) == ["PAT1", "PAT2"])
        #expect(column(r, .patientName) == ["Doe^John", "Roe^Jane"])
        #expect(column(r, T.numberOfPatientRelatedStudies) == ["2", "1"])
        #expect(column(r, T.numberOfPatientRelatedSeries) == ["3", "1"])
        #expect(column(r, T.numberOfPatientRelatedInstances) == ["4", "2"])
        #expect(column(r, T.level) == ["PATIENT", "PATIENT"])
        #expect(r.allSatisfy { $0[.studyInstanceUID] == nil && $0[.modality] == nil })
    }

    @Test("PATIENT level with matching keys")
    func patientMatching() throws {
        #expect(column(try find(index, "PATIENT", [(.patientName, .PN, "Doe*")], model: .patientRoot), .patientName) == ["Doe^John"])
        #expect(try find(index, "PATIENT", [(.patientID, .LO, "PAT9")], model: .patientRoot).isEmpty)
        #expect(try find(index, "PATIENT", [(T.numberOfPatientRelatedStudies, .IS, "1"), (.patientID, .LO, "")],
                         model: .patientRoot).map { $0.string(.patientID) } == ["PAT2"])
    }

    @Test("STUDY level (Study Root): computed study attributes")
    func studies() throws {
        let r = try find(index, "STUDY", [(.studyInstanceUID, .UI, ""), (T.modalitiesInStudy, .CS, ""),
                                          (T.sopClassesInStudy, .UI, ""), (T.numberOfStudyRelatedSeries, .IS, ""),
                                          (T.numberOfStudyRelatedInstances, .IS, ""), (T.numberOfPatientRelatedStudies, .IS, ""),
                                          (T.instanceAvailability, .CS, "")])
        #expect(column(r, .studyInstanceUID) == ["1.1", "1.2", "1.3"])
        #expect(r.map { $0.strings(T.modalitiesInStudy) ?? [] } == [["CT", "MR"], ["CT"], ["MR"]])
        #expect(r.map { $0.strings(T.sopClassesInStudy) ?? [] } == [[Fixture.ct, Fixture.mr], [Fixture.ct], [Fixture.mr, Fixture.enhancedMR]])
        #expect(column(r, T.numberOfStudyRelatedSeries) == ["2", "1", "1"])
        #expect(column(r, T.numberOfStudyRelatedInstances) == ["3", "1", "2"])
        #expect(column(r, T.numberOfPatientRelatedStudies) == ["2", "2", "1"])
        #expect(column(r, T.instanceAvailability) == ["ONLINE", "ONLINE", "ONLINE"])
        #expect(column(r, .specificCharacterSet) == ["ISO_IR 100", "ISO_IR 100", "ISO_IR 100"])
    }

    @Test("STUDY level: matching on study, patient and computed attributes", arguments: [
        ([(Tag.studyDate, VR.DA, "20230101-20230131")], ["1.1"]),
        ([(Tag.studyDate, VR.DA, "20230201-")], ["1.2", "1.3"]),
        ([(T.modalitiesInStudy, VR.CS, "MR")], ["1.1", "1.3"]),
        ([(T.modalitiesInStudy, VR.CS, "CT")], ["1.1", "1.2"]),
        ([(T.modalitiesInStudy, VR.CS, "US")], []),
        ([(Tag.patientName, VR.PN, "Roe^Jane")], ["1.3"]),
        ([(Tag.patientID, VR.LO, "PAT1")], ["1.1", "1.2"]),
        ([(T.numberOfStudyRelatedInstances, VR.IS, "3")], ["1.1"]),
        ([(Tag.studyInstanceUID, VR.UI, "1.3\\1.1")], ["1.1", "1.3"]),
        ([(T.accessionNumber, VR.SH, "A1.?")], ["1.1", "1.2", "1.3"]),
        ([(Tag.modality, VR.CS, "MR")], ["1.1", "1.2", "1.3"]),   // a series key: ignored at STUDY level
        ([(T.sopClassesInStudy, VR.UI, Fixture.enhancedMR)], ["1.3"]),
    ] as [([(Tag, VR, String)], [String])])
    func studyMatching(keys: [(Tag, VR, String)], expected: [String]) throws {
        // Study Instance UID as a return key, unless it is the matching key.
        let all = keys.contains { $0.0 == .studyInstanceUID } ? keys : keys + [(.studyInstanceUID, .UI, "")]
        #expect(column(try find(index, "STUDY", all), .studyInstanceUID) == expected)
        #expect(column(try find(index, "STUDY", all, model: .patientRoot), .studyInstanceUID) == expected)
    }

    @Test("STUDY level in Patient Root under one patient")
    func studiesOfPatient() throws {
        let r = try find(index, "STUDY", [(.patientID, .LO, "PAT2"), (.studyInstanceUID, .UI, ""), (.studyDate, .DA, "")],
                         model: .patientRoot)
        #expect(column(r, .studyInstanceUID) == ["1.3"])
        #expect(column(r, .studyDate) == ["20230301"])
    }

    @Test("SERIES level: series of a study, by modality, with instance counts")
    func series() throws {
        let r = try find(index, "SERIES", [(.studyInstanceUID, .UI, "1.1"), (.seriesInstanceUID, .UI, ""), (.modality, .CS, ""),
                                           (T.numberOfSeriesRelatedInstances, .IS, "")])
        #expect(column(r, .seriesInstanceUID) == ["1.1.1", "1.1.2"])
        #expect(column(r, .modality) == ["CT", "MR"])
        #expect(column(r, T.numberOfSeriesRelatedInstances) == ["2", "1"])
        #expect(column(try find(index, "SERIES", [(.modality, .CS, "CT"), (.seriesInstanceUID, .UI, "")]), .seriesInstanceUID)
                == ["1.1.1", "1.2.1"])
        #expect(column(try find(index, "SERIES", [(.patientID, .LO, "PAT2"), (.studyInstanceUID, .UI, "1.3"),
                                                  (.seriesInstanceUID, .UI, "")], model: .patientRoot), .seriesInstanceUID)
                == ["1.3.1"])
        // An image key is ignored at SERIES level.
        #expect(try find(index, "SERIES", [(.sopInstanceUID, .UI, "9.9")]).count == 4)
    }

    @Test("IMAGE level: instances of a series, by SOP class and number")
    func images() throws {
        let r = try find(index, "IMAGE", [(.seriesInstanceUID, .UI, "1.1.1"), (.sopInstanceUID, .UI, ""), (T.instanceNumber, .IS, "")])
        #expect(column(r, .sopInstanceUID) == ["2.1.1", "2.1.2"])
        #expect(r.allSatisfy { $0[.pixelData] == nil })
        #expect(column(try find(index, "IMAGE", [(.sopClassUID, .UI, Fixture.mr), (.sopInstanceUID, .UI, "")]), .sopInstanceUID)
                == ["2.1.3", "2.1.5"])
        #expect(column(try find(index, "IMAGE", [(.sopInstanceUID, .UI, "2.1.6\\2.1.4")], model: .patientRoot), .sopInstanceUID)
                == ["2.1.4", "2.1.6"])
        #expect(try find(index, "IMAGE", [(.seriesInstanceUID, .UI, "1.1.1"), (T.instanceNumber, .IS, "6")]).isEmpty)
    }

    @Test("Retrieve AE Title is returned when the index has one and it is asked for")
    func retrieveAETitle() throws {
        let named = Fixture.index(retrieveAETitle: "LIGHTBOX")
        let r = try find(named, "STUDY", [(.studyInstanceUID, .UI, "1.2"), (T.retrieveAETitle, .AE, "")])
        #expect(column(r, T.retrieveAETitle) == ["LIGHTBOX"])
        let unnamed = try find(index, "STUDY", [(.studyInstanceUID, .UI, "1.2"), (T.retrieveAETitle, .AE, "")])
        #expect(unnamed.first?[T.retrieveAETitle]?.isEmpty == true)
        // Not asked for: not returned.
        #expect(try find(named, "STUDY", [(.studyInstanceUID, .UI, "1.2")]).first?[T.retrieveAETitle] == nil)
    }

    @Test("the same Patient ID from two issuers is two patients")
    func issuers() throws {
        let index = Fixture.index()
        index.add(path: "/archive/2.1.7.dcm", header: Fixture.header(
            patientID: "PAT1", issuer: "HOSP_B", name: "Doe^Jim", study: "1.4", date: "20230401", series: "1.4.1",
            modality: "CT", sop: "2.1.7", sopClass: Fixture.ct, number: 1))
        let r = try find(index, "PATIENT", [(.patientID, .LO, "PAT1"), (T.issuerOfPatientID, .LO, ""), (.patientName, .PN, ""),
                                            (T.numberOfPatientRelatedStudies, .IS, "")], model: .patientRoot)
        #expect(column(r, T.issuerOfPatientID) == ["HOSP_A", "HOSP_B"])
        #expect(column(r, .patientName) == ["Doe^John", "Doe^Jim"])
        #expect(column(r, T.numberOfPatientRelatedStudies) == ["2", "1"])
        let s = try find(index, "STUDY", [(.studyInstanceUID, .UI, "1.4"), (T.numberOfPatientRelatedStudies, .IS, "")])
        #expect(column(s, T.numberOfPatientRelatedStudies) == ["1"])
        #expect(try retrieve(index, "PATIENT", [(.patientID, .LO, "PAT1"), (T.issuerOfPatientID, .LO, "HOSP_B")],
                             model: .patientRoot) == ["2.1.7"])
    }
}
