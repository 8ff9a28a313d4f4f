import DICOMCore
import Testing

@Suite("VM")
struct VMTests {
    @Test("parses single values, ranges and open multiples")
    func parsing() throws {
        let one = try #require(VM("1"))
        #expect(one.minimum == 1 && one.maximum == 1 && one.step == 1)
        let oneToN = try #require(VM("1-n"))
        #expect(oneToN.minimum == 1 && oneToN.maximum == nil && oneToN.step == 1)
        let pairs = try #require(VM("2-2n"))
        #expect(pairs.minimum == 2 && pairs.maximum == nil && pairs.step == 2)
        let range = try #require(VM("1-3"))
        #expect(range.minimum == 1 && range.maximum == 3 && range.step == 1)
        let triples = try #require(VM("3-3n"))
        #expect(triples.minimum == 3 && triples.maximum == nil && triples.step == 3)
        #expect(VM("16") == VM(minimum: 16, maximum: 16))
    }

    @Test("rejects text that is not a VM", arguments: ["", "-", "1-", "-3", "x", "1-x", "n", "1-2-3", "a-n", "1--n"])
    func rejects(text: String) {
        #expect(VM(text) == nil)
    }

    @Test("description round-trips")
    func description() {
        for text in ["1", "1-n", "2-2n", "1-3", "3-3n", "6", "2-n"] {
            #expect(VM(text)?.description == text)
        }
    }

    @Test("allows() checks the bounds and the step")
    func allows() throws {
        let one = try #require(VM("1"))
        #expect(!one.allows(0) && one.allows(1) && !one.allows(2))
        let range = try #require(VM("1-3"))
        #expect(!range.allows(0))
        #expect(range.allows(1) && range.allows(2) && range.allows(3))
        #expect(!range.allows(4))
        let oneToN = try #require(VM("1-n"))
        #expect(!oneToN.allows(0) && oneToN.allows(1) && oneToN.allows(1000))
        let pairs = try #require(VM("2-2n"))
        #expect(!pairs.allows(0) && !pairs.allows(1))
        #expect(pairs.allows(2) && !pairs.allows(3) && pairs.allows(4) && pairs.allows(100))
        let triples = try #require(VM("3-3n"))
        #expect(triples.allows(3) && triples.allows(6) && !triples.allows(4) && !triples.allows(5))
    }
}
