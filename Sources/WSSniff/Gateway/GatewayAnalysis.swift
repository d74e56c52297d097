package import Dissect
package import ProofVerify

/// The OpenClaw Gateway handshake of one connection as the capture shows it, the proof analysis, and the verdict.
package struct GatewayAnalysis: Sendable {
    /// The `connect.challenge` event and when it was captured.
    package var challenge: ConnectChallenge?
    package var challengeTime: Timestamp?
    /// The client's first text message, classified.
    package var firstClientMessage: GatewayMessage?
    package var firstClientMessageTime: Timestamp?
    /// The first request's params, when it is a `connect`.
    package var connect: ConnectParams?
    package var requestId: String?
    /// The `res` with the request's id.
    package var response: GatewayResponse?
    /// When the `res` was captured.
    package var responseTime: Timestamp?
    /// Events the gateway sent after the challenge (names, in order; at most a few).
    package var laterEvents: [String]
    /// The time from the challenge to the client's first message, in ms.
    package var challengeToConnectMs: Int64?
    package var proof: ProofAnalysis?
    /// `--identity` compared with the connect's `device`.
    package var identity: IdentityComparison?
    package var gatewayProtocol: Int64
    /// The gateway profile the verdict used, and why (GatewayProfile.swift).
    package var profileChoice: GatewayProfile.Choice = .assumed
    /// The pre-auth handshake timeout the verdict used, ms: `--config`'s `gateway.handshakeTimeoutMs`, else the
    /// profile's.
    package var handshakeTimeoutMilliseconds: Int = 3_000
    package var verdict: GatewayVerdict

    /// Whether the connection looks like a gateway handshake at all.
    package var isGateway: Bool {
        self.challenge != nil || self.connect != nil
    }
}

/// What the capture lacks of one connection: bytes it never held, and the snaplen that cut them.
package struct CaptureEvidence: Hashable, Sendable {
    /// Stream bytes of each direction that the capture never held (TCP gaps, snaplen cuts included).
    package var clientGapBytes: Int
    package var serverGapBytes: Int
    /// The snaplen that cut records of the input, when the input has records cut short (`nil`: none was).
    package var snaplen: Int?
    /// Whether bytes were lost before the upgrade was decided (the upgrade request or its answer is not whole).
    package var upgradeCut: Bool
    /// Whether a gateway message before its answer was known could not be inflated (permessage-deflate with
    /// context takeover, its context in messages from before the capture started).
    package var answerNotInflated = false

    package init(clientGapBytes: Int = 0, serverGapBytes: Int = 0, snaplen: Int? = nil, upgradeCut: Bool = false) {
        self.clientGapBytes = clientGapBytes
        self.serverGapBytes = serverGapBytes
        self.snaplen = snaplen
        self.upgradeCut = upgradeCut
    }

    /// The evidence of a connection from its TCP statistics and the input's snaplen cut.
    package init(_ tcp: TCPStatistics, snaplen: Int?) {
        self.init(clientGapBytes: tcp.client.gapBytes, serverGapBytes: tcp.server.gapBytes, snaplen: snaplen)
    }

    /// Whether every stream byte is in the capture (and readable).
    package var isComplete: Bool {
        self.clientGapBytes == 0 && self.serverGapBytes == 0 && !self.answerNotInflated
    }

    /// What is missing, as a clause ("the snaplen (200 bytes) cut its packets: 1,506 bytes of the client's stream
    /// and 1,288 of the gateway's were never captured"), `nil` when nothing is.
    package var missing: String? {
        guard !self.isComplete else { return nil }
        if self.clientGapBytes == 0 && self.serverGapBytes == 0 {
            return "the gateway's messages are compressed (permessage-deflate) with a context from messages before "
                + "the capture started, so they cannot be inflated"
        }
        var sides: [String] = []
        if self.clientGapBytes > 0 {
            sides.append("\(self.clientGapBytes) bytes of the client's stream")
        }
        if self.serverGapBytes > 0 {
            sides.append("\(self.serverGapBytes) bytes of the server's")
        }
        let lost = sides.joined(separator: " and ") + " were never captured"
        let upgrade = self.upgradeCut ? ", the HTTP upgrade among them" : ""
        if let snaplen = self.snaplen {
            return "the capture's snaplen (\(snaplen) bytes) cut its packets short\(upgrade): \(lost)"
        }
        return lost + " (segments missing from the capture\(upgrade))"
    }
}

/// Settings of the gateway analysis.
package struct GatewayOptions: Sendable {
    /// The protocol version the gateway speaks when the capture does not say (`--gateway-protocol`).
    package var gatewayProtocol: Int64 = 3
    /// The gateway's version given by the user (`--gateway-version`, or `--gateway-protocol`), as a profile choice;
    /// `nil`: chosen from each connection's capture, 2026.3.13 when it does not say.
    package var gatewayVersion: GatewayProfile.Choice?
    /// The gateway's pre-auth handshake timeout from its config (`gateway.handshakeTimeoutMs`, upstream
    /// `src/gateway/handshake-timeouts.ts`); `nil`: the profile's (2026.3.13: 3 s; current: 15 s).
    package var handshakeTimeoutMs: Int64?
    package var showSecrets = false
    /// The public part of the user's identity file (`--identity`), compared with each connect's `device`.
    package var identity: IdentityFile.PublicPart?

    package init() {}
}

extension GatewayAnalysis {
    /// Analyzes one connection's WebSocket messages. `challenges` holds the challenges of the capture's other
    /// connections (`client` is this one's): those sent before this connect are the ones a client may have answered
    /// by mistake (a stale nonce).
    package static func analyze(
        _ websocket: WebSocketConnectionSummary,
        tcpEnded: Bool,
        challenges: ChallengeLog? = nil,
        client: Endpoint? = nil,
        server: Endpoint? = nil,
        options: GatewayOptions,
        evidence: CaptureEvidence = CaptureEvidence()
    ) -> GatewayAnalysis {
        var analysis = GatewayAnalysis(
            laterEvents: [],
            gatewayProtocol: options.gatewayProtocol,
            verdict: GatewayVerdict(cause: .notWebSocket, observed: true, summary: "")
        )
        // The gateway's `res` messages seen before the request they answer was known (a capture that starts at the
        // connect may store the answer's record first), matched once the loop is done.
        var unmatchedResponses: [[UInt8]] = []
        // The client's first text message lost bytes: no later message stands in for it.
        var firstClientMessageLost = false
        // A gateway message that could not be inflated: its compression context is not in the capture.
        var serverMessageNotInflated = false
        for message in websocket.messages where message.opcode == .text {
            if message.direction == .server && message.inflateError != nil && analysis.response == nil {
                serverMessageNotInflated = true
            }
            let readable = message.complete && message.lostBytes == 0
            if message.direction == .client && analysis.firstClientMessage == nil
                && (!readable || Self.followsClientGap(message, websocket))
            {
                firstClientMessageLost = true
            }
            guard readable, let payload = message.payload, !message.payloadCut else { continue }
            // Once the handshake is known, the gateway's chat needs no parsing: a few event names at most.
            let handshakeKnown =
                analysis.firstClientMessage != nil && (analysis.response != nil || analysis.requestId == nil)
            if handshakeKnown && (message.direction == .client || analysis.laterEvents.count >= 8) { continue }
            if message.direction == .server {
                // Most server messages are chat: their head says whether the full message matters (the challenge,
                // the response to the connect); the rest only give an event name.
                guard let head = GatewayMessage.head(payload) else { continue }
                let needed =
                    (head.type == "event" && head.event == "connect.challenge" && analysis.challenge == nil)
                    || (head.type == "res" && analysis.response == nil && head.id != nil
                        && head.id == analysis.requestId)
                if !needed && head.type == "res" && analysis.requestId == nil && analysis.response == nil
                    && unmatchedResponses.count < 4
                {
                    unmatchedResponses.append(payload)
                    continue
                }
                if !needed {
                    if head.type == "event", analysis.laterEvents.count < 8, let name = head.event {
                        analysis.laterEvents.append(name)
                    }
                    continue
                }
                let classified = GatewayMessage.classify(payload)
                switch classified {
                case .event(let event):
                    if analysis.challenge == nil, let challenge = event.challenge {
                        analysis.challenge = challenge
                        analysis.challengeTime = message.startPacket.timestamp
                    } else if analysis.laterEvents.count < 8, let name = event.event {
                        analysis.laterEvents.append(name)
                    }
                case .response(let response):
                    if analysis.response == nil, response.id != nil, response.id == analysis.requestId {
                        analysis.response = response
                        analysis.responseTime = message.startPacket.timestamp
                    }
                default:
                    break
                }
            } else if analysis.firstClientMessage == nil && !firstClientMessageLost {
                let classified = GatewayMessage.classify(payload)
                analysis.firstClientMessage = classified
                analysis.firstClientMessageTime = message.startPacket.timestamp
                if case .request(let request) = classified {
                    analysis.requestId = request.id
                    analysis.connect = request.connectParams
                }
            }
        }
        if analysis.response == nil {
            analysis.response = Self.answer(among: unmatchedResponses, requestId: analysis.requestId)
        }
        if let challengeTime = analysis.challengeTime, let connectTime = analysis.firstClientMessageTime {
            // The TCP layer delivers the connect after the challenge it answers, but each keeps its own record's
            // timestamp, and records taken on two CPUs (`-i any`) can be stamped out of order: a connect stamped
            // before its challenge came right after it, not before it.
            analysis.challengeToConnectMs = max(0, (connectTime.nanoseconds - challengeTime.nanoseconds) / 1_000_000)
        }
        var choice = GatewayProfile.choose(
            helloOK: analysis.response?.helloOK,
            error: analysis.response?.error,
            closeReasons: websocket.closes.filter { $0.record.direction == .server }.map(\.record.reason),
            option: options.gatewayVersion
        )
        if choice.basis == .assumed && server?.port == GatewayPorts.nasDefault {
            choice = .nasPort
        }
        analysis.profileChoice = choice
        analysis.handshakeTimeoutMilliseconds =
            options.handshakeTimeoutMs.map { Int($0) }
            ?? choice.profile.handshakeTimeoutMilliseconds
        analysis.gatewayProtocol = ProofAnalysis.gatewayProtocol(
            helloOK: analysis.response?.helloOK,
            error: analysis.response?.error,
            configured: options.gatewayVersion == nil || choice.basis != .option
                ? choice.profile.protocolVersion : options.gatewayProtocol
        )
        if let params = analysis.connect {
            var earlierNonces: [String] = []
            var stale: EarlierChallenge?
            if let challenges, let client, let time = analysis.firstClientMessageTime ?? analysis.challengeTime {
                earlierNonces = challenges.nonces(before: time, excluding: client)
                if let nonce = params.device?.nonce?.stringValue.map(JavaScript.trim), !nonce.isEmpty,
                    nonce != analysis.challenge?.nonce
                {
                    stale = challenges.challenge(withNonce: nonce, before: time, excluding: client)
                }
            }
            analysis.proof = ProofAnalysis.analyze(
                ProofAnalysis.Input(
                    params: params,
                    challenge: analysis.challenge,
                    captureTimeMs: (analysis.firstClientMessageTime ?? analysis.challengeTime)?.milliseconds,
                    gatewayProtocol: analysis.gatewayProtocol,
                    earlierNonces: earlierNonces,
                    staleChallenge: stale,
                    showSecrets: options.showSecrets
                )
            )
        }
        if let part = options.identity, let params = analysis.connect, params.device != nil {
            analysis.identity = IdentityComparison.compare(part, connect: params, proof: analysis.proof)
        }
        var evidence = evidence
        evidence.upgradeCut = websocket.upgradeGapBytes > 0
        evidence.answerNotInflated = serverMessageNotInflated && analysis.response == nil
        analysis.verdict = Self.verdict(
            analysis,
            locality: ClientLocality(client: client, handshake: websocket.handshake),
            websocket: websocket,
            tcpEnded: tcpEnded,
            options: options,
            evidence: evidence
        )
        return analysis
    }

    /// Whether the client's framing had to be found again (after bytes lost in a gap) before `message` began, on a
    /// connection whose upgrade was seen: a message before it may have gone unseen, so it is not known to be the
    /// first.
    private static func followsClientGap(
        _ message: WebSocketMessageRecord,
        _ websocket: WebSocketConnectionSummary
    ) -> Bool {
        guard websocket.kind == .upgraded else { return false }
        return websocket.resynchronizations.contains {
            $0.direction == .client && $0.packet.number <= message.startPacket.number
        }
    }

    /// The gateway's answer to the connect among `res` messages seen before the request was known: the one with
    /// the request's id; when the request cannot be read, the first `res` (before `hello-ok` the gateway answers
    /// nothing but the connect).
    private static func answer(among payloads: [[UInt8]], requestId: String?) -> GatewayResponse? {
        for payload in payloads {
            guard case .response(let response) = GatewayMessage.classify(payload) else { continue }
            if let requestId {
                if response.id == requestId { return response }
            } else {
                return response
            }
        }
        return nil
    }

    private static func verdict(
        _ analysis: GatewayAnalysis,
        locality: ClientLocality,
        websocket: WebSocketConnectionSummary,
        tcpEnded: Bool,
        options: GatewayOptions,
        evidence: CaptureEvidence
    ) -> GatewayVerdict {
        if let missing = evidence.missing, websocket.upgradeGapBytes > 0, !websocket.isWebSocket {
            // Bytes were lost before the upgrade could be read: what looks like "HTTP without an upgrade" is a cut.
            return GatewayVerdict(
                cause: .incompleteCapture,
                observed: false,
                summary: "The capture lacks part of this connection: \(missing). The HTTP upgrade is not whole in "
                    + "it, so whether this is a WebSocket (and a gateway connection) cannot be told; capture again "
                    + "with whole packets (`-s 0`), or pass the gateway's port with `--port` to read its frames.",
                predictionReason: "bytes of the upgrade were never captured"
            )
        }
        switch websocket.kind {
        case .notWebSocket where websocket.tlsFromClient:
            return GatewayVerdict(cause: .notWebSocket, observed: true, summary: Self.tlsSummary(websocket))
        case .notWebSocket(let what):
            return GatewayVerdict(
                cause: .notWebSocket,
                observed: true,
                summary: "Not a WebSocket connection (\(what))."
            )
        case .upgradeRejected:
            let rejection = websocket.rejection
            // The body can carry anything (a token echoed back); the renderers show it redacted, not the summary.
            let body = rejection.map { $0.bodyLength == 0 ? "" : " (a \($0.bodyLength)-byte body)" } ?? ""
            return GatewayVerdict(
                cause: .upgradeRejected,
                observed: true,
                summary: "The server refused the WebSocket upgrade with HTTP \(rejection?.status ?? 0) "
                    + "\(rejection?.reason ?? "")\(body). The `ws` library answers a bad upgrade request (method, "
                    + "Upgrade, Sec-WebSocket-Key or -Version) this way; no WebSocket was opened."
            )
        case .upgradeUnanswered:
            return GatewayVerdict(
                cause: .incompleteCapture,
                observed: false,
                summary: "The client asked for a WebSocket upgrade and the capture ends before the server answered.",
                predictionReason: "no answer to the upgrade request in the capture"
            )
        case .upgraded, .midStream:
            break
        }
        var facts = HandshakeFacts(
            challenge: analysis.challenge,
            firstClientMessage: analysis.firstClientMessage,
            response: analysis.response,
            closes: Self.sendingOrder(websocket, evidence: evidence).map {
                HandshakeFacts.Close(
                    direction: $0.record.direction == .client ? .client : .server,
                    code: $0.record.code,
                    reason: $0.record.reason
                )
            },
            connectAfterTimeout: (analysis.challengeToConnectMs ?? 0) > Int64(analysis.handshakeTimeoutMilliseconds),
            challengeToConnectMs: analysis.challengeToConnectMs,
            proof: analysis.proof,
            gatewayProtocol: analysis.gatewayProtocol,
            profileChoice: analysis.profileChoice,
            clientLocality: locality.reason,
            clientIsLocal: locality.isLocal,
            frameLevel: Self.frameLevelCause(
                websocket,
                proofRead: analysis.response != nil,
                accepted: analysis.response?.ok == true,
                tcpEnded: tcpEnded
            ),
            connectionEnded: tcpEnded,
            startCaptured: websocket.kind == .upgraded,
            missingEvidence: evidence.missing,
            handshakeTimeoutMilliseconds: analysis.handshakeTimeoutMilliseconds
        )
        facts.timeline = Self.timeline(analysis, websocket: websocket)
        // "Not a gateway" needs the whole start of the connection and no gateway answer in it.
        let gatewaySpoke =
            analysis.response != nil
            || facts.serverClose.map { GatewayVerdict.cause(forMessage: $0.reason) != nil } == true
        let decisive = evidence.isComplete || analysis.firstClientMessage != nil
        if !analysis.isGateway && facts.frameLevel == nil && !gatewaySpoke && facts.startCaptured && decisive {
            return GatewayVerdict(
                cause: .notGateway,
                observed: true,
                summary: "A WebSocket connection, but not an OpenClaw gateway handshake: no `connect.challenge` "
                    + "and no `connect` request."
            )
        }
        return GatewayVerdict.decide(facts)
    }

    /// The frame-level cause, when a close answers an RFC 6455 breach (or the capture ends right after one that a
    /// conforming peer must answer).
    static func frameLevelCause(
        _ websocket: WebSocketConnectionSummary,
        proofRead: Bool,
        accepted: Bool,
        tcpEnded: Bool = false
    ) -> FrameLevelCause? {
        for close in websocket.closes {
            guard let breach = close.answers else { continue }
            return FrameLevelCause(
                kind: Self.kind(breach.rule),
                summary: Self.sentence(close: close, breach: breach, proofRead: proofRead, accepted: accepted)
            )
        }
        // A breach the receiver must answer, and no close in the capture: predicted. When the breach is the sender's
        // own close frame, only while the connection is still open in the capture (the receiver may answer later).
        if let breach = websocket.violations.first(where: { $0.rule.closeCode != nil }),
            websocket.closes.isEmpty
                || (!tcpEnded && !websocket.closes.contains { $0.record.direction != breach.direction })
        {
            let code = breach.rule.closeCode ?? 1002
            return FrameLevelCause(
                kind: Self.kind(breach.rule),
                summary: "The \(Self.side(breach.direction))'s frame \(breach.frame.map(String.init) ?? "?") breaks "
                    + "\(breach.rule.rfcSection) (\(breach.detail)); a conforming peer such as the gateway's `ws` "
                    + "closes with \(code), but the capture ends first.",
                observed: false
            )
        }
        return nil
    }

    private static func kind(_ rule: ViolationRule) -> FrameLevelCause.Kind {
        switch rule {
        case .invalidUTF8: return .invalidUTF8
        case .messageTooBig: return .messageTooBig
        default: return .frameViolation
        }
    }

    private static func side(_ direction: Direction) -> String {
        direction == .client ? "client" : "server"
    }

    private static func sentence(
        close: WebSocketConnectionSummary.Close,
        breach: WebSocketViolation,
        proofRead: Bool,
        accepted: Bool
    ) -> String {
        let code = close.record.code.map(String.init) ?? "a close"
        let reason = close.record.reason.isEmpty ? "an empty reason" : "reason \"\(close.record.reason)\""
        let closer = close.record.direction == .server ? "the server (the gateway's `ws` library)" : "the client"
        return "\(code) with \(reason) from \(closer): the \(Self.side(breach.direction))'s frame "
            + "\(breach.frame.map(String.init) ?? "?") \(Self.ruleClause(breach))"
            + (accepted
                ? "; the gateway had accepted the connect (hello-ok) before, so the handshake is not what failed."
                : proofRead ? "." : "; the proof was never read.")
    }

    private static func ruleClause(_ breach: WebSocketViolation) -> String {
        switch breach.rule {
        case .clientFrameUnmasked: return "is not masked"
        case .serverFrameMasked: return "is masked"
        case .rsvWithoutExtension: return "sets a reserved RSV bit"
        case .reservedOpcode: return "uses a reserved opcode"
        case .continuationWithoutStart: return "is a continuation with no message to continue"
        case .dataFrameInsideFragmentedMessage: return "starts a new message inside a fragmented one"
        case .controlFrameFragmented: return "is a fragmented control frame"
        case .controlFrameTooLong: return "is a control frame longer than 125 bytes"
        case .closePayloadOneByte: return "is a close frame with a 1-byte payload"
        case .invalidCloseCode: return "carries an invalid close code"
        case .invalidUTF8: return "carries invalid UTF-8 text"
        case .messageTooBig: return "makes a message larger than the receiver's limit"
        default: return "breaks \(breach.rule.rfcSection) (\(breach.detail))"
        }
    }
}
