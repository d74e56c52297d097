/// A frame-level cause the caller decided from its WebSocket findings (RFC 6455 rule checks, the HTTP upgrade),
/// which takes precedence over every gateway-level cause when the close answers the breach.
package struct FrameLevelCause: Hashable, Sendable {
    /// The frame-level causes of the contract.
    package enum Kind: String, Hashable, Sendable, CaseIterable {
        case frameViolation = "frame-violation"
        case invalidUTF8 = "invalid-utf8"
        case messageTooBig = "message-too-big"
        case upgradeRejected = "upgrade-rejected"
        case notWebSocket = "not-websocket"
    }

    /// Which cause.
    package var kind: Kind
    /// The sentence for the verdict, written by the caller ("1002 with an empty reason from the `ws` library: the
    /// client's frame 2 is not masked; the proof was never read.").
    package var summary: String
    /// Whether the peer's answer (close or HTTP status) is in the capture.
    package var observed: Bool

    package init(kind: Kind, summary: String, observed: Bool = true) {
        self.kind = kind
        self.summary = summary
        self.observed = observed
    }
}

/// What the capture shows of one gateway handshake.
package struct HandshakeFacts: Hashable, Sendable {
    /// Where the facts come from.
    package enum Source: Hashable, Sendable {
        /// A capture of the connection (`analyze`, `capture`, `report`): what it lacks is named, and a verdict
        /// without the gateway's answer says that the capture ends first.
        case capture
        /// A connect frame given alone with the challenge's nonce (`wssniff verify`): no capture, so nothing is
        /// missing from one; the gateway's answer was never part of the input.
        case pastedConnect
    }

    /// A close frame.
    package struct Close: Hashable, Sendable {
        /// Who sent it.
        package enum Direction: String, Hashable, Sendable {
            case client
            case server
        }

        package var direction: Direction
        /// The status code (`nil`: a close frame with no payload).
        package var code: UInt16?
        /// The reason text (empty when none).
        package var reason: String

        package init(direction: Direction, code: UInt16?, reason: String = "") {
            self.direction = direction
            self.code = code
            self.reason = reason
        }
    }

    /// The `connect.challenge`, when the gateway's event was seen.
    package var challenge: ConnectChallenge?
    /// The client's first text message, classified.
    package var firstClientMessage: GatewayMessage?
    /// The `res` to the first request's id.
    package var response: GatewayResponse?
    /// The close frames, in capture order.
    package var closes: [Close]
    /// Whether the first client message came after the gateway's handshake timeout.
    package var connectAfterTimeout: Bool
    /// The time from the challenge to the first client message, ms, when both were seen.
    package var challengeToConnectMs: Int64?
    /// The proof analysis of the connect, when it has a `device`.
    package var proof: ProofAnalysis?
    /// The protocol the gateway speaks.
    package var gatewayProtocol: Int64
    /// The gateway profile the verdict reads the handshake with, and why it was chosen (GatewayProfile.swift).
    package var profileChoice: GatewayProfile.Choice
    /// Why the client is or is not local, as a clause ("its address 172.17.0.1 is not loopback", "its upgrade
    /// carries `x-forwarded-for: 203.0.113.7`: it came through a proxy"), when the capture shows it.
    package var clientLocality: String?
    /// Whether the gateway counts the client as local (loopback address and Host, no forwarding headers), which
    /// silent pairing needs; `nil` when the capture cannot tell.
    package var clientIsLocal: Bool?
    /// A frame-level cause decided by the caller.
    package var frameLevel: FrameLevelCause?
    /// Whether the TCP connection ended (FIN or RST) in the capture.
    package var connectionEnded: Bool
    /// Whether the capture holds the connection's start (the HTTP upgrade): false when it started mid-connection,
    /// so the challenge and even the connect may have gone by before it.
    package var startCaptured: Bool
    /// What the capture lacks of this connection, as a clause ("the snaplen (200 bytes) cut 6 of its records"),
    /// when bytes of it were never captured; `nil` when every byte is there.
    package var missingEvidence: String?
    /// Where the facts come from: a capture, or a connect given alone.
    package var source: Source
    /// When things happened and how the TCP connection ended, with the upgrade's `Origin`.
    package var timeline = ConnectionTimeline()
    /// The gateway's pre-auth handshake timeout, ms (2026.3.13: 3 s).
    package var handshakeTimeoutMilliseconds: Int

    package init(
        challenge: ConnectChallenge? = nil,
        firstClientMessage: GatewayMessage? = nil,
        response: GatewayResponse? = nil,
        closes: [Close] = [],
        connectAfterTimeout: Bool = false,
        challengeToConnectMs: Int64? = nil,
        proof: ProofAnalysis? = nil,
        gatewayProtocol: Int64 = 3,
        profileChoice: GatewayProfile.Choice = .assumed,
        clientLocality: String? = nil,
        clientIsLocal: Bool? = nil,
        frameLevel: FrameLevelCause? = nil,
        connectionEnded: Bool = false,
        startCaptured: Bool = true,
        missingEvidence: String? = nil,
        source: Source = .capture,
        handshakeTimeoutMilliseconds: Int = 3_000
    ) {
        self.challenge = challenge
        self.firstClientMessage = firstClientMessage
        self.response = response
        self.closes = closes
        self.connectAfterTimeout = connectAfterTimeout
        self.challengeToConnectMs = challengeToConnectMs
        self.proof = proof
        self.gatewayProtocol = gatewayProtocol
        self.profileChoice = profileChoice
        self.clientLocality = clientLocality
        self.clientIsLocal = clientIsLocal
        self.frameLevel = frameLevel
        self.connectionEnded = connectionEnded
        self.startCaptured = startCaptured
        self.missingEvidence = missingEvidence
        self.source = source
        self.handshakeTimeoutMilliseconds = handshakeTimeoutMilliseconds
    }

    /// The first request, when the first client message is one.
    package var request: GatewayRequest? {
        if case .request(let request) = self.firstClientMessage { request } else { nil }
    }

    /// The connect params, when the first request is a connect.
    package var connect: ConnectParams? {
        self.request?.connectParams
    }

    /// The server's first close.
    package var serverClose: Close? {
        self.closes.first { $0.direction == .server }
    }
}

/// The one cause of a connection's fate, `observed` when the gateway said it, predicted otherwise.
package struct GatewayVerdict: Hashable, Sendable {
    /// The contract's cause vocabulary (`verdict.cause`).
    package enum Cause: String, Hashable, Sendable, CaseIterable {
        case accepted
        case protocolMismatch = "protocol-mismatch"
        case frameViolation = "frame-violation"
        case invalidUTF8 = "invalid-utf8"
        case messageTooBig = "message-too-big"
        case invalidRequestFrame = "invalid-request-frame"
        case invalidHandshake = "invalid-handshake"
        case invalidConnectParams = "invalid-connect-params"
        case invalidRole = "invalid-role"
        case deviceIdentityMismatch = "device-identity-mismatch"
        case deviceSignatureExpired = "device-signature-expired"
        case deviceNonceRequired = "device-nonce-required"
        case deviceNonceMismatch = "device-nonce-mismatch"
        case deviceSignatureInvalid = "device-signature-invalid"
        case devicePublicKeyInvalid = "device-public-key-invalid"
        case deviceIdentityRequired = "device-identity-required"
        case unauthorized
        case pairingRequired = "pairing-required"
        case gatewayStarting = "gateway-starting"
        case handshakeTimeout = "handshake-timeout"
        case upgradeRejected = "upgrade-rejected"
        case incompleteCapture = "incomplete-capture"
        case notGateway = "not-gateway"
        case notWebSocket = "not-websocket"
        case originNotAllowed = "origin-not-allowed"
        case gatewayClosed = "gateway-closed"
        case connectionDropped = "connection-dropped"
        case clientClosed = "client-closed"

        /// The gateway's own error message for the cause, where it has one.
        package var gatewayMessage: String? {
            switch self {
            case .protocolMismatch: "protocol mismatch"
            case .invalidRequestFrame: "invalid request frame"
            case .invalidHandshake: "invalid handshake: first request must be connect"
            case .invalidConnectParams: "invalid connect params"
            case .invalidRole: "invalid role"
            case .deviceIdentityMismatch: "device identity mismatch"
            case .deviceSignatureExpired: "device signature expired"
            case .deviceNonceRequired: "device nonce required"
            case .deviceNonceMismatch: "device nonce mismatch"
            case .deviceSignatureInvalid: "device signature invalid"
            case .devicePublicKeyInvalid: "device public key invalid"
            case .deviceIdentityRequired: "device identity required"
            case .unauthorized: "unauthorized"
            case .pairingRequired: "pairing required"
            case .gatewayStarting: "gateway starting; retry shortly"
            case .originNotAllowed: "origin not allowed"
            default: nil
            }
        }

        /// The close code the gateway uses for the cause.
        package var closeCode: UInt16? {
            switch self {
            case .protocolMismatch: 1002
            case .handshakeTimeout: 1000
            case .gatewayStarting: 1013
            case .invalidRequestFrame, .invalidHandshake, .invalidConnectParams, .invalidRole, .deviceIdentityMismatch,
                .deviceSignatureExpired, .deviceNonceRequired, .deviceNonceMismatch, .deviceSignatureInvalid,
                .devicePublicKeyInvalid, .deviceIdentityRequired, .unauthorized, .pairingRequired, .originNotAllowed:
                1008
            default: nil
            }
        }
    }

    /// The cause.
    package var cause: Cause
    /// Whether the gateway itself said it (its error response or close); false when predicted.
    package var observed: Bool
    /// One sentence (or two) a user can act on.
    package var summary: String
    /// Why the verdict is a prediction, when it is one.
    package var predictionReason: String?

    package init(cause: Cause, observed: Bool, summary: String, predictionReason: String? = nil) {
        self.cause = cause
        self.observed = observed
        self.summary = summary
        self.predictionReason = predictionReason
    }

    /// Decides the verdict.
    package static func decide(_ facts: HandshakeFacts) -> GatewayVerdict {
        if let frameLevel = facts.frameLevel {
            return GatewayVerdict(
                cause: Cause(rawValue: frameLevel.kind.rawValue) ?? .frameViolation,
                observed: frameLevel.observed,
                summary: frameLevel.summary + Self.missingSentence(facts),
                predictionReason: frameLevel.observed ? nil : "the capture ends before the peer answered the breach"
            )
        }
        if let verdict = Self.observedVerdict(facts) {
            return verdict
        }
        if let verdict = Self.startedAfterHandshake(facts) {
            return verdict
        }
        if let verdict = Self.droppedVerdict(facts) {
            return verdict
        }
        return ProfileAmbiguity.resolve(Self.predictedVerdict(facts), facts, predict: Self.predictedVerdict)
    }

    /// A capture that started mid-connection, after the handshake: its first client request is not the connect and
    /// the gateway's answer to the connect is not in it, so nothing about the handshake can be said.
    private static func startedAfterHandshake(_ facts: HandshakeFacts) -> GatewayVerdict? {
        guard !facts.startCaptured, facts.challenge == nil, let request = facts.request, request.method != "connect"
        else { return nil }
        return GatewayVerdict(
            cause: .incompleteCapture,
            observed: false,
            summary: "The capture starts mid-connection, after the handshake: the first client request in it is "
                + "`\(request.method ?? "?")`, not `connect`, and the gateway's answer to the connect is missing; "
                + "capture from before the client connects to see the handshake."
                + Self.missingSentence(facts),
            predictionReason: "the capture starts after the handshake"
        )
    }

    /// " The capture lacks part of this connection: the snaplen (200 bytes) cut 6 of its records." or "".
    static func missingSentence(_ facts: HandshakeFacts) -> String {
        facts.missingEvidence.map { " The capture lacks part of this connection: \($0)." } ?? ""
    }

    /// Maps a gateway error message or close reason (cut to 120 bytes) to a cause.
    package static func cause(forMessage message: String) -> Cause? {
        let text = message.lowercased()
        let table: [(String, Cause)] = [
            ("protocol mismatch", .protocolMismatch),
            ("invalid request frame", .invalidRequestFrame),
            ("invalid handshake", .invalidHandshake),
            ("invalid connect params", .invalidConnectParams),
            ("invalid role", .invalidRole),
            ("device identity required", .deviceIdentityRequired),
            ("device identity mismatch", .deviceIdentityMismatch),
            ("device signature expired", .deviceSignatureExpired),
            ("device nonce required", .deviceNonceRequired),
            ("device nonce mismatch", .deviceNonceMismatch),
            ("device signature invalid", .deviceSignatureInvalid),
            ("device public key invalid", .devicePublicKeyInvalid),
            ("unauthorized", .unauthorized),
            ("origin not allowed", .originNotAllowed),
            ("control ui requires device identity", .deviceIdentityRequired),
            ("pairing required", .pairingRequired),
            ("gateway starting", .gatewayStarting),
            ("service restart", .gatewayClosed),
            ("slow consumer", .gatewayClosed),
            ("repeated unauthorized calls", .gatewayClosed),
        ]
        return table.first { text.hasPrefix($0.0) }?.1
    }

    // MARK: Observed

    private static func observedVerdict(_ facts: HandshakeFacts) -> GatewayVerdict? {
        let close = facts.serverClose
        if let response = facts.response, response.ok == true {
            // A `res` with ok but no `hello-ok`, to a request that is not the connect, answers a later call: the
            // capture started after the handshake.
            guard response.helloOK != nil || facts.connect != nil else { return nil }
            if let verdict = Self.afterAcceptedVerdict(facts, accepted: Self.acceptedSummary(facts, response)) {
                return verdict
            }
            return GatewayVerdict(cause: .accepted, observed: true, summary: Self.acceptedSummary(facts, response))
        }
        if let verdict = Self.clientClosedVerdict(facts) {
            return verdict
        }
        var said: String?
        if let message = facts.response?.error?.message {
            said = message
        } else if let close = facts.gatewayInitiatedClose, !close.reason.isEmpty {
            // A close that echoes the client's carries the client's words, not the gateway's.
            said = close.reason
        }
        if let said {
            let answer = Self.answerPhrase(facts)
            if let cause = Self.cause(forMessage: said)
                ?? (facts.response?.error?.code == "NOT_PAIRED"
                    ? .pairingRequired : nil)
                ?? ConnectErrorSummary.cause(forDetailCode: facts.response?.error?.detailsCode)
            {
                if facts.connect == nil, let missing = facts.missingEvidence {
                    // The gateway's words stand; what it refused cannot be read.
                    return GatewayVerdict(
                        cause: cause,
                        observed: true,
                        summary: answer + ", its own words; the connect it answered is not readable in the capture "
                            + "(\(missing)), so wssniff cannot name the field behind it."
                    )
                }
                return GatewayVerdict(
                    cause: cause,
                    observed: true,
                    summary: answer + ": " + Self.detail(cause, facts, observed: true) + Self.missingSentence(facts)
                )
            }
            // A message wssniff does not know: say it, and what wssniff's own checks find.
            let prediction = Self.firstFailingCheck(facts)
            let cause = prediction?.0 == .incompleteCapture || prediction == nil ? Cause.unauthorized : prediction!.0
            return GatewayVerdict(
                cause: cause,
                observed: true,
                summary: answer + ", a message wssniff does not know; "
                    + (prediction.map { "its own checks find: " + $0.1 } ?? "its own checks find nothing wrong") + "."
            )
        }
        guard let close else { return nil }
        switch close.code {
        case 1002 where close.reason.isEmpty:
            let checked =
                facts.missingEvidence.map { "wssniff could not check every frame: \($0)" }
                ?? "wssniff's frame checks found no rule broken"
            return GatewayVerdict(
                cause: .frameViolation,
                observed: true,
                summary: "The gateway closed with 1002 and an empty reason, which the `ws` library sends when a "
                    + "received frame breaks RFC 6455; look at the client's frames (\(checked)). A 1002 after the "
                    + "proof never means a wrong envelope."
            )
        case 1007:
            return GatewayVerdict(
                cause: .invalidUTF8,
                observed: true,
                summary: "The gateway closed with 1007: a client text message or close reason is not valid UTF-8."
                    + Self.missingSentence(facts)
            )
        case 1009:
            return GatewayVerdict(
                cause: .messageTooBig,
                observed: true,
                summary: "The gateway closed with 1009: a client message is larger than its maxPayload (64 KiB before "
                    + "the connect is accepted)." + Self.missingSentence(facts)
            )
        case 1000?, nil:
            if let verdict = Self.busyTimeoutVerdict(facts, close) {
                return verdict
            }
            // A timeout only when the capture shows that no connect came: from the connection's start, every byte.
            let noConnectShown =
                facts.firstClientMessage == nil && facts.startCaptured && facts.missingEvidence == nil
            if facts.connectAfterTimeout || noConnectShown {
                return GatewayVerdict(
                    cause: .handshakeTimeout,
                    observed: true,
                    summary: "The gateway closed with \(Self.codeText(close.code)) and no reason: "
                        + Self.detail(.handshakeTimeout, facts, observed: true)
                )
            }
            if case .notJSON = facts.firstClientMessage, facts.missingEvidence == nil {
                return GatewayVerdict(
                    cause: .invalidRequestFrame,
                    observed: true,
                    summary: "The gateway closed with \(Self.codeText(close.code)) and no reason: the client's first "
                        + "message is not JSON, so the gateway dropped the connection without an answer; send the "
                        + "connect request as a JSON text frame."
                )
            }
            return nil
        default:
            return nil
        }
    }

    private static func acceptedSummary(_ facts: HandshakeFacts, _ response: GatewayResponse) -> String {
        var parts: [String] = []
        if let hello = response.helloOK {
            if let version = hello.protocolVersion {
                parts.append("protocol \(version)")
            }
            if let server = hello.serverVersion {
                parts.append("server \(server)")
            }
        }
        var summary = "The gateway accepted the connect"
        if !parts.isEmpty {
            summary += " (" + parts.joined(separator: ", ") + ")"
        }
        if let proof = facts.proof {
            summary += "; the device proof: " + proof.signedFormClause + "."
        } else if facts.connect != nil {
            summary +=
                " without a device identity, on the shared token or password alone: the gateway clears its "
                + "scopes, so calls will fail with \"missing scope\"; send a signed `device` to keep them."
        } else if facts.missingEvidence != nil || !facts.startCaptured {
            summary += "; the connect it answered is not readable in the capture, so its device proof is not checked."
        } else {
            summary += "."
        }
        if facts.challenge == nil {
            summary += Self.withoutChallenge(facts)
        }
        return summary + Self.missingSentence(facts)
    }

    /// What a capture that holds the connect but not the `connect.challenge` before it cannot show.
    private static func withoutChallenge(_ facts: HandshakeFacts) -> String {
        let start =
            facts.startCaptured
            ? "The capture has no `connect.challenge`"
            : "The capture starts after the "
                + "`connect.challenge`"
        guard facts.connect != nil else {
            return " \(start)."
        }
        guard facts.connect?.device != nil else {
            return " \(start), so how long the client took to answer it cannot be checked."
        }
        return " \(start), so two checks cannot be made: whether `device.nonce` is that challenge's nonce, and how "
            + "long the client took to answer it; the signature was checked over the nonce the client sent, and the "
            + "gateway's `hello-ok` says its own checks passed."
    }

    /// "The gateway closed with 1008 "device signature invalid"" or "The gateway answered NOT_PAIRED "pairing
    /// required"".
    private static func answerPhrase(_ facts: HandshakeFacts) -> String {
        if let close = facts.gatewayInitiatedClose, !close.reason.isEmpty || facts.response?.error == nil {
            let reason = close.reason.isEmpty ? " and no reason" : " \(JSONValue.string(close.reason).jsonText)"
            return "The gateway closed with \(Self.codeText(close.code))\(reason)"
        }
        let error = facts.response?.error
        let code = error?.code.map { "\($0) " } ?? ""
        return "The gateway answered \(code)\(JSONValue.string(error?.message ?? "").jsonText)"
    }

    static func codeText(_ code: UInt16?) -> String {
        code.map { String($0) } ?? "no status code"
    }

    // MARK: Predicted

    private static func predictedVerdict(_ facts: HandshakeFacts) -> GatewayVerdict {
        if facts.source == .pastedConnect {
            return Self.pastedConnectVerdict(facts)
        }
        let reason: String
        if facts.missingEvidence != nil {
            reason = "the gateway's answer is not readable in the capture"
        } else if let close = facts.closes.first(where: { $0.direction == .client }) {
            reason = "the client closed with \(Self.codeText(close.code)) before the gateway answered"
        } else if facts.serverClose != nil {
            reason = "the gateway closed with \(Self.codeText(facts.serverClose?.code)) without saying why"
        } else if facts.connectionEnded {
            reason = "the connection ended before the gateway answered"
        } else {
            reason = "the capture ends before the gateway answered"
        }
        if let missing = facts.missingEvidence, facts.request == nil {
            // The client's first message is missing or unreadable and bytes are missing: no guess.
            return GatewayVerdict(
                cause: .incompleteCapture,
                observed: false,
                summary: Self.missingSummary(facts, missing),
                predictionReason: reason
            )
        }
        if facts.challenge == nil && facts.response == nil && !facts.startCaptured && facts.request == nil {
            return GatewayVerdict(
                cause: .incompleteCapture,
                observed: false,
                summary: "The capture starts mid-connection and holds neither the client's connect nor the "
                    + "gateway's answer to it; capture from before the client connects.",
                predictionReason: reason
            )
        }
        if facts.challenge == nil && facts.response == nil {
            switch facts.firstClientMessage {
            case .request:
                break
            case nil:
                return GatewayVerdict(
                    cause: facts.closes.isEmpty && !facts.connectionEnded ? .incompleteCapture : .notGateway,
                    observed: false,
                    summary: "No gateway frame in either direction: no `connect.challenge` from the server and no "
                        + "request from the client; this is not an OpenClaw gateway handshake, or the capture missed "
                        + "its start.",
                    predictionReason: reason
                )
            default:
                return GatewayVerdict(
                    cause: .notGateway,
                    observed: false,
                    summary: "Not an OpenClaw gateway handshake: the server sent no `connect.challenge` and the "
                        + "client's first message is not a gateway request frame.",
                    predictionReason: reason
                )
            }
        }
        guard let (cause, detail) = Self.firstFailingCheck(facts) else {
            return GatewayVerdict(
                cause: .incompleteCapture,
                observed: false,
                summary: (facts.missingEvidence == nil
                    ? "The capture ends before the gateway answered the connect"
                    : "The gateway's answer to the connect is not readable in the capture")
                    + "; every check wssniff can make passes"
                    + (facts.proof.map { " (\($0.signedFormClause))" } ?? "")
                    + ", and whether it is accepted depends on the shared token and pairing, which the wire does not "
                    + "show." + Self.missingSentence(facts),
                predictionReason: reason
            )
        }
        if cause == .incompleteCapture {
            return GatewayVerdict(cause: cause, observed: false, summary: detail, predictionReason: reason)
        }
        let gatewayWould: String
        if let message = cause.gatewayMessage, let code = cause.closeCode {
            gatewayWould = "the gateway would refuse it with \"\(message)\" (\(code))"
        } else if cause == .handshakeTimeout {
            gatewayWould = "the gateway would close with 1000 and no reason"
        } else {
            gatewayWould = "the gateway would refuse it"
        }
        let start = reason.prefix(1).uppercased() + reason.dropFirst()
        return GatewayVerdict(
            cause: cause,
            observed: false,
            summary: "\(start); \(gatewayWould): \(detail)" + Self.missingSentence(facts),
            predictionReason: reason
        )
    }

    /// The verdict on a connect given alone (`wssniff verify`): the gateway's checks in order, and, when every one
    /// passes, `accepted`, predicted: the checks the input cannot show (the shared token against the gateway's, the
    /// device's pairing) are named in the sentence.
    private static func pastedConnectVerdict(_ facts: HandshakeFacts) -> GatewayVerdict {
        let reason = "offline verification: only the connect was given, not the gateway's answer"
        guard let (cause, detail) = Self.firstFailingCheck(facts) else {
            let summary: String
            if let proof = facts.proof {
                summary =
                    "Every check passes; the gateway would accept this proof if the token and pairing are right "
                    + "(\(proof.signedFormClause))."
            } else {
                summary =
                    "Every check passes; the connect has no device proof, so the gateway would accept it on "
                    + "its shared token or password alone, if that is right, and clear its scopes: calls will fail "
                    + "with \"missing scope\"."
            }
            return GatewayVerdict(
                cause: .accepted,
                observed: false,
                summary: summary,
                predictionReason: reason + "; the gateway alone checks the shared token and the pairing"
            )
        }
        if cause == .incompleteCapture {
            return GatewayVerdict(cause: cause, observed: false, summary: detail, predictionReason: reason)
        }
        let refusal: String
        if let message = cause.gatewayMessage, let code = cause.closeCode {
            refusal = "The gateway would refuse this connect with \"\(message)\" (\(code))"
        } else {
            refusal = "The gateway would refuse this connect"
        }
        return GatewayVerdict(
            cause: cause,
            observed: false,
            summary: "\(refusal): \(detail)",
            predictionReason: reason
        )
    }

    /// The summary of a connection whose connect cannot be read because bytes are missing: what is missing, what
    /// the capture still shows.
    private static func missingSummary(_ facts: HandshakeFacts, _ missing: String) -> String {
        var shown: [String] = []
        if facts.challenge != nil {
            shown.append("the `connect.challenge`")
        }
        let closes = facts.closes.map { close in
            let side = close.direction == .server ? "gateway" : "client"
            let reason = close.reason.isEmpty ? "" : " \(JSONValue.string(close.reason).jsonText)"
            return "the \(side)'s close \(Self.codeText(close.code))\(reason)"
        }
        shown.append(contentsOf: closes)
        let still = shown.isEmpty ? "" : "; it still shows " + shown.joined(separator: ", ")
        let answer =
            facts.response == nil && !facts.closes.contains { $0.direction == .server && !$0.reason.isEmpty }
            ? " and no answer of the gateway to it is readable" : ""
        return "The capture lacks part of this connection: \(missing). The client's connect is not readable\(answer)"
            + "\(still), so wssniff does not guess the verdict; capture again with the whole packets (`-s 0`) "
            + "from before the client connects."
    }

    /// The gateway's checks in section 5's order; the first that fails, with its explanation, or
    /// `incompleteCapture` when the client has not sent anything yet, or `nil` when every check that the wire
    /// shows passes.
    static func firstFailingCheck(_ facts: HandshakeFacts) -> (Cause, String)? {
        guard let message = facts.firstClientMessage else {
            if facts.connectAfterTimeout {
                return (.handshakeTimeout, Self.detail(.handshakeTimeout, facts, observed: false))
            }
            return (
                .incompleteCapture,
                "The capture ends after the challenge, before the client sent its connect; capture longer."
            )
        }
        if facts.connectAfterTimeout {
            return (.handshakeTimeout, Self.detail(.handshakeTimeout, facts, observed: false))
        }
        switch message {
        case .notJSON(let error) where error.code == .jsonTooDeep || error.code == .jsonTooLarge:
            // Past wssniff's own bounds, not the gateway's: `JSON.parse` reads deeper nesting, so nothing after the
            // framing can be predicted.
            return (
                .incompleteCapture,
                "wssniff did not read the client's first message (\(error.message)); the gateway's JSON.parse has "
                    + "no such limit, so its answer is not predicted. Only the framing checks were made."
            )
        case .notJSON, .notFrame, .response, .event:
            return (.invalidRequestFrame, Self.detail(.invalidRequestFrame, facts, observed: false))
        case .request(let request):
            if !request.isValidFrame {
                return (.invalidRequestFrame, Self.detail(.invalidRequestFrame, facts, observed: false))
            }
            guard let params = request.connectParams else {
                return (.invalidHandshake, Self.detail(.invalidHandshake, facts, observed: false))
            }
            if !facts.profileChoice.profile.schemaFindings(params).isEmpty {
                return (.invalidConnectParams, Self.detail(.invalidConnectParams, facts, observed: false))
            }
            if let minimum = params.minProtocol, let maximum = params.maxProtocol,
                !facts.profileChoice.profile.admits(params, minimum, maximum, gatewayProtocol: facts.gatewayProtocol)
            {
                return (.protocolMismatch, Self.detail(.protocolMismatch, facts, observed: false))
            }
            if !params.roleIsAllowed {
                return (.invalidRole, Self.detail(.invalidRole, facts, observed: false))
            }
            guard params.device != nil, let proof = facts.proof else {
                if params.hasSharedAuth {
                    // The Control UI needs a device even with the token (2026.3.13, default config).
                    return Self.controlUIWithoutDevice(facts)
                }
                return (.deviceIdentityRequired, Self.detail(.deviceIdentityRequired, facts, observed: false))
            }
            if proof.checks.deviceIdMatchesPublicKey != true {
                return (.deviceIdentityMismatch, Self.detail(.deviceIdentityMismatch, facts, observed: false))
            }
            if proof.checks.signedAtWithinWindow == false {
                return (.deviceSignatureExpired, Self.detail(.deviceSignatureExpired, facts, observed: false))
            }
            if proof.checks.nonceIsEmpty {
                return (.deviceNonceRequired, Self.detail(.deviceNonceRequired, facts, observed: false))
            }
            if proof.checks.nonceMatchesChallenge == false {
                return (.deviceNonceMismatch, Self.detail(.deviceNonceMismatch, facts, observed: false))
            }
            // 2026.3.13 verifies before it normalizes the key (message-handler.ts), and a key it cannot use fails
            // the verification: "device signature invalid", never "device public key invalid".
            if proof.publicKeyProblem != nil || proof.keyRejection != nil {
                return (.deviceSignatureInvalid, Self.detail(.deviceSignatureInvalid, facts, observed: false))
            }
            if !proof.verifiesInAcceptedForm {
                return (.deviceSignatureInvalid, Self.detail(.deviceSignatureInvalid, facts, observed: false))
            }
            return nil
        }
    }

    // MARK: Details

    /// What the cause means for this connection, after "The gateway closed with ...: ".
    static func detail(_ cause: Cause, _ facts: HandshakeFacts, observed: Bool) -> String {
        if let precise = ConnectErrorSummary.detail(cause, facts, observed: observed) {
            return precise
        }
        let params = facts.connect
        let proofNote: String = {
            guard let proof = facts.proof else {
                return params?.device == nil ? " The connect carried no device proof." : ""
            }
            return " The device proof was never checked; \(proof.signedFormClause)."
        }()
        switch cause {
        case .protocolMismatch:
            let offered =
                "\(params?.minProtocol.map { String($0) } ?? "?")..\(params?.maxProtocol.map { String($0) } ?? "?")"
            return "the client offered protocol \(offered) and this gateway speaks \(facts.gatewayProtocol)."
                + proofNote
        case .invalidRequestFrame:
            switch facts.firstClientMessage {
            case .notJSON(let error):
                return "the client's first message is not JSON (\(error.message)); send the connect request as a "
                    + "JSON text frame."
            case .request(let request):
                let finding = request.findings.first.map { $0.description } ?? "?"
                return "the client's first message is not a valid request frame (\(finding)); a `req` frame has "
                    + "exactly `type`, `id`, `method` and `params`."
            default:
                return "the client's first message is not a `req` frame; the handshake must start with "
                    + "{\"type\":\"req\",\"method\":\"connect\",...}."
            }
        case .invalidHandshake:
            let method = facts.request?.method ?? "?"
            return "the client's first request is `\(method)`, not `connect`; send `connect` first."
        case .invalidConnectParams:
            if let params, let finding = params.schemaFindings.first ?? params.findings.first {
                let more = params.findings.count > 1 ? " (and \(params.findings.count - 1) more)" : ""
                return "the connect params fail the gateway's schema \(finding)\(more); fix that field." + proofNote
            }
            if let message = facts.response?.error?.message {
                return "the connect params fail the gateway's schema (\(message)); fix that field." + proofNote
            }
            return "the connect params fail the gateway's schema." + proofNote
        case .invalidRole:
            let role = params?.role?.jsonText ?? "?"
            return "`params.role` is \(role), which the gateway's role check refuses: it accepts only \"operator\" or "
                + "\"node\" (exactly, lowercase). The role passes the gateway's schema (any string does) and is checked "
                + "on its own after the protocol range, before any device or token check; send \"operator\" or "
                + "\"node\"." + proofNote
        case .deviceIdentityRequired:
            if let secureContext = Self.secureContextDetail(facts) {
                return secureContext
            }
            return "the connect has no `device` and no usable shared token or password; sign a device proof or "
                + "send the gateway token."
        case .deviceIdentityMismatch:
            let sent = params?.device?.id?.stringValue ?? "?"
            if let derived = facts.proof?.derivedDeviceId {
                if let intended = facts.proof?.gatewayKey?.intendedKey, Ed25519.deviceId(publicKey: intended) == sent {
                    return "`device.id` (\(sent)) is the SHA-256 of the raw key, but `device.publicKey` is the 44-byte "
                        + "SPKI DER form of it, and 2026.3.13 hashes whatever bytes the key decodes to (\(derived)); "
                        + "send the raw 32-byte key (the DER minus its 12-byte prefix) as unpadded base64url."
                }
                return "`device.id` (\(sent)) is not the SHA-256 of `device.publicKey` (\(derived)); send the id "
                    + "derived from the key."
            }
            return "`device.id` (\(sent)) is not the SHA-256 of `device.publicKey`, which cannot be decoded."
        case .deviceSignatureExpired:
            if let skew = facts.proof?.checks.signedAtSkewMs {
                let against =
                    facts.proof?.checks.skewReference == .challengeTs ? "the challenge ts" : "the capture time"
                return "`device.signedAt` is \(skew) ms off \(against), outside the gateway's ±120000 ms window; sign "
                    + "with the current time in ms (check the client's clock)."
            }
            return "`device.signedAt` is outside the gateway's ±120000 ms window; sign with the current time in ms."
        case .deviceNonceRequired:
            return "`device.nonce` is empty; send the nonce of the `connect.challenge`."
        case .deviceNonceMismatch:
            let sent = params?.device?.nonce?.stringValue.map(JavaScript.trim) ?? "?"
            let expected = facts.challenge?.nonce ?? "?"
            let whose =
                facts.source == .pastedConnect ? "the challenge nonce given" : "this connection's challenge nonce"
            if let stale = facts.proof?.staleChallenge {
                return "`device.nonce` (\(sent)) is not \(whose) (\(expected)): \(stale.phrase). The client answered "
                    + "another connection's challenge (a stale or shared nonce); sign and send the nonce of the "
                    + "challenge on the connection you connect on."
            }
            return "`device.nonce` (\(sent)) is not \(whose) (\(expected)); sign and send the nonce of the challenge "
                + "you answer."
        case .deviceSignatureInvalid:
            guard let proof = facts.proof else {
                return "neither the v3 nor the v2 payload verifies."
            }
            return "neither the v3 nor the v2 payload verifies. " + (proof.explanation ?? proof.signedFormClause + ".")
        case .devicePublicKeyInvalid:
            return (facts.proof?.explanation ?? "the device public key cannot be decoded.")
                + " 2026.3.13 itself never sends this for a key it cannot use: it checks the signature first and "
                + "says \"device signature invalid\" instead."
        case .originNotAllowed:
            return Self.originDetail(facts)
        case .gatewayClosed:
            return Self.gatewayClosedDetail(facts)
        case .unauthorized:
            let message = facts.response?.error?.message ?? facts.serverClose?.reason ?? ""
            return "the gateway refused the shared token or password (\(message)); check `gateway.auth.token` "
                + "against the token the client sends."
        case .pairingRequired:
            let details = facts.response?.error?.details
            let requestId = details?["requestId"]?.stringValue
            let why = details?["reason"]?.stringValue.map { " (\($0))" } ?? ""
            return "the device is not paired, or asks for a role, scope or metadata upgrade\(why); approve it with "
                + "`openclaw devices approve \(requestId ?? "<requestId>")` (see `openclaw devices list`)."
        case .handshakeTimeout:
            let timeout = ConnectionTimeline.seconds(Int64(facts.handshakeTimeoutMilliseconds))
            if let elapsed = facts.challengeToConnectMs, facts.firstClientMessage != nil {
                return "the client's first message came \(elapsed) ms after the challenge, after the gateway's "
                    + "\(timeout) handshake timeout; send the connect sooner."
            }
            return "no connect arrived within the gateway's \(timeout) handshake timeout; send the connect right after "
                + "the challenge."
        default:
            return cause.rawValue
        }
    }
}
