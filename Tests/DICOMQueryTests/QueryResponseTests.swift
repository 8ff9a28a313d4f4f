import DICOMCore
import DICOMQuery
import Testing

/// The response to a matching entity (PS3.4 C.4.1.1.3.2): the identifier's keys with the entity's values.
@Suite("Query: responses")
struct QueryResponseTests {
    static func code(_ value: String, _ scheme: String, _ meaning: String) -> DataSet {
        dataSet([(T.codeValue, .SH, value), (T.codingSchemeDesignator, .SH, scheme), (T.codeMeaning, .LO, meaning)])
    }

    static var entity: DataSet {
        var e = dataSet([
            (.specificCharacterSet, .CS, "ISO_IR 192"), (.patientName, .PN, "Doe^John"), (.patientID, .LO, "P1"),
            (.studyDate, .DA, "20230115"), (.studyInstanceUID, .UI, "1.2.3"), (T.accessionNumber, .SH, "ACC1"),
            (.modality, .CS, "CT"), (.sopInstanceUID, .UI, "1.2.3.4.5"), (T.patientSex, .CS, "M"),
        ])
        e.set(DataElement(tag: T.procedureCodeSequence, items: [code("X1", "DCM", "Head"), code("X2", "LN", "Neck")]))
        return e
    }

    static var studyIdentifier: DataSet {
        var id = identifier("STUDY", [
            (.specificCharacterSet, .CS, "ISO_IR 100"), (.patientName, .PN, ""), (.studyInstanceUID, .UI, ""),
            (.studyDate, .DA, "20230101-"), (T.accessionNumber, .SH, ""), (T.studyDescription, .LO, ""),
        ])
        id.set(DataElement(tag: T.procedureCodeSequence, items: [dataSet([(T.codeValue, .SH, "")])]))
        return id
    }

    @Test("exactly the identifier's keys, the level and the entity's Specific Character Set")
    func keys() throws {
        let q = try Query(identifier: Self.studyIdentifier, model: .studyRoot)
        try #require(q.matches(Self.entity))
        let r = q.response(from: Self.entity)
        #expect(r.elements.map(\.tag) == [.specificCharacterSet, .studyDate, T.accessionNumber, T.level, T.studyDescription,
                                          T.procedureCodeSequence, .patientName, .studyInstanceUID])
        #expect(r.string(.specificCharacterSet) == "ISO_IR 192")
        #expect(r.string(T.level) == "STUDY")
        #expect(r.string(.patientName) == "Doe^John")
        #expect(r.string(.studyInstanceUID) == "1.2.3")
        #expect(r.string(.studyDate) == "20230115")
        #expect(r.string(T.accessionNumber) == "ACC1")
        // Not asked for: not returned.
        #expect(r[.patientID] == nil)
        #expect(r[.modality] == nil)
        #expect(r[T.patientSex] == nil)
    }

    @Test("a key the entity lacks is returned empty, with the key's VR")
    func emptyValues() throws {
        let r = try Query(identifier: Self.studyIdentifier, model: .studyRoot).response(from: Self.entity)
        let description = try #require(r[T.studyDescription])
        #expect(description.isEmpty)
        #expect(description.vr == .LO)
        // A key sent as UN gets its dictionary VR.
        var id = identifier("STUDY", [])
        id.set(DataElement(tag: T.studyID, vr: .UN, bytes: Bytes()))
        let r2 = try Query(identifier: id, model: .studyRoot).response(from: Self.entity)
        #expect(r2[T.studyID]?.vr == .SH)
        #expect(r2[T.studyID]?.isEmpty == true)
    }

    @Test("without a Specific Character Set in the entity, none is returned")
    func noCharacterSet() throws {
        var e = Self.entity
        e.remove(.specificCharacterSet)
        let r = try Query(identifier: Self.studyIdentifier, model: .studyRoot).response(from: e)
        #expect(r[.specificCharacterSet] == nil)
        #expect(r[T.level] != nil)
    }

    @Test("a sequence key returns the entity's items reduced to the item's keys")
    func sequenceReduced() throws {
        let r = try Query(identifier: Self.studyIdentifier, model: .studyRoot).response(from: Self.entity)
        let items = try #require(r.items(T.procedureCodeSequence))
        #expect(items.count == 2)
        #expect(items.map { $0.elements.map(\.tag) } == [[T.codeValue], [T.codeValue]])
        #expect(items.map { $0.string(T.codeValue) } == ["X1", "X2"])
    }

    @Test("a sequence key without an item returns whole items; an entity without the sequence returns it empty")
    func sequenceWhole() throws {
        var id = identifier("STUDY", [])
        id.set(DataElement(tag: T.procedureCodeSequence, items: []))
        let r = try Query(identifier: id, model: .studyRoot).response(from: Self.entity)
        let items = try #require(r.items(T.procedureCodeSequence))
        #expect(items == [Self.code("X1", "DCM", "Head"), Self.code("X2", "LN", "Neck")])

        var bare = Self.entity
        bare.remove(T.procedureCodeSequence)
        let r2 = try Query(identifier: Self.studyIdentifier, model: .studyRoot).response(from: bare)
        #expect(r2[T.procedureCodeSequence]?.vr == .SQ)
        #expect(r2.items(T.procedureCodeSequence) == [])
    }

    @Test("values from `extra` take precedence over the entity's")
    func extra() throws {
        let id = identifier("STUDY", [(T.numberOfStudyRelatedInstances, .IS, ""), (.studyInstanceUID, .UI, "")])
        let computed = DataSet([DataElement(tag: T.numberOfStudyRelatedInstances, integerStrings: [12])])
        var e = Self.entity
        e.set(DataElement(tag: T.numberOfStudyRelatedInstances, integerStrings: [3]))
        let r = try Query(identifier: id, model: .studyRoot).response(from: e, extra: computed)
        #expect(r.integer(T.numberOfStudyRelatedInstances) == 12)
        #expect(r.string(.studyInstanceUID) == "1.2.3")
    }

    @Test("the level in the response is the query's")
    func level() throws {
        let r = try Query(identifier: identifier("SERIES", [(.modality, .CS, "")]), model: .studyRoot).response(from: Self.entity)
        #expect(r.string(T.level) == "SERIES")
        #expect(r.string(.modality) == "CT")
        #expect(r.elements.map(\.tag) == [.specificCharacterSet, T.level, .modality])
    }
}
