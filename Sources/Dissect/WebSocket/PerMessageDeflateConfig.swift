/// The permessage-deflate parameters (RFC 7692 7.1) that govern one direction's compressed messages.
package struct PerMessageDeflateConfig: Hashable, Sendable {
    /// RFC 7692 7.1.1: the sender resets its compression context after each message (`*_no_context_takeover`).
    package var noContextTakeover: Bool
    /// RFC 7692 7.1.2: the base-2 logarithm of the sender's LZ77 window (8...15, `*_max_window_bits`).
    ///
    /// The parser inflates with a 15-bit window whatever this says: that decodes every stream a conforming
    /// sender produces, and a sender that overruns its negotiated window still gets its messages decoded.
    package var maxWindowBits: Int

    package init(noContextTakeover: Bool = false, maxWindowBits: Int = 15) {
        self.noContextTakeover = noContextTakeover
        self.maxWindowBits = maxWindowBits
    }
}
