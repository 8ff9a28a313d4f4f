import DICOMCore
import Testing

/// The DICOM JSON model (PS3.18 Annex F), decoding.
@Suite("DICOMJSON decoding")
struct DICOMJSONDecodingTests {
    @Test("decoding the encoded text gives back an equal data set")
    func roundTripSmall() throws {
        let ds = DICOMJSONEncodingTests.small()
        let back = try DICOMJSON.decode(DICOMJSON.encode(ds))
        #expect(back == ds)
        #expect(try DICOMJSON.decode(DICOMJSONEncodingTests.smallJSON) == ds)
    }

    static func sequenceItem() -> DataSet {
        DataSet([DataElement(tag: Tag(0x0008_1150), vr: .UI, string: "1.2.840.10008.5.1.4.1.1.2"),
                 DataElement(tag: Tag(0x0008_1160), vr: .IS, strings: ["1", "2"]),
                 DataElement(tag: Tag(0x0040_A730), items: [DataSet([DataElement(tag: Tag(0x0040_A160), vr: .UT, string: "deep")])])])
    }

    static func rich() throws -> DataSet {
        var ds = DataSet()
        ds.set(DataElement(tag: .specificCharacterSet, vr: .CS, strings: ["", "ISO 2022 IR 87"]))
        ds.set(DataElement(tag: Tag(0x0008_0008), vr: .CS, strings: ["ORIGINAL", "PRIMARY"]))
        try ds.setString(.patientName, "Yamada^Tarou=山田^太郎=やまだ^たろう")
        ds.set(DataElement(tag: Tag(0x0010_1010), vr: .AS, string: "045Y"))
        ds.set(DataElement(tag: Tag(0x0018_0050), decimalStrings: [2.5]))
        ds.set(DataElement(tag: Tag(0x0018_6020), vr: .SL, integers: [Int32(-5), 7]))
        ds.set(DataElement(tag: Tag(0x0018_9087), doubles: [1000.5]))
        ds.set(DataElement(tag: Tag(0x0008_9459), floats: [29.97]))
        ds.set(DataElement(tag: Tag(0x0028_0009), tags: [Tag(0x0018_1063)]))
        ds.set(DataElement(tag: .rows, vr: .US, integers: [UInt16(512)]))
        ds.set(DataElement(tag: Tag(0x0072_0082), vr: .SV, integers: [Int64(-9_000_000_000)]))
        ds.set(DataElement(tag: Tag(0x0010_4000), vr: .LT, string: "line 1\r\nline \\2"))
        ds.set(DataElement(tag: .pixelData, vr: .OW, integers: [UInt16(1), 0xFFFF]))
        return ds
    }

    @Test("every kind of value round-trips: text, names in ISO 2022, numbers, tags, binary")
    func roundTripRich() throws {
        let ds = try Self.rich()
        let text = DICOMJSON.encode(ds)
        let back = try DICOMJSON.decode(text)
        #expect(back.map(\.tag) == ds.map(\.tag))
        for element in ds {
            #expect(back[element.tag] == element, "\(element.tag)")
        }
        #expect(back == ds)
        #expect(DICOMJSON.encode(back) == text)
    }

    @Test("sequences round-trip, nested and empty items included")
    func roundTripSequences() throws {
        let ds = DataSet([DataElement(tag: .modality, vr: .CS, string: "SR"),
                          DataElement(tag: Tag(0x0008_1140), items: [Self.sequenceItem(), DataSet()]),
                          DataElement(tag: Tag(0x0040_A730), items: [])])
        let back = try DICOMJSON.decode(DICOMJSON.encode(ds))
        #expect(back.items(Tag(0x0008_1140))?.count == 2)
        #expect(back.items(Tag(0x0008_1140))?.first?.items(Tag(0x0040_A730))?.first?.string(Tag(0x0040_A160)) == "deep")
        #expect(back == ds)
    }

    @Test("a data set with a Specific Character Set and sequences round-trips equal")
    func roundTripSequencesWithCharacterSet() throws {
        var ds = try Self.rich()
        ds.set(DataElement(tag: Tag(0x0008_1140), items: [Self.sequenceItem()]))
        let back = try DICOMJSON.decode(DICOMJSON.encode(ds))
        #expect(back == ds)
    }

    @Test("non-ASCII text with no character set switches the data set to ISO_IR 192")
    func switchesToUTF8() throws {
        let ds = try DICOMJSON.decode(#"{"00100010":{"vr":"PN","Value":[{"Alphabetic":"Müller"}]},"00100020":{"vr":"LO","Value":["ID"]}}"#)
        #expect(ds.string(.specificCharacterSet) == "ISO_IR 192")
        #expect(ds.characterSet == .utf8)
        #expect(ds[.patientName]?.bytes?.array == Array("Müller".utf8) + [0x20])
        #expect(ds.string(.patientName) == "Müller")
        #expect(ds.string(.patientID) == "ID")
    }

    @Test("text the declared character set can hold stays in it; otherwise the data set becomes UTF-8")
    func declaredCharacterSet() throws {
        let latin = try DICOMJSON.decode(#"{"00080005":{"vr":"CS","Value":["ISO_IR 100"]},"00100010":{"vr":"PN","Value":[{"Alphabetic":"Müller"}]}}"#)
        #expect(latin.string(.specificCharacterSet) == "ISO_IR 100")
        #expect(latin[.patientName]?.bytes?.array == [0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72])

        let mixed = try DICOMJSON.decode(#"{"00080005":{"vr":"CS","Value":["ISO_IR 100"]},"00100010":{"vr":"PN","Value":[{"Alphabetic":"山田"}]}}"#)
        #expect(mixed.string(.specificCharacterSet) == "ISO_IR 192")
        #expect(mixed.string(.patientName) == "山田")
    }

    @Test("ASCII data sets get no character set")
    func asciiOnly() throws {
        let ds = try DICOMJSON.decode(#"{"00100010":{"vr":"PN","Value":[{"Alphabetic":"Doe^John"}]}}"#)
        #expect(ds[.specificCharacterSet] == nil)
        #expect(ds.count == 1)
    }

    @Test("lenient input: missing vr from the dictionary, numbers as strings, null values, string person names")
    func lenient() throws {
        let ds = try DICOMJSON.decode(#"""
            { "00100010": {"Value": ["Doe^John"]},
              "00280010": {"vr": "US", "Value": ["512"]},
              "00180050": {"vr": "DS", "Value": ["2.50", null, 3]},
              "00201041": {"vr": "DS", "Value": [1.23456789012345678901]},
              "00200013": {"vr": "IS", "Value": [4.0]} }
            """#)
        #expect(ds[.patientName]?.vr == .PN)
        #expect(ds.string(.patientName) == "Doe^John")
        #expect(ds.integer(.rows) == 512)
        #expect(ds.strings(Tag(0x0018_0050)) == ["2.50", "", "3"])
        let location = try #require(ds.strings(Tag(0x0020_1041))?.first)
        #expect(location.utf8.count <= 16)
        #expect(abs((parseDS(location) ?? 0) - 1.2345678901234567) < 1e-10)
        #expect(ds.integer(Tag(0x0020_0013)) == 4)
    }

    @Test("BulkDataURI is resolved through the resolver")
    func bulkData() throws {
        let text = #"{"7FE00010":{"vr":"OB","BulkDataURI":"https://pacs.example/bulk/1"}}"#
        var asked: [String] = []
        let ds = try DICOMJSON.decode(text) { uri in
            asked.append(uri)
            return Bytes([9, 8, 7])
        }
        #expect(asked == ["https://pacs.example/bulk/1"])
        #expect(ds[.pixelData]?.bytes?.array == [9, 8, 7, 0])
        #expect(throws: DICOMJSON.DecodeError.self) { _ = try DICOMJSON.decode(text) }
    }

    @Test("invalid keys", arguments: ["0010001", "001000100", "(0010,0010)", "0010001G", "PatientName", ""])
    func badKeys(key: String) {
        let text = "{\"\(key)\":{\"vr\":\"PN\",\"Value\":[\"x\"]}}"
        #expect(throws: DICOMJSON.DecodeError.invalid(path: "$.\(key)", reason: "a key must be eight hex digits")) {
            _ = try DICOMJSON.decode(text)
        }
    }

    @Test("invalid or missing VRs", arguments: ["\"XX\"", "\"pn\"", "\"P\"", "\"PNX\"", "7"])
    func badVRs(vr: String) {
        let text = "{\"00100010\":{\"vr\":\(vr),\"Value\":[\"x\"]}}"
        #expect(throws: DICOMJSON.DecodeError.invalid(path: "$.00100010", reason: "missing or unknown vr")) {
            _ = try DICOMJSON.decode(text)
        }
    }

    @Test("a private element without a VR")
    func missingVR() {
        #expect(throws: DICOMJSON.DecodeError.invalid(path: "$.00091001", reason: "missing or unknown vr")) {
            _ = try DICOMJSON.decode(#"{"00091001":{"Value":["x"]}}"#)
        }
    }

    @Test("malformed values")
    func badValues() {
        func failure(_ text: String) -> DICOMJSON.DecodeError? {
            do { _ = try DICOMJSON.decode(text); return nil } catch { return error as? DICOMJSON.DecodeError }
        }
        #expect(failure("[]") == .invalid(path: "$", reason: "a data set must be a JSON object"))
        #expect(failure(#"{"00100020":{"vr":"LO","Value":"x"}}"#) == .invalid(path: "$.00100020", reason: "Value must be an array"))
        #expect(failure(#"{"00100020":"x"}"#) == .invalid(path: "$.00100020", reason: "expected an object"))
        #expect(failure(#"{"7FE00010":{"vr":"OB","InlineBinary":"@@@"}}"#) == .invalid(path: "$.7FE00010", reason: "InlineBinary is not base64"))
        #expect(failure(#"{"00280010":{"vr":"US","Value":["abc"]}}"#) == .invalid(path: "$.00280010.Value[0]", reason: "expected a number"))
        #expect(failure(#"{"00280010":{"vr":"US","Value":[70000]}}"#) == .invalid(path: "$.00280010.Value[0]", reason: "70000 is not a US value"))
        #expect(failure(#"{"00280009":{"vr":"AT","Value":["0018"]}}"#) == .invalid(path: "$.00280009.Value[0]", reason: "expected a tag as eight hex digits"))
        #expect(failure(#"{"7FE00010":{"vr":"OB","Value":[1]}}"#) == .invalid(path: "$.7FE00010", reason: "OB takes InlineBinary or BulkDataURI"))
        #expect(failure(#"{"00081140":{"vr":"SQ","Value":[{"0010001":{}}]}}"#) == .invalid(path: "$.00081140.Value[0].0010001", reason: "a key must be eight hex digits"))
        if case .json? = failure(#"{"00100010":"#) {} else { Issue.record("expected a JSON syntax error") }
    }
}
