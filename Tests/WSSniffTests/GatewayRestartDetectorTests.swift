import Dissect
import Testing
import WSSniff

/// Restarts found from the wire alone: SYNs answered by RST (nothing listening), then a SYN answered by SYN-ACK.
@Suite struct GatewayRestartDetectorTests {
    static let port: UInt16 = 18789

    /// An Ethernet + IPv4 + TCP packet (no payload) between 127.0.0.1:`client` and 127.0.0.1:`port`.
    static func packet(fromClient: Bool, client: UInt16, flags: UInt8) -> [UInt8] {
        let (source, destination) = fromClient ? (client, Self.port) : (Self.port, client)
        var bytes: [UInt8] = Array(repeating: 0, count: 12) + [0x08, 0x00]
        bytes += [0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]
        bytes += [UInt8(source >> 8), UInt8(source & 0xFF), UInt8(destination >> 8), UInt8(destination & 0xFF)]
        bytes += [0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0]
        return bytes
    }

    static let syn: UInt8 = 0x02
    static let synAck: UInt8 = 0x12
    static let rstAck: UInt8 = 0x14

    /// Feeds `packets` (from the client?, client port, flags) one per second from second 100 through the pipeline,
    /// the segment heads it decodes to the detector, and returns the events.
    static func run(_ packets: [(Bool, UInt16, UInt8)]) -> [HostEvent] {
        var detector = GatewayRestartDetector(port: Self.port)
        var pipeline = Pipeline(options: PipelineOptions())
        var events: [HostEvent] = []
        for (number, (fromClient, client, flags)) in packets.enumerated() {
            let bytes = Self.packet(fromClient: fromClient, client: client, flags: flags)
            let info = CaptureRecordInfo(
                number: number + 1,
                linkType: .ethernet,
                timestamp: Timestamp(seconds: 100 + Int64(number), nanoseconds: 0),
                capturedLength: bytes.count,
                originalLength: bytes.count
            )
            bytes.withUnsafeBytes { raw in
                pipeline.ingest(
                    info,
                    RawSpan(_unsafeBytes: raw),
                    segment: { head in
                        if let event = detector.ingest(head, time: info.timestamp) { events.append(event) }
                    },
                    handshake: { _ in },
                    finished: { _ in }
                )
            }
        }
        return events
    }

    @Test func refusedConnectsThenAnAnswerAreOneDownAndOneUp() {
        let events = Self.run([
            (true, 40_000, Self.syn), (false, 40_000, Self.synAck),  // answered: nothing to say
            (true, 40_001, Self.syn), (false, 40_001, Self.rstAck),  // refused: down at 103
            (true, 40_002, Self.syn), (false, 40_002, Self.rstAck),  // refused again
            (true, 40_003, Self.syn), (false, 40_003, Self.synAck),  // answered: up at 107
        ])
        #expect(events.map(\.kind) == [.gatewayDown, .gatewayUp])
        #expect(events.first?.time == Timestamp(seconds: 103, nanoseconds: 0))
        #expect(events.first?.server == "127.0.0.1:\(Self.port)")
        #expect(events.last?.time == Timestamp(seconds: 107, nanoseconds: 0))
        #expect(events.last?.downSince == Timestamp(seconds: 103, nanoseconds: 0))
        #expect(events.last?.refused == 2)
    }

    @Test func aResetOfAnEstablishedConnectionIsNoRestart() {
        let events = Self.run([
            (true, 40_000, Self.syn), (false, 40_000, Self.synAck), (false, 40_000, Self.rstAck),
            (false, 40_001, Self.rstAck),
        ])
        #expect(events.isEmpty)
    }

    @Test func aGatewayStillDownAtTheEndHasNoUp() {
        let events = Self.run([(true, 40_000, Self.syn), (false, 40_000, Self.rstAck)])
        #expect(events.map(\.kind) == [.gatewayDown])
    }
}
