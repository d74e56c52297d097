/// How a TCP connection ended, as far as the capture shows.
package enum TCPEnd: String, Hashable, Sendable {
    /// Both directions sent a FIN, or one did and a new SYN then reused the 4-tuple.
    case fin
    /// Either side sent a RST.
    case rst
    /// Still open when the input ended, or evicted to keep the connection table bounded.
    case open
}

/// What TCP reassembly observed in one direction of a connection.
package struct TCPDirectionStatistics: Hashable, Sendable {
    /// Segments sent this way (every segment after the connection's client was known).
    package var segments: Int = 0
    /// Unique stream payload bytes delivered to the analyzer: gaps and repeated bytes are not counted.
    package var bytes: Int = 0
    /// Holes declared in the stream: bytes the sender sent that the capture never held.
    package var gaps: Int = 0
    /// The total length of those holes.
    package var gapBytes: Int = 0
    /// Segments that repeated sequence space already seen (wholly or in part). Keep-alives and zero-window probes
    /// are not counted.
    package var retransmissions: Int = 0
    /// Segments that arrived ahead of a hole and had to be buffered.
    package var outOfOrder: Int = 0
    /// Segments that overlapped buffered data with different bytes; the first bytes seen were kept.
    package var conflictingOverlaps: Int = 0
    /// Keep-alives: zero or one byte at the sequence number just before the next expected one.
    package var keepAlives: Int = 0
    /// One-byte probes sent while the peer advertised a zero window.
    package var zeroWindowProbes: Int = 0
    /// How this direction ended: `nil` while it is open.
    package var end: StreamEnd?
    /// The sequence number of the stream's first byte: the initial sequence number + 1 when the SYN (or the
    /// SYN+ACK that acknowledges it) was captured, else the first byte captured. `nil`: no byte and no SYN seen.
    package var firstSequence: UInt32?

    package init() {}
}

/// What TCP reassembly observed on one connection: the layer above gets the bytes, this says how they came.
package struct TCPStatistics: Hashable, Sendable {
    /// A SYN (from either side) was captured: the connection's start is in the capture.
    package var handshakeSeen: Bool = false
    package var end: TCPEnd = .open
    package var client = TCPDirectionStatistics()
    package var server = TCPDirectionStatistics()
    /// The capture record that carried the connection's first segment.
    package var firstPacket: PacketRef
    /// The capture record that carried the connection's last segment.
    package var lastPacket: PacketRef
    /// Segments seen on the connection, both ways, including pure ACKs; a packet the capture stored twice counts
    /// once.
    package var packets: Int = 0
    /// Records that repeated the segment just before them (the same packet captured twice, as `-i any` does on a
    /// container's veth and bridge): not counted in `packets` nor in either direction's `segments`.
    package var duplicates: Int = 0

    package init(firstPacket: PacketRef) {
        self.firstPacket = firstPacket
        self.lastPacket = firstPacket
    }

    /// Unique stream payload bytes delivered from the client.
    package var clientBytes: Int { self.client.bytes }
    /// Unique stream payload bytes delivered from the server.
    package var serverBytes: Int { self.server.bytes }
    package var gaps: Int { self.client.gaps + self.server.gaps }
    package var gapBytes: Int { self.client.gapBytes + self.server.gapBytes }
    package var retransmissions: Int { self.client.retransmissions + self.server.retransmissions }
    package var outOfOrder: Int { self.client.outOfOrder + self.server.outOfOrder }
    package var conflictingOverlaps: Int { self.client.conflictingOverlaps + self.server.conflictingOverlaps }
    package var keepAlives: Int { self.client.keepAlives + self.server.keepAlives }
    package var zeroWindowProbes: Int { self.client.zeroWindowProbes + self.server.zeroWindowProbes }

    /// The statistics of the bytes that travelled in `direction`.
    package subscript(direction: Direction) -> TCPDirectionStatistics {
        get { direction == .client ? self.client : self.server }
        set {
            if direction == .client {
                self.client = newValue
            } else {
                self.server = newValue
            }
        }
    }
}
