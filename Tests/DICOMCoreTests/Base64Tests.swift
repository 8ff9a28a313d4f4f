import DICOMCore
import Testing

@Suite("Base64")
struct Base64Tests {
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    @Test("RFC 4648 test vectors")
    func vectors() {
        for (plain, encoded) in Self.vectors {
            #expect(Base64.encode(Bytes(ascii(plain))) == encoded, "\(plain)")
            #expect(Base64.decode(encoded) == ascii(plain), "\(encoded)")
        }
    }

    @Test("every byte value and every length up to 64 round-trip")
    func roundTrip() {
        let all = (0...255).map { UInt8($0) }
        let encoded = Base64.encode(Bytes(all))
        #expect(encoded.utf8.count == 344)
        #expect(Base64.decode(encoded) == all)
        for n in 0...64 {
            let data = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = data.withUnsafeBytes { Base64.encode($0) }
            #expect(text.utf8.count == (n + 2) / 3 * 4)
            #expect(Base64.decode(text) == data, "\(n)")
        }
    }

    @Test("whitespace is ignored; the URL-safe alphabet is accepted")
    func lenient() {
        #expect(Base64.decode("Zm9v\nYmFy\r\n") == ascii("foobar"))
        #expect(Base64.decode(" Zm 9v ") == ascii("foo"))
        #expect(Base64.decode("-_8=") == [0xFB, 0xFF])
        #expect(Base64.decode("+/8=") == [0xFB, 0xFF])
    }

    @Test("invalid text is refused", arguments: ["Zm9v!", "Z", "Zm9vY", "Zg=a", "Zg===", "Zm9v\u{80}", "é"])
    func invalid(text: String) {
        #expect(Base64.decode(text) == nil)
    }
}
