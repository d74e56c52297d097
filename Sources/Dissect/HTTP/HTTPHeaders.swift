/// One header field line as sent: its name with the sender's case, and its value without surrounding whitespace.
package struct HTTPHeaderField: Hashable, Sendable {
    package var name: String
    package var value: String

    package init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The header fields of one HTTP/1.x message, in the order sent, with case-insensitive lookup.
///
/// RFC 9110 5.1: "Field names are case-insensitive". RFC 9110 5.3: "A recipient MAY combine multiple field lines
/// within a field section that have the same field name into one field line, without changing the semantics of
/// the message, by appending each subsequent field line value to the initial field line value in order, separated
/// by a comma (",") and optional whitespace". ``elements(_:)`` and ``tokens(_:)`` read lists that way.
package struct HTTPHeaders: Hashable, Sendable, RandomAccessCollection {
    package private(set) var fields: [HTTPHeaderField]

    package init(_ fields: [HTTPHeaderField] = []) {
        self.fields = fields
    }

    /// Builds headers from `(name, value)` pairs, in order.
    package init(_ pairs: [(String, String)]) {
        self.fields = pairs.map { HTTPHeaderField(name: $0.0, value: $0.1) }
    }

    package var startIndex: Int {
        self.fields.startIndex
    }

    package var endIndex: Int {
        self.fields.endIndex
    }

    package subscript(position: Int) -> HTTPHeaderField {
        self.fields[position]
    }

    /// Appends a field line.
    package mutating func append(name: String, value: String) {
        self.fields.append(HTTPHeaderField(name: name, value: value))
    }

    /// Whether a field named `name` (any case) is present.
    package func contains(_ name: String) -> Bool {
        self.fields.contains { Self.namesMatch($0.name, name) }
    }

    /// The value of the first field named `name` (any case), or nil.
    package func first(_ name: String) -> String? {
        self.fields.first { Self.namesMatch($0.name, name) }?.value
    }

    /// The values of every field named `name` (any case), in order.
    package func values(_ name: String) -> [String] {
        self.fields.filter { Self.namesMatch($0.name, name) }.map(\.value)
    }

    /// The comma-separated list elements of every field named `name`, in order, trimmed, with the sender's case,
    /// empty elements dropped. Commas inside quoted strings do not separate.
    ///
    /// RFC 9110 5.6.1.2: "A recipient MUST parse and ignore a reasonable number of empty list elements".
    package func elements(_ name: String) -> [String] {
        self.values(name).flatMap { Self.splitList($0) }
    }

    /// ``elements(_:)`` lowercased (ASCII), for tokens compared case-insensitively such as `Connection` and
    /// `Upgrade`.
    package func tokens(_ name: String) -> [String] {
        self.elements(name).map { $0.lowercased() }
    }

    /// Splits a list value on commas outside quoted strings, trimming spaces and tabs, dropping empty elements.
    package static func splitList(_ value: String) -> [String] {
        // Without a quotation mark no comma is quoted: the elements are the comma-separated runs, trimmed, taken
        // from the contiguous UTF-8 in place (the usual `Upgrade: websocket`, `Connection: Upgrade`).
        let plain = value.utf8.withContiguousStorageIfAvailable { bytes -> [String]? in
            guard !bytes.contains(UInt8(ascii: "\"")) else { return nil }
            var elements: [String] = []
            var start = 0
            for index in 0...bytes.count where index == bytes.count || bytes[index] == UInt8(ascii: ",") {
                let trimmed = HTTPSyntax.trimmingWhitespace(bytes[start..<index])
                if !trimmed.isEmpty {
                    elements.append(String(decoding: trimmed, as: UTF8.self))
                }
                start = index + 1
            }
            return elements
        }
        if let plain = plain ?? nil {
            return plain
        }
        var elements: [String] = []
        var current: [UInt8] = []
        var inQuotes = false
        var escaped = false
        for byte in value.utf8 {
            if inQuotes {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inQuotes = false
                }
                current.append(byte)
            } else if byte == UInt8(ascii: ",") {
                Self.appendTrimmed(current, to: &elements)
                current.removeAll(keepingCapacity: true)
            } else {
                if byte == UInt8(ascii: "\"") {
                    inQuotes = true
                }
                current.append(byte)
            }
        }
        Self.appendTrimmed(current, to: &elements)
        return elements
    }

    private static func appendTrimmed(_ bytes: [UInt8], to elements: inout [String]) {
        let trimmed = HTTPSyntax.trimmingWhitespace(bytes[...])
        if !trimmed.isEmpty {
            elements.append(String(decoding: trimmed, as: UTF8.self))
        }
    }

    /// ASCII case-insensitive comparison of two field names.
    static func namesMatch(_ lhs: String, _ rhs: String) -> Bool {
        HTTPSyntax.asciiCaseInsensitiveEqual(lhs, rhs)
    }
}

/// Byte-level helpers shared by the HTTP parsers.
enum HTTPSyntax {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")

    /// RFC 9110 5.6.2: `tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" /
    /// "|" / "~" / DIGIT / ALPHA`.
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Whether `text` is a non-empty RFC 9110 token.
    static func isToken(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(Self.isTokenCharacter)
    }

    /// SP or HTAB: RFC 9110 5.6.3 `OWS = *( SP / HTAB )`.
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == Self.space || byte == Self.tab
    }

    static func trimmingWhitespace<Bytes: BidirectionalCollection<UInt8>>(_ bytes: Bytes) -> Bytes.SubSequence {
        var slice = bytes[...]
        while let first = slice.first, Self.isWhitespace(first) {
            slice.removeFirst()
        }
        while let last = slice.last, Self.isWhitespace(last) {
            slice.removeLast()
        }
        return slice
    }

    static func asciiCaseInsensitiveEqual(_ lhs: some StringProtocol, _ rhs: some StringProtocol) -> Bool {
        guard lhs.utf8.count == rhs.utf8.count else {
            return false
        }
        // Native strings are contiguous UTF-8: compare the bytes in place.
        let contiguous = lhs.utf8.withContiguousStorageIfAvailable { left in
            rhs.utf8.withContiguousStorageIfAvailable { right in
                for index in 0..<left.count where Self.asciiLowercase(left[index]) != Self.asciiLowercase(right[index])
                {
                    return false
                }
                return true
            }
        }
        if let contiguous = contiguous ?? nil {
            return contiguous
        }
        return zip(lhs.utf8, rhs.utf8).allSatisfy { Self.asciiLowercase($0) == Self.asciiLowercase($1) }
    }

    static func asciiLowercase(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// Header bytes as text: UTF-8 when they are valid UTF-8, otherwise ISO-8859-1 (each byte one scalar), which
    /// RFC 9110 5.5 names as what "historically, HTTP allowed field content" to be. Never fails.
    static func decodeLeniently(_ bytes: some Collection<UInt8>) -> String {
        if let text = String(validating: bytes, as: UTF8.self) {
            return text
        }
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            scalars.append(Unicode.Scalar(byte))
        }
        return String(scalars)
    }
}
