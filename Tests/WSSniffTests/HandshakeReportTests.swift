import Dissect
import Foundation
import Testing
import WSSniff

/// `PipelineOptions.reportsHandshakes` on every sample, read as a stream: each handshake the gateway answered (or a
/// close cut short) is reported before its connection, with the verdict its connection ends with unless later
/// traffic changed it, and the connections' own reports are what they are without it.
@Suite struct HandshakeReportTests {
    enum Line {
        case handshake(HandshakeReport)
        case ended(ConnectionReport)
    }

    static func lines(_ file: String, reportsHandshakes: Bool) throws -> [Line] {
        var options = PipelineOptions()
        options.reportsHandshakes = reportsHandshakes
        var pipeline = Pipeline(options: options)
        var lines: [Line] = []
        let reader = try CaptureFileReader(path: PipelineTests.samples + "/" + file)
        while try reader.next({ info, bytes in
            pipeline.ingest(
                info,
                bytes.bytes,
                handshake: { lines.append(.handshake($0)) },
                finished: { lines.append(.ended($0)) }
            )
        }) {}
        pipeline.finish { lines.append(.ended($0)) }
        return lines
    }

    static var sampleFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: PipelineTests.samples)) ?? [])
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }

    @Test(arguments: Self.sampleFiles)
    func handshakeComesFirstAndAgreesWithTheEnd(file: String) throws {
        let lines = try Self.lines(file, reportsHandshakes: true)
        var early: [Endpoint: HandshakeReport] = [:]
        var ends = 0
        for line in lines {
            switch line {
            case .handshake(let handshake):
                #expect(early[handshake.client] == nil, "\(file): one handshake report per connection")
                early[handshake.client] = handshake
            case .ended(let report):
                ends += 1
                guard let handshake = early.removeValue(forKey: report.client) else {
                    // Ended before its handshake was decided: then the gateway never answered its connect.
                    #expect(report.gateway.response == nil || report.tcp.end == .open, "\(file) \(report.client)")
                    continue
                }
                #expect(handshake.packet.number <= report.tcp.lastPacket.number)
                let before = handshake.gateway.verdict
                let after = report.gateway.verdict
                if before.cause == after.cause && before.observed == after.observed { continue }
                // Changed only by later evidence: a breach after hello-ok, or what settles a predicted verdict (the
                // answer to a close; in cooked-any.pcap the hello-ok that TCP held behind a lost segment).
                #expect(
                    before.cause == .accepted || !before.observed,
                    "\(file) \(report.client): \(before.cause) then \(after.cause): \(before.summary) decided by \(handshake.decidedBy) at \(handshake.packet.number)"
                )
            }
        }
        #expect(early.isEmpty, "\(file): every handshake reported is followed by its connection")
        #expect(ends > 0)
        // The connections' reports do not change with the handshakes watched.
        let plain = try Self.lines(file, reportsHandshakes: false).compactMap { line -> String? in
            guard case .ended(let report) = line else { return nil }
            return JSONRenderer.connection(report, options: RenderOptions()).serialized()
        }
        let watched = lines.compactMap { line -> String? in
            guard case .ended(let report) = line else { return nil }
            return JSONRenderer.connection(report, options: RenderOptions()).serialized()
        }
        #expect(watched == plain)
    }

    /// samples/good-v3.pcap: the hello-ok decides the handshake, accepted and observed, before the connection ends.
    @Test func goodV3IsAcceptedAtHelloOK() throws {
        let lines = try Self.lines("good-v3.pcap", reportsHandshakes: true)
        guard case .handshake(let handshake) = lines.first else {
            Issue.record("no handshake report first: \(lines.count) lines")
            return
        }
        #expect(handshake.decidedBy == .response)
        #expect(handshake.gateway.verdict.cause == .accepted)
        #expect(handshake.gateway.verdict.observed)
        #expect(handshake.gateway.response?.helloOK != nil)
        guard case .ended(let report) = lines.last else {
            Issue.record("no connection report last")
            return
        }
        #expect(handshake.packet.number < report.tcp.lastPacket.number)
        #expect(lines.count == 2)
    }
}
