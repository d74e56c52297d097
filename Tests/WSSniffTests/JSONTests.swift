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
