/// Watches one WebSocket connection as it is dissected: each message and close frame as it completes, in the order
/// the analyzer reads them (each direction in stream order, the two directions as TCP delivers them).
///
/// An observer lives inside its connection's analyzer, on the thread that dissects, and may ask, once, for the
/// connection's summary so far: that is how a consumer reports something about a connection that is still open
/// (a protocol's handshake decided) without waiting for it to end. It knows RFC 6455 records, not any protocol.
package protocol WebSocketConnectionObserver: AnyObject {
    /// A text or binary message ended: whole, or cut short when its framing was lost (`complete` is false).
    /// `payload` is there as the parser kept it (the first bytes of a message past the kept ones may be all).
    func messageEnded(_ message: WebSocketMessageRecord) -> WebSocketObserverReply

    /// A close frame (RFC 6455 5.5.1) was read, from either side.
    func closeRead(_ close: WebSocketCloseRecord) -> WebSocketObserverReply

    /// The connection's summary as it stands after the record the observer answered `.summarize` to; `packet` is
    /// the capture record that completed that record. `gapBytes` are the stream bytes of each direction never
    /// captured so far.
    func summarized(
        _ summary: WebSocketConnectionSummary,
        gapBytes: (client: Int, server: Int),
        packet: PacketRef
    )
}

/// What an observer wants after each record it is shown.
package enum WebSocketObserverReply: Sendable {
    /// Show it the next record too.
    case more
    /// Show it nothing more.
    case enough
    /// Hand it the connection's summary so far (`summarized`), then show it nothing more.
    case summarize
}

/// Makes each connection's observer, if it wants one: set in `WebSocketAnalysisOptions.observers`.
package protocol WebSocketObserverFactory: Sendable {
    func observer(client: Endpoint, server: Endpoint) -> (any WebSocketConnectionObserver)?
}
