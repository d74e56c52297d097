import Testing

@testable import WireBytes

struct Base64Tests {
    /// RFC 4648 section 10 test vectors.
    static let rfc4648Vectors: [(String, String)] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ]

    @Test(arguments: Self.rfc4648Vectors)
    func encodesRFC4648Vectors(plain: String, encoded: String) {
        #expect(Base64.encode(plain.utf8) == encoded)
    }

    @Test(arguments: Self.rfc4648Vectors)
    func decodesRFC4648VectorsPaddedAndUnpadded(plain: String, encoded: String) throws {
        #expect(try Base64.decode(encoded) == Array(plain.utf8))
        #expect(try Base64.decode(encoded, requirePadding: true) == Array(plain.utf8))
        let unpadded = encoded.filter { $0 != "=" }
        #expect(try Base64.decode(unpadded) == Array(plain.utf8))
        #expect(Base64.decodeLeniently(encoded) == Array(plain.utf8))
        #expect(Base64.decodeLeniently(unpadded) == Array(plain.utf8))
    }

    @Test func urlSafeAlphabet() throws {
        let bytes: [UInt8] = [0xFB, 0xFF, 0xBF]
        #expect(Base64.encode(bytes) == "+/+/")
        #expect(Base64.encode(bytes, alphabet: .urlSafe) == "-_-_")
        #expect(Base64.encode([0xFB, 0xFF], alphabet: .urlSafe, padded: false) == "-_8")
        #expect(try Base64.decode("-_-_", alphabet: .urlSafe) == bytes)
        #expect(try Base64.decode("-_8", alphabet: .urlSafe) == [0xFB, 0xFF])
        #expect(try Base64.decode("-_8=", alphabet: .urlSafe) == [0xFB, 0xFF])
        #expect(Base64.decodeLeniently("-_+/") == bytes)
    }

    @Test func allByteValuesRoundTrip() throws {
        let bytes = (0..<256).map { UInt8($0) }
        for count in [0, 1, 2, 3, 4, 255, 256] {
            let slice = Array(bytes.prefix(count))
            #expect(try Base64.decode(Base64.encode(slice)) == slice)
            #expect(try Base64.decode(Base64.encode(slice, alphabet: .urlSafe), alphabet: .urlSafe) == slice)
        }
    }

    @Test(
        arguments: [
            ("Zm9v YmFy", Base64Error.Code.invalidCharacter, 4),
            ("Zm9v\r\n", .invalidCharacter, 4),
            ("Zm9-", .invalidCharacter, 3),
            ("Zm9vYmF*", .invalidCharacter, 7),
            ("Zg=", .misplacedPadding, 2),
            ("Zm8==", .misplacedPadding, 3),
            ("Zg===", .misplacedPadding, 2),
            ("Zm=9v", .misplacedPadding, 2),
            ("=", .misplacedPadding, 0),
            ("Z", .invalidLength, 1),
            ("Zm9vY", .invalidLength, 5),
            ("Zh==", .nonZeroPadBits, 1),
            ("Zm9=", .nonZeroPadBits, 2),
        ]
    )
    func strictDecodingReportsTheFirstProblem(text: String, code: Base64Error.Code, offset: Int) {
        #expect {
            try Base64.decode(text)
        } throws: { error in
            guard let error = error as? Base64Error else {
                return false
            }
            return error.code == code && error.offset == offset && !error.message.isEmpty
        }
    }

    @Test func urlSafeCharactersAreInvalidInTheStandardAlphabetAndViceVersa() {
        #expect(throws: Base64Error.invalidCharacter(UInt8(ascii: "_"), offset: 0)) {
            try Base64.decode("__8=")
        }
        #expect(throws: Base64Error.invalidCharacter(UInt8(ascii: "+"), offset: 0)) {
            try Base64.decode("++8=", alphabet: .urlSafe)
        }
    }

    @Test func requiredPaddingIsReported() {
        #expect(throws: Base64Error.missingPadding(offset: 2)) {
            try Base64.decode("Zg", requirePadding: true)
        }
    }

    @Test func lenientDecodingNeverFails() {
        #expect(Base64.decodeLeniently("Zm9v\r\nYmFy") == Array("foobar".utf8))
        #expect(Base64.decodeLeniently(" Zm9v YmFy ") == Array("foobar".utf8))
        #expect(Base64.decodeLeniently("Zm8=Zm9v") == Array("fo".utf8))
        #expect(Base64.decodeLeniently("Zh==") == Array("f".utf8))
        #expect(Base64.decodeLeniently("Zm9vY") == Array("foo".utf8))
        #expect(Base64.decodeLeniently("***") == [])
        // A substring decodes its own characters only.
        let framed = "Zm9v$Zm9vYmFy$YmFy"
        #expect(Base64.decodeLeniently(framed.dropFirst(5).dropLast(5)) == Array("foobar".utf8))
    }

    @Test(
        arguments: [
            ("dGhlIHNhbXBsZSBub25jZQ==", "the sample nonce"),
            ("qahP4HKA9p47jHXBgcoaKg==", nil),
        ]
    )
    func webSocketKeysDecodeToSixteenBytes(key: String, plain: String?) throws {
        let decoded = try Base64.decode(key, requirePadding: true)
        #expect(decoded.count == 16)
        if let plain {
            #expect(decoded == Array(plain.utf8))
        }
        #expect(Base64.encode(decoded) == key)
    }
}
