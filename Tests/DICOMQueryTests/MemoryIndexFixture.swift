import DICOMCore
import DICOMQuery
import Testing

/// A small archive: two patients, three studies, four series, six instances, CT and MR.
///
///     PAT1 (issuer HOSP_A) Doe^John
///       study 1.1 (20230105)  series 1.1.1 CT: 2.1.1, 2.1.2   series 1.1.2 MR: 2.1.3
///       study 1.2 (20230210)  series 1.2.1 CT: 2.1.4
///     PAT2 (no issuer) Roe^Jane
///       study 1.3 (20230301)  series 1.3.1 MR: 2.1.5, 2.1.6
enum Fixture {
    static let ct = "1.2.840.10008.5.1.4.1.1.2"
    static let mr = "1.2.840.10008.5.1.4.1.1.4"
    static let enhancedMR = "1.2.840.10008.5.1.4.1.1.4.1"

    static func header(patientID: String, issuer: String?, name: String, study: String, date: String, series: String,
                       modality: String, sop: String, sopClass: String, number: Int) -> DataSet {
        var ds = dataSet([
            (.specificCharacterSet, .CS, "ISO_IR 100"), (.sopClassUID, .UI, sopClass), (.sopInstanceUID, .UI, sop),
            (.studyDate, .DA, date), (T.studyTime, .TM, "101500"), (T.accessionNumber, .SH, "A" + study),
            (.modality, .CS, modality), (.patientName, .PN, name), (.patientID, .LO, patientID),
            (.studyInstanceUID, .UI, study), (.seriesInstanceUID, .UI, series), (T.studyID, .SH, "1"),
        ])
        if let issuer { ds.set(DataElement(tag: T.issuerOfPatientID, vr: .LO, string: issuer)) }
        ds.set(DataElement(tag: T.instanceNumber, integerStrings: [number]))
        ds.set(DataElement(tag: .pixelData, vr: .OW, data: [UInt8](repeating: 7, count: 64)))
        return ds
    }

    static let rows: [(String, String?, String, String, String, String, String, String, String)] = [
        ("PAT1", "HOSP_A", "Doe^John", "1.1", "20230105", "1.1.1", "CT", "2.1.1", ct),
        ("PAT1", "HOSP_A", "Doe^John", "1.1", "20230105", "1.1.1", "CT", "2.1.2", ct),
        ("PAT1", "HOSP_A", "Doe^John", "1.1", "20230105", "1.1.2", "MR", "2.1.3", mr),
        ("PAT1", "HOSP_A", "Doe^John", "1.2", "20230210", "1.2.1", "CT", "2.1.4", ct),
        ("PAT2", nil, "Roe^Jane", "1.3", "20230301", "1.3.1", "MR", "2.1.5", mr),
        ("PAT2", nil, "Roe^Jane", "1.3", "20230301", "1.3.1", "MR", "2.1.6", enhancedMR),
    ]

    static func index(retrieveAETitle: String? = nil) -> MemoryIndex {
        let index = MemoryIndex(retrieveAETitle: retrieveAETitle)
        // Added out of order: answers must not depend on it.
        for (n, row) in rows.enumerated().reversed() {
            index.add(path: "/archive/\(row.7).dcm", header: header(
                patientID: row.0, issuer: row.1, name: row.2, study: row.3, date: row.4, series: row.5, modality: row.6,
                sop: row.7, sopClass: row.8, number: n + 1))
        }
        return index
    }
}

/// The values of `tag` in responses, in order.
func column(_ results: [DataSet], _ tag: Tag) -> [String] {
    results.map { $0.string(tag) ?? "<none>" }
}

func find(_ index: MemoryIndex, _ level: String, _ keys: [(Tag, VR, String)], model: InformationModel = .studyRoot) throws -> [DataSet] {
    index.find(try query(level, keys, model: model))
}

func retrieve(_ index: MemoryIndex, _ level: String, _ keys: [(Tag, VR, String)],
              model: InformationModel = .studyRoot) throws -> [String] {
    index.instances(matching: try query(level, keys, model: model)).map(\.sopInstanceUID)
}
