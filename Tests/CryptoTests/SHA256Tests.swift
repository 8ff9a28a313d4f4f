import Crypto
import Testing

@Suite("SHA-256")
struct SHA256Tests {
    @Test("known digests (FIPS 180-2 examples)")
    func known() {
        #expect(Array("abc".utf8).withUnsafeBytes { SHA256.hash($0) } == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect([UInt8]().withUnsafeBytes { SHA256.hash($0) } == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("incremental updates give the digest of the whole")
    func incremental() {
        let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let h = SHA256()
        data[0..<3333].withUnsafeBytes { h.update($0) }
        data[3333...].withUnsafeBytes { h.update($0) }
        #expect(h.finalize() == data.withUnsafeBytes { SHA256.hash($0) })
    }
}
