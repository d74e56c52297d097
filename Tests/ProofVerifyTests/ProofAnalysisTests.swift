import ProofVerify
import Testing

@Suite struct ProofAnalysisTests {
    typealias Connect = ProofFixtures.Connect

    @Test func gatewayV3Verifies() throws {
        let analysis = ProofFixtures.analyze(Connect().params())
        #expect(analysis.candidates.map(\.form) == ["v3", "v2", "v1", "nonce", "nonce:ts", "nonce:signedAt", "v4"])
        #expect(analysis.candidates.map(\.verifies) == [true, false, false, false, false, false, false])
        #expect(analysis.signedForm == "v3")
        #expect(analysis.acceptedForms == ["v3", "v2"])
        #expect(analysis.verifiesInAcceptedForm)
        #expect(analysis.nearMiss == nil)
        #expect(analysis.explanation == nil)
        #expect(analysis.checks.deviceIdMatchesPublicKey == true)
        #expect(analysis.checks.nonceMatchesChallenge == true)
        #expect(analysis.checks.signedAtSkewMs == 412)
        #expect(analysis.checks.skewReference == .challengeTs)
        #expect(analysis.checks.signedAtWithinWindow == true)
        #expect(analysis.checks.protocolInRange == true)
        #expect(analysis.signedFormClause == "it verifies as v3, a form this gateway accepts")
    }

    @Test(arguments: [ProofForm.v2, .v1, .nonce, .nonceTs, .nonceSignedAt])
    func eachPlainFormIsNamed(form: ProofForm) {
        let analysis = ProofFixtures.analyze(Connect().params { ProofCandidates.payload(form, $0) })
        #expect(analysis.signedForm == form.rawValue)
        #expect(analysis.verifiesInAcceptedForm == (form == .v2))
        if form != .v2 {
            #expect(analysis.explanation != nil)
        }
    }

    @Test func noDeviceMeansNoProof() {
        var connect = Connect()
        connect.includeDevice = false
        #expect(ProofAnalysis.analyze(ProofAnalysis.Input(params: connect.params())) == nil)
    }

    @Test func skewFallsBackToCaptureTimeAndProtocolRange() {
        var connect = Connect()
        connect.minProtocol = 4
        connect.maxProtocol = 4
        let analysis = ProofAnalysis.analyze(
            ProofAnalysis.Input(
                params: connect.params(),
                captureTimeMs: ProofFixtures.challengeTs + 200_000,
                gatewayProtocol: 3
            )
        )
        #expect(analysis?.checks.signedAtSkewMs == 412 - 200_000)
        #expect(analysis?.checks.skewReference == .captureTime)
        #expect(analysis?.checks.signedAtWithinWindow == false)
        #expect(analysis?.checks.nonceMatchesChallenge == nil)
        #expect(analysis?.checks.protocolInRange == false)
        #expect(analysis?.signedForm == "v3")
    }

    @Test func gatewayProtocolSources() {
        let hello = GatewayMessage.classify(
            #"{"type":"res","id":"1","ok":true,"payload":{"type":"hello-ok","protocol":4}}"#
        )
        if case .response(let response) = hello {
            #expect(ProofAnalysis.gatewayProtocol(helloOK: response.helloOK, error: nil) == 4)
        }
        let error = GatewayError(
            code: "INVALID_REQUEST",
            message: "protocol mismatch",
            details: .object(JSONObject([("expectedProtocol", .number(JSONNumber(5)))]))
        )
        #expect(ProofAnalysis.gatewayProtocol(helloOK: nil, error: error) == 5)
        #expect(ProofAnalysis.gatewayProtocol(helloOK: nil, error: nil) == 3)
        #expect(ProofAnalysis.gatewayProtocol(helloOK: nil, error: nil, configured: 4) == 4)
    }

    @Test func checksFindMismatches() {
        var connect = Connect()
        connect.deviceId = String(repeating: "0", count: 64)
        connect.nonceJSON = #""other-nonce""#
        let analysis = ProofFixtures.analyze(connect.params())
        #expect(analysis.checks.deviceIdMatchesPublicKey == false)
        #expect(analysis.checks.nonceMatchesChallenge == false)
        #expect(analysis.derivedDeviceId == ProofFixtures.deviceId)
        // The payload uses device.id and device.nonce as sent, so the signature still verifies.
        #expect(analysis.signedForm == "v3")
        connect.nonceJSON = #""  ""#
        #expect(ProofFixtures.analyze(connect.params()).checks.nonceIsEmpty)
    }

    /// Signs `variant` of the gateway's fields and checks the near miss found.
    private func nearMiss(
        _ connect: Connect,
        form: ProofForm = .v3,
        earlierNonces: [String] = [],
        _ vary: @escaping (inout PayloadFields) -> Void
    ) -> ProofAnalysis {
        let params = connect.params { fields in
            var fields = fields
            vary(&fields)
            return ProofCandidates.payload(form, fields)
        }
        let analysis = ProofFixtures.analyze(params, earlierNonces: earlierNonces)
        #expect(!analysis.verifiesInAcceptedForm)
        return analysis
    }

    @Test func signedTheDeviceTokenWhileSendingAuthToken() {
        var connect = Connect()
        connect.authJSON = #"{"token":"shared-secret","deviceToken":"device-secret"}"#
        let analysis = self.nearMiss(connect) { $0.token = "device-secret" }
        #expect(analysis.signedForm == "v3:token=deviceToken")
        #expect(
            analysis.nearMiss?.explanation
                == "The client signed v3 with the device token, but the gateway signs with `auth.token`, which takes precedence."
        )
        #expect(analysis.explanation == analysis.nearMiss?.explanation)
        #expect(analysis.signedFormClause == "it verifies only as the near miss v3:token=deviceToken")
    }

    @Test func signedTheBootstrapTokenOrNone() {
        var connect = Connect()
        connect.authJSON = #"{"token":"shared-secret","bootstrapToken":"boot"}"#
        #expect(self.nearMiss(connect) { $0.token = "boot" }.signedForm == "v3:token=bootstrapToken")
        #expect(self.nearMiss(connect) { $0.token = "" }.signedForm == "v3:token=none")
        connect.authJSON = #"{"password":"pw"}"#
        #expect(self.nearMiss(connect) { $0.token = "pw" }.signedForm == "v3:token=password")
    }

    /// `auth.token: ""` is present and wins: the gateway signs an empty token even though a device token is sent.
    @Test func signedTheTokenWhenTheGatewayUsesEmpty() {
        var connect = Connect()
        connect.authJSON = #"{"token":"","deviceToken":"device-secret"}"#
        let analysis = self.nearMiss(connect) { $0.token = "device-secret" }
        #expect(analysis.signedForm == "v3:token=deviceToken")
        #expect(analysis.nearMiss?.explanation.contains("empty string") == true)
    }

    @Test func unnormalizedMetadata() {
        var connect = Connect()
        connect.platform = "  IOS  "
        connect.deviceFamily = "iPhone"
        #expect(self.nearMiss(connect) { $0.normalizePlatform = false }.signedForm == "v3:platform-unnormalized")
        #expect(
            self.nearMiss(connect) { $0.normalizeDeviceFamily = false }.signedForm == "v3:deviceFamily-unnormalized"
        )
        let both = self.nearMiss(connect) {
            $0.normalizePlatform = false
            $0.normalizeDeviceFamily = false
        }
        #expect(both.signedForm == "v3:metadata-unnormalized")
        connect.platform = "İOS"
        #expect(
            self.nearMiss(connect) { $0.platform = "i̇os" }.signedForm == "v3:metadata-unicode-lowercased"
        )
    }

    @Test func scopesReordered() {
        var connect = Connect()
        connect.scopesJSON = #"["operator.write","operator.admin","operator.read"]"#
        #expect(
            self.nearMiss(connect) { $0.scopes = "operator.admin,operator.read,operator.write" }.signedForm
                == "v3:scopes-sorted"
        )
        #expect(
            self.nearMiss(connect) { $0.scopes = "operator.read,operator.admin,operator.write" }.signedForm
                == "v3:scopes-reversed"
        )
        #expect(self.nearMiss(connect) { $0.scopes = "" }.signedForm == "v3:scopes-empty")
    }

    @Test func roleVariants() {
        var connect = Connect()
        let empty = self.nearMiss(connect) { $0.role = "" }
        #expect(empty.signedForm == "v3:role=empty")
        #expect(empty.nearMiss?.explanation.contains("the default when `role` is absent") == true)
        connect.roleJSON = #""node""#
        #expect(self.nearMiss(connect) { $0.role = "operator" }.signedForm == "v3:role=operator")
    }

    @Test func signedAtReplacedByTheChallengeTs() {
        let analysis = self.nearMiss(Connect()) { $0.signedAtMs = String(ProofFixtures.challengeTs) }
        #expect(analysis.signedForm == "v3:signedAt=challengeTs")
    }

    @Test func nonceVariants() {
        let earlier = "0b7c1f2e-1111-4222-8333-944455556666"
        let analysis = self.nearMiss(Connect(), earlierNonces: ["x", earlier]) { $0.nonce = earlier }
        #expect(analysis.signedForm == "v3:nonce=earlier-challenge")
        #expect(analysis.nearMiss?.explanation.contains(earlier) == true)
        var untrimmed = Connect()
        untrimmed.nonceJSON = "\" \(ProofFixtures.challengeNonce) \""
        #expect(
            self.nearMiss(untrimmed) { $0.nonce = " \(ProofFixtures.challengeNonce) " }.signedForm
                == "v3:nonce-untrimmed"
        )
        var other = Connect()
        other.nonceJSON = #""sent-nonce""#
        #expect(self.nearMiss(other) { $0.nonce = ProofFixtures.challengeNonce }.signedForm == "v3:nonce=challenge")
    }

    @Test func formTimesVariantAndCombinations() {
        var connect = Connect()
        connect.authJSON = #"{"token":"shared-secret"}"#
        let v2 = self.nearMiss(connect, form: .v2) { $0.token = "" }
        #expect(v2.signedForm == "v2:token=none")
        let v1 = self.nearMiss(connect, form: .v1) { $0.token = "" }
        #expect(v1.signedForm == "v1:token=none")
        #expect(
            v1.nearMiss?.explanation.hasPrefix("The client signed v1 (a form this gateway does not accept)") == true
        )
        let pair = self.nearMiss(connect) {
            $0.token = ""
            $0.scopes = "operator.read,operator.admin"
        }
        #expect(pair.signedForm == "v3:token=none+scopes-reversed")
        #expect(pair.nearMiss?.variations == ["token=none", "scopes-reversed"])
    }

    @Test func nothingMatches() {
        let analysis = self.nearMiss(Connect()) { $0.clientId = "somebody-else" }
        #expect(analysis.signedForm == nil)
        #expect(analysis.nearMiss == nil)
        #expect(analysis.nearMissesTried > 10)
        #expect(analysis.explanation?.hasPrefix("The signature verifies over none") == true)
    }

    @Test func theTokenNeverAppearsUnlessAsked() {
        var connect = Connect()
        connect.authJSON = #"{"token":"shared-secret","deviceToken":"device-secret"}"#
        let params = connect.params { fields in
            var fields = fields
            fields.token = "device-secret"
            return ProofCandidates.payload(.v3, fields)
        }
        let hidden = ProofFixtures.analyze(params)
        let texts =
            hidden.candidates.map(\.payload) + [
                hidden.nearMiss?.payload ?? "", hidden.nearMiss?.explanation ?? "", hidden.explanation ?? "",
                "\(hidden)",
            ]
        for text in texts {
            #expect(!text.contains("shared-secret"))
            #expect(!text.contains("device-secret"))
        }
        #expect(hidden.candidates[0].payload.contains(ProofCandidates.redacted("shared-secret")))
        #expect(hidden.nearMiss?.payload.contains(ProofCandidates.redacted("device-secret")) == true)
        let shown = ProofFixtures.analyze(params, showSecrets: true)
        #expect(shown.candidates[0].payload.contains("|shared-secret|"))
        #expect(shown.nearMiss?.payload.contains("|device-secret|") == true)
    }

    @Test func unusableKeysAndSignatures() {
        var smallOrder = Connect()
        smallOrder.publicKey = ProofFixtures.base64url([1] + [UInt8](repeating: 0, count: 31))
        let rejected = ProofFixtures.analyze(smallOrder.params())
        #expect(rejected.keyRejection == .smallOrder)
        #expect(rejected.candidates.allSatisfy { !$0.verifies })
        #expect(rejected.explanation?.contains("small-order") == true)

        var shortKey = Connect()
        shortKey.publicKey = "AAAA"
        let short = ProofFixtures.analyze(shortKey.params())
        #expect(short.publicKeyProblem != nil)
        #expect(short.checks.deviceIdMatchesPublicKey == false)

        var badSignature = Connect()
        badSignature.signature = "AAAA"
        #expect(ProofFixtures.analyze(badSignature.params()).signatureProblem != nil)

        var pem = Connect()
        pem.publicKey = Ed25519.pem(publicKey: ProofFixtures.publicKey).replacingOccurrences("\n", "\\n")
        let fromPEM = ProofFixtures.analyze(pem.params())
        #expect(fromPEM.publicKey?.encoding == .pem)
        #expect(fromPEM.checks.deviceIdMatchesPublicKey == true)
    }
}
