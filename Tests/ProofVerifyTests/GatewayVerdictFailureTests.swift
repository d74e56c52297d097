import ProofVerify
import Testing

/// The failure verdicts of `GatewayVerdict+Failures.swift` on facts made by hand: the cases the samples do not show
/// (a RST, a client's FIN, a slow consumer, a custom timeout, a close before the timer).
@Suite struct GatewayVerdictFailureTests {
    typealias Close = HandshakeFacts.Close
    static let hello = GatewayVerdictTests.hello

    @Test func aSlowConsumerCloseSaysTheClientReadsTooSlowly() {
        var made = GatewayVerdictTests.facts(
            response: Self.hello,
            closes: [Close(direction: .server, code: 1008, reason: "slow consumer")]
        )
        made.timeline.sessionMs = 125_000
        let verdict = GatewayVerdict.decide(made)
        #expect(verdict.cause == .gatewayClosed)
        #expect(verdict.summary.contains("2 min 5 s after its `hello-ok`"), "\(verdict.summary)")
        #expect(verdict.summary.contains("`maxBufferedBytes`"))
    }

    /// The client closing an accepted session is the client's business: still `accepted`.
    @Test func aClientCloseAfterHelloOKStaysAccepted() {
        let made = GatewayVerdictTests.facts(
            response: Self.hello,
            closes: [Close(direction: .client, code: 1000), Close(direction: .server, code: 1000)]
        )
        #expect(GatewayVerdict.decide(made).cause == .accepted)
    }

    @Test(arguments: [
        (Close.Direction.server, ConnectionTimeline.TCPEnd.Kind.rst, "A reset from the gateway's side"),
        (.server, .fin, "has exited, been killed or restarted"),
        (.client, .fin, "The client went away without closing the WebSocket"),
        (.client, .rst, "A reset from the client's side"),
    ])
    func aDropSaysWhichSideAndHow(side: Close.Direction, kind: ConnectionTimeline.TCPEnd.Kind, words: String) {
        var made = GatewayVerdictTests.facts()
        made.connectionEnded = true
        made.timeline.tcpEnd = ConnectionTimeline.TCPEnd(
            side: side,
            kind: kind,
            msAfterLastMessage: 2_500,
            lastMessage: "the client's connect"
        )
        let verdict = GatewayVerdict.decide(made)
        #expect(verdict.cause == .connectionDropped)
        #expect(verdict.observed)
        #expect(verdict.summary.contains("with a \(kind.rawValue)"), "\(verdict.summary)")
        #expect(verdict.summary.contains("2.5 s after the last message (the client's connect)"))
        #expect(verdict.summary.contains(words), "\(verdict.summary)")
    }

    /// Without the TCP end in the capture, nothing was dropped: the capture ends first.
    @Test func noTCPEndIsNoDrop() {
        #expect(GatewayVerdict.decide(GatewayVerdictTests.facts()).cause == .incompleteCapture)
    }

    /// The timeout in the sentence is the profile's, not always 3 s.
    @Test func theBusyTimeoutUsesTheGivenTimeout() {
        var made = GatewayVerdictTests.facts(closes: GatewayVerdictTests.serverClose(1000), challengeToConnectMs: 40)
        made.handshakeTimeoutMilliseconds = 10_000
        made.timeline.challengeToServerCloseMs = 10_004
        let verdict = GatewayVerdict.decide(made)
        #expect(verdict.cause == .handshakeTimeout)
        #expect(verdict.observed)
        #expect(verdict.summary.contains("the gateway's 10 s handshake timer fired"), "\(verdict.summary)")
        #expect(verdict.summary.contains("sent 40 ms after the challenge"))
        #expect(!verdict.summary.contains("3 s"))
    }

    /// A 1000 close long before the timer is not the timer: no busy-gateway sentence.
    @Test func aCloseBeforeTheTimerIsNotTheBusyTimeout() {
        var made = GatewayVerdictTests.facts(closes: GatewayVerdictTests.serverClose(1000), challengeToConnectMs: 40)
        made.timeline.challengeToServerCloseMs = 600
        let verdict = GatewayVerdict.decide(made)
        #expect(!verdict.summary.contains("busy"), "\(verdict.summary)")
    }

    @Test func theLateConnectTimeoutUsesTheGivenTimeout() {
        var made = GatewayVerdictTests.facts(
            firstMessage: "",
            closes: GatewayVerdictTests.serverClose(1000),
            challengeToConnectMs: nil
        )
        made.handshakeTimeoutMilliseconds = 15_000
        let verdict = GatewayVerdict.decide(made)
        #expect(verdict.cause == .handshakeTimeout)
        #expect(verdict.summary.contains("15 s handshake timeout"), "\(verdict.summary)")
    }

    /// The gateway's error came first and the client then closed 4008 before the gateway's own close: the verdict is
    /// the gateway's error, and the 4008 is not called the gateway's.
    @Test func anErrorThenTheClientsCloseIsTheErrorsVerdict() {
        let made = GatewayVerdictTests.facts(
            response: GatewayVerdictTests.refusal("NOT_PAIRED", "pairing required"),
            closes: [
                Close(direction: .client, code: 4008, reason: "connect failed"),
                Close(direction: .server, code: 4008, reason: "connect failed"),
            ]
        )
        let verdict = GatewayVerdict.decide(made)
        #expect(verdict.cause == .pairingRequired)
        #expect(!verdict.summary.contains("closed with 4008"), "\(verdict.summary)")
    }

    @Test func aClientCloseAfterItsConnectSaysWhatTheChecksFind() {
        let made = GatewayVerdictTests.facts(closes: [Close(direction: .client, code: 1001, reason: "")])
        let verdict = GatewayVerdict.decide(made)
        #expect(verdict.cause == .clientClosed)
        #expect(verdict.summary.contains("before the gateway answered its connect"), "\(verdict.summary)")
        #expect(verdict.summary.contains("1001"))
    }

    @Test func aRefusedOriginWithoutTheUpgradeStillNamesTheKey() {
        let made = GatewayVerdictTests.facts(
            response: GatewayVerdictTests.refusal("INVALID_REQUEST", "origin not allowed"),
            closes: GatewayVerdictTests.serverClose(1008, "origin not allowed")
        )
        let verdict = GatewayVerdict.decide(made)
        #expect(verdict.cause == .originNotAllowed)
        #expect(verdict.summary.contains("`gateway.controlUi.allowedOrigins`"))
    }
}
