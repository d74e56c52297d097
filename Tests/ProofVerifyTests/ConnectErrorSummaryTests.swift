import ProofVerify
import Testing

/// Each detail code of upstream's connect-error-details.ts, and the words of 2026.3.13 and later gateways, gets a
/// summary under its cause that says what to do; what the wire does not show is not claimed.
@Suite struct ConnectErrorSummaryTests {
    typealias Connect = ProofFixtures.Connect

    struct Refusal: Sendable, CustomStringConvertible {
        var code: String
        var message: String
        var details: String
        var cause: GatewayVerdict.Cause
        var words: [String]
        var description: String { self.details }
    }

    static let refusals: [Refusal] = [
        Refusal(
            code: "NOT_PAIRED",
            message: "pairing rejected",
            details: #"{"code":"PAIRING_REJECTED"}"#,
            cause: .pairingRequired,
            words: ["rejected", "paired again"]
        ),
        Refusal(
            code: "NOT_PAIRED",
            message: "pairing expired",
            details: #"{"code":"PAIRING_EXPIRED"}"#,
            cause: .pairingRequired,
            words: ["expired before anyone approved it", "connect again"]
        ),
        Refusal(
            code: "NOT_PAIRED",
            message: "pairing required: device identity changed and must be re-approved",
            details: #"{"code":"PAIRING_REQUIRED","reason":"metadata-upgrade","requestId":"r-7"}"#,
            cause: .pairingRequired,
            words: [
                "\"metadata-upgrade\"", "openclaw devices approve r-7", "never approves role and metadata upgrades",
            ]
        ),
        Refusal(
            code: "INVALID_REQUEST",
            message: "client version mismatch",
            details: #"{"code":"CLIENT_VERSION_MISMATCH"}"#,
            cause: .protocolMismatch,
            words: ["CLIENT_VERSION_MISMATCH", "update the client"]
        ),
        Refusal(
            code: "UNAVAILABLE",
            message: "control ui build mismatch",
            details: #"{"code":"CONTROL_UI_BUILD_MISMATCH","reloadRequired":true,"gatewayBuildId":"b-2"}"#,
            cause: .protocolMismatch,
            words: ["reload the page"]
        ),
        Refusal(
            code: "INVALID_REQUEST",
            message: "unauthorized: scope mismatch",
            details: #"{"code":"AUTH_SCOPE_MISMATCH"}"#,
            cause: .unauthorized,
            words: ["approved scopes"]
        ),
        Refusal(
            code: "INVALID_REQUEST",
            message: "unauthorized: too many failed authentication attempts (retry later)",
            details: #"{"code":"AUTH_RATE_LIMITED","retryAfterMs":30000}"#,
            cause: .unauthorized,
            words: ["rate limiter", "30000 ms", "every client behind one address"]
        ),
        Refusal(
            code: "INVALID_REQUEST",
            message: "unauthorized: device token mismatch (rotate/reissue device token)",
            details:
                #"{"code":"AUTH_DEVICE_TOKEN_MISMATCH","canRetryWithDeviceToken":true,"recommendedNextStep":"retry_with_device_token"}"#,
            cause: .unauthorized,
            words: ["stale token", "allow one retry with the device token", "retry_with_device_token"]
        ),
        Refusal(
            code: "INVALID_REQUEST",
            message: "unauthorized: gateway token missing",
            details: #"{"code":"AUTH_TOKEN_MISSING"}"#,
            cause: .unauthorized,
            words: ["sent no shared token"]
        ),
        Refusal(
            code: "INVALID_REQUEST",
            message: "unauthorized: gateway token not configured",
            details: #"{"code":"AUTH_TOKEN_NOT_CONFIGURED"}"#,
            cause: .unauthorized,
            words: ["no token configured"]
        ),
        Refusal(
            code: "INVALID_REQUEST",
            message: "unauthorized: gateway password mismatch",
            details: #"{"code":"AUTH_PASSWORD_MISMATCH"}"#,
            cause: .unauthorized,
            words: ["`gateway.auth.password`"]
        ),
        Refusal(
            code: "INVALID_REQUEST",
            message: "unauthorized: bootstrap token invalid",
            details: #"{"code":"AUTH_BOOTSTRAP_TOKEN_INVALID"}"#,
            cause: .unauthorized,
            words: ["bootstrap"]
        ),
        Refusal(
            code: "INVALID_REQUEST",
            message: "unauthorized: tailscale identity missing",
            details: #"{"code":"AUTH_TAILSCALE_IDENTITY_MISSING"}"#,
            cause: .unauthorized,
            words: ["Tailscale"]
        ),
        Refusal(
            code: "INVALID_REQUEST",
            message: "device signature invalid",
            details: #"{"code":"DEVICE_AUTH_SIGNATURE_INVALID","reason":"device-signature"}"#,
            cause: .deviceSignatureInvalid,
            words: ["v3"]
        ),
    ]

    static func verdict(_ refusal: Refusal, closeReason: String? = nil) -> GatewayVerdict {
        let response =
            #"{"type":"res","id":"c1","ok":false,"error":{"code":"\#(refusal.code)","message":"\#(refusal.message)","details":\#(refusal.details)}}"#
        return GatewayVerdict.decide(
            GatewayVerdictTests.facts(
                response: response,
                closes: GatewayVerdictTests.serverClose(1008, closeReason ?? "")
            )
        )
    }

    @Test(arguments: Self.refusals)
    func eachDetailCodeHasItsSummary(refusal: Refusal) {
        let verdict = Self.verdict(refusal, closeReason: refusal.message)
        #expect(verdict.cause == refusal.cause, "\(verdict.summary)")
        #expect(verdict.observed)
        for word in refusal.words {
            #expect(verdict.summary.contains(word), "\"\(word)\" missing from: \(verdict.summary)")
        }
    }

    /// A detail code under a message wssniff does not map by its words still names its cause.
    @Test func detailCodeAloneNamesTheCause() {
        let refusal = Refusal(
            code: "INVALID_REQUEST",
            message: "something new",
            details: #"{"code":"AUTH_TOKEN_MISMATCH"}"#,
            cause: .unauthorized,
            words: []
        )
        let verdict = Self.verdict(refusal)
        #expect(verdict.cause == .unauthorized)
        #expect(verdict.summary.contains("is not `gateway.auth.token`"))
    }

    /// Issue 18: a 1002 captured without its error response does not claim the gateway's protocol.
    @Test func a1002WithoutItsResponseClaimsNoProtocol() {
        var connect = Connect()
        connect.minProtocol = 4
        connect.maxProtocol = 4
        let verdict = GatewayVerdict.decide(
            GatewayVerdictTests.facts(connect, closes: GatewayVerdictTests.serverClose(1002, "protocol mismatch"))
        )
        #expect(verdict.cause == .protocolMismatch)
        #expect(verdict.observed)
        #expect(verdict.summary.contains("offered protocol 4..4"))
        #expect(verdict.summary.contains("is not in the capture"))
        #expect(!verdict.summary.contains("speaks 3:"))
        #expect(!verdict.summary.contains("gateway speaks 3"))
    }

    @Test func pairingOfANonLocalClient() {
        var facts = GatewayVerdictTests.facts(
            response:
                #"{"type":"res","id":"c1","ok":false,"error":{"code":"NOT_PAIRED","message":"pairing required","details":{"code":"PAIRING_REQUIRED","reason":"not-paired","requestId":"req-9"}}}"#,
            closes: GatewayVerdictTests.serverClose(1008, "pairing required")
        )
        facts.clientLocality = "its address 172.17.0.1 is not loopback"
        facts.clientIsLocal = false
        let verdict = GatewayVerdict.decide(facts)
        #expect(verdict.cause == .pairingRequired)
        #expect(verdict.summary.contains("not local to the gateway (its address 172.17.0.1 is not loopback)"))
        #expect(verdict.summary.contains("Docker bridge"))
        #expect(verdict.summary.contains("openclaw devices approve req-9"))
        facts.clientIsLocal = true
        #expect(!GatewayVerdict.decide(facts).summary.contains("not local"))
    }

    /// Only the close, its request id cut at 120 bytes: the id is not given as if whole.
    @Test func aCutRequestIdInTheCloseAlone() {
        let reason =
            "pairing required: device is asking for more scopes than currently approved (requestId: 0b8f3c2e-54a1-4c"
        let verdict = GatewayVerdict.decide(
            GatewayVerdictTests.facts(closes: GatewayVerdictTests.serverClose(1008, reason))
        )
        #expect(verdict.cause == .pairingRequired)
        #expect(verdict.summary.contains("\"scope-upgrade\""))
        #expect(verdict.summary.contains("`openclaw devices approve <requestId>`"))
        #expect(verdict.summary.contains("take the full id from `openclaw devices list`"))
    }

    @Test func startingAsksForTheRetryTheGatewayGave() {
        let verdict = GatewayVerdict.decide(
            GatewayVerdictTests.facts(
                response:
                    #"{"type":"res","id":"c1","ok":false,"error":{"code":"UNAVAILABLE","message":"gateway starting; retry shortly","retryable":true,"retryAfterMs":750,"details":{"reason":"startup-sidecars"}}}"#,
                closes: GatewayVerdictTests.serverClose(1013, "gateway starting")
            )
        )
        #expect(verdict.cause == .gatewayStarting)
        #expect(verdict.summary.contains("retry after 750 ms"))
        #expect(verdict.summary.contains("startup-sidecars"))
    }

    /// `verify`'s schema difference: a newer auth field fails 2026.3.13's closed schema, not the current one's.
    @Test func newerAuthFieldsByProfile() {
        var connect = Connect()
        connect.authJSON = #"{"token":"t","agentRuntimeIdentityToken":"x"}"#
        var facts = GatewayVerdictTests.facts(connect)
        facts.source = .pastedConnect
        let old = GatewayVerdict.decide(facts)
        #expect(old.cause == .invalidConnectParams)
        #expect(!old.observed)
        #expect(old.summary.contains("`auth.agentRuntimeIdentityToken`"))
        #expect(old.summary.contains("2026.3.13 does not know"))

        facts.profileChoice = GatewayProfile.Choice(profile: .current, basis: .option, reason: "given")
        // The connect offers 3..3, which the current gateway (protocol 4) refuses for its range, not its schema.
        facts.gatewayProtocol = 4
        let current = GatewayVerdict.decide(facts)
        #expect(current.cause == .protocolMismatch)
        #expect(current.summary.contains("one version behind"))
    }

    /// Current admission, predicted: a probe and a legacy node offering 3..3 pass; an operator CLI does not.
    @Test func currentAdmissionPredicted() {
        let current = GatewayProfile.Choice(profile: .current, basis: .option, reason: "given")
        var probe = Connect()
        probe.clientId = "openclaw-probe"
        probe.clientMode = "probe"
        var facts = GatewayVerdictTests.facts(probe)
        facts.profileChoice = current
        facts.gatewayProtocol = 4
        #expect(GatewayVerdict.decide(facts).cause != .protocolMismatch)

        var cli = GatewayVerdictTests.facts(Connect())
        cli.profileChoice = current
        cli.gatewayProtocol = 4
        #expect(GatewayVerdict.decide(cli).cause == .protocolMismatch)
    }

    /// A client that signs v4: the candidate is rebuilt, and no gateway of the known profiles verifies it.
    @Test func aV4SignatureIsNamed() {
        let verdict = GatewayVerdict.decide(
            GatewayVerdictTests.facts(
                response: GatewayVerdictTests.refusal("INVALID_REQUEST", "device signature invalid"),
                closes: GatewayVerdictTests.serverClose(1008, "device signature invalid"),
                signing: { ProofCandidates.payload(.v4, $0) }
            )
        )
        #expect(verdict.cause == .deviceSignatureInvalid)
        #expect(verdict.summary.contains("signed the v4 payload"), "\(verdict.summary)")
        #expect(verdict.summary.contains("no gateway of the known profiles"))
    }

    /// A later client's connect (4..4) with no answer and no version in the capture: 2026.3.13 would refuse it, a
    /// later gateway would not, so wssniff does not guess; a 3..3 connect keeps the 2026.3.13 prediction.
    @Test func aLaterClientWithoutTheGatewaysVersionIsNotGuessed() {
        var connect = Connect()
        connect.minProtocol = 4
        connect.maxProtocol = 4
        let unknown = GatewayVerdict.decide(GatewayVerdictTests.facts(connect))
        #expect(unknown.cause == .incompleteCapture)
        #expect(unknown.summary.contains("depends on its version"))
        #expect(unknown.summary.contains("as 2026.3.13 it would be `protocol-mismatch`"))
        #expect(unknown.summary.contains("`--gateway-version`"))

        var given = GatewayVerdictTests.facts(connect)
        given.profileChoice = GatewayProfile.Choice(profile: .v2026_3_13, basis: .option, reason: "given")
        #expect(GatewayVerdict.decide(given).cause == .protocolMismatch)

        var old = Connect()
        old.nonceJSON = #""stale""#
        #expect(GatewayVerdict.decide(GatewayVerdictTests.facts(old)).cause == .deviceNonceMismatch)
    }
}
