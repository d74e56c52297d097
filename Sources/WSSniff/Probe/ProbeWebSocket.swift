import Dissect
import WireBytes

/// A minimal WebSocket client (RFC 6455) for the probe, on a plain TCP socket: the opening handshake, masked text
/// frames out, and frames in through the project's own ``WebSocketDirectionParser``.
///
/// No extensions are offered, so the server's frames are never compressed. Every read and write is bounded by a
/// deadline.
final class ProbeWebSocket {
    /// What the server sent next.
    enum Incoming {
        /// A text message (its UTF-8 bytes).
        case text([UInt8])
        /// A binary message.
        case binary([UInt8])
        /// The server's close frame: its code (nil for an empty close) and reason.
        case close(code: UInt16?, reason: String)
        /// The server ended the TCP connection without a close frame.
        case ended
        /// A frame that breaks RFC 6455 (the client fails the connection).
        case violation(String)
    }

    private let socket: ProbeSocket
    private var parser = WebSocketDirectionParser(config: ProbeWebSocket.parserConfig)
    private var frameNumbers = 0
    private var packetNumber = 0
    private var queue: [Incoming] = []
    private var ended = false
    /// Whether this side sent its close frame.
    private(set) var closeSent = false

    /// The port this side of the connection uses.
    var localPort: UInt16 { self.socket.localPort }

    private static var parserConfig: WebSocketParserConfig {
        var config = WebSocketParserConfig(direction: .server, maxMessageSize: 32 << 20)
        config.keptPayloadMessages = Int.max
        config.keptPayloadBytes = 32 << 20
        return config
    }

    /// Connects and upgrades: `GET path` with a random `Sec-WebSocket-Key`, then checks for a 101 whose
    /// `Sec-WebSocket-Accept` answers that key (RFC 6455 4.1).
    init(target: ProbeTarget, timeout: Double) throws(ProbeError) {
        let deadline = ProbeClock.after(seconds: timeout)
        self.socket = try ProbeSocket(host: target.host, port: target.port, deadline: deadline)
        let key = Base64.encode(ProbeRandom.bytes(16))
        try self.socket.send(Array(target.upgradeRequest(key: key).utf8), deadline: deadline)
        var headParser = HTTPHeadParser(kind: .response, maxHeadBytes: 16 * 1024)
        while true {
            guard let bytes = try self.socket.receive(deadline: deadline) else {
                throw ProbeError(
                    .timedOut,
                    "\(target.url) accepted the TCP connection but answered no WebSocket upgrade within \(ProbeRun.seconds(timeout)) s"
                )
            }
            guard !bytes.isEmpty else {
                throw ProbeError(.notGateway, "\(target.url) closed the connection without answering the upgrade")
            }
            let (consumed, result) = headParser.feed(bytes)
            guard let result else { continue }
            switch result {
            case .malformed(let reason):
                throw ProbeError(
                    .notGateway,
                    "\(target.url) did not answer in HTTP (\(reason)): not an OpenClaw gateway"
                )
            case .tooLarge:
                throw ProbeError(.notGateway, "\(target.url) sent an HTTP head over 16 KiB: not an OpenClaw gateway")
            case .head(.request):
                throw ProbeError(.notGateway, "\(target.url) answered with a request: not an OpenClaw gateway")
            case .head(.response(let head)):
                guard head.status == 101 else {
                    throw ProbeError(
                        .notGateway,
                        "\(target.url) refused the WebSocket upgrade (HTTP \(head.status) \(head.reason)): "
                            + "not an OpenClaw gateway, or not at this path"
                    )
                }
                let accept = head.headers.first("Sec-WebSocket-Accept")
                guard accept == WebSocketHandshake.expectedAccept(forKey: key) else {
                    throw ProbeError(
                        .notGateway,
                        "\(target.url) answered 101 with a Sec-WebSocket-Accept that does not match the key "
                            + "(RFC 6455 4.1): not a WebSocket server wssniff can talk to"
                    )
                }
                if consumed < bytes.count {
                    self.feed(Array(bytes[consumed...]))
                }
                return
            }
        }
    }

    /// Sends `text` as one masked text frame.
    func send(text: String, timeout: Double) throws(ProbeError) {
        let frame = WebSocketFrameEncoder.text(text, maskKey: ProbeRandom.bytes(4))
        try self.socket.send(frame, deadline: ProbeClock.after(seconds: timeout))
    }

    /// The next message or close from the server; nil when nothing came before `deadline`. Pings are answered.
    func next(deadline: ProbeClock.Instant) throws(ProbeError) -> Incoming? {
        while self.queue.isEmpty {
            if self.ended {
                return .ended
            }
            guard let bytes = try self.socket.receive(deadline: deadline) else { return nil }
            if bytes.isEmpty {
                self.ended = true
                var numbers = self.frameNumbers
                self.parser.end(packet: self.nextPacket(), frameNumbers: &numbers) { _ in }
                self.frameNumbers = numbers
                continue
            }
            self.feed(bytes)
        }
        return self.queue.removeFirst()
    }

    /// Closes cleanly: sends a close with `code` (unless one was sent), waits up to `timeout` for the server's close
    /// or the end of the connection, then ends the TCP connection. Returns the server's close, when it sent one.
    @discardableResult
    func close(code: UInt16, timeout: Double) -> (code: UInt16?, reason: String)? {
        let deadline = ProbeClock.after(seconds: timeout)
        if !self.closeSent {
            self.closeSent = true
            try? self.socket.send(
                WebSocketFrameEncoder.close(code: code, maskKey: ProbeRandom.bytes(4)),
                deadline: deadline
            )
        }
        var answer: (code: UInt16?, reason: String)?
        while let incoming = try? self.next(deadline: deadline) {
            if case .close(let code, let reason) = incoming {
                answer = (code, reason)
                break
            }
            if case .ended = incoming { break }
        }
        self.socket.shutdownWrite()
        self.socket.close()
        return answer
    }

    /// Echoes the server's close (RFC 6455 5.5.1: the endpoint that receives a close sends one back) and ends.
    func answerClose(code: UInt16?, timeout: Double) {
        if !self.closeSent {
            self.closeSent = true
            let frame =
                code.map { WebSocketFrameEncoder.close(code: $0, maskKey: ProbeRandom.bytes(4)) }
                ?? WebSocketFrameEncoder.frame(opcode: .close, payload: [], maskKey: ProbeRandom.bytes(4))
            try? self.socket.send(frame, deadline: ProbeClock.after(seconds: timeout))
        }
        // The server ends the TCP connection after the close handshake (RFC 6455 7.1.1); wait briefly for it.
        let deadline = ProbeClock.after(seconds: timeout)
        while let incoming = try? self.next(deadline: deadline) {
            if case .ended = incoming { break }
        }
        self.socket.close()
    }

    private func nextPacket() -> PacketRef {
        self.packetNumber += 1
        return PacketRef(number: self.packetNumber, timestamp: Timestamp(nanoseconds: 0))
    }

    private func feed(_ bytes: [UInt8]) {
        var numbers = self.frameNumbers
        var pongs: [[UInt8]] = []
        self.parser.receive(bytes, packet: self.nextPacket(), frameNumbers: &numbers) { event in
            switch event {
            case .message(let record):
                let payload = record.payload ?? []
                self.queue.append(record.opcode == .text ? .text(payload) : .binary(payload))
            case .close(let record):
                self.queue.append(.close(code: record.code, reason: record.reason))
            case .control(let record) where record.opcode == .ping:
                pongs.append(record.payload)
            case .violation(let violation):
                self.queue.append(.violation(violation.detail))
            default:
                break
            }
        }
        self.frameNumbers = numbers
        for payload in pongs where !self.closeSent {
            let pong = WebSocketFrameEncoder.frame(opcode: .pong, payload: payload, maskKey: ProbeRandom.bytes(4))
            try? self.socket.send(pong, deadline: ProbeClock.after(seconds: 1))
        }
    }
}
