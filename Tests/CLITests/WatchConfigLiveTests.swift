import Foundation
import Glibc
import Testing

/// `capture --watch-config` and `--watch-process` against the reference gateway run under a supervisor that
/// restarts it when it exits and rewrites its config on each start (as a NAS app manager does): the test edits the
/// config in place, kills the gateway twice, and connects before, between and after. The events, their order
/// against the connections, the side file, and the report's findings are checked; the token's value appears in none.
@Suite(.serialized, .enabled(if: TestSupport.isRoot && ReferenceGateway.available, "needs root and node with node-ws"))
struct WatchConfigLiveTests {
    /// The supervisor (tools/gateway/supervisor.sh) and the directory holding its config.
    final class Supervisor {
        let process = Process()
        let directory: URL
        let port: UInt16
        let token: String
        var config: String { self.directory.appendingPathComponent("openclaw.json").path }
        var pids: [Int32] {
            ((try? String(contentsOfFile: self.config + ".pids", encoding: .utf8)) ?? "").split(separator: "\n")
                .compactMap { Int32($0) }
        }

        init(token: String) throws {
            self.directory = try TestSupport.temporaryDirectory()
            chmod(self.directory.path, 0o755)
            self.port = try LoopbackExchange.freePort()
            self.token = token
            self.process.executableURL = URL(fileURLWithPath: "/bin/bash")
            self.process.arguments = [
                ReferenceGateway.tools.appendingPathComponent("supervisor.sh").path, "--config", self.config,
                "--port", String(self.port), "--token", token, "--pause", "1",
                "--log", self.directory.appendingPathComponent("gateway.log").path,
            ]
            self.process.standardOutput = FileHandle.nullDevice
            self.process.standardError = FileHandle.nullDevice
            try self.process.run()
            try self.waitForStart(1)
        }

        /// Waits until the gateway of start `number` listens.
        func waitForStart(_ number: Int) throws {
            let deadline = Date().addingTimeInterval(15)
            while Date() < deadline {
                let out = (try? String(contentsOfFile: self.config + ".out", encoding: .utf8)) ?? ""
                if self.pids.count >= number && out.contains("listening") { return }
                usleep(50_000)
            }
            throw TestFailure("the supervised gateway did not start (start \(number))")
        }

        /// Kills the running gateway (SIGKILL: a crash, no close frames); the supervisor starts the next one.
        func killGateway() throws {
            guard let pid = self.pids.last else { throw TestFailure("no gateway pid") }
            kill(pid, SIGKILL)
            // The next start truncates the .out file: wait for the new one's line there.
            let deadline = Date().addingTimeInterval(5)
            while kill(pid, 0) == 0 && Date() < deadline { usleep(20_000) }
            try? "".write(toFile: self.config + ".out", atomically: false, encoding: .utf8)
        }

        /// Runs the reference client to its end.
        @discardableResult
        func client(_ scenario: String, hold: Int? = nil) throws -> TestSupport.Output {
            try GatewayEndToEndTests.node(
                [
                    ReferenceGateway.tools.appendingPathComponent("client.js").path, "--port", String(self.port),
                    "--scenario", scenario, "--token", self.token,
                ] + (hold.map { ["--hold", String($0)] } ?? [])
            )
        }

        deinit {
            // SIGKILL: a SIGTERM may be blocked in what the test runner passes on.
            // (waitUntilExit can hang here once bash is killed: polled instead.)
            kill(self.process.processIdentifier, SIGKILL)
            for pid in self.pids { kill(pid, SIGKILL) }
            let deadline = Date().addingTimeInterval(5)
            while self.process.isRunning && Date() < deadline { usleep(20_000) }
            try? FileManager.default.removeItem(at: self.directory)
        }
    }

    static func objects(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw TestFailure("not a JSON object: \(line)")
            }
            return object
        }
    }

    @Test func restartsAndConfigRewritesAreEventsOnTheCapturesTimeline() throws {
        let token = "live-watch-token-\(getpid())-\(UInt32.random(in: 1...UInt32.max))"
        let supervisor = try Supervisor(token: token)
        let capture = try CaptureCommandTests.BackgroundCapture(
            port: supervisor.port,
            extra: ["--watch-config", supervisor.config, "--watch-process", "gateway.js"]
                + ["--report", supervisor.directory.appendingPathComponent("report.md").path]
        )
        defer { _ = capture.stop(signal: SIGKILL) }
        // The watch is in place once the capture says from whom it reads.
        let ready = Date().addingTimeInterval(10)
        while !capture.stderr.contains("watching ") && Date() < ready { usleep(20_000) }
        #expect(
            capture.stderr.contains("from a reader running as user nobody (uid 65534) with CAP_DAC_READ_SEARCH only")
        )

        // Before: one accepted connect, and one that stays open until the gateway dies.
        try supervisor.client("good-v3")
        let held = Process()
        held.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        held.arguments = [
            "NODE_PATH=/usr/share/nodejs", "node", ReferenceGateway.tools.appendingPathComponent("client.js").path,
            "--port", String(supervisor.port), "--scenario", "good-v3", "--token", token, "--hold", "8000",
        ]
        held.standardOutput = FileHandle.nullDevice
        held.standardError = FileHandle.nullDevice
        try held.run()
        defer { if held.isRunning { kill(held.processIdentifier, SIGKILL) } }
        usleep(600_000)
        // The user edits the config in place: no auth, device auth off for the Control UI.
        try "{ gateway: { port: \(supervisor.port), controlUi: { dangerouslyDisableDeviceAuth: true } } }\n"
            .write(toFile: supervisor.config, atomically: false, encoding: .utf8)
        usleep(300_000)

        // Restart 1: killed; a connect while it is down is refused; the supervisor renames a new config over.
        try supervisor.killGateway()
        try supervisor.client("good-v3")
        try supervisor.waitForStart(2)
        // After it: the client without the token the config now holds again.
        try supervisor.client("wrong-token")
        // Restart 2: the supervisor deletes the config and writes it anew, the same token.
        try supervisor.killGateway()
        try supervisor.client("good-v3")
        try supervisor.waitForStart(3)
        try supervisor.client("good-v3")
        held.waitUntilExit()
        usleep(500_000)
        #expect(capture.stop() == 0, "\(capture.stderr)")

        let lines = try Self.objects(capture.stdout)
        let host = lines.filter { ($0["event"] as? String).map { $0 != "handshake" } ?? false }
        let connections = lines.filter { $0["index"] != nil && $0["event"] == nil }
        let kinds = host.filter { $0["event"] as? String == "config-change" }.compactMap { $0["kind"] as? String }
        #expect(kinds == ["modified", "replaced", "deleted", "created"], "\(capture.stdout)")
        #expect(host.first?["event"] as? String == "config-watch")
        #expect(host.first?["parsed"] as? Bool == true)
        #expect(host.first?["mode"] as? String == "0600")
        let wire = host.compactMap { $0["event"] as? String }.filter { $0.hasPrefix("gateway-") }
        #expect(wire == ["gateway-down", "gateway-up", "gateway-down", "gateway-up"])
        // PIDs: each gateway that went away, and each new one, as the supervisor started them.
        let pids = supervisor.pids.map(Int.init)
        let restarts = host.filter { $0["event"] as? String == "process-restart" }
        // Other gateway.js processes on the machine (other tests) may come and go too: only the supervised ones count.
        let gone = restarts.compactMap { $0["oldPid"] as? Int }.filter(pids.contains)
        let new = restarts.compactMap { $0["newPid"] as? Int }.filter(pids.contains)
        #expect(Array(gone.prefix(2)) == Array(pids.prefix(2)), "\(restarts) \(pids)")
        #expect(Array(new.prefix(2)) == Array(pids.dropFirst().prefix(2)), "\(restarts) \(pids)")

        // Order against the connections: each down is the RST of a refused connect, each up comes after the
        // config was rewritten and at the next connect's SYN-ACK.
        func time(_ object: [String: Any], _ key: String = "time") -> String { object[key] as? String ?? "" }
        let refused = connections.filter {
            let tcp = $0["tcp"] as? [String: Any]
            return tcp?["end"] as? String == "rst" && tcp?["clientBytes"] as? Int == 0 && $0["websocket"] is NSNull
        }
        #expect(refused.count == 2)
        let downs = host.filter { $0["event"] as? String == "gateway-down" }
        let ups = host.filter { $0["event"] as? String == "gateway-up" }
        for (down, connection) in zip(downs, refused) {
            #expect(time(down) == time(connection["tcp"] as? [String: Any] ?? [:], "endTime"))
        }
        let changes = host.filter { $0["event"] as? String == "config-change" }
        #expect(time(changes[1]) < time(ups[0]) && time(downs[0]) < time(changes[1]))
        #expect(time(changes[3]) < time(ups[1]) && time(downs[1]) < time(changes[2]))
        #expect(ups.map { $0["refused"] as? Int } == [1, 1])
        // The replaced config puts the token back as a fingerprint; the re-created one has it, same value.
        let replacedToken = (changes[1]["changes"] as? [[String: Any]])?.first {
            $0["path"] as? String == "gateway.auth.token"
        }
        #expect(replacedToken?["change"] as? String == "added")
        #expect((replacedToken?["after"] as? String)?.hasPrefix("<redacted sha256:") == true)

        // The side file holds the same events, mode 0600.
        let side = capture.pcap.path + ".events.jsonl"
        var status = stat()
        #expect(stat(side, &status) == 0 && status.st_mode & 0o777 == 0o600)
        let saved = try Self.objects(try String(contentsOfFile: side, encoding: .utf8))
        #expect(saved.count == host.count)
        #expect(saved.compactMap { $0["time"] as? String } == host.compactMap { $0["time"] as? String })

        // The report (capture --report, and wssniff report reading the side file) connects them.
        let report = try String(
            contentsOf: supervisor.directory.appendingPathComponent("report.md"),
            encoding: .utf8
        )
        let offline = try TestSupport.wssniff(arguments: [
            "report", capture.pcap.path, "--port", String(supervisor.port),
        ])
        for text in [report, offline.stdout] {
            #expect(text.contains("## Host timeline"))
            #expect(text.contains("Restart 1: the gateway was down from "))
            #expect(text.contains("1 refused connect ("))
            #expect(text.contains("(FIN from the gateway at ") || text.contains("(RST from the gateway at "))
            let putBack = text.split(separator: "\n").first {
                $0.contains("it puts back keys the previous version") && $0.contains(" replaced at ")
            }
            #expect(putBack?.hasPrefix("- Restart 1: config \(supervisor.config) replaced at ") == true)
            #expect(putBack?.contains("`gateway.mode` = \"local\"") == true)
            #expect(putBack?.contains("`gateway.auth.token` = <redacted sha256:") == true)
            #expect(text.contains("ended `unauthorized`; it sent token <redacted sha256:"))
            #expect(text.contains("`gateway.controlUi.dangerouslyDisableDeviceAuth: true` is gone after the rewrite"))
            #expect(text.contains("Restart 2: the first connect after it, connection "))
            #expect(text.contains("ended `accepted`"))
            #expect(text.contains("`gateway.auth.token` was written again with the same value"))
            #expect(text.contains("Note over G: restart 1, down from"))
            #expect(text.contains("Note over G: restart 2, down from"))
        }
        for text in [
            capture.stdout, capture.stderr, try String(contentsOfFile: side, encoding: .utf8), report, offline.stdout,
        ] {
            #expect(!text.contains(token))
        }
    }

    /// A config owned by one user who is not root: the reader runs as that uid, with no capability; a token that
    /// changes shows two fingerprints; a rotating capture keeps one side file.
    @Test func theReaderRunsAsTheFilesOwnerAndSeesATokenChange() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        chmod(directory.path, 0o755)
        let config = directory.appendingPathComponent("openclaw.json").path
        let token = "owner-token-\(getpid())-\(UInt32.random(in: 1...UInt32.max))"
        try "{ gateway: { auth: { token: '\(token)' } } }\n".write(toFile: config, atomically: false, encoding: .utf8)
        chmod(config, 0o600)
        chown(config, 1, 1)
        let capture = try CaptureCommandTests.BackgroundCapture(
            port: try LoopbackExchange.freePort(),
            extra: ["--watch-config", config, "--rotate-size", "1"],
            ownedBy: 65_534
        )
        defer { _ = capture.stop(signal: SIGKILL) }
        try capture.waitFor("watching ")
        #expect(
            capture.stderr.contains("from a reader running as uid 1 (daemon), the files' owner"),
            "\(capture.stderr)"
        )
        // Written through by root: the file keeps its owner and mode.
        let handle = try #require(FileHandle(forWritingAtPath: config))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data("{ gateway: { auth: { token: 'a-new-one' }, bind: 'lan' } }\n".utf8))
        try handle.close()
        let deadline = Date().addingTimeInterval(5)
        while !capture.stdout.contains("config-change") && Date() < deadline { usleep(20_000) }
        #expect(capture.stop() == 0)
        let events = try Self.objects(capture.stdout).filter { ($0["event"] as? String)?.hasPrefix("config-") == true }
        #expect(events.map { $0["event"] as? String } == ["config-watch", "config-change"])
        #expect(events.last?["kind"] as? String == "modified")
        #expect(events.last?["owner"] as? String == "daemon")
        let changes = events.last?["changes"] as? [[String: Any]] ?? []
        #expect(changes.map { $0["path"] as? String } == ["gateway.auth.token", "gateway.bind"])
        let before = changes.first?["before"] as? String
        let after = changes.first?["after"] as? String
        #expect(changes.first?["change"] as? String == "changed")
        #expect(before?.hasPrefix("<redacted sha256:") == true && after?.hasPrefix("<redacted sha256:") == true)
        #expect(before != after)
        let sideFiles = try FileManager.default.contentsOfDirectory(atPath: capture.directory.path)
            .filter { $0.hasSuffix(".events.jsonl") }
        #expect(sideFiles == ["out.pcap.events.jsonl"])
        for text in [capture.stdout, capture.stderr] {
            #expect(!text.contains(token) && !text.contains("a-new-one"))
        }
    }

    /// With `-w -` standard output is the pcap: the events go to standard error with the other lines, and no side
    /// file is written.
    @Test func withThePcapOnStandardOutputTheEventsGoToStandardError() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("openclaw.json").path
        try "{ gateway: { port: 1 } }\n".write(toFile: config, atomically: false, encoding: .utf8)
        let output = try TestSupport.run(
            TestSupport.binary.path,
            [
                "capture", "--port", String(try LoopbackExchange.freePort()), "-w", "-", "--duration", "1",
                "--format", "jsonl", "--watch-config", config,
            ]
        )
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stderr.contains("{\"event\":\"config-watch\""))
        #expect(!output.stdout.contains("config-watch"))
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(names == ["openclaw.json"])
        #expect(!FileManager.default.fileExists(atPath: FileManager.default.currentDirectoryPath + "/-.events.jsonl"))
    }
}
