import DICOMCore
import Testing

/// The DICOM JSON model (PS3.18 Annex F), encoding.
@Suite("DICOMJSON encoding")
struct DICOMJSONEncodingTests {
    static func small() -> DataSet {
        DataSet([
            DataElement(tag: .studyDate, vr: .DA, string: "20230115"),
            DataElement(tag: .patientName, vr: .PN, string: "Doe^John"),
            DataElement(tag: .patientID, vr: .LO, string: ""),
            DataElement(tag: Tag(0x0020_0013), integerStrings: [5]),
            DataElement(tag: Tag(0x0028_0030), decimalStrings: [0.5, 1.25]),
            DataElement(tag: .pixelData, vr: .OB, data: [1, 2, 3, 4]),
        ])
    }

    static let smallJSON = #"{"00080020":{"vr":"DA","Value":["20230115"]},"#
        + #""00100010":{"vr":"PN","Value":[{"Alphabetic":"Doe^John"}]},"#
        + #""00100020":{"vr":"LO"},"#
        + #""00200013":{"vr":"IS","Value":[5]},"#
        + #""00280030":{"vr":"DS","Value":[0.5,1.25]},"#
        + #""7FE00010":{"vr":"OB","InlineBinary":"AQIDBA=="}}"#

    @Test("the exact text of a small data set")
    func exact() {
        #expect(DICOMJSON.encode(Self.small()) == Self.smallJSON)
        #expect(DICOMJSON.encode(DataSet()) == "{}")
    }

    func parsed(_ ds: DataSet, bulkData: DICOMJSON.BulkDataHandler? = nil) throws -> JSONValue {
        try JSONParser.parse(DICOMJSON.encode(ds, bulkData: bulkData))
    }

    @Test("person names with three component groups are objects")
    func personNames() throws {
        var ds = DataSet()
        ds.set(DataElement(tag: .specificCharacterSet, vr: .CS, strings: ["", "ISO 2022 IR 87"]))
        try ds.setString(.patientName, "Yamada^Tarou=山田^太郎=やまだ^たろう")
        ds.set(try DataElement(tag: Tag(0x0008_0090), vr: .PN, strings: ["=山田", "", "Roe"], characterSet: ds.characterSet))
        let json = try parsed(ds)
        let charset = json["00080005"]?["Value"]
        #expect(charset == .array([.null, .string("ISO 2022 IR 87")]))
        let name = try #require(json["00100010"]?["Value"]?.array?.first)
        #expect(name["Alphabetic"] == .string("Yamada^Tarou"))
        #expect(name["Ideographic"] == .string("山田^太郎"))
        #expect(name["Phonetic"] == .string("やまだ^たろう"))
        let referring = try #require(json["00080090"]?["Value"]?.array)
        #expect(referring.count == 3)
        #expect(referring[0] == .object([("Ideographic", .string("山田"))]))
        #expect(referring[1] == .null)
        #expect(referring[2] == .object([("Alphabetic", .string("Roe"))]))
    }

    @Test("numbers: DS and IS as JSON numbers, binary integers and floats")
    func numbers() throws {
        let ds = DataSet([
            DataElement(tag: Tag(0x0018_0050), vr: .DS, strings: ["2.50", "-1e3", "", "x"]),
            DataElement(tag: Tag(0x0020_0013), vr: .IS, strings: ["-7", "12.0"]),
            DataElement(tag: .rows, vr: .US, integers: [UInt16(65535)]),
            DataElement(tag: Tag(0x0018_6020), vr: .SL, integers: [Int32.min]),
            DataElement(tag: Tag(0x0072_0082), vr: .SV, integers: [Int64.min]),
            DataElement(tag: Tag(0x0008_040C), vr: .UV, integers: [UInt64.max]),
            DataElement(tag: Tag(0x0018_9087), doubles: [1.5, .infinity]),
            DataElement(tag: Tag(0x0008_9459), floats: [0.25]),
        ])
        let json = try parsed(ds)
        #expect(json["00180050"]?["Value"] == .array([.number("2.5"), .number("-1000"), .null, .string("x")]))
        #expect(json["00200013"]?["Value"] == .array([.number("-7"), .number("12")]))
        #expect(json["00280010"]?["Value"] == .array([.number("65535")]))
        #expect(json["00186020"]?["Value"] == .array([.number("-2147483648")]))
        #expect(json["00720082"]?["Value"] == .array([.number("-9223372036854775808")]))
        #expect(json["0008040C"]?["Value"] == .array([.number("18446744073709551615")]))
        #expect(json["00189087"]?["Value"] == .array([.number("1.5"), .null]))
        #expect(json["00089459"]?["Value"] == .array([.number("0.25")]))
    }

    @Test("AT values are hex strings")
    func attributeTags() throws {
        let ds = DataSet([DataElement(tag: Tag(0x0028_0009), tags: [Tag(0x0018_1063), Tag(0x7FE0_0010)])])
        #expect(DICOMJSON.encode(ds) == #"{"00280009":{"vr":"AT","Value":["00181063","7FE00010"]}}"#)
    }

    @Test("binary values are InlineBinary base64, little endian")
    func inlineBinary() throws {
        let ds = DataSet([
            DataElement(tag: .pixelData, vr: .OW, integers: [UInt16(0x0201), 0x0403]),
            DataElement(tag: Tag(0x0009_1001), vr: .UN, bytes: Bytes([0xFF])),
        ])
        let json = try parsed(ds)
        #expect(json["7FE00010"]?["InlineBinary"] == .string("AQIDBA=="))
        #expect(json["7FE00010"]?["Value"] == nil)
        #expect(json["00091001"]?["vr"] == .string("UN"))
        #expect(json["00091001"]?["InlineBinary"] == .string("/w=="))
    }

    @Test("empty values have no Value member")
    func emptyValues() throws {
        let ds = DataSet([
            DataElement(tag: .patientName, vr: .PN, bytes: Bytes()),
            DataElement(tag: .rows, vr: .US, bytes: Bytes()),
            DataElement(tag: Tag(0x0008_1140), items: []),
            DataElement(tag: .pixelData, vr: .OB, bytes: Bytes()),
        ])
        #expect(DICOMJSON.encode(ds) == #"{"00081140":{"vr":"SQ"},"00100010":{"vr":"PN"},"00280010":{"vr":"US"},"7FE00010":{"vr":"OB"}}"#)
    }

    @Test("sequences are arrays of objects; items use the parent's character set")
    func sequences() throws {
        var inner = DataSet()
        inner.set(DataElement(tag: .patientName, vr: .PN, data: [0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72]))
        var ds = DataSet()
        ds.set(DataElement(tag: .specificCharacterSet, vr: .CS, string: "ISO_IR 100"))
        ds.set(DataElement(tag: Tag(0x0008_1140), items: [DataSet([DataElement(tag: Tag(0x0008_1150), vr: .UI, string: "1.2")]), DataSet()]))
        ds.set(DataElement(tag: Tag(0x0040_A730), items: [inner]))
        let json = try parsed(ds)
        let items = try #require(json["00081140"]?["Value"]?.array)
        #expect(items.count == 2)
        #expect(items[0]["00081150"]?["Value"] == .array([.string("1.2")]))
        #expect(items[1] == .object([]))
        let name = json["0040A730"]?["Value"]?.array?.first?["00100010"]?["Value"]?.array?.first
        #expect(name?["Alphabetic"] == .string("Müller"))
    }

    @Test("the bulk data handler turns binary values into BulkDataURI, with their path")
    func bulkData() throws {
        let document = DataSet([DataElement(tag: Tag(0x0042_0011), vr: .OB, data: [1, 2])])
        let ds = DataSet([
            DataElement(tag: Tag(0x0008_1140), items: [document]),
            DataElement(tag: .rows, vr: .US, integers: [UInt16(1)]),
            DataElement(tag: .pixelData, vr: .OW, data: [1, 2, 3, 4]),
        ])
        var paths: [[Tag]] = []
        let json = try parsed(ds) { element, path in
            paths.append(path)
            return element.tag == .pixelData ? "https://pacs.example/bulk/7FE00010" : nil
        }
        #expect(json["7FE00010"]?["BulkDataURI"] == .string("https://pacs.example/bulk/7FE00010"))
        #expect(json["7FE00010"]?["InlineBinary"] == nil)
        let nested = json["00081140"]?["Value"]?.array?.first?["00420011"]
        #expect(nested?["InlineBinary"] == .string("AQI="))
        #expect(paths.contains([Tag(0x0008_1140), Tag(0x0042_0011)]))
        #expect(paths.contains([.pixelData]))
        #expect(!paths.contains([.rows]))
    }

    @Test("encapsulated pixel data goes out as its items, or as bulk data")
    func encapsulated() throws {
        let pixels = EncapsulatedPixelData(fragments: [Bytes([0xAA, 0xBB])])
        let ds = DataSet([DataElement(tag: .pixelData, vr: .OB, value: .encapsulated(pixels))])
        let items: [UInt8] = [0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0, 0xFE, 0xFF, 0x00, 0xE0, 2, 0, 0, 0, 0xAA, 0xBB]
        let json = try parsed(ds)
        #expect(json["7FE00010"]?["InlineBinary"]?.string.flatMap { Base64.decode($0) } == items)
        let bulk = try parsed(ds) { _, _ in "uri:pixels" }
        #expect(bulk["7FE00010"]?["BulkDataURI"] == .string("uri:pixels"))
    }

    @Test("UN values of known attributes are given their real VR")
    func unResolved() throws {
        let ds = DataSet([DataElement(tag: .patientName, vr: .UN, bytes: Bytes(ascii("Doe^John"))),
                          DataElement(tag: .rows, vr: .UN, bytes: Bytes(le16(7)))])
        let json = try parsed(ds)
        #expect(json["00100010"]?["vr"] == .string("PN"))
        #expect(json["00100010"]?["Value"]?.array?.first?["Alphabetic"] == .string("Doe^John"))
        #expect(json["00280010"]?["Value"] == .array([.number("7")]))
    }

    @Test("text is escaped for JSON")
    func escaping() throws {
        let ds = DataSet([DataElement(tag: Tag(0x0010_4000), vr: .LT, string: "say \"hi\"\\ C:\\dir\n\ttab\u{01}")])
        let text = DICOMJSON.encode(ds)
        #expect(text.contains(#""say \"hi\"\\ C:\\dir\n\ttab\u0001""#))
        let json = try JSONParser.parse(text)
        #expect(json["00104000"]?["Value"] == .array([.string("say \"hi\"\\ C:\\dir\n\ttab\u{01}")]))
    }
}
