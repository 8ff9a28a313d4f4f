import DICOMCore
import DICOMQuery
import Testing

/// Swift Testing has a `Tag` of its own; in these tests `Tag` is always the DICOM one.
typealias Tag = DICOMCore.Tag

/// Tags of Query/Retrieve attributes the tests use that DICOMCore does not name.
enum T {
    static let level = Tag(0x0008_0052)
    static let studyTime = Tag(0x0008_0030)
    static let accessionNumber = Tag(0x0008_0050)
    static let retrieveAETitle = Tag(0x0008_0054)
    static let instanceAvailability = Tag(0x0008_0056)
    static let modalitiesInStudy = Tag(0x0008_0061)
    static let sopClassesInStudy = Tag(0x0008_0062)
    static let seriesDate = Tag(0x0008_0021)
    static let seriesTime = Tag(0x0008_0031)
    static let studyDescription = Tag(0x0008_1030)
    static let procedureCodeSequence = Tag(0x0008_1032)
    static let codeValue = Tag(0x0008_0100)
    static let codingSchemeDesignator = Tag(0x0008_0102)
    static let codeMeaning = Tag(0x0008_0104)
    static let issuerOfPatientID = Tag(0x0010_0021)
    static let patientBirthDate = Tag(0x0010_0030)
    static let patientSex = Tag(0x0010_0040)
    static let otherPatientIDs = Tag(0x0010_1000)
    static let studyID = Tag(0x0020_0010)
    static let seriesNumber = Tag(0x0020_0011)
    static let instanceNumber = Tag(0x0020_0013)
    static let acquisitionDateTime = Tag(0x0008_002A)
    static let numberOfPatientRelatedStudies = Tag(0x0020_1200)
    static let numberOfPatientRelatedSeries = Tag(0x0020_1202)
    static let numberOfPatientRelatedInstances = Tag(0x0020_1204)
    static let numberOfStudyRelatedSeries = Tag(0x0020_1206)
    static let numberOfStudyRelatedInstances = Tag(0x0020_1208)
    static let numberOfSeriesRelatedInstances = Tag(0x0020_1209)
}

/// A data set from (tag, VR, value) triples; a value of "" makes an empty (universal) key.
func dataSet(_ elements: [(Tag, VR, String)]) -> DataSet {
    var ds = DataSet()
    for (tag, vr, value) in elements { ds.set(DataElement(tag: tag, vr: vr, string: value)) }
    return ds
}

/// An identifier: the level plus keys.
func identifier(_ level: String, _ keys: [(Tag, VR, String)]) -> DataSet {
    dataSet([(T.level, .CS, level)] + keys)
}

func query(_ level: String, _ keys: [(Tag, VR, String)], model: InformationModel = .studyRoot,
           options: MatchingOptions = MatchingOptions()) throws -> Query {
    try Query(identifier: identifier(level, keys), model: model, options: options)
}

/// Whether a candidate value matches a key value of a VR.
func matches(_ key: String, _ candidate: String, _ vr: VR, options: MatchingOptions = MatchingOptions()) -> Bool {
    Matching(vr: vr, value: key).matches(candidate, vr: vr, options: options)
}
