import DICOMCore
import Testing

@Suite("JSONParser")
struct JSONParserTests {
    @Test("scalars, arrays and objects")
    func values() throws {
        #expect(try JSONParser.parse("null") == .null)
        #expect(try JSONParser.parse("true") == .bool(true))
        #expect(try JSONParser.parse(" false ") == .bool(false))
        #expect(try JSONParser.parse("\"x\"") == .string("x"))
        #expect(try JSONParser.parse("[]") == .array([]))
        #expect(try JSONParser.parse("{}") == .object([]))
        let v = try JSONParser.parse(#"{"a": [1, 2.5, -3e+2, "s", null, true], "b": {"c": {}}}"#)
        #expect(v["a"] == .array([.number("1"), .number("2.5"), .number("-3e+2"), .string("s"), .null, .bool(true)]))
        #expect(v["b"]?["c"] == .object([]))
        #expect(v["missing"] == nil)
        #expect(v.object?.map(\.0) == ["a", "b"])
    }

    @Test("numbers keep their text")
    func numbers() throws {
        #expect(try JSONParser.parse("1.50") == .number("1.50"))
        #expect(try JSONParser.parse("-0") == .number("-0"))
        #expect(try JSONParser.parse("12345678901234567890") == .number("12345678901234567890"))
        #expect(try JSONParser.parse("1E-7").number == "1E-7")
    }

    @Test("string escapes, including surrogate pairs")
    func escapes() throws {
        #expect(try JSONParser.parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{08}\u{0C}\n\r\t"))
        #expect(try JSONParser.parse(#""\u00e9\u5c71""#) == .string("é山"))
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSONParser.parse("\"Müller 山田\"") == .string("Müller 山田"))
    }

    @Test("invalid JSON is refused",
          arguments: ["", " ", "{", "}", "[1,]", "[1 2]", "{\"a\" 1}", "{\"a\":}", "{a:1}", "{\"a\":1,}", "tru", "nul", "1.", ".5",
                      "-", "1e", "+1", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\ud800\\u0041\"", "\"a\u{01}b\"",
                      "1 2", "[1]]", "{\"a\":1}x", "'a'"])
    func invalid(text: String) {
        #expect(throws: JSONParseError.self) { _ = try JSONParser.parse(text) }
    }

    @Test("errors report the offset")
    func errorOffsets() {
        let a = #expect(throws: JSONParseError.self) { _ = try JSONParser.parse("[1,2 3]") }
        #expect(a?.offset == 5)
        #expect(a?.message == "expected ',' or ']'")
        let b = #expect(throws: JSONParseError.self) { _ = try JSONParser.parse("1 2") }
        #expect(b?.offset == 2)
        #expect(b?.message == "unexpected data after the value")
        #expect(b?.description == "invalid JSON at offset 2: unexpected data after the value")
    }

    @Test("nesting is limited, so hostile input cannot exhaust the stack")
    func depthLimit() throws {
        let ok = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: Never.self) { _ = try JSONParser.parse(ok) }
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: JSONParseError.self) { _ = try JSONParser.parse(deep) }
        let hostile = String(repeating: "{\"a\":", count: 100_000)
        #expect(throws: JSONParseError.self) { _ = try JSONParser.parse(hostile) }
        #expect(throws: JSONParseError.self) { _ = try JSONParser.parse("[[[1]]]", maximumDepth: 2) }
        #expect(try JSONParser.parse("[[1]]", maximumDepth: 3) == .array([.array([.number("1")])]))
        let error = #expect(throws: JSONParseError.self) { _ = try JSONParser.parse(deep) }
        #expect(error?.message == "nested too deeply")
    }

    @Test("serialization escapes what it must and parses back")
    func serialization() throws {
        let value = JSONValue.object([
            ("text", .string("quote \" backslash \\ newline \n tab \t control \u{01} unicode 山")),
            ("list", .array([.number("1.50"), .bool(false), .null])),
            ("empty", .object([])),
        ])
        let text = value.serialized
        #expect(text.hasPrefix(#"{"text":"quote \" backslash \\ newline \n tab \t control \u0001 unicode 山","#))
        #expect(text.hasSuffix(#""list":[1.50,false,null],"empty":{}}"#))
        #expect(try JSONParser.parse(text) == value)
        #expect(try JSONParser.parse(Array(text.utf8)) == value)
    }

    @Test("object equality is order-sensitive; hashing agrees with equality")
    func equality() {
        let a = JSONValue.object([("x", .null), ("y", .bool(true))])
        let b = JSONValue.object([("x", .null), ("y", .bool(true))])
        let c = JSONValue.object([("y", .bool(true)), ("x", .null)])
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != c)
        #expect(JSONValue.number("1") != .string("1"))
        #expect(Set([a, b]).count == 1)
    }
}
