/// A close frame (RFC 6455 5.5.1) and what it says.
package struct WebSocketCloseRecord: Hashable, Sendable {
    package var direction: Direction
    package var frame: Int
    /// The capture record that carried the frame's last byte.
    package var packet: PacketRef
    /// The status code; nil when the payload had fewer than 2 bytes (an empty close means 1005, "no status").
    package var code: UInt16?
    /// The reason, with invalid UTF-8 replaced by U+FFFD.
    package var reason: String
    /// RFC 6455 5.5.1: the reason "is not guaranteed to be human readable" but MUST be UTF-8.
    package var reasonValidUTF8: Bool
}
