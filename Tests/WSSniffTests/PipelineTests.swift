import Dissect
import Testing
import WSSniff

/// The pipeline analyzes finished connections on a second thread for `analyze`; what it reports, and in which
/// order, must not depend on that.
@Suite struct PipelineTests {
    static let samples: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/samples"
    }()

    private static func reports(_ files: [String], concurrent: Bool, orderByStart: Bool = true) throws -> [String] {
        try Self.connectionReports(files, concurrent: concurrent, orderByStart: orderByStart).map {
            JSONRenderer.connection($0, options: RenderOptions()).serialized()
        }
    }

    private static func connectionReports(
        _ files: [String],
        concurrent: Bool,
        orderByStart: Bool = true
    ) throws -> [ConnectionReport] {
        var options = PipelineOptions()
        options.serverPort = 0
        options.orderByStart = orderByStart
        options.concurrentAnalysis = concurrent
        var pipeline = Pipeline(options: options)
        var rendered: [ConnectionReport] = []
        let emit: (ConnectionReport) -> Void = { report in
            rendered.append(report)
        }
        try FileInput.run(
            paths: files.map { Self.samples + "/" + $0 },
            hash: false,
            pipeline: &pipeline,
            finished: emit
        )
        pipeline.finish(emit)
        return rendered
    }

    @Test(arguments: [
        ["interleaved.pcap"],
        ["good-v3.pcap", "wrong-nonce.pcap", "nas-protocol-mismatch.pcap", "interleaved.pcap", "good-v3-deflate.pcap"],
    ])
    func concurrentAnalysisGivesTheSameReportsInTheSameOrder(files: [String]) throws {
        let inLine = try Self.reports(files, concurrent: false)
        let concurrent = try Self.reports(files, concurrent: true)
        #expect(inLine.count >= files.count)
        #expect(concurrent == inLine)
    }

    /// samples/stale-nonce.pcap: connection A (client port 44206) gets its challenge first and ends last; B (44222)
    /// signs and sends A's nonce, and the gateway closes it at once. B's verdict names A's challenge, whether B is
    /// analyzed before A has ended (in line, reports as connections end) or on the worker, in either order.
    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func staleNonceNamesTheEarlierConnectionWhicheverEndsFirst(concurrent: Bool, orderByStart: Bool) throws {
        let reports = try Self.connectionReports(
            ["stale-nonce.pcap"],
            concurrent: concurrent,
            orderByStart: orderByStart
        )
        #expect(reports.count == 2)
        let earlier = try #require(reports.first { $0.client.port == 44206 })
        let later = try #require(reports.first { $0.client.port == 44222 })
        // The earlier connection started first and ended after the later one.
        #expect(earlier.tcp.firstPacket.number < later.tcp.firstPacket.number)
        #expect(earlier.tcp.lastPacket.number > later.tcp.lastPacket.number)
        let verdict = later.gateway.verdict
        #expect(verdict.cause == .deviceNonceMismatch)
        #expect(verdict.observed)
        let earlierNonce = try #require(earlier.gateway.challenge?.nonce)
        #expect(later.gateway.connect?.device?.nonce?.stringValue == earlierNonce)
        #expect(
            verdict.summary.contains(
                "this is the challenge of the connection from 127.0.0.1:44206 to 127.0.0.1:35753, sent at "
            ),
            "\(verdict.summary)"
        )
        // The earlier connection answered its own challenge: nothing stale to name there.
        #expect(earlier.gateway.verdict.cause == .accepted)
        #expect(earlier.gateway.proof?.staleChallenge == nil)
    }

    /// A nonce is named only when it is a challenge sent before the connect: the earlier connection is never told
    /// that its nonce is the later one's.
    @Test func noStaleNonceWithoutAnEarlierChallenge() throws {
        let reports = try Self.connectionReports(["wrong-nonce.pcap", "interleaved.pcap"], concurrent: true)
        for report in reports where report.gateway.verdict.cause == .deviceNonceMismatch {
            #expect(report.gateway.proof?.staleChallenge == nil, "\(report.gateway.verdict.summary)")
            #expect(!report.gateway.verdict.summary.contains("this is the challenge of"))
        }
    }
}
