package import Dissect
import ProofVerify
import Synchronization

/// A connection whose gateway handshake was decided while it was still open: the gateway answered the connect
/// (`hello-ok` or an error `res`), or a close frame came first. Its analysis is the one a finished connection gets,
/// run on what was captured up to that moment.
package struct HandshakeReport: Sendable {
    /// What decided the handshake.
    package enum DecidedBy: String, Sendable {
        /// The gateway's `res` to the connect.
        case response
        /// A close frame, from either side, before any answer.
        case close
    }

    package var client: Endpoint
    package var server: Endpoint
    /// The capture record that completed the answer or the close.
    package var packet: PacketRef
    package var decidedBy: DecidedBy
    /// The WebSocket layer so far (its kept frames and messages trimmed to what the output shows).
    package var websocket: WebSocketConnectionSummary
    package var gateway: GatewayAnalysis
}

/// Hands each connection a `HandshakeWatcher` and collects the handshakes they see decided, for the pipeline to
/// analyze once the packet that decided them is dissected.
final class HandshakeWatch: WebSocketObserverFactory {
    struct Decision {
        var client: Endpoint
        var server: Endpoint
        var packet: PacketRef
        var decidedBy: HandshakeReport.DecidedBy
        var websocket: WebSocketConnectionSummary
        var gapBytes: (client: Int, server: Int)
    }

    /// Filled and emptied on the dissecting thread; the lock only makes the type `Sendable`.
    private let decided = Mutex<[Decision]>([])

    func observer(client: Endpoint, server: Endpoint) -> (any WebSocketConnectionObserver)? {
        HandshakeWatcher(client: client, server: server, watch: self)
    }

    func add(_ decision: Decision) {
        self.decided.withLock { $0.append(decision) }
    }

    /// The decisions since the last call, in the order they were made.
    func take() -> [Decision] {
        self.decided.withLock { decided in
            let taken = decided
            decided = []
            return taken
        }
    }

    var isEmpty: Bool { self.decided.withLock { $0.isEmpty } }
}

/// Watches one connection until its gateway handshake is decided: the gateway's `res` to the client's first request
/// (the connect), or a close frame. Each message costs it at most a look at the JSON head; after the decision it
/// is dropped.
final class HandshakeWatcher: WebSocketConnectionObserver {
    private let client: Endpoint
    private let server: Endpoint
    private let watch: HandshakeWatch
    /// The id of the client's first text message, once it is read (nil inside: it has none).
    private var requestId: String??
    private var decidedBy: HandshakeReport.DecidedBy = .close

    init(client: Endpoint, server: Endpoint, watch: HandshakeWatch) {
        self.client = client
        self.server = server
        self.watch = watch
    }

    func messageEnded(_ message: WebSocketMessageRecord) -> WebSocketObserverReply {
        guard message.opcode == .text, message.complete, message.lostBytes == 0, let payload = message.payload,
            !message.payloadCut
        else { return .more }
        if message.direction == .client {
            if self.requestId == nil {
                let head = GatewayMessage.head(payload)
                self.requestId = .some(head?.type == "req" ? head?.id : nil)
            }
            return .more
        }
        guard let head = GatewayMessage.head(payload), head.type == "res" else { return .more }
        // Before `hello-ok` the gateway answers nothing but the connect: a `res` before the request was read (or
        // to a request without an id) is its answer too, as the analysis takes it.
        if let requestId = self.requestId, let id = requestId, head.id != id { return .more }
        self.decidedBy = .response
        return .summarize
    }

    func closeRead(_ close: WebSocketCloseRecord) -> WebSocketObserverReply {
        self.decidedBy = .close
        return .summarize
    }

    func summarized(_ summary: WebSocketConnectionSummary, gapBytes: (client: Int, server: Int), packet: PacketRef) {
        self.watch.add(
            HandshakeWatch.Decision(
                client: self.client,
                server: self.server,
                packet: packet,
                decidedBy: self.decidedBy,
                websocket: summary,
                gapBytes: gapBytes
            )
        )
    }
}
