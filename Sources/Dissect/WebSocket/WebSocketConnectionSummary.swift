/// Everything the WebSocket layer concluded about one connection.
package struct WebSocketConnectionSummary: Sendable {
    /// What kind of conversation the connection carried.
    package enum Kind: Hashable, Sendable {
        /// An upgrade was seen and accepted with 101.
        case upgraded
        /// The capture started after the upgrade: framing was found by resynchronizing.
        case midStream
        /// An upgrade was asked for and refused (or not answered before the capture ended).
        case upgradeRejected
        case upgradeUnanswered
        /// Not WebSocket (the reason says what it was).
        case notWebSocket(String)
    }

    /// A close frame, tied to what it answers.
    package struct Close: Sendable {
        package var record: WebSocketCloseRecord
        /// The other side's breach this close answers (its code is the one a conforming peer sends for it).
        package var answers: WebSocketViolation?
        /// Whether this side closed first.
        package var initiated: Bool
        /// For the first close: whether the other side answered with its own close frame.
        package var echoed: Bool?
    }

    /// How TCP ended after the WebSocket conversation.
    package struct TCPEnding: Sendable {
        package var end: StreamEnd
        package var direction: Direction
        package var packet: PacketRef
    }

    /// A place where framing had to be found again.
    package struct Resynchronization: Sendable {
        package var direction: Direction
        package var skippedBytes: Int
        package var packet: PacketRef
    }

    package var kind: Kind
    package var handshake: WebSocketHandshake?
    package var rejection: HTTPConversation.Rejection?
    /// HTTP requests on the connection (keep-alive requests before the upgrade included).
    package var httpRequests: Int
    package var httpFindings: [String]
    package var frameCount: Int
    /// Frames kept: the first ones, then those that matter.
    package var frames: [WebSocketFrameRecord]
    package var clientMessageCount: Int
    package var serverMessageCount: Int
    /// Messages kept, in stream order, with their payloads where kept.
    package var messages: [WebSocketMessageRecord]
    package var controls: [WebSocketControlRecord]
    package var violations: [WebSocketViolation]
    package var violationsOmitted: Int
    package var closes: [Close]
    package var resynchronizations: [Resynchronization]
    /// Bytes lost in capture gaps after the upgrade.
    package var gapBytes: Int
    /// Bytes lost in capture gaps before the upgrade was decided: the upgrade request or its answer is not whole
    /// in the capture (a snaplen, a lost segment), so the connection's kind is not evidence.
    package var upgradeGapBytes: Int = 0
    package var tcpEndings: [TCPEnding]
    /// Whether the client's first bytes are a TLS record (RFC 8446 5.1): a `wss://` client, or a TLS connection.
    package var tlsFromClient = false
    /// Whether the server's first bytes are a TLS record.
    package var tlsFromServer = false
    /// The gateway's messages after `hello-ok`, past the kept ones, skipped by length: their frames were checked,
    /// their payloads not checked as UTF-8 or inflated (`--check-payloads` checks them).
    package var uncheckedMessages: Int = 0
    /// Where each direction's HTTP bytes and WebSocket frames lie in its stream (nil unless
    /// `WebSocketAnalysisOptions.recordsStreamMap`).
    package var clientStreamMap: WebSocketStreamMap?
    package var serverStreamMap: WebSocketStreamMap?

    package var messageCount: Int { self.clientMessageCount + self.serverMessageCount }

    /// Whether the connection carried WebSocket at all.
    package var isWebSocket: Bool {
        switch self.kind {
        case .upgraded, .midStream: return true
        default: return false
        }
    }

    /// Frames shown without `--frames`: the first few, and every close and breach.
    package static let framesShownInSummary = 6

    /// Keeps what a report shows of a connection once its secrets have been found: the first `frames` frames, and
    /// no message (a report lists frames, closes and breaches, never messages).
    package mutating func trimForReport(frames: Int) {
        if self.frames.count > frames {
            self.frames.removeSubrange(frames...)
        }
        self.messages = []
        self.clientStreamMap = nil
        self.serverStreamMap = nil
    }

    /// Drops what only `--frames` and `--messages` show, once the connection has been analyzed: frames beyond the
    /// first few (closes and breached frames stay), messages that end in a dropped frame, and message payloads
    /// beyond a preview.
    package mutating func trim(keepFrames: Bool, keepPayloads: Bool, previewBytes: Int = 256) {
        if !keepFrames {
            let breached = Set(self.violations.compactMap(\.frame))
            var kept = 0
            self.frames = self.frames.filter { frame in
                kept += 1
                return kept <= Self.framesShownInSummary || frame.opcode == .close || breached.contains(frame.number)
            }
        }
        if !keepPayloads {
            // Only the messages that end in a kept frame are shown (as a preview).
            let shownFrames = Set(self.frames.map(\.number))
            self.messages.removeAll { !shownFrames.contains($0.lastFrame) }
            for index in self.messages.indices {
                guard let payload = self.messages[index].payload, payload.count > previewBytes else { continue }
                self.messages[index].payload = Array(payload.prefix(previewBytes))
                self.messages[index].payloadCut = true
            }
        }
    }
}
