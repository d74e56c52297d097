package import ProofVerify

/// A small JSON5 reader for OpenClaw's config file (`openclaw.json`): `//` and `/* */` comments, trailing commas,
/// unquoted (identifier) keys, single-quoted strings, hexadecimal numbers, leading `+` and `.5`-style numbers.
///
/// Grammar (JSON5 1.0, the subset configs use):
///
///     value  = object / array / string / number / "true" / "false" / "null"
///     object = "{" [ member *( "," member ) [ "," ] ] "}"
///     member = ( string / identifier ) ":" value
///     array  = "[" [ value *( "," value ) [ "," ] ] "]"
///     string = '"' chars '"' / "'" chars "'"
package struct JSON5Reader {
    /// Why the text is not JSON5, with the 1-based line where reading stopped.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package var line: Int
        package var message: String
        package var description: String { "line \(self.line): \(self.message)" }
    }

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    private init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses one JSON5 document.
    package static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        var reader = JSON5Reader(bytes)
        // A UTF-8 byte order mark is allowed before the value.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { reader.index = 3 }
        let value = try reader.value()
        try reader.skipSpace()
        guard reader.index == bytes.count else { throw reader.failure("unexpected text after the value") }
        return value
    }

    package static func parse(_ text: String) throws(Failure) -> JSONValue {
        try Self.parse(Array(text.utf8))
    }

    private func failure(_ message: String) -> Failure {
        let line = 1 + self.bytes[..<min(self.index, self.bytes.count)].lazy.filter { $0 == 0x0A }.count
        return Failure(line: line, message: message)
    }

    private var current: UInt8? { self.index < self.bytes.count ? self.bytes[self.index] : nil }

    private mutating func skipSpace() throws(Failure) {
        while let byte = self.current {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C:
                self.index += 1
            case UInt8(ascii: "/"):
                guard self.index + 1 < self.bytes.count else { throw self.failure("a lone '/'") }
                let next = self.bytes[self.index + 1]
                if next == UInt8(ascii: "/") {
                    while let byte = self.current, byte != 0x0A {
                        _ = byte
                        self.index += 1
                    }
                } else if next == UInt8(ascii: "*") {
                    self.index += 2
                    while true {
                        guard self.index + 1 < self.bytes.count else { throw self.failure("unterminated comment") }
                        if self.bytes[self.index] == UInt8(ascii: "*")
                            && self.bytes[self.index + 1] == UInt8(ascii: "/")
                        {
                            self.index += 2
                            break
                        }
                        self.index += 1
                    }
                } else {
                    throw self.failure("a lone '/'")
                }
            default:
                return
            }
        }
    }

    private mutating func value() throws(Failure) -> JSONValue {
        try self.skipSpace()
        guard let byte = self.current else { throw self.failure("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"): return try self.object()
        case UInt8(ascii: "["): return try self.array()
        case UInt8(ascii: "\""), UInt8(ascii: "'"): return .string(try self.string())
        default:
            if Self.isNumberStart(byte) { return try self.number() }
            let word = self.identifier()
            switch word {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            case "Infinity", "NaN": return .number(JSONNumber(text: word))
            default: throw self.failure(word.isEmpty ? "unexpected character" : "unexpected word '\(word)'")
            }
        }
    }

    private mutating func object() throws(Failure) -> JSONValue {
        self.index += 1
        self.depth += 1
        guard self.depth < 256 else { throw self.failure("nested too deeply") }
        defer { self.depth -= 1 }
        var object = JSONObject()
        while true {
            try self.skipSpace()
            guard let byte = self.current else { throw self.failure("unterminated object") }
            if byte == UInt8(ascii: "}") {
                self.index += 1
                return .object(object)
            }
            let key: String
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                key = try self.string()
            } else {
                key = self.identifier()
                guard !key.isEmpty else { throw self.failure("expected a key") }
            }
            try self.skipSpace()
            guard self.current == UInt8(ascii: ":") else { throw self.failure("expected ':' after key '\(key)'") }
            self.index += 1
            object.set(key, try self.value())
            try self.skipSpace()
            if self.current == UInt8(ascii: ",") {
                self.index += 1
            } else if self.current != UInt8(ascii: "}") {
                throw self.failure("expected ',' or '}'")
            }
        }
    }

    private mutating func array() throws(Failure) -> JSONValue {
        self.index += 1
        self.depth += 1
        guard self.depth < 256 else { throw self.failure("nested too deeply") }
        defer { self.depth -= 1 }
        var items: [JSONValue] = []
        while true {
            try self.skipSpace()
            guard let byte = self.current else { throw self.failure("unterminated array") }
            if byte == UInt8(ascii: "]") {
                self.index += 1
                return .array(items)
            }
            items.append(try self.value())
            try self.skipSpace()
            if self.current == UInt8(ascii: ",") {
                self.index += 1
            } else if self.current != UInt8(ascii: "]") {
                throw self.failure("expected ',' or ']'")
            }
        }
    }

    private mutating func string() throws(Failure) -> String {
        let quote = self.bytes[self.index]
        self.index += 1
        var output: [UInt8] = []
        while true {
            guard let byte = self.current else { throw self.failure("unterminated string") }
            self.index += 1
            if byte == quote { return String(decoding: output, as: UTF8.self) }
            guard byte == UInt8(ascii: "\\") else {
                output.append(byte)
                continue
            }
            guard let escaped = self.current else { throw self.failure("unterminated string") }
            self.index += 1
            switch escaped {
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "v"): output.append(0x0B)
            case UInt8(ascii: "0"): output.append(0x00)
            case 0x0A: break  // a line continuation
            case 0x0D:
                if self.current == 0x0A { self.index += 1 }
            case UInt8(ascii: "u"):
                guard self.index + 4 <= self.bytes.count,
                    let code = UInt32(
                        String(decoding: self.bytes[self.index..<(self.index + 4)], as: UTF8.self),
                        radix: 16
                    )
                else { throw self.failure("bad \\u escape") }
                self.index += 4
                var scalarValue = code
                // A UTF-16 surrogate pair written as two escapes.
                if (0xD800..<0xDC00).contains(code), self.index + 6 <= self.bytes.count,
                    self.bytes[self.index] == UInt8(ascii: "\\"), self.bytes[self.index + 1] == UInt8(ascii: "u"),
                    let low = UInt32(
                        String(decoding: self.bytes[(self.index + 2)..<(self.index + 6)], as: UTF8.self),
                        radix: 16
                    ), (0xDC00..<0xE000).contains(low)
                {
                    scalarValue = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    self.index += 6
                }
                output.append(contentsOf: Array(String(Unicode.Scalar(scalarValue) ?? "\u{FFFD}").utf8))
            case UInt8(ascii: "x"):
                guard self.index + 2 <= self.bytes.count,
                    let code = UInt32(
                        String(decoding: self.bytes[self.index..<(self.index + 2)], as: UTF8.self),
                        radix: 16
                    )
                else { throw self.failure("bad \\x escape") }
                self.index += 2
                output.append(contentsOf: Array(String(Unicode.Scalar(code) ?? "\u{FFFD}").utf8))
            default:
                output.append(escaped)
            }
        }
    }

    private static func isNumberStart(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
    }

    private mutating func number() throws(Failure) -> JSONValue {
        let start = self.index
        while let byte = self.current,
            Self.isNumberStart(byte) || Self.isIdentifierByte(byte)
        {
            self.index += 1
        }
        var text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        if text.hasPrefix("+") { text.removeFirst() }
        let negative = text.hasPrefix("-")
        let body = negative ? String(text.dropFirst()) : text
        if body.lowercased().hasPrefix("0x") {
            guard let value = Int64(body.dropFirst(2), radix: 16) else { throw self.failure("bad number '\(text)'") }
            return .number(JSONNumber(negative ? -value : value))
        }
        if body == "Infinity" || body == "NaN" { return .number(JSONNumber(text: text)) }
        guard Double(text) != nil else { throw self.failure("bad number '\(text)'") }
        var normalized = text
        if normalized.hasPrefix(".") { normalized = "0" + normalized }
        if normalized.hasPrefix("-.") { normalized = "-0" + normalized.dropFirst() }
        if normalized.hasSuffix(".") { normalized += "0" }
        return .number(JSONNumber(text: normalized))
    }

    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "$") || byte >= 0x80
    }

    private mutating func identifier() -> String {
        let start = self.index
        while let byte = self.current, Self.isIdentifierByte(byte) { self.index += 1 }
        return String(decoding: self.bytes[start..<self.index], as: UTF8.self)
    }
}
