import Dissect
import Testing

/// What an analyzer received, in order; consecutive bytes from one direction are merged into one event.
enum ReassemblyEvent: Equatable {
    case data(Direction, String)
    case gap(Direction, Int)
    case end(Direction, StreamEnd)
}

/// A `StreamAnalyzer` that records everything TCP hands it.
struct ReassemblyRecorder: StreamAnalyzer {
    let client: Endpoint
    let server: Endpoint
    var events: [ReassemblyEvent] = []
    /// The buffer each `receive` got, to check that in-order data is not copied.
    var bufferAddresses: [UnsafeRawPointer?] = []
    var bytes: [Direction: [UInt8]] = [:]

    init(client: Endpoint, server: Endpoint, options: Void = ()) {
        self.client = client
        self.server = server
    }

    mutating func receive(_ bytes: UnsafeRawBufferPointer, from direction: Direction, packet: PacketRef) {
        self.bufferAddresses.append(bytes.baseAddress)
        self.bytes[direction, default: []].append(contentsOf: bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        if case .data(let last, let earlier) = self.events.last, last == direction {
            self.events[self.events.count - 1] = .data(direction, earlier + text)
        } else {
            self.events.append(.data(direction, text))
        }
    }

    mutating func gap(_ length: Int, in direction: Direction, packet: PacketRef) {
        self.events.append(.gap(direction, length))
    }

    mutating func end(_ end: StreamEnd, from direction: Direction, packet: PacketRef) {
        self.events.append(.end(direction, end))
    }

    /// Every byte delivered from `direction`, as text.
    func text(from direction: Direction) -> String {
        String(decoding: self.bytes[direction] ?? [], as: UTF8.self)
    }
}

/// One direction's reassembler with a recorder, fed segments built from text.
private struct OneWay {
    var reassembler: StreamReassembler
    var recorder = ReassemblyRecorder(
        client: Endpoint(ip: .v4(0x0a00_0001), port: 40_000),
        server: Endpoint(ip: .v4(0x0a00_0002), port: 80)
    )
    var packetNumber = 0

    init(start: UInt32? = nil, limits: ReassemblyLimits = ReassemblyLimits()) {
        self.reassembler = StreamReassembler(limits: limits)
        if let start {
            self.reassembler.start(at: start)
        }
    }

    var statistics: TCPDirectionStatistics { self.reassembler.statistics }
    var events: [ReassemblyEvent] { self.recorder.events }

    mutating func send(
        _ sequence: UInt32,
        _ text: String = "",
        flags: TCPFlags = [.ack],
        missing: Int = 0,
        peerWindowIsZero: Bool = false
    ) {
        self.packetNumber += 1
        let packet = PacketRef(number: self.packetNumber, timestamp: Timestamp(nanoseconds: 0))
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { payload in
            let segment = TCPSegment(
                source: self.recorder.client,
                destination: self.recorder.server,
                sequence: sequence,
                acknowledgment: 0,
                flags: flags,
                window: 65_535,
                payload: payload,
                missingPayloadLength: missing
            )
            self.reassembler.receive(
                segment,
                packet: packet,
                peerWindowIsZero: peerWindowIsZero,
                direction: .client,
                analyzer: &self.recorder
            )
        }
    }

    mutating func acknowledge(_ acknowledgment: UInt32) {
        self.packetNumber += 1
        let packet = PacketRef(number: self.packetNumber, timestamp: Timestamp(nanoseconds: 0))
        self.reassembler.acknowledge(acknowledgment, packet: packet, direction: .client, analyzer: &self.recorder)
    }

    mutating func flush() {
        let packet = PacketRef(number: self.packetNumber, timestamp: Timestamp(nanoseconds: 0))
        self.reassembler.flush(packet: packet, direction: .client, analyzer: &self.recorder)
    }
}

@Suite("StreamReassembler")
struct StreamReassemblerTests {
    @Test("in-order segments are delivered from the segment's own buffer")
    func inOrder() {
        var stream = OneWay(start: 1_000)
        var reassembler = stream.reassembler
        let packet = PacketRef(number: 1, timestamp: Timestamp(nanoseconds: 0))
        let bytes: [UInt8] = Array("hello".utf8)
        bytes.withUnsafeBytes { payload in
            let segment = TCPSegment(
                source: stream.recorder.client,
                destination: stream.recorder.server,
                sequence: 1_000,
                acknowledgment: 0,
                flags: [.ack, .psh],
                window: 100,
                payload: payload
            )
            reassembler.receive(
                segment,
                packet: packet,
                peerWindowIsZero: false,
                direction: .client,
                analyzer: &stream.recorder
            )
            #expect(stream.recorder.bufferAddresses == [payload.baseAddress])
        }
        stream.reassembler = reassembler
        stream.send(1_005, " world")
        #expect(stream.events == [.data(.client, "hello world")])
        #expect(stream.statistics.bytes == 11)
        #expect(stream.statistics.retransmissions == 0)
        #expect(stream.statistics.outOfOrder == 0)
        #expect(stream.reassembler.nextSequence == 1_011)
    }

    @Test("the first segment seen starts a stream whose start was not captured")
    func midStreamStart() {
        var stream = OneWay()
        stream.send(77_777, "abc")
        stream.send(77_780, "def")
        #expect(stream.events == [.data(.client, "abcdef")])
    }

    @Test("a SYN's sequence number comes before the first data byte; data on the SYN counts")
    func synWithData() {
        var stream = OneWay()
        stream.send(999, "hi", flags: [.syn])
        stream.send(1_002, "!")
        #expect(stream.events == [.data(.client, "hi!")])
    }

    @Test("out-of-order segments are held until the hole fills")
    func outOfOrder() {
        var stream = OneWay(start: 1_000)
        stream.send(1_011, "!")
        stream.send(1_005, " world")
        #expect(stream.events.isEmpty)
        #expect(stream.reassembler.bufferedBytes == 7)
        stream.send(1_000, "hello")
        #expect(stream.events == [.data(.client, "hello world!")])
        #expect(stream.statistics.outOfOrder == 2)
        #expect(stream.statistics.retransmissions == 0)
        #expect(stream.statistics.bytes == 12)
        #expect(stream.reassembler.bufferedBytes == 0)
        #expect(stream.reassembler.bufferedSegments == 0)
    }

    @Test("an exact retransmission is counted and not delivered again")
    func exactRetransmission() {
        var stream = OneWay(start: 1_000)
        stream.send(1_000, "hello")
        stream.send(1_000, "hello")
        stream.send(1_005, " world")
        #expect(stream.events == [.data(.client, "hello world")])
        #expect(stream.statistics.retransmissions == 1)
        #expect(stream.statistics.bytes == 11)
    }

    @Test("a partial overlap delivers only the new bytes")
    func partialOverlap() {
        var stream = OneWay(start: 1_000)
        stream.send(1_000, "hello")
        stream.send(1_003, "lo world")
        #expect(stream.events == [.data(.client, "hello world")])
        #expect(stream.statistics.retransmissions == 1)
        #expect(stream.statistics.bytes == 11)
    }

    @Test("a segment overlapping held data fills around it")
    func overlapWithHeldData() {
        var stream = OneWay(start: 0)
        stream.send(8, "ij")
        stream.send(4, "efgh")
        stream.send(2, "cdefghijkl")
        #expect(stream.events.isEmpty)
        stream.send(0, "ab")
        #expect(stream.events == [.data(.client, "abcdefghijkl")])
        #expect(stream.statistics.retransmissions == 1)
        #expect(stream.statistics.conflictingOverlaps == 0)
        #expect(stream.statistics.bytes == 12)
    }

    @Test("a conflicting overlap keeps the first bytes seen and is counted")
    func conflictingOverlap() {
        var stream = OneWay(start: 1_000)
        stream.send(1_005, "WORLD")
        stream.send(1_005, "world")
        stream.send(1_000, "hello")
        #expect(stream.events == [.data(.client, "helloWORLD")])
        #expect(stream.statistics.conflictingOverlaps == 1)
        #expect(stream.statistics.retransmissions == 1)
    }

    @Test("an in-order segment that overlaps held data keeps the held bytes")
    func inOrderOverlapKeepsHeldBytes() {
        var stream = OneWay(start: 0)
        stream.send(3, "DEF")
        stream.send(0, "abcdefg")
        #expect(stream.events == [.data(.client, "abcDEFg")])
        #expect(stream.statistics.conflictingOverlaps == 1)
    }

    @Test("sequence numbers wrap around at 2^32")
    func wraparound() {
        var stream = OneWay(start: 0xFFFF_FFFA)
        stream.send(0, "ghij")
        stream.send(0xFFFF_FFFA, "abcdef")
        stream.send(0xFFFF_FFFA, "abcdef")
        stream.send(4, "klm")
        stream.acknowledge(7)
        #expect(stream.events == [.data(.client, "abcdefghijklm")])
        #expect(stream.statistics.outOfOrder == 1)
        #expect(stream.statistics.retransmissions == 1)
        #expect(stream.statistics.gaps == 0)
        #expect(stream.reassembler.nextSequence == 7)
    }

    @Test("keep-alives are neither data nor retransmissions")
    func keepAlive() {
        var stream = OneWay(start: 1_000)
        stream.send(1_000, "hello")
        stream.send(1_004, "x")
        stream.send(1_004)
        stream.send(1_005, " world")
        #expect(stream.events == [.data(.client, "hello world")])
        #expect(stream.statistics.keepAlives == 2)
        #expect(stream.statistics.retransmissions == 0)
    }

    @Test("a zero-window probe the receiver dropped is sent again and counted once as data")
    func zeroWindowProbeDropped() {
        var stream = OneWay(start: 1_000)
        stream.send(1_000, "hello")
        stream.send(1_005, " ", peerWindowIsZero: true)
        stream.send(1_005, " ", peerWindowIsZero: true)
        #expect(stream.events == [.data(.client, "hello")])
        stream.send(1_005, " world")
        #expect(stream.events == [.data(.client, "hello world")])
        #expect(stream.statistics.zeroWindowProbes == 2)
        #expect(stream.statistics.retransmissions == 0)
        #expect(stream.statistics.bytes == 11)
    }

    @Test("a zero-window probe the receiver took is delivered when the sender goes on after it")
    func zeroWindowProbeTaken() {
        var stream = OneWay(start: 1_000)
        stream.send(1_000, "hello")
        stream.send(1_005, " ", peerWindowIsZero: true)
        stream.send(1_006, "world")
        #expect(stream.events == [.data(.client, "hello world")])

        var acked = OneWay(start: 1_000)
        acked.send(1_000, "hello", peerWindowIsZero: true)
        acked.send(1_005, "!", peerWindowIsZero: true)
        acked.acknowledge(1_006)
        #expect(acked.events == [.data(.client, "hello!")])
        #expect(acked.statistics.gaps == 0)
    }

    /// Found by FuzzTCPReassembly: a probe held when the buffer limit turned the hole after it into a gap was
    /// delivered at the end of the stream, after the bytes beyond the hole, one byte out of place.
    @Test("a held zero-window probe goes out before the gap the buffer limit declares after it")
    func zeroWindowProbeBeforeLimitGap() {
        var stream = OneWay(limits: ReassemblyLimits(maxBufferedBytesPerDirection: 64))
        stream.send(0xffff_feff, "p", peerWindowIsZero: true)
        #expect(stream.events == [])
        let beyond = String(repeating: "b", count: 111)
        stream.send(0x75, beyond)
        #expect(stream.events == [.data(.client, "p"), .gap(.client, 373), .data(.client, beyond)])
        stream.flush()
        #expect(stream.events == [.data(.client, "p"), .gap(.client, 373), .data(.client, beyond)])
        #expect(stream.reassembler.nextSequence == 0x75 + 111)
        #expect(stream.statistics.bytes == 112)
    }

    @Test("an acknowledgment past a hole is a hint: data stored after it fills the hole, nothing is a gap")
    func acknowledgmentAheadOfData() {
        var stream = OneWay(start: 1_000)
        stream.send(1_000, "hello")
        stream.send(1_010, "world")
        stream.acknowledge(1_015)
        stream.send(1_015, "!")
        #expect(stream.events == [.data(.client, "hello")])
        stream.send(1_005, "12345")
        #expect(stream.events == [.data(.client, "hello12345world!")])
        stream.flush()
        #expect(stream.events == [.data(.client, "hello12345world!")])
        #expect(stream.statistics.gaps == 0)
        #expect(stream.statistics.retransmissions == 0)
        #expect(stream.statistics.bytes == 16)
    }

    @Test("a hole the peer acknowledged and the capture never filled is a gap at the flush, with its size")
    func lostSegmentAcknowledged() {
        var stream = OneWay(start: 1_000)
        stream.send(1_000, "hello")
        stream.send(1_010, "world")
        stream.acknowledge(1_015)
        stream.send(1_015, "!")
        #expect(stream.events == [.data(.client, "hello")])
        stream.flush()
        #expect(stream.events == [.data(.client, "hello"), .gap(.client, 5), .data(.client, "world!")])
        #expect(stream.statistics.gaps == 1)
        #expect(stream.statistics.gapBytes == 5)
        #expect(stream.statistics.bytes == 11)
    }

    @Test("an acknowledgment past everything seen is a gap at the tail when the stream is flushed")
    func acknowledgedTail() {
        var stream = OneWay(start: 1_000)
        stream.send(1_000, "hello")
        stream.acknowledge(1_010)
        #expect(stream.events == [.data(.client, "hello")])
        stream.send(1_010, "!")
        stream.flush()
        #expect(stream.events == [.data(.client, "hello"), .gap(.client, 5), .data(.client, "!")])

        var lost = OneWay(start: 1_000)
        lost.send(1_000, "hello")
        lost.acknowledge(1_010)
        lost.flush()
        #expect(lost.events == [.data(.client, "hello"), .gap(.client, 5)])
        #expect(lost.statistics.gapBytes == 5)
    }

    @Test("the FIN of a stream with an acknowledged hole before it ends the stream only when the hole is declared")
    func finBehindAcknowledgedHole() {
        var stream = OneWay(start: 0)
        stream.send(0, "ab")
        stream.send(4, "ef", flags: [.ack, .fin])
        stream.acknowledge(7)
        #expect(stream.events == [.data(.client, "ab")])
        #expect(!stream.reassembler.hasEnded)
        #expect(stream.reassembler.hasEndedOrFINAcknowledged)
        stream.send(2, "cd")
        #expect(stream.events == [.data(.client, "abcdef"), .end(.client, .fin)])
        #expect(stream.statistics.gaps == 0)
    }

    @Test("too much held data turns the first hole into a gap")
    func bufferLimit() {
        var limits = ReassemblyLimits()
        limits.maxBufferedBytesPerDirection = 8
        var stream = OneWay(start: 0, limits: limits)
        stream.send(10, "abcd")
        stream.send(20, "efgh")
        #expect(stream.events.isEmpty)
        stream.send(30, "ijkl")
        #expect(stream.events == [.gap(.client, 10), .data(.client, "abcd")])
        #expect(stream.reassembler.bufferedBytes == 8)
        stream.send(14, "123456")
        #expect(stream.events == [.gap(.client, 10), .data(.client, "abcd123456efgh")])
        #expect(stream.reassembler.bufferedBytes == 4)
        #expect(stream.statistics.gaps == 1)
        #expect(stream.statistics.gapBytes == 10)
    }

    @Test("too many held segments turn the first hole into a gap")
    func segmentLimit() {
        var limits = ReassemblyLimits()
        limits.maxBufferedSegmentsPerDirection = 2
        var stream = OneWay(start: 0, limits: limits)
        stream.send(2, "c")
        stream.send(4, "e")
        stream.send(6, "g")
        #expect(stream.events == [.gap(.client, 2), .data(.client, "c")])
        #expect(stream.reassembler.bufferedSegments == 2)
    }

    @Test("the part of a segment the capture cut off is a gap, never data")
    func truncatedPayload() {
        var stream = OneWay(start: 1_000)
        stream.send(1_000, "hel", missing: 2)
        stream.send(1_005, " world")
        #expect(stream.events == [.data(.client, "hel"), .gap(.client, 2), .data(.client, " world")])
        #expect(stream.statistics.bytes == 9)
        #expect(stream.statistics.gapBytes == 2)
    }

    @Test("a truncated segment held out of order yields its gap in its turn")
    func truncatedOutOfOrder() {
        var stream = OneWay(start: 0)
        stream.send(3, "de", missing: 3)
        stream.send(8, "ij")
        stream.send(0, "abc")
        #expect(stream.events == [.data(.client, "abcde"), .gap(.client, 3), .data(.client, "ij")])
        #expect(stream.statistics.bytes == 7)
    }

    @Test("a FIN ends the stream after the bytes before it, even when it comes early")
    func finAfterHole() {
        var stream = OneWay(start: 1_000)
        stream.send(1_005, "!", flags: [.ack, .fin])
        #expect(stream.events.isEmpty)
        stream.send(1_000, "hello")
        #expect(stream.events == [.data(.client, "hello!"), .end(.client, .fin)])
        #expect(stream.reassembler.hasEnded)
        #expect(stream.statistics.end == .fin)
        stream.send(1_000, "hello", flags: [.ack, .fin])
        #expect(stream.events.count == 2)
        #expect(stream.statistics.retransmissions == 1)
    }

    @Test("flushing turns the holes into gaps, delivers held data and a FIN behind them")
    func flush() {
        var stream = OneWay(start: 0)
        stream.send(0, "ab")
        stream.send(4, "ef")
        stream.send(9, "j", flags: [.ack, .fin])
        stream.flush()
        #expect(
            stream.events == [
                .data(.client, "ab"), .gap(.client, 2), .data(.client, "ef"), .gap(.client, 3),
                .data(.client, "j"), .end(.client, .fin),
            ]
        )
        #expect(stream.statistics.gaps == 2)
        #expect(stream.statistics.gapBytes == 5)
    }
}
