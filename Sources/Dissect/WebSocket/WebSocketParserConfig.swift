/// What one direction's `WebSocketDirectionParser` expects and how much it keeps.
package struct WebSocketParserConfig: Sendable {
    /// Whose frames these are: RFC 6455 5.1 requires `.client` frames to be masked and `.server` frames not to be.
    package var direction: Direction
    /// The permessage-deflate parameters of this direction's sender; nil when the extension was not negotiated
    /// (then RSV1 must be clear, RFC 6455 5.2).
    package var deflate: PerMessageDeflateConfig?
    /// The receiver's message size limit: above it a message is `message-too-big`. nil (or 0, as `ws`'s
    /// `maxPayload: 0`): no limit.
    ///
    /// Counted as `ws` counts it: the wire payload lengths of the message's frames, added as each header arrives,
    /// and for a compressed message also its inflated length. The gateway's `ws` allows 64 KiB before its connect
    /// completes and 25 MiB after; the owner may change this between messages.
    package var maxMessageSize: Int?
    /// A compressed message inflating past this many bytes is reported (`message-too-big`) and measured no further.
    package var decompressionLimit: Int = 16 << 20
    /// The payloads of this direction's first N data messages are kept (unmasked, inflated); later ones are only
    /// measured.
    package var keptPayloadMessages: Int = 16
    /// At most this many bytes of a kept message's payload are kept; a longer message's payload is kept cut.
    package var keptPayloadBytes: Int = 1 << 20
    /// Whether data messages past the kept ones are still unmasked, checked as UTF-8 (text) and inflated
    /// (compressed). When false they are skipped by length: their frame headers are parsed and checked as always,
    /// their payloads are not looked at (counted in `uncheckedMessages`). The owner only ever turns it off, so a
    /// direction never needs a compression context it stopped following.
    package var checkUnkeptPayloads: Bool = true
    /// False when the capture started mid-stream: the parser first looks for a plausible frame header.
    package var synchronized: Bool = true

    package init(
        direction: Direction,
        deflate: PerMessageDeflateConfig? = nil,
        maxMessageSize: Int? = nil,
        synchronized: Bool = true
    ) {
        self.direction = direction
        self.deflate = deflate
        self.maxMessageSize = maxMessageSize
        self.synchronized = synchronized
    }
}
