import Dissect
import ProofVerify

/// Counts the verdicts of the connections as they are reported, for the closing line of the text output
/// (`12 connections: 9 accepted, 2 protocol-mismatch, 1 incomplete-capture`) and for the hint given when the input
/// holds no WebSocket or no gateway traffic at all. It keeps counts only, so memory stays flat.
package struct VerdictTally: Sendable {
    /// Connections counted.
    package private(set) var total = 0
    /// Connections that are WebSocket (upgraded, or mid-stream on the gateway port).
    package private(set) var websocket = 0
    /// Connections that carry a gateway handshake (a challenge or a connect).
    package private(set) var gateway = 0
    /// Count per verdict cause, in order of first appearance.
    private var counts: [(cause: GatewayVerdict.Cause, count: Int)] = []

    package init() {}

    package mutating func add(_ report: ConnectionReport) {
        self.total += 1
        if report.websocket.isWebSocket { self.websocket += 1 }
        if report.gateway.isGateway { self.gateway += 1 }
        let cause = report.gateway.verdict.cause
        if let index = self.counts.firstIndex(where: { $0.cause == cause }) {
            self.counts[index].count += 1
        } else {
            self.counts.append((cause, 1))
        }
    }

    /// `3 connections: 2 accepted, 1 protocol-mismatch`: the causes most frequent first, ties in the vocabulary's order
    /// (the same whatever order the connections were printed in: a pipe prints them as they end);
    /// `1 connection: accepted`; `no TCP connection`.
    package var summary: String {
        if self.total == 0 { return "no TCP connection" }
        if self.total == 1, let only = self.counts.first { return "1 connection: \(only.cause.rawValue)" }
        let rank = { (cause: GatewayVerdict.Cause) in GatewayVerdict.Cause.allCases.firstIndex(of: cause) ?? 0 }
        let ordered = self.counts.enumerated().sorted {
            $0.element.count != $1.element.count
                ? $0.element.count > $1.element.count : rank($0.element.cause) < rank($1.element.cause)
        }
        let parts = ordered.map { "\($0.element.count) \($0.element.cause.rawValue)" }
        return "\(self.total) connections: " + parts.joined(separator: ", ")
    }

    /// Connections whose verdict is not `accepted`.
    package var failed: Int {
        self.total - (self.counts.first { $0.cause == .accepted }?.count ?? 0)
    }

    /// What to try when the input holds no WebSocket, or no gateway traffic, at all; nil when it has some.
    ///
    /// - Parameters:
    ///   - port: the gateway port given (0: none).
    ///   - truncatedPackets: packets the snaplen cut short.
    ///   - live: whether the packets came from a live capture (the filter is `capture --filter`, not tcpdump's).
    package func hint(port: UInt16, truncatedPackets: Int, live: Bool) -> String? {
        let filter =
            live
            ? "capture's filter is `tcp port \(port)` unless --filter says otherwise"
            : "the capture filter must keep that port's packets (`tcpdump -i lo -w FILE port N`)"
        let other =
            port == 0
            ? "If the gateway listens on a port of its own" : "If the gateway listens on another port than \(port)"
        var advice: [String]
        if self.total == 0 {
            advice = [
                "no TCP connection was found. \(other), pass --port N; "
                    + filter + ". A gateway in a container, behind a TLS proxy or on a tailnet is not on `lo`: "
                    + "capture on the Docker bridge or in the container's namespace, on the proxy-to-gateway leg, on "
                    + "`tailscale0`, or with `-i any` when unsure."
            ]
        } else if self.websocket == 0 {
            advice = [
                (self.total == 1
                    ? "the TCP connection is not WebSocket. "
                    : "none of the \(self.total) TCP connections is WebSocket. ")
                    + "\(other), "
                    + "pass --port N (connections to it count as WebSocket even "
                    + "without their upgrade); \(filter). A capture that starts after the client connected misses "
                    + "the upgrade."
            ]
        } else if self.gateway == 0 {
            advice = [
                "no gateway handshake (connect.challenge or connect) was found in "
                    + "\(TextRenderer.count(self.websocket, "WebSocket connection")). \(other), pass --port N; a capture that starts after the handshake misses it."
            ]
        } else {
            return nil
        }
        if truncatedPackets > 0 {
            advice.append(
                "\(TextRenderer.count(truncatedPackets, "packet")) \(truncatedPackets == 1 ? "was" : "were") cut short "
                    + "by the snaplen: capture whole "
                    + "packets (`tcpdump -s 0`, the default of recent tcpdump)."
            )
        }
        return "hint: " + advice.joined(separator: " ")
    }
}
