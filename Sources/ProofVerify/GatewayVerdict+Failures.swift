extension HandshakeFacts {
    /// The gateway's close when the gateway closed first; `nil` when its close only answers (echoes) the client's.
    package var gatewayInitiatedClose: Close? {
        guard let first = self.closes.first, first.direction == .server else { return nil }
        return first
    }

    /// The client's close when the client closed first.
    package var clientInitiatedClose: Close? {
        guard let first = self.closes.first, first.direction == .client else { return nil }
        return first
    }

    /// The gateway's error message or, without one, its close reason.
    fileprivate var gatewayWords: String {
        self.response?.error?.message ?? self.gatewayInitiatedClose?.reason ?? self.serverClose?.reason ?? ""
    }
}

/// The failures users report most that are not a refused proof (issue 18): a gateway that closes an accepted session,
/// a connection dropped without a close frame, a handshake timer that fired while the gateway was busy, a close the
/// client chose, a refused browser origin, a Control UI without a secure context.
extension GatewayVerdict {
    // MARK: Accepted, then closed or dropped

    /// An accepted connection the gateway then closed (`gateway-closed`), or that ended without a close frame
    /// (`connection-dropped`); `nil` when the client closed it or the capture ends with it open. The handshake's
    /// success stays in the answer (`hello-ok`) and in the sentence.
    static func afterAcceptedVerdict(_ facts: HandshakeFacts, accepted: String) -> GatewayVerdict? {
        guard facts.source == .capture else { return nil }
        let lasted = facts.timeline.sessionMs.map { " " + ConnectionTimeline.duration($0) + " after its `hello-ok`" }
        // A bare 1000 with no close of the client after it may be the echo of a client close the capture did not
        // read (a capture that starts mid-connection): not evidence that the gateway ended the session.
        let bare = facts.gatewayInitiatedClose.map { ($0.code == 1000 || $0.code == nil) && $0.reason.isEmpty } ?? false
        if let close = facts.gatewayInitiatedClose, !bare || facts.closes.contains(where: { $0.direction == .client }) {
            let reason = close.reason.isEmpty ? "no reason" : JSONValue.string(close.reason).jsonText
            return GatewayVerdict(
                cause: .gatewayClosed,
                observed: true,
                summary: "The gateway accepted the connect, then closed the session itself\(lasted ?? "") with "
                    + "\(Self.codeText(close.code)) \(reason): " + Self.gatewayCloseMeaning(close) + " The handshake "
                    + "itself succeeded: " + Self.lowercasedFirst(accepted)
            )
        }
        guard facts.closes.isEmpty, facts.missingEvidence == nil, let end = facts.timeline.tcpEnd else { return nil }
        return GatewayVerdict(
            cause: .connectionDropped,
            observed: true,
            summary: "The gateway accepted the connect; then " + Self.droppedClause(end, lasted: lasted) + ". "
                + Self.dropMeaning(end) + " The handshake itself succeeded: " + Self.lowercasedFirst(accepted)
        )
    }

    /// What the gateway's own close of an accepted session means, and what to do.
    private static func gatewayCloseMeaning(_ close: HandshakeFacts.Close) -> String {
        let reason = close.reason.lowercased()
        switch close.code {
        case 1012?:
            // src/gateway/server-close.ts: every client is closed 1012 "service restart" when the gateway stops.
            return "the gateway was stopping or restarting (an update, a config change that needs a restart, "
                + "`openclaw gateway restart`, or its service manager). Nothing is wrong with the client; it "
                + "reconnects once the gateway is back. When it happens often, the gateway's log and its service "
                + "manager (`journalctl`, `docker logs`) say why it restarts."
        case 1008? where reason.hasPrefix("slow consumer"):
            // src/gateway/server-broadcast.ts: a client whose send buffer is past maxBufferedBytes is closed 1008.
            return "the client did not read the gateway's events fast enough: what the gateway had queued for it "
                + "passed `maxBufferedBytes` (the `policy` in `hello-ok`; 50 MiB in 2026.3.13), so the gateway "
                + "dropped it. The client, or the network or proxy in between, is too slow for the event stream: "
                + "read events as they come, and look for a stalled client or a buffering proxy."
        case 1008? where reason.hasPrefix("repeated unauthorized"):
            // src/gateway/server/ws-connection/unauthorized-flood-guard.ts: closeAfter 10, closed when the count
            // passes it.
            return "the client made more than 10 calls in a row that the gateway refused as unauthorized (a missing "
                + "scope or role), and its flood guard closed the connection. Fix the refused calls: a connect "
                + "without a device proof has its scopes cleared, so sign a `device` proof (and pair the device) to "
                + "keep the scopes the calls need."
        case 1000?, nil:
            return "a normal close from the gateway's side; the session ended as the gateway chose."
        default:
            return "the code and reason are the gateway's own; the session was over before the client ended it."
        }
    }

    /// The sentence after "The gateway closed with 1012 "service restart": " when the gateway's `hello-ok` is not
    /// readable and its close reason says it closed a session.
    static func gatewayClosedDetail(_ facts: HandshakeFacts) -> String {
        guard let close = facts.gatewayInitiatedClose ?? facts.serverClose else {
            return "the gateway closed the session itself."
        }
        return "a close the gateway sends to a session it had accepted: " + Self.gatewayCloseMeaning(close)
    }

    // MARK: No close frame at all

    /// A connection that ended (FIN or RST) with no close frame either way and no answer to the connect.
    static func droppedVerdict(_ facts: HandshakeFacts) -> GatewayVerdict? {
        if case .notJSON(let error) = facts.firstClientMessage,
            error.code == .jsonTooDeep || error.code == .jsonTooLarge
        {
            // Past wssniff's own bounds: what the gateway made of the message is not predicted.
            return nil
        }
        guard facts.source == .capture, facts.closes.isEmpty, facts.response == nil, facts.missingEvidence == nil,
            facts.startCaptured || facts.challenge != nil, facts.challenge != nil || facts.request != nil,
            let end = facts.timeline.tcpEnd
        else { return nil }
        let before =
            facts.request == nil ? "before the client sent its connect" : "before the gateway answered the connect"
        var summary =
            "No close frame in either direction: " + Self.droppedClause(end, lasted: nil) + ", " + before
            + ". " + Self.dropMeaning(end)
        if facts.request != nil, let (cause, detail) = Self.firstFailingCheck(facts), cause != .incompleteCapture {
            summary += " wssniff's own checks of the connect find: " + detail
        }
        return GatewayVerdict(cause: .connectionDropped, observed: true, summary: summary)
    }

    /// "the gateway's side ended the TCP connection with a FIN 1.4 s after the last message (the gateway's
    /// `hello-ok`), 1.4 s after its `hello-ok`" (no trailing period).
    private static func droppedClause(_ end: ConnectionTimeline.TCPEnd, lasted: String?) -> String {
        let side = end.side == .server ? "the gateway's side" : "the client's side"
        var clause = "\(side) ended the TCP connection with a \(end.kind.rawValue), no close frame sent"
        if let after = end.msAfterLastMessage {
            clause += ", " + ConnectionTimeline.duration(after) + " after the last message"
            if let last = end.lastMessage {
                clause += " (\(last))"
            }
        }
        if let lasted, end.lastMessage != "the gateway's `hello-ok`" {
            clause += "; the session ended\(lasted)"
        }
        return clause
    }

    /// What a FIN or RST from each side usually means, and what the client sees.
    private static func dropMeaning(_ end: ConnectionTimeline.TCPEnd) -> String {
        let proxyNote =
            " On a capture of a proxy's leg, each side is the next hop: the proxy stands for the peer behind it."
        switch (end.side, end.kind) {
        case (.server, .fin):
            return "A gateway that ends the connection without a close frame has exited, been killed or restarted, "
                + "or a proxy in front of it closed the connection (an idle or read timeout); the client sees 1006. "
                + "Look in the gateway's log and its service manager (`journalctl`, `docker logs`) for a restart or a "
                + "crash at that time, and at the proxy's timeouts." + proxyNote
        case (.server, .rst):
            return "A reset from the gateway's side: its process died (a crash, an out-of-memory kill) or a proxy or "
                + "firewall cut the connection; the client sees 1006. Look in the gateway's log and its service "
                + "manager (`journalctl`, `docker logs`, `dmesg` for the OOM killer) at that time." + proxyNote
        case (.client, .fin):
            return "The client went away without closing the WebSocket: it exited or gave up (its own timeout), or a "
                + "proxy between it and the gateway closed the connection (an idle timeout); look in the client's log "
                + "and at the proxy's timeouts." + proxyNote
        case (.client, .rst):
            return "A reset from the client's side: the client process died, or a proxy or firewall in between cut "
                + "the connection; look in the client's log and at what lies between it and the gateway." + proxyNote
        }
    }

    // MARK: The handshake timer on a busy gateway

    /// The gateway closed with 1000 and no reason after its handshake timeout although the connect came in time: the
    /// timer fired while the connect waited for its checks (a busy gateway). `nil` otherwise.
    static func busyTimeoutVerdict(_ facts: HandshakeFacts, _ close: HandshakeFacts.Close) -> GatewayVerdict? {
        let timeout = Int64(facts.handshakeTimeoutMilliseconds)
        guard facts.source == .capture, close.reason.isEmpty, facts.gatewayInitiatedClose == close,
            facts.response == nil, facts.missingEvidence == nil, !facts.connectAfterTimeout,
            let request = facts.request, request.method == "connect"
        else { return nil }
        let timing: String
        if let sent = facts.challengeToConnectMs, let closed = facts.timeline.challengeToServerCloseMs {
            guard closed * 10 >= timeout * 9 else { return nil }
            timing =
                "\(ConnectionTimeline.duration(closed)) after the challenge without answering the connect, which the "
                + "client sent \(ConnectionTimeline.duration(sent)) after the challenge"
        } else if facts.challenge == nil, let closed = facts.timeline.connectToServerCloseMs {
            // The capture starts after the challenge: the time since the connect is at most the timer's.
            guard closed * 10 >= timeout * 9 else { return nil }
            timing =
                "\(ConnectionTimeline.duration(closed)) after the client's connect without answering it (the "
                + "capture starts after the challenge, which came before the connect)"
        } else {
            return nil
        }
        let timeoutText = ConnectionTimeline.seconds(timeout)
        return GatewayVerdict(
            cause: .handshakeTimeout,
            observed: true,
            summary: "The gateway closed with \(Self.codeText(close.code)) and no reason " + timing
                + ": the gateway's \(timeoutText) handshake timer fired while the connect waited for its checks, as it does on a busy "
                + "gateway (a large config, a slow disk, many plugins, a small NAS). The client is not at fault. "
                + "Releases from 2026.3.22 wait 10 s; until the gateway is updated, reduce its startup load (fewer "
                + "plugins, a smaller config) or let the client retry once the gateway has settled."
        )
    }

    // MARK: A close the client chose

    /// The client closed first, before the gateway answered: the code is the client's own.
    static func clientClosedVerdict(_ facts: HandshakeFacts) -> GatewayVerdict? {
        guard facts.source == .capture, facts.response == nil, facts.missingEvidence == nil,
            let close = facts.clientInitiatedClose
        else {
            return nil
        }
        let reason = close.reason.isEmpty ? "no reason" : JSONValue.string(close.reason).jsonText
        var summary =
            "The client closed the connection first, with \(Self.codeText(close.code)) \(reason), before "
            + "the gateway answered"
        summary += facts.request == nil ? " (it had sent no connect)" : " its connect"
        summary += ": the close is the client's own, not the gateway's"
        summary += facts.closes.contains { $0.direction == .server } ? ", whose close only echoes it" : ""
        summary += ". " + Self.clientCodeMeaning(close.code)
        let echoed = facts.closes.contains { $0.direction == .server }
        if facts.request != nil {
            if let (cause, detail) = Self.firstFailingCheck(facts), cause != .incompleteCapture {
                summary += " wssniff's own checks of the connect find: " + detail
            } else {
                summary += " wssniff's own checks of the connect find nothing the gateway would refuse."
            }
        } else {
            summary += " The gateway checked nothing: why the client gave up is in the client's own log or console."
        }
        guard echoed else {
            // The gateway's side of the close is not in the capture: what the client did is, the gateway's answer not.
            return GatewayVerdict(
                cause: .clientClosed,
                observed: false,
                summary: summary + " The capture ends before the gateway answered that close.",
                predictionReason: "the capture ends before the gateway answered the client's close"
            )
        }
        return GatewayVerdict(cause: .clientClosed, observed: true, summary: summary)
    }

    private static func clientCodeMeaning(_ code: UInt16?) -> String {
        switch code {
        case 4008?:
            // ui/src/ui/gateway.ts: CONNECT_FAILED_CLOSE_CODE = 4008, "connect failed".
            return "4008 is a private-use code (4000-4999, RFC 6455 7.4.2) that the Control UI sends as "
                + "\"connect failed\" when its own connect fails (an error building or sending it, or a refused "
                + "answer); the gateway never sends it."
        case let code? where (4000...4999).contains(code):
            return "\(code) is a private-use code (4000-4999, RFC 6455 7.4.2) the client chose; the gateway never "
                + "sends it."
        case 1000?, 1001?:
            return "The client ended the connection normally (\(code.map { String($0) } ?? "")): it chose to go."
        default:
            return "The code is the client's choice."
        }
    }

    // MARK: Browser-side refusals

    /// The sentence for `origin-not-allowed`: the `Origin` the upgrade carried and the config key that allows it.
    static func originDetail(_ facts: HandshakeFacts) -> String {
        guard let origin = facts.timeline.origin else {
            return "the gateway refused the browser's `Origin` (the upgrade with it is not in the capture): add that "
                + "origin to `gateway.controlUi.allowedOrigins` or open the Control UI from the gateway host. The "
                + "shared token is not the problem."
        }
        let host = facts.timeline.host.map { " (`Host: \($0)`)" } ?? ""
        return "the upgrade's `Origin` is `\(origin)`, which is neither the gateway's own host\(host) nor loopback nor "
            + "in `gateway.controlUi.allowedOrigins`: add `\(origin)` there (scheme, host and port exactly) and "
            + "restart the gateway, or open the Control UI from the gateway host itself. The shared token is not the "
            + "problem."
    }

    /// The sentence for the Control UI's "control ui requires device identity", `nil` for other messages.
    static func secureContextDetail(_ facts: HandshakeFacts) -> String? {
        let said = facts.gatewayWords.lowercased().hasPrefix("control ui requires device identity")
        let predicted = facts.gatewayWords.isEmpty && Self.isControlUIWithoutDevice(facts)
        guard said || predicted else { return nil }
        let origin = facts.timeline.origin.map { " (`Origin: \($0)`)" } ?? ""
        // Upstream's gateway security docs (docs/gateway/security): the Control UI needs a secure context to make
        // its device identity; gateway.controlUi.allowInsecureAuth is a localhost-only compatibility switch.
        return "the Control UI connected without a device identity, which the gateway requires of it: the page"
            + "\(origin) is not a secure context (plain HTTP from another host), so the browser cannot create the "
            + "device key. Open the Control UI over HTTPS (a TLS proxy, `tailscale serve`) or from localhost on the "
            + "gateway host (an SSH tunnel: `ssh -N -L 18789:127.0.0.1:18789 HOST`). "
            + "`gateway.controlUi.allowInsecureAuth` only covers plain HTTP on localhost, and "
            + "`gateway.controlUi.dangerouslyDisableDeviceAuth` drops the device check for everyone: a last resort "
            + "that lets anyone with the token in."
    }

    /// A Control UI connect with no `device`: 2026.3.13 refuses it even with the right token, unless
    /// `gateway.controlUi.allowInsecureAuth` (localhost) or `dangerouslyDisableDeviceAuth` is set.
    static func controlUIWithoutDevice(_ facts: HandshakeFacts) -> (Cause, String)? {
        guard Self.isControlUIWithoutDevice(facts) else { return nil }
        return (.deviceIdentityRequired, Self.detail(.deviceIdentityRequired, facts, observed: false))
    }

    private static func isControlUIWithoutDevice(_ facts: HandshakeFacts) -> Bool {
        guard let params = facts.connect, params.device == nil else { return false }
        return params.client?.id?.stringValue == "openclaw-control-ui"
    }

    private static func lowercasedFirst(_ text: String) -> String {
        guard let first = text.first else { return text }
        // "The gateway accepted ..." reads on after a colon as "the gateway accepted ...".
        return first.lowercased() + text.dropFirst()
    }
}
