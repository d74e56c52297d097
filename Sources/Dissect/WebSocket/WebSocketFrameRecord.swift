/// One WebSocket frame as it was on the wire (RFC 6455 5.2), without its payload.
package struct WebSocketFrameRecord: Hashable, Sendable {
    /// The connection-wide frame number, from 1.
    package var number: Int
    package var direction: Direction
    package var fin: Bool
    /// RSV1, RSV2, RSV3 as the low three bits (RSV1 = 0b100).
    package var rsv: UInt8
    package var opcode: WebSocketOpcode
    package var masked: Bool
    /// The masking key as sent (its first byte in the high bits); nil when not masked.
    package var maskKey: UInt32?
    package var payloadLength: UInt64
    /// 2 to 14 bytes: the fixed part, the extended length and the masking key.
    package var headerLength: Int
    /// False when the length used more bytes than needed, or a 64-bit length had its most significant bit set.
    package var lengthEncodingMinimal: Bool
    /// The capture record that carried the frame's first byte.
    package var startPacket: PacketRef
    /// The capture record that carried the frame's last byte (or the last one seen, when incomplete).
    package var endPacket: PacketRef
    /// The offset of the frame's first byte in this direction's stream (lost bytes count).
    package var streamOffset: Int
    /// False when the framing was lost (a gap or the end of the stream) before the frame's last byte.
    package var complete: Bool
    /// Payload bytes lost in capture gaps that fell inside this frame (the framing survived them).
    package var lostBytes: Int

    /// The wire length of the whole frame.
    package var totalLength: UInt64 { UInt64(self.headerLength) &+ self.payloadLength }
}
