package import Dissect

/// Everything wssniff concluded about one TCP connection, ready to render.
package struct ConnectionReport: Sendable {
    /// 1-based, in the order connections started in the capture.
    package var index: Int = 0
    package var client: Endpoint
    package var server: Endpoint
    package var tcp: TCPStatistics
    package var websocket: WebSocketConnectionSummary
    package var gateway: GatewayAnalysis
    /// Where the connection's stream bytes were captured (only when a sanitized copy is asked for; dropped once
    /// the sanitizer has planned the connection's rewrites).
    package var provenance: ConnectionProvenance? = nil
    /// Every address pair this connection was captured under, in the order they were first seen, when it was
    /// captured more than once (several interfaces, one NATed); empty otherwise. `client`, `server` and `tcp` are
    /// one view's: the one on the gateway port, else the first seen.
    package var views: [ConnectionView] = []
}

extension ConnectionReport {
    /// The sentence that names the other address pairs of a connection captured more than once (nil: captured
    /// once), for the text output and the report.
    package var otherViewsSentence: String? {
        guard !self.views.isEmpty else { return nil }
        let others = self.views.filter { $0.client != self.client || $0.server != self.server }
        let listed = others.map {
            "\($0.client) -> \($0.server) (packets \($0.firstPacket.number)-\($0.lastPacket.number))"
        }
        return "captured \(self.views.count) times, once per capture point (as -i any does beside a container's "
            + "bridge): also as \(listed.joined(separator: ", ")); addresses and counts here are of one copy, the one "
            + "on the gateway port, else the first seen"
    }
}

extension Array where Element == ConnectionReport {
    /// Orders reports by the packet that started each connection and numbers them from 1, as a file is read.
    package func numberedByStart() -> [ConnectionReport] {
        var sorted = self.sorted { $0.tcp.firstPacket.number < $1.tcp.firstPacket.number }
        for index in sorted.indices {
            sorted[index].index = index + 1
        }
        return sorted
    }
}
