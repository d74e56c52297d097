import ArgumentParser
import ProofVerify
import WSSniff

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write bug-report evidence: a redacted Markdown report, its JSON twin, and a sanitized capture.",
        usage: "wssniff report [<options>] <files> ...",
        discussion: """
            The Markdown (GitHub-flavored, with a Mermaid sequence diagram per failing connection) goes to -o, or \
            to stdout. Every file written is a new file with mode 0600, written under a temporary name and put in \
            place with the others only once all are complete: a failure leaves every existing file as it was. An \
            output that is the same file as an input or as another output is refused (exit 64). Secrets are \
            redacted everywhere unless --show-secrets; the sanitized capture keeps every packet with secret bytes \
            overwritten in place. \

            Examples:
              wssniff report gateway.pcap -o report.md
              wssniff report gateway.pcap --config ~/.openclaw/openclaw.json \\
                  --json report.json --sanitized-pcap gateway-sanitized.pcap -o report.md
              ssh host 'cat gateway.pcap' | wssniff report - -o report.md
            """
    )

    @Argument(help: "Capture files (pcap or pcapng), read in order; - reads standard input.")
    var files: [String]

    @Option(
        parsing: .unconditional,
        help: "The gateway port: connections to it count as WebSocket even without their upgrade. 0: none."
    )
    var port: Int = Int(GatewayPorts.nasDefault)

    @Option(help: "An OpenClaw device identity file: its device id and public key are compared with the capture's.")
    var identity: String?

    @Option(help: "The OpenClaw config (openclaw.json, JSON5): port, auth mode, token fingerprint, Control UI flags.")
    var config: String?

    @Option(
        help: "Host events of the capture (capture --watch-config); default: FILE.events.jsonl beside the capture."
    )
    var events: String?

    @Option(
        name: .customLong("config-history"),
        parsing: .upToNextOption,
        help: ArgumentHelp(
            "Earlier copies of the config (files, or directories of them ordered by modification time): the "
                + "changes between consecutive versions, redacted.",
            valueName: "dir|file"
        )
    )
    var configHistory: [String] = []

    @Option(name: [.short, .customLong("output")], help: "Write the Markdown report here (default: stdout).")
    var output: String?

    @Option(help: "Write the JSON twin here: the analyze --format json document plus a `report` object.")
    var json: String?

    @Option(help: "Write a copy of the capture (pcap) with every secret overwritten in place.")
    var sanitizedPcap: String?

    @Flag(help: "Do not redact tokens, passwords and other secrets. The output then says so.")
    var showSecrets = false

    func validate() throws {
        _ = try NumberChecks.port(self.port)
    }

    func run() throws {
        var request = ReportRequest()
        // A report reads its input several times (the analysis, the secret scan, the sanitized copy): a stream is
        // copied once to a private temporary file first.
        var spooled: [(spool: String, original: String)] = []
        do {
            try FileInput.checkStandardInput(self.files)
            for path in self.files {
                if FileInput.isStream(path) {
                    let spool = try InputSpool.spool(path, because: "a report reads its input more than once")
                    spooled.append((spool, path))
                    request.captures.append(spool)
                } else {
                    request.captures.append(path)
                }
            }
        } catch {
            throw fail(error)
        }
        defer { InputSpool.removeAll() }
        request.port = UInt16(self.port)
        request.identityPath = self.identity
        request.configPath = self.config
        request.eventsPath = self.events
        request.configHistory = self.configHistory
        request.markdownPath = self.output
        request.jsonPath = self.json
        request.sanitizedPath = self.sanitizedPcap
        request.showSecrets = self.showSecrets
        request.inputNames = Dictionary(
            spooled.map { ($0.spool, $0.original) },
            uniquingKeysWith: { first, _ in first }
        )
        if self.showSecrets {
            Diagnostics.warning("--show-secrets: tokens and passwords are shown unredacted in this report")
        }
        do {
            let (report, markdown) = try EvidenceReport.run(request)
            if self.output == nil { print(markdown, terminator: "") }
            for warning in report.input.warnings { Diagnostics.warning(warning) }
        } catch {
            throw fail(error)
        }
    }
}
