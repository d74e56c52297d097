/// When things happened on one connection and how its TCP connection ended, with the upgrade's `Origin`: what the
/// failure verdicts need beyond the messages (a gateway that closed an accepted session, a connection dropped
/// without a close frame, a handshake timer that fired while the connect waited, an origin the gateway refused).
package struct ConnectionTimeline: Hashable, Sendable {
    /// How the TCP connection ended, as the capture shows it.
    package struct TCPEnd: Hashable, Sendable {
        /// A FIN or a RST.
        package enum Kind: String, Hashable, Sendable {
            case fin = "FIN"
            case rst = "RST"
        }

        /// The side that sent the first FIN or RST.
        package var side: HandshakeFacts.Close.Direction
        package var kind: Kind
        /// The time from the connection's last WebSocket message (either side) to that FIN or RST, ms.
        package var msAfterLastMessage: Int64?
        /// What the last message was ("the gateway's `hello-ok`", "the client's connect"), when one was seen.
        package var lastMessage: String?

        package init(
            side: HandshakeFacts.Close.Direction,
            kind: Kind,
            msAfterLastMessage: Int64? = nil,
            lastMessage: String? = nil
        ) {
            self.side = side
            self.kind = kind
            self.msAfterLastMessage = msAfterLastMessage
            self.lastMessage = lastMessage
        }
    }

    /// The time from the `connect.challenge` to the gateway's first close frame, ms.
    package var challengeToServerCloseMs: Int64?
    /// The time from the client's first message to the gateway's first close frame, ms.
    package var connectToServerCloseMs: Int64?
    /// The time from the gateway's answer to the connect (`hello-ok`) to the first close frame, or to the TCP end
    /// when no close frame came, ms: how long the accepted session lasted.
    package var sessionMs: Int64?
    /// The first FIN or RST, when the capture holds one.
    package var tcpEnd: TCPEnd?
    /// The upgrade request's `Origin` header, when it had one.
    package var origin: String?
    /// The upgrade request's `Host` header, when it had one.
    package var host: String?

    package init(
        challengeToServerCloseMs: Int64? = nil,
        sessionMs: Int64? = nil,
        tcpEnd: TCPEnd? = nil,
        origin: String? = nil,
        host: String? = nil
    ) {
        self.challengeToServerCloseMs = challengeToServerCloseMs
        self.sessionMs = sessionMs
        self.tcpEnd = tcpEnd
        self.origin = origin
        self.host = host
    }

    /// "3 s" for whole seconds (a configured timeout), else as `duration`.
    package static func seconds(_ milliseconds: Int64) -> String {
        milliseconds % 1_000 == 0 ? "\(milliseconds / 1_000) s" : Self.duration(milliseconds)
    }

    /// "40 ms", "3.0 s", "2 min 5 s": a duration as a person reads it.
    package static func duration(_ milliseconds: Int64) -> String {
        if milliseconds < 1_000 {
            return "\(milliseconds) ms"
        }
        if milliseconds < 60_000 {
            let tenths = (milliseconds + 50) / 100
            return "\(tenths / 10).\(tenths % 10) s"
        }
        let seconds = (milliseconds + 500) / 1_000
        return "\(seconds / 60) min \(seconds % 60) s"
    }
}
