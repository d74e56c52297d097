package import Dissect

/// One address pair under which a connection was captured.
///
/// A capture on several interfaces at once (`-i any` on a host whose gateway runs in a container: the container's
/// veth and the bridge, the second possibly NATed) stores every packet of a connection once per interface. Each copy
/// is a view: the same TCP connection (same sequence numbers, same bytes) under its own addresses.
package struct ConnectionView: Hashable, Sendable {
    package var client: Endpoint
    package var server: Endpoint
    /// The records that carried this view's first and last segments, and how many segments it had.
    package var firstPacket: PacketRef
    package var lastPacket: PacketRef
    package var packets: Int

    package init(client: Endpoint, server: Endpoint, tcp: TCPStatistics) {
        self.client = client
        self.server = server
        self.firstPacket = tcp.firstPacket
        self.lastPacket = tcp.lastPacket
        self.packets = tcp.packets
    }
}

/// Recognizes one connection captured under two (or more) address pairs, so that it is reported once.
///
/// Two finished connections are views of one when, direction by direction, they start at the same sequence number
/// (the initial sequence numbers, or the first bytes seen when no SYN was captured), delivered the same number of
/// bytes with the same holes and the same fingerprint of those bytes (`StreamDigest`), and started and ended within
/// `window` of each other, under different addresses. Equal sequence numbers both ways make a coincidence unlikely;
/// equal bytes are the proof, so a pair that differs in a single byte stays two connections.
///
/// Copies of one packet are stored microseconds apart, so a connection's views end within microseconds too. Each
/// finished connection is held until the capture is `window` past its last packet (by the packets' own timestamps,
/// or the clock during an idle live capture): a view that ends in that time joins it. At most `capacity`
/// connections are held; past that the oldest goes on unmatched, so memory stays bounded whatever the traffic.
/// What is held is the dissection's summary (the zlib and parser state is already freed), before the gateway
/// analysis: a connection is analyzed once, as the view it is reported as, and its other view is never analyzed
/// (so it cannot pass for an earlier connection whose challenge this one reused).
///
/// The view reported is the one whose server is on the gateway port: that is the gateway's own side (the container's
/// interface), the addresses its own logs show; without a gateway port (`--port 0`) or when no view or every view
/// is on it, the first seen. Counts are that view's alone, never a sum.
struct ConnectionViews {
    /// How far apart two views' first and last packets may be. Copies of one packet are stamped microseconds apart
    /// (the same packet crossing a veth and then a bridge); this leaves a thousand times that for a busy host, while
    /// a finished connection waits no longer than a live capture's own latency and few wait at once (on the 100 MB
    /// benchmark, about 1,000 connections end per second of capture: some ten are held at a time).
    static let window: Int64 = 10_000_000
    static let capacity = 256

    /// Two fingerprints of a connection's streams (`StreamDigest`), the client's and the server's.
    typealias Digests = (client: UInt64, server: UInt64)

    private final class Held {
        var result: AnalysisWorker.Job
        var views: [ConnectionView]
        let key: Key
        var digests: Digests
        var deadline: Timestamp

        init(_ result: AnalysisWorker.Job, key: Key, digests: Digests) {
            self.result = result
            self.key = key
            self.digests = digests
            self.views = [ConnectionView(client: result.client, server: result.server, tcp: result.tcp)]
            self.deadline = Timestamp(nanoseconds: result.tcp.lastPacket.timestamp.nanoseconds &+ window)
        }
    }

    /// The first sequence numbers of the client's and the server's streams.
    private struct Key: Hashable {
        var client: UInt32?
        var server: UInt32?
    }

    /// The gateway port (0: none): the view whose server is on it is the gateway's own, and reported.
    private let gatewayPort: UInt16
    /// Held connections in the order they finished; `head` is the first still held.
    private var queue: [Held?] = []
    private var head = 0
    private var index: [Key: Held] = [:]

    init(gatewayPort: UInt16) {
        self.gatewayPort = gatewayPort
    }

    var isEmpty: Bool { self.head == self.queue.count }

    /// The record number that started the earliest held connection (nil: none is held).
    var oldestHeldStart: Int? {
        var oldest: Int?
        for held in self.queue[self.head...] {
            guard let held else { continue }
            let start = held.result.tcp.firstPacket.number
            if oldest == nil || start < oldest! { oldest = start }
        }
        return oldest
    }

    /// Takes a finished connection: it joins a held view of the same connection, or is held itself. Returns the
    /// connections that go on now (the capacity was reached, or the connection cannot be matched at all).
    mutating func offer(_ result: AnalysisWorker.Job, digests: Digests, _ release: (AnalysisWorker.Job) -> Void) {
        let tcp = result.tcp
        let key = Key(client: tcp.client.firstSequence, server: tcp.server.firstSequence)
        guard key.client != nil || key.server != nil else {
            // Neither stream started (only pure ACKs): nothing to match on.
            release(result)
            return
        }
        // A view that guessed its roles the other way round (no SYN, other ports) has the key swapped.
        for candidate in [key, Key(client: key.server, server: key.client)] {
            guard let held = self.index[candidate] else { continue }
            for swapped in [false, true] where self.isView(result, digests, of: held, swapped: swapped) {
                self.join(result, digests, to: held, swapped: swapped)
                return
            }
        }
        let held = Held(result, key: key, digests: digests)
        self.queue.append(held)
        self.index[key] = held
        while self.queue.count - self.head > Self.capacity {
            self.releaseFirst(release)
        }
    }

    /// Hands on every held connection whose time to find a view has passed at `now`.
    mutating func expire(now: Timestamp, _ release: (AnalysisWorker.Job) -> Void) {
        while self.head < self.queue.count {
            guard let held = self.queue[self.head] else {
                self.head += 1
                continue
            }
            guard held.deadline < now else { break }
            self.releaseFirst(release)
        }
        self.compact()
    }

    /// At the end of the input, while the connections still open are handed over in start order: hands on the
    /// held connections that started more than `window` before `start`, which no later connection can be a view
    /// of.
    mutating func expire(startedBefore start: Timestamp, _ release: (AnalysisWorker.Job) -> Void) {
        while self.head < self.queue.count {
            guard let held = self.queue[self.head] else {
                self.head += 1
                continue
            }
            guard held.result.tcp.firstPacket.timestamp.nanoseconds &+ Self.window < start.nanoseconds
            else { break }
            self.releaseFirst(release)
        }
        self.compact()
    }

    /// Hands on everything held.
    mutating func releaseAll(_ release: (AnalysisWorker.Job) -> Void) {
        while self.head < self.queue.count {
            self.releaseFirst(release)
        }
        self.compact()
    }

    private mutating func releaseFirst(_ release: (AnalysisWorker.Job) -> Void) {
        guard let held = self.queue[self.head] else {
            self.head += 1
            return
        }
        self.queue[self.head] = nil
        self.head += 1
        if self.index[held.key] === held {
            self.index[held.key] = nil
        }
        var released = held.result
        if held.views.count > 1 { released.views = held.views }
        release(released)
    }

    private mutating func compact() {
        if self.head == self.queue.count {
            self.queue.removeAll(keepingCapacity: true)
            self.head = 0
        } else if self.head > 1_024 && self.head * 2 > self.queue.count {
            self.queue.removeFirst(self.head)
            self.head = 0
        }
    }

    /// Whether `result` is the connection `held` under other addresses (`swapped`: with client and server taken the
    /// other way round, as when a view without SYN guessed its roles by other ports).
    private func isView(
        _ result: AnalysisWorker.Job,
        _ digests: Digests,
        of held: Held,
        swapped: Bool
    ) -> Bool {
        let addresses = swapped ? (result.server, result.client) : (result.client, result.server)
        // The same addresses again are the same 4-tuple reused, not another view.
        guard !held.views.contains(where: { $0.client == addresses.0 && $0.server == addresses.1 }) else {
            return false
        }
        let mine = held.result.tcp
        let theirs = result.tcp
        let (client, server) = swapped ? (theirs.server, theirs.client) : (theirs.client, theirs.server)
        let (clientDigest, serverDigest) = swapped ? (digests.server, digests.client) : (digests.client, digests.server)
        guard Self.sameStream(mine.client, client) && Self.sameStream(mine.server, server),
            held.digests.client == clientDigest && held.digests.server == serverDigest
        else { return false }
        // `magnitude`: a hostile capture's timestamps may lie anywhere, and no difference may trap.
        let startApart = (mine.firstPacket.timestamp.nanoseconds &- theirs.firstPacket.timestamp.nanoseconds).magnitude
        let endApart = (mine.lastPacket.timestamp.nanoseconds &- theirs.lastPacket.timestamp.nanoseconds).magnitude
        return startApart <= UInt64(Self.window) && endApart <= UInt64(Self.window)
    }

    private static func sameStream(_ one: TCPDirectionStatistics, _ other: TCPDirectionStatistics) -> Bool {
        one.firstSequence == other.firstSequence && one.bytes == other.bytes && one.gaps == other.gaps
            && one.gapBytes == other.gapBytes
    }

    /// Adds a view to a held connection; the view on the gateway port is the one reported, else the first seen.
    private mutating func join(
        _ result: AnalysisWorker.Job,
        _ digests: Digests,
        to held: Held,
        swapped: Bool
    ) {
        held.views.append(ConnectionView(client: result.client, server: result.server, tcp: result.tcp))
        // The sanitized copy rewrites every captured copy of a secret: the reported view keeps the other's
        // provenance too (the same stream offsets, in its own records).
        var result = result
        if let theirs = result.provenance, var ours = held.result.provenance {
            if self.rank(result) < self.rank(held.result) {
                var merged = theirs
                merged.add(ours, swapped: swapped)
                result.provenance = merged
            } else {
                ours.add(theirs, swapped: swapped)
                held.result.provenance = ours
            }
        }
        held.views.sort { $0.firstPacket.number < $1.firstPacket.number }
        let deadline = result.tcp.lastPacket.timestamp.nanoseconds &+ Self.window
        if deadline > held.deadline.nanoseconds { held.deadline = Timestamp(nanoseconds: deadline) }
        if self.rank(result) < self.rank(held.result) {
            held.result = result
            held.digests = digests
        }
    }

    /// Lower is preferred: the gateway's own view first, then the view seen first.
    private func rank(_ result: AnalysisWorker.Job) -> (Int, Int) {
        let onGatewayPort = self.gatewayPort != 0 && result.server.port == self.gatewayPort
        return (onGatewayPort ? 0 : 1, result.tcp.firstPacket.number)
    }
}
