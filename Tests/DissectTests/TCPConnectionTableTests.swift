import Dissect
import Testing

/// A connection table fed segments built from text, collecting what it reports.
private struct Table {
    var table: TCPConnectionTable<ReassemblyRecorder>
    var results: [TCPConnectionResult<ReassemblyRecorder>] = []
    var packetNumber = 0

    init(limits: ReassemblyLimits = ReassemblyLimits(), serverPorts: Set<UInt16> = []) {
        self.table = TCPConnectionTable(limits: limits, serverPorts: serverPorts)
    }

    mutating func send(
        _ source: Endpoint,
        _ destination: Endpoint,
        _ sequence: UInt32,
        ack: UInt32 = 0,
        _ flags: TCPFlags = [.ack],
        _ text: String = "",
        window: UInt16 = 65_535
    ) {
        self.packetNumber += 1
        let packet = PacketRef(number: self.packetNumber, timestamp: Timestamp(nanoseconds: 0))
        let bytes = Array(text.utf8)
        var reported: [TCPConnectionResult<ReassemblyRecorder>] = []
        bytes.withUnsafeBytes { payload in
            let segment = TCPSegment(
                source: source,
                destination: destination,
                sequence: sequence,
                acknowledgment: ack,
                flags: flags,
                window: window,
                payload: payload
            )
            self.table.process(segment, packet: packet) { reported.append($0) }
        }
        self.results += reported
    }

    mutating func finish() {
        var reported: [TCPConnectionResult<ReassemblyRecorder>] = []
        self.table.finish { reported.append($0) }
        self.results += reported
    }
}

private let clientA = Endpoint(ip: .v4(0x0a00_0001), port: 50_000)
private let serverA = Endpoint(ip: .v4(0x0a00_0002), port: 8_080)
private let clientB = Endpoint(ip: .v6(0x2001_0db8_0000_0000, 1), port: 1_234)
private let serverB = Endpoint(ip: .v6(0x2001_0db8_0000_0000, 2), port: 5_000)

/// A three-way handshake: client ISN 100, server ISN 900; the client's data starts at 101, the server's at 901.
private func handshake(_ table: inout Table, _ client: Endpoint = clientA, _ server: Endpoint = serverA) {
    table.send(client, server, 100, [.syn])
    table.send(server, client, 900, ack: 101, [.syn, .ack])
    table.send(client, server, 101, ack: 901)
}

@Suite("TCPConnectionTable")
struct TCPConnectionTableTests {
    @Test("handshake, data both ways, FIN both ways: reported at the last FIN and freed")
    func handshakeAndFIN() throws {
        var table = Table()
        handshake(&table)
        table.send(clientA, serverA, 101, ack: 901, [.ack, .psh], "GET / HTTP/1.1\r\n\r\n")
        table.send(serverA, clientA, 901, ack: 119, [.ack, .psh], "HTTP/1.1 200 OK\r\n\r\n")
        table.send(clientA, serverA, 119, ack: 920, [.ack, .fin])
        #expect(table.results.isEmpty)
        table.send(serverA, clientA, 920, ack: 120, [.ack, .fin])
        try #require(table.results.count == 1)
        #expect(table.table.openConnectionCount == 0)
        let result = table.results[0]
        #expect(result.client == clientA)
        #expect(result.server == serverA)
        #expect(result.analyzer.client == clientA)
        #expect(
            result.analyzer.events == [
                .data(.client, "GET / HTTP/1.1\r\n\r\n"), .data(.server, "HTTP/1.1 200 OK\r\n\r\n"),
                .end(.client, .fin), .end(.server, .fin),
            ]
        )
        let statistics = result.statistics
        #expect(statistics.handshakeSeen)
        #expect(statistics.end == .fin)
        #expect(statistics.clientBytes == 18)
        #expect(statistics.serverBytes == 19)
        #expect(statistics.packets == 7)
        #expect(statistics.firstPacket.number == 1)
        #expect(statistics.lastPacket.number == 7)
        #expect(statistics.gaps == 0)
        #expect(statistics.retransmissions == 0)
        table.finish()
        #expect(table.results.count == 1)
    }

    @Test("a RST ends the connection at once, whatever its sequence number")
    func reset() throws {
        var table = Table()
        handshake(&table)
        table.send(clientA, serverA, 101, ack: 901, [.ack], "hi")
        table.send(serverA, clientA, 123_456, [.rst])
        try #require(table.results.count == 1)
        let result = table.results[0]
        #expect(result.statistics.end == .rst)
        #expect(result.analyzer.events == [.data(.client, "hi"), .end(.server, .rst)])
        #expect(result.statistics.client.end == .rst)
        #expect(table.table.openConnectionCount == 0)
    }

    @Test("a RST delivers held data after its gap first")
    func resetFlushes() throws {
        var table = Table()
        handshake(&table)
        table.send(clientA, serverA, 104, ack: 901, [.ack], "def")
        table.send(clientA, serverA, 107, [.rst])
        try #require(table.results.count == 1)
        #expect(table.results[0].analyzer.events == [.gap(.client, 3), .data(.client, "def"), .end(.client, .rst)])
    }

    @Test("a retransmitted SYN is no new connection")
    func retransmittedSYN() {
        var table = Table()
        table.send(clientA, serverA, 100, [.syn])
        table.send(clientA, serverA, 100, [.syn])
        table.send(serverA, clientA, 900, ack: 101, [.syn, .ack])
        table.send(clientA, serverA, 101, ack: 901, [.ack], "x")
        #expect(table.table.openConnectionCount == 1)
        table.finish()
        #expect(table.results.count == 1)
        #expect(table.results[0].analyzer.events == [.data(.client, "x")])
        #expect(table.results[0].statistics.end == .open)
    }

    @Test("port reuse: a new SYN after both FINs starts a new connection")
    func portReuseAfterClose() throws {
        var table = Table()
        handshake(&table)
        table.send(clientA, serverA, 101, ack: 901, [.ack, .fin], "one")
        table.send(serverA, clientA, 901, ack: 105, [.ack, .fin])
        table.send(clientA, serverA, 105, ack: 902)
        try #require(table.results.count == 1)
        table.send(clientA, serverA, 5_000, [.syn])
        table.send(serverA, clientA, 7_000, ack: 5_001, [.syn, .ack])
        table.send(clientA, serverA, 5_001, ack: 7_001, [.ack], "two")
        #expect(table.table.openConnectionCount == 1)
        table.finish()
        try #require(table.results.count == 2)
        #expect(table.results[0].analyzer.events == [.data(.client, "one"), .end(.client, .fin), .end(.server, .fin)])
        #expect(table.results[1].analyzer.events == [.data(.client, "two")])
        #expect(table.results[1].statistics.handshakeSeen)
        #expect(table.results[1].statistics.firstPacket.number == 7)
    }

    @Test("port reuse: a new SYN after a half close reports the old connection first")
    func portReuseAfterHalfClose() throws {
        var table = Table()
        handshake(&table)
        table.send(clientA, serverA, 101, ack: 901, [.ack, .fin], "one")
        table.send(clientA, serverA, 5_000, [.syn])
        try #require(table.results.count == 1)
        #expect(table.results[0].statistics.end == .fin)
        #expect(table.results[0].analyzer.events == [.data(.client, "one"), .end(.client, .fin)])
        #expect(table.table.openConnectionCount == 1)
    }

    @Test("late ACKs and retransmissions after the close make no ghost connection")
    func lateSegmentsAfterClose() {
        var table = Table()
        handshake(&table)
        table.send(clientA, serverA, 101, ack: 901, [.ack, .fin])
        table.send(serverA, clientA, 901, ack: 102, [.ack, .fin])
        table.send(clientA, serverA, 102, ack: 902)
        table.send(serverA, clientA, 901, ack: 102, [.ack, .fin])
        table.send(clientA, serverA, 101, ack: 902, [.ack], "late")
        #expect(table.table.openConnectionCount == 0)
        #expect(table.table.lateSegments == 3)
        table.finish()
        #expect(table.results.count == 1)
    }

    @Test("a reset tuple also ignores late segments")
    func lateSegmentsAfterReset() {
        var table = Table()
        handshake(&table)
        table.send(serverA, clientA, 901, [.rst])
        table.send(clientA, serverA, 101, ack: 901, [.ack], "late")
        #expect(table.table.openConnectionCount == 0)
        #expect(table.results.count == 1)
    }

    @Test("mid-connection start: an HTTP request shows the client, whatever the ports say")
    func midConnectionHTTPClient() throws {
        var table = Table()
        // A pure ACK cannot tell who the client is: the decision waits for the request.
        table.send(serverB, clientB, 70_000, ack: 40_000)
        table.send(clientB, serverB, 40_000, ack: 70_000, [.ack, .psh], "GET /chat HTTP/1.1\r\n")
        table.send(serverB, clientB, 70_000, ack: 40_020, [.ack, .psh], "HTTP/1.1 101\r\n")
        table.finish()
        try #require(table.results.count == 1)
        let result = table.results[0]
        #expect(result.client == clientB)
        #expect(result.server == serverB)
        #expect(!result.statistics.handshakeSeen)
        #expect(result.statistics.end == .open)
        #expect(result.statistics.packets == 3)
        #expect(
            result.analyzer.events == [.data(.client, "GET /chat HTTP/1.1\r\n"), .data(.server, "HTTP/1.1 101\r\n")]
        )
    }

    @Test(
        "mid-connection start without HTTP: a listed server port, else the lower port, is the server's",
        arguments: [(UInt16(0), UInt16(1_234)), (5_000, 5_000)]
    )
    func midConnectionPortFallback(listedPort: UInt16, expectedServerPort: UInt16) throws {
        var table = Table(serverPorts: listedPort == 0 ? [] : [listedPort])
        table.send(serverB, clientB, 70_000, [.ack, .psh], "hello")
        table.send(clientB, serverB, 40_000, ack: 70_005, [.ack, .psh], "there")
        table.finish()
        try #require(table.results.count == 1)
        let result = table.results[0]
        #expect(result.server.port == expectedServerPort)
        let helloDirection: Direction = result.server == serverB ? .server : .client
        #expect(result.analyzer.text(from: helloDirection) == "hello")
        #expect(result.analyzer.text(from: helloDirection.opposite) == "there")
    }

    @Test("a SYN+ACK without its SYN: the receiver is the client, whose data starts at the acknowledgment")
    func synAckWithoutSYN() throws {
        var table = Table()
        table.send(serverA, clientA, 900, ack: 101, [.syn, .ack])
        table.send(clientA, serverA, 102, ack: 901, [.ack], "b")
        table.send(clientA, serverA, 101, ack: 901, [.ack], "a")
        table.finish()
        try #require(table.results.count == 1)
        #expect(table.results[0].client == clientA)
        #expect(table.results[0].analyzer.events == [.data(.client, "ab")])
        #expect(table.results[0].statistics.outOfOrder == 1)
    }

    @Test("a lost segment: the peer's ACK past the hole reports a gap of its size, and the stream resumes")
    func lostSegment() throws {
        var table = Table()
        handshake(&table)
        table.send(clientA, serverA, 101, ack: 901, [.ack], "hello")
        // 106..<111 ("12345") was never captured.
        table.send(clientA, serverA, 111, ack: 901, [.ack], "world")
        table.send(serverA, clientA, 901, ack: 116, [.ack], "ok")
        table.send(clientA, serverA, 116, ack: 903, [.ack], "!")
        table.finish()
        try #require(table.results.count == 1)
        let result = table.results[0]
        #expect(
            result.analyzer.events == [
                .data(.client, "hello"), .gap(.client, 5), .data(.client, "world"), .data(.server, "ok"),
                .data(.client, "!"),
            ]
        )
        #expect(result.statistics.gaps == 1)
        #expect(result.statistics.gapBytes == 5)
        #expect(result.statistics.clientBytes == 11)
        #expect(result.statistics.outOfOrder == 1)
    }

    @Test("zero-window probes and keep-alives are not data")
    func probesAndKeepAlives() throws {
        var table = Table()
        handshake(&table)
        table.send(clientA, serverA, 101, ack: 901, [.ack], "hello")
        table.send(serverA, clientA, 901, ack: 106, [.ack], window: 0)
        table.send(clientA, serverA, 106, ack: 901, [.ack], " ")
        table.send(serverA, clientA, 901, ack: 106, [.ack], window: 0)
        table.send(serverA, clientA, 901, ack: 106, [.ack], window: 1_000)
        table.send(clientA, serverA, 106, ack: 901, [.ack], " world")
        table.send(clientA, serverA, 111, ack: 901, [.ack], "d")
        table.send(serverA, clientA, 900, ack: 112, [.ack])
        table.finish()
        try #require(table.results.count == 1)
        let statistics = table.results[0].statistics
        #expect(table.results[0].analyzer.events == [.data(.client, "hello world")])
        #expect(statistics.zeroWindowProbes == 1)
        #expect(statistics.keepAlives == 2)
        #expect(statistics.retransmissions == 0)
        #expect(statistics.clientBytes == 11)
    }

    @Test("connections that never close are reported by finish, flushed, in the order they started")
    func neverClosed() throws {
        var table = Table()
        handshake(&table, clientB, serverB)
        handshake(&table)
        table.send(clientB, serverB, 105, ack: 901, [.ack], "tail")
        table.send(clientA, serverA, 101, ack: 901, [.ack], "a")
        #expect(table.table.openConnectionCount == 2)
        table.finish()
        #expect(table.table.openConnectionCount == 0)
        try #require(table.results.count == 2)
        #expect(table.results[0].client == clientB)
        #expect(table.results[0].statistics.end == .open)
        #expect(table.results[0].analyzer.events == [.gap(.client, 4), .data(.client, "tail")])
        #expect(table.results[1].client == clientA)
        #expect(table.results[1].analyzer.events == [.data(.client, "a")])
    }

    @Test("at maxConnections the least recently active connection is reported as open and freed")
    func eviction() throws {
        var limits = ReassemblyLimits()
        limits.maxConnections = 2
        var table = Table(limits: limits)
        let third = Endpoint(ip: .v4(0x0a00_0003), port: 50_001)
        handshake(&table, clientA, serverA)
        handshake(&table, clientB, serverB)
        table.send(clientA, serverA, 101, ack: 901, [.ack], "still here")
        handshake(&table, third, serverA)
        try #require(table.results.count == 1)
        #expect(table.results[0].client == clientB)
        #expect(table.results[0].statistics.end == .open)
        #expect(table.table.openConnectionCount == 2)
        #expect(table.table.evictions == 1)
        table.finish()
        #expect(table.results.map(\.client) == [clientB, clientA, third])
        #expect(table.results[1].analyzer.events == [.data(.client, "still here")])
    }

    /// FuzzTCPReassembly's input, reduced to the three segments that mattered, with its sequence numbers: the
    /// server's last window was zero, so the client's first byte is a zero-window probe; the segment after it lies
    /// 374 bytes ahead, across the sequence wrap, and over the 64-byte buffer limit. The probe was delivered at the
    /// end of the stream instead of before the gap.
    @Test("a connection's held zero-window probe comes before the gap its buffer limit forces")
    func zeroWindowProbeBeforeLimitGap() {
        let server = Endpoint(ip: .v4(0x7f00_0001), port: 42_919)
        let client = Endpoint(ip: .v4(0x7f00_0001), port: 50_000)
        var table = Table(limits: ReassemblyLimits(maxBufferedBytesPerDirection: 64), serverPorts: [42_919])
        table.send(server, client, 0x7fff_c6c5, [.fin], String(repeating: "s", count: 116), window: 0)
        table.send(client, server, 0xffff_feff, [], "p")
        let beyond = String(repeating: "c", count: 111)
        table.send(client, server, 0x75, [], beyond)
        table.finish()
        #expect(table.results.count == 1)
        #expect(table.results.first?.client == client)
        let clientEvents = table.results.first?.analyzer.events.filter {
            if case .data(.client, _) = $0 { return true }
            if case .gap(.client, _) = $0 { return true }
            return false
        }
        #expect(clientEvents == [.data(.client, "p"), .gap(.client, 373), .data(.client, beyond)])
    }
}
