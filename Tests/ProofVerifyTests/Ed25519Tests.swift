import ProofVerify
import Testing
import WireBytes

@Suite struct Ed25519Tests {
    /// RFC 8032 7.1 TEST 1, 2 and 3: secret key (seed), public key, message, signature.
    @Test(arguments: [
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        ),
        (
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
        ),
    ])
    func rfc8032Vectors(seed: String, publicKey: String, message: String, signature: String) throws {
        let key = try SigningKey(seed: ProofFixtures.hex(seed))
        #expect(key.publicKey == ProofFixtures.hex(publicKey))
        let signed = try key.sign(ProofFixtures.hex(message))
        #expect(signed == ProofFixtures.hex(signature))
        #expect(
            Ed25519.verify(signature: signed, message: ProofFixtures.hex(message), publicKey: key.publicKey)
                == .verifies
        )
        var tampered = ProofFixtures.hex(message)
        tampered.append(0)
        #expect(Ed25519.verify(signature: signed, message: tampered, publicKey: key.publicKey) == .doesNotVerify)
    }

    @Test func wireFormAndDeviceIdOfTheTest1Key() throws {
        let key = ProofFixtures.key
        #expect(key.wirePublicKey == ProofFixtures.wirePublicKey)
        #expect(key.deviceId == ProofFixtures.deviceId)
        #expect(Ed25519.deviceId(publicKey: ProofFixtures.publicKey) == ProofFixtures.deviceId)
    }

    @Test func decodesEveryPublicKeyEncoding() throws {
        let raw = ProofFixtures.publicKey
        let url = try Ed25519.decodePublicKey(ProofFixtures.wirePublicKey)
        #expect(url.raw == raw)
        #expect(url.encoding == .base64url)
        let padded = try Ed25519.decodePublicKey(ProofFixtures.wirePublicKey + "=")
        #expect(padded.raw == raw)
        let standard = try Ed25519.decodePublicKey(Base64.encode(raw))
        #expect(standard.raw == raw)
        #expect(standard.encoding == .base64)
        let pem = Ed25519.pem(publicKey: raw)
        #expect(pem.hasPrefix("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA"))
        let fromPEM = try Ed25519.decodePublicKey(pem)
        #expect(fromPEM.raw == raw)
        #expect(fromPEM.encoding == .pem)
        #expect(fromPEM.deviceId == ProofFixtures.deviceId)
        #expect(fromPEM.wireForm == ProofFixtures.wirePublicKey)
        // CRLF line ends and indentation are fine.
        let crlf = pem.split(separator: "\n").map { "  " + $0 }.joined(separator: "\r\n")
        #expect(try Ed25519.decodePublicKey(crlf).raw == raw)
    }

    @Test func rejectsBadPublicKeys() {
        let short = Base64.encode(ProofFixtures.publicKey.dropLast(), alphabet: .urlSafe, padded: false)
        #expect(throws: ProofVerifyError(code: .invalidPublicKey, message: "")) {
            _ = try Ed25519.decodePublicKey(short)
        }
        // An RSA-looking SPKI: not the Ed25519 prefix.
        let wrongPrefix =
            "-----BEGIN PUBLIC KEY-----\n"
            + Base64.encode(
                [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00] + ProofFixtures.publicKey
            )
            + "\n-----END PUBLIC KEY-----\n"
        #expect(throws: ProofVerifyError(code: .invalidPublicKey, message: "")) {
            _ = try Ed25519.decodePublicKey(wrongPrefix)
        }
        #expect(throws: ProofVerifyError(code: .invalidPublicKey, message: "")) {
            _ = try Ed25519.decodePublicKey("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----")
        }
    }

    @Test func decodesSignaturesLeniently() throws {
        let signature = try ProofFixtures.key.sign(Array("abc".utf8))
        let forms = [
            Base64.encode(signature, alphabet: .urlSafe, padded: false),
            Base64.encode(signature, alphabet: .urlSafe, padded: true),
            Base64.encode(signature, alphabet: .standard, padded: true),
            Base64.encode(signature, alphabet: .standard, padded: false),
        ]
        for form in forms {
            #expect(try Ed25519.decodeSignature(form) == signature)
        }
        #expect(throws: ProofVerifyError(code: .invalidSignature, message: "")) {
            _ = try Ed25519.decodeSignature(Base64.encode(signature.prefix(63)))
        }
    }

    /// libsodium rejects small-order keys; wssniff says so, distinctly from a signature that does not verify.
    @Test func smallOrderKeysAreRejected() throws {
        let identity = [UInt8(1)] + [UInt8](repeating: 0, count: 31)
        let zero = [UInt8](repeating: 0, count: 32)
        // y = -1 (p - 1), order 2.
        let minusOne = [UInt8(0xec)] + [UInt8](repeating: 0xff, count: 30) + [0x7f]
        let signature = try ProofFixtures.key.sign(Array("abc".utf8))
        for key in [identity, zero, minusOne] {
            #expect(Ed25519.keyRejection(key) == .smallOrder)
            #expect(Ed25519.verify(signature: signature, message: "abc", publicKey: key) == .keyRejected(.smallOrder))
            #expect(Sodium.ed25519Verify(signature: signature, message: Array("abc".utf8), publicKey: key) == .invalid)
            #expect(!Sodium.ed25519IsValidPoint(key))
        }
        #expect(Ed25519.keyRejection(ProofFixtures.publicKey) == nil)
        #expect(Sodium.ed25519IsValidPoint(ProofFixtures.publicKey))
    }

    @Test func nonCanonicalAndOffCurveKeysAreRejected() throws {
        // y = p: a non-canonical encoding of y = 0.
        let p = [UInt8(0xed)] + [UInt8](repeating: 0xff, count: 30) + [0x7f]
        #expect(Ed25519.keyRejection(p) == .nonCanonical)
        // Some small y has no x on the curve.
        let offCurve = (2..<64).map { [UInt8($0)] + [UInt8](repeating: 0, count: 31) }
            .first { Ed25519.keyRejection($0) == .notOnCurve }
        let key = try #require(offCurve)
        let signature = try ProofFixtures.key.sign(Array("abc".utf8))
        #expect(Ed25519.verify(signature: signature, message: "abc", publicKey: key) == .keyRejected(.notOnCurve))
    }

    @Test func gatewayDeviceIdHashesWhateverTheKeyDecodesTo() {
        #expect(Ed25519.gatewayDeviceId(publicKey: ProofFixtures.wirePublicKey) == ProofFixtures.deviceId)
        #expect(
            Ed25519.gatewayDeviceId(publicKey: Ed25519.pem(publicKey: ProofFixtures.publicKey))
                == ProofFixtures.deviceId
        )
        #expect(Ed25519.gatewayDeviceId(publicKey: "AAAA") == Ed25519.deviceId(publicKey: [0, 0, 0]))
        // No bytes at all: 2026.3.13's deriveDeviceIdFromPublicKey gives null, so no id can match.
        #expect(Ed25519.gatewayDeviceId(publicKey: "!!!!") == nil)
    }

    /// Each shape of `device.publicKey` as 2026.3.13 reads it (src/infra/device-identity.ts): the bytes the id is
    /// hashed from and the 32 bytes it verifies with (the first 32 decoded; none from fewer).
    @Test func gatewayKeyShapes() {
        let raw = ProofFixtures.publicKey
        let der = Ed25519.spkiPrefix + raw
        let padded = Ed25519.gatewayKey(Base64.encode(raw))
        #expect(padded.shape == .raw)
        #expect(padded.verificationKey == raw)
        #expect(padded.deviceId == ProofFixtures.deviceId)
        let pem = Ed25519.gatewayKey(Ed25519.pem(publicKey: raw))
        #expect(pem.shape == .pem)
        #expect(pem.verificationKey == raw)
        #expect(pem.deviceId == ProofFixtures.deviceId)
        let spki = Ed25519.gatewayKey(ProofFixtures.base64url(der))
        #expect(spki.shape == .spkiDER)
        #expect(spki.idBytes == der)
        #expect(spki.verificationKey == Array(der.prefix(32)))
        #expect(spki.intendedKey == raw)
        #expect(spki.problem?.contains("44-byte SPKI DER") == true)
        let short = Ed25519.gatewayKey(ProofFixtures.base64url(Array(raw.prefix(31))))
        #expect(short.shape == .short(31))
        #expect(short.verificationKey == nil)
        #expect(short.deviceId == Ed25519.deviceId(publicKey: Array(raw.prefix(31))))
        let long = Ed25519.gatewayKey(ProofFixtures.base64url(raw + [0]))
        #expect(long.shape == .long(33))
        #expect(long.verificationKey == raw)
        #expect(long.problem == nil)
        #expect(long.note?.contains("33 bytes") == true)
        let garbage = Ed25519.gatewayKey("-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----")
        #expect(garbage.verificationKey == nil)
        #expect(garbage.problem != nil)
    }
}

/// Whether a public key is PEM is decided by its text holding `BEGIN`: the byte search in front of the string search
/// must never change the answer.
@Suite struct PEMDetectionTests {
    @Test(arguments: [
        "", "BEGI", "BEGIN", "xBEGIN", "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----",
        "NAQa5P7QFLzHXs2p0oD_ks7H1CBYg9bYmt7uEiEu2EQ", "begin", "BEGIN\u{301}", "BBEGIN", "BEGBEGIN", "é BEGIN é",
        "BEGIn",
    ])
    func agreesWithTheStringSearch(text: String) {
        #expect(Ed25519.looksLikePEM(text) == text.contains("BEGIN"))
    }
}
