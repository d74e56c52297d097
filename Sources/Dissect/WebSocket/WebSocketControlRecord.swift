/// A ping or pong frame (RFC 6455 5.5.2, 5.5.3) and its application data.
package struct WebSocketControlRecord: Hashable, Sendable {
    package var direction: Direction
    package var frame: Int
    /// `.ping` or `.pong`.
    package var opcode: WebSocketOpcode
    package var packet: PacketRef
    /// The unmasked payload (at most `WebSocketDirectionParser.keptControlBytes` of it).
    package var payload: [UInt8]
    /// True when the payload was longer than what was kept (a `control-frame-too-long` frame).
    package var payloadCut: Bool
}
