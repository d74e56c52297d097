import ProofVerify
import Testing

@Suite struct GatewayVerdictTests {
    typealias Connect = ProofFixtures.Connect
    typealias Close = HandshakeFacts.Close

    /// Facts as the analyzer assembles them from a capture: the challenge, the client's first message, the
    /// gateway's `res` and close frames.
    static func facts(
        _ connect: Connect = Connect(),
        firstMessage: String? = nil,
        response: String? = nil,
        closes: [Close] = [],
        challenge: ConnectChallenge? = ProofFixtures.challenge,
        connectAfterTimeout: Bool = false,
        challengeToConnectMs: Int64? = 35,
        frameLevel: FrameLevelCause? = nil,
        startCaptured: Bool = true,
        missingEvidence: String? = nil,
        signing payload: @escaping (PayloadFields) -> PayloadText? = { ProofCandidates.payload(.v3, $0) }
    ) -> HandshakeFacts {
        let text = firstMessage ?? connect.request(signing: payload)
        let message = GatewayMessage.classify(text)
        var responseFrame: GatewayResponse?
        if let response, case .response(let parsed) = GatewayMessage.classify(response) {
            responseFrame = parsed
        }
        let gatewayProtocol = ProofAnalysis.gatewayProtocol(
            helloOK: responseFrame?.helloOK,
            error: responseFrame?.error
        )
        var proof: ProofAnalysis?
        if case .request(let request) = message, let params = request.connectParams {
            proof = ProofAnalysis.analyze(
                ProofAnalysis.Input(params: params, challenge: challenge, gatewayProtocol: gatewayProtocol)
            )
        }
        return HandshakeFacts(
            challenge: challenge,
            firstClientMessage: firstMessage == "" ? nil : message,
            response: responseFrame,
            closes: closes,
            connectAfterTimeout: connectAfterTimeout,
            challengeToConnectMs: challengeToConnectMs,
            proof: proof,
            gatewayProtocol: gatewayProtocol,
            frameLevel: frameLevel,
            startCaptured: startCaptured,
            missingEvidence: missingEvidence
        )
    }

    static func refusal(_ code: String, _ message: String, details: String? = nil) -> String {
        let detailsJSON = details.map { #","details":\#($0)"# } ?? ""
        return
            #"{"type":"res","id":"c1","ok":false,"error":{"code":"\#(code)","message":"\#(message)"\#(detailsJSON)}}"#
    }

    static func serverClose(_ code: UInt16, _ reason: String = "") -> [Close] {
        [Close(direction: .server, code: code, reason: reason), Close(direction: .client, code: code, reason: reason)]
    }

    static let hello =
        #"{"type":"res","id":"c1","ok":true,"payload":{"type":"hello-ok","protocol":3,"server":{"version":"2026.3.13","connId":"k1"},"features":{},"snapshot":{},"policy":{"maxPayload":26214400,"maxBufferedBytes":52428800,"tickIntervalMs":30000}}}"#

    /// One realistic scenario per cause.
    static let scenarios: [(GatewayVerdict.Cause, Bool, @Sendable () -> HandshakeFacts)] = [
        (.accepted, true, { facts(response: hello) }),
        (
            .protocolMismatch, true,
            {
                var connect = Connect()
                connect.minProtocol = 4
                connect.maxProtocol = 4
                return facts(
                    connect,
                    response: refusal("INVALID_REQUEST", "protocol mismatch", details: #"{"expectedProtocol":3}"#),
                    closes: serverClose(1002, "protocol mismatch")
                )
            }
        ),
        (
            .frameViolation, true,
            {
                facts(
                    closes: serverClose(1002),
                    frameLevel: FrameLevelCause(
                        kind: .frameViolation,
                        summary:
                            "1002 with an empty reason from the `ws` library: the client's frame 2 is not masked; the proof was never read."
                    )
                )
            }
        ),
        (.invalidUTF8, true, { facts(closes: serverClose(1007)) }),
        (.messageTooBig, true, { facts(closes: serverClose(1009)) }),
        (
            .invalidRequestFrame, true,
            {
                facts(
                    firstMessage: #"{"type":"request","method":"connect"}"#,
                    closes: serverClose(1008, "invalid request frame")
                )
            }
        ),
        (
            .invalidHandshake, true,
            {
                facts(
                    firstMessage: #"{"type":"req","id":"h1","method":"health","params":{}}"#,
                    response: refusal("INVALID_REQUEST", "invalid handshake: first request must be connect"),
                    closes: serverClose(1008, "invalid handshake: first request must be connect")
                )
            }
        ),
        (
            .invalidConnectParams, true,
            {
                var connect = Connect()
                connect.clientId = "CLI"
                return facts(
                    connect,
                    response: refusal(
                        "INVALID_REQUEST",
                        "invalid connect params: at /client/id: must be equal to one of the allowed values"
                    ),
                    closes: serverClose(
                        1008,
                        "invalid connect params: at /client/id: must be equal to one of the allowed values"
                    )
                )
            }
        ),
        (
            .invalidRole, true,
            {
                var connect = Connect()
                connect.roleJSON = #""Operator""#
                return facts(
                    connect,
                    response: refusal("INVALID_REQUEST", "invalid role"),
                    closes: serverClose(1008, "invalid role")
                )
            }
        ),
        (
            .deviceIdentityMismatch, true,
            {
                var connect = Connect()
                connect.deviceId = "dev-1"
                return facts(
                    connect,
                    response: refusal("INVALID_REQUEST", "device identity mismatch"),
                    closes: serverClose(1008, "device identity mismatch")
                )
            }
        ),
        (
            .deviceSignatureExpired, true,
            {
                var connect = Connect()
                connect.signedAt = ProofFixtures.challengeTs - 600_000
                return facts(
                    connect,
                    response: refusal("INVALID_REQUEST", "device signature expired"),
                    closes: serverClose(1008, "device signature expired")
                )
            }
        ),
        (
            .deviceNonceRequired, true,
            {
                var connect = Connect()
                connect.nonceJSON = #"" ""#
                return facts(
                    connect,
                    response: refusal("INVALID_REQUEST", "device nonce required"),
                    closes: serverClose(1008, "device nonce required")
                )
            }
        ),
        (
            .deviceNonceMismatch, true,
            {
                var connect = Connect()
                connect.nonceJSON = #""stale-nonce""#
                return facts(
                    connect,
                    response: refusal("INVALID_REQUEST", "device nonce mismatch"),
                    closes: serverClose(1008, "device nonce mismatch")
                )
            }
        ),
        (
            .deviceSignatureInvalid, true,
            {
                facts(
                    response: refusal("INVALID_REQUEST", "device signature invalid"),
                    closes: serverClose(1008, "device signature invalid"),
                    signing: { ProofCandidates.payload(.nonce, $0) }
                )
            }
        ),
        (
            .devicePublicKeyInvalid, true,
            {
                facts(
                    response: refusal("INVALID_REQUEST", "device public key invalid"),
                    closes: serverClose(1008, "device public key invalid")
                )
            }
        ),
        (
            .deviceIdentityRequired, true,
            {
                var connect = Connect()
                connect.includeDevice = false
                return facts(
                    connect,
                    response: refusal("NOT_PAIRED", "device identity required"),
                    closes: serverClose(1008, "device identity required")
                )
            }
        ),
        (
            .unauthorized, true,
            {
                var connect = Connect()
                connect.includeDevice = false
                connect.authJSON = #"{"token":"wrong"}"#
                return facts(
                    connect,
                    response: refusal(
                        "INVALID_REQUEST",
                        "unauthorized: gateway token mismatch (set gateway.remote.token)"
                    ),
                    closes: serverClose(1008, "unauthorized: gateway token mismatch (set gateway.remote.token)")
                )
            }
        ),
        (
            .pairingRequired, true,
            {
                facts(
                    response: refusal(
                        "NOT_PAIRED",
                        "pairing required",
                        details: #"{"code":"PAIRING_REQUIRED","requestId":"req-42","reason":"role-upgrade"}"#
                    ),
                    closes: serverClose(1008, "pairing required")
                )
            }
        ),
        (
            .gatewayStarting, true,
            {
                facts(
                    response: refusal(
                        "UNAVAILABLE",
                        "gateway starting; retry shortly",
                        details: #"{"reason":"startup-sidecars"}"#
                    ),
                    closes: serverClose(1013, "gateway starting")
                )
            }
        ),
        (
            .handshakeTimeout, true,
            { facts(closes: serverClose(1000), connectAfterTimeout: true, challengeToConnectMs: 4_200) }
        ),
        (
            .upgradeRejected, true,
            {
                facts(
                    firstMessage: "",
                    frameLevel: FrameLevelCause(
                        kind: .upgradeRejected,
                        summary: "The gateway answered the upgrade with 400."
                    )
                )
            }
        ),
        (.incompleteCapture, false, { facts() }),
        (
            .notGateway, false,
            { facts(firstMessage: #"{"hello":"world"}"#, challenge: nil) }
        ),
        (
            .notWebSocket, true,
            {
                facts(
                    firstMessage: "",
                    frameLevel: FrameLevelCause(kind: .notWebSocket, summary: "No HTTP upgrade on this connection.")
                )
            }
        ),
        (
            .originNotAllowed, true,
            {
                var made = facts(
                    response: refusal("INVALID_REQUEST", "origin not allowed"),
                    closes: serverClose(1008, "origin not allowed")
                )
                made.timeline.origin = "http://nas.local:18789"
                return made
            }
        ),
        (
            .gatewayClosed, true,
            {
                var made = facts(response: hello, closes: serverClose(1012, "service restart"))
                made.timeline.sessionMs = 65_000
                return made
            }
        ),
        (
            .connectionDropped, true,
            {
                var made = facts()
                made.connectionEnded = true
                made.timeline.tcpEnd = ConnectionTimeline.TCPEnd(side: .server, kind: .rst, msAfterLastMessage: 12)
                return made
            }
        ),
        (
            .clientClosed, true,
            {
                facts(
                    firstMessage: "",
                    closes: [
                        Close(direction: .client, code: 4008, reason: "connect failed"),
                        Close(direction: .server, code: 4008, reason: "connect failed"),
                    ]
                )
            }
        ),
    ]

    @Test func everyCauseHasAScenario() {
        #expect(Set(Self.scenarios.map(\.0)) == Set(GatewayVerdict.Cause.allCases))
    }

    @Test(arguments: Self.scenarios.indices)
    func everyCauseIsReachable(index: Int) {
        let (cause, observed, make) = Self.scenarios[index]
        let verdict = GatewayVerdict.decide(make())
        #expect(verdict.cause == cause, "\(verdict.summary)")
        #expect(verdict.observed == observed, "\(verdict.summary)")
        #expect(!verdict.summary.isEmpty)
        #expect(verdict.summary.last == ".")
    }

    /// The NAS report's case, word for word: both ranges, and which side to update.
    @Test func protocolMismatchSummary() {
        var connect = Connect()
        connect.minProtocol = 4
        connect.maxProtocol = 4
        let verdict = GatewayVerdict.decide(
            Self.facts(
                connect,
                response: Self.refusal("INVALID_REQUEST", "protocol mismatch", details: #"{"expectedProtocol":3}"#),
                closes: Self.serverClose(1002, "protocol mismatch")
            )
        )
        #expect(
            verdict.summary
                == "The gateway closed with 1002 \"protocol mismatch\": the client offered protocol 4..4 and the gateway speaks 3: the client is one version ahead of the gateway (2026.3.13 speaks 3; later releases 4). Update the gateway, or use a client of the gateway's version. The device proof was never checked; it verifies as v3, a form this gateway accepts."
        )
    }

    @Test func frameLevelCauseWinsOverTheGatewayAnswer() {
        let frame = FrameLevelCause(kind: .invalidUTF8, summary: "1007: the client's text message 1 is not UTF-8.")
        let verdict = GatewayVerdict.decide(Self.facts(response: Self.hello, frameLevel: frame))
        #expect(verdict.cause == .invalidUTF8)
        #expect(verdict.summary == frame.summary)
    }

    /// A 1002 with an empty reason is never the envelope.
    @Test func bare1002IsAFrameViolationEvenAfterABadProof() {
        let verdict = GatewayVerdict.decide(
            Self.facts(closes: Self.serverClose(1002), signing: { ProofCandidates.payload(.nonce, $0) })
        )
        #expect(verdict.cause == .frameViolation)
        #expect(verdict.summary.contains("never means a wrong envelope"))
    }

    @Test func signatureInvalidNamesTheNearMiss() {
        var connect = Connect()
        connect.authJSON = #"{"token":"shared-secret","deviceToken":"device-secret"}"#
        let verdict = GatewayVerdict.decide(
            Self.facts(
                connect,
                response: Self.refusal("INVALID_REQUEST", "device signature invalid"),
                closes: Self.serverClose(1008, "device signature invalid"),
                signing: { fields in
                    var fields = fields
                    fields.token = "device-secret"
                    return ProofCandidates.payload(.v3, fields)
                }
            )
        )
        #expect(verdict.cause == .deviceSignatureInvalid)
        #expect(verdict.summary.contains("signs with `auth.token`, which takes precedence"))
        #expect(!verdict.summary.contains("secret"))
    }

    @Test func acceptedWithoutDeviceWarnsAboutScopes() {
        var connect = Connect()
        connect.includeDevice = false
        connect.authJSON = #"{"token":"t"}"#
        let verdict = GatewayVerdict.decide(Self.facts(connect, response: Self.hello))
        #expect(verdict.cause == .accepted)
        #expect(verdict.summary.contains("missing scope"))
        let signed = GatewayVerdict.decide(Self.facts(response: Self.hello))
        #expect(
            signed.summary
                == "The gateway accepted the connect (protocol 3, server 2026.3.13); the device proof: it verifies as v3, a form this gateway accepts."
        )
    }

    @Test func pairingSummaryNamesTheRequest() {
        let verdict = GatewayVerdict.decide(
            Self.facts(
                response: Self.refusal(
                    "NOT_PAIRED",
                    "pairing required",
                    details: #"{"code":"PAIRING_REQUIRED","requestId":"req-42","reason":"role-upgrade"}"#
                ),
                closes: Self.serverClose(1008, "pairing required")
            )
        )
        #expect(verdict.summary.contains("openclaw devices approve req-42"))
        #expect(verdict.summary.contains("role-upgrade"))
    }

    @Test func closeReasonAloneIsObserved() {
        var connect = Connect()
        connect.nonceJSON = #""stale-nonce""#
        let verdict = GatewayVerdict.decide(
            Self.facts(connect, closes: Self.serverClose(1008, "device nonce mismatch"))
        )
        #expect(verdict.cause == .deviceNonceMismatch)
        #expect(verdict.observed)
    }

    @Test func notJSONFirstMessageClosedWith1000() {
        let verdict = GatewayVerdict.decide(Self.facts(firstMessage: "hello gateway", closes: Self.serverClose(1000)))
        #expect(verdict.cause == .invalidRequestFrame)
        #expect(verdict.observed)
    }

    /// Predictions run the gateway's checks in section 5's order.
    @Test(arguments: [
        ("protocol", GatewayVerdict.Cause.protocolMismatch),
        ("schema", .invalidConnectParams),
        ("role", .invalidRole),
        ("identity", .deviceIdentityMismatch),
        ("expired", .deviceSignatureExpired),
        ("nonce-empty", .deviceNonceRequired),
        ("nonce", .deviceNonceMismatch),
        ("signature", .deviceSignatureInvalid),
        // 2026.3.13 verifies before it normalizes the key: a key it cannot use is "device signature invalid".
        ("small-order", .deviceSignatureInvalid),
        ("no-device", .deviceIdentityRequired),
        ("late", .handshakeTimeout),
        ("method", .invalidHandshake),
        ("not-json", .invalidRequestFrame),
        ("fine", .incompleteCapture),
        ("no-connect", .incompleteCapture),
    ])
    func predictedCauses(scenario: String, expected: GatewayVerdict.Cause) {
        var connect = Connect()
        var firstMessage: String?
        var payload: (PayloadFields) -> PayloadText? = { ProofCandidates.payload(.v3, $0) }
        var late = false
        switch scenario {
        case "protocol":
            connect.minProtocol = 4
            connect.maxProtocol = 5
            // Everything else is wrong too: the protocol comes first.
            connect.nonceJSON = #""stale""#
        case "schema": connect.clientMode = "desktop"
        case "role": connect.roleJSON = #""admin""#
        case "identity": connect.deviceId = String(repeating: "a", count: 64)
        case "expired": connect.signedAt = ProofFixtures.challengeTs + 120_001
        case "nonce-empty": connect.nonceJSON = #""\u00a0""#
        case "nonce": connect.nonceJSON = #""stale""#
        case "signature": payload = { ProofCandidates.payload(.v1, $0) }
        case "small-order":
            let identity = [UInt8(1)] + [UInt8](repeating: 0, count: 31)
            connect.publicKey = ProofFixtures.base64url(identity)
            connect.deviceId = Ed25519.deviceId(publicKey: identity)
        case "no-device": connect.includeDevice = false
        case "late": late = true
        case "method": firstMessage = #"{"type":"req","id":"1","method":"health"}"#
        case "not-json": firstMessage = "hello"
        case "no-connect": firstMessage = ""
        default: break
        }
        var facts = Self.facts(connect, firstMessage: firstMessage, connectAfterTimeout: late, signing: payload)
        // The 2026.3.13 gateway's order, that version given: unknown, a 4..5 connect's fate would hang on it.
        facts.profileChoice = GatewayProfile.Choice(profile: .v2026_3_13, basis: .option, reason: "given")
        let verdict = GatewayVerdict.decide(facts)
        #expect(verdict.cause == expected, "\(verdict.summary)")
        #expect(!verdict.observed)
        #expect(verdict.predictionReason != nil)
    }

    @Test func predictedSummarySaysWhatTheGatewayWouldDo() {
        var connect = Connect()
        connect.nonceJSON = #""stale""#
        let verdict = GatewayVerdict.decide(Self.facts(connect))
        #expect(
            verdict.summary
                == "The capture ends before the gateway answered; the gateway would refuse it with \"device nonce mismatch\" (1008): `device.nonce` (stale) is not this connection's challenge nonce (\(ProofFixtures.challengeNonce)); sign and send the nonce of the challenge you answer."
        )
    }

    /// The same connect, as a capture that ends before the answer and as a connect given alone (`wssniff
    /// verify`): the capture's verdict speaks of the capture; the pasted connect's passes as `accepted`, predicted,
    /// and refuses in a sentence of its own, neither speaking of a capture.
    @Test func pastedConnectIsJudgedInItsOwnWords() {
        var captured = Self.facts()
        #expect(GatewayVerdict.decide(captured).cause == .incompleteCapture)
        captured.source = .pastedConnect
        let passing = GatewayVerdict.decide(captured)
        #expect(passing.cause == .accepted)
        #expect(!passing.observed)
        #expect(
            passing.summary
                == "Every check passes; the gateway would accept this proof if the token and pairing are right (it "
                + "verifies as v3, a form this gateway accepts)."
        )
        #expect(passing.predictionReason?.contains("token and the pairing") == true)

        var connect = Connect()
        connect.nonceJSON = #""stale""#
        var stale = Self.facts(connect)
        stale.source = .pastedConnect
        let refused = GatewayVerdict.decide(stale)
        #expect(refused.cause == .deviceNonceMismatch)
        #expect(
            refused.summary
                == "The gateway would refuse this connect with \"device nonce mismatch\" (1008): `device.nonce` "
                + "(stale) is not the challenge nonce given (\(ProofFixtures.challengeNonce)); sign and send the "
                + "nonce of the challenge you answer."
        )
        for verdict in [passing, refused] {
            #expect(!verdict.summary.contains("capture"), "\(verdict.summary)")
        }
    }

    @Test func messageToCause() {
        #expect(GatewayVerdict.cause(forMessage: "unauthorized: gateway password missing") == .unauthorized)
        #expect(GatewayVerdict.cause(forMessage: "origin not allowed (https://evil)") == .originNotAllowed)
        #expect(
            GatewayVerdict.cause(
                forMessage: "control ui requires device identity (use HTTPS or localhost secure context)"
            ) == .deviceIdentityRequired
        )
        #expect(GatewayVerdict.cause(forMessage: "invalid role") == .invalidRole)
        #expect(GatewayVerdict.cause(forMessage: "something else") == nil)
    }

    // MARK: Invalid role

    /// Row 7 of the gateway's checks: any string passes the schema, the role check refuses it on its own.
    @Test(arguments: [#""Operator""#, #""admin""#, #""node ""#])
    func aRoleOtherThanOperatorOrNodeIsTheRoleCheck(role: String) {
        var connect = Connect()
        connect.roleJSON = role
        let observed = GatewayVerdict.decide(
            Self.facts(
                connect,
                response: Self.refusal("INVALID_REQUEST", "invalid role"),
                closes: Self.serverClose(1008, "invalid role")
            )
        )
        #expect(observed.cause == .invalidRole)
        #expect(observed.observed)
        #expect(observed.summary.contains("role check"), "\(observed.summary)")
        #expect(!observed.summary.contains("schema at /role"), "\(observed.summary)")
        let predicted = GatewayVerdict.decide(Self.facts(connect))
        #expect(predicted.cause == .invalidRole)
        #expect(!predicted.observed)
        #expect(predicted.summary.contains("\"invalid role\" (1008)"), "\(predicted.summary)")
        #expect(predicted.summary.contains("role check"))
    }

    // MARK: Captures that start mid-connection

    /// The capture starts at the connect: no upgrade, no challenge, the gateway's hello-ok. Accepted, observed,
    /// and the summary says what cannot be checked without the challenge.
    @Test func aCaptureStartingAtTheConnectWithHelloOKIsAccepted() {
        let verdict = GatewayVerdict.decide(
            Self.facts(response: Self.hello, challenge: nil, challengeToConnectMs: nil, startCaptured: false)
        )
        #expect(verdict.cause == .accepted)
        #expect(verdict.observed)
        #expect(verdict.summary.contains("The capture starts after the `connect.challenge`"), "\(verdict.summary)")
        #expect(verdict.summary.contains("whether `device.nonce` is that challenge's nonce"))
    }

    /// The capture starts after the handshake: a later request and its `res` are not the connect's answer.
    @Test func aCaptureStartingAfterTheHandshakeIsNotAccepted() {
        let call = #"{"type":"req","id":"c1","method":"chat.history","params":{}}"#
        let answer = #"{"type":"res","id":"c1","ok":true,"payload":{"messages":[]}}"#
        let verdict = GatewayVerdict.decide(
            Self.facts(
                firstMessage: call,
                response: answer,
                challenge: nil,
                challengeToConnectMs: nil,
                startCaptured: false
            )
        )
        #expect(verdict.cause == .incompleteCapture, "\(verdict.summary)")
        #expect(!verdict.observed)
        #expect(verdict.summary.contains("after the handshake"))
        #expect(verdict.summary.contains("`chat.history`"))
    }

    /// A gateway close 1000 with no client message is a timeout only when the capture holds the connection from
    /// its start: mid-connection, the connect may simply predate the capture.
    @Test func noHandshakeTimeoutWithoutTheStart() {
        let midConnection = GatewayVerdict.decide(
            Self.facts(firstMessage: "", closes: Self.serverClose(1000), challenge: nil, startCaptured: false)
        )
        #expect(midConnection.cause == .incompleteCapture, "\(midConnection.summary)")
        #expect(!midConnection.observed)
        let fromTheStart = GatewayVerdict.decide(Self.facts(firstMessage: "", closes: Self.serverClose(1000)))
        #expect(fromTheStart.cause == .handshakeTimeout)
        #expect(fromTheStart.observed)
    }

    // MARK: Contradictions

    /// The connect lost bytes (its message reads as not JSON) and the gateway's hello-ok for it is there: the
    /// gateway's words win, never `invalid-request-frame`.
    @Test func aCutConnectBesideHelloOKIsAccepted() {
        let missing = "12 bytes of the client's stream were never captured (segments missing from the capture)"
        let verdict = GatewayVerdict.decide(
            Self.facts(
                firstMessage: #"{"type":"req","id":"c1","meth"#,
                response: Self.hello,
                closes: [Close(direction: .client, code: 1000), Close(direction: .server, code: 1000)],
                missingEvidence: missing
            )
        )
        #expect(verdict.cause == .accepted, "\(verdict.summary)")
        #expect(verdict.observed)
        #expect(verdict.summary.contains(missing))
        #expect(verdict.summary.contains("the connect it answered is not readable"))
    }

    /// A gateway close 1000 and bytes missing where the connect was: not a timeout and not a non-JSON connect,
    /// but the missing bytes, named.
    @Test func missingBytesAreNamedNotMisread() {
        let missing =
            "the capture's snaplen (200 bytes) cut its packets short: 735 bytes of the client's stream were "
            + "never captured"
        for firstMessage in ["", #"{"type":"req","id":"c1","meth"#] {
            let verdict = GatewayVerdict.decide(
                Self.facts(
                    firstMessage: firstMessage,
                    closes: [Close(direction: .client, code: 1000), Close(direction: .server, code: 1000)],
                    missingEvidence: missing
                )
            )
            #expect(verdict.cause == .incompleteCapture, "\(verdict.summary)")
            #expect(!verdict.observed)
            #expect(verdict.summary.contains("snaplen (200 bytes)"))
            #expect(verdict.summary.contains("connect is not readable"))
        }
    }

    /// The gateway's close reason fits where the connect did not: observed, in the gateway's words, without a
    /// field that cannot be read.
    @Test func aCloseReasonThatFitsIsTheGatewaysWord() {
        let missing = "the capture's snaplen (96 bytes) cut its packets short: 943 bytes were never captured"
        let verdict = GatewayVerdict.decide(
            Self.facts(firstMessage: "", closes: Self.serverClose(1002, "protocol mismatch"), missingEvidence: missing)
        )
        #expect(verdict.cause == .protocolMismatch)
        #expect(verdict.observed)
        #expect(verdict.summary.contains("1002 \"protocol mismatch\""))
        #expect(verdict.summary.contains("snaplen (96 bytes)"))
        #expect(!verdict.summary.contains("?..?"), "\(verdict.summary)")
    }
}
