/// A parsed JSON value (RFC 8259) that keeps what the gateway's JavaScript sees: object members in source order,
/// `null` distinct from an absent member (an absent member is `nil` from ``JSONObject/subscript(_:)``), and each
/// number's source text beside its numeric views.
package enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The string, when this is a string.
    package var stringValue: String? {
        if case .string(let text) = self { text } else { nil }
    }

    /// The object, when this is an object.
    package var objectValue: JSONObject? {
        if case .object(let object) = self { object } else { nil }
    }

    /// The elements, when this is an array.
    package var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { elements } else { nil }
    }

    /// The boolean, when this is `true` or `false`.
    package var boolValue: Bool? {
        if case .bool(let flag) = self { flag } else { nil }
    }

    /// The number, when this is a number.
    package var numberValue: JSONNumber? {
        if case .number(let number) = self { number } else { nil }
    }

    /// The exact integer, when this is a number that JavaScript holds as an integer (see ``JSONNumber/int64``).
    package var int64Value: Int64? {
        self.numberValue?.int64
    }

    /// Whether this is `null`.
    package var isNull: Bool {
        self == .null
    }

    /// The member `key` when this is an object that has it; `nil` otherwise.
    package subscript(key: String) -> JSONValue? {
        self.objectValue?[key]
    }

    /// The JSON type name, as error messages say it: `null`, `boolean`, `number`, `string`, `array`, `object`.
    package var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// The text JavaScript's `String(value)` gives, as a template literal would put the value in a payload:
    /// strings as they are, numbers as `Number.prototype.toString`, `null` as `"null"`, arrays joined with `,`
    /// (`null` elements as empty), objects as `"[object Object]"`.
    package var javaScriptString: String {
        switch self {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .number(let number): number.javaScriptString
        case .string(let text): text
        case .array(let elements): elements.map { $0.isNull ? "" : $0.javaScriptString }.joined(separator: ",")
        case .object: "[object Object]"
        }
    }

    /// Compact JSON text, as `JSON.stringify(value)` writes it (numbers from their JavaScript value).
    package var jsonText: String {
        var output = ""
        self.write(into: &output)
        return output
    }

    private func write(into output: inout String) {
        switch self {
        case .null:
            output += "null"
        case .bool(let flag):
            output += flag ? "true" : "false"
        case .number(let number):
            output += number.double.isFinite ? number.javaScriptString : "null"
        case .string(let text):
            Self.writeString(text, into: &output)
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 {
                    output += ","
                }
                element.write(into: &output)
            }
            output += "]"
        case .object(let object):
            output += "{"
            for (index, member) in object.members.enumerated() {
                if index > 0 {
                    output += ","
                }
                Self.writeString(member.key, into: &output)
                output += ":"
                member.value.write(into: &output)
            }
            output += "}"
        }
    }

    private static func writeString(_ text: String, into output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }
}

/// A JSON object: members in source order. A repeated key keeps its first position and its last value, as
/// JavaScript's `JSON.parse` does.
package struct JSONObject: Hashable, Sendable {
    /// One member.
    package struct Member: Hashable, Sendable {
        package var key: String
        package var value: JSONValue

        package init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The members, each key once, in the order the keys first appeared.
    package private(set) var members: [Member]
    /// Keys that appeared more than once in the source (the last value won).
    package private(set) var duplicateKeys: [String]

    package init() {
        self.members = []
        self.duplicateKeys = []
    }

    package init(_ members: [(String, JSONValue)]) {
        self.init()
        for (key, value) in members {
            self.set(key, value)
        }
    }

    /// The keys, in order.
    package var keys: [String] {
        self.members.map(\.key)
    }

    /// The value of `key`, or `nil` when the object has no such member (`.null` when it is `null`).
    package subscript(key: String) -> JSONValue? {
        self.members.first { $0.key == key }?.value
    }

    /// Sets `key`: a new key goes last, an existing one keeps its place and takes the new value.
    package mutating func set(_ key: String, _ value: JSONValue) {
        if let index = self.members.firstIndex(where: { $0.key == key }) {
            self.members[index].value = value
            self.duplicateKeys.append(key)
        } else {
            self.members.append(Member(key: key, value: value))
        }
    }

    mutating func set(_ key: String, _ value: JSONValue, knownIndex: Int?) {
        if let knownIndex {
            self.members[knownIndex].value = value
            self.duplicateKeys.append(key)
        } else {
            self.members.append(Member(key: key, value: value))
        }
    }
}

/// A JSON number: its source text, the `Double` JavaScript holds, and an exact integer view.
package struct JSONNumber: Hashable, Sendable, CustomStringConvertible {
    /// The number exactly as written in the source (`1700000000000`, `1.7e12`, `-0`).
    package var text: String
    /// The IEEE 754 double JavaScript's `JSON.parse` makes of it (correctly rounded; `±infinity` on overflow).
    package var double: Double
    /// The exact integer written, when `text` is an integer literal that fits in `Int64`; otherwise the double's
    /// value when it is integral and within ±2^53 (so `1.7e12` is `1700000000000`); `nil` for anything else. This
    /// is the view an integer-valued field (`signedAt`, `minProtocol`) should use.
    package var int64: Int64?

    package init(text: String) {
        self.text = text
        self.double = Double(text) ?? .nan
        if let exact = Int64(text) {
            self.int64 = exact
        } else if self.double.isFinite, self.double.rounded() == self.double, abs(self.double) <= 9_007_199_254_740_992
        {
            self.int64 = Int64(self.double)
        } else {
            self.int64 = nil
        }
    }

    package init(_ value: Int64) {
        self.init(text: String(value))
    }

    package var description: String {
        self.text
    }

    /// Whether JavaScript sees an integer (`Number.isInteger`): TypeBox's `Type.Integer` accepts `1.0` and `1e3`.
    package var isInteger: Bool {
        self.double.isFinite && self.double.rounded() == self.double
    }

    /// `Number.prototype.toString()` of the value, as `String(signedAt)` puts it in a payload: `1700000000000`,
    /// `1e+21`, `0.000001`, `1e-7`; integers beyond 2^53 print their double's shortest digits padded with zeros
    /// (`12345678901234567890` gives `12345678901234567000`), exactly as JavaScript does.
    package var javaScriptString: String {
        Self.javaScriptString(self.double)
    }

    /// ECMAScript Number::toString(x) for base 10 (ECMA-262 6.1.6.1.20).
    static func javaScriptString(_ value: Double) -> String {
        if value.isNaN {
            return "NaN"
        }
        if value == 0 {
            return "0"
        }
        if value.isInfinite {
            return value < 0 ? "-Infinity" : "Infinity"
        }
        if value < 0 {
            return "-" + Self.javaScriptString(-value)
        }
        // Swift's description is the shortest round-tripping digit string too; take its digits and exponent.
        let (digits, pointPosition) = Self.shortestDigits(value)
        let k = digits.count
        let n = pointPosition
        if k <= n && n <= 21 {
            return digits + String(repeating: "0", count: n - k)
        }
        if 0 < n && n <= 21 {
            let index = digits.index(digits.startIndex, offsetBy: n)
            return digits[..<index] + "." + digits[index...]
        }
        if -6 < n && n <= 0 {
            return "0." + String(repeating: "0", count: -n) + digits
        }
        let exponent = n - 1
        let sign = exponent < 0 ? "-" : "+"
        let mantissa = k == 1 ? digits : String(digits.prefix(1)) + "." + digits.dropFirst()
        return mantissa + "e" + sign + String(abs(exponent))
    }

    /// The shortest decimal digits `d1...dk` (no leading or trailing zeros) and `n` such that the value is
    /// `0.d1...dk × 10^n`.
    private static func shortestDigits(_ value: Double) -> (String, Int) {
        let description = "\(value)"
        var mantissa = Substring(description)
        var exponent = 0
        if let e = description.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = description[..<e]
            exponent = Int(description[description.index(after: e)...]) ?? 0
        }
        var integerPart = mantissa
        var fractionPart: Substring = ""
        if let dot = mantissa.firstIndex(of: ".") {
            integerPart = mantissa[..<dot]
            fractionPart = mantissa[mantissa.index(after: dot)...]
        }
        var digits = String(integerPart) + fractionPart
        var pointPosition = integerPart.count + exponent
        while digits.first == "0" {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.last == "0" {
            digits.removeLast()
        }
        return (digits, pointPosition)
    }
}
