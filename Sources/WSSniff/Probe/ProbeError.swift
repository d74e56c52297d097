/// Why the probe could not get an answer from the gateway.
package struct ProbeError: Error, Sendable, CustomStringConvertible {
    package enum Kind: String, Sendable {
        /// No TCP connection.
        case unreachable
        /// The peer did not upgrade to WebSocket, or is not an OpenClaw gateway.
        case notGateway
        /// A step got no answer within its timeout.
        case timedOut
        /// The connection broke mid-step.
        case connectionLost
    }

    package var kind: Kind
    package var message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { self.message }
}
