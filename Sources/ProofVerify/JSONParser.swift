/// A small, total JSON parser (RFC 8259) for gateway messages, with the semantics of JavaScript's `JSON.parse`
/// where they matter to the proof:
///
/// - Object members keep their source order; a repeated key keeps its first position and its last value.
/// - `null` and an absent member stay distinct (``JSONObject/subscript(_:)`` returns `.null` or `nil`).
/// - Numbers keep their source text beside their `Double` and exact integer views.
/// - Strings decode every escape. A `\uD800`-`\uDFFF` escape that is not part of a surrogate pair (a lone
///   surrogate) becomes U+FFFD: JavaScript keeps it in the string, but the gateway signs and verifies the
///   payload's UTF-8 bytes (`Buffer.from(payload, "utf8")`), where a lone surrogate is encoded as U+FFFD, so the
///   bytes are the same. Invalid UTF-8 in the input also becomes U+FFFD, as Node's `Buffer.toString()` does.
/// - Only RFC 8259 whitespace (space, tab, LF, CR) is skipped; a byte order mark is an error, as in `JSON.parse`.
///
/// Nesting deeper than ``Limits/maxDepth`` and input longer than ``Limits/maxInputBytes`` are errors, never a
/// stack overflow or an unbounded allocation.
package struct JSONParser {
    /// Bounds on what the parser accepts.
    package struct Limits: Hashable, Sendable {
        /// The deepest nesting of arrays and objects accepted.
        package var maxDepth: Int
        /// The longest input accepted, in bytes.
        package var maxInputBytes: Int

        package init(maxDepth: Int = 512, maxInputBytes: Int = 32 << 20) {
            self.maxDepth = maxDepth
            self.maxInputBytes = maxInputBytes
        }
    }

    private let input: [UInt8]
    private let limits: Limits
    private var position = 0

    private init(input: [UInt8], limits: Limits) {
        self.input = input
        self.limits = limits
    }

    /// Parses one JSON text (a value with optional whitespace around it and nothing else).
    ///
    /// - Throws: ``ProofVerifyError`` with code `invalidJSON` (and the byte offset), `jsonTooDeep` or
    ///   `jsonTooLarge`.
    package static func parse(_ bytes: [UInt8], limits: Limits = Limits()) throws(ProofVerifyError) -> JSONValue {
        if bytes.count > limits.maxInputBytes {
            throw .jsonTooLarge(size: bytes.count, limit: limits.maxInputBytes)
        }
        var parser = JSONParser(input: bytes, limits: limits)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.position < bytes.count {
            throw .invalidJSON("unexpected \(parser.describeCurrent()) after the JSON value", offset: parser.position)
        }
        return value
    }

    /// Parses one JSON text given as a string (its UTF-8 bytes).
    package static func parse(_ text: String, limits: Limits = Limits()) throws(ProofVerifyError) -> JSONValue {
        try Self.parse(Array(text.utf8), limits: limits)
    }

    /// Reads only the top-level members named `names` (a few, compared in turn) of a JSON object: their values are
    /// built, every other value is checked against the same grammar and limits but skipped without building it. A
    /// later repeated name replaces an earlier one, as in `parse`. Gives `nil` when the text is valid JSON but not an
    /// object.
    ///
    /// Reading `type`, `event` and `id` of a 16 KiB chat message this way costs a scan, not a tree: the gateway
    /// analysis uses it for every message after the handshake.
    ///
    /// - Throws: the errors of ``parse(_:limits:)``, for exactly the texts it rejects.
    package static func topLevelMembers(
        _ bytes: [UInt8],
        named names: [String],
        limits: Limits = Limits()
    ) throws(ProofVerifyError) -> JSONObject? {
        if bytes.count > limits.maxInputBytes {
            throw .jsonTooLarge(size: bytes.count, limit: limits.maxInputBytes)
        }
        var parser = JSONParser(input: bytes, limits: limits)
        parser.skipWhitespace()
        var members: JSONObject?
        if parser.position < bytes.count, bytes[parser.position] == UInt8(ascii: "{") {
            members = try parser.readObjectMembers(named: names)
        } else {
            try parser.skipValue(depth: 0)
        }
        parser.skipWhitespace()
        if parser.position < bytes.count {
            throw .invalidJSON("unexpected \(parser.describeCurrent()) after the JSON value", offset: parser.position)
        }
        return members
    }

    // MARK: Grammar

    private mutating func skipWhitespace() {
        // RFC 8259 2: ws = *( %x20 / %x09 / %x0A / %x0D )
        while self.position < self.input.count {
            switch self.input[self.position] {
            case 0x20, 0x09, 0x0A, 0x0D: self.position += 1
            default: return
            }
        }
    }

    private func describeCurrent() -> String {
        guard self.position < self.input.count else {
            return "end of input"
        }
        let byte = self.input[self.position]
        if byte >= 0x21 && byte < 0x7F {
            return "'\(Character(Unicode.Scalar(byte)))'"
        }
        return "byte 0x\(String(byte, radix: 16))"
    }

    private mutating func parseValue(depth: Int) throws(ProofVerifyError) -> JSONValue {
        guard self.position < self.input.count else {
            throw .invalidJSON("unexpected end of input, expected a value", offset: self.position)
        }
        switch self.input[self.position] {
        case UInt8(ascii: "{"):
            return try self.parseObject(depth: depth + 1)
        case UInt8(ascii: "["):
            return try self.parseArray(depth: depth + 1)
        case UInt8(ascii: "\""):
            return .string(try self.parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try self.parseNumber())
        case UInt8(ascii: "t"):
            try self.expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.expectLiteral("null")
            return .null
        default:
            throw .invalidJSON("unexpected \(self.describeCurrent()), expected a value", offset: self.position)
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(ProofVerifyError) {
        let start = self.position
        let bytes = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for expected in bytes {
            guard self.position < self.input.count, self.input[self.position] == expected else {
                throw .invalidJSON("invalid literal, expected '\(literal)'", offset: start)
            }
            self.position += 1
        }
    }

    private mutating func parseObject(depth: Int) throws(ProofVerifyError) -> JSONValue {
        var object = JSONObject()
        // Keys are looked up by comparison while the object is small (most are: hashing each key and allocating a
        // table cost more), and through a table once it grows past `linearKeys`.
        let linearKeys = 16
        var indexByKey: [String: Int] = [:]
        try self.walkObject(depth: depth) { parser, key, depth throws(ProofVerifyError) in
            let value = try parser.parseValue(depth: depth)
            let count = object.members.count
            let known: Int?
            if count < linearKeys {
                known = object.members.firstIndex { $0.key == key }
            } else {
                if indexByKey.isEmpty {
                    for (index, member) in object.members.enumerated() { indexByKey[member.key] = index }
                }
                known = indexByKey[key]
                if known == nil { indexByKey[key] = count }
            }
            object.set(key, value, knownIndex: known)
        }
        return .object(object)
    }

    private mutating func parseArray(depth: Int) throws(ProofVerifyError) -> JSONValue {
        var elements: [JSONValue] = []
        try self.walkArray(depth: depth) { parser, depth throws(ProofVerifyError) in
            elements.append(try parser.parseValue(depth: depth))
        }
        return .array(elements)
    }

    /// The top-level object of `topLevelMembers`: the named members' values, the rest skipped.
    private mutating func readObjectMembers(named names: [String]) throws(ProofVerifyError) -> JSONObject {
        var found = JSONObject()
        try self.walkObject(depth: 1) { parser, key, depth throws(ProofVerifyError) in
            if names.contains(key) {
                found.set(key, try parser.parseValue(depth: depth))
            } else {
                try parser.skipValue(depth: depth)
            }
        }
        return found
    }

    /// Checks one value against the grammar and the depth limit, building nothing.
    private mutating func skipValue(depth: Int) throws(ProofVerifyError) {
        guard self.position < self.input.count else {
            throw .invalidJSON("unexpected end of input, expected a value", offset: self.position)
        }
        switch self.input[self.position] {
        case UInt8(ascii: "{"):
            try self.walkObject(depth: depth + 1) { parser, _, depth throws(ProofVerifyError) in
                try parser.skipValue(depth: depth)
            }
        case UInt8(ascii: "["):
            try self.walkArray(depth: depth + 1) { parser, depth throws(ProofVerifyError) in
                try parser.skipValue(depth: depth)
            }
        case UInt8(ascii: "\""):
            var sink: [UInt8]? = nil
            try self.scanString(into: &sink)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            _ = try self.scanNumber()
        case UInt8(ascii: "t"):
            try self.expectLiteral("true")
        case UInt8(ascii: "f"):
            try self.expectLiteral("false")
        case UInt8(ascii: "n"):
            try self.expectLiteral("null")
        default:
            throw .invalidJSON("unexpected \(self.describeCurrent()), expected a value", offset: self.position)
        }
    }

    /// Walks the members of the object at the cursor (`depth` is its own depth): `member` reads or skips each value.
    private mutating func walkObject(
        depth: Int,
        _ member: (inout JSONParser, String, Int) throws(ProofVerifyError) -> Void
    ) throws(ProofVerifyError) {
        if depth > self.limits.maxDepth {
            throw .jsonTooDeep(limit: self.limits.maxDepth, offset: self.position)
        }
        self.position += 1  // {
        self.skipWhitespace()
        if self.position < self.input.count, self.input[self.position] == UInt8(ascii: "}") {
            self.position += 1
            return
        }
        while true {
            self.skipWhitespace()
            guard self.position < self.input.count, self.input[self.position] == UInt8(ascii: "\"") else {
                throw .invalidJSON(
                    "unexpected \(self.describeCurrent()), expected a member name",
                    offset: self.position
                )
            }
            let key = try self.parseString()
            self.skipWhitespace()
            guard self.position < self.input.count, self.input[self.position] == UInt8(ascii: ":") else {
                throw .invalidJSON("unexpected \(self.describeCurrent()), expected ':'", offset: self.position)
            }
            self.position += 1
            self.skipWhitespace()
            try member(&self, key, depth)
            self.skipWhitespace()
            guard self.position < self.input.count else {
                throw .invalidJSON("unexpected end of input in an object", offset: self.position)
            }
            switch self.input[self.position] {
            case UInt8(ascii: ","):
                self.position += 1
            case UInt8(ascii: "}"):
                self.position += 1
                return
            default:
                throw .invalidJSON("unexpected \(self.describeCurrent()), expected ',' or '}'", offset: self.position)
            }
        }
    }

    /// Walks the elements of the array at the cursor (`depth` is its own depth): `element` reads or skips each.
    private mutating func walkArray(
        depth: Int,
        _ element: (inout JSONParser, Int) throws(ProofVerifyError) -> Void
    ) throws(ProofVerifyError) {
        if depth > self.limits.maxDepth {
            throw .jsonTooDeep(limit: self.limits.maxDepth, offset: self.position)
        }
        self.position += 1  // [
        self.skipWhitespace()
        if self.position < self.input.count, self.input[self.position] == UInt8(ascii: "]") {
            self.position += 1
            return
        }
        while true {
            self.skipWhitespace()
            try element(&self, depth)
            self.skipWhitespace()
            guard self.position < self.input.count else {
                throw .invalidJSON("unexpected end of input in an array", offset: self.position)
            }
            switch self.input[self.position] {
            case UInt8(ascii: ","):
                self.position += 1
            case UInt8(ascii: "]"):
                self.position += 1
                return
            default:
                throw .invalidJSON("unexpected \(self.describeCurrent()), expected ',' or ']'", offset: self.position)
            }
        }
    }

    private mutating func parseNumber() throws(ProofVerifyError) -> JSONNumber {
        let range = try self.scanNumber()
        return JSONNumber(text: String(decoding: self.input[range], as: UTF8.self))
    }

    /// Moves past one number, checking its grammar; gives its source range.
    private mutating func scanNumber() throws(ProofVerifyError) -> Range<Int> {
        // RFC 8259 6: number = [ minus ] int [ frac ] [ exp ]; int = zero / ( digit1-9 *DIGIT )
        let start = self.position
        if self.input[self.position] == UInt8(ascii: "-") {
            self.position += 1
        }
        guard self.position < self.input.count, Self.isDigit(self.input[self.position]) else {
            throw .invalidJSON("a number needs a digit after '-'", offset: self.position)
        }
        if self.input[self.position] == UInt8(ascii: "0") {
            self.position += 1
            if self.position < self.input.count, Self.isDigit(self.input[self.position]) {
                throw .invalidJSON("a number cannot have a leading zero", offset: start)
            }
        } else {
            self.skipDigits()
        }
        if self.position < self.input.count, self.input[self.position] == UInt8(ascii: ".") {
            self.position += 1
            guard self.position < self.input.count, Self.isDigit(self.input[self.position]) else {
                throw .invalidJSON("a number needs a digit after '.'", offset: self.position)
            }
            self.skipDigits()
        }
        if self.position < self.input.count,
            self.input[self.position] == UInt8(ascii: "e") || self.input[self.position] == UInt8(ascii: "E")
        {
            self.position += 1
            if self.position < self.input.count,
                self.input[self.position] == UInt8(ascii: "+") || self.input[self.position] == UInt8(ascii: "-")
            {
                self.position += 1
            }
            guard self.position < self.input.count, Self.isDigit(self.input[self.position]) else {
                throw .invalidJSON("a number needs a digit in its exponent", offset: self.position)
            }
            self.skipDigits()
        }
        return start..<self.position
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func skipDigits() {
        while self.position < self.input.count, Self.isDigit(self.input[self.position]) {
            self.position += 1
        }
    }

    private mutating func parseString() throws(ProofVerifyError) -> String {
        var bytes: [UInt8]? = []
        if let plain = try self.scanString(into: &bytes) {
            return String(decoding: self.input[plain], as: UTF8.self)
        }
        return String(decoding: bytes ?? [], as: UTF8.self)
    }

    /// Moves past the string at the cursor, checking it. A string without escapes gives the range of its content
    /// (nothing is copied); otherwise its decoded bytes go to `bytes` when it is not nil, and the result is nil.
    @discardableResult
    private mutating func scanString(into bytes: inout [UInt8]?) throws(ProofVerifyError) -> Range<Int>? {
        let start = self.position
        self.position += 1  // "
        var runStart = self.position
        var escaped = false
        while true {
            // The run of bytes copied as they are: eight at a time while none of them ends it, then one by one.
            self.position = Self.plainRunEnd(in: self.input, from: self.position)
            while self.position < self.input.count {
                let byte = self.input[self.position]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                self.position += 1
            }
            guard self.position < self.input.count else {
                throw .invalidJSON("unterminated string", offset: start)
            }
            let byte = self.input[self.position]
            switch byte {
            case UInt8(ascii: "\""):
                self.position += 1
                if !escaped { return runStart..<(self.position - 1) }
                bytes?.append(contentsOf: self.input[runStart..<(self.position - 1)])
                return nil
            case UInt8(ascii: "\\"):
                escaped = true
                bytes?.append(contentsOf: self.input[runStart..<self.position])
                if bytes == nil {
                    var scratch: [UInt8] = []
                    try self.parseEscape(into: &scratch)
                } else {
                    try self.parseEscape(into: &bytes!)
                }
                runStart = self.position
            default:
                // RFC 8259 7: "All Unicode characters may be placed within the quotation marks, except for the
                // characters that MUST be escaped: quotation mark, reverse solidus, and the control characters
                // (U+0000 through U+001F)."
                throw .invalidJSON("control character 0x\(String(byte, radix: 16)) in a string", offset: self.position)
            }
        }
    }

    /// The offset of the first sixteen- or eight-byte run from `start` holding a byte that ends a plain run in a
    /// string (a quotation mark, a reverse solidus or a control character), or the last whole word's end. Each word is
    /// tested at once: a byte b of the word is zero in `w ^ pattern` when b matches, and `(x - 0x01…) & ~x & 0x80…`
    /// is non-zero exactly when some byte of x is zero; `(w - 0x20…) & ~w & 0x80…` likewise when some byte is below
    /// 0x20.
    private static func plainRunEnd(in input: [UInt8], from start: Int) -> Int {
        input.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return start }
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            @inline(__always) func stops(_ word: UInt64) -> UInt64 {
                let quote = word ^ (ones &* 0x22)
                let backslash = word ^ (ones &* 0x5C)
                let below = (word &- ones &* 0x20) & ~word
                return ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | below
            }
            var position = start
            // Two words per test while sixteen bytes remain (one branch each), then one.
            while position + 16 <= buffer.count {
                let first = base.loadUnaligned(fromByteOffset: position, as: UInt64.self)
                let second = base.loadUnaligned(fromByteOffset: position + 8, as: UInt64.self)
                if (stops(first) | stops(second)) & highs != 0 { break }
                position += 16
            }
            while position + 8 <= buffer.count {
                let word = base.loadUnaligned(fromByteOffset: position, as: UInt64.self)
                if stops(word) & highs != 0 { break }
                position += 8
            }
            return position
        }
    }

    private mutating func parseEscape(into bytes: inout [UInt8]) throws(ProofVerifyError) {
        let escapeStart = self.position
        self.position += 1  // backslash
        guard self.position < self.input.count else {
            throw .invalidJSON("unterminated escape", offset: escapeStart)
        }
        let letter = self.input[self.position]
        self.position += 1
        switch letter {
        case UInt8(ascii: "\""): bytes.append(0x22)
        case UInt8(ascii: "\\"): bytes.append(0x5C)
        case UInt8(ascii: "/"): bytes.append(0x2F)
        case UInt8(ascii: "b"): bytes.append(0x08)
        case UInt8(ascii: "f"): bytes.append(0x0C)
        case UInt8(ascii: "n"): bytes.append(0x0A)
        case UInt8(ascii: "r"): bytes.append(0x0D)
        case UInt8(ascii: "t"): bytes.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try self.parseHex4(escapeStart: escapeStart)
            var scalar: Unicode.Scalar
            if unit >= 0xD800 && unit < 0xDC00 {
                // RFC 8259 7: a character outside the BMP is "a 12-character sequence, encoding the UTF-16
                // surrogate pair". A high surrogate not followed by a low one is a lone surrogate.
                if self.position + 1 < self.input.count, self.input[self.position] == UInt8(ascii: "\\"),
                    self.input[self.position + 1] == UInt8(ascii: "u")
                {
                    let saved = self.position
                    self.position += 2
                    let low = try self.parseHex4(escapeStart: saved)
                    if low >= 0xDC00 && low < 0xE000 {
                        let value = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                        scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
                    } else {
                        // Lone high surrogate; the next escape is read again on its own.
                        self.position = saved
                        scalar = "\u{FFFD}"
                    }
                } else {
                    scalar = "\u{FFFD}"
                }
            } else {
                // A lone low surrogate has no scalar: U+FFFD.
                scalar = Unicode.Scalar(UInt32(unit)) ?? "\u{FFFD}"
            }
            bytes.append(contentsOf: Array(String(Character(scalar)).utf8))
        default:
            throw .invalidJSON("invalid escape '\\\(Character(Unicode.Scalar(letter)))'", offset: escapeStart)
        }
    }

    private mutating func parseHex4(escapeStart: Int) throws(ProofVerifyError) -> UInt16 {
        guard self.position + 4 <= self.input.count else {
            throw .invalidJSON("a \\u escape needs four hex digits", offset: escapeStart)
        }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = self.input[self.position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .invalidJSON("a \\u escape needs four hex digits", offset: escapeStart)
            }
            value = value << 4 | UInt16(digit)
            self.position += 1
        }
        return value
    }
}
