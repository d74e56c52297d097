import Dissect
import Testing

/// What the layer above TCP received, in order, each with the record it came from.
struct CausalRecorder: StreamAnalyzer {
    enum Event: Equatable {
        case data(Direction, String)
        case gap(Direction, Int)
        case end(Direction, StreamEnd)
    }

    var events: [Event] = []
    /// The record of each event (of the first part of merged data).
    var packets: [PacketRef] = []
    /// Every call that delivered data, unmerged, with its record.
    var deliveries: [(text: String, packet: PacketRef)] = []

    init(client: Endpoint, server: Endpoint, options: Void = ()) {}

    /// Consecutive bytes from one direction make one event, with the record of their first part.
    mutating func receive(_ bytes: UnsafeRawBufferPointer, from direction: Direction, packet: PacketRef) {
        let text = String(decoding: bytes, as: UTF8.self)
        self.deliveries.append((text, packet))
        if case .data(let last, let earlier) = self.events.last, last == direction {
            self.events[self.events.count - 1] = .data(direction, earlier + text)
        } else {
            self.events.append(.data(direction, text))
            self.packets.append(packet)
        }
    }

    mutating func gap(_ length: Int, in direction: Direction, packet: PacketRef) {
        self.events.append(.gap(direction, length))
        self.packets.append(packet)
    }

    mutating func end(_ end: StreamEnd, from direction: Direction, packet: PacketRef) {
        self.events.append(.end(direction, end))
        self.packets.append(packet)
    }
}

/// One connection fed through the table record by record, with the time of each record.
struct CausalCapture {
    static let client = Endpoint(ip: .v4(0x0a00_0001), port: 50_000)
    static let server = Endpoint(ip: .v4(0x0a00_0002), port: 42_919)

    var table: TCPConnectionTable<CausalRecorder>
    var results: [TCPConnectionResult<CausalRecorder>] = []
    var number = 0

    init(limits: ReassemblyLimits = ReassemblyLimits()) {
        self.table = TCPConnectionTable(limits: limits, serverPorts: [42_919])
    }

    /// One record: a segment from the client (`fromClient`) or the server, at `micros` µs into the capture.
    mutating func record(
        _ fromClient: Bool,
        _ sequence: UInt32,
        ack: UInt32,
        _ flags: TCPFlags = [.ack],
        _ text: String = "",
        micros: Int64? = nil,
        window: UInt16 = 65_535,
        checksum: UInt16 = 0x1234
    ) {
        self.number += 1
        let packet = PacketRef(
            number: self.number,
            timestamp: Timestamp(nanoseconds: (micros ?? Int64(self.number) * 1_000) * 1_000)
        )
        var reported: [TCPConnectionResult<CausalRecorder>] = []
        Array(text.utf8).withUnsafeBytes { payload in
            let segment = TCPSegment(
                source: fromClient ? Self.client : Self.server,
                destination: fromClient ? Self.server : Self.client,
                sequence: sequence,
                acknowledgment: ack,
                flags: flags,
                window: window,
                payload: payload,
                checksum: checksum
            )
            self.table.process(segment, packet: packet) { reported.append($0) }
        }
        self.results += reported
    }

    mutating func finish() {
        var reported: [TCPConnectionResult<CausalRecorder>] = []
        self.table.finish { reported.append($0) }
        self.results += reported
    }

    /// Client ISN 100 (data from 101), server ISN 900 (data from 901).
    mutating func handshake() {
        self.record(true, 100, ack: 0, [.syn])
        self.record(false, 900, ack: 101, [.syn, .ack])
        self.record(true, 101, ack: 901)
    }
}

private let upgrade = "GET / HTTP/1.1\r\n\r\n"  // 18 bytes: client 101..<119
private let switching = "HTTP/1.1 101 OK\r\n\r\n"  // 19 bytes: server 901..<920
private let challenge = "{challenge}"  // 11 bytes: server 920..<931
private let connect = "{connect}"  // 9 bytes: client 119..<128
private let response = "{hello-ok}"  // 10 bytes: server 931..<941
private let clientClose = "{close}"  // 7 bytes: client 128..<135

/// Record orders that `-i any` on a multi-CPU host, multi-queue NICs, merged files and container hosts produce,
/// through the connection table: the layer above must get the streams and the causal order of the clean capture.
@Suite("TCPConnection: record order is not causal order")
struct TCPConnectionTests {
    /// The gateway exchange in causal order, as the analyzer must receive it however the records are ordered.
    static let exchange: [CausalRecorder.Event] = [
        .data(.client, upgrade), .data(.server, switching + challenge), .data(.client, connect),
        .data(.server, response), .data(.client, clientClose), .end(.client, .fin), .end(.server, .fin),
    ]

    /// The exchange's records in capture order on `lo`: each side's data, then the peer's ACK of it.
    static func clean(_ capture: inout CausalCapture) {
        capture.handshake()
        capture.record(true, 101, ack: 901, [.ack, .psh], upgrade)
        capture.record(false, 901, ack: 119)
        capture.record(false, 901, ack: 119, [.ack, .psh], switching)
        capture.record(false, 920, ack: 119, [.ack, .psh], challenge)
        capture.record(true, 119, ack: 931, [.ack, .psh], connect)
        capture.record(false, 931, ack: 128, [.ack, .psh], response)
        capture.record(true, 128, ack: 941, [.ack, .psh, .fin], clientClose)
        capture.record(false, 941, ack: 136, [.ack, .fin])
        capture.record(true, 136, ack: 942)
    }

    @Test("the clean exchange, for reference")
    func cleanExchange() throws {
        var capture = CausalCapture()
        Self.clean(&capture)
        let result = try #require(capture.results.first)
        #expect(result.analyzer.events == Self.exchange)
        // The last ACK comes after both FINs: a late segment of the closed connection.
        #expect(result.statistics.packets == 11)
        #expect(capture.table.lateSegments == 1)
    }

    @Test("each peer ACK stored ahead of the data it acknowledges: the data is stream data, no gap, no retransmission")
    func acknowledgmentsAhead() throws {
        var capture = CausalCapture()
        capture.record(true, 100, ack: 0, [.syn])
        capture.record(true, 101, ack: 901)  // the client's ACK of the SYN+ACK, stored before it
        capture.record(false, 900, ack: 101, [.syn, .ack])
        capture.record(false, 901, ack: 119)  // the server's ACK of the upgrade, stored before it
        capture.record(true, 101, ack: 901, [.ack, .psh], upgrade)
        capture.record(false, 901, ack: 119, [.ack, .psh], switching)
        capture.record(true, 119, ack: 920)  // the client's ACK of the 101 and of the challenge
        capture.record(false, 920, ack: 119, [.ack, .psh], challenge)
        capture.record(false, 931, ack: 119)
        capture.record(true, 119, ack: 931, [.ack, .psh], connect)
        capture.record(true, 128, ack: 941)  // acknowledges the response before it is stored
        capture.record(false, 931, ack: 128, [.ack, .psh], response)
        capture.record(false, 941, ack: 136)  // acknowledges the close and its FIN before they are stored
        capture.record(true, 128, ack: 941, [.ack, .psh, .fin], clientClose)
        capture.record(true, 136, ack: 942)  // acknowledges the server's FIN before it is stored
        capture.record(false, 941, ack: 136, [.ack, .fin])
        let result = try #require(capture.results.first, "the connection ends at its last FIN")
        #expect(result.analyzer.events == Self.exchange)
        #expect(result.statistics.gaps == 0)
        #expect(result.statistics.retransmissions == 0)
        #expect(result.statistics.clientBytes == 34)
        #expect(result.statistics.serverBytes == 40)
        #expect(result.statistics.end == .fin)
    }

    @Test("a chain of records each stored before the one it answers: every segment waits only for its own ACK")
    func chainStoredBackwards() throws {
        // Each record's acknowledgment covers the data of the record stored after it (as moving every ACK ahead of
        // the data it acknowledges does, applied to records that carry data too): the exchange after the upgrade is
        // stored in the reverse of the order it was sent, so one direction's records are out of their own order as
        // well (the close before the connect). Holding each direction's segments in record order deadlocks both:
        // the response waits for the close, the close for the response.
        var capture = CausalCapture()
        capture.handshake()
        capture.record(true, 101, ack: 901, [.ack, .psh], upgrade)
        capture.record(false, 901, ack: 119, [.ack, .psh], switching)
        capture.record(true, 128, ack: 941, [.ack, .psh], clientClose)
        capture.record(false, 931, ack: 128, [.ack, .psh], response)
        capture.record(true, 119, ack: 931, [.ack, .psh], connect)
        capture.record(false, 920, ack: 119, [.ack, .psh], challenge)
        capture.record(true, 135, ack: 941, [.ack, .fin])
        capture.record(false, 941, ack: 136, [.ack, .fin])
        capture.record(true, 136, ack: 942)
        let result = try #require(capture.results.first)
        #expect(result.analyzer.events == Self.exchange)
        #expect(result.statistics.gaps == 0)
        #expect(result.statistics.retransmissions == 0)
        #expect(result.statistics.clientBytes == 34)
        #expect(result.statistics.serverBytes == 40)
        #expect(result.statistics.end == .fin)
    }

    @Test("adjacent records of the two directions swapped: challenge/connect and response/close in causal order")
    func swappedPairs() throws {
        var capture = CausalCapture()
        capture.handshake()
        capture.record(true, 101, ack: 901, [.ack, .psh], upgrade)
        capture.record(false, 901, ack: 119, [.ack, .psh], switching)
        capture.record(true, 119, ack: 931, [.ack, .psh], connect)  // stored before the challenge it answers
        capture.record(false, 920, ack: 119, [.ack, .psh], challenge)
        capture.record(true, 128, ack: 941, [.ack, .psh, .fin], clientClose)  // before the response it follows
        capture.record(false, 931, ack: 128, [.ack, .psh], response)
        capture.record(true, 136, ack: 942)  // the client's last ACK, before the server's FIN
        capture.record(false, 941, ack: 136, [.ack, .fin])
        let result = try #require(capture.results.first)
        #expect(result.analyzer.events == Self.exchange)
        #expect(result.statistics.gaps == 0)
        #expect(result.statistics.retransmissions == 0)
    }

    @Test("a swapped pair whose timestamps go backwards: the held data keeps its own record and time")
    func timestampsGoBackwards() throws {
        var capture = CausalCapture()
        capture.handshake()
        capture.record(true, 101, ack: 901, [.ack, .psh], upgrade, micros: 10_000)
        capture.record(false, 901, ack: 119, [.ack, .psh], switching, micros: 10_100)
        // Stamped on two CPUs: the connect (record 6) 30 µs before the challenge it answers (record 7).
        capture.record(true, 119, ack: 931, [.ack, .psh], connect, micros: 10_170)
        capture.record(false, 920, ack: 119, [.ack, .psh], challenge, micros: 10_200)
        capture.finish()
        let result = try #require(capture.results.first)
        let analyzer = result.analyzer
        #expect(Array(analyzer.events.prefix(3)) == Array(Self.exchange.prefix(3)))
        #expect(analyzer.deliveries.map(\.text) == [upgrade, switching, challenge, connect])
        try #require(analyzer.deliveries.map(\.packet.number) == [4, 5, 7, 6])
        #expect(analyzer.deliveries[2].packet.timestamp == Timestamp(nanoseconds: 10_200_000))
        #expect(analyzer.deliveries[3].packet.timestamp == Timestamp(nanoseconds: 10_170_000))
        #expect(result.statistics.gaps == 0)
    }

    @Test("a real loss: the ACK is ahead and the data never comes; the gap is declared at the end, with its size")
    func realLoss() throws {
        var capture = CausalCapture()
        capture.handshake()
        capture.record(true, 101, ack: 901, [.ack, .psh], "hello")
        // 106..<111 was sent and never captured; the server acknowledges it.
        capture.record(false, 901, ack: 111)
        capture.record(false, 901, ack: 111, [.ack, .psh], "ok")
        #expect(capture.results.isEmpty)
        capture.finish()
        let result = try #require(capture.results.first)
        #expect(result.analyzer.events == [.data(.client, "hello"), .gap(.client, 5), .data(.server, "ok")])
        #expect(result.analyzer.packets.map(\.number) == [4, 6, 6])
        #expect(result.statistics.gaps == 1)
        #expect(result.statistics.gapBytes == 5)
        #expect(result.statistics.retransmissions == 0)
    }

    @Test("a real loss inside the stream: the gap is declared at the end, and the stream resumes after it")
    func realLossInside() throws {
        var capture = CausalCapture()
        capture.handshake()
        capture.record(true, 101, ack: 901, [.ack, .psh], "hello")
        capture.record(true, 111, ack: 901, [.ack, .psh], "world")
        capture.record(false, 901, ack: 116)
        var events: [CausalRecorder.Event] = []
        capture.table.finish { events = $0.analyzer.events }
        #expect(events == [.data(.client, "hello"), .gap(.client, 5), .data(.client, "world")])
    }

    @Test("the data held past an acknowledged hole reaching the limit declares the gap then, not before")
    func outOfOrderBoundReached() throws {
        var capture = CausalCapture(limits: ReassemblyLimits(maxBufferedBytesPerDirection: 8))
        capture.handshake()
        capture.record(true, 101, ack: 901, [.ack, .psh], "ab")
        capture.record(false, 901, ack: 200)  // acknowledges far past what was captured
        capture.record(true, 105, ack: 901, [.ack, .psh], "efgh")
        capture.record(true, 109, ack: 901, [.ack, .psh], "ijkl")
        var events: [CausalRecorder.Event] = []
        capture.table.finish { events = $0.analyzer.events }
        #expect(events == [.data(.client, "ab"), .gap(.client, 2), .data(.client, "efghijkl"), .gap(.client, 87)])

        var over = CausalCapture(limits: ReassemblyLimits(maxBufferedBytesPerDirection: 8))
        over.handshake()
        over.record(true, 101, ack: 901, [.ack, .psh], "ab")
        over.record(false, 901, ack: 200)
        over.record(true, 105, ack: 901, [.ack, .psh], "efgh")
        over.record(true, 109, ack: 901, [.ack, .psh], "ijkl")
        over.record(true, 113, ack: 901, [.ack, .psh], "m")  // 9 bytes held: over the limit
        over.record(true, 103, ack: 901, [.ack, .psh], "cd")  // too late: a retransmission now
        over.finish()
        let result = try #require(over.results.first)
        #expect(
            result.analyzer.events == [
                .data(.client, "ab"), .gap(.client, 2), .data(.client, "efghijklm"), .gap(.client, 86),
            ]
        )
        #expect(result.analyzer.packets[1].number == 8)
        #expect(result.statistics.retransmissions == 1)
    }

    /// The server's segments acknowledge client bytes stored after them: held, they wait for those bytes; past the
    /// limit on held segments the oldest goes, after the client's missing bytes are declared a gap.
    static func heldServerSegments(limits: ReassemblyLimits) throws -> TCPConnectionResult<CausalRecorder> {
        var capture = CausalCapture(limits: limits)
        capture.handshake()
        capture.record(true, 101, ack: 901, [.ack, .psh], "hello")
        capture.record(false, 901, ack: 111, [.ack, .psh], "a")
        capture.record(false, 902, ack: 111, [.ack, .psh], "b")
        capture.record(false, 903, ack: 111, [.ack, .psh], "c")
        capture.record(true, 106, ack: 901, [.ack, .psh], "12345")
        capture.finish()
        return try #require(capture.results.first)
    }

    @Test("segments held for causal order wait for the peer's bytes they acknowledge, stored after them")
    func causalHold() throws {
        let result = try Self.heldServerSegments(limits: ReassemblyLimits())
        #expect(result.analyzer.events == [.data(.client, "hello12345"), .data(.server, "abc")])
        #expect(result.statistics.gaps == 0)
        #expect(result.statistics.retransmissions == 0)
    }

    @Test("segments held for causal order are bounded: past the limit the oldest goes, after the peer's gap")
    func causalHoldBounded() throws {
        let result = try Self.heldServerSegments(limits: ReassemblyLimits(maxBufferedSegmentsPerDirection: 2))
        #expect(result.analyzer.events == [.data(.client, "hello"), .gap(.client, 5), .data(.server, "abc")])
        #expect(result.statistics.retransmissions == 1)
    }

    @Test("a RST releases the held segments after the peer's missing bytes, then ends the connection")
    func resetReleases() throws {
        var capture = CausalCapture()
        capture.handshake()
        capture.record(true, 101, ack: 901, [.ack, .psh], upgrade)
        capture.record(false, 901, ack: 119, [.ack, .psh], switching)
        capture.record(true, 119, ack: 931, [.ack, .psh], connect)  // acknowledges a challenge never captured
        capture.record(false, 920, ack: 128, [.rst, .ack])
        let result = try #require(capture.results.first)
        #expect(
            result.analyzer.events == [
                .data(.client, upgrade), .data(.server, switching), .gap(.server, 11), .data(.client, connect),
                .end(.server, .rst),
            ]
        )
    }

    @Test("every packet stored twice (veth and bridge): one segment each, counted once, no retransmission")
    func exactDuplicates() throws {
        var doubled = CausalCapture()
        var twice = CausalCapture()
        Self.clean(&twice)
        // Replay the clean records, each followed by its copy 7 µs later.
        doubled.record(true, 100, ack: 0, [.syn], micros: 1_000)
        doubled.record(true, 100, ack: 0, [.syn], micros: 1_007)
        doubled.record(false, 900, ack: 101, [.syn, .ack], micros: 2_000)
        doubled.record(false, 900, ack: 101, [.syn, .ack], micros: 2_007)
        let records: [(Bool, UInt32, UInt32, TCPFlags, String)] = [
            (true, 101, 901, [.ack], ""), (true, 101, 901, [.ack, .psh], upgrade), (false, 901, 119, [.ack], ""),
            (false, 901, 119, [.ack, .psh], switching), (false, 920, 119, [.ack, .psh], challenge),
            (true, 119, 931, [.ack, .psh], connect), (false, 931, 128, [.ack, .psh], response),
            (true, 128, 941, [.ack, .psh, .fin], clientClose), (false, 941, 136, [.ack, .fin], ""),
            (true, 136, 942, [.ack], ""),
        ]
        for (index, record) in records.enumerated() {
            let micros = Int64(index + 3) * 1_000
            doubled.record(record.0, record.1, ack: record.2, record.3, record.4, micros: micros)
            doubled.record(record.0, record.1, ack: record.2, record.3, record.4, micros: micros + 7)
        }
        doubled.finish()
        let reference = try #require(twice.results.first)
        let result = try #require(doubled.results.first)
        #expect(result.analyzer.events == Self.exchange)
        #expect(result.statistics.retransmissions == 0)
        #expect(result.statistics.packets == reference.statistics.packets)
        #expect(result.statistics.client.segments == reference.statistics.client.segments)
        #expect(result.statistics.server.segments == reference.statistics.server.segments)
        // The connection ends at the server's FIN: its copy and the last ACK's two come after it, late segments.
        #expect(result.statistics.duplicates == 10)
        #expect(doubled.table.lateSegments == 3)
        #expect(result.statistics.end == .fin)
    }

    @Test("a real retransmission (the same bytes 200 ms later, or with anything between) stays a retransmission")
    func realRetransmission() throws {
        var capture = CausalCapture()
        capture.handshake()
        capture.record(true, 101, ack: 901, [.ack, .psh], upgrade, micros: 10_000)
        capture.record(true, 101, ack: 901, [.ack, .psh], upgrade, micros: 210_000)
        // A copy more than 1 ms later is a retransmission too.
        capture.record(true, 101, ack: 901, [.ack, .psh], upgrade, micros: 211_100)
        // The same bytes again right after the server's ACK in between: not the segment just before it.
        capture.record(false, 901, ack: 119, micros: 211_101)
        capture.record(true, 101, ack: 901, [.ack, .psh], upgrade, micros: 211_102)
        // Right after, but with another checksum: another packet.
        capture.record(true, 101, ack: 901, [.ack, .psh], upgrade, micros: 211_103, checksum: 0x4321)
        capture.finish()
        let result = try #require(capture.results.first)
        #expect(result.analyzer.events == [.data(.client, upgrade)])
        #expect(result.statistics.retransmissions == 4)
        #expect(result.statistics.duplicates == 0)
        #expect(result.statistics.packets == 9)
    }

    @Test("a copy with other payload bytes than the segment before it is no copy")
    func differentPayloadIsNoCopy() throws {
        var capture = CausalCapture()
        capture.handshake()
        capture.record(true, 101, ack: 901, [.ack, .psh], "abcdefghijklmnopqrstuvwxyz", micros: 10_000)
        capture.record(true, 101, ack: 901, [.ack, .psh], "abcdefghijklmnopqrstuvwxyZ", micros: 10_001)
        capture.finish()
        let result = try #require(capture.results.first)
        #expect(result.statistics.duplicates == 0)
        #expect(result.statistics.retransmissions == 1)
    }

    @Test("a FIN stuck behind a hole the peer acknowledged: the connection ends when both FINs are acknowledged")
    func finishesWhenBothFINsAcknowledged() throws {
        var capture = CausalCapture()
        capture.handshake()
        capture.record(true, 101, ack: 901, [.ack, .psh], "hello")
        // 106..<111 never captured.
        capture.record(true, 111, ack: 901, [.ack, .fin], "world")
        capture.record(false, 901, ack: 117, [.ack, .fin])
        #expect(capture.results.isEmpty)
        capture.record(true, 117, ack: 902)
        let result = try #require(capture.results.first, "reported at the last ACK, not at the end of the input")
        #expect(
            result.analyzer.events == [
                .data(.client, "hello"), .gap(.client, 5), .data(.client, "world"), .end(.client, .fin),
                .end(.server, .fin),
            ]
        )
        #expect(result.statistics.end == .fin)
    }
}
