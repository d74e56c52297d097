import Dissect
import Foundation
import Testing
import WSSniff

/// A capture taken with `-i any` on a host whose gateway runs in a container stores every packet twice: on the
/// container's veth and on the bridge, the second copy NATed (other addresses and ports, the same sequence numbers and
/// bytes, microseconds later). Each connection must be reported once, naming both address pairs, with the counts of
/// one copy.
@Suite struct ConnectionViewsTests {
    static let samples: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/samples"
    }()

    static func expected() -> [String: [String: Any]] {
        guard let data = FileManager.default.contents(atPath: Self.samples + "/expected.json"),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: [String: Any]]
        else { return [:] }
        return object
    }

    /// Every sample in `expected.json` that is a classic pcap (the pcapng one repeats good-v3.pcap).
    static let sampleFiles: [String] = Self.expected().keys.filter { $0.hasSuffix(".pcap") }.sorted()

    // MARK: - Tests

    @Test func everySampleIsListed() {
        #expect(Self.sampleFiles.count >= 40)
    }

    /// Each connection of every sample, captured twice (the second copy NATed, 3 µs later), is reported once with
    /// the original's addresses, counts and verdict, and names both views.
    @Test(arguments: Self.sampleFiles)
    func everySampleCapturedTwiceIsReportedOnce(file: String) throws {
        let original = try Capture.read(Self.samples + "/" + file)
        let doubled = original.doubled(copyOffset: 3)
        try Self.expectReportedOnce(original: original, doubled: doubled, name: file, port: 0)
        // The gateway's verdict, as it logged it.
        let entry = try #require(Self.expected()[file])
        let connections = try Self.analyze(doubled, name: file, port: 0)
        for expectation in (entry["connections"] as? [[String: Any]]) ?? [entry] {
            let clientPort = try #require(expectation["clientPort"] as? Int)
            let connection = try #require(connections.first { Self.port($0["client"]) == clientPort })
            let verdict = connection["verdict"] as? [String: Any]
            #expect(verdict?["cause"] as? String == expectation["cause"] as? String, "\(file)")
        }
    }

    /// The third-party captures (other stacks, other addresses, IPv4 and IPv6), each captured twice.
    static let corpusFiles: [String] = {
        var path = #filePath
        for _ in 0..<4 { path = String(path[..<path.lastIndex(of: "/")!]) }
        let directory = path + "/shared/corpus/third-party"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".pcap") }.sorted().map { directory + "/" + $0 }
    }()

    @Test func theCorpusIsThere() {
        #expect(Self.corpusFiles.count >= 10)
    }

    @Test(arguments: Self.corpusFiles)
    func everyCorpusCaptureCapturedTwiceIsReportedOnce(path: String) throws {
        let original = try Capture.read(path)
        let name = String(path[path.index(after: path.lastIndex(of: "/")!)...])
        try Self.expectReportedOnce(original: original, doubled: original.doubled(copyOffset: 3), name: name)
    }

    /// Several connections at once, each captured twice: as many connections as in the original.
    @Test func interleavedConnectionsCapturedTwiceStayAsMany() throws {
        let original = try Capture.read(Self.samples + "/interleaved.pcap")
        let connections = try Self.analyze(original, name: "interleaved", port: 0)
        #expect(connections.count >= 3)
        try Self.expectReportedOnce(original: original, doubled: original.doubled(copyOffset: 3), name: "interleaved")
    }

    /// A capture that started after the handshake (no SYN, no initial sequence numbers): the views are matched by
    /// the first sequence numbers seen and the bytes.
    @Test func withoutTheHandshakeTheViewsAreStillOne() throws {
        var original = try Capture.read(Self.samples + "/good-v3.pcap")
        // The SYN, SYN+ACK and ACK.
        original.records.removeFirst(3)
        let connections = try Self.analyze(original, name: "good-v3 without its start", port: 0)
        #expect(connections.count == 1)
        #expect((connections.first?["tcp"] as? [String: Any])?["handshakeSeen"] as? Bool == false)
        try Self.expectReportedOnce(
            original: original,
            doubled: original.doubled(copyOffset: 3),
            name: "good-v3 without its start"
        )
    }

    /// The view on the gateway port is the one reported (the gateway's own side), even when the NATed copy was
    /// stored first; without a gateway port, the first seen is.
    @Test func theGatewaysOwnViewIsReported() throws {
        let original = try Capture.read(Self.samples + "/good-v3.pcap")
        let gatewayPort = try #require(Self.expected()["good-v3.pcap"]?["gatewayPort"] as? Int)
        let doubled = original.doubled(copyOffset: -3)
        let onPort = try Self.analyze(doubled, name: "good-v3 copy first", port: UInt16(gatewayPort))
        #expect(onPort.count == 1)
        #expect(Self.port(onPort.first?["server"]) == gatewayPort)
        let views = onPort.first?["views"] as? [[String: Any]] ?? []
        #expect(views.count == 2)
        // The NATed view was stored first and is listed first; the reported one is the gateway's.
        #expect(Self.port(views.first?["server"]) == gatewayPort ^ Capture.portFlip)
        #expect(views.first?["reported"] as? Bool == false)
        #expect(views.last?["reported"] as? Bool == true)
        let firstSeen = try Self.analyze(doubled, name: "good-v3 copy first", port: 0)
        #expect(firstSeen.count == 1)
        #expect(Self.port(firstSeen.first?["server"]) == gatewayPort ^ Capture.portFlip)
    }

    /// Two connections with the same bytes but their own sequence numbers (a client that sent the same thing
    /// twice) are two connections.
    @Test func sameBytesOtherSequenceNumbersStayTwo() throws {
        let original = try Capture.read(Self.samples + "/good-v3.pcap")
        let other = original.doubled(copyOffset: 3) { packet, tcp in
            for field in [tcp + 4, tcp + 8] {
                let value = packet.loadBigEndian(at: field) &+ 0x1234_5678
                packet.storeBigEndian(value, at: field)
            }
        }
        let connections = try Self.analyze(other, name: "good-v3 twice, other sequence numbers", port: 0)
        #expect(connections.count == 2)
        #expect(connections.allSatisfy { $0["views"] == nil })
    }

    /// The same sequence numbers with one byte different are two connections: equal bytes are the proof.
    @Test func sameSequenceNumbersOtherBytesStayTwo() throws {
        let original = try Capture.read(Self.samples + "/good-v3.pcap")
        // One byte in the middle of the largest segment of the copy.
        let largest = try #require(
            original.records.indices.max { original.payloadLength($0) < original.payloadLength($1) }
        )
        var changed = original
        changed.records = []
        for (index, record) in original.records.enumerated() {
            changed.records.append(record)
            var copy = record
            copy.data = original.translated(record.data) { packet, tcp in
                guard index == largest else { return }
                let payload = tcp + Int(packet[tcp + 12] >> 4) * 4
                packet[payload + (packet.count - payload) / 2] ^= 0x20
            }
            copy.timestamp += 3
            changed.records.append(copy)
        }
        let connections = try Self.analyze(changed, name: "good-v3 twice, one byte changed", port: 0)
        #expect(connections.count == 2)
        #expect(connections.allSatisfy { $0["views"] == nil })
    }

    /// The text output and the report name the other view.
    @Test func textAndReportNameTheOtherView() throws {
        let original = try Capture.read(Self.samples + "/good-v3.pcap")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wssniff-views-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("doubled.pcap").path
        try Data(original.doubled(copyOffset: 3).bytes).write(to: URL(fileURLWithPath: path))
        let reports = try Self.reports([path], port: 42919)
        #expect(reports.count == 1)
        let text = reports.map { TextRenderer.connection($0) }.joined(separator: "\n")
        #expect(text.contains("captured 2 times"), "\(text)")
        #expect(text.contains("also as 172.0.0.1:"), "\(text)")
        var request = ReportRequest()
        request.captures = [path]
        let markdown = try EvidenceReport.make(request).markdown()
        #expect(markdown.components(separatedBy: "\n## Connection ").count == 2, "one connection section")
        #expect(markdown.contains("Captured 2 times"))
        #expect(markdown.contains("also as 172.0.0.1:"))
    }

    /// `report --sanitized-pcap` rewrites the secrets of every copy, not only of the view it reports.
    @Test func theSanitizedCaptureRewritesEveryView() throws {
        let original = try Capture.read(Self.samples + "/good-v3.pcap")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wssniff-views-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("doubled.pcap").path
        let sanitized = directory.appendingPathComponent("sanitized.pcap").path
        try Data(original.doubled(copyOffset: 3).bytes).write(to: URL(fileURLWithPath: path))
        var request = ReportRequest()
        request.captures = [path]
        request.sanitizedPath = sanitized
        _ = try EvidenceReport.make(request)
        let token = "wssniff-reference-token"
        // Each copy alone: the original's records, then the NATed copy's.
        for (name, capture) in [("doubled", try Capture.read(path)), ("sanitized", try Capture.read(sanitized))] {
            for half in 0..<2 {
                var alone = capture
                alone.records = capture.records.enumerated().filter { $0.offset % 2 == half }.map(\.element)
                let aloneText = try Self.messageText(alone, in: directory)
                #expect(aloneText.contains(token) == (name == "doubled"), "\(name), copy \(half + 1)")
            }
        }
    }

    /// Every message payload of a capture, unredacted, as text.
    private static func messageText(_ capture: Capture, in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("alone.pcap").path
        try Data(capture.bytes).write(to: URL(fileURLWithPath: path))
        var options = PipelineOptions()
        options.keepAllMessages()
        var pipeline = Pipeline(options: options)
        var text = ""
        let collect: (ConnectionReport) -> Void = { report in
            for message in report.websocket.messages {
                text += String(decoding: message.payload ?? [], as: UTF8.self)
            }
        }
        try FileInput.run(paths: [path], hash: false, pipeline: &pipeline, finished: collect)
        pipeline.finish(collect)
        return text
    }

    /// Live capture reports a connection as it ends: the views are joined, and the connection goes out once the
    /// capture is past the window, before the capture stops.
    @Test func liveCaptureReportsTheConnectionOnceWhileRunning() throws {
        let original = try Capture.read(Self.samples + "/good-v3.pcap")
        var doubled = original.doubled(copyOffset: 3)
        // One unrelated packet a second after the rest: the capture moved on.
        var later = doubled.records[0]
        later.timestamp = doubled.records.map(\.timestamp).max()! + 1_000_000
        later.data = original.translated(later.data) { packet, tcp in packet[tcp] ^= 0x11 }
        doubled.records.append(later)
        var options = PipelineOptions()
        options.serverPort = 0
        var pipeline = Pipeline(options: options)
        var emitted: [ConnectionReport] = []
        for (index, record) in doubled.records.enumerated() {
            let info = CaptureRecordInfo(
                number: index + 1,
                linkType: LinkType(rawValue: doubled.linkType),
                timestamp: Timestamp(nanoseconds: Int64(record.timestamp) * 1_000),
                capturedLength: record.data.count,
                originalLength: record.data.count
            )
            record.data.withUnsafeBytes { bytes in
                pipeline.ingest(info, bytes.bytes) { emitted.append($0) }
            }
        }
        let json = emitted.map { Self.object(JSONRenderer.connection($0, options: RenderOptions())) }
        #expect(json.count == 1, "one report before the capture stops")
        #expect((json.first?["views"] as? [[String: Any]])?.count == 2)
        var atEnd: [ConnectionReport] = []
        pipeline.finish { atEnd.append($0) }
        // The unrelated packet's own connection.
        #expect(atEnd.count == 1)
    }

    /// Without another packet, the clock releases a held connection during a live capture.
    @Test func anIdleLiveCaptureReleasesOnTheClock() throws {
        let original = try Capture.read(Self.samples + "/good-v3.pcap")
        let doubled = original.doubled(copyOffset: 3)
        var options = PipelineOptions()
        options.serverPort = 0
        var pipeline = Pipeline(options: options)
        var emitted: [ConnectionReport] = []
        for (index, record) in doubled.records.enumerated() {
            let info = CaptureRecordInfo(
                number: index + 1,
                linkType: LinkType(rawValue: doubled.linkType),
                timestamp: Timestamp(nanoseconds: Int64(record.timestamp) * 1_000),
                capturedLength: record.data.count,
                originalLength: record.data.count
            )
            record.data.withUnsafeBytes { bytes in
                pipeline.ingest(info, bytes.bytes) { emitted.append($0) }
            }
        }
        #expect(emitted.isEmpty, "held for its other view")
        let last = doubled.records.map(\.timestamp).max()!
        pipeline.tick(now: Timestamp(nanoseconds: Int64(last + 10) * 1_000)) { emitted.append($0) }
        #expect(emitted.isEmpty, "still within the window")
        pipeline.tick(now: Timestamp(nanoseconds: Int64(last + 1_000_000) * 1_000)) { emitted.append($0) }
        #expect(emitted.count == 1)
        #expect(emitted.first?.views.count == 2)
    }

    // MARK: - Helpers

    /// The reports of capture files as `analyze` gives them.
    private static func reports(_ paths: [String], port: UInt16) throws -> [ConnectionReport] {
        var options = PipelineOptions()
        options.serverPort = port
        options.orderByStart = true
        var pipeline = Pipeline(options: options)
        var reports: [ConnectionReport] = []
        try FileInput.run(paths: paths, hash: false, pipeline: &pipeline) { reports.append($0) }
        pipeline.finish { reports.append($0) }
        return reports
    }

    /// The JSON connection objects `analyze --format json --port port` prints for a capture.
    private static func analyze(_ capture: Capture, name: String, port: UInt16) throws -> [[String: Any]] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wssniff-views-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("capture.pcap").path
        try Data(capture.bytes).write(to: URL(fileURLWithPath: path))
        return try Self.reports([path], port: port).map {
            Self.object(JSONRenderer.connection($0, options: RenderOptions()))
        }
    }

    private static func object(_ json: JSON) -> [String: Any] {
        let data = Data(json.serialized().utf8)
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    private static func port(_ endpoint: Any?) -> Int? {
        (endpoint as? [String: Any])?["port"] as? Int
    }

    /// The doubled capture gives one connection per connection of the original, with its addresses, counts and
    /// verdict, and both views.
    private static func expectReportedOnce(
        original: Capture,
        doubled: Capture,
        name: String,
        port: UInt16 = 0
    ) throws {
        let once = try Self.analyze(original, name: name, port: port)
        let twice = try Self.analyze(doubled, name: name + " doubled", port: port)
        #expect(twice.count == once.count, "\(name): \(twice.count) connections, \(once.count) in the original")
        for (single, merged) in zip(once, twice) {
            for key in ["client", "server"] {
                #expect(Self.port(merged[key]) == Self.port(single[key]), "\(name): \(key)")
            }
            let singleTCP = single["tcp"] as? [String: Any] ?? [:]
            let mergedTCP = merged["tcp"] as? [String: Any] ?? [:]
            for key in ["packets", "clientBytes", "serverBytes", "gaps", "gapBytes", "retransmissions", "end"] {
                #expect(
                    "\(mergedTCP[key] ?? "none")" == "\(singleTCP[key] ?? "none")",
                    "\(name): tcp.\(key) is the original's"
                )
            }
            let singleVerdict = single["verdict"] as? [String: Any] ?? [:]
            let mergedVerdict = merged["verdict"] as? [String: Any] ?? [:]
            #expect(mergedVerdict["cause"] as? String == singleVerdict["cause"] as? String, "\(name)")
            #expect(mergedVerdict["observed"] as? Bool == singleVerdict["observed"] as? Bool, "\(name)")
            let views = merged["views"] as? [[String: Any]] ?? []
            #expect(views.count == 2, "\(name): both views named")
            let clientPort = Self.port(single["client"]) ?? -1
            let serverPort = Self.port(single["server"]) ?? -1
            #expect(views.first.map { Self.port($0["client"]) == clientPort } == true)
            #expect(views.last.map { Self.port($0["client"]) == clientPort ^ Capture.portFlip } == true)
            #expect(views.last.map { Self.port($0["server"]) == serverPort ^ Capture.portFlip } == true)
            #expect(views.allSatisfy { "\($0["packets"] ?? "none")" == "\(singleTCP["packets"] ?? "none")" })
        }
    }
}

/// A classic pcap file (microsecond timestamps), its records, and the rewrites a capture on two interfaces makes.
struct Capture {
    struct Record {
        /// Since the epoch, in the file's unit (`ticksPerSecond`).
        var timestamp: Int
        var data: [UInt8]
    }

    /// The NATed copy's ports have this bit flipped; its IPv4 addresses are in 172.0.0.0/8 (127 ^ 0xD3 = 172),
    /// its IPv6 addresses in fd00::/8.
    static let portFlip = 0x0400

    var header: [UInt8]
    var linkType: UInt32
    /// 1,000,000 for a microsecond pcap, 1,000,000,000 for a nanosecond one.
    var ticksPerSecond: Int
    var records: [Record]

    static func read(_ path: String) throws -> Capture {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard bytes.count >= 24, bytes[0..<4] == [0xD4, 0xC3, 0xB2, 0xA1] || bytes[0..<4] == [0x4D, 0x3C, 0xB2, 0xA1]
        else {
            throw CaptureRewriteError("\(path) is not a little-endian pcap")
        }
        let ticks = bytes[0] == 0xD4 ? 1_000_000 : 1_000_000_000
        var records: [Record] = []
        var offset = 24
        while offset + 16 <= bytes.count {
            let seconds = Int(bytes.loadLittleEndian(at: offset))
            let fraction = Int(bytes.loadLittleEndian(at: offset + 4))
            let captured = Int(bytes.loadLittleEndian(at: offset + 8))
            guard offset + 16 + captured <= bytes.count else { break }
            let data = Array(bytes[offset + 16..<offset + 16 + captured])
            records.append(Record(timestamp: seconds * ticks + fraction, data: data))
            offset += 16 + captured
        }
        return Capture(
            header: Array(bytes[0..<24]),
            linkType: bytes.loadLittleEndian(at: 20),
            ticksPerSecond: ticks,
            records: records
        )
    }

    var bytes: [UInt8] {
        var out = self.header
        for record in self.records {
            let fields = [
                record.timestamp / self.ticksPerSecond, record.timestamp % self.ticksPerSecond, record.data.count,
                record.data.count,
            ]
            for value in fields {
                out.appendLittleEndian(UInt32(value))
            }
            out += record.data
        }
        return out
    }

    /// Every record twice: as is, then (`copyOffset` µs later; earlier and stored first when negative) under the
    /// NATed addresses, with `change` applied to the copy (given the packet and its TCP header's offset).
    func doubled(copyOffset: Int, change: (inout [UInt8], Int) -> Void = { _, _ in }) -> Capture {
        var doubled = self
        doubled.records = []
        for record in self.records {
            var copy = record
            copy.data = self.translated(record.data, change)
            copy.timestamp += copyOffset * (self.ticksPerSecond / 1_000_000)
            doubled.records += copyOffset < 0 ? [copy, record] : [record, copy]
        }
        return doubled
    }

    /// The packet as the other interface stores it: addresses and ports NATed, then `change`.
    func translated(_ data: [UInt8], _ change: (inout [UInt8], Int) -> Void = { _, _ in }) -> [UInt8] {
        var packet = data
        guard let (ip, version) = self.ipHeader(packet) else { return packet }
        let tcp: Int
        if version == 4 {
            guard packet[ip + 9] == 6 else { return packet }
            packet[ip + 12] ^= 0xD3
            packet[ip + 16] ^= 0xD3
            tcp = ip + Int(packet[ip] & 0x0F) * 4
        } else {
            guard packet[ip + 6] == 6 else { return packet }
            packet[ip + 8] ^= 0xFD
            packet[ip + 24] ^= 0xFD
            tcp = ip + 40
        }
        guard tcp + 20 <= packet.count else { return packet }
        packet[tcp] ^= UInt8(Self.portFlip >> 8)
        packet[tcp + 2] ^= UInt8(Self.portFlip >> 8)
        change(&packet, tcp)
        return packet
    }

    /// TCP payload bytes in record `index` (0 when it is not TCP).
    func payloadLength(_ index: Int) -> Int {
        let packet = self.records[index].data
        guard let (ip, version) = self.ipHeader(packet) else { return 0 }
        let tcp = version == 4 ? ip + Int(packet[ip] & 0x0F) * 4 : ip + 40
        guard tcp + 20 <= packet.count else { return 0 }
        return packet.count - tcp - Int(packet[tcp + 12] >> 4) * 4
    }

    /// Where the IP header starts, and its version.
    private func ipHeader(_ packet: [UInt8]) -> (Int, Int)? {
        let ip: Int
        switch self.linkType {
        case 1: ip = 14  // EN10MB
        case 276: ip = 20  // LINUX_SLL2
        default: return nil
        }
        guard ip + 40 <= packet.count else { return nil }
        let version = Int(packet[ip] >> 4)
        return version == 4 || version == 6 ? (ip, version) : nil
    }
}

struct CaptureRewriteError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension [UInt8] {
    func loadLittleEndian(at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(self[offset + $1]) << (8 * UInt32($1)) }
    }

    func loadBigEndian(at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(self[offset + $1]) }
    }

    mutating func storeBigEndian(_ value: UInt32, at offset: Int) {
        for index in 0..<4 { self[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(3 - index))) }
    }

    mutating func appendLittleEndian(_ value: UInt32) {
        for index in 0..<4 { self.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(index)))) }
    }
}
