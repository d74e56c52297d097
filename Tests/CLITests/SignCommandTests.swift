import Foundation
import Testing

/// `wssniff sign`, run as a binary, with the RFC 8032 TEST 1 identity of `tools/gateway/identities/`.
@Suite struct SignCommandTests {
    static let identity = TestSupport.packageRoot.appendingPathComponent("tools/gateway/identities/rfc8032-test1.json")
        .path
    /// RFC 8032 7.1 TEST 1: the seed, and the PEM body of the identity's PKCS#8 private key.
    static let seedHex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
    static let privatePEMBody = "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g"
    static let deviceId = "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9"
    static let wirePublicKey = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"

    /// The arguments of the gateway-protocol.md section 3 v2 vector (the deviceId is the identity's own).
    static let v2Vector = [
        "--nonce", "nonce-abc", "--signed-at", "1700000000000", "--client-id", "openclaw-macos", "--client-mode", "ui",
        "--scope", "operator.admin", "--scope", "operator.read", "--form", "v2",
    ]

    static func signJSON(_ arguments: [String]) throws -> [String: Any] {
        let output = try TestSupport.wssniff(
            arguments: ["sign", "--identity", Self.identity, "--format", "json"] + arguments
        )
        guard output.status == 0 else { throw TestFailure("wssniff sign failed (\(output.status)): \(output.stderr)") }
        guard let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("wssniff sign did not print a JSON object")
        }
        return object
    }

    /// The gateway profile decides the protocol the connect must offer: 3 for 2026.3.13 (the default), 4 for
    /// today's gateways; `--gateway-protocol` wins. The signed payload does not depend on it (both verify v3 and v2).
    @Test(arguments: [
        ([], 3, "2026.3.13"),
        (["--gateway-version", "current"], 4, "current"),
        (["--gateway-version", "2026.3.13"], 3, "2026.3.13"),
        (["--gateway-protocol", "4"], 4, "current"),
    ])
    func theProfileSetsTheProtocolToOffer(options: [String], protocolVersion: Int, profile: String) throws {
        let document = try Self.signJSON(Self.v2Vector + options)
        #expect(document["minProtocol"] as? Int == protocolVersion)
        #expect(document["maxProtocol"] as? Int == protocolVersion)
        #expect(document["gatewayProfile"] as? String == profile)
        let plain = try Self.signJSON(Self.v2Vector)
        #expect(document["payload"] as? String == plain["payload"] as? String)
        let text = try TestSupport.wssniff(arguments: ["sign", "--identity", Self.identity] + Self.v2Vector + options)
        #expect(
            text.stdout.contains("minProtocol \(protocolVersion), maxProtocol \(protocolVersion)"),
            "\(text.stdout)"
        )
        #expect(text.stdout.contains("gateway profile: \(profile)"))
    }

    @Test func anUnknownGatewayVersionIsBadUsage() throws {
        let output = try TestSupport.wssniff(
            arguments: ["sign", "--identity", Self.identity, "--gateway-version", "next"] + Self.v2Vector
        )
        #expect(output.status == 64)
        #expect(output.stderr.contains("--gateway-version must be an OpenClaw release"))
    }

    @Test func v2VectorPayloadAndDevice() throws {
        let object = try Self.signJSON(Self.v2Vector)
        #expect(
            object["payload"] as? String
                == "v2|\(Self.deviceId)|openclaw-macos|ui|operator|operator.admin,operator.read|1700000000000||nonce-abc"
        )
        let device = try #require(object["device"] as? [String: Any])
        #expect(Set(device.keys) == ["id", "publicKey", "signature", "signedAt", "nonce"])
        #expect(device["id"] as? String == Self.deviceId)
        #expect(device["publicKey"] as? String == Self.wirePublicKey)
        #expect(device["signedAt"] as? Int == 1_700_000_000_000)
        #expect(device["nonce"] as? String == "nonce-abc")
        let signature = try #require(device["signature"] as? String)
        #expect(signature.count == 86)
        #expect(!signature.contains("=") && !signature.contains("+") && !signature.contains("/"))
        // Ed25519 is deterministic: the same request signs the same bytes.
        #expect((try Self.signJSON(Self.v2Vector)["device"] as? [String: Any])?["signature"] as? String == signature)
    }

    @Test func v3VectorNormalizesPlatformAndDeviceFamily() throws {
        let object = try Self.signJSON([
            "--nonce", "  nonce-abc  ", "--signed-at", "1700000000000", "--client-id", "openclaw-macos",
            "--client-mode",
            "ui", "--scope", "operator.admin", "--scope", "operator.read", "--token", "tok-123", "--platform",
            "  IOS  ",
            "--device-family", "  iPhone  ", "--show-secrets",
        ])
        #expect(
            object["payload"] as? String
                == "v3|\(Self.deviceId)|openclaw-macos|ui|operator|operator.admin,operator.read|1700000000000|tok-123|"
                + "nonce-abc|ios|iphone"
        )
        #expect((object["device"] as? [String: Any])?["nonce"] as? String == "nonce-abc")
    }

    @Test func secondV3VectorKeepsEmptySlots() throws {
        let object = try Self.signJSON([
            "--nonce", "nonce-def", "--signed-at", "1700000000001", "--client-id", "openclaw-ios", "--client-mode",
            "ui",
            "--scope", "operator.read",
        ])
        #expect(
            object["payload"] as? String
                == "v3|\(Self.deviceId)|openclaw-ios|ui|operator|operator.read|1700000000001||nonce-def||"
        )
    }

    @Test(arguments: [["--format", "json"], ["--format", "text"]])
    func tokenRedactedWithoutShowSecrets(format: [String]) throws {
        let output = try TestSupport.wssniff(
            arguments: ["sign", "--identity", Self.identity, "--nonce", "n", "--token", "very-secret-token-42"] + format
        )
        #expect(output.status == 0)
        #expect(!output.stdout.contains("very-secret-token-42"))
        #expect(!output.stderr.contains("very-secret-token-42"))
        #expect(output.stdout.contains("<redacted sha256:"))
        let shown = try TestSupport.wssniff(
            arguments: [
                "sign", "--identity", Self.identity, "--nonce", "n", "--token", "very-secret-token-42",
                "--show-secrets",
            ] + format
        )
        #expect(shown.stdout.contains("very-secret-token-42"))
    }

    @Test(arguments: [["--format", "json"], ["--format", "text"], ["--format", "json", "--show-secrets"]])
    func privateKeyNeverPrinted(format: [String]) throws {
        let output = try TestSupport.wssniff(
            arguments: ["sign", "--identity", Self.identity, "--nonce", "n", "--token", "t"] + format
        )
        #expect(output.status == 0)
        for text in [output.stdout, output.stderr] {
            #expect(!text.contains(Self.privatePEMBody))
            #expect(!text.contains("PRIVATE KEY"))
            #expect(!text.lowercased().contains(Self.seedHex))
            #expect(!text.contains("nWGxne_9WmC6hEr0kuwsxERJxWl7Mmk"))
            #expect(!text.contains("nWGxne/9WmC6hEr0kuwsxERJxWl7Mmk"))
        }
    }

    @Test func badInputsExitWithDocumentedCodes() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("missing.json").path
        #expect(try TestSupport.wssniff("sign", "--identity", missing, "--nonce", "n").status == 66)
        let garbage = directory.appendingPathComponent("garbage.json")
        try Data("not json".utf8).write(to: garbage)
        #expect(try TestSupport.wssniff("sign", "--identity", garbage.path, "--nonce", "n").status == 65)
        #expect(try TestSupport.wssniff("sign", "--identity", Self.identity, "--nonce", " ").status == 64)
        #expect(
            try TestSupport.wssniff("sign", "--identity", Self.identity, "--nonce", "n", "--form", "v1").status == 64
        )
        #expect(try TestSupport.wssniff("sign", "--nonce", "n").status == 64)
    }
}
