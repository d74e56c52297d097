import ProofVerify
import Testing

@Suite struct SignerTests {
    static let request = Signer.Request(
        nonce: ProofFixtures.challengeNonce,
        clientId: "cli",
        clientMode: "cli",
        scopes: ["operator.admin", "operator.read"],
        token: "shared-secret",
        platform: "  Linux ",
        signedAtMs: ProofFixtures.challengeTs + 412
    )

    @Test func signsV3AndTheGatewayAcceptsIt() throws {
        let proof = try Signer.sign(Self.request, with: ProofFixtures.key)
        #expect(
            proof.payload.text(showSecrets: true)
                == "v3|\(ProofFixtures.deviceId)|cli|cli|operator|operator.admin,operator.read|1773460000412|shared-secret|\(ProofFixtures.challengeNonce)|linux|"
        )
        #expect(proof.device.id == ProofFixtures.deviceId)
        #expect(proof.device.publicKey == ProofFixtures.wirePublicKey)
        #expect(proof.device.signature.count == 86)
        #expect(!proof.device.signature.contains("="))
        #expect(proof.device.signedAt == 1_773_460_000_412)
        #expect(proof.device.nonce == ProofFixtures.challengeNonce)

        // Send it as a client would and let the analysis verify it.
        let params = ConnectParams(
            try JSONParser.parse(
                #"{"minProtocol":3,"maxProtocol":3,"client":{"id":"cli","version":"1","platform":"  Linux ","mode":"cli"},"scopes":["operator.admin","operator.read"],"auth":{"token":"shared-secret"},"device":\#(proof.device.json.jsonText)}"#
            )
        )
        #expect(params.findings.isEmpty)
        let analysis = ProofFixtures.analyze(params)
        #expect(analysis.signedForm == "v3")
        #expect(analysis.verifiesInAcceptedForm)
    }

    @Test func signsV2() throws {
        var request = Self.request
        request.form = .v2
        let proof = try Signer.sign(request, with: ProofFixtures.key)
        #expect(proof.payload.text(showSecrets: false).hasPrefix("v2|"))
        #expect(proof.payload.text(showSecrets: false).hasSuffix("|\(ProofFixtures.challengeNonce)"))
    }

    @Test func jsonHidesTheTokenUnlessAsked() throws {
        let proof = try Signer.sign(Self.request, with: ProofFixtures.key)
        let hidden = proof.json(showSecrets: false).jsonText
        #expect(!hidden.contains("shared-secret"))
        #expect(hidden.contains(ProofCandidates.redacted("shared-secret")))
        #expect(hidden.hasPrefix(#"{"payload":"v3|"#))
        #expect(hidden.contains(#""device":{"id":""#))
        #expect(proof.json(showSecrets: true).jsonText.contains("|shared-secret|"))
        #expect(!"\(proof)".contains("shared-secret"))
    }

    /// Deterministic: the second v3 vector's signature with deviceId dev-2 is the known answer.
    @Test func signatureIsDeterministic() throws {
        let first = try Signer.sign(Self.request, with: ProofFixtures.key)
        let second = try Signer.sign(Self.request, with: ProofFixtures.key)
        #expect(first.device.signature == second.device.signature)
    }

    @Test func refusesOtherFormsAndEmptyNonces() {
        var request = Self.request
        request.form = .v1
        #expect(throws: ProofVerifyError(code: .invalidArgument, message: "")) {
            _ = try Signer.sign(request, with: ProofFixtures.key)
        }
        request.form = .v3
        request.nonce = " \u{FEFF}"
        #expect(throws: ProofVerifyError(code: .invalidArgument, message: "")) {
            _ = try Signer.sign(request, with: ProofFixtures.key)
        }
    }
}
