import ArgumentParser
import Dissect
import ProofVerify
import WSSniff

struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Capture live traffic with libpcap and analyze it as it arrives.",
        discussion: """
            Needs root, or the capabilities granted once:
              sudo setcap cap_net_raw,cap_net_admin=eip "$(command -v wssniff)"
            Started as root, it drops to --user (default nobody) once the device and the -w and --report files \
            are open, before it reads a packet (the --report file is put in place by a process that keeps root \
            only for that rename); with --rotate-size, that user must be able to create files in the \
            -w file's directory. Started without root (setcap), it clears its capabilities at the same point. \
            Ctrl-C (SIGINT), SIGTERM, --count and --duration all stop it cleanly: the -w file then holds every \
            packet captured so far and is a valid pcap file. A write error (a full disk) stops the capture with \
            exit status 74; the file then ends with the last whole packet written.

            Examples:
              sudo wssniff capture -w gateway.pcap
              sudo wssniff capture --port 18789 --format jsonl
              sudo wssniff capture -i any --filter 'tcp port 42919 or tcp port 18789' \\
                  --duration 60 -w out.pcap
              sudo wssniff capture -w - | tshark -r - -Y websocket
            """
    )

    @Option(name: .shortAndLong, help: "The interface to capture on.")
    var interface: String = "lo"

    @Option(parsing: .unconditional, help: "The gateway port; the capture filter is `tcp port N`.")
    var port: Int = Int(GatewayPorts.nasDefault)

    @Option(help: "A BPF capture filter used instead of `tcp port N`.")
    var filter: String?

    @Option(
        name: [.short, .customLong("write")],
        help: ArgumentHelp(
            "Write every captured packet to this pcap file; - writes it to standard output.",
            discussion: "With -w - standard output carries the pcap and nothing else; the per-connection lines go "
                + "to standard error.",
            valueName: "file"
        )
    )
    var write: String?

    @Option(
        parsing: .unconditional,
        help: "With -w: start a new file once the current one reaches this many megabytes (1,000,000 bytes)."
    )
    var rotateSize: Int?

    @Option(
        parsing: .unconditional,
        help: "With --rotate-size: keep at most this many files, reusing their names in a ring."
    )
    var rotateCount: Int?

    @Option(name: [.customShort("c"), .long], parsing: .unconditional, help: "Stop after this many packets.")
    var count: Int?

    @Option(parsing: .unconditional, help: "Stop after this many seconds.")
    var duration: Double?

    @Option(help: "The output format (jsonl: one JSON object per line).")
    var format: CaptureFormat = .text

    @Option(
        help: "When the capture ends, write the Markdown bug report (as `wssniff report`) here: a new file, mode 0600."
    )
    var report: String?

    @Flag(help: "Print no per-connection lines, only the closing summary.")
    var quiet = false

    @Option(
        help: ArgumentHelp(
            "Started as root: the user to run as once the device and output files are open (default: nobody).",
            discussion: "`--user root` keeps root for the whole capture.",
            valueName: "name"
        )
    )
    var user: String?

    @Option(
        name: .customLong("watch-config"),
        help: ArgumentHelp(
            "Watch this config file (repeatable): each change is an event with a redacted structural diff.",
            discussion: "Events go to the output as they happen and, with -w FILE, to FILE.events.jsonl (0600).",
            valueName: "path"
        )
    )
    var watchConfig: [String] = []

    @Option(
        name: .customLong("watch-process"),
        help: ArgumentHelp("Poll /proc for this process's PID changes (repeatable).", valueName: "name")
    )
    var watchProcess: [String] = []

    @OptionGroup var output: OutputOptions

    func validate() throws {
        _ = try NumberChecks.port(self.port)
        try self.output.validate()
        try NumberChecks.positive(self.count, option: "--count", of: "packets")
        if let duration = self.duration, !(duration > 0) || !duration.isFinite {
            let given =
                duration.isFinite && abs(duration) < 1e15 && duration == duration.rounded()
                ? String(Int64(duration)) : "\(duration)"
            throw ValidationError("--duration must be a positive number of seconds, not \(given)")
        }
        if (self.rotateSize != nil || self.rotateCount != nil) && self.write == nil {
            throw ValidationError("--rotate-size and --rotate-count need -w FILE")
        }
        if self.rotateSize != nil && self.write == "-" {
            throw ValidationError("--rotate-size needs -w FILE: standard output (-w -) cannot be rotated")
        }
        try NumberChecks.positive(self.rotateSize, option: "--rotate-size", of: "megabytes")
        try NumberChecks.positive(self.rotateCount, option: "--rotate-count", of: "files")
        if self.rotateCount != nil && self.rotateSize == nil {
            throw ValidationError("--rotate-count goes with --rotate-size")
        }
        if self.format == .json {
            throw ValidationError("capture prints one JSON object per line: use --format jsonl")
        }
    }

    /// Refuses (exit 64) a `--report` that is the `-w` file, or one of the files `-w` rotates through.
    func refuseSameFile() throws(WSSniffError) {
        guard let report = self.report, let write = self.write, write != "-" else { return }
        try ReportFiles.refuseSameFile(inputs: [], outputs: [("-w", write), ("--report", report)])
        guard self.rotateSize != nil else { return }
        let (directory, name) = ReportFiles.location(of: write)
        let (reportDirectory, reportName) = ReportFiles.location(of: report)
        guard reportDirectory == directory, reportName.hasPrefix(name + "."),
            let number = Int(reportName.dropFirst(name.count + 1)), number > 0,
            number < (self.rotateCount ?? .max)
        else { return }
        throw WSSniffError(
            .usage,
            "--report \(report) is \(write).\(number), one of the files -w \(write) rotates through: "
                + "give the report another name"
        )
    }

    func run() throws {
        var captureOptions = LiveCaptureOptions()
        captureOptions.interface = self.interface
        let port = UInt16(self.port)
        captureOptions.filter = self.filter ?? "tcp port \(port)"
        captureOptions.writePath = self.write
        captureOptions.count = self.count
        captureOptions.duration = self.duration
        captureOptions.rotateSize = self.rotateSize.map { $0 * 1_000_000 }
        captureOptions.rotateCount = self.rotateCount

        var options = PipelineOptions()
        options.serverPort = port
        // With --failed a connection is shown at its end only, once its final verdict is known.
        options.reportsHandshakes = !self.quiet && !self.output.failed
        do {
            try self.output.apply(to: &options)
        } catch {
            throw fail(error)
        }
        if self.report != nil {
            options.keepDetail(frames: 1_024, messagesPerDirection: 64)
        }
        let render = self.output.renderOptions
        var pipeline = Pipeline(options: options)
        var finished: [ConnectionReport] = []
        pipeline.setInterface(self.interface)

        let capture: LiveCapture
        let runAs: CaptureUser?
        var listeners: [GatewayListener]?
        // The report is written to a temporary file staged now and put in place when the capture ends; removed if
        // the capture fails.
        var reportOutputs: ReportFiles.Outputs?
        defer { reportOutputs?.discard() }
        var hostWatch: HostWatch?
        do {
            try self.refuseSameFile()
            // Everything that needs root happens here, before a packet is read: the device, the filter, the files.
            runAs = try CaptureUser.target(requested: self.user)
            captureOptions.fileOwner = runAs
            if let runAs, let path = self.write, self.rotateSize != nil {
                try runAs.checkRotationDirectory(for: path, switched: false)
            }
            capture = try LiveCapture(options: captureOptions)
            // The config reader is forked here, before the drop, and keeps only what reading the files needs.
            hostWatch = try HostWatch(
                configs: self.watchConfig,
                processes: self.watchProcess,
                port: port,
                write: self.write,
                owner: runAs
            )
            // Where the gateway port listens (other network namespaces need root to see), for the end's hint.
            if self.filter == nil {
                listeners = ListenerScan.scan(ports: Set(Self.listenerPorts(port)))
            }
            if let path = self.report {
                let outputs = try ReportFiles.Outputs([path])
                reportOutputs = outputs
                // The user the capture drops to may not be able to rename in the report's directory: a process that
                // keeps root does that one rename at the end (or removes the temporary if the capture fails).
                if runAs != nil { try outputs.delegateCommit() }
            }
            if let runAs {
                try runAs.become()
                if let path = self.write, self.rotateSize != nil {
                    try runAs.checkRotationDirectory(for: path, switched: true)
                }
            } else {
                try CaptureUser.clearCapabilities()
            }
        } catch {
            throw fail(error)
        }
        LiveCapture.installSignalHandlers()
        var identity = runAs.map { "; running as \($0.name) (uid \($0.uid))" } ?? ""
        if runAs == nil && self.user != nil && CaptureUser.isRoot {
            identity = "; keeping root (--user \(self.user ?? "root"))"
        }
        // With `-w -` standard output is the pcap: every line of text goes to standard error.
        let pcapOnStandardOutput = self.write == "-"
        let writing = self.write.map { $0 == "-" ? ", writing the pcap to standard output" : ", writing \($0)" }
        Diagnostics.note(
            "capturing on \(self.interface) (\(capture.linkType)), filter \"\(captureOptions.filter)\""
                + (writing ?? "") + identity + "; Ctrl-C to stop"
        )
        if let reader = hostWatch?.readerIdentity {
            Diagnostics.note(
                "watching \((self.watchConfig + self.watchProcess).joined(separator: ", ")) from a reader running as "
                    + reader + (hostWatch?.eventsPath.map { "; events also go to \($0)" } ?? "")
            )
        }
        var log = LiveConnectionLog()
        var tally = VerdictTally()
        let show: (String) -> Void = { line in
            if pcapOnStandardOutput {
                Diagnostics.text(line + "\n")
            } else {
                print(line)
                flushStandardOutput()
            }
        }
        // For --report: each connection's secrets are collected as it ends; then it keeps only what the report shows
        // (as `wssniff report` does), so a long capture does not hold every frame and message.
        var secretScan = PcapSanitizer()
        // Each connection is printed when its handshake is decided (the gateway's answer, or a close) and again,
        // in one line (jsonl: its whole line), when it ends; one that ends first is printed once, whole.
        let emitHandshake: (HandshakeReport) -> Void = { handshake in
            let index = log.handshake(handshake)
            switch self.format {
            case .text:
                show(TextRenderer.handshake(handshake, index: index, options: render))
            case .json, .jsonl:
                show(JSONRenderer.handshakeEvent(handshake, index: index, options: render).serialized())
            }
        }
        let emit: (ConnectionReport) -> Void = { report in
            tally.add(report)
            var numbered = report
            let reported = log.ended(&numbered)
            if self.report != nil {
                secretScan.scanMessages(report)
                finished.append(report.keptForReport())
            }
            guard !self.quiet && self.output.shows(report) else { return }
            switch self.format {
            case .text:
                if let reported {
                    show(TextRenderer.connectionEnd(numbered, handshake: reported))
                } else {
                    show(TextRenderer.connection(numbered, options: render))
                }
            case .json, .jsonl:
                show(JSONRenderer.endedConnection(numbered, handshake: reported, options: render).serialized())
            }
        }
        // Host events are shown even with --quiet: they are not per-connection lines.
        let emitHost: ([HostEvent]) -> Void = { events in
            for event in events {
                show(self.format == .text ? event.textLine : event.json().serialized())
            }
        }
        emitHost(hostWatch?.poll() ?? [])
        let statistics = capture.run(
            idle: { now in
                emitHost(hostWatch?.poll() ?? [])
                pipeline.tick(now: now, emit)
            },
            { info, bytes in
                pipeline.ingest(
                    info,
                    bytes,
                    segment: { head in emitHost(hostWatch?.segment(head, time: info.timestamp) ?? []) },
                    handshake: emitHandshake,
                    finished: emit
                )
            }
        )
        emitHost(hostWatch?.finish() ?? [])
        pipeline.finish(emit)
        var summary = "\(TextRenderer.count(statistics.captured, "packet")) captured"
        if self.write != nil {
            summary +=
                ", \(statistics.written) written to \(self.write == "-" ? "standard output" : statistics.files.joined(separator: ", "))"
        }
        summary += "; kernel: \(statistics.kernelReceived) received, \(statistics.kernelDropped) dropped"
        if statistics.interfaceDropped > 0 { summary += ", \(statistics.interfaceDropped) dropped by the interface" }
        summary += "; \(tally.summary); stopped by \(statistics.stopReason)"
        Diagnostics.note(summary)
        if let hint = tally.hint(port: port, truncatedPackets: pipeline.input.truncatedPackets, live: true) {
            Diagnostics.note(hint)
        }
        if tally.total == 0, let listeners,
            let hint = ListenerScan.hint(listeners, interface: self.interface, ports: Self.listenerPorts(port))
        {
            Diagnostics.note("where the traffic is: " + hint)
        }
        if let failure = statistics.failure {
            throw fail(failure)
        }
        if let path = self.report, let outputs = reportOutputs {
            var request = ReportRequest()
            request.markdownPath = path
            request.port = port
            request.showSecrets = self.output.showSecrets
            request.hostEvents = hostWatch?.events
            do throws(WSSniffError) {
                try EvidenceReport.assemble(
                    input: pipeline.input,
                    connections: finished.numberedByStart(),
                    request: request,
                    secrets: secretScan.secrets
                )
                .write(request, into: outputs)
                try outputs.commit()
            } catch {
                throw fail(error)
            }
            Diagnostics.note("report written to \(path)")
        }
    }

    /// The ports whose listeners the end's hint looks for: `--port`, and upstream's default 18789.
    static func listenerPorts(_ port: UInt16) -> [UInt16] {
        port == GatewayPorts.upstreamDefault ? [port] : [port, GatewayPorts.upstreamDefault]
    }
}
