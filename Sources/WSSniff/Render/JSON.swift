/// A JSON value with object keys kept in the order they were written, so output follows the documented contract.
package enum JSON: Sendable, Equatable {
    case object([(String, JSON)])
    case array([JSON])
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case null

    package static func == (lhs: JSON, rhs: JSON) -> Bool {
        lhs.serialized() == rhs.serialized()
    }

    package static func integer<T: BinaryInteger>(_ value: T) -> JSON {
        .int(Int64(value))
    }

    package static func optional(_ value: String?) -> JSON {
        value.map { .string($0) } ?? .null
    }

    /// Serializes the value; `indent` > 0 pretty-prints with that many spaces per level.
    /// `level`: the nesting depth the value starts at, for a value written inside a larger document.
    package func serialized(indent: Int = 0, level: Int = 0) -> String {
        var output = ByteSink(capacity: 4096)
        self.write(into: &output, indent: indent, level: level)
        return output.withBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// Writes UTF-8 into a byte buffer: appending bytes is several times cheaper than appending to a `String`, and a
    /// report of thousands of connections is mostly this.
    private func write(into output: inout ByteSink, indent: Int, level: Int) {
        switch self {
        case .object(let members):
            if members.isEmpty {
                Self.append("{}", to: &output)
                return
            }
            output.append(UInt8(ascii: "{"))
            var first = true
            for member in members {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                Self.newline(&output, indent: indent, level: level + 1)
                Self.writeString(member.0, into: &output)
                output.append(UInt8(ascii: ":"))
                if indent > 0 { output.append(UInt8(ascii: " ")) }
                member.1.write(into: &output, indent: indent, level: level + 1)
            }
            Self.newline(&output, indent: indent, level: level)
            output.append(UInt8(ascii: "}"))
        case .array(let elements):
            if elements.isEmpty {
                Self.append("[]", to: &output)
                return
            }
            output.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                Self.newline(&output, indent: indent, level: level + 1)
                element.write(into: &output, indent: indent, level: level + 1)
            }
            Self.newline(&output, indent: indent, level: level)
            output.append(UInt8(ascii: "]"))
        case .string(let value):
            Self.writeString(value, into: &output)
        case .int(let value):
            Self.writeInteger(value, into: &output)
        case .double(let value):
            output.append(utf8: value.isFinite ? "\(value)" : "null")
        case .bool(let value):
            Self.append(value ? "true" : "false", to: &output)
        case .null:
            Self.append("null", to: &output)
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func append(_ text: StaticString, to output: inout ByteSink) {
        output.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private static func newline(_ output: inout ByteSink, indent: Int, level: Int) {
        guard indent > 0 else { return }
        output.append(UInt8(ascii: "\n"))
        output.append(UInt8(ascii: " "), repeating: indent * level)
    }

    private static func writeInteger(_ value: Int64, into output: inout ByteSink) {
        if value >= 0 && value < 10 {
            output.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        // Digits backwards into a small buffer; the magnitude handles Int64.min.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        var magnitude = value.magnitude
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[23 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            if value < 0 { output.append(UInt8(ascii: "-")) }
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(24 - count)...]))
        }
    }

    /// The offset of the first eight-byte word from `start` holding a byte that must be escaped (below 0x20, `"`,
    /// `\`, DEL), or of the tail after the last whole word. `(x - 0x01…) & ~x & 0x80…` is non-zero exactly when a
    /// byte of x is zero (x = the word XOR a repeated byte finds that byte); `(w - 0x20…) & ~w & 0x80…` when a byte
    /// is below 0x20.
    private static func plainRunEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = bytes.baseAddress else { return start }
        let ones: UInt64 = 0x0101_0101_0101_0101
        var position = start
        while position + 8 <= bytes.count {
            let word = UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self)
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let delete = word ^ (ones &* 0x7F)
            let stop =
                ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((delete &- ones) & ~delete)
                | ((word &- ones &* 0x20) & ~word)
            if stop & (ones &* 0x80) != 0 { break }
            position += 8
        }
        return position
    }

    /// RFC 8259 7: quotation mark, reverse solidus and the control characters must be escaped (and DEL is, for
    /// terminals). Runs of bytes that need no escape are copied whole.
    private static func writeString(_ value: String, into output: inout ByteSink) {
        output.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            var runStart = 0
            var index = 0
            while index < bytes.count {
                // Eight bytes at a time while none needs an escape.
                index = Self.plainRunEnd(bytes, from: index)
                guard index < bytes.count else { break }
                let byte = bytes[index]
                index += 1
                guard byte < 0x20 || byte == 0x22 || byte == 0x5c || byte == 0x7f else { continue }
                if runStart < index - 1 {
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index - 1]))
                }
                runStart = index
                switch byte {
                case 0x22: Self.append("\\\"", to: &output)
                case 0x5c: Self.append("\\\\", to: &output)
                case 0x0a: Self.append("\\n", to: &output)
                case 0x0d: Self.append("\\r", to: &output)
                case 0x09: Self.append("\\t", to: &output)
                default:
                    Self.append("\\u00", to: &output)
                    output.append(Self.hexDigits[Int(byte >> 4)])
                    output.append(Self.hexDigits[Int(byte & 0xf)])
                }
            }
            if runStart < bytes.count {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
