import ProofVerify
import Testing
import WireBytes

@Suite struct IdentityFileTests {
    static let privateKeyPem =
        "-----BEGIN PRIVATE KEY-----\n" + Base64.encode(Ed25519.pkcs8Prefix + ProofFixtures.seed)
        + "\n-----END PRIVATE KEY-----\n"

    static func json(_ members: [(String, String)]) -> [UInt8] {
        Array(JSONValue.object(JSONObject(members.map { ($0.0, JSONValue.string($0.1)) })).jsonText.utf8)
    }

    static var node: [UInt8] {
        Array(
            (#"{"version":1,"deviceId":"\#(ProofFixtures.deviceId)","publicKeyPem":\#(JSONValue.string(Ed25519.pem(publicKey: ProofFixtures.publicKey)).jsonText),"privateKeyPem":\#(JSONValue.string(Self.privateKeyPem).jsonText),"createdAtMs":1773400000000}"#)
                .utf8
        )
    }

    static var apple: [UInt8] {
        Self.json([
            ("deviceId", ProofFixtures.deviceId),
            ("publicKey", Base64.encode(ProofFixtures.publicKey)),
            ("privateKey", Base64.encode(ProofFixtures.seed)),
        ])
    }

    static var android: [UInt8] {
        Self.json([
            ("deviceId", ProofFixtures.deviceId),
            ("publicKeyRawBase64", Base64.encode(ProofFixtures.publicKey)),
            ("privateKeyPkcs8Base64", Base64.encode(Ed25519.pkcs8Prefix + ProofFixtures.seed)),
        ])
    }

    @Test(arguments: [IdentityFile.Form.node, .apple, .android])
    func readsEveryForm(form: IdentityFile.Form) throws {
        let bytes = [IdentityFile.Form.node: Self.node, .apple: Self.apple, .android: Self.android][form]!
        let publicPart = try IdentityFile.publicPart(from: bytes)
        #expect(publicPart.form == form)
        #expect(publicPart.publicKey == ProofFixtures.publicKey)
        #expect(publicPart.deviceId == ProofFixtures.deviceId)
        #expect(publicPart.deviceIdMatches)
        #expect(publicPart.wirePublicKey == ProofFixtures.wirePublicKey)
        let key = try IdentityFile.signingKey(from: bytes)
        #expect(key.publicKey == ProofFixtures.publicKey)
        #expect(key.deviceId == ProofFixtures.deviceId)
    }

    /// `publicPart` does not read the private key: garbage there still gives the public part.
    @Test func publicPartIgnoresThePrivateKey() throws {
        let garbage = Self.json([
            ("deviceId", ProofFixtures.deviceId),
            ("publicKey", Base64.encode(ProofFixtures.publicKey)),
            ("privateKey", "!!! not base64 at all !!!"),
        ])
        #expect(try IdentityFile.publicPart(from: garbage).deviceId == ProofFixtures.deviceId)
        #expect(throws: ProofVerifyError(code: .invalidPrivateKey, message: "")) {
            _ = try IdentityFile.signingKey(from: garbage)
        }
        let nodeGarbage = Self.json([
            ("publicKeyPem", Ed25519.pem(publicKey: ProofFixtures.publicKey)),
            ("privateKeyPem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"),
        ])
        #expect(try IdentityFile.publicPart(from: nodeGarbage).fileDeviceId == nil)
        #expect(throws: ProofVerifyError(code: .invalidPrivateKey, message: "")) {
            _ = try IdentityFile.signingKey(from: nodeGarbage)
        }
    }

    @Test func mismatchedDeviceIdIsReported() throws {
        let file = Self.json([
            ("deviceId", String(repeating: "0", count: 64)),
            ("publicKeyRawBase64", Base64.encode(ProofFixtures.publicKey)),
            ("privateKeyPkcs8Base64", Base64.encode(Ed25519.pkcs8Prefix + ProofFixtures.seed)),
        ])
        let publicPart = try IdentityFile.publicPart(from: file)
        #expect(!publicPart.deviceIdMatches)
        #expect(publicPart.deviceId == ProofFixtures.deviceId)
    }

    @Test func privateKeyOfAnotherKeyIsRefusedWithoutShowingIt() throws {
        let otherSeed = ProofFixtures.hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
        let file = Self.json([
            ("publicKey", Base64.encode(ProofFixtures.publicKey)),
            ("privateKey", Base64.encode(otherSeed)),
        ])
        do {
            _ = try IdentityFile.signingKey(from: file)
            Issue.record("expected keyMismatch")
        } catch {
            #expect(error.code == .keyMismatch)
            #expect(!error.message.contains(Base64.encode(otherSeed)))
            #expect(!error.message.contains("4ccd089b"))
        }
    }

    @Test func signingKeyNeverPrintsTheSeed() throws {
        let key = try IdentityFile.signingKey(from: Self.apple)
        let seedHex = "9d61b19deffd5a60"
        for text in [
            "\(key)", String(reflecting: key),
            "\(Mirror(reflecting: key).children.map { "\($0.label ?? ""): \($0.value)" })",
        ] {
            #expect(!text.contains(seedHex))
            #expect(!text.contains(Base64.encode(ProofFixtures.seed)))
            #expect(text.contains(ProofFixtures.deviceId) || text.contains("deviceId"))
        }
    }

    @Test func pkcs8Version2IsAccepted() throws {
        let v2: [UInt8] =
            [0x30, 0x51, 0x02, 0x01, 0x01] + Ed25519.pkcs8Prefix.suffix(11) + ProofFixtures.seed
            + [0x81, 0x21, 0x00] + ProofFixtures.publicKey
        let file = Self.json([
            ("publicKeyRawBase64", Base64.encode(ProofFixtures.publicKey)),
            ("privateKeyPkcs8Base64", Base64.encode(v2)),
        ])
        #expect(try IdentityFile.signingKey(from: file).deviceId == ProofFixtures.deviceId)
    }

    @Test func unknownFilesAreRefused() {
        #expect(throws: ProofVerifyError(code: .invalidIdentityFile, message: "")) {
            _ = try IdentityFile.publicPart(from: Array(#"{"deviceId":"x"}"#.utf8))
        }
        #expect(throws: ProofVerifyError(code: .invalidIdentityFile, message: "")) {
            _ = try IdentityFile.publicPart(from: Array("not json".utf8))
        }
        #expect(throws: ProofVerifyError(code: .invalidPublicKey, message: "")) {
            _ = try IdentityFile.publicPart(from: Self.json([("publicKey", "AAAA")]))
        }
    }
}
