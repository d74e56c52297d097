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

    private static func reports(_ files: [String], concurrent: Bool) throws -> [String] {
        var options = PipelineOptions()
        options.orderByStart = true
        options.concurrentAnalysis = concurrent
        var pipeline = Pipeline(options: options)
        var rendered: [String] = []
        let render = RenderOptions()
        let emit: (ConnectionReport) -> Void = { report in
            rendered.append(JSONRenderer.connection(report, options: render).serialized())
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
}
