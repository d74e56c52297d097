import ArgumentParser
import WSSniff

@main
struct WSSniffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wssniff",
        abstract: "Explain OpenClaw Gateway WebSocket handshakes from the wire.",
        discussion: """
            Reads pcap/pcapng files or captures loopback traffic, reassembles TCP, and reports every connection.

            Examples:
              wssniff analyze samples/websocket-echo.pcap
              wssniff analyze --format json capture.pcapng | jq '.connections[].tcp'
              sudo wssniff capture -w gateway.pcap     # port 42919 on lo; Ctrl-C stops
              tcpdump -i lo -U -w - port 42919 | wssniff analyze -
              sudo wssniff capture --port 18789 --duration 30 -w gateway.pcap

            Exit codes: 0 success, 64 bad usage, 65 invalid capture file, 66 cannot open input, \
            69 capture device or gateway unavailable, 74 cannot write output, 75 gateway refused for now (probe: \
            retry later), 77 capture not permitted.
            """,
        version: BuildInfo.versionText,
        subcommands: [
            AnalyzeCommand.self, CaptureCommand.self, VerifyCommand.self, SignCommand.self, ReportCommand.self,
            ProbeCommand.self,
            VersionCommand.self,
        ]
    )

    /// tcpdump's `-V`: the same text as `--version` and `wssniff version`.
    @Flag(name: .customShort("V"), help: "Show the version (as --version).")
    var showVersion = false

    func run() throws {
        guard self.showVersion else { throw CleanExit.helpRequest(self) }
        print(BuildInfo.versionText)
    }
}

/// Prints a failure the way every subcommand does, and exits with its documented status.
func fail(_ error: WSSniffError) -> ExitCode {
    Diagnostics.error(error.message)
    return ExitCode(error.exitStatus)
}
