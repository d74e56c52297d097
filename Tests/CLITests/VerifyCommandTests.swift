import Foundation
import Testing

/// `wssniff verify`, run as a binary, on connect frames built from the gateway-protocol.md section 3 vectors and
/// from what `wssniff sign` prints.
@Suite struct VerifyCommandTests {
    static let identity = SignCommandTests.identity

    /// A connect frame carrying `device`, with the vector fields.
    static func connect(
        device: [String: Any],
        clientId: String = "openclaw-macos",
        clientMode: String = "ui",
        platform: String = "macOS",
        deviceFamily: String? = nil,
        scopes: [String] = ["operator.admin", "operator.read"],
        token: String? = nil,
        wholeFrame: Bool = true
    ) throws -> URL {
        var client: [String: Any] = ["id": clientId, "version": "1.0.0", "platform": platform, "mode": clientMode]
        if let deviceFamily { client["deviceFamily"] = deviceFamily }
        var params: [String: Any] = [
            "minProtocol": 3, "maxProtocol": 3, "client": client, "role": "operator", "scopes": scopes,
            "device": device,
        ]
        if let token { params["auth"] = ["token": token] }
        let value: [String: Any] =
            wholeFrame ? ["type": "req", "id": "c1", "method": "connect", "params": params] : params
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("connect.json")
        try JSONSerialization.data(withJSONObject: value).write(to: url)
        return url
    }

    static func verifyJSON(
        _ file: URL,
        _ arguments: [String]
    ) throws -> (proof: [String: Any], verdict: [String: Any], document: [String: Any], stdout: String) {
        let output = try TestSupport.wssniff(arguments: ["verify", file.path, "--format", "json"] + arguments)
        guard output.status == 0 else {
            throw TestFailure("wssniff verify failed (\(output.status)): \(output.stderr)")
        }
        guard let document = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any],
            let proof = document["proof"] as? [String: Any], let verdict = document["verdict"] as? [String: Any]
        else {
            throw TestFailure("wssniff verify did not print {proof, verdict}: \(output.stdout)")
        }
        return (proof, verdict, document, output.stdout)
    }

    static func verifying(_ proof: [String: Any]) -> [String] {
        ((proof["candidates"] as? [[String: Any]]) ?? []).filter { $0["verifies"] as? Bool == true }
            .compactMap { $0["form"] as? String }
    }

    /// The known-answer signatures, byte for byte: the vectors sign deviceId "dev-1", so the proof verifies and
    /// the gateway would refuse it only for the device id (which is not the key's hash).
    @Test func knownAnswerV2Vector() throws {
        let file = try Self.connect(device: [
            "id": "dev-1", "publicKey": SignCommandTests.wirePublicKey, "signedAt": 1_700_000_000_000,
            "nonce": "nonce-abc",
            "signature": "62sp6Y8lj3w6nW1BRE0uqFHT17m29GvK6A1iKjOso5Mwq977I6VKX7qhxYuM5tHIfBV3iUMVHT7aMg6eHUoGBA",
        ])
        let result = try Self.verifyJSON(file, ["--nonce", "nonce-abc"])
        #expect(Self.verifying(result.proof) == ["v2"])
        #expect(result.proof["signedForm"] as? String == "v2")
        let checks = try #require(result.proof["checks"] as? [String: Any])
        #expect(checks["deviceIdMatchesPublicKey"] as? Bool == false)
        #expect(checks["nonceMatchesChallenge"] as? Bool == true)
        #expect(result.verdict["cause"] as? String == "device-identity-mismatch")
        #expect(result.verdict["observed"] as? Bool == false)
        #expect(result.document["schema"] as? String == "wssniff/1")
        let candidates = try #require(result.proof["candidates"] as? [[String: Any]])
        #expect(
            candidates.first { $0["form"] as? String == "v2" }?["payload"] as? String
                == "v2|dev-1|openclaw-macos|ui|operator|operator.admin,operator.read|1700000000000||nonce-abc"
        )
    }

    @Test func knownAnswerV3VectorsNormalizeAndTakeAuthToken() throws {
        let first = try Self.connect(
            device: [
                "id": "dev-1", "publicKey": SignCommandTests.wirePublicKey, "signedAt": 1_700_000_000_000,
                "nonce": "nonce-abc",
                "signature": "Wrp1kv2UpRb5ODGAmIevAUA6UZ09pc4PtuMHAtwNLOl8wZqmb1KPDLYfiXRDi_Fscj1CLrj-3opHWPACZvrkDw",
            ],
            platform: "  IOS  ",
            deviceFamily: "  iPhone  ",
            token: "tok-123"
        )
        let result = try Self.verifyJSON(first, ["--nonce", "nonce-abc"])
        #expect(Self.verifying(result.proof) == ["v3"])
        #expect(!result.stdout.contains("tok-123"))

        let second = try Self.connect(
            device: [
                "id": "dev-2", "publicKey": SignCommandTests.wirePublicKey, "signedAt": 1_700_000_000_001,
                "nonce": "nonce-def",
                "signature": "n-RIJimESSf-pPq80ta1eDo54a3-dDmVrv_UzlECZ7e03T8kc0FlegeI8WfoMn85a00FhH_ibeB-MyXcCeg9BA",
            ],
            clientId: "openclaw-ios",
            platform: " ",
            scopes: ["operator.read"],
            wholeFrame: false
        )
        let secondResult = try Self.verifyJSON(second, ["--nonce", "nonce-def"])
        #expect(Self.verifying(secondResult.proof) == ["v3"])
    }

    /// What `sign` prints, sent in a connect, verifies as v3 with the same nonce.
    static func signedConnect(nonce: String, token: String? = nil, wholeFrame: Bool = true) throws -> URL {
        var arguments = [
            "--nonce", nonce, "--client-id", "cli", "--client-mode", "cli", "--platform", "Linux",
            "--scope", "operator.read", "--scope", "operator.admin",
        ]
        if let token { arguments += ["--token", token] }
        let signed = try SignCommandTests.signJSON(arguments)
        let device = try #require(signed["device"] as? [String: Any])
        return try Self.connect(
            device: device,
            clientId: "cli",
            clientMode: "cli",
            platform: "Linux",
            scopes: ["operator.read", "operator.admin"],
            token: token,
            wholeFrame: wholeFrame
        )
    }

    /// The schema difference between the profiles: a current client's connect (protocol 4, `auth.approvalRuntimeToken`)
    /// fails 2026.3.13's closed schema, naming the version mix, and passes the current profile's.
    @Test func newerAuthFieldByGatewayVersion() throws {
        let nonce = "6f1d2c3b-4a59-4e68-9d7c-0b1a2c3d4e5f"
        let file = try Self.signedConnect(nonce: nonce, token: "tok-xyz")
        var frame = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        var params = try #require(frame["params"] as? [String: Any])
        params["minProtocol"] = 4
        params["maxProtocol"] = 4
        params["auth"] = ["token": "tok-xyz", "approvalRuntimeToken": "art-1"]
        frame["params"] = params
        try JSONSerialization.data(withJSONObject: frame).write(to: file)

        let old = try Self.verifyJSON(file, ["--nonce", nonce])
        #expect(old.verdict["cause"] as? String == "invalid-connect-params")
        let summary = old.verdict["summary"] as? String ?? ""
        #expect(summary.contains("`auth.approvalRuntimeToken`"), "\(summary)")
        #expect(summary.contains("2026.3.13 does not know"))
        #expect(summary.contains("update the gateway"))

        let current = try Self.verifyJSON(file, ["--nonce", nonce, "--gateway-version", "current"])
        #expect(current.verdict["cause"] as? String == "accepted", "\(current.verdict["summary"] ?? "")")
        let legacy = try Self.verifyJSON(file, ["--nonce", nonce, "--gateway-protocol", "4"])
        #expect(legacy.verdict["cause"] as? String == "accepted")
    }

    @Test(arguments: [true, false])
    func signThenVerifyRoundTrip(wholeFrame: Bool) throws {
        let file = try Self.signedConnect(
            nonce: "8d7f5a52-3f0e-4c59-9d57-1c2b3a4d5e6f",
            token: "tok-xyz",
            wholeFrame: wholeFrame
        )
        let result = try Self.verifyJSON(file, ["--nonce", "8d7f5a52-3f0e-4c59-9d57-1c2b3a4d5e6f"])
        #expect(result.proof["signedForm"] as? String == "v3")
        #expect(Self.verifying(result.proof).first == "v3")
        let checks = try #require(result.proof["checks"] as? [String: Any])
        #expect(checks["deviceIdMatchesPublicKey"] as? Bool == true)
        #expect(checks["nonceMatchesChallenge"] as? Bool == true)
        #expect(result.verdict["cause"] as? String == "accepted")
        #expect(result.verdict["observed"] as? Bool == false)
    }

    /// A connect that passes every check is said to pass, in sentences about a connect given alone: `accepted`,
    /// predicted, with what only the gateway can check (token, pairing) named; no capture is spoken of, since none
    /// was given. Text and JSON say the same.
    @Test func passingProofReadsAsAPass() throws {
        let nonce = "3b0c7e52-9a41-4f6e-8d2b-5c1a7f9e0d34"
        let file = try Self.signedConnect(nonce: nonce, token: "tok-pass")
        let result = try Self.verifyJSON(file, ["--nonce", nonce])
        let summary = try #require(result.verdict["summary"] as? String)
        let reason = try #require(result.verdict["predictionReason"] as? String)
        #expect(result.verdict["cause"] as? String == "accepted")
        #expect(result.verdict["observed"] as? Bool == false)
        #expect(
            summary.hasPrefix(
                "Every check passes; the gateway would accept this proof if the token and pairing are right (it "
                    + "verifies as v3, a form this gateway accepts)."
            ),
            "\(summary)"
        )
        for text in [summary, reason] {
            #expect(!text.localizedCaseInsensitiveContains("capture"), "\(text)")
            #expect(!text.contains("the connect; every"), "\(text)")
        }
        #expect(reason.contains("token") && reason.contains("pairing"), "\(reason)")

        let output = try TestSupport.wssniff("verify", file.path, "--nonce", nonce)
        #expect(output.status == 0)
        let lines = output.stdout.split(separator: "\n").map(String.init)
        let verdictLine = try #require(lines.firstIndex { $0.hasPrefix("verdict") })
        #expect(lines[verdictLine] == "verdict (predicted): accepted")
        #expect(lines.dropFirst(verdictLine + 1).first?.trimmingCharacters(in: .whitespaces) == summary)
        #expect(!output.stdout.contains("incomplete-capture"))
    }

    /// A failing connect: the refusal the gateway would give, as a sentence that starts with a capital and speaks
    /// of the nonce given, not of a connection or a capture.
    @Test func failingProofReadsAsARefusal() throws {
        let file = try Self.signedConnect(nonce: "nonce-signed")
        let result = try Self.verifyJSON(file, ["--nonce", "nonce-given"])
        let summary = try #require(result.verdict["summary"] as? String)
        #expect(result.verdict["cause"] as? String == "device-nonce-mismatch")
        #expect(
            summary
                == "The gateway would refuse this connect with \"device nonce mismatch\" (1008): `device.nonce` "
                + "(nonce-signed) is not the challenge nonce given (nonce-given); sign and send the nonce of the "
                + "challenge you answer."
        )
        #expect(
            result.verdict["predictionReason"] as? String
                == "offline verification: only the connect was given, not the gateway's answer"
        )
    }

    @Test func wrongNonceIsDeviceNonceMismatch() throws {
        let file = try Self.signedConnect(nonce: "nonce-signed")
        let result = try Self.verifyJSON(file, ["--nonce", "nonce-of-the-challenge"])
        #expect(result.verdict["cause"] as? String == "device-nonce-mismatch")
        #expect((result.proof["checks"] as? [String: Any])?["nonceMatchesChallenge"] as? Bool == false)
        let text = try TestSupport.wssniff("verify", file.path, "--nonce", "nonce-of-the-challenge")
        #expect(text.status == 0)
        #expect(text.stdout.contains("device-nonce-mismatch"))
    }

    /// A role other than "operator" or "node" passes the gateway's schema and fails its role check, before any
    /// device check: `invalid-role`, not a schema failure.
    @Test(arguments: ["Operator", "admin"])
    func aRoleOutsideOperatorAndNodeIsTheRoleCheck(role: String) throws {
        let file = try Self.signedConnect(nonce: "8d7f5a52-3f0e-4c59-9d57-1c2b3a4d5e6f")
        var frame = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        var params = try #require(frame["params"] as? [String: Any])
        params["role"] = role
        frame["params"] = params
        try JSONSerialization.data(withJSONObject: frame).write(to: file)
        let result = try Self.verifyJSON(file, ["--nonce", "8d7f5a52-3f0e-4c59-9d57-1c2b3a4d5e6f"])
        let summary = result.verdict["summary"] as? String ?? ""
        #expect(result.verdict["cause"] as? String == "invalid-role", "\(summary)")
        #expect(result.verdict["observed"] as? Bool == false)
        #expect(summary.contains("\"invalid role\" (1008)"), "\(summary)")
        #expect(summary.contains("role check"))
        #expect(!summary.contains("schema at /role"))
    }

    /// A connect signed over, and sending, the nonce of another connection's challenge: with `--earlier-nonce` the
    /// verdict names it; without, it is a plain nonce mismatch.
    @Test func staleNonceNamedWithEarlierNonce() throws {
        let file = try Self.signedConnect(nonce: "nonce-of-connection-1")
        let named = try Self.verifyJSON(
            file,
            [
                "--nonce", "nonce-of-connection-2", "--earlier-nonce", "other", "--earlier-nonce",
                "nonce-of-connection-1",
            ]
        )
        #expect(named.verdict["cause"] as? String == "device-nonce-mismatch")
        let summary = named.verdict["summary"] as? String ?? ""
        #expect(
            summary.contains("this is the challenge of the earlier connection given as --earlier-nonce #2"),
            "\(summary)"
        )
        let plain = try Self.verifyJSON(file, ["--nonce", "nonce-of-connection-2", "--earlier-nonce", "other"])
        #expect(plain.verdict["cause"] as? String == "device-nonce-mismatch")
        #expect(!(plain.verdict["summary"] as? String ?? "").contains("this is the challenge of"))
    }

    @Test func identityPublicPartComparedAndPrivateKeyNeverPrinted() throws {
        let file = try Self.signedConnect(nonce: "n-1", token: "tok-secret-99")
        let result = try Self.verifyJSON(file, ["--nonce", "n-1", "--identity", Self.identity])
        let identity = try #require(result.document["identity"] as? [String: Any])
        #expect(identity["publicKeyMatchesDevice"] as? Bool == true)
        #expect(identity["deviceIdMatchesDevice"] as? Bool == true)
        #expect(identity["deviceId"] as? String == SignCommandTests.deviceId)

        let other = TestSupport.packageRoot.appendingPathComponent("tools/gateway/identities/cli.json").path
        let mismatch = try Self.verifyJSON(file, ["--nonce", "n-1", "--identity", other])
        #expect((mismatch.document["identity"] as? [String: Any])?["publicKeyMatchesDevice"] as? Bool == false)

        for format in ["text", "json"] {
            let output = try TestSupport.wssniff(
                "verify",
                file.path,
                "--nonce",
                "n-1",
                "--identity",
                Self.identity,
                "--format",
                format
            )
            #expect(output.status == 0)
            for text in [output.stdout, output.stderr] {
                #expect(!text.contains(SignCommandTests.privatePEMBody))
                #expect(!text.contains("PRIVATE KEY"))
                #expect(!text.lowercased().contains(SignCommandTests.seedHex))
                #expect(!text.contains("tok-secret-99"))
            }
        }
        let shown = try TestSupport.wssniff("verify", file.path, "--nonce", "n-1", "--show-secrets")
        #expect(shown.stdout.contains("tok-secret-99"))
    }

    @Test func badInputsExitWithDocumentedCodes() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("missing.json").path
        #expect(try TestSupport.wssniff("verify", missing, "--nonce", "n").status == 66)
        func write(_ text: String) throws -> String {
            let url = directory.appendingPathComponent(UUID().uuidString + ".json")
            try Data(text.utf8).write(to: url)
            return url.path
        }
        let notJSON = try TestSupport.wssniff("verify", try write("{\"type\":\"req\","), "--nonce", "n")
        #expect(notJSON.status == 65)
        #expect(notJSON.stderr.contains("not JSON"))
        #expect(
            try TestSupport.wssniff("verify", try write("{\"type\":\"res\",\"id\":\"1\",\"ok\":true}"), "--nonce", "n")
                .status == 65
        )
        #expect(try TestSupport.wssniff("verify", try write("[1,2]"), "--nonce", "n").status == 65)
        #expect(
            try TestSupport.wssniff(
                "verify",
                try write("{\"type\":\"req\",\"id\":\"1\",\"method\":\"health\"}"),
                "--nonce",
                "n"
            ).status == 65
        )
        // stdin is empty in these tests: not JSON.
        #expect(try TestSupport.wssniff("verify", "-", "--nonce", "n").status == 65)
        let file = try Self.signedConnect(nonce: "n")
        #expect(try TestSupport.wssniff("verify", file.path).status == 64)
        #expect(try TestSupport.wssniff("verify", file.path, "--nonce", "n", "--format", "xml").status == 64)
        #expect(try TestSupport.wssniff("verify", file.path, "--nonce", "n", "--identity", missing).status == 66)
        #expect(
            try TestSupport.wssniff("verify", file.path, "--nonce", "n", "--identity", try write("{}")).status == 65
        )
    }

    /// One shape of `device.publicKey`: the device object (signed v3 with the RFC 8032 TEST 1 key over the fields of
    /// `keyShapeConnect`, `device.id` as the client sent it) and what OpenClaw 2026.3.13 does with it.
    struct KeyShape: Sendable, CustomStringConvertible {
        var name: String
        var device: String
        var cause: String
        var signedForm: String?
        var idMatches: Bool
        var summaryMentions: [String]
        var description: String { self.name }
    }

    /// The device objects were made by tools/gateway/proof.js (Node's crypto) with the test key; Ed25519 is
    /// deterministic, so the signatures are fixed. The causes are those of 2026.3.13's src/infra/device-identity.ts
    /// and message-handler.ts, as tools/gateway/gateway.js now reproduces them (samples/*-public-key.pcap).
    static let keyShapes: [KeyShape] = [
        KeyShape(
            name: "padded standard base64 of the raw key",
            device:
                #"{"id":"21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9","publicKey":"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=","signature":"04I1h90yiIs-CHLzdlgujTcDjsNDKVQKQv_iIj6AubpruiZqfMnmu2z6ksaLSH1LCDMPsy1sayajIw0BJq2aCw","signedAt":1700000000000,"nonce":"nonce-key-shape"}"#,
            cause: "accepted",
            signedForm: "v3",
            idMatches: true,
            summaryMentions: ["Every check passes; the gateway would accept this proof if the token and pairing"]
        ),
        KeyShape(
            name: "PEM",
            device:
                #"{"id":"21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9","publicKey":"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n","signature":"04I1h90yiIs-CHLzdlgujTcDjsNDKVQKQv_iIj6AubpruiZqfMnmu2z6ksaLSH1LCDMPsy1sayajIw0BJq2aCw","signedAt":1700000000000,"nonce":"nonce-key-shape"}"#,
            cause: "accepted",
            signedForm: "v3",
            idMatches: true,
            summaryMentions: ["Every check passes; the gateway would accept this proof if the token and pairing"]
        ),
        KeyShape(
            name: "44-byte SPKI DER, device.id its SHA-256",
            device:
                #"{"id":"06e3fd8fda29bb60ab59557de61edb0aecdb231134be30e75b455f8e1b792fa9","publicKey":"MCowBQYDK2VwAyEA11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","signature":"PWvyP1Gkn693b7C9kqnM3PAQrlQ7izNch5cAmhyDGuz5Ot-VMzal4EtM3vIFRgBcdEbnLxcSgCF9VSgyJmu1Aw","signedAt":1700000000000,"nonce":"nonce-key-shape"}"#,
            cause: "device-signature-invalid",
            signedForm: nil,
            idMatches: true,
            summaryMentions: [
                "\"device signature invalid\" (1008)", "the public key is the 44-byte SPKI DER form",
                "the signature does verify as v3 with the key inside the DER",
            ]
        ),
        KeyShape(
            name: "44-byte SPKI DER, device.id of the raw key",
            device:
                #"{"id":"21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9","publicKey":"MCowBQYDK2VwAyEA11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","signature":"04I1h90yiIs-CHLzdlgujTcDjsNDKVQKQv_iIj6AubpruiZqfMnmu2z6ksaLSH1LCDMPsy1sayajIw0BJq2aCw","signedAt":1700000000000,"nonce":"nonce-key-shape"}"#,
            cause: "device-identity-mismatch",
            signedForm: nil,
            idMatches: false,
            summaryMentions: [
                "06e3fd8fda29bb60ab59557de61edb0aecdb231134be30e75b455f8e1b792fa9",
                "is the SHA-256 of the raw key, but `device.publicKey` is the 44-byte SPKI DER form of it",
            ]
        ),
        KeyShape(
            name: "31 bytes, device.id their SHA-256",
            device:
                #"{"id":"6b96262807315723a4268c8f89058e3023850288511cbe677fb12a864f7c5449","publicKey":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUQ","signature":"7xfElIbqcwnmos9JIVjhkVI9OdwuXkRmjn6FsnDiL2qSPHLPSqNt4G8D6dtuPBLaR00V5XMk8tPnNAqYeJx-BA","signedAt":1700000000000,"nonce":"nonce-key-shape"}"#,
            cause: "device-signature-invalid",
            signedForm: nil,
            idMatches: true,
            summaryMentions: ["\"device signature invalid\" (1008)", "the public key decodes to 31 bytes"]
        ),
        KeyShape(
            name: "33 bytes (the raw key and one more), device.id their SHA-256",
            device:
                #"{"id":"dd111eb1306dbc81a64d8a7d47baa04ebf1ffb4b34b10757f1316dec7685df98","publicKey":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURoA","signature":"7mC41Oj14Tq-lM_Bb8y63pgwdiUDAxim7VslpmdGKT-Z9M2otPa3bNstWPZGG3smyMF9ecV0b_Nlyl42TsCUBg","signedAt":1700000000000,"nonce":"nonce-key-shape"}"#,
            cause: "accepted",
            signedForm: "v3",
            idMatches: true,
            summaryMentions: ["the public key decodes to 33 bytes: 2026.3.13 verifies with the first 32"]
        ),
    ]

    @Test(arguments: Self.keyShapes)
    func publicKeyShapesAsTheReleaseHandlesThem(shape: KeyShape) throws {
        let device = try #require(
            try JSONSerialization.jsonObject(with: Data(shape.device.utf8)) as? [String: Any]
        )
        let file = try Self.connect(
            device: device,
            clientId: "cli",
            clientMode: "cli",
            platform: "linux",
            scopes: ["operator.read"]
        )
        let result = try Self.verifyJSON(file, ["--nonce", "nonce-key-shape", "--challenge-ts", "1700000000000"])
        #expect(result.verdict["cause"] as? String == shape.cause, "\(result.verdict["summary"] ?? "")")
        #expect(result.verdict["observed"] as? Bool == false)
        #expect(result.proof["signedForm"] as? String == shape.signedForm)
        let checks = try #require(result.proof["checks"] as? [String: Any])
        #expect(checks["deviceIdMatchesPublicKey"] as? Bool == shape.idMatches)
        let summary = result.verdict["summary"] as? String ?? ""
        for mention in shape.summaryMentions {
            #expect(summary.contains(mention), "\(shape.name): \(summary)")
        }
        #expect(!summary.contains("device public key invalid"), "2026.3.13 never predicts row 14b: \(summary)")
    }
}
