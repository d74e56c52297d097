package import Dissect
package import ProofVerify

extension GatewayAnalysis {
    /// When the challenge, the answer, the closes and the TCP end happened on the connection, and the upgrade's
    /// `Origin` and `Host`.
    static func timeline(_ analysis: GatewayAnalysis, websocket: WebSocketConnectionSummary) -> ConnectionTimeline {
        var timeline = ConnectionTimeline(origin: websocket.handshake?.origin, host: websocket.handshake?.host)
        let serverClose = websocket.closes.first { $0.record.direction == .server }
        if let challenge = analysis.challengeTime, let close = serverClose {
            timeline.challengeToServerCloseMs = Self.milliseconds(from: challenge, to: close.record.packet.timestamp)
        }
        if let connect = analysis.firstClientMessageTime, let close = serverClose {
            timeline.connectToServerCloseMs = Self.milliseconds(from: connect, to: close.record.packet.timestamp)
        }
        let ending = websocket.tcpEndings.min { $0.packet.number < $1.packet.number }
        if let answered = analysis.responseTime {
            if let close = websocket.closes.first {
                timeline.sessionMs = Self.milliseconds(from: answered, to: close.record.packet.timestamp)
            } else if let ending {
                timeline.sessionMs = Self.milliseconds(from: answered, to: ending.packet.timestamp)
            }
        }
        if let ending {
            let last = websocket.messages.max { $0.endPacket.number < $1.endPacket.number }
            timeline.tcpEnd = ConnectionTimeline.TCPEnd(
                side: ending.direction == .client ? .client : .server,
                kind: ending.end == .rst ? .rst : .fin,
                msAfterLastMessage: last.map {
                    Self.milliseconds(from: $0.endPacket.timestamp, to: ending.packet.timestamp)
                },
                lastMessage: last.map { Self.describe($0, analysis) }
            )
        }
        return timeline
    }

    /// The closes, the one sent first in front. The parse order is that order, except when the client's stream lost
    /// bytes in a gap (or in a capture that starts mid-connection, for both sides): its framing is found again, so its
    /// frames may be read later than the other side's, so its close moves in front when it is earlier both in record number and in
    /// time. (Either alone can mislead: records can be out of order, and timestamps of records taken on two CPUs too.)
    static func sendingOrder(
        _ websocket: WebSocketConnectionSummary,
        evidence: CaptureEvidence
    ) -> [WebSocketConnectionSummary.Close] {
        let closes = websocket.closes
        let late: Set<Direction> =
            websocket.kind == .midStream
            ? [.client, .server]
            : Set(
                // Only the client's: a gateway close moved in front would claim a session the gateway ended.
                [evidence.clientGapBytes > 0 ? Direction.client : nil].compactMap { $0 }
            )
        guard let first = closes.first, !late.isEmpty,
            let earlier = closes.firstIndex(where: {
                $0.record.direction != first.record.direction && late.contains($0.record.direction)
                    && $0.record.packet.number < first.record.packet.number
                    && $0.record.packet.timestamp.nanoseconds < first.record.packet.timestamp.nanoseconds
            })
        else { return closes }
        var ordered = closes
        ordered.insert(ordered.remove(at: earlier), at: 0)
        return ordered
    }

    private static func milliseconds(from start: Timestamp, to end: Timestamp) -> Int64 {
        max(0, (end.nanoseconds - start.nanoseconds) / 1_000_000)
    }

    /// "the gateway's `hello-ok`", "the client's connect", "a client message".
    private static func describe(_ message: WebSocketMessageRecord, _ analysis: GatewayAnalysis) -> String {
        let side = message.direction == .client ? "the client's" : "the gateway's"
        if message.direction == .server, message.endPacket.timestamp == analysis.responseTime {
            return analysis.response?.ok == true ? "the gateway's `hello-ok`" : "the gateway's answer to the connect"
        }
        if message.direction == .server, message.endPacket.timestamp == analysis.challengeTime {
            return "the gateway's `connect.challenge`"
        }
        if message.direction == .client, message.startPacket.timestamp == analysis.firstClientMessageTime,
            analysis.connect != nil
        {
            return "the client's connect"
        }
        return side + " message \(message.index)"
    }

    /// The verdict's sentence for a connection whose client spoke TLS first.
    static func tlsSummary(_ websocket: WebSocketConnectionSummary) -> String {
        if websocket.tlsFromServer {
            return "A TLS connection: both sides speak TLS, so the WebSocket upgrade and every gateway message inside "
                + "it are encrypted and cannot be read. Capture the plaintext leg instead: behind a TLS proxy (nginx, "
                + "Caddy, `tailscale serve`), the proxy-to-gateway hop, usually on `lo` of the gateway's host or in "
                + "its container."
        }
        return "The client's first bytes are a TLS record (a ClientHello): the client speaks TLS (`wss://`) to a port "
            + "where the server does not, so no WebSocket was opened and the gateway saw no handshake. Point the "
            + "client at `ws://` for this port, or at the TLS proxy in front of the gateway; TLS bytes cannot be "
            + "read, so to see a handshake behind a TLS proxy, capture the plaintext proxy-to-gateway leg (usually "
            + "on `lo`)."
    }
}
