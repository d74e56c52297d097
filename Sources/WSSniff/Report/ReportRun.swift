import Dissect

/// What `wssniff report` (and `capture --report`) asked for.
package struct ReportRequest: Sendable {
    package var captures: [String] = []
    package var port: UInt16 = 42919
    package var identityPath: String?
    package var configPath: String?
    package var markdownPath: String?
    package var jsonPath: String?
    package var sanitizedPath: String?
    package var showSecrets = false

    package init() {}

    /// Pipeline settings for a report: every frame and message kept, so tables are whole and secrets can be found.
    package var pipelineOptions: PipelineOptions {
        var options = PipelineOptions()
        options.serverPort = self.port
        options.keepAllFrames()
        options.keepAllMessages()
        options.gateway.showSecrets = self.showSecrets
        return options
    }
}

extension ConnectionReport {
    /// What a report keeps of a connection once its secrets are found: the frames its section lists (messages only
    /// served the secret scan).
    package func keptForReport() -> ConnectionReport {
        var kept = self
        kept.websocket.trimForReport(frames: EvidenceReport.framesListed)
        return kept
    }
}

extension EvidenceReport {
    /// Analyzes capture files and gathers the report; writes the sanitized capture when asked.
    package static func make(_ request: ReportRequest) throws(WSSniffError) -> EvidenceReport {
        var pipeline = Pipeline(options: request.pipelineOptions)
        var sanitizer = PcapSanitizer()
        try sanitizer.scanHeads(paths: request.captures)
        // Each connection's secrets are found as it ends; then it keeps only what the report shows, so memory
        // follows the open connections and not the size of the capture.
        var connections: [ConnectionReport] = []
        let keep: (ConnectionReport) -> Void = { report in
            sanitizer.scanMessages(report)
            connections.append(report.keptForReport())
        }
        try FileInput.run(paths: request.captures, hash: true, pipeline: &pipeline, finished: keep)
        pipeline.finish(keep)
        connections = connections.numberedByStart()
        var report = try Self.assemble(
            input: pipeline.input,
            connections: connections,
            request: request,
            secrets: sanitizer.secrets
        )
        if let output = request.sanitizedPath {
            let outcome = try sanitizer.write(paths: request.captures, to: output)
            report.sanitizedPath = output
            report.sanitizerNotes.append(
                "\(TextRenderer.count(sanitizer.secretCount, "secret value")) found; "
                    + "\(TextRenderer.count(outcome.rewrittenBytes, "byte")) rewritten in \(outcome.rewrittenPackets) of "
                    + "\(TextRenderer.count(outcome.packets, "packet"))."
            )
            if outcome.fragmentedSegments > 0 {
                report.sanitizerNotes.append(
                    "\(TextRenderer.count(outcome.fragmentedSegments, "packet")) "
                        + "\(outcome.fragmentedSegments == 1 ? "carries" : "carry") secret bytes inside IP fragments: "
                        + "not rewritten."
                )
            }
            report.sanitizerNotes += sanitizer.notes
        }
        return report
    }

    /// The report for connections already analyzed (a live capture), before any file is written.
    /// `secrets`: the secrets already found in the connections' messages (a live capture scans each connection as it
    /// ends, then keeps less of it); nil scans `connections` here.
    package static func assemble(
        input: InputSummary,
        connections: [ConnectionReport],
        request: ReportRequest,
        secrets: Set<String>? = nil
    ) throws(WSSniffError) -> EvidenceReport {
        let config = try request.configPath.map { path throws(WSSniffError) in try ConfigFindings.read(path: path) }
        var report = EvidenceReport(
            input: input,
            connections: connections,
            environment: .current(),
            config: config,
            redactor: Redactor(enabled: !request.showSecrets)
        )
        if let identity = request.identityPath { try report.compareIdentity(path: identity) }
        if let secrets {
            report.secrets = secrets
        } else if request.captures.isEmpty {
            // A live capture: secrets are found in the analyzed messages only.
            var sanitizer = PcapSanitizer()
            for connection in connections { sanitizer.scanMessages(connection) }
            report.secrets = sanitizer.secrets
        }
        return report
    }

    /// Writes the Markdown (and the JSON twin) where asked, each file created with mode 0600. Returns the Markdown.
    @discardableResult
    package func write(_ request: ReportRequest) throws(WSSniffError) -> String {
        let markdown = self.markdown()
        if let path = request.markdownPath { try ReportFiles.writePrivate(markdown, to: path) }
        if let path = request.jsonPath { try ReportFiles.writePrivate(self.jsonText(), to: path) }
        return markdown
    }
}
