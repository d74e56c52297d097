/// Base64 (RFC 4648 section 4) and base64url (RFC 4648 section 5): encoding, strict decoding that reports
/// the first problem, and lenient decoding that never fails.
package enum Base64 {
    /// The 64-character alphabet in use.
    package enum Alphabet: Hashable, Sendable {
        /// RFC 4648 section 4: `A-Z a-z 0-9 + /`.
        case standard
        /// RFC 4648 section 5, "URL and Filename safe": `A-Z a-z 0-9 - _`.
        case urlSafe
    }

    private static let standardCharacters = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8
    )
    private static let urlSafeCharacters = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8
    )
    private static let paddingCharacter = UInt8(ascii: "=")
    /// 0xFF marks a byte outside the alphabet.
    private static let standardValues = Self.decodingTable(Self.standardCharacters)
    private static let urlSafeValues = Self.decodingTable(Self.urlSafeCharacters)
    /// Both alphabets at once, for lenient decoding.
    private static let anyValues: [UInt8] = {
        var table = Self.decodingTable(Self.standardCharacters)
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        return table
    }()

    private static func decodingTable(_ characters: [UInt8]) -> [UInt8] {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in characters.enumerated() {
            table[Int(character)] = UInt8(value)
        }
        return table
    }

    // MARK: Encoding

    /// Encodes `bytes`; `padded: false` leaves out the trailing `=` (RFC 4648 3.2 allows it when a specification
    /// says so, as base64url users often do).
    package static func encode(
        _ bytes: some Sequence<UInt8>,
        alphabet: Alphabet = .standard,
        padded: Bool = true
    ) -> String {
        let characters = alphabet == .standard ? Self.standardCharacters : Self.urlSafeCharacters
        var output: [UInt8] = []
        var group: UInt32 = 0
        var groupCount = 0
        for byte in bytes {
            group = group << 8 | UInt32(byte)
            groupCount += 1
            if groupCount == 3 {
                output.append(characters[Int(group >> 18 & 0x3F)])
                output.append(characters[Int(group >> 12 & 0x3F)])
                output.append(characters[Int(group >> 6 & 0x3F)])
                output.append(characters[Int(group & 0x3F)])
                group = 0
                groupCount = 0
            }
        }
        // RFC 4648 4: "(2) The final quantum of encoding input is exactly 8 bits; here, the final unit of encoded
        // output will be two characters followed by two "=" padding characters. (3) The final quantum of encoding
        // input is exactly 16 bits; here, the final unit of encoded output will be three characters followed by
        // one "=" padding character."
        if groupCount == 1 {
            output.append(characters[Int(group >> 2 & 0x3F)])
            output.append(characters[Int(group << 4 & 0x3F)])
            if padded {
                output.append(Self.paddingCharacter)
                output.append(Self.paddingCharacter)
            }
        } else if groupCount == 2 {
            output.append(characters[Int(group >> 10 & 0x3F)])
            output.append(characters[Int(group >> 4 & 0x3F)])
            output.append(characters[Int(group << 2 & 0x3F)])
            if padded {
                output.append(Self.paddingCharacter)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    // MARK: Decoding

    /// Decodes `text` strictly: only characters of `alphabet`, no whitespace, padding either absent or exactly
    /// right (or required, with `requirePadding`), and zero pad bits.
    ///
    /// - Throws: ``Base64Error`` describing the first problem, with its offset in the UTF-8 bytes of `text`.
    package static func decode(
        _ text: some StringProtocol,
        alphabet: Alphabet = .standard,
        requirePadding: Bool = false
    ) throws(Base64Error) -> [UInt8] {
        let input = Array(text.utf8)
        let values = alphabet == .standard ? Self.standardValues : Self.urlSafeValues

        var paddingCount = 0
        while paddingCount < input.count, input[input.count - 1 - paddingCount] == Self.paddingCharacter {
            paddingCount += 1
        }
        let dataCount = input.count - paddingCount
        // RFC 4648 3.3: "Furthermore, such specifications MAY ignore the pad character, "=", treating it as
        // non-alphabet data, if it is present before the end of the encoded data." A strict decoder rejects it.
        for index in 0..<dataCount where values[Int(input[index])] == 0xFF {
            if input[index] == Self.paddingCharacter {
                throw .misplacedPadding(offset: index)
            }
            throw .invalidCharacter(input[index], offset: index)
        }
        // A final quantum of one character carries 6 bits: not a whole byte.
        if dataCount % 4 == 1 {
            throw .invalidLength(input.count)
        }
        if paddingCount > 0, paddingCount > 2 || (dataCount + paddingCount) % 4 != 0 {
            throw .misplacedPadding(offset: dataCount)
        }
        if paddingCount == 0, requirePadding, dataCount % 4 != 0 {
            throw .missingPadding(offset: dataCount)
        }

        var output: [UInt8] = []
        output.reserveCapacity(dataCount * 3 / 4)
        var group: UInt32 = 0
        var groupCount = 0
        for index in 0..<dataCount {
            group = group << 6 | UInt32(values[Int(input[index])])
            groupCount += 1
            if groupCount == 4 {
                output.append(UInt8(truncatingIfNeeded: group >> 16))
                output.append(UInt8(truncatingIfNeeded: group >> 8))
                output.append(UInt8(truncatingIfNeeded: group))
                group = 0
                groupCount = 0
            }
        }
        // RFC 4648 3.5: "When padding is used, there are some non-significant bits that warrant security concerns
        // ... In some environments, the alteration is critical and therefore decoders MAY chose to reject an
        // encoding if the pad bits have not been set to zero."
        if groupCount == 2 {
            guard group & 0x0F == 0 else {
                throw .nonZeroPadBits(offset: dataCount - 1)
            }
            output.append(UInt8(truncatingIfNeeded: group >> 4))
        } else if groupCount == 3 {
            guard group & 0x03 == 0 else {
                throw .nonZeroPadBits(offset: dataCount - 1)
            }
            output.append(UInt8(truncatingIfNeeded: group >> 10))
            output.append(UInt8(truncatingIfNeeded: group >> 2))
        }
        return output
    }

    /// Decodes `text` the way forgiving decoders (Node's `Buffer.from(text, "base64")`) do: both alphabets,
    /// characters outside them skipped, decoding stops at the first `=`, pad bits ignored, and a lone final
    /// character dropped. Never fails.
    package static func decodeLeniently(_ text: some StringProtocol) -> [UInt8] {
        // Over contiguous bytes when the text has them (a native String does): iterating a generic UTF-8 view from
        // another module costs hundreds of instructions a character.
        if let output = text.utf8.withContiguousStorageIfAvailable({ Self.decodeLeniently(bytes: $0) }) {
            return output
        }
        return Array(text.utf8).withUnsafeBufferPointer { Self.decodeLeniently(bytes: $0) }
    }

    private static func decodeLeniently(bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count / 4 * 3 + 2)
        var group: UInt32 = 0
        var groupCount = 0
        for byte in bytes {
            if byte == Self.paddingCharacter {
                break
            }
            let value = Self.anyValues[Int(byte)]
            if value == 0xFF {
                continue
            }
            group = group << 6 | UInt32(value)
            groupCount += 1
            if groupCount == 4 {
                output.append(UInt8(truncatingIfNeeded: group >> 16))
                output.append(UInt8(truncatingIfNeeded: group >> 8))
                output.append(UInt8(truncatingIfNeeded: group))
                group = 0
                groupCount = 0
            }
        }
        if groupCount == 2 {
            output.append(UInt8(truncatingIfNeeded: group >> 4))
        } else if groupCount == 3 {
            output.append(UInt8(truncatingIfNeeded: group >> 10))
            output.append(UInt8(truncatingIfNeeded: group >> 2))
        }
        return output
    }
}

/// Why strict ``Base64/decode(_:alphabet:requirePadding:)`` refused its input. Equality compares ``code`` only.
package struct Base64Error: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of problem.
    package enum Code: String, Hashable, Sendable {
        /// A byte outside the alphabet (whitespace included).
        case invalidCharacter
        /// `=` before the end, more than two of them, or a count that does not complete the last quantum.
        case misplacedPadding
        /// No `=` where a padded encoding needs them (only with `requirePadding`).
        case missingPadding
        /// A length that leaves a single character in the last quantum.
        case invalidLength
        /// The unused low bits of the last character are not zero (a non-canonical encoding).
        case nonZeroPadBits
    }

    package var code: Code
    /// Offset of the problem in the UTF-8 bytes of the input.
    package var offset: Int
    package var message: String

    package var description: String {
        self.message
    }

    package static func == (lhs: Base64Error, rhs: Base64Error) -> Bool {
        lhs.code == rhs.code
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
    }

    static func invalidCharacter(_ byte: UInt8, offset: Int) -> Base64Error {
        let shown = byte >= 0x21 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte \(byte)"
        return Base64Error(
            code: .invalidCharacter,
            offset: offset,
            message: "\(shown) at offset \(offset) is not in the base64 alphabet"
        )
    }

    static func misplacedPadding(offset: Int) -> Base64Error {
        Base64Error(code: .misplacedPadding, offset: offset, message: "misplaced '=' padding at offset \(offset)")
    }

    static func missingPadding(offset: Int) -> Base64Error {
        Base64Error(code: .missingPadding, offset: offset, message: "missing '=' padding at offset \(offset)")
    }

    static func invalidLength(_ length: Int) -> Base64Error {
        Base64Error(
            code: .invalidLength,
            offset: length,
            message: "length \(length) leaves a single character in the last quantum"
        )
    }

    static func nonZeroPadBits(offset: Int) -> Base64Error {
        Base64Error(
            code: .nonZeroPadBits,
            offset: offset,
            message: "the character at offset \(offset) has non-zero pad bits (non-canonical encoding)"
        )
    }
}
