import Testing
import WSSniff

@Suite struct JSONTests {
    @Test func keepsKeyOrderAndEscapes() {
        let value = JSON.object([
            ("schema", .string("wssniff/1")),
            ("b", .int(-3)),
            ("a", .array([.bool(true), .null, .string("quote \" backslash \\ newline \n tab \t bell \u{7}")])),
        ])
        #expect(
            value.serialized()
                == #"{"schema":"wssniff/1","b":-3,"a":[true,null,"quote \" backslash \\ newline \n tab \t bell \u0007"]}"#
        )
    }

    @Test func prettyPrintsWithIndent() {
        let value = JSON.object([("a", .array([.int(1)])), ("b", .object([]))])
        #expect(value.serialized(indent: 2) == "{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}")
    }

    @Test func nonFiniteNumbersBecomeNull() {
        #expect(JSON.array([.double(.nan), .double(.infinity), .double(1.5)]).serialized() == "[null,null,1.5]")
    }
}

@Suite struct JSONWriterTests {
    /// Every byte below 0x20, DEL, the quote and the backslash are escaped; everything else (multi-byte UTF-8 too)
    /// is copied. The result must read back as the same string.
    @Test func escapesExactlyTheBytesThatNeedIt() {
        var text = ""
        for value in 0..<0x80 {
            text.unicodeScalars.append(Unicode.Scalar(UInt8(value)))
        }
        text += "é€😀"
        let written = JSON.string(text).serialized()
        #expect(written.hasPrefix(#""\u0000\u0001"#))
        #expect(written.contains(#"\b"#) == false)
        #expect(written.contains(#"\u0008\t\n\u000b\u000c\r"#))
        #expect(written.contains(##"!\"#"##))
        #expect(written.contains(#"[\\]"#))
        #expect(written.hasSuffix(#"}~\u007fé€😀""#))
    }

    /// Strings are scanned eight bytes at a time: a byte to escape at any position of a word or of the tail, next to
    /// multi-byte UTF-8, is escaped exactly as the byte-by-byte rule says.
    @Test func everyEscapeIsFoundAtEveryOffset() {
        func expected(_ text: String) -> String {
            var out = "\""
            for byte in text.utf8 {
                switch byte {
                case 0x22: out += "\\\""
                case 0x5C: out += "\\\\"
                case 0x0A: out += "\\n"
                case 0x0D: out += "\\r"
                case 0x09: out += "\\t"
                case 0x00..<0x20, 0x7F:
                    let hex = String(byte, radix: 16)
                    out += "\\u00" + (hex.count == 1 ? "0" + hex : hex)
                default: out += String(decoding: [byte], as: UTF8.self)
                }
            }
            return out + "\""
        }
        for special in ["\"", "\\", "\n", "\u{01}", "\u{1F}", "\u{7F}"] {
            for length in 0..<20 {
                for position in 0...length {
                    var plain = Array(repeating: "a", count: length)
                    plain.insert(special, at: position)
                    let text = plain.joined()
                    let place = "\(special.debugDescription) at \(position)"
                    #expect(JSON.string(text).serialized() == expected(text), "\(place)")
                    let wide = "é" + text + "€"
                    #expect(JSON.string(wide).serialized() == "\"é" + expected(text).dropFirst().dropLast() + "€\"")
                }
            }
        }
    }

    @Test(arguments: [Int64.min, -1, 0, 9, 10, 1_234_567_890, Int64.max])
    func writesIntegersAsDecimal(value: Int64) {
        #expect(JSON.int(value).serialized() == String(value))
    }
}

@Suite struct JSONBufferTests {
    /// The same layout written the slow, obvious way: strings appended to a `String`.
    private func reference(_ value: JSON, indent: Int, level: Int) -> String {
        func newline(_ level: Int) -> String {
            indent > 0 ? "\n" + String(repeating: " ", count: indent * level) : ""
        }
        switch value {
        case .object(let members):
            if members.isEmpty { return "{}" }
            let body = members.map {
                newline(level + 1) + JSON.string($0.0).serialized() + (indent > 0 ? ": " : ":")
                    + self.reference($0.1, indent: indent, level: level + 1)
            }
            return "{" + body.joined(separator: ",") + newline(level) + "}"
        case .array(let elements):
            if elements.isEmpty { return "[]" }
            let body = elements.map { newline(level + 1) + self.reference($0, indent: indent, level: level + 1) }
            return "[" + body.joined(separator: ",") + newline(level) + "]"
        default:
            return value.serialized()
        }
    }

    /// A document far larger than the writer's first buffer, nested deeper than 128 spaces of indentation: the
    /// buffer grows many times and every piece lands where the obvious writer puts it.
    @Test(arguments: [0, 2, 3])
    func largeDeepDocumentsMatchTheObviousWriter(indent: Int) {
        var value = JSON.array([])
        for depth in 0..<70 {
            let text = String(repeating: "ab\"c\u{1}é", count: depth % 7 * 300)
            value = .object([
                ("depth", .int(Int64(depth))),
                ("text", .string(text)),
                ("inner", value),
                ("flags", .array([.bool(depth % 2 == 0), .null, .double(Double(depth) / 4)])),
            ])
        }
        for level in [0, 1, 5] {
            let written = value.serialized(indent: indent, level: level)
            #expect(written.utf8.count > 100_000)
            let expected = self.reference(value, indent: indent, level: level)
            if written != expected {
                // The documents are too long to print whole: say where they part.
                let offset = zip(written.utf8, expected.utf8).prefix { $0 == $1 }.count
                Issue.record("level \(level): differs from the obvious writer at byte \(offset)")
            }
        }
    }
}
