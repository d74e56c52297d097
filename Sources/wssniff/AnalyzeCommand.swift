import ArgumentParser
import Dissect
import ProofVerify
import WSSniff

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyze one or more pcap or pcapng files.",
        discussion: """
            Several files are read in order as one continuous capture (as tcpdump -C writes them), so a connection \
            that spans two files is followed across them.

            Examples:
              wssniff analyze capture.pcap
              wssniff analyze --format json capture.pcapng > analysis.json
              wssniff analyze --port 18789 part1.pcap part2.pcap
              tcpdump -i lo -U -w - port 42919 | wssniff analyze -
              wssniff analyze --failed capture.pcap
            """
    )

    @Argument(
        help: "Capture files (pcap or pcapng), read in order; - reads standard input."
    )
    var files: [String] = []

    /// tcpdump's `-r FILE`: the same as the positional files (repeat it for several, in order).
    @Option(
        name: .customShort("r"),
        help: ArgumentHelp(
            "A capture file, as the positional FILE (tcpdump's -r); repeat it for several.",
            valueName: "file"
        )
    )
    var read: [String] = []

    /// The capture files, given as arguments or with -r.
    var inputs: [String] { self.read + self.files }

    @Option(help: "The output format.")
    var format: AnalyzeFormat = .text

    @Option(
        parsing: .unconditional,
        help: "The gateway port: connections to it count as WebSocket even without their upgrade. 0: none."
    )
    var port: Int = Int(GatewayPorts.nasDefault)

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Show only connection N, as numbered in the output (`connections[].index` in JSON).",
            valueName: "N"
        )
    )
    var connection: Int?

    @Flag(help: "Compute the SHA-256 of each input file (`input.sha256`; null without it).")
    var sha256 = false

    /// Accepted for scripts written when `analyze` hashed by default; hashing is now asked for with `--sha256`.
    @Flag(help: .hidden)
    var noHash = false

    @Flag(help: "No progress line on standard error (shown for files over 50 MB when it is a terminal).")
    var quiet = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if self.files.isEmpty && self.read.isEmpty {
            throw ValidationError("Missing expected argument '<files> ...': give a capture file (or -r FILE)")
        }
        if !self.files.isEmpty && !self.read.isEmpty {
            throw ValidationError("give the capture files either as arguments or with -r, not both")
        }
        if self.format == .jsonl {
            throw ValidationError("analyze writes one JSON document: use --format json")
        }
        if let number = self.connection, number < 1 {
            throw ValidationError("--connection must be a connection number (1 or more), not \(number)")
        }
        _ = try NumberChecks.port(self.port)
        try self.output.validate()
        do {
            try FileInput.checkStandardInput(self.inputs)
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() throws {
        var options = PipelineOptions()
        options.serverPort = UInt16(self.port)
        // Text read from a pipe is printed live, each connection as it ends (as `capture` does): a connection still
        // open must not hold back the ones after it. Otherwise connections are listed in the order they started.
        let live = self.format == .text && self.inputs.contains { FileInput.isStream($0) }
        options.orderByStart = !live
        options.concurrentAnalysis = !live
        let opened: FileInput.Opened
        do {
            try self.output.apply(to: &options)
            // Every input must open as a capture before anything is printed: output is streamed.
            opened = try FileInput.check(paths: self.inputs, hash: self.sha256 && !self.noHash)
        } catch {
            throw fail(error)
        }
        let render = self.output.renderOptions
        var pipeline = Pipeline(options: options)
        let json = self.format != .text
        // Each connection is printed as soon as it has ended (from a pipe, in text) or as soon as it and every
        // connection that started before it have ended, so memory follows the open connections, not the size of the
        // capture.
        var count = 0
        var shown = 0
        var tally = VerdictTally()
        if json {
            print(
                "{\n  \"schema\": \"\(JSONRenderer.schema)\",\n  \"secretsRedacted\": \(render.redactor.enabled),"
                    + "\n  \"connections\": [",
                terminator: ""
            )
        }
        // A device refused pairing again and again in the capture is named as a retry loop.
        var retries = PairingRetries()
        let emit: (ConnectionReport) -> Void = { finished in
            var report = finished
            retries.note(&report)
            count += 1
            tally.add(report)
            // --failed and --connection choose what is printed; every connection is numbered and counted.
            guard self.output.shows(report) && self.connection.map({ $0 == count }) != false else {
                return
            }
            shown += 1
            var numbered = report
            numbered.index = count
            if json {
                let text = JSONRenderer.connection(numbered, options: render).serialized(indent: 2, level: 2)
                print((shown == 1 ? "\n    " : ",\n    ") + text, terminator: "")
            } else {
                print(TextRenderer.connection(numbered, options: render))
                if live { flushStandardOutput() }
            }
        }
        do {
            try FileInput.run(
                paths: self.inputs,
                hash: self.sha256 && !self.noHash,
                progress: !self.quiet,
                opened: opened,
                pipeline: &pipeline,
                finished: emit
            )
        } catch {
            throw fail(error)
        }
        pipeline.finish(emit)
        let input = pipeline.input
        let hint = tally.hint(port: options.serverPort, truncatedPackets: input.truncatedPackets, live: false)
        if json {
            print(
                (shown == 0 ? "" : "\n  ") + "],\n  \"input\": "
                    + JSONRenderer.input(input).serialized(indent: 2, level: 1) + "\n}"
            )
        } else {
            print(TextRenderer.header(input))
            print(self.output.footer(tally, shown: shown))
            if let hint { print(hint) }
        }
        for warning in input.warnings {
            Diagnostics.warning(warning)
        }
        if json, let hint { Diagnostics.note(hint) }
        if let number = self.connection, number > count {
            throw fail(
                WSSniffError(
                    .usage,
                    "--connection \(number): "
                        + (count == 0
                            ? "the input has no connection"
                            : "the input has \(TextRenderer.count(count, "connection")), numbered 1 to \(count)")
                )
            )
        }
    }
}

/// `analyze --format`: text or json. `jsonl` parses only to be refused with a pointer to json.
enum AnalyzeFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
    case jsonl

    /// The formats the help lists: the ones accepted.
    static var allValueStrings: [String] { ["text", "json"] }
}

/// `capture --format`: text or jsonl. `json` parses only to be refused with a pointer to jsonl.
enum CaptureFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case jsonl
    case json

    /// The formats the help lists: the ones accepted.
    static var allValueStrings: [String] { ["text", "jsonl"] }
}

/// Output settings shared by `analyze` and `capture`.
struct OutputOptions: ParsableArguments {
    @Flag(help: "List every WebSocket frame.")
    var frames = false

    @Flag(help: "List every WebSocket message with its payload (text, redacted, or base64).")
    var messages = false

    @Flag(
        help: ArgumentHelp(
            "Check the payload of every message, the gateway's after hello-ok included.",
            discussion: "By default the gateway's messages after hello-ok, past its first 16, are skipped by length: "
                + "their frames are parsed and checked, their payloads are not checked as UTF-8 or inflated "
                + "(`uncheckedMessages` counts them). Client messages are always checked. Use this when the client "
                + "closed with 1007 or 1009 on a gateway message; --messages implies it."
        )
    )
    var checkPayloads = false

    @Flag(help: "Show only the connections whose verdict is not `accepted` (the tally still counts all).")
    var failed = false

    @Flag(help: "Do not redact tokens, passwords and other secrets. The output then says so.")
    var showSecrets = false

    @Option(
        help:
            "A device.json (Node, Apple or Android form) to compare with each connect's device. Only its public key is read."
    )
    var identity: String?

    @OptionGroup var gateway: GatewayVersionOptions

    @Option(
        help: ArgumentHelp(
            "The gateway's OpenClaw config (openclaw.json, JSON5): its gateway.handshakeTimeoutMs is the timeout used.",
            valueName: "path"
        )
    )
    var config: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "The most TCP connections tracked at once (1...10000000).",
            discussion: "Past it the least recently active connection is reported as still open and freed; the "
                + "output warns how many were. Each open connection holds a few KiB."
        )
    )
    var maxConnections: Int = ReassemblyLimits().maxConnections

    func validate() throws {
        guard (1...10_000_000).contains(self.maxConnections) else {
            throw ValidationError(
                "--max-connections must be a number of connections from 1 to 10000000, not \(self.maxConnections)"
            )
        }
    }

    /// Whether `report` is printed: all of them, or only the failing ones with `--failed`.
    func shows(_ report: ConnectionReport) -> Bool {
        !self.failed || report.gateway.verdict.cause != .accepted
    }

    /// The closing line: the tally, and how many connections were shown when some were left out.
    func footer(_ tally: VerdictTally, shown: Int) -> String {
        tally.total == shown ? tally.summary : "\(tally.summary) (\(shown) shown)"
    }

    var renderOptions: RenderOptions {
        var options = RenderOptions()
        options.frames = self.frames
        options.messages = self.messages
        options.redactor = Redactor(enabled: !self.showSecrets)
        return options
    }

    func apply(to options: inout PipelineOptions) throws(WSSniffError) {
        guard (1...10_000_000).contains(self.maxConnections) else {
            throw WSSniffError(.usage, "--max-connections must be between 1 and 10000000, not \(self.maxConnections)")
        }
        options.limits.maxConnections = self.maxConnections
        let (choice, protocolVersion) =
            self.gateway.resolved
        options.gateway.gatewayVersion = choice
        if let path = self.config {
            options.gateway.handshakeTimeoutMs = try ConfigFindings.read(path: path).handshakeTimeoutMs
        }
        options.gateway.gatewayProtocol = protocolVersion
        if let path = self.identity {
            options.gateway.identity = try IdentityInput.publicPart(path)
        }
        if self.frames { options.keepAllFrames() }
        if self.messages { options.keepAllMessages() }
        if self.checkPayloads { options.websocket.checkPayloadsAfterHandshake = true }
        options.gateway.showSecrets = self.showSecrets
        if self.showSecrets {
            Diagnostics.warning("--show-secrets: tokens and passwords are shown unredacted in this output")
        }
    }
}

/// Reads an identity file for the commands that only compare it: its public part, never its private key.
enum IdentityInput {
    static func publicPart(_ path: String) throws(WSSniffError) -> IdentityFile.PublicPart {
        let bytes = try readInput(path, what: "identity file")
        do {
            return try IdentityFile.publicPart(from: bytes)
        } catch {
            throw WSSniffError(.invalidCapture, "\(path): \(error.message)")
        }
    }
}
