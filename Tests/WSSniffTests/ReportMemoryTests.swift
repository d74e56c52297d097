import Dissect
import Testing
import WSSniff

/// `wssniff report` finds each connection's secrets as the connection ends and then keeps only what the report shows
/// of it: the report must read as if every frame and message had been kept to the end.
@Suite struct ReportMemoryTests {
    static let samples: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/samples"
    }()

    /// The connections of a sample as the report's pipeline gives them: every frame and message kept.
    private static func reports(_ name: String) throws -> [ConnectionReport] {
        var request = ReportRequest()
        request.captures = [Self.samples + "/" + name]
        var pipeline = Pipeline(options: request.pipelineOptions)
        var reports: [ConnectionReport] = []
        try FileInput.run(paths: request.captures, hash: false, pipeline: &pipeline) { reports.append($0) }
        pipeline.finish { reports.append($0) }
        return reports.numberedByStart()
    }

    private static func markdown(_ connections: [ConnectionReport]) -> String {
        var input = InputSummary()
        input.packets = 1
        return EvidenceReport(
            input: input,
            connections: connections,
            environment: .current(),
            config: nil,
            redactor: Redactor()
        ).markdown()
    }

    /// Notes name connections by their number in start order, whatever order the connections were scanned in.
    @Test func sanitizerNotesAreNumberedByStartWhateverTheScanOrder() throws {
        let compressed = try #require(Self.reports("good-v3-deflate.pcap").first)
        // A second connection that started earlier (and ended later): its note must come first, as connection 1.
        var earlier = compressed
        earlier.tcp.firstPacket.number = 0
        for index in earlier.websocket.messages.indices {
            earlier.websocket.messages[index].index += 100
        }
        func alone(_ report: ConnectionReport) -> [String] {
            var sanitizer = PcapSanitizer()
            sanitizer.scanMessages(report)
            return sanitizer.notes
        }
        let first = alone(earlier)
        let second = alone(compressed).map { "connection 2" + $0.dropFirst("connection 1".count) }
        #expect(!first.isEmpty && first.allSatisfy { $0.hasPrefix("connection 1: ") })
        #expect(first.first?.contains("message 10") == true)
        var sanitizer = PcapSanitizer()
        sanitizer.scanMessages(compressed)
        sanitizer.scanMessages(earlier)
        #expect(sanitizer.notes == first + second)
    }

    /// A failing connection with more frames than its section lists reads the same after the trim.
    @Test func theTrimKeepsEverythingTheSectionShows() throws {
        var failing = try #require(Self.reports("chat-invalid-utf8.pcap").first)
        #expect(failing.gateway.verdict.cause != .accepted)
        // Stretch it past the listed frames: its chat frames again, numbered on.
        let original = failing.websocket.frames
        var number = original.last?.number ?? 0
        for frame in original + original {
            var copy = frame
            number += 1
            copy.number = number
            failing.websocket.frames.append(copy)
        }
        failing.websocket.frameCount = failing.websocket.frames.count
        #expect(failing.websocket.frames.count > EvidenceReport.framesListed)
        let kept = failing.keptForReport()
        #expect(kept.websocket.frames.count == EvidenceReport.framesListed)
        let listed = failing.websocket.frames.prefix(EvidenceReport.framesListed)
        #expect(kept.websocket.frames.map(\.number) == listed.map(\.number))
        #expect(kept.websocket.messages.isEmpty)
        let before = Self.markdown([failing])
        #expect(before.contains("frames in all; the first \(EvidenceReport.framesListed) listed."))
        #expect(Self.markdown([kept]) == before)
        // And one that lists every frame keeps them all.
        let short = try #require(Self.reports("chat-invalid-utf8.pcap").first)
        #expect(short.keptForReport().websocket.frames.count == short.websocket.frames.count)
        #expect(!short.websocket.messages.isEmpty)
        #expect(Self.markdown([short.keptForReport()]) == Self.markdown([short]))
    }
}
