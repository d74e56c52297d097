/// What a `WebSocketDirectionParser` reports, in stream order.
///
/// For one frame the order is: the violations its header shows (in the order `ws` checks them, so the first one
/// is what `ws` closes for), then those its payload shows, then `.frame`, then the `.message`, `.control` or
/// `.close` it completes.
package enum WebSocketEvent: Hashable, Sendable {
    /// A frame ended (or was cut by a gap or the end of the stream: `complete` is false).
    case frame(WebSocketFrameRecord)
    /// A text or binary message ended (or was cut: `complete` is false).
    case message(WebSocketMessageRecord)
    /// A ping or pong.
    case control(WebSocketControlRecord)
    /// A close frame.
    case close(WebSocketCloseRecord)
    case violation(WebSocketViolation)
    /// Framing was found again after `skippedBytes` bytes that could not be placed (mid-stream start, or a gap).
    case resynchronized(skippedBytes: Int, packet: PacketRef)
    /// `length` bytes of the stream were never captured; framing is looked for again after them.
    case gap(length: Int, packet: PacketRef)
}
