/// Bounds on IP fragment reassembly, so a capture full of stray fragments cannot exhaust memory.
package struct IPFragmentLimits: Hashable, Sendable {
    /// Datagrams waiting for fragments at once; the oldest is dropped to make room.
    package var maximumPendingDatagrams: Int
    /// The largest reassembled datagram payload; IP cannot carry more than 64 KiB without jumbograms.
    package var maximumDatagramLength: Int
    /// A datagram still incomplete this long (capture time) after its first fragment is dropped.
    package var timeoutNanoseconds: Int64
    /// Fragments one datagram may take (overlapping copies included); past them it is dropped. A 64 KiB datagram
    /// over the smallest IPv4 MTU (68 bytes, RFC 791) takes about 1,400; the bound keeps the per-fragment
    /// bookkeeping of a capture that repeats a fragment endlessly bounded.
    package var maximumFragmentsPerDatagram: Int

    package init(
        maximumPendingDatagrams: Int = 1_024,
        maximumDatagramLength: Int = 65_535,
        timeoutNanoseconds: Int64 = 30_000_000_000,
        maximumFragmentsPerDatagram: Int = 2_048
    ) {
        self.maximumPendingDatagrams = maximumPendingDatagrams
        self.maximumDatagramLength = maximumDatagramLength
        self.timeoutNanoseconds = timeoutNanoseconds
        self.maximumFragmentsPerDatagram = maximumFragmentsPerDatagram
    }
}

/// Where one IP fragment's payload was captured: its record, the offset of its payload in the record's captured
/// data, and the bytes of the datagram it carries.
package struct IPFragmentPiece: Hashable, Sendable {
    package var record: Int
    package var recordOffset: Int
    /// The offset of the fragment's payload in the reassembled datagram (after the fixed IP header).
    package var datagramOffset: Int
    package var length: Int

    package init(record: Int, recordOffset: Int, datagramOffset: Int, length: Int) {
        self.record = record
        self.recordOffset = recordOffset
        self.datagramOffset = datagramOffset
        self.length = length
    }
}

/// Counts of what happened to fragmented datagrams.
package struct IPFragmentStatistics: Hashable, Sendable {
    /// Datagrams put back together.
    package var reassembled = 0
    /// Datagrams dropped incomplete because their first fragment is older than the timeout.
    package var timedOut = 0
    /// Datagrams dropped incomplete to make room for newer ones.
    package var evicted = 0
    /// Datagrams dropped because their fragments disagree or exceed the size limit.
    package var rejected = 0

    package init() {}
}

/// Reassembles fragmented IP datagrams (RFC 791 3.2 for IPv4, RFC 8200 4.5 for IPv6), keyed by `Key`.
///
/// Bounded: at most ``IPFragmentLimits/maximumPendingDatagrams`` datagrams wait at once, each at most
/// ``IPFragmentLimits/maximumDatagramLength`` bytes, and a datagram is forgotten once capture time has moved
/// ``IPFragmentLimits/timeoutNanoseconds`` past its first fragment. Overlapping fragments are accepted, the later
/// bytes winning. Only this type allocates during packet decoding, and only for fragments.
struct IPFragmentReassembler<Key: Hashable & Sendable>: Sendable {
    /// The outcome of adding one fragment.
    enum AddResult {
        /// More fragments are needed.
        case pending
        /// The datagram is complete: its payload, the protocol of its first header, and (when pieces are recorded)
        /// where each fragment's payload was captured.
        case complete([UInt8], upperLayerProtocol: UInt8, pieces: [IPFragmentPiece]?)
        /// The fragment made its datagram unusable; the datagram was dropped.
        case rejected(DecodeProblem)
    }

    private struct Pending: Sendable {
        var data: [UInt8] = []
        /// Byte ranges received so far, sorted and merged.
        var received: [Range<Int>] = []
        /// Known once the last fragment (MF clear) arrives.
        var totalLength: Int?
        /// Known once the first fragment (offset 0) arrives.
        var upperLayerProtocol: UInt8?
        /// Where each fragment's payload was captured, in arrival order (only when pieces are recorded).
        var pieces: [IPFragmentPiece] = []
        /// Fragments added so far.
        var fragments = 0
        var firstSeen: Timestamp
        var generation: Int
    }

    let limits: IPFragmentLimits
    /// Keep, per fragment, the record and the offset in it where its payload was captured (for the provenance).
    let recordsPieces: Bool
    private(set) var statistics = IPFragmentStatistics()
    /// Where the fragments of dropped datagrams (timed out, evicted, rejected, or left incomplete at the end) were
    /// captured, when pieces are recorded: bytes nothing will read, which a sanitized copy must blank.
    private(set) var droppedPieces: [IPFragmentPiece] = []
    private var pending: [Key: Pending] = [:]
    /// Datagrams in order of their first fragment, for timeouts and eviction; entries may be stale.
    private var arrivals: [(key: Key, generation: Int, firstSeen: Timestamp)] = []
    private var arrivalsHead = 0
    private var nextGeneration = 0

    init(limits: IPFragmentLimits = IPFragmentLimits(), recordsPieces: Bool = false) {
        self.limits = limits
        self.recordsPieces = recordsPieces
    }

    /// Datagrams waiting for more fragments.
    var pendingCount: Int {
        self.pending.count
    }

    /// Adds the fragment `payload`, which belongs at byte `offset` of the datagram identified by `key`.
    ///
    /// - Parameters:
    ///   - upperLayerProtocol: the protocol of the datagram's first header, when this fragment knows it.
    ///   - record: the record that carried the fragment, and where its payload starts in the record's captured data
    ///     (kept only when pieces are recorded).
    mutating func add(
        key: Key,
        offset: Int,
        moreFragments: Bool,
        payload: UnsafeRawBufferPointer,
        upperLayerProtocol: UInt8?,
        record: (number: Int, offset: Int) = (0, 0),
        at time: Timestamp
    ) -> AddResult {
        self.expire(before: time)
        let end = offset + payload.count
        let piece =
            self.recordsPieces && !payload.isEmpty
            ? IPFragmentPiece(
                record: record.number,
                recordOffset: record.offset,
                datagramOffset: offset,
                length: payload.count
            )
            : nil
        guard end <= self.limits.maximumDatagramLength else {
            self.drop(self.pending[key], piece)
            self.reject(key)
            return .rejected(.fragmentTooLarge)
        }
        var entry: Pending
        if let existing = self.pending.removeValue(forKey: key) {
            entry = existing
        } else {
            while self.pending.count >= max(self.limits.maximumPendingDatagrams, 1) {
                self.evictOldest()
            }
            entry = Pending(firstSeen: time, generation: self.nextGeneration)
            self.arrivals.append((key, self.nextGeneration, time))
            self.nextGeneration += 1
        }
        if !moreFragments {
            // RFC 8200 4.5 (and RFC 791 alike): the last fragment fixes the datagram's length; a second, different
            // last fragment or data beyond it means the fragments do not belong together.
            if let total = entry.totalLength, total != end {
                self.statistics.rejected += 1
                self.drop(entry, piece)
                return .rejected(.fragmentsInconsistent)
            }
            if let last = entry.received.last, last.upperBound > end {
                self.statistics.rejected += 1
                self.drop(entry, piece)
                return .rejected(.fragmentsInconsistent)
            }
            entry.totalLength = end
        } else if let total = entry.totalLength, end > total {
            self.statistics.rejected += 1
            self.drop(entry, piece)
            return .rejected(.fragmentsInconsistent)
        }
        entry.fragments += 1
        guard entry.fragments <= max(self.limits.maximumFragmentsPerDatagram, 1) else {
            self.statistics.rejected += 1
            self.drop(entry, piece)
            return .rejected(.tooManyFragments)
        }
        if let piece {
            // Every fragment is a copy of its bytes, an overlapped one too: each is noted, none forgotten.
            entry.pieces.append(piece)
        }
        if offset == 0, let upperLayerProtocol {
            entry.upperLayerProtocol = upperLayerProtocol
        }
        if entry.data.count < end {
            entry.data.append(contentsOf: repeatElement(0, count: end - entry.data.count))
        }
        entry.data.withUnsafeMutableBytes { data in
            data.baseAddress.map { base in
                payload.baseAddress.map { source in
                    (base + offset).copyMemory(from: source, byteCount: payload.count)
                }
            }
        }
        Self.merge(offset..<end, into: &entry.received)
        if let total = entry.totalLength, let protocolNumber = entry.upperLayerProtocol,
            entry.received.count == 1, entry.received[0] == 0..<total
        {
            self.statistics.reassembled += 1
            entry.data.removeSubrange(total...)
            return .complete(
                entry.data,
                upperLayerProtocol: protocolNumber,
                pieces: self.recordsPieces ? entry.pieces : nil
            )
        }
        self.pending[key] = entry
        return .pending
    }

    /// Drops datagrams whose first fragment arrived more than the timeout before `time`.
    private mutating func expire(before time: Timestamp) {
        while self.arrivalsHead < self.arrivals.count {
            let oldest = self.arrivals[self.arrivalsHead]
            guard time.nanoseconds &- oldest.firstSeen.nanoseconds > self.limits.timeoutNanoseconds else {
                break
            }
            if self.pending[oldest.key]?.generation == oldest.generation {
                self.drop(self.pending.removeValue(forKey: oldest.key), nil)
                self.statistics.timedOut += 1
            }
            self.arrivalsHead += 1
        }
        self.compactArrivals()
    }

    /// Drops the datagram whose first fragment is the oldest.
    private mutating func evictOldest() {
        while self.arrivalsHead < self.arrivals.count {
            let oldest = self.arrivals[self.arrivalsHead]
            self.arrivalsHead += 1
            if self.pending[oldest.key]?.generation == oldest.generation {
                self.drop(self.pending.removeValue(forKey: oldest.key), nil)
                self.statistics.evicted += 1
                break
            }
        }
        if self.arrivalsHead >= self.arrivals.count, let key = self.pending.keys.first {
            // Unreachable while the bookkeeping is right; never loop forever if it is not.
            self.drop(self.pending.removeValue(forKey: key), nil)
            self.statistics.evicted += 1
        }
        self.compactArrivals()
    }

    /// Notes the pieces of a datagram that will never complete (and of the fragment that ended it).
    private mutating func drop(_ entry: Pending?, _ piece: IPFragmentPiece?) {
        guard self.recordsPieces else { return }
        if let entry { self.droppedPieces += entry.pieces }
        if let piece { self.droppedPieces.append(piece) }
    }

    /// Hands over the pieces of the datagrams dropped so far (see ``droppedPieces``) and forgets them.
    mutating func takeDroppedPieces() -> [IPFragmentPiece] {
        defer { self.droppedPieces = [] }
        return self.droppedPieces
    }

    /// The end of the input: every datagram still waiting for fragments is dropped.
    mutating func dropPending() {
        for (_, entry) in self.pending { self.drop(entry, nil) }
        self.pending = [:]
        self.arrivals = []
        self.arrivalsHead = 0
    }

    private mutating func reject(_ key: Key) {
        self.pending.removeValue(forKey: key)
        self.statistics.rejected += 1
    }

    /// Forgets consumed arrival entries once they are the majority, and stale ones when the queue grows large.
    private mutating func compactArrivals() {
        if self.arrivalsHead > 64 && self.arrivalsHead * 2 > self.arrivals.count {
            self.arrivals.removeFirst(self.arrivalsHead)
            self.arrivalsHead = 0
        }
        if self.arrivals.count > 4 * max(self.limits.maximumPendingDatagrams, 16) {
            let pending = self.pending
            self.arrivals = self.arrivals[self.arrivalsHead...].filter { pending[$0.key]?.generation == $0.generation }
            self.arrivalsHead = 0
        }
    }

    /// Inserts `range` into the sorted, merged list `ranges`.
    private static func merge(_ range: Range<Int>, into ranges: inout [Range<Int>]) {
        guard !range.isEmpty else { return }
        var lower = range.lowerBound
        var upper = range.upperBound
        var result: [Range<Int>] = []
        result.reserveCapacity(ranges.count + 1)
        var inserted = false
        for existing in ranges {
            if existing.upperBound < lower {
                result.append(existing)
            } else if existing.lowerBound > upper {
                if !inserted {
                    result.append(lower..<upper)
                    inserted = true
                }
                result.append(existing)
            } else {
                lower = min(lower, existing.lowerBound)
                upper = max(upper, existing.upperBound)
            }
        }
        if !inserted {
            result.append(lower..<upper)
        }
        ranges = result
    }
}
