/// What the WebSocket layer looks for and how much of each connection it keeps.
/// Told of each connection's first server message that announces the gateway's `connect.challenge`, the moment it is
/// dissected: other connections' analyses can then name a client that answers a challenge of another connection,
/// whichever of them ends first.
package protocol ChallengeObserver: AnyObject, Sendable {
    /// `payload` is the whole (unmasked, inflated) server message; `packet` the record that started it.
    func challengeSeen(_ payload: [UInt8], packet: PacketRef, client: Endpoint, server: Endpoint)
}

package struct WebSocketAnalysisOptions: Sendable {
    /// Told of every `connect.challenge` as it is dissected (nil: nobody asks).
    package var challengeObserver: (any ChallengeObserver)?
    /// Makes an observer for each connection that wants one (nil: none is watched as it goes).
    package var observers: (any WebSocketObserverFactory)?
    /// Connections to this port seen without their upgrade (the capture started late) are taken as WebSocket and
    /// resynchronized on frame boundaries. 0: none; only connections whose upgrade was seen are WebSocket.
    package var gatewayPort: UInt16 = 0
    /// More ports taken as ``gatewayPort`` is (resynchronized when seen without their upgrade); none by default.
    package var additionalGatewayPorts: Set<UInt16> = []
    /// Frames listed in full; later ones are counted, and kept only when they matter (violations, closes).
    package var keptFrames: Int = 64
    /// Messages kept (with their payloads) per direction; later ones are counted.
    package var keptMessagesPerDirection: Int = 16
    /// Pings and pongs kept per connection.
    package var keptControls: Int = 16
    /// Violations kept per connection; the rest are counted.
    package var keptViolations: Int = 256
    /// Client bytes held while waiting for the server's answer to the upgrade request.
    package var maxPendingClientBytes: Int = 1 << 20
    /// A compressed message inflating past this is a finding and is inflated no further.
    package var decompressionLimit: Int = 16 << 20
    /// The gateway's `ws` `maxPayload` before the connect handshake completes, and after it.
    package var gatewayPreConnectMaxPayload: Int = 64 << 10
    package var gatewayMaxPayload: Int = 25 << 20
    /// Once a gateway connection's handshake is over (`hello-ok`), the client's later messages keep only this many
    /// payload bytes: nothing reads them past the summary's preview, and a chatty client would otherwise hold
    /// kilobytes per kept message in every open connection. nil: keep whole payloads (`--messages`).
    package var clientPreviewAfterHandshake: Int? = 256
    /// Whether the gateway's messages after `hello-ok`, past the kept ones, are still checked as UTF-8 and inflated
    /// (`--check-payloads`). Off by default: their frames are parsed and checked, their payloads skipped by length,
    /// which is most of what a long capture costs. The handshake, the kept messages, every close and every client
    /// message are always checked in full.
    package var checkPayloadsAfterHandshake = false
    /// Whether the summary says where each direction's HTTP bytes and WebSocket frames lie in its stream
    /// (`WebSocketStreamMap`, the HTTP bytes kept), so what the analysis read can be traced back to the records
    /// that carried it. Off unless a sanitized copy is asked for.
    package var recordsStreamMap = false

    package init() {}

    /// Keep every frame (`--frames`).
    package mutating func keepAllFrames() {
        self.keptFrames = .max
    }

    /// Keep every message and its payload (`--messages`).
    package mutating func keepAllMessages() {
        self.keptMessagesPerDirection = .max
        self.clientPreviewAfterHandshake = nil
        self.checkPayloadsAfterHandshake = true
    }
}
