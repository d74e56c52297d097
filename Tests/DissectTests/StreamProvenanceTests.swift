import Dissect
import Testing

/// The byte provenance the TCP layer records when asked: every captured copy of each stream byte, at the stream
/// offsets the analyzer counts, with its record and its place in the record; payload no stream takes is stray.
@Suite struct StreamProvenanceTests {
    static let client = Endpoint(ip: .v4(0x0a00_0001), port: 50_000)
    static let server = Endpoint(ip: .v4(0x0a00_0002), port: 8_080)

    /// A connection table with provenance on, fed segments whose payload sits at `recordOffset` 40 of its record.
    struct Feeder {
        var table: TCPConnectionTable<NullStreamAnalyzer>
        var results: [TCPConnectionResult<NullStreamAnalyzer>] = []
        var number = 0

        init(provenance: Bool = true) {
            var limits = ReassemblyLimits()
            limits.recordsProvenance = provenance
            self.table = TCPConnectionTable(limits: limits)
        }

        mutating func send(
            _ source: Endpoint,
            _ destination: Endpoint,
            _ sequence: UInt32,
            ack: UInt32 = 0,
            _ flags: TCPFlags = [.ack],
            _ text: String = ""
        ) {
            self.number += 1
            let packet = PacketRef(number: self.number, timestamp: Timestamp(nanoseconds: 0))
            var reported: [TCPConnectionResult<NullStreamAnalyzer>] = []
            Array(text.utf8).withUnsafeBytes { payload in
                let segment = TCPSegment(
                    source: source,
                    destination: destination,
                    sequence: sequence,
                    acknowledgment: ack,
                    flags: flags,
                    window: 65_535,
                    payload: payload
                )
                self.table.process(segment, packet: packet, origin: .record(offset: 40)) { reported.append($0) }
            }
            self.results += reported
        }

        mutating func handshake() {
            self.send(StreamProvenanceTests.client, StreamProvenanceTests.server, 100, [.syn])
            self.send(StreamProvenanceTests.server, StreamProvenanceTests.client, 900, ack: 101, [.syn, .ack])
        }

        mutating func finish() {
            var reported: [TCPConnectionResult<NullStreamAnalyzer>] = []
            self.table.finish { reported.append($0) }
            self.results += reported
        }
    }

    typealias R = ProvenanceRange

    @Test func everyCopyIsRecordedAtItsStreamOffset() throws {
        var feeder = Feeder()
        feeder.handshake()
        feeder.send(Self.client, Self.server, 101, [.ack, .psh], "hello")  // record 3: stream 0..<5
        feeder.send(Self.client, Self.server, 103, [.ack, .psh], "llo world")  // record 4: a retransmission, 2..<11
        feeder.send(Self.client, Self.server, 115, [.ack, .psh], "tail")  // record 5: ahead of a hole, 14..<18
        feeder.send(Self.client, Self.server, 112, [.ack, .psh], "abc")  // record 6: fills the hole, 11..<14
        feeder.send(Self.server, Self.client, 901, ack: 119, [.ack, .psh], "ok")  // record 7: server 0..<2
        feeder.finish()
        let result = try #require(feeder.results.first)
        let provenance = try #require(result.provenance)
        #expect(
            provenance.client.ranges == [
                R(streamOffset: 0, length: 5, record: 3, recordOffset: 40),
                R(streamOffset: 2, length: 9, record: 4, recordOffset: 40),
                R(streamOffset: 14, length: 4, record: 5, recordOffset: 40),
                R(streamOffset: 11, length: 3, record: 6, recordOffset: 40),
            ]
        )
        #expect(provenance.server.ranges == [R(streamOffset: 0, length: 2, record: 7, recordOffset: 40)])
        // Byte 3 ("l") has two copies; byte 12 one; 18 none.
        let index = provenance.client.index()
        #expect(index.copies(overlapping: 3..<4).map(\.record) == [3, 4])
        #expect(index.copies(overlapping: 12..<13).map(\.record) == [6])
        #expect(index.copies(overlapping: 18..<30).isEmpty)
    }

    @Test func aFINAndAGapKeepTheOffsetsTheAnalyzerCounts() throws {
        var feeder = Feeder()
        feeder.handshake()
        feeder.send(Self.client, Self.server, 101, [.ack, .psh], "abc")  // record 3: 0..<3
        // The server acknowledges 10 bytes: 7 were never captured, a gap the analyzer counts.
        feeder.send(Self.server, Self.client, 901, ack: 111, [.ack])
        feeder.send(Self.client, Self.server, 111, [.ack, .psh, .fin], "xyz")  // record 5: 10..<13, then FIN
        feeder.send(Self.client, Self.server, 111, [.ack, .psh, .fin], "xyz")  // record 6: repeated after the FIN
        feeder.finish()
        let result = try #require(feeder.results.first)
        let provenance = try #require(result.provenance)
        #expect(provenance.client.ranges.map(\.streamOffset) == [0, 10, 10])
        #expect(provenance.client.ranges.map(\.record) == [3, 5, 6])
    }

    @Test func bytesNoStreamTakesAreStray() throws {
        var feeder = Feeder()
        feeder.handshake()
        // Starts 4 bytes before the stream's first byte (101): those 4 are no stream bytes.
        feeder.send(Self.client, Self.server, 97, [.ack, .psh], "....GET")
        feeder.send(Self.client, Self.server, 104, [.ack, .fin])
        feeder.send(Self.server, Self.client, 901, ack: 105, [.ack, .fin])
        feeder.send(Self.client, Self.server, 105, ack: 902, [.ack])
        #expect(feeder.results.count == 1)
        // A late retransmission after the close: no connection takes it.
        feeder.send(Self.client, Self.server, 101, [.ack, .psh], "GET")
        let result = try #require(feeder.results.first)
        let provenance = try #require(result.provenance)
        #expect(provenance.client.ranges == [R(streamOffset: 0, length: 3, record: 3, recordOffset: 44)])
        #expect(provenance.client.stray == [R(streamOffset: 0, length: 4, record: 3, recordOffset: 40)])
        #expect(feeder.table.takeStrayPayloads() == [R(streamOffset: 0, length: 3, record: 7, recordOffset: 40)])
        #expect(feeder.table.takeStrayPayloads().isEmpty)
    }

    @Test func nothingIsRecordedUnlessAsked() throws {
        var feeder = Feeder(provenance: false)
        feeder.handshake()
        feeder.send(Self.client, Self.server, 101, [.ack, .psh], "hello")
        feeder.finish()
        let result = try #require(feeder.results.first)
        #expect(result.provenance == nil)
    }
}
