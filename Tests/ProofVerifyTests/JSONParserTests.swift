import ProofVerify
import Testing

@Suite struct JSONParserTests {
    @Test func parsesEveryType() throws {
        let value = try JSONParser.parse(#" {"a":[1,-2.5,true,false,null,"x"],"b":{}} "#)
        let object = try #require(value.objectValue)
        #expect(object.keys == ["a", "b"])
        let array = try #require(object["a"]?.arrayValue)
        #expect(array.count == 6)
        #expect(array[0].int64Value == 1)
        #expect(array[1].numberValue?.double == -2.5)
        #expect(array[2] == .bool(true))
        #expect(array[3] == .bool(false))
        #expect(array[4] == .null)
        #expect(array[5] == .string("x"))
        #expect(object["b"] == .object(JSONObject()))
    }

    @Test func keepsKeyOrderAndDistinguishesAbsentNullAndEmpty() throws {
        let value = try JSONParser.parse(#"{"z":1,"token":null,"deviceToken":"","a":2}"#)
        let object = try #require(value.objectValue)
        #expect(object.keys == ["z", "token", "deviceToken", "a"])
        #expect(object["token"] == .null)
        #expect(object["deviceToken"] == .string(""))
        #expect(object["password"] == nil)
    }

    /// `JSON.parse('{"a":1,"b":2,"a":3}')` is `{a: 3, b: 2}`: the last value, at the first position.
    @Test func duplicateKeysKeepTheLastValueAtTheFirstPosition() throws {
        let value = try JSONParser.parse(#"{"a":1,"b":2,"a":3}"#)
        let object = try #require(value.objectValue)
        #expect(object.keys == ["a", "b"])
        #expect(object["a"]?.int64Value == 3)
        #expect(object.duplicateKeys == ["a"])
        #expect(value.jsonText == #"{"a":3,"b":2}"#)
    }

    @Test func numbersKeepTheirTextAndExactIntegers() throws {
        let signedAt = try #require(try JSONParser.parse("1773460000412").numberValue)
        #expect(signedAt.text == "1773460000412")
        #expect(signedAt.int64 == 1_773_460_000_412)
        #expect(signedAt.javaScriptString == "1773460000412")
        // 1.7e12 is an integer to JavaScript (Type.Integer accepts it) and prints without an exponent.
        let exponent = try #require(try JSONParser.parse("1.7e12").numberValue)
        #expect(exponent.isInteger)
        #expect(exponent.int64 == 1_700_000_000_000)
        #expect(exponent.javaScriptString == "1700000000000")
        #expect(try JSONParser.parse("9223372036854775807").int64Value == Int64.max)
        #expect(try JSONParser.parse("2.5").int64Value == nil)
        #expect(try JSONParser.parse("-0").numberValue?.javaScriptString == "0")
    }

    @Test(arguments: [
        ("12345678901234567890", "12345678901234567000"),
        ("1e21", "1e+21"),
        ("123e18", "123000000000000000000"),
        ("0.000001", "0.000001"),
        ("0.0000001", "1e-7"),
        ("1.5", "1.5"),
        ("-42", "-42"),
        ("100", "100"),
        ("1E2", "100"),
        ("1e999", "Infinity"),
    ])
    func javaScriptNumberToString(text: String, expected: String) throws {
        #expect(try JSONParser.parse(text).numberValue?.javaScriptString == expected)
    }

    @Test func decodesEscapes() throws {
        let value = try JSONParser.parse(#""a\"b\\c\/d\b\f\n\r\t\u00e9\u20AC\ud83d\ude00""#)
        #expect(value == .string("a\"b\\c/d\u{08}\u{0C}\n\r\té€😀"))
    }

    /// JavaScript keeps a lone surrogate in the string; the gateway signs the UTF-8 bytes, where it becomes U+FFFD.
    @Test func loneSurrogatesBecomeReplacementCharacters() throws {
        #expect(try JSONParser.parse(#""\ud83d""#) == .string("\u{FFFD}"))
        #expect(try JSONParser.parse(#""\ude00x""#) == .string("\u{FFFD}x"))
        #expect(try JSONParser.parse(#""\ud83d\u0041""#) == .string("\u{FFFD}A"))
        #expect(try JSONParser.parse(#""\ud83d\ud83d\ude00""#) == .string("\u{FFFD}😀"))
    }

    /// Strings are scanned sixteen, then eight bytes at a time: a quotation mark, a backslash or a control character
    /// at any position of either word of a pair, of a lone word, and in the tail after the last whole word, must
    /// still end the plain run there.
    @Test func everyStringTerminatorIsFoundAtEveryOffset() throws {
        for length in 0..<42 {
            let plain = String(repeating: "a", count: length)
            #expect(try JSONParser.parse("\"\(plain)\"") == .string(plain))
            #expect(try JSONParser.parse("[\"\(plain)\",\"b\"]") == .array([.string(plain), .string("b")]))
            #expect(try JSONParser.parse("\"\(plain)\\n\(plain)\"") == .string(plain + "\n" + plain))
            #expect(try JSONParser.parse("\"\(plain)\\\"\"") == .string(plain + "\""))
            // Bytes that must be escaped (below 0x20), and 0x7F and non-ASCII bytes, which need not be.
            for control: UInt8 in [0x00, 0x01, 0x0A, 0x1F] {
                let bytes = [0x22] + Array(plain.utf8) + [control] + [0x22]
                #expect(throws: ProofVerifyError.self) { try JSONParser.parse(bytes) }
            }
            let allowed = [0x22] + Array(plain.utf8) + [0x7F, 0x20, 0x21, 0x23, 0x22]
            #expect(try JSONParser.parse(allowed) == .string(plain + "\u{7F} !#"))
            #expect(try JSONParser.parse("\"\(plain)é€\"") == .string(plain + "é€"))
            // Unterminated at every length.
            #expect(throws: ProofVerifyError.self) { try JSONParser.parse("\"\(plain)") }
        }
    }

    @Test func invalidUTF8BecomesReplacementCharacters() throws {
        #expect(try JSONParser.parse([0x22, 0x61, 0xFF, 0x62, 0x22]) == .string("a\u{FFFD}b"))
    }

    @Test(arguments: [
        ("", 0),
        ("{", 1),
        ("[1,]", 3),
        (#"{"a":1,}"#, 7),
        ("01", 0),
        ("1.", 2),
        ("-", 1),
        ("1e", 2),
        ("tru", 0),
        (#""abc"#, 0),
        ("\"a\u{01}\"", 2),
        (#""\x""#, 1),
        (#""\u12""#, 1),
        ("{\"a\" 1}", 5),
        ("1 2", 2),
        ("\u{FEFF}{}", 0),
        ("NaN", 0),
        ("'a'", 0),
    ])
    func rejectsInvalidJSONWithAnOffset(text: String, offset: Int) {
        #expect {
            _ = try JSONParser.parse(text)
        } throws: { error in
            guard let error = error as? ProofVerifyError else { return false }
            return error.code == .invalidJSON && error.offset == offset
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() throws {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: ProofVerifyError(code: .jsonTooDeep, message: "")) {
            _ = try JSONParser.parse(deep)
        }
        let objects = String(repeating: #"{"a":"#, count: 10_000) + "1" + String(repeating: "}", count: 10_000)
        #expect(throws: ProofVerifyError(code: .jsonTooDeep, message: "")) {
            _ = try JSONParser.parse(objects)
        }
        let limit = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        _ = try JSONParser.parse(limit)
        let over = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(throws: ProofVerifyError(code: .jsonTooDeep, message: "")) {
            _ = try JSONParser.parse(over)
        }
    }

    @Test func inputSizeIsLimited() {
        #expect(throws: ProofVerifyError(code: .jsonTooLarge, message: "")) {
            _ = try JSONParser.parse("[1,2,3]", limits: JSONParser.Limits(maxInputBytes: 6))
        }
    }

    @Test func writesJSONAsStringifyDoes() throws {
        let text = #"{"s":"a\"\n\u0001é","n":[1.5,1e3,-0],"t":true,"z":null}"#
        #expect(try JSONParser.parse(text).jsonText == #"{"s":"a\"\n\u0001é","n":[1.5,1000,0],"t":true,"z":null}"#)
    }

    @Test func javaScriptStringConversion() throws {
        #expect(try JSONParser.parse(#"["a",null,1,true]"#).javaScriptString == "a,,1,true")
        #expect(try JSONParser.parse(#"{"a":1}"#).javaScriptString == "[object Object]")
        #expect(JSONValue.null.javaScriptString == "null")
    }
}

/// `topLevelMembers` reads only a few members and skips the rest: it must accept and reject exactly the texts `parse`
/// does, and give the same values for the members it reads.
@Suite struct JSONTopLevelMembersTests {
    static let texts: [String] = [
        #"{"type":"event","event":"tick","payload":{"ts":1,"a":[1,2,{"b":"c\"d"}]},"seq":3}"#,
        #"{"type":"res","id":"1","ok":true,"payload":{"type":"hello-ok"}}"#,
        #"{"type":"event","event":"x","type":"res"}"#,
        #"{"event":"\u0074ick","type":"ev\u0065nt","id":null}"#,
        #"{"type":"event","id":7}"#,
        #"[1,2,3]"#, #""event""#, "42", "null", " { } ",
        // Rejected by `parse`, each in a skipped member.
        #"{"type":"event","payload":{"a":tru}}"#,
        #"{"type":"event","payload":[1,]}"#,
        #"{"type":"event","payload":"\x"}"#,
        #"{"type":"event","payload":01}"#,
        #"{"type":"event","payload":-}"#,
        #"{"type":"event","payload":1.}"#,
        #"{"type":"event","payload":{"a" 1}}"#,
        #"{"type":"event","payload":"a"#,
        "{\"type\":\"event\",\"payload\":\"tab\there\"}",
        #"{"type":"event"} x"#,
        #"{"type":"event",}"#,
        #"{"type":"event","payload":"\ud800\u12"}"#,
    ]

    @Test(arguments: Self.texts)
    func agreesWithParse(text: String) {
        let bytes = Array(text.utf8)
        let full = Result { () throws(ProofVerifyError) in try JSONParser.parse(bytes) }
        let partial = Result { () throws(ProofVerifyError) in
            try JSONParser.topLevelMembers(bytes, named: ["type", "event", "id"])
        }
        switch (full, partial) {
        case (.success(let value), .success(let members)):
            if let object = value.objectValue {
                let read = try? #require(members)
                for name in ["type", "event", "id"] {
                    #expect(read?[name] == object[name], "\(name) in \(text)")
                }
            } else {
                #expect(members == nil)
            }
        case (.failure, .failure):
            break
        default:
            Issue.record("parse and topLevelMembers disagree on \(text): \(full) vs \(partial)")
        }
    }

    @Test func deepNestingInASkippedMemberIsStillTooDeep() {
        let deep =
            #"{"type":"event","payload":"# + String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
            + "}"
        #expect(throws: ProofVerifyError.self) { try JSONParser.parse(Array(deep.utf8)) }
        #expect(throws: ProofVerifyError.self) {
            try JSONParser.topLevelMembers(Array(deep.utf8), named: ["type"])
        }
    }

    @Test func headReadsRoutingFieldsOnly() {
        let head = GatewayMessage.head(Array(#"{"type":"res","id":"c1","ok":false,"error":{"code":"X"}}"#.utf8))
        #expect(head == GatewayMessage.Head(type: "res", event: nil, id: "c1"))
        #expect(GatewayMessage.head(Array("[1]".utf8)) == nil)
        #expect(GatewayMessage.head(Array(#"{"type":"event""#.utf8)) == nil)
    }
}

/// Objects look keys up by comparison while small and through a table once large: members, their order, the values
/// (the last repeat wins, in the first one's place) and the repeated keys come out the same either way.
@Suite struct JSONObjectKeyTests {
    @Test(arguments: [1, 5, 15, 16, 17, 40])
    func repeatedKeysOnBothSidesOfTheTableThreshold(distinct: Int) throws {
        // Keys k0...k(distinct-1), then every third key again, then a new key, then k0 once more.
        var pairs: [(String, Int)] = (0..<distinct).map { ("k\($0)", $0) }
        pairs += stride(from: 0, to: distinct, by: 3).map { ("k\($0)", 1_000 + $0) }
        pairs += [("new", -1), ("k0", 5_000)]
        let text = "{" + pairs.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
        guard case .object(let object) = try JSONParser.parse(Array(text.utf8)) else {
            Issue.record("not an object")
            return
        }
        var order: [String] = []
        var values: [String: Int] = [:]
        var repeated: [String] = []
        for (key, value) in pairs {
            if values[key] == nil { order.append(key) } else { repeated.append(key) }
            values[key] = value
        }
        #expect(object.keys == order)
        #expect(object.duplicateKeys == repeated)
        for key in order {
            #expect(object[key]?.int64Value == Int64(values[key]!), "\(key)")
        }
    }
}
