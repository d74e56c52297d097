/// One captured copy of a piece of a direction's stream: which record carried it, and where in that record.
///
/// A byte sent twice (a retransmission, an overlap, a keep-alive's garbage octet, a zero-window probe) has one copy
/// per record that carried it; the reassembler delivers one of them, and the others are copies all the same.
package struct ProvenanceRange: Hashable, Sendable {
    /// The offset of the piece's first byte in its direction's stream (0 is the byte after the SYN, or the first
    /// byte seen): the offsets the analyzer counts, lost bytes included.
    package var streamOffset: Int
    /// 1-based record number across the whole input.
    package var record: Int
    /// Stored in 32 bits each (a record holds at most 4 GiB), so a range takes 24 bytes.
    private var storedLength: UInt32
    /// -1 for nil.
    private var storedRecordOffset: Int32

    package init(streamOffset: Int, length: Int, record: Int, recordOffset: Int?) {
        self.streamOffset = streamOffset
        self.record = record
        self.storedLength = UInt32(clamping: length)
        self.storedRecordOffset = recordOffset.map { Int32(clamping: $0) } ?? -1
    }

    package var length: Int { Int(self.storedLength) }

    /// The offset of the piece's first byte in the record's captured data; nil when it is not known (the payload's
    /// origin was not handed over: see ``PayloadOrigin/unknown``).
    package var recordOffset: Int? { self.storedRecordOffset < 0 ? nil : Int(self.storedRecordOffset) }

    /// The stream offsets the copy covers.
    package var streamRange: Range<Int> { self.streamOffset..<(self.streamOffset + self.length) }
}

/// Where a segment's captured payload lies in the capture, for the provenance.
package enum PayloadOrigin: Hashable, Sendable {
    /// At one offset of the segment's own record's captured data.
    case record(offset: Int)
    /// Reassembled from IP fragments: each run of the payload where its fragment was captured. Overlapping
    /// fragments give a byte several pieces: each is a copy.
    case fragments([PayloadPiece])
    /// Not known: the copy is noted without a record offset (the sanitizer blanks its record's IP payload).
    case unknown

    /// Calls `body` with each captured copy of payload bytes `range`: the payload offsets it covers, its record
    /// (`record` unless a fragment's), and the offset of its first byte in that record (nil when unknown).
    func forEachCopy(of range: Range<Int>, record: Int, _ body: (Range<Int>, Int, Int?) -> Void) {
        guard !range.isEmpty else { return }
        switch self {
        case .record(let offset):
            body(range, record, offset + range.lowerBound)
        case .unknown:
            body(range, record, nil)
        case .fragments(let pieces):
            for piece in pieces {
                let low = max(range.lowerBound, piece.payloadOffset)
                let high = min(range.upperBound, piece.payloadOffset + piece.length)
                guard low < high else { continue }
                body(low..<high, piece.record, piece.recordOffset + low - piece.payloadOffset)
            }
        }
    }
}

/// A run of a reassembled segment's payload as one IP fragment carried it.
package struct PayloadPiece: Hashable, Sendable {
    /// The offset of the run's first byte in the segment's payload.
    package var payloadOffset: Int
    package var length: Int
    /// The record that carried the fragment, and where the run starts in its captured data.
    package var record: Int
    package var recordOffset: Int

    package init(payloadOffset: Int, length: Int, record: Int, recordOffset: Int) {
        self.payloadOffset = payloadOffset
        self.length = length
        self.record = record
        self.recordOffset = recordOffset
    }

    /// The runs of `segment`'s payload that `fragments` carried; `datagram` is the reassembled datagram the
    /// segment was decoded from (its payload points into it: the TCP header's length says where it starts).
    static func pieces(
        _ fragments: [IPFragmentPiece],
        of segment: TCPSegment,
        in datagram: UnsafeRawBufferPointer
    ) -> [PayloadPiece] {
        guard let base = datagram.baseAddress, let start = segment.payload.baseAddress else { return [] }
        let payloadStart = start - base
        let payloadEnd = payloadStart + segment.payload.count
        var pieces: [PayloadPiece] = []
        for fragment in fragments {
            let low = max(payloadStart, fragment.datagramOffset)
            let high = min(payloadEnd, fragment.datagramOffset + fragment.length)
            guard low < high else { continue }
            pieces.append(
                PayloadPiece(
                    payloadOffset: low - payloadStart,
                    length: high - low,
                    record: fragment.record,
                    recordOffset: fragment.recordOffset + low - fragment.datagramOffset
                )
            )
        }
        return pieces
    }
}

/// Where the bytes of one direction's stream were captured: one range per captured segment payload, every copy.
///
/// Recorded only when asked (`ReassemblyLimits.recordsProvenance`): it costs one range per data segment of a
/// connection, kept while the connection is open and handed over with its result.
package struct StreamProvenance: Hashable, Sendable {
    /// The copies, in the order their records were processed.
    package private(set) var ranges: [ProvenanceRange] = []
    /// Captured payload that is no byte of this stream (it lies before the stream's first byte, or rides on a RST):
    /// nothing read it. Their `streamOffset` is meaningless (0).
    package private(set) var stray: [ProvenanceRange] = []

    package init(ranges: [ProvenanceRange] = []) {
        self.ranges = ranges
    }

    /// Notes the captured payload of `segment`, sent in the direction `stream` reassembles, before the stream takes
    /// it: the stream's state says which stream offset the segment's first byte has.
    ///
    /// Offsets count from the stream's first sequence number as the reassembler does: the bytes it delivered and the
    /// gaps it declared so far lead up to its next sequence number.
    mutating func note(_ segment: TCPSegment, before stream: StreamReassembler, record: Int, origin: PayloadOrigin) {
        let captured = segment.payload.count
        guard captured > 0 else { return }
        // RFC 9293 3.4: "The SYN is considered to occur before the first actual data octet of the segment in which
        // it occurs".
        let dataStart = segment.flags.contains(.syn) ? segment.sequence &+ 1 : segment.sequence
        var offset = 0
        if stream.isStarted {
            // After a delivered FIN the next sequence number is one past it: the FIN is no stream byte.
            let next = stream.statistics.end == .fin ? stream.nextSequence &- 1 : stream.nextSequence
            let delivered = stream.statistics.bytes + stream.statistics.gapBytes
            offset = delivered + SequenceNumber.distance(from: next, to: dataStart)
        }
        // Bytes before the stream's first one (a segment older than the SYN) are no stream bytes.
        let skipped = min(captured, max(0, -offset))
        self.noteStray(0..<skipped, record: record, origin: origin)
        origin.forEachCopy(of: skipped..<captured, record: record) { range, record, recordOffset in
            self.ranges.append(
                ProvenanceRange(
                    streamOffset: offset + range.lowerBound,
                    length: range.count,
                    record: record,
                    recordOffset: recordOffset
                )
            )
        }
    }

    /// Notes captured payload bytes `range` that are no byte of this stream.
    mutating func noteStray(_ range: Range<Int>, record: Int, origin: PayloadOrigin) {
        origin.forEachCopy(of: range, record: record) { range, record, recordOffset in
            self.stray.append(
                ProvenanceRange(streamOffset: 0, length: range.count, record: record, recordOffset: recordOffset)
            )
        }
    }

    /// The copies sorted by stream offset, for looking up the copies of any stream range.
    package func index() -> ProvenanceIndex {
        ProvenanceIndex(self.ranges)
    }
}

/// A direction's copies sorted by stream offset: every copy of a stream range in O(log n + copies).
package struct ProvenanceIndex: Sendable {
    private let sorted: [ProvenanceRange]
    private let longest: Int

    package init(_ ranges: [ProvenanceRange]) {
        self.sorted = ranges.sorted { ($0.streamOffset, $0.record) < ($1.streamOffset, $1.record) }
        self.longest = ranges.map(\.length).max() ?? 0
    }

    /// Every copy, by stream offset.
    package var all: [ProvenanceRange] { self.sorted }

    /// Every copy that holds at least one byte of `range`.
    package func copies(overlapping range: Range<Int>) -> [ProvenanceRange] {
        guard !range.isEmpty, !self.sorted.isEmpty else { return [] }
        // The first copy that may reach `range`: none starting more than the longest copy before it can.
        let earliest = range.lowerBound - self.longest
        var low = 0
        var high = self.sorted.count
        while low < high {
            let middle = (low + high) / 2
            if self.sorted[middle].streamOffset < earliest { low = middle + 1 } else { high = middle }
        }
        var found: [ProvenanceRange] = []
        while low < self.sorted.count, self.sorted[low].streamOffset < range.upperBound {
            if self.sorted[low].streamRange.overlaps(range) { found.append(self.sorted[low]) }
            low += 1
        }
        return found
    }
}

/// Both directions' provenance of one connection.
package struct ConnectionProvenance: Hashable, Sendable {
    package var client = StreamProvenance()
    package var server = StreamProvenance()

    package init() {}

    package subscript(direction: Direction) -> StreamProvenance {
        direction == .client ? self.client : self.server
    }

    /// Adds the copies of another capture of the same connection (the same stream offsets under other addresses:
    /// a second capture point), so that every copy of a byte is found. `swapped`: its client is this one's server.
    package mutating func add(_ other: ConnectionProvenance, swapped: Bool) {
        self.client.add(swapped ? other.server : other.client)
        self.server.add(swapped ? other.client : other.server)
    }
}

extension StreamProvenance {
    /// Adds another capture's copies of the same stream.
    package mutating func add(_ other: StreamProvenance) {
        self.ranges += other.ranges
        self.stray += other.stray
    }
}
