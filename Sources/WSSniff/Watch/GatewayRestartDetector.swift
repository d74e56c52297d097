package import Dissect

/// Finds gateway restarts from the wire alone, with no access to the process: on the gateway port, a SYN answered by
/// RST means nothing is listening (`gateway-down`, at the first such RST); a SYN answered by SYN-ACK after that means
/// a listener is back (`gateway-up`, with when it went down and how many connects it refused).
package struct GatewayRestartDetector {
    private let port: UInt16
    /// Clients whose SYN is not answered yet, by endpoint.
    private var pending: Set<Endpoint> = []
    private var downSince: Timestamp?
    private var refused = 0

    package init(port: UInt16) {
        self.port = port
    }

    /// Whether the gateway is down now (a connect was refused and none answered since).
    package var isDown: Bool { self.downSince != nil }

    /// Takes the head of one captured TCP segment (decoded once, by the pipeline) sent at `time`; returns the event
    /// it shows, if any.
    package mutating func ingest(_ head: TCPSegmentHead, time: Timestamp) -> HostEvent? {
        self.segment(source: head.source, destination: head.destination, flags: head.flags, time: time)
    }

    private mutating func segment(
        source: Endpoint,
        destination: Endpoint,
        flags: TCPFlags,
        time: Timestamp
    ) -> HostEvent? {
        if destination.port == self.port && flags.contains(.syn) && !flags.contains(.ack) {
            if self.pending.count >= 4_096 { self.pending.removeAll() }
            self.pending.insert(source)
            return nil
        }
        guard source.port == self.port else { return nil }
        if flags.contains(.rst) && self.pending.remove(destination) != nil {
            self.refused += 1
            guard self.downSince == nil else { return nil }
            self.downSince = time
            var event = HostEvent(kind: .gatewayDown, time: time)
            event.port = self.port
            event.server = source.description
            return event
        }
        if flags.contains(.syn) && flags.contains(.ack) && self.pending.remove(destination) != nil {
            guard let since = self.downSince else { return nil }
            var event = HostEvent(kind: .gatewayUp, time: time)
            event.port = self.port
            event.server = source.description
            event.downSince = since
            event.refused = self.refused
            self.downSince = nil
            self.refused = 0
            return event
        }
        return nil
    }
}
