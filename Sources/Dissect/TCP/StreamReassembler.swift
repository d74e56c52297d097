/// Comparisons on 32-bit TCP sequence numbers, which wrap around (RFC 1982 serial number arithmetic).
enum SequenceNumber {
    /// The signed distance from `from` to `to`: positive when `to` comes after `from`, correct across the wrap at
    /// 2^32 as long as the two are less than 2^31 apart.
    ///
    /// RFC 9293 3.4: "The sequence number space ranges from 0 to 2^32 - 1. Since the space is finite, all
    /// arithmetic dealing with sequence numbers must be performed modulo 2^32."
    @inline(__always)
    static func distance(from: UInt32, to: UInt32) -> Int {
        Int(Int32(bitPattern: to &- from))
    }
}

/// One direction of a TCP connection turned back into the byte stream its sender wrote.
///
/// Segments come in capture order; bytes go to the analyzer in stream order as soon as they are contiguous.
/// In-order payload is handed over straight from the segment's buffer; only data that arrives ahead of a hole is
/// copied and held until the hole is filled or declared a gap. Overlapping data keeps the bytes seen first.
package struct StreamReassembler {
    /// What this direction has seen so far. The connection counts `segments`; the rest is counted here.
    package var statistics = TCPDirectionStatistics()
    /// The first sequence number of the stream is known (from a SYN, a SYN+ACK's acknowledgment, or the first
    /// segment seen when the capture started mid-connection).
    package private(set) var isStarted = false
    /// The sequence number of the next byte to deliver: RCV.NXT of a receiver that got everything captured.
    package private(set) var nextSequence: UInt32 = 0
    /// Out-of-order payload bytes held, waiting for a hole before them to be filled.
    package private(set) var bufferedBytes = 0

    /// Sequence space held because a hole comes before it, sorted, disjoint, all after `nextSequence`.
    private var pending: [PendingSegment] = []
    /// The furthest acknowledgment the peer sent for this direction, when it is ahead of the bytes delivered: the
    /// bytes before it were sent; those the capture never delivers are a gap at the end (`flush`).
    private var acknowledged: UInt32?
    /// The sequence number of the FIN, once seen; the stream ends when everything before it is delivered.
    private var finSequence: UInt32?
    private var finPacket = PacketRef(number: 0, timestamp: Timestamp(nanoseconds: 0))
    /// A zero-window probe's byte at `nextSequence`: delivered if the receiver turns out to have taken it,
    /// dropped when the sender sends that byte again.
    private var probe: (byte: UInt8, packet: PacketRef)?
    private let maxBufferedBytes: Int
    private let maxBufferedSegments: Int

    /// An acknowledgment further ahead than this is taken for garbage, not for bytes the capture missed.
    private static let maxAcknowledgmentJump = 1 << 30

    package init(limits: ReassemblyLimits = ReassemblyLimits()) {
        self.maxBufferedBytes = max(0, limits.maxBufferedBytesPerDirection)
        self.maxBufferedSegments = max(0, limits.maxBufferedSegmentsPerDirection)
    }

    /// The stream ended: its FIN was delivered or the connection was reset. Later segments only repeat.
    package var hasEnded: Bool { self.statistics.end != nil }

    /// Out-of-order segments held.
    package var bufferedSegments: Int { self.pending.count }

    /// Fixes the sequence number of the stream's first byte, unless it is known already.
    package mutating func start(at sequence: UInt32) {
        guard !self.isStarted else { return }
        self.isStarted = true
        self.nextSequence = sequence
        self.statistics.firstSequence = sequence
    }

    /// Takes one segment sent in this direction (not a RST: the connection handles those with `flush` and
    /// `reset`).
    ///
    /// `peerWindowIsZero` says the receiver's last advertised window was zero, which makes a one-byte segment at
    /// the next sequence number a zero-window probe.
    package mutating func receive<Analyzer: StreamAnalyzer>(
        _ segment: TCPSegment,
        packet: PacketRef,
        peerWindowIsZero: Bool,
        direction: Direction,
        analyzer: inout Analyzer
    ) {
        let hasSYN = segment.flags.contains(.syn)
        let hasFIN = segment.flags.contains(.fin)
        // RFC 9293 3.4: "The SYN is considered to occur before the first actual data octet of the segment in which
        // it occurs", so data on a SYN starts one past its sequence number.
        let dataStart = hasSYN ? segment.sequence &+ 1 : segment.sequence
        let captured = segment.payload.count
        let length = captured + max(0, segment.missingPayloadLength)
        if hasSYN {
            self.start(at: dataStart)
        }
        guard length > 0 || hasFIN else {
            // RFC 9293 3.8.4: a keep-alive is sent "with SEG.SEQ = SND.NXT-1 and may or may not contain one
            // garbage octet"; this is the variant without the octet.
            if self.isStarted && !hasSYN && !self.hasEnded && dataStart == self.nextSequence &- 1 {
                self.statistics.keepAlives += 1
            }
            return
        }
        if !self.isStarted {
            // The capture started mid-connection: the stream starts at the first byte seen.
            self.start(at: dataStart)
        }
        guard !self.hasEnded else {
            // Everything up to the FIN went out already: this repeats it.
            self.statistics.retransmissions += 1
            return
        }
        if !hasSYN && !hasFIN && length <= 1 && dataStart == self.nextSequence &- 1 {
            // RFC 9293 3.8.4: the keep-alive with one garbage octet, an old one, not stream data.
            self.statistics.keepAlives += 1
            return
        }
        if peerWindowIsZero && !hasSYN && !hasFIN && captured == 1 && length == 1 && dataStart == self.nextSequence {
            // RFC 9293 3.8.6.1: "The sending TCP peer must regularly transmit at least one octet of new data (if
            // available), even if the send window is zero, in order to 'probe' the window." The receiver may drop
            // it; whether it did shows when the sender goes on.
            self.statistics.zeroWindowProbes += 1
            if self.probe == nil {
                self.probe = (segment.payload[0], packet)
            }
            return
        }
        if self.probe != nil {
            let offset = SequenceNumber.distance(from: self.nextSequence, to: dataStart)
            if offset == 1 {
                // The sender went on after the probe's byte: the receiver had taken it.
                self.deliverProbe(direction: direction, analyzer: &analyzer)
            } else if offset <= 0 && offset + length > 0 {
                // The window opened and the sender sends the probed byte again, with what follows.
                self.probe = nil
            }
        }
        if hasFIN && self.finSequence == nil {
            // RFC 9293 3.4: the FIN occupies the sequence number after the segment's last data octet.
            let fin = dataStart &+ UInt32(truncatingIfNeeded: length)
            if SequenceNumber.distance(from: self.nextSequence, to: fin) >= 0 {
                self.finSequence = fin
                self.finPacket = packet
            }
        }
        if length > 0 {
            self.place(
                segment.payload,
                missing: length - captured,
                at: dataStart,
                packet: packet,
                direction: direction,
                analyzer: &analyzer
            )
        }
        self.enforceLimits(packet: packet, direction: direction, analyzer: &analyzer)
        self.deliverFINIfReached(direction: direction, analyzer: &analyzer)
    }

    /// The peer acknowledged everything before `acknowledgment`. That is a hint, not proof that the capture lost
    /// what it lacks of it: the records of a capture taken on several CPUs (`-i any`), a multi-queue NIC or a merge
    /// can hold a peer's ACK before the data it acknowledges. Bytes that arrive later are stream data like any
    /// other; the holes the acknowledgment covers become gaps only when the capture can no longer fill them: when
    /// the data held past them reaches the limits, or at `flush` (the end of the connection or of the input).
    ///
    /// RFC 9293 3.4: "An acknowledgment by TCP does not guarantee that the data has been delivered to the end
    /// user, but only that the receiving TCP has taken the responsibility to do so." The receiver had the bytes,
    /// so they were sent, and a zero-window probe's byte that it acknowledges was taken.
    package mutating func acknowledge<Analyzer: StreamAnalyzer>(
        _ acknowledgment: UInt32,
        packet: PacketRef,
        direction: Direction,
        analyzer: inout Analyzer
    ) {
        guard self.isStarted && !self.hasEnded else { return }
        let ahead = SequenceNumber.distance(from: self.nextSequence, to: acknowledgment)
        guard ahead > 0 && ahead <= Self.maxAcknowledgmentJump else {
            if let known = self.acknowledged, SequenceNumber.distance(from: self.nextSequence, to: known) <= 0 {
                // Delivered up to the hint: forget it before the sequence numbers wrap around to it again.
                self.acknowledged = nil
            }
            return
        }
        if self.probe != nil {
            self.deliverProbe(direction: direction, analyzer: &analyzer)
        }
        if let known = self.acknowledged, SequenceNumber.distance(from: known, to: acknowledgment) <= 0 {
            return
        }
        self.acknowledged = acknowledgment
    }

    /// Whether the next byte to deliver comes before `acknowledgment`: the peer acknowledged bytes of this
    /// direction that have not reached the analyzer yet (false once the stream ended, and for an acknowledgment
    /// too far ahead to be taken for one).
    /// What a peer's held segment waits on: where the stream's next byte is, and whether it ended. It changes
    /// whenever bytes are delivered or given up.
    package struct ReleaseMark: Equatable {
        var next: UInt32
        var started: Bool
        var ended: Bool
    }

    package var releaseMark: ReleaseMark {
        ReleaseMark(next: self.nextSequence, started: self.isStarted, ended: self.hasEnded)
    }

    package func isBehind(_ acknowledgment: UInt32) -> Bool {
        guard self.isStarted && !self.hasEnded else { return false }
        let ahead = SequenceNumber.distance(from: self.nextSequence, to: acknowledgment)
        return ahead > 0 && ahead <= Self.maxAcknowledgmentJump
    }

    /// The stream ended, or its FIN was seen and the peer acknowledged it: the sender closed and the receiver had
    /// every byte before the FIN.
    package var hasEndedOrFINAcknowledged: Bool {
        if self.hasEnded {
            return true
        }
        guard let fin = self.finSequence else { return false }
        return self.isAcknowledged(through: fin)
    }

    /// The peer acknowledged the byte (or FIN) at `sequence`, which this direction has not delivered yet.
    package func isAcknowledged(through sequence: UInt32) -> Bool {
        guard let acknowledged = self.acknowledged else { return false }
        return SequenceNumber.distance(from: sequence, to: acknowledged) > 0
    }

    /// The capture can no longer deliver this direction's bytes before `limit`: every hole before it becomes a gap
    /// and what is held after each hole is delivered (a FIN reached on the way ends the stream). Used when a
    /// segment of the peer that acknowledges these bytes can wait no longer for them.
    package mutating func giveUp<Analyzer: StreamAnalyzer>(
        before limit: UInt32,
        packet: PacketRef,
        direction: Direction,
        analyzer: inout Analyzer
    ) {
        guard self.isBehind(limit) else { return }
        if self.probe != nil {
            self.deliverProbe(direction: direction, analyzer: &analyzer)
        }
        self.skipHoles(before: limit, packet: packet, direction: direction, analyzer: &analyzer)
    }

    /// Nothing more will fill the holes (end of input, a RST, the connection closed or given up): every hole before
    /// buffered data, before the FIN or (without one) before the peer's furthest acknowledgment becomes a gap,
    /// everything held is delivered, and a FIN seen is delivered.
    package mutating func flush<Analyzer: StreamAnalyzer>(
        packet: PacketRef,
        direction: Direction,
        analyzer: inout Analyzer
    ) {
        guard self.isStarted && !self.hasEnded else { return }
        if self.probe != nil {
            self.deliverProbe(direction: direction, analyzer: &analyzer)
        }
        while let first = self.pending.first {
            self.skip(
                SequenceNumber.distance(from: self.nextSequence, to: first.start),
                packet: packet,
                direction: direction,
                analyzer: &analyzer
            )
            self.deliverContiguousPending(direction: direction, analyzer: &analyzer)
        }
        if let fin = self.finSequence {
            self.skip(
                SequenceNumber.distance(from: self.nextSequence, to: fin),
                packet: packet,
                direction: direction,
                analyzer: &analyzer
            )
        } else if let acknowledged = self.acknowledged, self.isBehind(acknowledged) {
            // The peer acknowledged bytes after everything captured: they were sent, and never captured.
            self.skip(
                SequenceNumber.distance(from: self.nextSequence, to: acknowledged),
                packet: packet,
                direction: direction,
                analyzer: &analyzer
            )
        }
        self.deliverFINIfReached(direction: direction, analyzer: &analyzer)
    }

    /// Declares every hole before `target` a gap, delivering what is held after each (a FIN acknowledged with the
    /// bytes counts as reached: the target stops at it).
    private mutating func skipHoles<Analyzer: StreamAnalyzer>(
        before target: UInt32,
        packet: PacketRef,
        direction: Direction,
        analyzer: inout Analyzer
    ) {
        var target = target
        if let fin = self.finSequence, SequenceNumber.distance(from: fin, to: target) > 0 {
            // The acknowledgment covers the FIN's own sequence number too.
            target = fin
        }
        while SequenceNumber.distance(from: self.nextSequence, to: target) > 0 {
            var holeEnd = target
            if let first = self.pending.first, SequenceNumber.distance(from: first.start, to: target) > 0 {
                holeEnd = first.start
            }
            self.skip(
                SequenceNumber.distance(from: self.nextSequence, to: holeEnd),
                packet: packet,
                direction: direction,
                analyzer: &analyzer
            )
            self.deliverContiguousPending(direction: direction, analyzer: &analyzer)
        }
        self.deliverFINIfReached(direction: direction, analyzer: &analyzer)
    }

    /// The connection was reset: the stream ends here (call `flush` first to deliver what is held).
    package mutating func reset() {
        if !self.hasEnded {
            self.statistics.end = .rst
        }
        self.dropHeldData()
    }

    // MARK: - Placing a segment

    /// Places the sequence range `[start, start + payload.count + missing)`, of which the first `payload.count`
    /// bytes were captured, and delivers whatever became contiguous.
    private mutating func place<Analyzer: StreamAnalyzer>(
        _ payload: UnsafeRawBufferPointer,
        missing: Int,
        at start: UInt32,
        packet: PacketRef,
        direction: Direction,
        analyzer: inout Analyzer
    ) {
        // Offsets below are relative to `base`, the first sequence number not yet delivered.
        let base = self.nextSequence
        let offset = SequenceNumber.distance(from: base, to: start)
        let dataEnd = offset + payload.count
        let segmentEnd = dataEnd + missing
        guard segmentEnd > 0 else {
            // Wholly before the next byte: delivered already.
            self.statistics.retransmissions += 1
            return
        }
        if offset <= 0 && self.pending.isEmpty {
            // The common case: in order, nothing held. The bytes go out from the packet's own buffer.
            if offset < 0 {
                self.statistics.retransmissions += 1
            }
            if dataEnd > 0 {
                self.deliver(
                    UnsafeRawBufferPointer(rebasing: payload[(-offset)...]),
                    packet: packet,
                    direction: direction,
                    analyzer: &analyzer
                )
            }
            // The part the capture cut off is a gap, never data.
            self.skip(segmentEnd - max(dataEnd, 0), packet: packet, direction: direction, analyzer: &analyzer)
            return
        }
        self.merge(
            payload,
            offset: offset,
            missing: missing,
            base: base,
            packet: packet,
            direction: direction,
            analyzer: &analyzer
        )
    }

    /// Places a segment when data is held or the segment is ahead of the next byte: walks the segment's range
    /// against the held segments, delivers what is contiguous, copies the rest, and checks every overlap.
    private mutating func merge<Analyzer: StreamAnalyzer>(
        _ payload: UnsafeRawBufferPointer,
        offset: Int,
        missing: Int,
        base: UInt32,
        packet: PacketRef,
        direction: Direction,
        analyzer: inout Analyzer
    ) {
        let dataEnd = offset + payload.count
        let segmentEnd = dataEnd + missing
        var overlapped = offset < 0
        var conflicting = false
        var buffered = false
        var cursor = max(offset, 0)
        // How far the stream has been delivered during this call, relative to `base`.
        var delivered = 0
        // Held segments delivered during this call: always a prefix of `pending`, removed in one go.
        var consumed = 0
        var index = self.firstPendingIndex(endingAfter: cursor, base: base)
        while cursor < segmentEnd {
            if index < self.pending.count {
                let held = self.pending[index]
                let heldStart = SequenceNumber.distance(from: base, to: held.start)
                if heldStart <= cursor {
                    // Sequence space seen before: the first bytes seen win; different bytes are a conflict.
                    let heldEnd = heldStart + held.length
                    let overlapEnd = min(heldEnd, segmentEnd)
                    overlapped = true
                    if held.missingLength == 0 && cursor < dataEnd {
                        let compareEnd = min(overlapEnd, dataEnd)
                        let new = payload[(cursor - offset)..<(compareEnd - offset)]
                        let old = held.bytes[(cursor - heldStart)..<(compareEnd - heldStart)]
                        if !new.elementsEqual(old) {
                            conflicting = true
                        }
                    }
                    if heldStart == delivered {
                        self.deliverHeld(held, direction: direction, analyzer: &analyzer)
                        delivered = heldEnd
                        consumed += 1
                    }
                    cursor = overlapEnd
                    index += 1
                    continue
                }
            }
            // New sequence space, up to the next held segment and split where the captured bytes end.
            var runEnd = segmentEnd
            if index < self.pending.count {
                runEnd = min(runEnd, SequenceNumber.distance(from: base, to: self.pending[index].start))
            }
            if cursor < dataEnd {
                runEnd = min(runEnd, dataEnd)
            }
            if cursor == delivered {
                if cursor < dataEnd {
                    self.deliver(
                        UnsafeRawBufferPointer(rebasing: payload[(cursor - offset)..<(runEnd - offset)]),
                        packet: packet,
                        direction: direction,
                        analyzer: &analyzer
                    )
                } else {
                    self.skip(runEnd - cursor, packet: packet, direction: direction, analyzer: &analyzer)
                }
                delivered = runEnd
            } else {
                // A hole comes first: hold a copy.
                if consumed > 0 {
                    self.pending.removeFirst(consumed)
                    index -= consumed
                    consumed = 0
                }
                let held: PendingSegment
                let heldStart = base &+ UInt32(truncatingIfNeeded: cursor)
                if cursor < dataEnd {
                    let bytes = [UInt8](payload[(cursor - offset)..<(runEnd - offset)])
                    held = PendingSegment(start: heldStart, bytes: bytes, missingLength: 0, packet: packet)
                } else {
                    held = PendingSegment(start: heldStart, bytes: [], missingLength: runEnd - cursor, packet: packet)
                }
                self.bufferedBytes += held.bytes.count
                self.pending.insert(held, at: index)
                index += 1
                buffered = true
            }
            cursor = runEnd
        }
        if consumed > 0 {
            self.pending.removeFirst(consumed)
        }
        self.deliverContiguousPending(direction: direction, analyzer: &analyzer)
        if overlapped {
            self.statistics.retransmissions += 1
        }
        if conflicting {
            self.statistics.conflictingOverlaps += 1
        }
        if buffered {
            self.statistics.outOfOrder += 1
        }
    }

    /// The index of the first held segment that ends after `offset` (relative to `base`).
    private func firstPendingIndex(endingAfter offset: Int, base: UInt32) -> Int {
        var low = 0
        var high = self.pending.count
        while low < high {
            let middle = (low + high) / 2
            let held = self.pending[middle]
            if SequenceNumber.distance(from: base, to: held.start) + held.length <= offset {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }

    // MARK: - Delivering

    /// Hands contiguous bytes to the analyzer and moves past them.
    @inline(__always)
    private mutating func deliver<Analyzer: StreamAnalyzer>(
        _ bytes: UnsafeRawBufferPointer,
        packet: PacketRef,
        direction: Direction,
        analyzer: inout Analyzer
    ) {
        guard !bytes.isEmpty else { return }
        analyzer.receive(bytes, from: direction, packet: packet)
        self.statistics.bytes += bytes.count
        self.nextSequence &+= UInt32(truncatingIfNeeded: bytes.count)
    }

    /// Declares `length` bytes at the next sequence number a gap and moves past them.
    private mutating func skip<Analyzer: StreamAnalyzer>(
        _ length: Int,
        packet: PacketRef,
        direction: Direction,
        analyzer: inout Analyzer
    ) {
        guard length > 0 else { return }
        analyzer.gap(length, in: direction, packet: packet)
        self.statistics.gaps += 1
        self.statistics.gapBytes += length
        self.nextSequence &+= UInt32(truncatingIfNeeded: length)
    }

    /// Delivers one held segment that starts at the next sequence number (the caller removes it from `pending`).
    private mutating func deliverHeld<Analyzer: StreamAnalyzer>(
        _ held: PendingSegment,
        direction: Direction,
        analyzer: inout Analyzer
    ) {
        if held.missingLength > 0 {
            self.skip(held.missingLength, packet: held.packet, direction: direction, analyzer: &analyzer)
        } else {
            held.bytes.withUnsafeBytes { bytes in
                self.deliver(bytes, packet: held.packet, direction: direction, analyzer: &analyzer)
            }
            self.bufferedBytes -= held.bytes.count
        }
    }

    /// Delivers the held segments that the last delivery made contiguous.
    private mutating func deliverContiguousPending<Analyzer: StreamAnalyzer>(
        direction: Direction,
        analyzer: inout Analyzer
    ) {
        var count = 0
        while count < self.pending.count && self.pending[count].start == self.nextSequence {
            self.deliverHeld(self.pending[count], direction: direction, analyzer: &analyzer)
            count += 1
        }
        if count > 0 {
            self.pending.removeFirst(count)
        }
    }

    /// Delivers the zero-window probe's byte: the receiver took it.
    private mutating func deliverProbe<Analyzer: StreamAnalyzer>(direction: Direction, analyzer: inout Analyzer) {
        guard let probe = self.probe else { return }
        self.probe = nil
        withUnsafeBytes(of: probe.byte) { bytes in
            self.deliver(bytes, packet: probe.packet, direction: direction, analyzer: &analyzer)
        }
        self.deliverContiguousPending(direction: direction, analyzer: &analyzer)
    }

    /// Keeps the held data within the limits: while it is over, the first hole becomes a gap.
    private mutating func enforceLimits<Analyzer: StreamAnalyzer>(
        packet: PacketRef,
        direction: Direction,
        analyzer: inout Analyzer
    ) {
        while self.bufferedBytes > self.maxBufferedBytes || self.pending.count > self.maxBufferedSegments,
            let first = self.pending.first
        {
            if self.probe != nil {
                // The hole starts with a held zero-window probe's byte: it goes out before the gap, as on a flush,
                // not after the bytes beyond the hole.
                self.deliverProbe(direction: direction, analyzer: &analyzer)
                continue
            }
            self.skip(
                SequenceNumber.distance(from: self.nextSequence, to: first.start),
                packet: packet,
                direction: direction,
                analyzer: &analyzer
            )
            self.deliverContiguousPending(direction: direction, analyzer: &analyzer)
        }
    }

    /// Ends the stream once everything before the FIN is delivered.
    private mutating func deliverFINIfReached<Analyzer: StreamAnalyzer>(
        direction: Direction,
        analyzer: inout Analyzer
    ) {
        guard let fin = self.finSequence, fin == self.nextSequence, !self.hasEnded else { return }
        // RFC 9293 3.10.7.4: "If the FIN bit is set, ... advance RCV.NXT over the FIN".
        self.nextSequence &+= 1
        self.statistics.end = .fin
        self.dropHeldData()
        analyzer.end(.fin, from: direction, packet: self.finPacket)
    }

    /// Frees what is held: nothing after the end of a stream is data.
    private mutating func dropHeldData() {
        self.pending = []
        self.bufferedBytes = 0
        self.probe = nil
    }
}

/// Sequence space that arrived ahead of a hole: captured bytes (copied out of their packet), or the part of a
/// segment the capture cut off.
private struct PendingSegment {
    var start: UInt32
    /// The captured bytes; empty when this is a cut-off part.
    var bytes: [UInt8]
    /// The length of a cut-off part: a gap when its turn comes. 0 for captured bytes.
    var missingLength: Int
    var packet: PacketRef

    var length: Int { self.bytes.count + self.missingLength }
}
