import DICOMCore
import Testing

/// DS and IS text (PS3.5 Table 6.2-1): parseDS, parseIS, formatDS.
@Suite("Decimal and integer strings")
struct NumberStringTests {
    @Test("parseDS reads fixed and exponential notation with signs and spaces")
    func parseDecimal() {
        #expect(parseDS("1.5") == 1.5)
        #expect(parseDS(" -2.5E3 ") == -2500)
        #expect(parseDS("+.5") == 0.5)
        #expect(parseDS("1e-3") == 0.001)
        #expect(parseDS("42") == 42)
        #expect(parseDS("0.5\0") == 0.5)
    }

    @Test("parseDS refuses what is not a DS", arguments: ["", "  ", "abc", "1,5", "nan", "inf", "0x10", "1.5.5", "--1", "1 2"])
    func parseDecimalInvalid(text: String) {
        #expect(parseDS(text) == nil)
    }

    @Test("parseIS reads integers, and integral decimals as real files write them")
    func parseInteger() {
        #expect(parseIS("12") == 12)
        #expect(parseIS("+12") == 12)
        #expect(parseIS(" -7 ") == -7)
        #expect(parseIS("12.0") == 12)
        #expect(parseIS("2147483647") == 2_147_483_647)
        #expect(parseIS("12.5") == nil)
        #expect(parseIS("abc") == nil)
        #expect(parseIS("") == nil)
    }

    @Test("formatDS writes short values exactly")
    func formatExact() {
        #expect(formatDS(1.5) == "1.5")
        #expect(formatDS(2) == "2")
        #expect(formatDS(-0.25) == "-0.25")
        #expect(formatDS(0) == "0")
        #expect(formatDS(123456789012345) == "123456789012345")
        #expect(formatDS(-999999999999999) == "-999999999999999")
    }

    static let values: [Double] = [
        1.0 / 3, -1.0 / 3, 2.0 / 3, .pi, -.pi * 1e10, 0.1 + 0.2, 1e-20, -1.234567890123456e-7,
        123456789012345680, -9.87654321098765e20, 1e15, 9.999999999999999e14, 1.2345678901234567e300,
        -1.2345678901234567e-300, .leastNonzeroMagnitude, 2.2250738585072014e-308, 0.000123456789012345, 65535.123456789,
        1e100, 6.02214076e23, 1.7e308,
    ]

    @Test("formatDS fits 16 characters and reads back close", arguments: values)
    func formatFits(value: Double) throws {
        let text = formatDS(value)
        #expect(text.utf8.count <= 16, "\(text)")
        let back = try #require(parseDS(text), "\(text)")
        #expect(back.isFinite)
        if value.magnitude >= 1e-300 {
            // At least nine significant digits survive.
            #expect(abs(back - value) <= value.magnitude * 1e-8, "\(value) -> \(text)")
        } else {
            #expect(abs(back - value) <= 1e-300, "\(value) -> \(text)")
        }
    }
}
