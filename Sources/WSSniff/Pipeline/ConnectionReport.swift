package import Dissect

/// Everything wssniff concluded about one TCP connection, ready to render.
package struct ConnectionReport: Sendable {
    /// 1-based, in the order connections started in the capture.
    package var index: Int = 0
    package var client: Endpoint
    package var server: Endpoint
    package var tcp: TCPStatistics
}
