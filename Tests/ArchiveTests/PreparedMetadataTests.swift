import Archive
import DICOM
import DICOMQuery
import Testing

/// The metadata kept at ingest: the same DICOM JSON as encoding the header per request, with the request's base
/// URL in each BulkDataURI (pixel data, and binary values too large to keep inline).
@Suite struct PreparedMetadataTests {
    static func instance(bulk: Int) -> DataSet {
        var ds = DataSet()
        func text(_ tag: Tag, _ vr: VR, _ v: String) { ds.set(DataElement(tag: tag, vr: vr, string: v)) }
        text(.specificCharacterSet, .CS, "ISO_IR 192")
        text(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.7")
        text(.sopInstanceUID, .UI, "1.2.3.4.5")
        text(.studyInstanceUID, .UI, "1.2.3")
        text(.seriesInstanceUID, .UI, "1.2.3.4")
        text(.patientName, .PN, "Müller^Hans")
        ds.set(DataElement(tag: .rows, vr: .US, data: [4, 0]))
        ds.set(DataElement(tag: .columns, vr: .US, data: [4, 0]))
        ds.set(DataElement(tag: .bitsAllocated, vr: .US, data: [16, 0]))
        // An overlay plane too large to keep inline, and a small private binary kept inline.
        ds.set(DataElement(tag: Tag(0x6000_3000), vr: .OW, data: [UInt8](repeating: 0xAA, count: bulk)))
        ds.set(DataElement(tag: Tag(0x0009_0010), vr: .LO, string: "ACME"))
        ds.set(DataElement(tag: Tag(0x0009_1001), vr: .OB, data: [1, 2, 3, 4]))
        return ds
    }

    @Test func rendersWithTheBaseURLInEveryBulkDataURI() throws {
        try withTemporaryFolder { folder in
            let index = try SQLiteIndex(path: folder + "/index.sqlite")
            let ds = Self.instance(bulk: 40_000)
            let record = InstanceRecord(header: ds, transferSyntaxUID: "1.2.840.10008.1.2.1", storageKey: "k", size: 1, sha256: "x",
                                        receivedAt: 1)!
            _ = try index.insert(record, duplicates: .keep)
            var id = DataSet()
            id.set(DataElement(tag: Tag(0x0008_0052), vr: .CS, string: "IMAGE"))
            id.set(DataElement(tag: .sopInstanceUID, vr: .UI, string: "1.2.3.4.5"))
            guard case .prepared(let blob)? = try index.metadata(matching: try Query(identifier: id, model: .studyRoot)).first?.metadata else {
                Issue.record("no prepared metadata")
                return
            }
            var out: [UInt8] = []
            #expect(PreparedMetadata.render(blob, base: "https://pacs.example.org:8443/dicom-web", into: &out))
            let json = try JSONParser.parse(out)
            let url = "https://pacs.example.org:8443/dicom-web/studies/1.2.3/series/1.2.3.4/instances/1.2.3.4.5/bulkdata/"
            #expect(json["7FE00010"]?["BulkDataURI"]?.string == url + "7FE00010")
            #expect(json["7FE00010"]?["vr"]?.string == "OW")
            #expect(json["60003000"]?["BulkDataURI"]?.string == url + "60003000")
            #expect(json["00091001"]?["InlineBinary"]?.string == "AQIDBA==")
            #expect(json["00100010"]?["Value"]?.array?.first?["Alphabetic"]?.string == "Müller^Hans")
            // Everything but the bulk data is as the per-request encoding gives it.
            var plain = ds
            plain.remove(Tag(0x6000_3000))
            let direct = try JSONParser.parse(Array(DICOMJSON.encode(plain).utf8))
            for (key, value) in direct.object ?? [] where key != "60003000" { #expect(json[key] == value, "\(key)") }
        }
    }

    @Test func aValueThatLooksLikeTheMarkerOnlyGainsAURL() {
        var out: [UInt8] = []
        let text = Array("{\"a\":\"x\\u0001LB\\u0001y\"}".utf8)
        #expect(PreparedMetadata.render([0] + text, base: "B", into: &out))
        #expect(String(decoding: out, as: UTF8.self) == "{\"a\":\"xBy\"}")
        #expect(!PreparedMetadata.render([7, 1, 2], base: "B", into: &out))
        #expect(!PreparedMetadata.render([1, 0xFF, 0xFF], base: "B", into: &out))
    }
}
