/// One text or binary message (RFC 6455 5.4: one unfragmented frame, or a first frame and its continuations).
package struct WebSocketMessageRecord: Hashable, Sendable {
    package var direction: Direction
    /// This direction's message number, from 1.
    package var index: Int
    /// `.text` or `.binary`.
    package var opcode: WebSocketOpcode
    package var firstFrame: Int
    package var lastFrame: Int
    package var frameCount: Int
    /// The payload bytes on the wire, summed over the frames.
    package var wireLength: UInt64
    /// The application data length: inflated when compressed (as far as it was inflated), else `wireLength`.
    package var length: UInt64
    /// RSV1 was set on the first frame (RFC 7692 6: permessage-deflate).
    package var compressed: Bool
    /// The unmasked, inflated payload, when the keep policy kept it.
    package var payload: [UInt8]?
    /// True when `payload` holds only the first bytes of the message.
    package var payloadCut: Bool
    /// Text messages: whether the whole (inflated) payload is valid UTF-8; nil for binary messages and when it
    /// could not be told (inflation stopped or failed before an invalid byte was seen).
    package var utf8Valid: Bool?
    /// Inflation stopped at the parser's `decompressionLimit`; `length` counts only what was inflated.
    package var decompressionLimitExceeded: Bool
    /// zlib rejected the compressed payload (its message), or the context was lost in a capture gap.
    package var inflateError: String?
    package var startPacket: PacketRef
    package var endPacket: PacketRef
    /// False when the framing was lost (a gap, the end of the stream, or a new message interleaved) before the
    /// message's last frame ended.
    package var complete: Bool
    /// Payload bytes lost in capture gaps inside the message's frames (the framing survived them).
    package var lostBytes: Int
}
