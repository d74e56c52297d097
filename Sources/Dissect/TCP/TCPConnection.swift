/// One TCP connection: who is the client, both byte streams, and the analyzer they feed.
///
/// The connection table owns these and feeds each one its segments; a connection never sees another's.
package struct TCPConnection<Analyzer: StreamAnalyzer> {
    /// The side that opened the connection (or the best guess without a SYN). Until `analyzer` exists this is only
    /// the source of the first segment.
    package private(set) var client: Endpoint
    package private(set) var server: Endpoint
    /// Created once the client is known: at the first segment with a SYN, payload, FIN or RST.
    package private(set) var analyzer: Analyzer?

    private var clientStream: StreamReassembler
    private var serverStream: StreamReassembler
    /// Everything but the per-direction parts, which the streams keep.
    private var summary: TCPStatistics
    /// The client's initial sequence number, once a SYN or SYN+ACK showed it: a SYN with it again is a
    /// retransmission, a SYN with another one a new connection on the same 4-tuple.
    private var clientInitialSequence: UInt32?
    /// The last window each side advertised was zero.
    private var clientWindowIsZero = false
    private var serverWindowIsZero = false
    private var isReset = false
    /// Handed to the analyzer when it is created.
    private let options: Analyzer.Options
    /// Where each direction's stream bytes were captured, when `ReassemblyLimits.recordsProvenance` asks for it.
    package private(set) var provenance: ConnectionProvenance?

    /// Starts tracking a connection at its first segment (not yet processed: pass it to `process` next).
    package init(
        firstSegment segment: TCPSegment,
        packet: PacketRef,
        limits: ReassemblyLimits,
        options: Analyzer.Options
    ) {
        self.options = options
        self.client = segment.source
        self.server = segment.destination
        self.clientStream = StreamReassembler(limits: limits)
        self.serverStream = StreamReassembler(limits: limits)
        self.summary = TCPStatistics(firstPacket: packet)
        if limits.recordsProvenance { self.provenance = ConnectionProvenance() }
    }

    /// What was seen so far.
    package var statistics: TCPStatistics {
        var statistics = self.summary
        statistics.client = self.clientStream.statistics
        statistics.server = self.serverStream.statistics
        return statistics
    }

    /// The connection is over: both directions ended with a FIN, or it was reset.
    package var isFinished: Bool {
        self.isReset || (self.clientStream.hasEnded && self.serverStream.hasEnded)
    }

    /// A SYN without ACK that repeats the client's SYN. Any other such SYN starts a new connection on the 4-tuple.
    package func isRetransmittedSYN(_ segment: TCPSegment) -> Bool {
        guard let initial = self.clientInitialSequence, self.analyzer != nil else { return false }
        return segment.source == self.client && segment.sequence == initial
    }

    /// Feeds one segment of this connection; returns `isFinished`. `recordOffset`: where the segment's payload
    /// starts in its record's captured data (nil when it was reassembled from IP fragments), for the provenance.
    package mutating func process(
        _ segment: TCPSegment,
        packet: PacketRef,
        serverPorts: Set<UInt16>,
        recordOffset: Int? = nil
    ) -> Bool {
        self.summary.packets += 1
        self.summary.lastPacket = packet
        let flags = segment.flags
        if flags.contains(.syn) {
            self.summary.handshakeSeen = true
        }
        if self.analyzer == nil {
            guard self.decideRoles(segment, serverPorts: serverPorts) else { return false }
        }
        if segment.source == self.client {
            self.clientStream.statistics.segments += 1
            if flags.contains(.syn) && !flags.contains(.ack) {
                self.clientInitialSequence = segment.sequence
            }
            if !flags.contains(.rst) {
                self.clientWindowIsZero = segment.window == 0
            }
            self.noteProvenance(segment, direction: .client, packet: packet, recordOffset: recordOffset)
            Self.handle(
                segment,
                packet: packet,
                direction: .client,
                peerWindowIsZero: self.serverWindowIsZero,
                sender: &self.clientStream,
                receiver: &self.serverStream,
                analyzer: &self.analyzer!
            )
        } else {
            self.serverStream.statistics.segments += 1
            if flags.contains(.syn) && flags.contains(.ack) && self.clientInitialSequence == nil {
                // RFC 9293 3.5: the SYN+ACK acknowledges the client's SYN, so its acknowledgment is ISN + 1.
                self.clientInitialSequence = segment.acknowledgment &- 1
            }
            if !flags.contains(.rst) {
                self.serverWindowIsZero = segment.window == 0
            }
            self.noteProvenance(segment, direction: .server, packet: packet, recordOffset: recordOffset)
            Self.handle(
                segment,
                packet: packet,
                direction: .server,
                peerWindowIsZero: self.clientWindowIsZero,
                sender: &self.serverStream,
                receiver: &self.clientStream,
                analyzer: &self.analyzer!
            )
        }
        if flags.contains(.rst) {
            self.isReset = true
        }
        return self.isFinished
    }

    /// Ends the analysis of the connection and hands over its result. Unless it finished on its own, both streams
    /// are flushed first: every hole becomes a gap and everything held is delivered.
    ///
    /// `superseded`: a new SYN reuses the 4-tuple. A connection that saw a FIN and is then superseded counts as
    /// closed with FIN: the rest of its close was not captured.
    package mutating func close(
        superseded: Bool = false,
        serverPorts: Set<UInt16> = []
    ) -> TCPConnectionResult<Analyzer> {
        let packet = self.summary.lastPacket
        if self.analyzer == nil {
            // Only pure ACKs were seen: the ports decide.
            let swapped = ConnectionRoles.sourceIsServer(
                source: self.client,
                destination: self.server,
                serverPorts: serverPorts
            )
            if swapped {
                swap(&self.client, &self.server)
            }
            self.analyzer = Analyzer(client: self.client, server: self.server, options: self.options)
        }
        if !self.isReset {
            self.clientStream.flush(packet: packet, direction: .client, analyzer: &self.analyzer!)
            self.serverStream.flush(packet: packet, direction: .server, analyzer: &self.analyzer!)
        }
        var statistics = self.statistics
        let clientFIN = statistics.client.end == .fin
        let serverFIN = statistics.server.end == .fin
        if self.isReset {
            statistics.end = .rst
        } else if (clientFIN && serverFIN) || (superseded && (clientFIN || serverFIN)) {
            statistics.end = .fin
        } else {
            statistics.end = .open
        }
        var result = TCPConnectionResult(
            client: self.client,
            server: self.server,
            statistics: statistics,
            analyzer: self.analyzer!
        )
        result.provenance = self.provenance
        return result
    }

    /// Records where the payload of a segment from `direction` was captured, before its stream takes it (the
    /// stream's state before the segment gives the payload's stream offset).
    private mutating func noteProvenance(
        _ segment: TCPSegment,
        direction: Direction,
        packet: PacketRef,
        recordOffset: Int?
    ) {
        guard self.provenance != nil, !segment.payload.isEmpty else { return }
        if segment.flags.contains(.rst) {
            // RFC 9293 3.5.3 lets a RST carry data (a diagnostic); it is no stream byte, and nothing reads it.
            if direction == .client {
                self.provenance!.client.noteStray(
                    length: segment.payload.count,
                    record: packet.number,
                    recordOffset: recordOffset
                )
            } else {
                self.provenance!.server.noteStray(
                    length: segment.payload.count,
                    record: packet.number,
                    recordOffset: recordOffset
                )
            }
            return
        }
        if direction == .client {
            self.provenance!.client.note(
                segment,
                before: self.clientStream,
                record: packet.number,
                recordOffset: recordOffset
            )
        } else {
            self.provenance!.server.note(
                segment,
                before: self.serverStream,
                record: packet.number,
                recordOffset: recordOffset
            )
        }
    }

    /// One segment from `sender`'s side: its acknowledgment first (it speaks of bytes sent before it), then its
    /// own sequence space.
    private static func handle(
        _ segment: TCPSegment,
        packet: PacketRef,
        direction: Direction,
        peerWindowIsZero: Bool,
        sender: inout StreamReassembler,
        receiver: inout StreamReassembler,
        analyzer: inout Analyzer
    ) {
        let flags = segment.flags
        if flags.contains(.syn) && flags.contains(.ack) {
            // RFC 9293 3.5: the SYN+ACK's acknowledgment is the client's ISN + 1, where the client's data starts,
            // even when the client's SYN was not captured.
            receiver.start(at: segment.acknowledgment)
        }
        if flags.contains(.rst) {
            // RFC 9293 3.10.7.4 checks a RST's sequence number against the window; a capture has no reliable
            // window to check against, so every RST is taken. Held data is delivered after its gaps, a FIN held
            // behind a hole ends its direction, then the connection ends.
            sender.flush(packet: packet, direction: direction, analyzer: &analyzer)
            receiver.flush(packet: packet, direction: direction.opposite, analyzer: &analyzer)
            sender.reset()
            receiver.reset()
            analyzer.end(.rst, from: direction, packet: packet)
            return
        }
        if flags.contains(.ack) {
            receiver.acknowledge(
                segment.acknowledgment,
                packet: packet,
                direction: direction.opposite,
                analyzer: &analyzer
            )
        }
        sender.receive(
            segment,
            packet: packet,
            peerWindowIsZero: peerWindowIsZero,
            direction: direction,
            analyzer: &analyzer
        )
    }

    /// Decides who the client is from the first segment that can tell, and creates the analyzer. Returns false
    /// for a segment that cannot tell (a pure ACK of a connection whose start was not captured).
    private mutating func decideRoles(_ segment: TCPSegment, serverPorts: Set<UInt16>) -> Bool {
        let flags = segment.flags
        let clientIsSource: Bool
        if flags.contains(.syn) {
            // RFC 9293 3.5: the side that opens sends a SYN; the other answers with SYN+ACK.
            clientIsSource = !flags.contains(.ack)
        } else if segment.payload.count + segment.missingPayloadLength > 0 {
            // Mid-connection: an HTTP request shows its sender is the client; otherwise the ports decide.
            clientIsSource =
                ConnectionRoles.startsWithHTTPMethod(segment.payload)
                || !ConnectionRoles.sourceIsServer(
                    source: segment.source,
                    destination: segment.destination,
                    serverPorts: serverPorts
                )
        } else if flags.contains(.fin) || flags.contains(.rst) {
            clientIsSource = !ConnectionRoles.sourceIsServer(
                source: segment.source,
                destination: segment.destination,
                serverPorts: serverPorts
            )
        } else {
            return false
        }
        self.client = clientIsSource ? segment.source : segment.destination
        self.server = clientIsSource ? segment.destination : segment.source
        self.analyzer = Analyzer(client: self.client, server: self.server, options: self.options)
        return true
    }
}

/// A finished connection: who talked, what TCP saw, and the analyzer with everything it concluded.
package struct TCPConnectionResult<Analyzer: StreamAnalyzer> {
    package var client: Endpoint
    package var server: Endpoint
    package var statistics: TCPStatistics
    package var analyzer: Analyzer
    /// Where the connection's stream bytes were captured (nil unless `ReassemblyLimits.recordsProvenance`).
    package var provenance: ConnectionProvenance?

    package init(client: Endpoint, server: Endpoint, statistics: TCPStatistics, analyzer: Analyzer) {
        self.client = client
        self.server = server
        self.statistics = statistics
        self.analyzer = analyzer
    }
}

extension TCPConnectionResult: Sendable where Analyzer: Sendable {}

/// How a connection's client is told when its SYN was not captured.
private enum ConnectionRoles {
    /// HTTP request methods a client's first bytes start with (RFC 9110 9.3), each followed by its space.
    private static let httpMethods: [[UInt8]] = [
        "GET ", "POST ", "HEAD ", "PUT ", "OPTIONS ", "DELETE ", "PATCH ", "CONNECT ",
    ].map { Array($0.utf8) }

    /// The port rule: a port in `serverPorts` is the server's; else the lower port is (the destination on a tie).
    static func sourceIsServer(source: Endpoint, destination: Endpoint, serverPorts: Set<UInt16>) -> Bool {
        let sourceListed = serverPorts.contains(source.port)
        let destinationListed = serverPorts.contains(destination.port)
        if sourceListed != destinationListed {
            return sourceListed
        }
        return source.port < destination.port
    }

    static func startsWithHTTPMethod(_ payload: UnsafeRawBufferPointer) -> Bool {
        for method in Self.httpMethods where payload.count >= method.count {
            if payload.prefix(method.count).elementsEqual(method) {
                return true
            }
        }
        return false
    }
}
