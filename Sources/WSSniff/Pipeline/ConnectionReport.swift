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
