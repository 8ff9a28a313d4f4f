import DICOMCore

extension DICOMFile {
    /// Preamble, "DICM" and the file meta information (PS3.10 §7.1) for a data set already encoded in
    /// `transferSyntax`: what a received or imported instance is stored behind, its data set bytes untouched.
    public static func partTenHeader(sopClass: String, sopInstance: String, transferSyntax: String,
                                     sourceAETitle: String?) -> [UInt8] {
        var meta = DataSet()
        meta.set(DataElement(tag: .fileMetaInformationGroupLength, vr: .UL, integers: [UInt32(0)]))
        meta.set(DataElement(tag: .fileMetaInformationVersion, vr: .OB, bytes: Bytes([0, 1])))
        meta.set(DataElement(tag: .mediaStorageSOPClassUID, vr: .UI, string: sopClass))
        meta.set(DataElement(tag: .mediaStorageSOPInstanceUID, vr: .UI, string: sopInstance))
        meta.set(DataElement(tag: .transferSyntaxUID, vr: .UI, string: transferSyntax))
        meta.set(DataElement(tag: .implementationClassUID, vr: .UI, string: DICOMFile.implementationClassUID))
        meta.set(DataElement(tag: .implementationVersionName, vr: .SH, string: DICOMFile.implementationVersionName))
        if let sourceAETitle, !sourceAETitle.isEmpty {
            meta.set(DataElement(tag: .sourceApplicationEntityTitle, vr: .AE, string: sourceAETitle))
        }
        var writer = DataSetWriter(explicitVR: true)
        writer.groupLengths = .recalculate
        return [UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + ((try? writer.encode(meta)) ?? [])
    }
}
