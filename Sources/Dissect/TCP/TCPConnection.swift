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
    /// Segments each side sent that wait for the peer's bytes they acknowledge (see `route`).
    private var clientHeld = HeldSegments()
    private var serverHeld = HeldSegments()
    /// The last segment processed, to recognize a copy of it.
    private var lastSegment: SegmentFingerprint?
    /// The peer stream's `releaseMark` when each direction's held segments were last searched for ready ones.
    private var clientSearchedAt: StreamReassembler.ReleaseMark?
    private var serverSearchedAt: StreamReassembler.ReleaseMark?
    private let limits: ReassemblyLimits
    /// Handed to the analyzer when it is created.
    private let options: Analyzer.Options
    /// Where each direction's stream bytes were captured, when `ReassemblyLimits.recordsProvenance` asks for it.
    package private(set) var provenance: ConnectionProvenance?
    /// The last segment processed was held for causal order (its copies are noted when it is processed).
    private var lastSegmentHeld = false

    /// Starts tracking a connection at its first segment (not yet processed: pass it to `process` next).
    package init(
        firstSegment segment: TCPSegment,
        packet: PacketRef,
        limits: ReassemblyLimits,
        options: Analyzer.Options
    ) {
        self.options = options
        self.limits = limits
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

    /// Feeds one segment of this connection; returns `isFinished`. `origin`: where the segment's payload was
    /// captured (its record's data, or the IP fragments it was reassembled from), for the provenance.
    package mutating func process(
        _ segment: TCPSegment,
        packet: PacketRef,
        serverPorts: Set<UInt16>,
        origin: PayloadOrigin = .unknown
    ) -> Bool {
        self.summary.lastPacket = packet
        let fingerprint = SegmentFingerprint(segment, packet: packet)
        if let last = self.lastSegment, fingerprint.isCopy(of: last) {
            // The same packet stored twice (`-i any` sees it on a container's veth and on the bridge): one segment.
            self.summary.duplicates += 1
            self.noteCopy(segment, packet: packet, origin: origin)
            return self.isFinished
        }
        self.lastSegment = fingerprint
        self.summary.packets += 1
        let flags = segment.flags
        if flags.contains(.syn) {
            self.summary.handshakeSeen = true
        }
        if self.analyzer == nil {
            guard self.decideRoles(segment, serverPorts: serverPorts) else { return false }
        }
        let direction: Direction
        if segment.source == self.client {
            direction = .client
            self.clientStream.statistics.segments += 1
            if flags.contains(.syn) && !flags.contains(.ack) {
                self.clientInitialSequence = segment.sequence
            }
            if !flags.contains(.rst) {
                self.clientWindowIsZero = segment.window == 0
            }
        } else {
            direction = .server
            self.serverStream.statistics.segments += 1
            if flags.contains(.syn) && flags.contains(.ack) && self.clientInitialSequence == nil {
                // RFC 9293 3.5: the SYN+ACK acknowledges the client's SYN, so its acknowledgment is ISN + 1.
                self.clientInitialSequence = segment.acknowledgment &- 1
            }
            if !flags.contains(.rst) {
                self.serverWindowIsZero = segment.window == 0
            }
        }
        self.route(segment, packet: packet, direction: direction, origin: origin)
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
            self.releaseAll()
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
        origin: PayloadOrigin
    ) {
        guard self.provenance != nil, !segment.payload.isEmpty else { return }
        if segment.flags.contains(.rst) {
            // RFC 9293 3.5.3 lets a RST carry data (a diagnostic); it is no stream byte, and nothing reads it.
            let payload = 0..<segment.payload.count
            if direction == .client {
                self.provenance!.client.noteStray(payload, record: packet.number, origin: origin)
            } else {
                self.provenance!.server.noteStray(payload, record: packet.number, origin: origin)
            }
            return
        }
        if direction == .client {
            self.provenance!.client.note(
                segment,
                before: self.clientStream,
                record: packet.number,
                origin: origin
            )
        } else {
            self.provenance!.server.note(
                segment,
                before: self.serverStream,
                record: packet.number,
                origin: origin
            )
        }
    }

    /// A copy of the last segment (the same packet stored twice): its bytes are noted as another copy of the same
    /// stream bytes, now if that segment reached its stream, or with it when it is released if it is held.
    private mutating func noteCopy(_ segment: TCPSegment, packet: PacketRef, origin: PayloadOrigin) {
        guard self.provenance != nil, !segment.payload.isEmpty, self.analyzer != nil else { return }
        let direction: Direction = segment.source == self.client ? .client : .server
        if self.lastSegmentHeld {
            let copy = CapturedCopy(packet: packet, origin: origin)
            if direction == .client {
                self.clientHeld.addCopyToLast(copy)
            } else {
                self.serverHeld.addCopyToLast(copy)
            }
        } else {
            self.noteProvenance(segment, direction: direction, packet: packet, origin: origin)
        }
    }

    // MARK: - Causal order

    /// One segment from `direction`'s side: its acknowledgment first (it speaks of bytes sent before it), then its
    /// own sequence space, in causal order.
    ///
    /// Record order is not causal order: packet sockets on several CPUs (`-i any`), multi-queue NICs and merged
    /// files store the two directions' packets out of order. A segment's acknowledgment number says which of the
    /// peer's bytes its sender had received when it sent it (RFC 9293 3.4: the acknowledgment "is the value of the
    /// next sequence number the sender of the segment is expecting to receive"), so its own bytes go to the
    /// analyzer after those: a segment that acknowledges peer bytes not delivered yet is held (copied) until they
    /// are, and what its sender sends after it waits behind it. Held segments are released when the capture can no
    /// longer deliver those bytes: the held data reaching the reassembly limits, a RST, the end of the connection
    /// or of the input; the peer's bytes still missing then become gaps first.
    private mutating func route(_ segment: TCPSegment, packet: PacketRef, direction: Direction, origin: PayloadOrigin) {
        let flags = segment.flags
        self.lastSegmentHeld = false
        if flags.contains(.rst) {
            self.releaseAll()
            self.noteProvenance(segment, direction: direction, packet: packet, origin: origin)
            if direction == .client {
                Self.reset(packet, .client, sender: &self.clientStream, receiver: &self.serverStream, &self.analyzer!)
            } else {
                Self.reset(packet, .server, sender: &self.serverStream, receiver: &self.clientStream, &self.analyzer!)
            }
            return
        }
        if direction == .client {
            Self.acknowledge(segment, packet, .client, receiver: &self.serverStream, &self.analyzer!)
        } else {
            Self.acknowledge(segment, packet, .server, receiver: &self.clientStream, &self.analyzer!)
        }
        let peerWindowIsZero = direction == .client ? self.serverWindowIsZero : self.clientWindowIsZero
        let occupiesSequence = segment.payload.count + segment.missingPayloadLength > 0 || flags.contains(.fin)
        // Reads the properties directly: a copy of a stream or a queue costs retains on every segment.
        let mustWait: Bool
        if !occupiesSequence {
            mustWait = false
        } else if direction == .client {
            mustWait = flags.contains(.ack) && self.serverStream.isBehind(segment.acknowledgment)
        } else {
            mustWait = flags.contains(.ack) && self.clientStream.isBehind(segment.acknowledgment)
        }
        if mustWait {
            self.hold(
                segment,
                packet: packet,
                direction: direction,
                peerWindowIsZero: peerWindowIsZero,
                origin: origin
            )
        } else {
            self.processSequence(
                segment,
                packet: packet,
                direction: direction,
                peerWindowIsZero: peerWindowIsZero,
                origin: origin
            )
        }
        if !self.clientHeld.isEmpty || !self.serverHeld.isEmpty {
            self.releaseReady()
        }
        // Still held once the limits and releases had their say: a copy of it is noted when it is processed.
        if direction == .client {
            self.lastSegmentHeld = !self.clientHeld.isEmpty && self.clientHeld.lastPacketNumber == packet.number
        } else {
            self.lastSegmentHeld = !self.serverHeld.isEmpty && self.serverHeld.lastPacketNumber == packet.number
        }
        if !self.isFinished && self.isClosed(.client) && self.isClosed(.server) {
            // Both sides closed and each acknowledged the other's FIN: the connection is over, and whatever its
            // streams still lack before their FINs is no longer coming.
            self.releaseAll()
            self.clientStream.flush(packet: packet, direction: .client, analyzer: &self.analyzer!)
            self.serverStream.flush(packet: packet, direction: .server, analyzer: &self.analyzer!)
        }
    }

    /// `direction`'s stream ended, or its FIN (delivered, held out of order or held for causal order) was
    /// acknowledged by the peer.
    private func isClosed(_ direction: Direction) -> Bool {
        if direction == .client {
            if self.clientStream.hasEndedOrFINAcknowledged {
                return true
            }
            guard let fin = self.clientHeld.finSequence else { return false }
            return self.clientStream.isAcknowledged(through: fin)
        }
        if self.serverStream.hasEndedOrFINAcknowledged {
            return true
        }
        guard let fin = self.serverHeld.finSequence else { return false }
        return self.serverStream.isAcknowledged(through: fin)
    }

    /// The segment's acknowledgment: a hint about the receiver's stream (see `StreamReassembler.acknowledge`).
    private static func acknowledge(
        _ segment: TCPSegment,
        _ packet: PacketRef,
        _ direction: Direction,
        receiver: inout StreamReassembler,
        _ analyzer: inout Analyzer
    ) {
        let flags = segment.flags
        if flags.contains(.syn) && flags.contains(.ack) {
            // RFC 9293 3.5: the SYN+ACK's acknowledgment is the client's ISN + 1, where the client's data starts,
            // even when the client's SYN was not captured.
            receiver.start(at: segment.acknowledgment)
        }
        if flags.contains(.ack) {
            receiver.acknowledge(
                segment.acknowledgment,
                packet: packet,
                direction: direction.opposite,
                analyzer: &analyzer
            )
        }
    }

    /// A RST. RFC 9293 3.10.7.4 checks its sequence number against the window; a capture has no reliable window to
    /// check against, so every RST is taken. Held data is delivered after its gaps, a FIN held behind a hole ends
    /// its direction, then the connection ends.
    private static func reset(
        _ packet: PacketRef,
        _ direction: Direction,
        sender: inout StreamReassembler,
        receiver: inout StreamReassembler,
        _ analyzer: inout Analyzer
    ) {
        sender.flush(packet: packet, direction: direction, analyzer: &analyzer)
        receiver.flush(packet: packet, direction: direction.opposite, analyzer: &analyzer)
        sender.reset()
        receiver.reset()
        analyzer.end(.rst, from: direction, packet: packet)
    }

    /// The segment's own sequence space, into its direction's stream.
    private mutating func processSequence(
        _ segment: TCPSegment,
        packet: PacketRef,
        direction: Direction,
        peerWindowIsZero: Bool,
        origin: PayloadOrigin,
        copies: [CapturedCopy] = []
    ) {
        if self.provenance != nil {
            // Noted as the segment reaches its stream, with the stream's state before it (held segments too).
            self.noteProvenance(segment, direction: direction, packet: packet, origin: origin)
            for copy in copies {
                self.noteProvenance(segment, direction: direction, packet: copy.packet, origin: copy.origin)
            }
        }
        if direction == .client {
            self.clientStream.receive(
                segment,
                packet: packet,
                peerWindowIsZero: peerWindowIsZero,
                direction: .client,
                analyzer: &self.analyzer!
            )
        } else {
            self.serverStream.receive(
                segment,
                packet: packet,
                peerWindowIsZero: peerWindowIsZero,
                direction: .server,
                analyzer: &self.analyzer!
            )
        }
    }

    private func held(_ direction: Direction) -> HeldSegments {
        direction == .client ? self.clientHeld : self.serverHeld
    }

    /// Holds a copy of the segment behind its direction's held segments; past the limits, the oldest goes.
    private mutating func hold(
        _ segment: TCPSegment,
        packet: PacketRef,
        direction: Direction,
        peerWindowIsZero: Bool,
        origin: PayloadOrigin
    ) {
        var entry = HeldSegment(segment, packet: packet, peerWindowIsZero: peerWindowIsZero)
        entry.origin = origin
        if direction == .client {
            self.clientHeld.append(entry)
        } else {
            self.serverHeld.append(entry)
        }
        while self.held(direction).isOver(self.limits) {
            self.forceRelease(direction)
        }
    }

    /// Processes every held segment whose peer bytes have been delivered, until none can go.
    ///
    /// Not only each direction's oldest: one sender's segments can be stored out of their own order too (a chain of
    /// records each stored before the one it answers), and a later-stored segment may be the one that unblocks the
    /// peer. The reassembler puts released bytes in sequence order, so a segment released before an earlier one of
    /// its direction waits in its out-of-order buffer. A direction's held segments are searched again only once the
    /// peer's stream has moved since the last search (nothing else can make one ready), so a loss that holds many
    /// segments costs no search per packet.
    private mutating func releaseReady() {
        var progressed = true
        while progressed {
            progressed = false
            if !self.clientHeld.isEmpty, self.clientSearchedAt != self.serverStream.releaseMark {
                self.clientSearchedAt = self.serverStream.releaseMark
                while let index = self.clientHeld.firstIndex(where: { held in
                    !(held.waitsFor.map { self.serverStream.isBehind($0) } ?? false)
                }) {
                    let next = self.clientHeld.remove(at: index)
                    self.processHeld(next, direction: .client)
                    progressed = true
                }
            }
            if !self.serverHeld.isEmpty, self.serverSearchedAt != self.clientStream.releaseMark {
                self.serverSearchedAt = self.clientStream.releaseMark
                while let index = self.serverHeld.firstIndex(where: { held in
                    !(held.waitsFor.map { self.clientStream.isBehind($0) } ?? false)
                }) {
                    let next = self.serverHeld.remove(at: index)
                    self.processHeld(next, direction: .server)
                    progressed = true
                }
            }
        }
    }

    /// Nothing more will come (a RST, the end of the connection or of the input): every held segment is processed.
    /// When each direction's oldest held segment waits for the other, the one that waits for bytes the other does
    /// not hold goes first (those bytes are lost); otherwise the older record.
    private mutating func releaseAll() {
        while !self.clientHeld.isEmpty || !self.serverHeld.isEmpty {
            self.releaseReady()
            guard let client = self.clientHeld.first else {
                if !self.serverHeld.isEmpty {
                    self.forceRelease(.server)
                }
                continue
            }
            guard let server = self.serverHeld.first else {
                self.forceRelease(.client)
                continue
            }
            let clientWaitsForHeld = client.waitsFor.map { SequenceNumber.distance(from: server.dataStart, to: $0) > 0 }
            let serverWaitsForHeld = server.waitsFor.map { SequenceNumber.distance(from: client.dataStart, to: $0) > 0 }
            if clientWaitsForHeld ?? false != serverWaitsForHeld ?? false {
                self.forceRelease(clientWaitsForHeld ?? false ? .server : .client)
            } else {
                self.forceRelease(client.packet.number <= server.packet.number ? .client : .server)
            }
        }
    }

    /// Processes `direction`'s oldest held segment although the peer's bytes it acknowledges were not all
    /// delivered: those the capture can no longer deliver (all but what the peer's own held segments carry) become
    /// gaps first, so that what the peer sent before them still goes first.
    private mutating func forceRelease(_ direction: Direction) {
        guard let head = self.held(direction).first else { return }
        guard var limit = head.waitsFor else {
            let next = direction == .client ? self.clientHeld.removeFirst() : self.serverHeld.removeFirst()
            self.processHeld(next, direction: direction)
            return
        }
        if let peerHead = self.held(direction.opposite).first,
            SequenceNumber.distance(from: peerHead.dataStart, to: limit) > 0
        {
            limit = peerHead.dataStart
        }
        if direction == .client {
            self.serverStream.giveUp(before: limit, packet: head.packet, direction: .server, analyzer: &self.analyzer!)
            let next = self.clientHeld.removeFirst()
            self.processHeld(next, direction: .client)
        } else {
            self.clientStream.giveUp(before: limit, packet: head.packet, direction: .client, analyzer: &self.analyzer!)
            let next = self.serverHeld.removeFirst()
            self.processHeld(next, direction: .server)
        }
    }

    private mutating func processHeld(_ held: HeldSegment, direction: Direction) {
        held.payload.withUnsafeBytes { payload in
            let segment = TCPSegment(
                source: held.source,
                destination: held.destination,
                sequence: held.sequence,
                acknowledgment: held.acknowledgment,
                flags: held.flags,
                window: held.window,
                payload: payload,
                missingPayloadLength: held.missingPayloadLength,
                checksum: held.checksum
            )
            self.processSequence(
                segment,
                packet: held.packet,
                direction: direction,
                peerWindowIsZero: held.peerWindowIsZero,
                origin: held.origin,
                copies: held.copies
            )
        }
    }

    // MARK: - Roles

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

/// A record that carried a copy of a segment: for the provenance, every copy of a byte is rewritten.
private struct CapturedCopy {
    var packet: PacketRef
    var origin: PayloadOrigin
}

/// A segment waiting for the peer's bytes it acknowledges: its header and a copy of its payload.
private struct HeldSegment {
    var source: Endpoint
    var destination: Endpoint
    var sequence: UInt32
    var acknowledgment: UInt32
    var flags: TCPFlags
    var window: UInt16
    var checksum: UInt16
    var payload: [UInt8]
    var missingPayloadLength: Int
    var packet: PacketRef
    /// The peer's last advertised window was zero when the segment was captured.
    var peerWindowIsZero: Bool
    /// Where its payload starts in its record (provenance), and the records that carried copies of it.
    var origin: PayloadOrigin = .unknown
    var copies: [CapturedCopy] = []

    init(_ segment: TCPSegment, packet: PacketRef, peerWindowIsZero: Bool) {
        self.source = segment.source
        self.destination = segment.destination
        self.sequence = segment.sequence
        self.acknowledgment = segment.acknowledgment
        self.flags = segment.flags
        self.window = segment.window
        self.checksum = segment.checksum
        self.payload = [UInt8](segment.payload)
        self.missingPayloadLength = segment.missingPayloadLength
        self.packet = packet
        self.peerWindowIsZero = peerWindowIsZero
    }

    /// The first sequence number of its data (RFC 9293 3.4: a SYN comes before the first data octet).
    var dataStart: UInt32 { self.flags.contains(.syn) ? self.sequence &+ 1 : self.sequence }

    /// The peer's sequence number up to which the peer's stream must be delivered before this segment: its
    /// acknowledgment (nil without the ACK flag: then it only waits behind the segments held before it).
    var waitsFor: UInt32? { self.flags.contains(.ack) ? self.acknowledgment : nil }
}

/// One direction's held segments, oldest first.
private struct HeldSegments {
    private var segments: [HeldSegment] = []
    private var start = 0
    /// Payload bytes held.
    private(set) var bytes = 0

    var isEmpty: Bool { self.start == self.segments.count }
    var count: Int { self.segments.count - self.start }
    var first: HeldSegment? { self.isEmpty ? nil : self.segments[self.start] }
    /// The record of the segment held last.
    var lastPacketNumber: Int? { self.isEmpty ? nil : self.segments[self.segments.count - 1].packet.number }

    /// Past the limits on out-of-order data, which held segments share with the reassembler's.
    func isOver(_ limits: ReassemblyLimits) -> Bool {
        self.bytes > limits.maxBufferedBytesPerDirection || self.count > limits.maxBufferedSegmentsPerDirection
    }

    /// The sequence number of the FIN of the last held segment that carried one.
    private(set) var finSequence: UInt32?

    mutating func append(_ segment: HeldSegment) {
        self.segments.append(segment)
        self.bytes += segment.payload.count
        if segment.flags.contains(.fin) {
            self.finSequence =
                segment.dataStart &+ UInt32(truncatingIfNeeded: segment.payload.count + segment.missingPayloadLength)
        }
    }

    /// Notes a captured copy of the segment held last.
    mutating func addCopyToLast(_ copy: CapturedCopy) {
        guard !self.isEmpty else { return }
        self.segments[self.segments.count - 1].copies.append(copy)
    }

    /// The index (from the oldest, 0) of the first held segment that satisfies `ready`.
    func firstIndex(where ready: (HeldSegment) -> Bool) -> Int? {
        for index in self.start..<self.segments.count where ready(self.segments[index]) {
            return index - self.start
        }
        return nil
    }

    /// Takes out the held segment at `index` (from the oldest, 0).
    mutating func remove(at index: Int) -> HeldSegment {
        guard index > 0 else { return self.removeFirst() }
        let segment = self.segments.remove(at: self.start + index)
        self.bytes -= segment.payload.count
        if segment.flags.contains(.fin), !self.segments[self.start...].contains(where: { $0.flags.contains(.fin) }) {
            self.finSequence = nil
        }
        return segment
    }

    mutating func removeFirst() -> HeldSegment {
        let segment = self.segments[self.start]
        self.segments[self.start].payload = []
        self.start += 1
        self.bytes -= segment.payload.count
        if self.start == self.segments.count {
            self.segments.removeAll(keepingCapacity: self.segments.count <= 64)
            self.start = 0
            self.finSequence = nil
        } else if self.start >= 64 && self.start * 2 >= self.segments.count {
            self.segments.removeFirst(self.start)
            self.start = 0
        }
        return segment
    }
}

/// What makes a segment the same packet stored twice: `-i any` on a host where the peer runs in a container
/// captures every packet on the container's veth and again on the bridge, microseconds apart.
///
/// A copy is the segment just before it on the connection, from the same sender, identical in sequence and
/// acknowledgment numbers, flags, window, checksum and payload length, with the same first and last 16 payload
/// bytes, and stored less than 1 ms from it (either way: the two copies may be timestamped on different CPUs).
/// A TCP retransmission repeats the bytes only after a timer (RFC 6298 2.4: an RTO of at least 1 s; Linux waits at
/// least 200 ms) or after the peer's duplicate ACKs, which come between the two on the connection: it is never
/// taken for a copy.
private struct SegmentFingerprint {
    /// The longest time between the two copies of one packet.
    static let maxCopyDelay: Int64 = 1_000_000

    var source: Endpoint
    var sequence: UInt32
    var acknowledgment: UInt32
    var flags: TCPFlags
    var window: UInt16
    var checksum: UInt16
    var length: Int
    var missingLength: Int
    /// The first and last (up to) 16 payload bytes, folded.
    var sample: UInt64
    var time: Int64

    @inline(__always)
    init(_ segment: TCPSegment, packet: PacketRef) {
        self.source = segment.source
        self.sequence = segment.sequence
        self.acknowledgment = segment.acknowledgment
        self.flags = segment.flags
        self.window = segment.window
        self.checksum = segment.checksum
        self.length = segment.payload.count
        self.missingLength = segment.missingPayloadLength
        self.time = packet.timestamp.nanoseconds
        self.sample = Self.sample(segment.payload)
    }

    /// The first and last 16 payload bytes folded into one word (four loads, not a pass over the payload: this runs
    /// for every segment).
    @inline(__always)
    private static func sample(_ payload: UnsafeRawBufferPointer) -> UInt64 {
        let count = payload.count
        guard count >= 16 else {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in payload {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
            return hash
        }
        let first = payload.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        let second = payload.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        let third = payload.loadUnaligned(fromByteOffset: count - 16, as: UInt64.self)
        let fourth = payload.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        let head = (first ^ (second << 17 | second >> 47)) &* 0x9e37_79b9_7f4a_7c15
        let tail = (third ^ (fourth << 31 | fourth >> 33)) &* 0xc2b2_ae3d_27d4_eb4f
        return head ^ (tail << 29 | tail >> 35)
    }

    @inline(__always)
    func isCopy(of other: SegmentFingerprint) -> Bool {
        let delay = self.time &- other.time
        return self.sequence == other.sequence && self.acknowledgment == other.acknowledgment
            && self.flags == other.flags && self.window == other.window && self.checksum == other.checksum
            && self.length == other.length && self.missingLength == other.missingLength
            && self.sample == other.sample && delay < Self.maxCopyDelay && delay > -Self.maxCopyDelay
            && self.source == other.source
    }
}
