/// Every TCP connection in the input, found by its 4-tuple, each fed its own segments and reported as soon as it
/// ends.
///
/// Memory follows the open connections: a finished connection is handed over and freed at once, the number of
/// connections is capped (the least recently active one gives way), and so is the out-of-order data each holds.
/// Per segment the table costs one dictionary lookup and no allocation unless data arrives out of order.
package struct TCPConnectionTable<Analyzer: StreamAnalyzer> {
    /// A connection's place in `slots`, linked into the list of connections from least to most recently active.
    /// A connection's state (about 4.5 KiB inline: both reassemblers and the analyzer) on the heap, so growing and
    /// reusing the slot array moves small slots, not connections (120,000 connections: 7.7 s -> 6.5 s).
    private final class ConnectionBox {
        /// Taken out (nil) when the connection is retired, so closing it copies nothing.
        var connection: TCPConnection<Analyzer>?

        init(_ connection: TCPConnection<Analyzer>) {
            self.connection = connection
        }
    }

    private struct Slot {
        var key: ConnectionKey
        var box: ConnectionBox?
        var firstPacketNumber: Int
        /// The neighbours in the activity list; -1 at its ends.
        var older: Int
        var newer: Int
    }

    private let limits: ReassemblyLimits
    private let serverPorts: Set<UInt16>
    /// What each new connection's analyzer starts with.
    private let options: Analyzer.Options
    private var slots: [Slot] = []
    private var freeSlots: [Int] = []
    private var slotByKey: [ConnectionKey: Int] = [:]
    /// Least recently active connection's slot, or -1.
    private var oldest = -1
    /// Most recently active connection's slot, or -1.
    private var newest = -1
    private var closed: ClosedTupleMemory

    /// Segments dropped because their 4-tuple closed recently and they carried no SYN.
    package private(set) var lateSegments = 0
    /// Connections reported early because `maxConnections` was reached.
    package private(set) var evictions = 0
    /// With `ReassemblyLimits.recordsProvenance`: captured payload no connection took (late segments after a
    /// close), since the last `takeStrayPayloads()`.
    private var strayPayloads: [ProvenanceRange] = []

    /// Hands over the stray payloads noted so far (see ``strayPayloads``) and forgets them.
    package mutating func takeStrayPayloads() -> [ProvenanceRange] {
        defer { self.strayPayloads = [] }
        return self.strayPayloads
    }

    /// Notes the payload of a segment no connection takes.
    private mutating func noteStray(_ segment: TCPSegment, packet: PacketRef, origin: PayloadOrigin) {
        guard self.limits.recordsProvenance, !segment.payload.isEmpty else { return }
        origin.forEachCopy(of: 0..<segment.payload.count, record: packet.number) { range, record, recordOffset in
            self.strayPayloads.append(
                ProvenanceRange(streamOffset: 0, length: range.count, record: record, recordOffset: recordOffset)
            )
        }
    }

    /// Notes the fragments of IP datagrams that never completed: payload no stream took.
    package mutating func noteStray(fragments pieces: [IPFragmentPiece]) {
        for piece in pieces where piece.length > 0 {
            self.strayPayloads.append(
                ProvenanceRange(
                    streamOffset: 0,
                    length: piece.length,
                    record: piece.record,
                    recordOffset: piece.recordOffset
                )
            )
        }
    }

    /// - Parameters:
    ///   - limits: bounds on the memory held.
    ///   - serverPorts: ports known to be servers', used to tell the client when a connection's start was not
    ///     captured and its first bytes are not an HTTP request.
    package init(
        limits: ReassemblyLimits = ReassemblyLimits(),
        serverPorts: Set<UInt16> = [],
        options: Analyzer.Options
    ) {
        self.options = options
        self.limits = limits
        self.serverPorts = serverPorts
        self.closed = ClosedTupleMemory(capacity: limits.closedTupleMemory)
    }

    /// Connections seen and not yet reported.
    package var openConnectionCount: Int { self.slotByKey.count }

    /// The record number that started the oldest connection still open, or nil when none is open. Walks the open
    /// connections: call it now and then, not per packet.
    package var oldestOpenFirstPacket: Int? {
        var oldest: Int?
        for slot in self.slotByKey.values {
            let number = self.slots[slot].firstPacketNumber
            if oldest == nil || number < oldest! { oldest = number }
        }
        return oldest
    }

    /// Feeds one segment; connections that finish (or give way) are handed to `finished` right away, then freed.
    /// `origin`: where the segment's payload was captured (its record's data, or the IP fragments it was
    /// reassembled from), for the connections' provenance.
    package mutating func process(
        _ segment: TCPSegment,
        packet: PacketRef,
        origin: PayloadOrigin = .unknown,
        finished: (TCPConnectionResult<Analyzer>) -> Void
    ) {
        let key = ConnectionKey(segment.source, segment.destination)
        let flags = segment.flags
        if let slot = self.slot(of: key) {
            if flags.contains(.syn) && !flags.contains(.ack)
                && !self.slots[slot].box!.connection!.isRetransmittedSYN(segment)
            {
                // RFC 9293 3.5 allows a new incarnation of a connection on the same 4-tuple; a SYN with a new
                // initial sequence number is one. The old connection is reported first.
                self.retire(slot, superseded: true, remember: false, finished)
            } else {
                let isFinished = self.slots[slot].box!.connection!.process(
                    segment,
                    packet: packet,
                    serverPorts: self.serverPorts,
                    origin: origin
                )
                if isFinished {
                    self.retire(slot, superseded: false, remember: true, finished)
                } else {
                    self.touch(slot)
                }
                return
            }
        }
        if self.closed.contains(key) {
            // A late ACK or retransmission after the close is no new connection; a SYN is.
            guard flags.contains(.syn) else {
                self.lateSegments += 1
                self.noteStray(segment, packet: packet, origin: origin)
                return
            }
            self.closed.remove(key)
        }
        if self.slotByKey.count >= max(1, self.limits.maxConnections) && self.oldest >= 0 {
            self.evictions += 1
            self.retire(self.oldest, superseded: false, remember: false, finished)
        }
        let slot = self.insert(
            key,
            TCPConnection(firstSegment: segment, packet: packet, limits: self.limits, options: self.options),
            firstPacketNumber: packet.number
        )
        if self.slots[slot].box!.connection!.process(
            segment,
            packet: packet,
            serverPorts: self.serverPorts,
            origin: origin
        ) {
            self.retire(slot, superseded: false, remember: true, finished)
        }
    }

    /// End of input: every open connection, in the order it started, flushed (held data delivered after its gaps)
    /// and reported with its end `open` (`fin` if flushing delivered both directions' FINs).
    package mutating func finish(_ finished: (TCPConnectionResult<Analyzer>) -> Void) {
        var open: [(number: Int, slot: Int)] = []
        open.reserveCapacity(self.slotByKey.count)
        for slot in self.slotByKey.values {
            open.append((self.slots[slot].firstPacketNumber, slot))
        }
        open.sort { $0.number < $1.number || ($0.number == $1.number && $0.slot < $1.slot) }
        for entry in open {
            self.retire(entry.slot, superseded: false, remember: false, finished)
        }
        self.slots = []
        self.freeSlots = []
        self.oldest = -1
        self.newest = -1
    }

    // MARK: - Slots

    private mutating func insert(
        _ key: ConnectionKey,
        _ connection: TCPConnection<Analyzer>,
        firstPacketNumber: Int
    ) -> Int {
        let entry = Slot(
            key: key,
            box: ConnectionBox(connection),
            firstPacketNumber: firstPacketNumber,
            older: -1,
            newer: -1
        )
        let slot: Int
        if let free = self.freeSlots.popLast() {
            slot = free
            self.slots[slot] = entry
        } else {
            slot = self.slots.count
            self.slots.append(entry)
        }
        self.slotByKey[key] = slot
        self.link(slot)
        return slot
    }

    /// Reports the connection in `slot` and frees it. `remember`: its 4-tuple closed, so late segments are dropped.
    private mutating func retire(
        _ slot: Int,
        superseded: Bool,
        remember: Bool,
        _ finished: (TCPConnectionResult<Analyzer>) -> Void
    ) {
        guard let box = self.slots[slot].box.take(), var connection = box.connection.take() else { return }
        let key = self.slots[slot].key
        self.slotByKey[key] = nil
        self.unlink(slot)
        self.freeSlots.append(slot)
        if remember {
            self.closed.insert(key)
        }
        finished(connection.close(superseded: superseded, serverPorts: self.serverPorts))
    }

    /// The slot of the connection `key`: segments come in runs of one connection (a message cut at the MSS, its
    /// ACKs), so the most recently active one is tried before the dictionary, which hashes the 4-tuple.
    @inline(__always)
    private func slot(of key: ConnectionKey) -> Int? {
        if self.newest >= 0, self.slots[self.newest].box != nil, self.slots[self.newest].key == key {
            return self.newest
        }
        return self.slotByKey[key]
    }

    /// Marks the connection in `slot` the most recently active.
    @inline(__always)
    private mutating func touch(_ slot: Int) {
        guard self.newest != slot else { return }
        self.unlink(slot)
        self.link(slot)
    }

    private mutating func link(_ slot: Int) {
        self.slots[slot].older = self.newest
        self.slots[slot].newer = -1
        if self.newest >= 0 {
            self.slots[self.newest].newer = slot
        } else {
            self.oldest = slot
        }
        self.newest = slot
    }

    private mutating func unlink(_ slot: Int) {
        let older = self.slots[slot].older
        let newer = self.slots[slot].newer
        if older >= 0 {
            self.slots[older].newer = newer
        } else {
            self.oldest = newer
        }
        if newer >= 0 {
            self.slots[newer].older = older
        } else {
            self.newest = older
        }
        self.slots[slot].older = -1
        self.slots[slot].newer = -1
    }
}

/// A 4-tuple without a direction: both directions of a connection find the same key.
struct ConnectionKey: Hashable {
    /// The endpoint that sorts first, and the other.
    var low: Endpoint
    var high: Endpoint

    init(_ one: Endpoint, _ other: Endpoint) {
        if Self.precedes(other, one) {
            self.low = other
            self.high = one
        } else {
            self.low = one
            self.high = other
        }
    }

    /// Any total order does; this one sorts IPv4 before IPv6, then by address, then by port.
    private static func precedes(_ lhs: Endpoint, _ rhs: Endpoint) -> Bool {
        switch (lhs.ip, rhs.ip) {
        case (.v4(let left), .v4(let right)):
            return left != right ? left < right : lhs.port < rhs.port
        case (.v4, .v6):
            return true
        case (.v6, .v4):
            return false
        case (.v6(let leftHigh, let leftLow), .v6(let rightHigh, let rightLow)):
            if leftHigh != rightHigh {
                return leftHigh < rightHigh
            }
            return leftLow != rightLow ? leftLow < rightLow : lhs.port < rhs.port
        }
    }
}

/// The most recent closed 4-tuples, at most `capacity`, oldest forgotten first.
private struct ClosedTupleMemory {
    private let capacity: Int
    /// Each remembered tuple with the stamp of its latest insertion.
    private var stamps: [ConnectionKey: Int] = [:]
    /// Insertions in order, as a ring; an entry whose stamp is no longer current is stale.
    private var ring: [(key: ConnectionKey, stamp: Int)] = []
    private var next = 0
    private var stamp = 0

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    func contains(_ key: ConnectionKey) -> Bool {
        self.stamps[key] != nil
    }

    mutating func insert(_ key: ConnectionKey) {
        guard self.capacity > 0 else { return }
        self.stamp += 1
        let entry = (key: key, stamp: self.stamp)
        if self.ring.count < self.capacity {
            self.ring.append(entry)
        } else {
            let old = self.ring[self.next]
            if self.stamps[old.key] == old.stamp {
                self.stamps[old.key] = nil
            }
            self.ring[self.next] = entry
            self.next = (self.next + 1) % self.capacity
        }
        self.stamps[key] = self.stamp
    }

    mutating func remove(_ key: ConnectionKey) {
        self.stamps[key] = nil
    }
}

extension TCPConnectionTable where Analyzer.Options == Void {
    package init(limits: ReassemblyLimits = ReassemblyLimits(), serverPorts: Set<UInt16> = []) {
        self.init(limits: limits, serverPorts: serverPorts, options: ())
    }
}
