internal import Glibc
import WireBytes

/// The layer above TCP for one connection: the HTTP upgrade, then WebSocket frames both ways.
///
/// It decides at the first bytes what the connection carries: a client that starts with an HTTP request is
/// followed through `HTTPConversation` until each direction switches to WebSocket; a connection to the gateway port
/// whose start was not captured is taken as WebSocket mid-stream and resynchronized; anything else is not
/// WebSocket and its bytes are only counted by TCP. Frames are numbered per connection in the order their headers
/// complete.
///
/// Holds two `WebSocketDirectionParser`s (which own zlib state), so it is not `Sendable`; `finish()` turns it into
/// a `WebSocketConnectionSummary`, which is.
package struct WebSocketConnectionAnalyzer: StreamAnalyzer {
    package typealias Options = WebSocketAnalysisOptions

    private enum Mode {
        /// No byte seen yet.
        case undecided
        /// The client began with HTTP.
        case http
        /// The capture started mid-connection on the gateway port.
        case midStream
        /// Not WebSocket.
        case opaque(String)
    }

    private let options: WebSocketAnalysisOptions
    private let client: Endpoint
    private let server: Endpoint
    private var mode: Mode = .undecided
    private var conversation = HTTPConversation()
    private var clientParser: WebSocketDirectionParser?
    private var serverParser: WebSocketDirectionParser?
    /// Client frames that arrived before the answer to the upgrade request, with the packet of each piece.
    private var pendingClient: [(bytes: [UInt8], packet: PacketRef)] = []
    private var pendingClientBytes = 0
    /// Client bytes not held once the bound was reached (the stream resumes after them as after a gap), and the
    /// packet where that began.
    private var pendingClientDropped = 0
    private var pendingClientDroppedAt: PacketRef?
    private var frameNumbers = 0
    private var eventBuffer: [WebSocketEvent] = []
    private var ended: Set<Direction> = []

    private var frames: [WebSocketFrameRecord] = []
    private var frameCount = 0
    private var violatedFrames: Set<Int> = []
    private var messages: [WebSocketMessageRecord] = []
    /// Messages seen and messages kept, per direction (client, server).
    private var messageCounts = (client: 0, server: 0)
    /// Complete text messages from the client so far.
    private var clientTextMessagesDone = 0
    private var keptMessages = (client: 0, server: 0)
    private var controls: [WebSocketControlRecord] = []
    private var violations: [WebSocketViolation] = []
    private var violationsOmitted = 0
    private var closes: [WebSocketCloseRecord] = []
    private var resynchronizations: [WebSocketConnectionSummary.Resynchronization] = []
    private var gapBytes = 0
    /// Bytes lost in capture gaps before the upgrade was decided (in the HTTP request or its answer).
    private var upgradeGapBytes = 0
    private var tcpEndings: [WebSocketConnectionSummary.TCPEnding] = []
    /// Whether each direction's first bytes are a TLS record (RFC 8446 5.1).
    private var tlsRecords = (client: false, server: false)
    /// The server announced the gateway's `connect.challenge`: the client's messages are held to the gateway's
    /// `maxPayload`.
    private var isGateway = false
    /// The server's `connect.challenge` was seen (and told to `options.challengeObserver`).
    private var challengeSeen = false
    /// `hello-ok` was seen and everything it changes is in place: later server messages need not be searched.
    private var handshakeSettled = false
    /// Each direction's stream offset of the next byte (bytes received and gaps so far).
    private var streamPosition = (client: 0, server: 0)
    /// Where each direction's layers lie in its stream, with `options.recordsStreamMap`.
    private var clientStreamMap: WebSocketStreamMap?
    private var serverStreamMap: WebSocketStreamMap?
    /// Fingerprints of the bytes (and holes) each direction delivered, for telling two captured copies of one
    /// connection from two connections.
    private var clientDigest = StreamDigest()
    private var serverDigest = StreamDigest()
    /// Watches the connection's messages and closes as they complete (`options.observers`), until it has seen enough.
    private var observer: (any WebSocketConnectionObserver)?
    /// Stream bytes of each direction never captured so far, for the observer's summary.
    private var holes = (client: 0, server: 0)

    package init(client: Endpoint, server: Endpoint, options: WebSocketAnalysisOptions) {
        self.options = options
        self.client = client
        self.server = server
        if options.recordsStreamMap {
            self.clientStreamMap = WebSocketStreamMap()
            self.serverStreamMap = WebSocketStreamMap()
        }
        self.observer = options.observers?.observer(client: client, server: server)
    }

    // MARK: - StreamAnalyzer

    package mutating func receive(_ bytes: UnsafeRawBufferPointer, from direction: Direction, packet: PacketRef) {
        guard bytes.count > 0 else { return }
        defer { self.advanceStreamPosition(direction, by: bytes.count) }
        if direction == .client {
            self.clientDigest.add(bytes)
        } else {
            self.serverDigest.add(bytes)
        }
        if direction == .client ? self.streamPosition.client == 0 : self.streamPosition.server == 0,
            TLSRecordHead.starts(bytes)
        {
            if direction == .client { self.tlsRecords.client = true } else { self.tlsRecords.server = true }
        }
        if case .undecided = self.mode {
            self.decideMode(firstBytes: bytes, from: direction)
        }
        switch self.mode {
        case .undecided, .opaque:
            return
        case .midStream:
            self.parse(bytes, from: direction, packet: packet)
        case .http:
            self.receiveHTTP(bytes, from: direction, packet: packet)
        }
    }

    package mutating func gap(_ length: Int, in direction: Direction, packet: PacketRef) {
        defer { self.advanceStreamPosition(direction, by: length) }
        if direction == .client {
            self.clientDigest.addHole(length)
            self.holes.client += length
        } else {
            self.serverDigest.addHole(length)
            self.holes.server += length
        }
        if self.hasParser(direction) {
            self.gapBytes += length
            self.withParser(direction) { parser, numbers, sink in parser.gap(length, packet: packet, sink) }
        } else if case .undecided = self.mode {
            // The start of the stream was lost: whatever follows is mid-stream.
            self.upgradeGapBytes += length
            self.decideMode(firstBytes: nil, from: direction, gapLength: length)
        } else if case .http = self.mode, self.conversation.outcome == .pending {
            // Bytes of the upgrade (its request, its answer, or frames sent before the answer) were never captured:
            // HTTP cannot be read across the hole, and what follows it may be frames.
            self.upgradeGapBytes += length
            self.leaveHTTPAfterGap(length, in: direction, packet: packet)
        }
    }

    /// After a gap in the undecided upgrade: on the gateway port the connection goes on mid-stream (both parsers
    /// resynchronize on frame boundaries, the client's held frames first); elsewhere it is not read further.
    private mutating func leaveHTTPAfterGap(_ length: Int, in direction: Direction, packet: PacketRef) {
        guard self.isGatewayPort else {
            self.mode = .opaque("bytes of the HTTP upgrade were never captured")
            return
        }
        self.mode = .midStream
        // Frames start after the gap in its direction; a client that had switched at its request started before.
        self.noteWebSocketStart(.client, at: self.streamPosition.client + (direction == .client ? length : 0))
        self.noteWebSocketStart(.server, at: self.streamPosition.server + (direction == .server ? length : 0))
        let deflate = PerMessageDeflateConfig(noContextTakeover: false)
        self.clientParser = self.makeParser(.client, deflate: deflate, synchronized: false)
        self.serverParser = self.makeParser(.server, deflate: deflate, synchronized: false)
        let pending = self.pendingClient
        self.pendingClient = []
        self.pendingClientBytes = 0
        for piece in pending {
            piece.bytes.withUnsafeBytes { self.parse($0, from: .client, packet: piece.packet) }
        }
        self.pendingClientDropped = 0
        self.withParser(direction) { parser, _, sink in parser.gap(length, packet: packet, sink) }
    }

    package mutating func end(_ end: StreamEnd, from direction: Direction, packet: PacketRef) {
        self.tcpEndings.append(.init(end: end, direction: direction, packet: packet))
        let directions: [Direction] = end == .rst ? [.client, .server] : [direction]
        for side in directions {
            self.endDirection(side, packet: packet)
        }
    }

    // MARK: - Result

    /// The fingerprint of the stream `direction` delivered so far (bytes and holes; see `StreamDigest`).
    package func streamDigest(_ direction: Direction) -> UInt64 {
        direction == .client ? self.clientDigest.value : self.serverDigest.value
    }

    /// Ends both directions (the capture may end first) and gives the summary.
    package mutating func finish() -> WebSocketConnectionSummary {
        // The connection is over: what ends with it is in the summary, not news for an observer.
        self.observer = nil
        let packet =
            self.tcpEndings.last?.packet ?? self.frames.last?.endPacket
            ?? PacketRef(number: 0, timestamp: Timestamp(nanoseconds: 0))
        self.endDirection(.client, packet: packet)
        self.endDirection(.server, packet: packet)
        return self.summary()
    }

    /// The summary of what was read so far, directions not ended.
    private func summary() -> WebSocketConnectionSummary {
        let handshake = self.conversation.handshake
        return WebSocketConnectionSummary(
            kind: self.kind,
            handshake: handshake,
            rejection: self.conversation.rejection,
            httpRequests: self.conversation.requestCount,
            httpFindings: self.conversation.findings,
            frameCount: self.frameCount,
            frames: self.frames,
            clientMessageCount: self.messageCounts.client,
            serverMessageCount: self.messageCounts.server,
            messages: self.messages,
            controls: self.controls,
            violations: self.handshakeViolations(handshake) + self.violations,
            violationsOmitted: self.violationsOmitted,
            closes: self.linkedCloses(),
            resynchronizations: self.resynchronizations,
            gapBytes: self.gapBytes,
            upgradeGapBytes: self.upgradeGapBytes,
            tcpEndings: self.tcpEndings,
            tlsFromClient: self.tlsRecords.client,
            tlsFromServer: self.tlsRecords.server,
            uncheckedMessages: (self.clientParser?.uncheckedMessages ?? 0)
                + (self.serverParser?.uncheckedMessages ?? 0),
            clientStreamMap: self.clientStreamMap,
            serverStreamMap: self.serverStreamMap
        )
    }

    private var kind: WebSocketConnectionSummary.Kind {
        switch self.mode {
        case .undecided:
            return .notWebSocket("no payload")
        case .opaque(let reason):
            return .notWebSocket(reason)
        case .midStream:
            return .midStream
        case .http:
            switch self.conversation.outcome {
            case .upgraded: return .upgraded
            case .upgradeRejected: return .upgradeRejected
            case .pending: return self.conversation.upgradeRequest != nil ? .upgradeUnanswered : .notWebSocket("HTTP")
            case .noUpgrade: return .notWebSocket("HTTP without an upgrade")
            case .notHTTP: return .notWebSocket("not HTTP")
            }
        }
    }

    /// The upgrade's own breaches, as violations: RFC 6455 4.1 says the client must fail the connection on a wrong
    /// `Sec-WebSocket-Accept`, and a refused upgrade never becomes WebSocket.
    private func handshakeViolations(_ handshake: WebSocketHandshake?) -> [WebSocketViolation] {
        var found: [WebSocketViolation] = []
        if let handshake, handshake.acceptValid == false {
            found.append(
                WebSocketViolation(
                    rule: .badAccept,
                    direction: .server,
                    frame: nil,
                    packet: nil,
                    detail: "Sec-WebSocket-Accept is \(handshake.accept ?? "missing"); the key "
                        + "\(handshake.key ?? "?") requires \(handshake.expectedAccept ?? "?")"
                )
            )
        }
        if let rejection = self.conversation.rejection {
            found.append(
                WebSocketViolation(
                    rule: .upgradeRejected,
                    direction: .server,
                    frame: nil,
                    packet: nil,
                    detail: "the server answered the upgrade with \(rejection.status) \(rejection.reason)"
                        + (rejection.bodyLength == 0 ? "" : " and a \(rejection.bodyLength)-byte body")
                )
            )
        }
        return found
    }

    /// Ties each close to the breach it answers: a close from one side whose code is the one a conforming peer
    /// sends for the other side's earlier violation.
    private func linkedCloses() -> [WebSocketConnectionSummary.Close] {
        var result: [WebSocketConnectionSummary.Close] = []
        for (index, close) in self.closes.enumerated() {
            // `ws` answers a breach at once with an empty reason; a close with a reason (the gateway's own
            // "protocol mismatch") answers something else.
            let answered = self.violations.first { violation in
                close.reason.isEmpty
                    && violation.direction != close.direction
                    && violation.rule.closeCode != nil
                    && violation.rule.closeCode == close.code
                    && (violation.frame ?? 0) < close.frame
            }
            var echoed: Bool?
            if index == 0 {
                echoed = self.closes.dropFirst().contains { $0.direction != close.direction }
            }
            result.append(.init(record: close, answers: answered, initiated: index == 0, echoed: echoed))
        }
        return result
    }

    // MARK: - Stream map

    private mutating func advanceStreamPosition(_ direction: Direction, by count: Int) {
        if direction == .client {
            self.streamPosition.client += count
        } else {
            self.streamPosition.server += count
        }
    }

    private mutating func noteHTTP(_ bytes: UnsafeRawBufferPointer, from direction: Direction, at offset: Int) {
        if direction == .client {
            self.clientStreamMap?.noteHTTP(bytes, at: offset)
        } else {
            self.serverStreamMap?.noteHTTP(bytes, at: offset)
        }
    }

    private mutating func noteWebSocketStart(_ direction: Direction, at offset: Int) {
        if direction == .client {
            if self.clientStreamMap?.webSocketStart == nil { self.clientStreamMap?.webSocketStart = offset }
        } else {
            if self.serverStreamMap?.webSocketStart == nil { self.serverStreamMap?.webSocketStart = offset }
        }
    }

    // MARK: - Modes

    private mutating func decideMode(
        firstBytes: UnsafeRawBufferPointer?,
        from direction: Direction,
        gapLength: Int = 0
    ) {
        if firstBytes != nil, direction == .client, self.tlsRecords.client {
            // TLS on a port read as plain HTTP or WebSocket: nothing inside it can be read, not even as frames.
            self.mode = .opaque("the client's first bytes are a TLS record")
        } else if let bytes = firstBytes, direction == .client,
            Self.looksLikeHTTP(bytes, strict: self.isGatewayPort)
        {
            self.mode = .http
        } else if self.isGatewayPort {
            self.mode = .midStream
            // Frames count from here; a gap that decided the mode is not handed to the parsers, so it comes first.
            self.noteWebSocketStart(.client, at: self.streamPosition.client + (direction == .client ? gapLength : 0))
            self.noteWebSocketStart(.server, at: self.streamPosition.server + (direction == .server ? gapLength : 0))
            let deflate = PerMessageDeflateConfig(noContextTakeover: false)
            self.clientParser = self.makeParser(.client, deflate: deflate, synchronized: false)
            self.serverParser = self.makeParser(.server, deflate: deflate, synchronized: false)
        } else {
            self.mode = .opaque(
                direction == .client ? "the client's first bytes are not HTTP" : "the server spoke first"
            )
        }
    }

    private var isGatewayPort: Bool {
        (self.options.gatewayPort != 0 && self.server.port == self.options.gatewayPort)
            || self.options.additionalGatewayPorts.contains(self.server.port)
    }

    /// Whether a client's first bytes start an HTTP request. On the gateway port, where a capture that starts late
    /// begins inside WebSocket frames, only the start of `GET ` counts (an upgrade is always a GET); elsewhere any
    /// uppercase letter (a method token) does.
    private static func looksLikeHTTP(_ bytes: UnsafeRawBufferPointer, strict: Bool) -> Bool {
        guard let first = bytes.first, first >= UInt8(ascii: "A"), first <= UInt8(ascii: "Z") else { return false }
        guard strict else { return true }
        let get: [UInt8] = Array("GET ".utf8)
        for index in 0..<min(bytes.count, get.count) where bytes[index] != get[index] {
            return false
        }
        return true
    }

    private mutating func receiveHTTP(_ bytes: UnsafeRawBufferPointer, from direction: Direction, packet: PacketRef) {
        var rest = bytes
        if self.conversation.state(direction) == .http {
            let consumed = self.conversation.feed(bytes, from: direction)
            rest = UnsafeRawBufferPointer(rebasing: bytes[consumed...])
            let position = direction == .client ? self.streamPosition.client : self.streamPosition.server
            self.noteHTTP(UnsafeRawBufferPointer(rebasing: bytes[..<consumed]), from: direction, at: position)
            if self.conversation.state(direction) == .webSocket {
                self.noteWebSocketStart(direction, at: position + consumed)
            }
        }
        guard self.conversation.state(direction) == .webSocket else { return }
        self.startParsersIfUpgraded()
        if self.hasParser(direction) {
            if rest.count > 0 { self.parse(rest, from: direction, packet: packet) }
        } else if direction == .client, rest.count > 0 {
            // The client switched at its request; its frames wait for the server's answer (and its extensions).
            // Past the bound every later byte is dropped too, so what is held stays one contiguous stream.
            if self.pendingClientDropped == 0
                && self.pendingClientBytes + rest.count <= self.options.maxPendingClientBytes
            {
                self.pendingClient.append((Array(rest), packet))
                self.pendingClientBytes += rest.count
            } else {
                if self.pendingClientDroppedAt == nil { self.pendingClientDroppedAt = packet }
                self.pendingClientDropped += rest.count
            }
        }
        if direction == .server {
            self.startParsersIfUpgraded()
        }
    }

    /// Once the server answered 101, both directions get their parsers, configured by the negotiated extensions.
    private mutating func startParsersIfUpgraded() {
        guard self.serverParser == nil, self.conversation.outcome == .upgraded else { return }
        // Only the negotiated extension now; the handshake's checks (about 100,000 instructions of header lookups)
        // are made once, at the end.
        let negotiated = self.conversation.negotiatedDeflate
        self.serverParser = self.makeParser(
            .server,
            deflate: negotiated.map {
                PerMessageDeflateConfig(
                    noContextTakeover: $0.serverNoContextTakeover,
                    maxWindowBits: $0.serverMaxWindowBits ?? 15
                )
            },
            synchronized: true
        )
        self.clientParser = self.makeParser(
            .client,
            deflate: negotiated.map {
                PerMessageDeflateConfig(
                    noContextTakeover: $0.clientNoContextTakeover,
                    maxWindowBits: $0.clientMaxWindowBits ?? 15
                )
            },
            synchronized: true
        )
        // The gateway's `ws` enforces its pre-connect limit from the upgrade on, before the challenge is even sent.
        if self.isGatewayPort {
            self.isGateway = true
            let limit = self.options.gatewayPreConnectMaxPayload
            self.clientParser?.config.maxMessageSize = limit
        }
        let pending = self.pendingClient
        self.pendingClient = []
        self.pendingClientBytes = 0
        for piece in pending {
            piece.bytes.withUnsafeBytes { self.parse($0, from: .client, packet: piece.packet) }
        }
        if self.pendingClientDropped > 0, let packet = self.pendingClientDroppedAt {
            let dropped = self.pendingClientDropped
            self.gapBytes += dropped
            self.withParser(.client) { parser, _, sink in parser.gap(dropped, packet: packet, sink) }
            self.pendingClientDropped = 0
        }
    }

    private func makeParser(
        _ direction: Direction,
        deflate: PerMessageDeflateConfig?,
        synchronized: Bool
    )
        -> WebSocketDirectionParser
    {
        var config = WebSocketParserConfig(direction: direction, deflate: deflate, synchronized: synchronized)
        config.decompressionLimit = self.options.decompressionLimit
        config.keptPayloadMessages = self.options.keptMessagesPerDirection
        return WebSocketDirectionParser(config: config)
    }

    private mutating func endDirection(_ direction: Direction, packet: PacketRef) {
        guard self.ended.insert(direction).inserted else { return }
        if case .http = self.mode {
            self.conversation.finish(direction)
        }
        if self.hasParser(direction) {
            self.withParser(direction) { parser, numbers, sink in
                parser.end(packet: packet, frameNumbers: &numbers, sink)
            }
        }
    }

    // MARK: - Frames

    private func hasParser(_ direction: Direction) -> Bool {
        direction == .client ? self.clientParser != nil : self.serverParser != nil
    }

    private mutating func parse(_ bytes: UnsafeRawBufferPointer, from direction: Direction, packet: PacketRef) {
        self.withParser(direction) { parser, numbers, sink in
            parser.receive(bytes, packet: packet, frameNumbers: &numbers, sink)
        }
    }

    /// Runs `body` on one direction's parser with the frame counter and an event sink, without copying the parser.
    private mutating func withParser(
        _ direction: Direction,
        _ body: (inout WebSocketDirectionParser, inout Int, (WebSocketEvent) -> Void) -> Void
    ) {
        // Reuse one event buffer: taken out of `self` so appending to it never copies.
        var events = self.eventBuffer
        self.eventBuffer = []
        events.removeAll(keepingCapacity: true)
        var numbers = self.frameNumbers
        if direction == .client {
            guard self.clientParser != nil else { return }
            body(&self.clientParser!, &numbers) { events.append($0) }
        } else {
            guard self.serverParser != nil else { return }
            body(&self.serverParser!, &numbers) { events.append($0) }
        }
        self.frameNumbers = numbers
        for event in events {
            self.record(event, from: direction)
        }
        self.eventBuffer = events
    }

    private mutating func record(_ event: WebSocketEvent, from direction: Direction) {
        switch event {
        case .violation(let violation):
            if self.violations.count < self.options.keptViolations {
                self.violations.append(violation)
                if let frame = violation.frame { self.violatedFrames.insert(frame) }
            } else {
                self.violationsOmitted += 1
            }
        case .frame(let frame):
            self.frameCount += 1
            // Beyond the first frames, closes and breached frames are kept too, up to a bound: a hostile peer
            // can send millions of them.
            let matters =
                frame.opcode == .close || (!self.violatedFrames.isEmpty && self.violatedFrames.contains(frame.number))
            if self.frames.count < self.options.keptFrames
                || (matters && self.frames.count < self.options.keptFrames + self.options.keptViolations)
            {
                self.frames.append(frame)
            }
        case .message(let message):
            let kept: Int
            if message.direction == .client {
                self.messageCounts.client += 1
                if message.opcode == .text && message.complete { self.clientTextMessagesDone += 1 }
                kept = self.keptMessages.client
            } else {
                self.messageCounts.server += 1
                kept = self.keptMessages.server
            }
            if kept < self.options.keptMessagesPerDirection {
                if message.direction == .client {
                    self.keptMessages.client += 1
                } else {
                    self.keptMessages.server += 1
                }
                self.messages.append(message)
            }
            if message.direction == .server, let payload = message.payload {
                self.noticeGateway(payload, packet: message.startPacket, complete: message.complete)
            }
            if let observer = self.observer {
                self.answer(observer.messageEnded(message), packet: message.endPacket)
            }
        case .control(let control):
            if self.controls.count < self.options.keptControls {
                self.controls.append(control)
            }
        case .close(let close):
            // Two closes make a closing handshake; a few more show a peer that keeps going. The rest are counted as
            // frames only.
            if self.closes.count < 8 {
                self.closes.append(close)
            }
            if let observer = self.observer {
                self.answer(observer.closeRead(close), packet: close.packet)
            }
        case .resynchronized(let skipped, let packet):
            self.resynchronizations.append(.init(direction: direction, skippedBytes: skipped, packet: packet))
        case .gap:
            break
        }
    }

    /// Acts on the observer's reply to the record `packet` completed.
    private mutating func answer(_ reply: WebSocketObserverReply, packet: PacketRef) {
        switch reply {
        case .more:
            return
        case .enough:
            self.observer = nil
        case .summarize:
            let observer = self.observer
            self.observer = nil
            observer?.summarized(self.summary(), gapBytes: self.holes, packet: packet)
        }
    }

    /// The gateway announces itself with `connect.challenge`, and its `ws` then holds the client's messages to
    /// 64 KiB until `hello-ok`, and to 25 MiB after.
    private mutating func noticeGateway(_ payload: [UInt8], packet: PacketRef, complete: Bool) {
        guard !self.handshakeSettled else { return }
        // On the gateway port `isGateway` is set at the upgrade already; the challenge is still recorded.
        if !self.challengeSeen, payload.containsASCII("\"connect.challenge\"") {
            self.isGateway = true
            self.challengeSeen = true
            if complete, let observer = self.options.challengeObserver {
                observer.challengeSeen(payload, packet: packet, client: self.client, server: self.server)
            }
            let limit = self.options.gatewayPreConnectMaxPayload
            self.clientParser?.config.maxMessageSize = limit
        } else if self.isGateway, payload.containsASCII("\"hello-ok\"") {
            let limit = self.options.gatewayMaxPayload
            self.clientParser?.config.maxMessageSize = limit
            // The handshake is over. The gateway's own messages from here on (its `ws` encodes them) are skipped by
            // length past the kept ones; the client's are always checked, so every 1007 or 1009 the gateway sends
            // is explained by the message that caused it.
            if !self.options.checkPayloadsAfterHandshake {
                self.serverParser?.config.checkUnkeptPayloads = false
            }
            // Only once the client's first text message (the connect the analysis reads) is complete: a server
            // that says "hello-ok" earlier must not cut it.
            if let preview = self.options.clientPreviewAfterHandshake, self.clientTextMessagesDone > 0 {
                self.clientParser?.config.keptPayloadBytes = preview
                self.handshakeSettled = true
            } else if self.options.clientPreviewAfterHandshake == nil {
                self.handshakeSettled = true
            }
        }
    }
}

extension Array where Element == UInt8 {
    /// Whether the bytes contain the ASCII text `needle`.
    fileprivate func containsASCII(_ needle: StaticString) -> Bool {
        let pattern = UnsafeRawBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        return self.withUnsafeBytes { ByteSearch.offset(of: pattern, in: $0) != nil }
    }
}
