import Dissect
import ProofVerify

/// What `wssniff report` (and `capture --report`) asked for.
package struct ReportRequest: Sendable {
    package var captures: [String] = []
    package var port: UInt16 = GatewayPorts.nasDefault
    package var identityPath: String?
    package var configPath: String?
    package var markdownPath: String?
    package var jsonPath: String?
    package var sanitizedPath: String?
    package var showSecrets = false
    /// The host events side file (`--events`; by default `FILE.events.jsonl` beside the capture, when there).
    package var eventsPath: String?
    /// The host events of a live capture (`capture --report`), used instead of a side file.
    package var hostEvents: [HostEvent]?
    /// `--config-history`: files and directories of earlier config copies.
    package var configHistory: [String] = []
    /// The names the report gives inputs read from a private copy (a capture from standard input or a FIFO is
    /// spooled to a temporary file first): the copy's path, then the name the user gave.
    package var inputNames: [String: String] = [:]

    package init() {}

    /// Pipeline settings for a report: every frame and message kept, so tables are whole and secrets can be found.
    package var pipelineOptions: PipelineOptions {
        var options = PipelineOptions()
        options.serverPort = self.port
        options.keepAllFrames()
        options.keepAllMessages()
        options.gateway.showSecrets = self.showSecrets
        // The config's handshake timeout is the gateway's; a config that cannot be read is reported by `assemble`.
        if let path = self.configPath, let config = try? ConfigFindings.read(path: path) {
            options.gateway.handshakeTimeoutMs = config.handshakeTimeoutMs
        }
        if self.sanitizedPath != nil { options.recordProvenance() }
        return options
    }
}

extension ConnectionReport {
    /// What a report keeps of a connection once its secrets are found: the frames its section lists (messages only
    /// served the secret scan).
    package func keptForReport() -> ConnectionReport {
        var kept = self
        kept.websocket.trimForReport(frames: EvidenceReport.framesListed)
        kept.provenance = nil
        return kept
    }
}

extension ReportRequest {
    /// Refuses (exit 64) an output that is the same file as an input (a capture, the identity, the config) or as
    /// another output, before anything is written.
    package func refuseOverwritingInputs() throws(WSSniffError) {
        var inputs = self.captures.map { (label: "the capture", path: $0) }
        if let path = self.identityPath { inputs.append(("--identity", path)) }
        if let path = self.configPath { inputs.append(("--config", path)) }
        if let path = self.eventsPath { inputs.append(("--events", path)) }
        inputs += self.configHistory.map { ("--config-history", $0) }
        var outputs: [(label: String, path: String)] = []
        if let path = self.markdownPath { outputs.append(("-o", path)) }
        if let path = self.jsonPath { outputs.append(("--json", path)) }
        if let path = self.sanitizedPath { outputs.append(("--sanitized-pcap", path)) }
        try ReportFiles.refuseSameFile(inputs: inputs, outputs: outputs)
    }
}

extension EvidenceReport {
    /// `wssniff report`: refuses an output that would overwrite an input, checks that every capture opens, stages
    /// every output, analyzes, writes them all, and puts them in place together only once all are complete. A
    /// failure anywhere (or a signal) leaves every existing file as it was. Returns the report and its Markdown.
    package static func run(_ request: ReportRequest) throws(WSSniffError) -> (report: EvidenceReport, markdown: String)
    {
        try request.refuseOverwritingInputs()
        let opened = try FileInput.check(paths: request.captures)
        let outputs = try ReportFiles.Outputs([request.markdownPath, request.jsonPath, request.sanitizedPath])
        defer { outputs.discard() }
        var report = try Self.make(request, outputs: outputs, opened: opened)
        for (spool, original) in request.inputNames { report.input.rename(file: spool, to: original) }
        let markdown = try report.write(request, into: outputs)
        try outputs.commit()
        return (report, markdown)
    }

    /// Analyzes capture files and gathers the report; writes the sanitized capture when asked, into its staged file
    /// in `outputs` (without `outputs`: staged here and put in place once complete). The input is read three times
    /// at most: the analysis (through `opened`, the files ``FileInput/check(paths:hash:)`` opened), the SHA-256 (on
    /// the other core) and the sanitized copy.
    package static func make(
        _ request: ReportRequest,
        outputs: ReportFiles.Outputs? = nil,
        opened: FileInput.Opened = FileInput.Opened()
    ) throws(WSSniffError) -> EvidenceReport {
        var pipeline = Pipeline(options: request.pipelineOptions)
        var sanitizer = PcapSanitizer()
        // Each connection's secrets are found (and their rewrite planned from its provenance) as it ends; then it keeps only what the report shows, so memory
        // follows the open connections and not the size of the capture.
        var connections: [ConnectionReport] = []
        let keep: (ConnectionReport) -> Void = { report in
            sanitizer.scanMessages(report)
            connections.append(report.keptForReport())
        }
        try FileInput.run(paths: request.captures, hash: true, opened: opened, pipeline: &pipeline, finished: keep)
        pipeline.finish(keep)
        // After the end of the input: it drops the IP datagrams still incomplete, whose fragments nothing read.
        sanitizer.blankStray(pipeline.takeStrayPayloads())
        connections = connections.numberedByStart()
        var report = try Self.assemble(
            input: pipeline.input,
            connections: connections,
            request: request,
            secrets: sanitizer.secrets
        )
        if let output = request.sanitizedPath {
            let own = outputs == nil ? try ReportFiles.Outputs([output]) : nil
            guard let file = (outputs ?? own)?.file(output) else {
                throw WSSniffError(.cannotWrite, "--sanitized-pcap \(output) was not staged")
            }
            let outcome = try sanitizer.write(paths: request.captures, input: pipeline.input, to: file)
            try own?.commit()
            report.sanitizedPath = output
            // Each payload blanked for a secret it held, and each packet blanked whole for bytes that could not be
            // placed in it.
            let blankedCases = sanitizer.blankedPayloads + sanitizer.unmappedRecords.count
            report.sanitizerNotes.append(
                "\(TextRenderer.count(sanitizer.secretCount, "secret value")) found; "
                    + "\(TextRenderer.count(outcome.rewrittenBytes, "byte")) rewritten in \(outcome.rewrittenPackets) of "
                    + "\(TextRenderer.count(outcome.packets, "packet"))"
                    + (blankedCases > 0
                        ? "; \(TextRenderer.count(blankedCases, "case")) blanked instead, where bytes could "
                            + "not be searched or rewritten in place (below)."
                        : ".")
            )
            if outcome.blankedCopies > 0 {
                report.sanitizerNotes.append(
                    "\(outcome.blankedCopies) retransmitted \(outcome.blankedCopies == 1 ? "copy" : "copies") of HTTP "
                        + "bytes differ from the copy analyzed: blanked (zero bytes)."
                )
            }
            if !sanitizer.strayRecords.isEmpty {
                report.sanitizerNotes.append(
                    "\(TextRenderer.count(sanitizer.strayRecords.count, "packet")) with TCP payload that no "
                        + "connection's stream took (late retransmissions after a close, bytes before a stream's start, "
                        + "data on a RST): blanked (zero bytes), since nothing read them."
                )
            }
            if !sanitizer.unmappedRecords.isEmpty {
                report.sanitizerNotes.append(
                    "\(TextRenderer.count(sanitizer.unmappedRecords.count, "packet")) with bytes to rewrite whose "
                        + "place in the packet is not known: everything after the IP header blanked (zero bytes)."
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
        if !request.configHistory.isEmpty { report.configHistory = try ConfigHistory.read(request.configHistory) }
        if let events = request.hostEvents {
            report.hostEvents = events
        } else {
            report.hostEvents = try HostTimeline.events(for: request)
        }
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

    /// Writes the Markdown (and the JSON twin) where asked, into their staged files in `outputs`; they are put in
    /// place by `outputs.commit()`. Returns the Markdown.
    @discardableResult
    package func write(_ request: ReportRequest, into outputs: ReportFiles.Outputs) throws(WSSniffError) -> String {
        let markdown = self.markdown()
        try outputs.write(markdown, to: request.markdownPath)
        if request.jsonPath != nil { try outputs.write(self.jsonText(), to: request.jsonPath) }
        return markdown
    }
}

extension PcapSanitizer {
    /// Writes the sanitized copy alone to `path`: staged, and put in place once complete.
    package func write(paths: [String], input: InputSummary, to path: String) throws(WSSniffError) -> Outcome {
        let outputs = try ReportFiles.Outputs([path])
        guard let file = outputs.file(path) else { return Outcome() }
        let outcome = try self.write(paths: paths, input: input, to: file)
        try outputs.commit()
        return outcome
    }
}
