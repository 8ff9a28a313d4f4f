import COpenSSL

/// Password hashing with scrypt (RFC 7914), memory-hard, through OpenSSL: stored as
/// "$scrypt$ln=15,r=8,p=1$SALT$HASH" (hex), so the cost can rise later and old hashes still verify.
public enum PasswordHash {
    /// log2 of N: 2^15 with r = 8 takes 32 MiB and about 50 ms here, the cost OWASP suggests for scrypt.
    public static let defaultLogN = 15

    public static func hash(_ password: String, logN: Int = defaultLogN) -> String? {
        var salt = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&salt, Int32(salt.count)) == 1, let key = derive(password, salt: salt, logN: logN, r: 8, p: 1) else { return nil }
        return "$scrypt$ln=\(logN),r=8,p=1$\(hex(salt))$\(hex(key))"
    }

    /// Whether `password` matches a stored hash; a malformed hash matches nothing.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: true).map(String.init)
        guard parts.count == 4, parts[0] == "scrypt" else { return false }
        var logN = 0, r = 0, p = 0
        for field in parts[1].split(separator: ",") {
            let kv = field.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, let v = Int(kv[1]) else { return false }
            switch kv[0] {
            case "ln": logN = v
            case "r": r = v
            case "p": p = v
            default: return false
            }
        }
        guard (10...20).contains(logN), (1...32).contains(r), (1...16).contains(p),
              let salt = unhex(parts[2]), let expected = unhex(parts[3]), expected.count == 32,
              let key = derive(password, salt: salt, logN: logN, r: r, p: p) else { return false }
        return CRYPTO_memcmp(key, expected, 32) == 0
    }

    static func derive(_ password: String, salt: [UInt8], logN: Int, r: Int, p: Int) -> [UInt8]? {
        var key = [UInt8](repeating: 0, count: 32)
        let pass = Array(password.utf8)
        // 128 · r · N bytes, with room to spare for the library's own bookkeeping.
        let maxmem = UInt64(256) * UInt64(r) * (UInt64(1) << UInt64(logN))
        let ok = pass.withUnsafeBufferPointer { pw in
            EVP_PBE_scrypt(pw.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, pw.count,
                           salt, salt.count, UInt64(1) << UInt64(logN), UInt64(r), UInt64(p), maxmem, &key, key.count)
        }
        return ok == 1 ? key : nil
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    static func unhex(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0, chars.count <= 256 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: chars.count, by: 2) {
            guard let h = value(chars[i]), let l = value(chars[i + 1]) else { return nil }
            out.append(h << 4 | l)
        }
        return out
    }

    static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}
