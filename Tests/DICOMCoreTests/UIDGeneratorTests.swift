import DICOMCore
import Testing

@Suite("UIDGenerator")
struct UIDGeneratorTests {
    @Test("2.25 UIDs from random UUIDs are valid, at most 64 characters, and unique")
    func uuidForm() throws {
        let generator = try UIDGenerator()
        #expect(generator.root == nil)
        var seen = Set<String>()
        for _ in 0..<1000 {
            let uid = generator.make()
            #expect(uid.hasPrefix("2.25."))
            #expect(uid.utf8.count <= 64)
            #expect(UIDGenerator.isValid(uid), "\(uid)")
            // The UUID is a 128-bit number: at most 39 digits.
            #expect(uid.dropFirst(5).count <= 39)
            seen.insert(uid)
        }
        #expect(seen.count == 1000)
    }

    @Test("UIDs under a root fill 64 characters with random digits")
    func rootForm() throws {
        let root = "1.2.826.0.1.3680043.10.1489"
        let generator = try UIDGenerator(root: root)
        #expect(generator.root == root)
        for _ in 0..<200 {
            let uid = generator.make()
            #expect(uid.hasPrefix(root + "."))
            #expect(uid.utf8.count <= 64)
            #expect(UIDGenerator.isValid(uid), "\(uid)")
        }
        #expect(generator.make() != generator.make())
        let long = String(repeating: "1.", count: 19) + "99"  // 40 characters
        let g = try UIDGenerator(root: long)
        let uid = g.make()
        #expect(uid.utf8.count <= 64 && UIDGenerator.isValid(uid), "\(uid)")
    }

    @Test("invalid roots are refused")
    func invalidRoots() {
        #expect(throws: UIDError.invalidRoot("1.02.3")) { _ = try UIDGenerator(root: "1.02.3") }
        #expect(throws: UIDError.self) { _ = try UIDGenerator(root: "") }
        #expect(throws: UIDError.self) { _ = try UIDGenerator(root: "1.2.") }
        #expect(throws: UIDError.self) { _ = try UIDGenerator(root: String(repeating: "1.", count: 20) + "1") }  // 41 characters
    }

    @Test("valid UIDs", arguments: ["1.2.3", "0.1", "1.2.840.10008.1.2.1", "2.25.0", "0", String(repeating: "1.", count: 31) + "12"])
    func valid(uid: String) {
        #expect(UIDGenerator.isValid(uid))
    }

    @Test("invalid UIDs", arguments: ["", "1.2.03", "1..2", ".1", "1.", "1.2.a", "1.2 ", " 1.2", "1.2\0", "01.2", "1,2",
                                      String(repeating: "1.", count: 32) + "1"])
    func invalid(uid: String) {
        #expect(!UIDGenerator.isValid(uid))
    }
}

@Suite("name-based UIDs")
struct NameBasedUIDTests {
    @Test("the same name gives the same UID, another name another, all valid 2.25 UIDs")
    func deterministic() {
        let a = UIDGenerator.nameBased("study/1", namespace: "test")
        #expect(a == UIDGenerator.nameBased("study/1", namespace: "test"))
        #expect(a != UIDGenerator.nameBased("study/2", namespace: "test"))
        #expect(a != UIDGenerator.nameBased("study/1", namespace: "other"))
        #expect(a.hasPrefix("2.25."))
        #expect(UIDGenerator.isValid(a))
        var seen = Set<String>()
        for i in 0..<10_000 { seen.insert(UIDGenerator.nameBased("\(i)", namespace: "n")) }
        #expect(seen.count == 10_000)
    }
}
