/// A breach of RFC 6455 or RFC 7692 seen in one direction: recorded, and parsing carried on.
package struct WebSocketViolation: Hashable, Sendable {
    package var rule: ViolationRule
    package var direction: Direction
    /// The frame that broke the rule; nil when none can be named.
    package var frame: Int?
    /// The capture record where the breach became visible.
    package var packet: PacketRef?
    /// One sentence for a person, e.g. "client frame 2 is not masked".
    package var detail: String

    package init(rule: ViolationRule, direction: Direction, frame: Int?, packet: PacketRef?, detail: String) {
        self.rule = rule
        self.direction = direction
        self.frame = frame
        self.packet = packet
        self.detail = detail
    }
}
