import Dissect
import Foundation
import Testing

/// Real captures rewritten the way capture setups store them out of order (`-i any` on several CPUs, multi-queue
/// NICs, merged files, container hosts): the reassembled streams, the TCP counts and the verdict must be those of
/// the capture as taken.
@Suite struct ReorderedCaptureTests {
    /// One record of a capture, with what its TCP segment says about order.
    struct Record {
        var info: CaptureRecordInfo
        var bytes: [UInt8]
        var segment: Segment?
    }

    /// The parts of a TCP segment that decide causal order.
    struct Segment {
        /// The connection, whichever way the segment goes.
        var connection: Set<String>
        var source: String
        /// Sequence space the segment occupies: [start, end), empty for a pure ACK.
        var start: UInt32
        var end: UInt32
        var acknowledgment: UInt32?

        var occupiesSequence: Bool { self.start != self.end }
    }

    /// Every record of a capture file, each with its segment decoded.
    static func read(_ path: String) throws -> [Record] {
        let reader = try CaptureFileReader(path: path)
        var decoder = PacketDecoder()
        var records: [Record] = []
        while try reader.next({ info, bytes in
            var segment: Segment?
            _ = decoder.decode(info, bytes) { tcp in
                let source = "\(tcp.source)"
                segment = Segment(
                    connection: [source, "\(tcp.destination)"],
                    source: source,
                    start: tcp.sequence,
                    end: tcp.sequence &+ tcp.sequenceLength,
                    acknowledgment: tcp.flags.contains(.ack) ? tcp.acknowledgment : nil
                )
            }
            records.append(Record(info: info, bytes: Array(bytes), segment: segment))
        }) {}
        return records
    }

    // MARK: - Rewrites

    /// Each peer ACK moved ahead of the data it acknowledges: every record that acknowledges bytes of the peer
    /// goes before the first of the peer's records (after its own sender's previous record) that carries them.
    static func acknowledgmentsAhead(_ records: [Record]) -> [Record] {
        var out: [Record] = []
        for record in records {
            guard let segment = record.segment, let acknowledgment = segment.acknowledgment else {
                out.append(record)
                continue
            }
            var insertAt = out.count
            for index in out.indices.reversed() {
                guard let earlier = out[index].segment, earlier.connection == segment.connection else { continue }
                if earlier.source == segment.source { break }
                if earlier.occupiesSequence && Int32(bitPattern: acknowledgment &- earlier.end) >= 0 {
                    insertAt = index
                }
            }
            out.insert(record, at: insertAt)
        }
        return out
    }

    /// Adjacent records of the two directions of a connection swapped. `keepTimeSlots`: the records trade their
    /// timestamps too, so the file's times still go forward and the later-sent record carries the earlier time
    /// (two CPUs' clocks or queues disagreeing); otherwise each keeps its own and the file's times go backwards.
    static func swapAdjacent(_ records: [Record], keepTimeSlots: Bool) -> [Record] {
        var out = records
        var index = 0
        while index + 1 < out.count {
            if let first = out[index].segment, let second = out[index + 1].segment,
                first.connection == second.connection, first.source != second.source
            {
                out.swapAt(index, index + 1)
                if keepTimeSlots {
                    let time = out[index].info.timestamp
                    out[index].info.timestamp = out[index + 1].info.timestamp
                    out[index + 1].info.timestamp = time
                }
                index += 2
            } else {
                index += 1
            }
        }
        return out
    }

    /// Every record stored twice, the copy 3 µs after it (`-i any` on the veth and on the bridge).
    static func duplicated(_ records: [Record]) -> [Record] {
        records.flatMap { record in
            var copy = record
            copy.info.timestamp = Timestamp(nanoseconds: record.info.timestamp.nanoseconds + 3_000)
            return [record, copy]
        }
    }

    // MARK: - Oracles

    /// What TCP handed the layer above for one connection.
    struct Streams: StreamAnalyzer {
        var client: [UInt8] = []
        var server: [UInt8] = []
        var gaps: [Int] = []
        init(client: Endpoint, server: Endpoint, options: Void = ()) {}
        mutating func receive(_ bytes: UnsafeRawBufferPointer, from direction: Direction, packet: PacketRef) {
            if direction == .client { self.client += bytes } else { self.server += bytes }
        }
        mutating func gap(_ length: Int, in direction: Direction, packet: PacketRef) { self.gaps.append(length) }
        mutating func end(_ end: StreamEnd, from direction: Direction, packet: PacketRef) {}
    }

    struct Connection: Equatable {
        var client: String
        var server: String
        var clientBytes: [UInt8]
        var serverBytes: [UInt8]
        var gaps: [Int]
        var statistics: TCPStatistics
    }

    /// Reassembles the records, renumbered in their new order, as the pipeline does.
    static func reassemble(_ records: [Record], serverPorts: Set<UInt16>) -> [Connection] {
        var dissector = Dissector<Streams>(serverPorts: serverPorts)
        var results: [TCPConnectionResult<Streams>] = []
        for (index, record) in records.enumerated() {
            var info = record.info
            info.number = index + 1
            record.bytes.withUnsafeBytes { bytes in
                _ = dissector.ingest(info, bytes.bytes) { results.append($0) }
            }
        }
        dissector.finish { results.append($0) }
        return results.map { result in
            Connection(
                client: "\(result.client)",
                server: "\(result.server)",
                clientBytes: result.analyzer.client,
                serverBytes: result.analyzer.server,
                gaps: result.analyzer.gaps,
                statistics: result.statistics
            )
        }.sorted { ($0.client, $0.server) < ($1.client, $1.server) }
    }

    /// A classic pcap file (nanosecond timestamps) with `records` in order.
    static func write(_ records: [Record], to url: URL) throws {
        var bytes: [UInt8] = []
        func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        func u16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        u32(0xa1b2_3c4d)
        u16(2)
        u16(4)
        u32(0)
        u32(0)
        u32(262_144)
        u32(UInt32(records.first?.info.linkType.rawValue ?? 1))
        for record in records {
            let nanoseconds = record.info.timestamp.nanoseconds
            u32(UInt32(nanoseconds / 1_000_000_000))
            u32(UInt32(nanoseconds % 1_000_000_000))
            u32(UInt32(record.bytes.count))
            u32(UInt32(record.info.originalLength))
            bytes += record.bytes
        }
        try Data(bytes).write(to: url)
    }

    // MARK: - Tests

    static let samples = [
        "good-v3.pcap", "nas-protocol-mismatch.pcap", "fragmented-connect.pcap", "tiny-frames.pcap", "cooked-any.pcap",
        "bad-role.pcap", "interleaved.pcap",
    ]
    static let thirdParty = ["zeek-jupyter-websocket.pcap", "pcap2har-websocket.pcap", "zeek-broker-websocket.pcap"]

    enum Rewrite: String, CaseIterable {
        case acknowledgmentsAhead = "each peer ACK ahead of the data it acknowledges"
        case swapped = "adjacent opposite-direction records swapped, times going backwards"
        case swappedTimeSlots = "adjacent opposite-direction records swapped, times staying in order"
        case duplicated = "every record stored twice"

        func apply(_ records: [Record]) -> [Record] {
            switch self {
            case .acknowledgmentsAhead: ReorderedCaptureTests.acknowledgmentsAhead(records)
            case .swapped: ReorderedCaptureTests.swapAdjacent(records, keepTimeSlots: false)
            case .swappedTimeSlots: ReorderedCaptureTests.swapAdjacent(records, keepTimeSlots: true)
            case .duplicated: ReorderedCaptureTests.duplicated(records)
            }
        }
    }

    static func path(_ name: String) -> String {
        Self.samples.contains(name)
            ? TestSupport.samplesDirectory.appendingPathComponent(name).path
            : TestSupport.corpusDirectory.appendingPathComponent(name).path
    }

    @Test(arguments: Self.samples + Self.thirdParty, Rewrite.allCases)
    func streamsAreThoseOfTheCaptureAsTaken(name: String, rewrite: Rewrite) throws {
        let records = try Self.read(Self.path(name))
        let rewritten = rewrite.apply(records)
        if rewrite != .duplicated {
            try #require(rewritten.map(\.info.number) != records.map(\.info.number), "the rewrite changes the order")
        }
        let original = Self.reassemble(records, serverPorts: [42_919])
        let reordered = Self.reassemble(rewritten, serverPorts: [42_919])
        try #require(original.count == reordered.count)
        #expect(!original.isEmpty)
        for (before, after) in zip(original, reordered) {
            #expect(after.client == before.client && after.server == before.server)
            #expect(after.clientBytes == before.clientBytes, "\(name) \(before.client): the client's stream")
            #expect(after.serverBytes == before.serverBytes, "\(name) \(before.client): the server's stream")
            #expect(after.gaps == before.gaps, "\(name) \(before.client): gaps")
            #expect(after.statistics.retransmissions == before.statistics.retransmissions, "\(name): retransmissions")
            #expect(after.statistics.conflictingOverlaps == 0)
            #expect(after.statistics.end == before.statistics.end)
            if rewrite == .duplicated {
                #expect(after.statistics.packets == before.statistics.packets, "\(name): copies counted once")
                #expect(after.statistics.client.segments == before.statistics.client.segments)
                #expect(after.statistics.server.segments == before.statistics.server.segments)
                #expect(after.statistics.duplicates > 0)
            }
        }
    }

    @Test(arguments: Self.samples + Self.thirdParty, Rewrite.allCases)
    func verdictIsThatOfTheCaptureAsTaken(name: String, rewrite: Rewrite) throws {
        let path = Self.path(name)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("rewritten.pcap")
        let records = try Self.read(path)
        try Self.write(rewrite.apply(records), to: file)
        let before = try TestSupport.analyzeJSON([path], extra: ["--port", "0"])
        let after = try TestSupport.analyzeJSON([file.path], extra: ["--port", "0"])
        #expect(
            (after["input"] as? [String: Any])?["packets"] as? Int
                == records.count * (rewrite == .duplicated ? 2 : 1),
            "input.packets counts the records, as tshark numbers them"
        )
        let beforeConnections = try #require(before["connections"] as? [[String: Any]])
        let afterConnections = try #require(after["connections"] as? [[String: Any]])
        try #require(beforeConnections.count == afterConnections.count)
        let expected = SampleVerdictTests.expected()[name]
        let expectations = (expected?["connections"] as? [[String: Any]]) ?? (expected.map { [$0] } ?? [])
        for (old, new) in zip(beforeConnections, afterConnections) {
            let client = (new["client"] as? [String: Any])?["port"] as? Int
            #expect((old["client"] as? [String: Any])?["port"] as? Int == client)
            let oldVerdict = old["verdict"] as? [String: Any]
            let newVerdict = new["verdict"] as? [String: Any]
            #expect(newVerdict?["cause"] as? String == oldVerdict?["cause"] as? String, "\(name): \(newVerdict ?? [:])")
            #expect(newVerdict?["observed"] as? Bool == oldVerdict?["observed"] as? Bool)
            #expect(
                (new["proof"] as? [String: Any])?["signedForm"] as? String
                    == (old["proof"] as? [String: Any])?["signedForm"] as? String
            )
            let tcp = new["tcp"] as? [String: Any]
            let oldTCP = old["tcp"] as? [String: Any]
            // `packets` only where the order is kept: a last ACK moved ahead of the FIN it acknowledges is no longer
            // a late segment after the close.
            let keys = ["clientBytes", "serverBytes", "gaps", "gapBytes", "retransmissions", "outOfOrder"]
            for key in keys + (rewrite == .duplicated ? ["packets"] : []) {
                #expect(tcp?[key] as? Int == oldTCP?[key] as? Int, "\(name): tcp.\(key)")
            }
            if let elapsed = (new["gateway"] as? [String: Any])?["challengeToConnectMs"] as? Int {
                #expect(elapsed >= 0, "\(name): the time from challenge to connect is never negative")
            }
            if let expectation = expectations.first(where: { $0["clientPort"] as? Int == client }) {
                #expect(newVerdict?["cause"] as? String == expectation["cause"] as? String, "\(name)")
                #expect(newVerdict?["observed"] as? Bool == true)
                if let form = expectation["signedForm"] as? String {
                    #expect((new["proof"] as? [String: Any])?["signedForm"] as? String == form)
                }
            }
        }
        if name.hasPrefix("good-v3") || name == "nas-protocol-mismatch.pcap" || name == "fragmented-connect.pcap" {
            #expect(!expectations.isEmpty, "\(name) is in samples/expected.json")
        }
    }

    /// A connect stored before the challenge it answers, stamped 2 ms before it (two CPUs' records): the gateway
    /// analysis sees the challenge first, the connect verifies against it, and the time between them is 0, not
    /// negative.
    @Test func aConnectStampedBeforeItsChallengeIsReadAfterIt() throws {
        let path = TestSupport.samplesDirectory.appendingPathComponent("good-v3.pcap").path
        var records = try Self.read(path)
        let marker = Array("connect.challenge".utf8)
        let challenge = try #require(
            records.firstIndex { record in
                record.bytes.count >= marker.count
                    && (0...(record.bytes.count - marker.count)).contains {
                        record.bytes[$0..<($0 + marker.count)].elementsEqual(marker)
                    }
            }
        )
        let server = try #require(records[challenge].segment?.source)
        let connect = try #require(
            records.indices.first {
                $0 > challenge && records[$0].segment.map { $0.source != server && $0.start != $0.end } == true
            }
        )
        var moved = records.remove(at: connect)
        moved.info.timestamp = Timestamp(nanoseconds: records[challenge].info.timestamp.nanoseconds - 2_000_000)
        records.insert(moved, at: challenge)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("connect-first.pcap")
        try Self.write(records, to: file)
        let document = try TestSupport.analyzeJSON([file.path], extra: ["--port", "0"])
        let connection = try #require((document["connections"] as? [[String: Any]])?.first)
        let verdict = connection["verdict"] as? [String: Any]
        #expect(verdict?["cause"] as? String == "accepted", "\(verdict ?? [:])")
        #expect(verdict?["observed"] as? Bool == true)
        #expect((connection["proof"] as? [String: Any])?["signedForm"] as? String == "v3")
        let gateway = try #require(connection["gateway"] as? [String: Any])
        #expect(gateway["challengeToConnectMs"] as? Int == 0)
        let tcp = connection["tcp"] as? [String: Any]
        #expect(tcp?["gaps"] as? Int == 0)
        #expect(tcp?["retransmissions"] as? Int == 0)
    }
}
