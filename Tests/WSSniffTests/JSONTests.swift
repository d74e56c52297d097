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

    @Test(arguments: [Int64.min, -1, 0, 9, 10, 1_234_567_890, Int64.max])
    func writesIntegersAsDecimal(value: Int64) {
        #expect(JSON.int(value).serialized() == String(value))
    }
}
