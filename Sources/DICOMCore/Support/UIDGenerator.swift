/// Generates UIDs (PS3.5 §9): "2.25." followed by a random UUID as a decimal integer (PS3.5 §B.2), or under an
/// organisation's root when one is configured.
public struct UIDGenerator: Sendable {
    /// The organisation root ("1.2.999.1", say: an organisation's registered root); nil for the 2.25 form.
    public let root: String?

    public init(root: String? = nil) throws(UIDError) {
        if let root {
            guard UIDGenerator.isValid(root), root.utf8.count <= 40 else { throw UIDError.invalidRoot(root) }
        }
        self.root = root
    }

    /// A new UID, unique with overwhelming probability: 122 random bits either way.
    public func make() -> String {
        var rng = SystemRandomNumberGenerator()
        var hi = rng.next() as UInt64, lo = rng.next() as UInt64
        guard let root else {
            // A version 4 UUID: version and variant bits set as RFC 4122 §4.4 says.
            hi = (hi & ~0xF000) | 0x4000
            lo = (lo & ~(0xC000_0000_0000_0000)) | 0x8000_0000_0000_0000
            return "2.25." + UIDGenerator.decimal(hi: hi, lo: lo)
        }
        // Under a root: as many random digits as fit in 64 characters, without a leading zero.
        var digits = UIDGenerator.decimal(hi: hi, lo: lo)
        let room = 64 - root.utf8.count - 1
        if digits.utf8.count > room { digits = String(digits.prefix(room)) }
        while digits.hasPrefix("0") && digits.count > 1 { digits.removeFirst() }
        return root + "." + digits
    }

    /// A UID that is the same every time for the same name: "2.25." and a version 8 UUID (RFC 9562 §5.8) made
    /// from a 128-bit hash of the namespace and the name. For objects that must come out identical on every
    /// machine (the demo studies, say), not for new instances.
    public static func nameBased(_ name: String, namespace: String) -> String {
        var h1: UInt64 = 0xCBF2_9CE4_8422_2325, h2: UInt64 = 0x8422_2325_CBF2_9CE4
        for b in (namespace + "/" + name).utf8 {
            h1 = (h1 ^ UInt64(b)) &* 0x0000_0100_0000_01B3
            h2 = (h2 ^ UInt64(b)) &* 0x0000_0100_0000_01B3
            h2 ^= h2 >> 29
        }
        var hi = splitMix(h1 ^ (h2 << 17 | h2 >> 47)), lo = splitMix(hi ^ h2)
        hi = (hi & ~0xF000) | 0x8000
        lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return "2.25." + decimal(hi: hi, lo: lo)
    }

    /// SplitMix64's finaliser: spreads every input bit over the output.
    static func splitMix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The decimal text of a 128-bit unsigned integer.
    static func decimal(hi: UInt64, lo: UInt64) -> String {
        var h = hi, l = lo
        var digits: [UInt8] = []
        repeat {
            // Divide the 128-bit number by 10 in two 64-bit halves.
            let (qh, rh) = h.quotientAndRemainder(dividingBy: 10)
            let (ql, rl) = UInt64(10).dividingFullWidth((high: rh, low: l))
            h = qh
            l = ql
            digits.append(UInt8(rl) + 0x30)
        } while h != 0 || l != 0
        return String(decoding: digits.reversed(), as: UTF8.self)
    }

    /// A valid UID: at most 64 characters, digits in dot-separated components, no leading zeros (PS3.5 §9.1).
    public static func isValid(_ uid: String) -> Bool {
        let u = Array(uid.utf8)
        guard !u.isEmpty, u.count <= 64 else { return false }
        var componentStart = true, leadingZero = false
        for c in u {
            if c == UInt8(ascii: ".") {
                if componentStart { return false }
                componentStart = true
                leadingZero = false
                continue
            }
            guard c >= 0x30 && c <= 0x39 else { return false }
            if leadingZero { return false }
            if componentStart && c == 0x30 { leadingZero = true }
            componentStart = false
        }
        return !componentStart
    }
}

public enum UIDError: Error, CustomStringConvertible, Equatable {
    case invalidRoot(String)
    public var description: String {
        switch self {
        case .invalidRoot(let r): return "invalid UID root \(r): digits and dots, no leading zeros, at most 40 characters"
        }
    }
}
