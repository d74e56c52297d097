import Dissect
import Foundation
import Glibc
import Testing

/// Live capture on loopback with the real binary. CI runs as root; elsewhere these tests are skipped.
@Suite(.serialized) struct CaptureCommandTests {
    /// A `wssniff capture` running in the background, with its output in files.
    final class BackgroundCapture {
        let process = Process()
        let directory: URL
        let pcap: URL

        /// Starts `wssniff capture --port PORT -w DIR/out.pcap --format jsonl EXTRA`. `pcap`: write there instead;
        /// `ownedBy`: give the directory to this uid first (the user the capture drops to creates rotated files
        /// there); `command`: run this instead of the built binary (`setpriv ... wssniff`).
        init(
            port: UInt16,
            extra: [String] = [],
            pcap: URL? = nil,
            ownedBy owner: uid_t? = nil,
            command: [String]? = nil
        ) throws {
            self.directory = try TestSupport.temporaryDirectory()
            self.pcap = pcap ?? self.directory.appendingPathComponent("out.pcap")
            if let owner { chown(self.directory.path, owner, owner) }
            let command = command ?? [TestSupport.binary.path]
            self.process.executableURL = URL(fileURLWithPath: command[0])
            self.process.arguments =
                Array(command.dropFirst())
                + ["capture", "--port", String(port), "-w", self.pcap.path, "--format", "jsonl"] + extra
            FileManager.default.createFile(atPath: self.directory.appendingPathComponent("stdout").path, contents: nil)
            FileManager.default.createFile(atPath: self.directory.appendingPathComponent("stderr").path, contents: nil)
            self.process.standardOutput = try FileHandle(
                forWritingTo: self.directory.appendingPathComponent("stdout")
            )
            self.process.standardError = try FileHandle(forWritingTo: self.directory.appendingPathComponent("stderr"))
            self.process.standardInput = FileHandle.nullDevice
            try self.process.run()
            // The capture is live once the -w file has its 24-byte header: the device is activated and the filter
            // installed before the file is opened.
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                let size = (try? FileManager.default.attributesOfItem(atPath: self.pcap.path)[.size] as? Int) ?? 0
                if size >= 24 { return }
                if !self.process.isRunning { break }
                usleep(20_000)
            }
            throw TestFailure("wssniff capture did not start: \(self.stderr)")
        }

        var stdout: String {
            (try? String(contentsOf: self.directory.appendingPathComponent("stdout"), encoding: .utf8)) ?? ""
        }
        var stderr: String {
            (try? String(contentsOf: self.directory.appendingPathComponent("stderr"), encoding: .utf8)) ?? ""
        }

        func stop(signal: Int32 = SIGINT) -> Int32 {
            kill(self.process.processIdentifier, signal)
            self.process.waitUntilExit()
            return self.process.terminationStatus
        }

        /// Waits for the capture to end by itself (`--count`, `--duration`, an error) and returns its status.
        func wait(timeout: TimeInterval = 60) throws -> Int32 {
            let deadline = Date().addingTimeInterval(timeout)
            while self.process.isRunning {
                if Date() > deadline { throw TestFailure("wssniff capture did not stop: \(self.stderr)") }
                usleep(20_000)
            }
            self.process.waitUntilExit()
            return self.process.terminationStatus
        }

        /// Waits until standard error says `text` (the note printed once the capture runs as its user).
        func waitFor(_ text: String) throws {
            let deadline = Date().addingTimeInterval(10)
            while !self.stderr.contains(text) {
                if Date() > deadline || !self.process.isRunning {
                    throw TestFailure("wssniff capture never said \"\(text)\": \(self.stderr)")
                }
                usleep(20_000)
            }
        }

        /// The `Uid:`, `Gid:`, `Groups:`, `CapPrm:` and `CapEff:` lines of `/proc/PID/status`, by name.
        func credentials() throws -> [String: [String]] {
            let status = try String(contentsOfFile: "/proc/\(self.process.processIdentifier)/status", encoding: .utf8)
            var fields: [String: [String]] = [:]
            for line in status.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, ["Uid", "Gid", "Groups", "CapPrm", "CapEff"].contains(parts[0]) else {
                    continue
                }
                fields[String(parts[0])] = parts[1].split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            }
            return fields
        }

        deinit {
            if self.process.isRunning { self.process.terminate() }
            try? FileManager.default.removeItem(at: self.directory)
        }
    }

    /// Collects every byte each direction delivers, to compare with what the peers sent.
    struct CollectingAnalyzer: StreamAnalyzer {
        var client: [UInt8] = []
        var server: [UInt8] = []
        var gaps = 0
        init(client: Endpoint, server: Endpoint, options: Void = ()) {}
        mutating func receive(_ bytes: UnsafeRawBufferPointer, from direction: Direction, packet: PacketRef) {
            if direction == .client { self.client += bytes } else { self.server += bytes }
        }
        mutating func gap(_ length: Int, in direction: Direction, packet: PacketRef) { self.gaps += 1 }
        mutating func end(_ end: StreamEnd, from direction: Direction, packet: PacketRef) {}
    }

    static func reassemble(_ path: String, port: UInt16) throws -> [TCPConnectionResult<CollectingAnalyzer>] {
        var dissector = Dissector<CollectingAnalyzer>(serverPorts: [port])
        var results: [TCPConnectionResult<CollectingAnalyzer>] = []
        let reader = try CaptureFileReader(path: path)
        while try reader.next({ info, bytes in
            _ = dissector.ingest(info, bytes.bytes) { results.append($0) }
        }) {}
        dissector.finish { results.append($0) }
        return results
    }

    @Test(.enabled(if: TestSupport.isRoot, "live capture needs root"))
    func capturesAndReassemblesExactlyTheBytesSent() throws {
        let (listener, port) = try LoopbackExchange.listen()
        defer { close(listener) }
        let capture = try BackgroundCapture(port: port)
        let clientBytes = LoopbackExchange.pattern(300_000, seed: 7)
        let serverBytes = LoopbackExchange.pattern(120_000, seed: 99)
        let received = try LoopbackExchange.exchange(
            port: port,
            listener: listener,
            clientBytes: clientBytes,
            serverBytes: serverBytes
        )
        #expect(received.serverReceived == clientBytes)
        #expect(received.clientReceived == serverBytes)
        usleep(300_000)
        let status = capture.stop()
        #expect(status == 0, "capture exited \(status): \(capture.stderr)")
        #expect(capture.stderr.contains("packets captured"))
        #expect(capture.stderr.contains("dropped"))

        // The live pipeline reported the connection as it ended.
        let lines = capture.stdout.split(separator: "\n")
        #expect(lines.count == 1, "one connection line expected: \(capture.stdout)")

        // wssniff's own reassembly of the written file gives back exactly the bytes sent, each way.
        let results = try Self.reassemble(capture.pcap.path, port: port)
        #expect(results.count == 1)
        let connection = try #require(results.first)
        #expect(connection.server.port == port)
        #expect(connection.analyzer.client == clientBytes)
        #expect(connection.analyzer.server == serverBytes)
        #expect(connection.analyzer.gaps == 0)
        #expect(connection.statistics.handshakeSeen)
        #expect(connection.statistics.end == .fin)

        // The CLI says the same.
        let document = try TestSupport.analyzeJSON([capture.pcap.path], extra: ["--port", String(port)])
        let connections = try #require(document["connections"] as? [[String: Any]])
        let tcp = try #require(connections.first?["tcp"] as? [String: Any])
        #expect(tcp["clientBytes"] as? Int == clientBytes.count)
        #expect(tcp["serverBytes"] as? Int == serverBytes.count)
        #expect(tcp["gaps"] as? Int == 0)

        // tshark reads the file and follows the same bytes.
        if TsharkOracle.tshark != nil {
            let conversations = try TsharkOracle.conversations(capture.pcap.path)
            #expect(conversations.count == 1)
            #expect(conversations.first?.bytesA == clientBytes.count)
            #expect(conversations.first?.bytesB == serverBytes.count)
        }
    }

    @Test(.enabled(if: TestSupport.isRoot, "live capture needs root"), arguments: [SIGINT, SIGTERM])
    func signalLeavesACompleteValidFile(signal: Int32) throws {
        let (listener, port) = try LoopbackExchange.listen()
        defer { close(listener) }
        let capture = try BackgroundCapture(port: port)
        // Keep traffic flowing while the signal arrives.
        let stopTraffic = DispatchSemaphore(value: 0)
        let trafficDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            defer { trafficDone.signal() }
            guard let client = try? LoopbackExchange.connect(port: port) else { return }
            let server = accept(listener, nil, nil)
            let chunk = LoopbackExchange.pattern(1_000, seed: 3)
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while stopTraffic.wait(timeout: .now() + .milliseconds(2)) == .timedOut {
                try? LoopbackExchange.sendAll(client, chunk)
                _ = buffer.withUnsafeMutableBytes { recv(server, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            }
            close(client)
            close(server)
        }
        usleep(500_000)
        let status = capture.stop(signal: signal)
        stopTraffic.signal()
        trafficDone.wait()
        #expect(status == 0, "capture exited \(status): \(capture.stderr)")

        // The summary's written count equals the records in the file, and the file reads to its end with no warning.
        let written = try #require(
            capture.stderr.firstMatch(of: /(\d+) written to/).flatMap { Int($0.output.1) },
            "no written count in: \(capture.stderr)"
        )
        #expect(written > 10)
        let reader = try CaptureFileReader(path: capture.pcap.path)
        var records = 0
        while try reader.next({ _, _ in records += 1 }) {}
        #expect(records == written)
        #expect(reader.warnings.isEmpty, "\(reader.warnings)")
        if let tshark = TsharkOracle.tshark {
            let read = try TestSupport.run(tshark, ["-r", capture.pcap.path, "-T", "fields", "-e", "frame.number"])
            #expect(read.status == 0, "tshark: \(read.stderr)")
            #expect(read.stdout.split(separator: "\n").count == written)
            #expect(!read.stderr.contains("cut short"), "tshark: \(read.stderr)")
        }
    }

    @Test(.enabled(if: TestSupport.isRoot, "live capture needs root"))
    func rotationLosesNoPacketBetweenFiles() throws {
        let (listener, port) = try LoopbackExchange.listen()
        defer { close(listener) }
        // Rotated files are created after the drop to nobody: in a directory nobody can write, as documented.
        let capture = try BackgroundCapture(port: port, extra: ["--rotate-size", "1"], ownedBy: 65534)
        let clientBytes = LoopbackExchange.pattern(3_500_000, seed: 11)
        let serverBytes = LoopbackExchange.pattern(1_000, seed: 12)
        _ = try LoopbackExchange.exchange(
            port: port,
            listener: listener,
            clientBytes: clientBytes,
            serverBytes: serverBytes
        )
        usleep(300_000)
        #expect(capture.stop() == 0, "\(capture.stderr)")
        var files = [capture.pcap.path]
        while FileManager.default.fileExists(atPath: "\(capture.pcap.path).\(files.count)") {
            files.append("\(capture.pcap.path).\(files.count)")
        }
        #expect(files.count >= 3, "3.5 MB in 1 MB files: \(capture.stderr)")
        for file in files {
            let size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            #expect(size <= 1_000_000 + 70_000, "\(file) is \(size) bytes")
        }
        let written = try #require(capture.stderr.firstMatch(of: /(\d+) written to/).flatMap { Int($0.output.1) })
        let captured = try #require(
            capture.stderr.firstMatch(of: /(\d+) packets captured/).flatMap { Int($0.output.1) }
        )
        #expect(written == captured)
        // Read in order, the files are one capture: every packet, and the stream whole.
        let document = try TestSupport.analyzeJSON(files, extra: ["--port", String(port)])
        #expect((document["input"] as? [String: Any])?["packets"] as? Int == written)
        let tcp = try #require((document["connections"] as? [[String: Any]])?.first?["tcp"] as? [String: Any])
        #expect(tcp["clientBytes"] as? Int == clientBytes.count)
        #expect(tcp["serverBytes"] as? Int == serverBytes.count)
        #expect(tcp["gaps"] as? Int == 0)
    }

    // MARK: - Files

    /// Under umask 000, with every name already taken by someone else's wider file (hard-linked elsewhere): the `-w`
    /// file, each rotated file and the report are new files, mode 0600; the old files are replaced, not written
    /// through (their other names keep their bytes, owner and mode). The `-w` file wssniff created is given to the
    /// user it drops to; the report, put in place by the process that keeps root, stays root's.
    @Test(.enabled(if: TestSupport.isRoot, "live capture needs root"))
    func everyFileWrittenIsNewAndPrivate() throws {
        let (listener, port) = try LoopbackExchange.listen()
        defer { close(listener) }
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pcap = directory.appendingPathComponent("out.pcap")
        let report = directory.appendingPathComponent("report.md")
        let old = Data("old\n".utf8)
        let taken = [pcap.path, pcap.path + ".1", report.path]
        for path in taken {
            try old.write(to: URL(fileURLWithPath: path))
            chmod(path, 0o666)
            chown(path, 1234, 1234)
            try FileManager.default.linkItem(atPath: path, toPath: path + ".other")
        }
        // Rotated files are created as nobody: the -w file goes where nobody can create files.
        chown(directory.path, 65534, 65534)
        let capture = try BackgroundCapture(
            port: port,
            extra: ["--rotate-size", "1", "--report", report.path],
            pcap: pcap,
            command: ["/bin/sh", "-c", "umask 000; exec \"$0\" \"$@\"", TestSupport.binary.path]
        )
        _ = try LoopbackExchange.exchange(
            port: port,
            listener: listener,
            clientBytes: LoopbackExchange.pattern(2_500_000, seed: 21),
            serverBytes: LoopbackExchange.pattern(1_000, seed: 22)
        )
        usleep(300_000)
        #expect(capture.stop() == 0, "\(capture.stderr)")
        var files = [pcap.path]
        while FileManager.default.fileExists(atPath: "\(pcap.path).\(files.count)") {
            files.append("\(pcap.path).\(files.count)")
        }
        // 2.5 MB in 1 MB files: at least the -w file and NAME.1, which replaced the old NAME.1 (a loaded machine may
        // lose the end of the exchange before the stop; rotationLosesNoPacketBetweenFiles checks the whole stream).
        #expect(files.count >= 2, "\(capture.stderr)")
        for path in files + [report.path] {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect(attributes[.posixPermissions] as? Int == 0o600, "\(path)")
            #expect(attributes[.ownerAccountID] as? Int == (path == report.path ? 0 : 65534), "\(path)")
        }
        #expect(try String(contentsOf: report, encoding: .utf8).hasPrefix("# wssniff report"))
        for path in taken {
            let other = path + ".other"
            let attributes = try FileManager.default.attributesOfItem(atPath: other)
            #expect(try Data(contentsOf: URL(fileURLWithPath: other)) == old, "\(path) was written through")
            #expect(attributes[.posixPermissions] as? Int == 0o666, "\(other)")
            #expect(attributes[.ownerAccountID] as? Int == 1234, "\(other)")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
            $0.contains("wssniff-")
        }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    /// A capture ended by a signal that does not stop it cleanly (SIGHUP) leaves no staged report behind, whether a
    /// process that kept root was to put it in place (the drop to nobody) or the capture itself (`--user root`); an
    /// existing report keeps its bytes.
    @Test(.enabled(if: TestSupport.isRoot, "live capture needs root"), arguments: ["nobody", "root"])
    func aKillingSignalLeavesNoStagedReport(user: String) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = directory.appendingPathComponent("report.md")
        let old = Data("an earlier report\n".utf8)
        try old.write(to: report)
        let capture = try BackgroundCapture(
            port: try LoopbackExchange.freePort(),
            extra: ["--user", user, "--report", report.path],
            pcap: directory.appendingPathComponent("out.pcap")
        )
        try capture.waitFor("Ctrl-C to stop")
        let staged = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
            $0.hasPrefix(".report.md.wssniff-")
        }
        #expect(staged.count == 1, "the report is staged while the capture runs")
        #expect(capture.stop(signal: SIGHUP) == SIGHUP)
        #expect(capture.process.terminationReason == .uncaughtSignal)
        // The committer removes the temporary once it sees the capture gone.
        let deadline = Date().addingTimeInterval(5)
        var names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        while names != ["out.pcap", "report.md"], Date() < deadline {
            usleep(20_000)
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        }
        #expect(names == ["out.pcap", "report.md"])
        #expect(try Data(contentsOf: report) == old)
    }

    /// The drop to nobody gives nobody only files wssniff created: `-w -` and `-w /dev/stdout` write into a standard
    /// output redirected to a file that belongs to someone else, and that file keeps its owner and mode.
    @Test(.enabled(if: TestSupport.isRoot, "live capture needs root"), arguments: ["-", "/dev/stdout"])
    func privilegeDropLeavesStandardOutputAlone(write: String) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let redirected = directory.appendingPathComponent("redirected.pcap")
        FileManager.default.createFile(atPath: redirected.path, contents: nil)
        chown(redirected.path, 1234, 1234)
        chmod(redirected.path, 0o640)
        let port = try LoopbackExchange.freePort()
        let process = Process()
        process.executableURL = TestSupport.binary
        process.arguments = ["capture", "--port", String(port), "-w", write, "--duration", "0.5", "--quiet"]
        process.standardOutput = try FileHandle(forWritingTo: redirected)
        let errors = Pipe()
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(stderr)")
        #expect(stderr.contains("running as nobody"), "\(stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: redirected.path)
        #expect(attributes[.ownerAccountID] as? Int == 1234)
        #expect(attributes[.posixPermissions] as? Int == 0o640)
        let bytes = try Data(contentsOf: redirected)
        #expect(bytes.count >= 24 && Array(bytes.prefix(4)) == [0xD4, 0xC3, 0xB2, 0xA1], "a pcap went to stdout")
    }

    /// `--report` naming the `-w` file (under any name) or a file it rotates through is refused before anything is
    /// opened: exit 64, the existing file's bytes unchanged.
    @Test func reportOverTheWriteFileIsRefused() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pcap = directory.appendingPathComponent("day.pcap").path
        let kept = Data("an earlier capture\n".utf8)
        try kept.write(to: URL(fileURLWithPath: pcap))
        try kept.write(to: URL(fileURLWithPath: pcap + ".2"))
        let link = directory.appendingPathComponent("link.pcap").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: pcap)
        let cases: [([String], String)] = [
            (["-w", pcap, "--report", pcap], "--report \(pcap) and -w \(pcap) are the same file"),
            (["-w", pcap, "--report", link], "--report \(link) and -w \(pcap) are the same file"),
            (
                ["-w", pcap, "--rotate-size", "1", "--report", directory.path + "/./day.pcap.2"],
                "one of the files -w \(pcap) rotates through"
            ),
        ]
        for (arguments, message) in cases {
            let output = try TestSupport.wssniff(arguments: ["capture"] + arguments + ["--duration", "1"])
            #expect(output.status == 64, "\(arguments): \(output.stderr)")
            #expect(output.stderr.contains(message), "\(output.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: pcap)) == kept)
            #expect(try Data(contentsOf: URL(fileURLWithPath: pcap + ".2")) == kept)
        }
    }

    @Test(.enabled(if: TestSupport.isRoot, "live capture needs root"))
    func badFilterAndUnwritableFileAreClearErrors() throws {
        let filter = try TestSupport.wssniff("capture", "--filter", "tcp port", "--count", "1", "--duration", "1")
        #expect(filter.status == 64, "\(filter.stderr)")
        #expect(filter.stderr.contains("invalid capture filter"))
        let write = try TestSupport.wssniff("capture", "-w", "/nonexistent/dir/out.pcap", "--duration", "1")
        #expect(write.status == 74, "\(write.stderr)")
        #expect(write.stderr.contains("/nonexistent/dir/out.pcap"))
        let forever = try TestSupport.wssniff("capture", "--duration", "inf")
        #expect(forever.status == 64)

        // Every file the capture writes is opened (or checked) before the first packet, so a bad path stops it at
        // once, with nothing captured.
        let proc = try TestSupport.wssniff("capture", "-w", "/proc/version", "--duration", "5")
        #expect(proc.status == 74, "\(proc.stderr)")
        #expect(proc.stderr.contains("cannot write /proc/version"))
        #expect(!proc.stderr.contains("packets captured"))
        let report = try TestSupport.wssniff("capture", "--report", "/nonexistent/dir/report.md", "--duration", "5")
        #expect(report.status == 74, "\(report.stderr)")
        #expect(report.stderr.contains("cannot create /nonexistent/dir/report.md"))
        #expect(!report.stderr.contains("packets captured"))

        // Rotated files are created as nobody: a directory only root can write is refused before anything is opened.
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let rotating = directory.appendingPathComponent("day.pcap").path
        let rotation = try TestSupport.wssniff("capture", "-w", rotating, "--rotate-size", "1", "--duration", "5")
        #expect(rotation.status == 74, "\(rotation.stderr)")
        #expect(rotation.stderr.contains("user nobody cannot create files in \(directory.path)"))
        #expect(!FileManager.default.fileExists(atPath: rotating))
    }

    // MARK: - Nothing lost

    static let token = "wssniff-reference-token"

    /// What ends a capture in `everyStopKeepsEveryPacketOffered`.
    enum Stop: String, CaseIterable, Sendable {
        case sigint, sigterm, count, duration, rotation
    }

    /// Known traffic on loopback, offered while wssniff and a tcpdump oracle both capture it: two reference-client
    /// handshakes with the reference gateway (challenge, connect, hello-ok, close: each accepted), then a bulk
    /// exchange of known bytes. Whatever ends the capture, every packet tcpdump saw is in wssniff's `-w` file(s),
    /// byte for byte and in order (the first N for `--count N`), the summary's captured and written counts equal
    /// the records in the file(s), and the file(s) end on a whole record.
    @Test(
        .enabled(
            if: TestSupport.isRoot && ReferenceGateway.available && TcpdumpOracle.available,
            "needs root, node with node-ws, and tcpdump"
        ),
        arguments: Stop.allCases
    )
    func everyStopKeepsEveryPacketOffered(stop: Stop) throws {
        let gateway = try ReferenceGateway(["--token", Self.token])
        let (listener, bulkPort) = try LoopbackExchange.listen()
        defer { close(listener) }
        let filter = "tcp port \(gateway.port) or tcp port \(bulkPort)"
        let oracle = try TcpdumpOracle(filter: filter)
        var extra = ["--filter", filter]
        switch stop {
        case .count: extra += ["--count", "25"]
        case .duration: extra += ["--duration", "10"]
        case .rotation: extra += ["--rotate-size", "1"]
        case .sigint, .sigterm: break
        }
        let capture = try BackgroundCapture(
            port: gateway.port,
            extra: extra,
            ownedBy: stop == .rotation ? 65534 : nil
        )
        let started = Date()
        for _ in 0..<2 {
            let client = try gateway.client(["--scenario", "good-v3", "--token", Self.token])
            #expect(client.status == 0, "client: \(client.stderr)")
        }
        let bulk = LoopbackExchange.pattern(stop == .rotation ? 2_500_000 : 200_000, seed: 5)
        let exchanged = try LoopbackExchange.exchange(
            port: bulkPort,
            listener: listener,
            clientBytes: bulk,
            serverBytes: [1, 2, 3]
        )
        #expect(exchanged.serverReceived == bulk)
        let trafficSeconds = Date().timeIntervalSince(started)
        usleep(500_000)

        let status: Int32
        switch stop {
        case .sigint, .rotation: status = capture.stop(signal: SIGINT)
        case .sigterm: status = capture.stop(signal: SIGTERM)
        case .count, .duration: status = try capture.wait()
        }
        let offered = try oracle.stop()
        #expect(status == 0, "capture exited \(status): \(capture.stderr)")
        #expect(gateway.causes == ["accepted", "accepted"])

        let summary = try CaptureSummary(capture.stderr)
        let expectedStop = [Stop.count: "count", .duration: "duration"][stop] ?? "signal"
        #expect(summary.stoppedBy == expectedStop)
        #expect(summary.kernelDropped == 0)
        var files = [capture.pcap.path]
        while FileManager.default.fileExists(atPath: "\(capture.pcap.path).\(files.count)") {
            files.append("\(capture.pcap.path).\(files.count)")
        }
        let read = try PcapRecords.readAll(files)
        #expect(read.warnings.isEmpty, "\(read.warnings)")
        #expect(read.recordBytes == files.reduce(0) { $0 + PcapRecords.size($1) }, "a file ends in a partial record")
        #expect(summary.written == read.packets.count)
        #expect(summary.captured == summary.written)
        print(
            "nothing lost, \(stop.rawValue): offered \(offered.count), captured \(summary.captured), "
                + "written \(summary.written) in \(files.count) file(s)"
        )
        if stop == .count {
            #expect(summary.captured == 25)
            #expect(offered.count > 25)
            let same = read.packets == Array(offered.prefix(25))
            #expect(same, "the file is not tcpdump's first 25 packets")
            return
        }
        if stop == .duration {
            #expect(trafficSeconds < 9, "the traffic took \(trafficSeconds) s, past most of --duration 10")
        }
        if stop == .rotation {
            #expect(files.count >= 3, "2.5 MB in 1 MB files: \(files)")
        }
        #expect(read.packets.count == offered.count)
        // Two packet sockets can see packets sent at once from two CPUs in different orders; what each sender
        // sends reaches both in its order. So: the same packets, byte for byte, and in order per direction.
        let byDirection = Self.byDirection(read.packets)
        let offeredByDirection = Self.byDirection(offered)
        #expect(byDirection == offeredByDirection, "wssniff's file differs from what tcpdump saw")

        // Read back as one capture: both handshakes accepted, every WebSocket message of each there.
        let document = try TestSupport.analyzeJSON(files, extra: ["--port", String(gateway.port)])
        #expect((document["input"] as? [String: Any])?["packets"] as? Int == offered.count)
        let connections = document["connections"] as? [[String: Any]] ?? []
        let accepted = connections.filter { ($0["verdict"] as? [String: Any])?["cause"] as? String == "accepted" }
        #expect(accepted.count == 2)
        let bulkTCP = connections.first { ($0["server"] as? [String: Any])?["port"] as? Int == Int(bulkPort) }
        #expect((bulkTCP?["tcp"] as? [String: Any])?["clientBytes"] as? Int == bulk.count)
    }

    /// The packets of an Ethernet/IPv4/TCP capture grouped by direction (addresses and ports), each group in order.
    static func byDirection(_ packets: [[UInt8]]) -> [[UInt8]: [[UInt8]]] {
        var groups: [[UInt8]: [[UInt8]]] = [:]
        for packet in packets {
            let ipHeader = packet.count > 14 ? Int(packet[14] & 0x0f) * 4 : 0
            let key =
                packet.count >= 14 + ipHeader + 4
                ? Array(packet[26..<34] + packet[(14 + ipHeader)..<(18 + ipHeader)]) : []
            groups[key, default: []].append(packet)
        }
        return groups
    }

    @Test(.enabled(if: TestSupport.isRoot, "live capture needs root"))
    func fullDeviceIsAClearErrorBeforeAnyPacket() throws {
        let port = try LoopbackExchange.freePort()
        let started = Date()
        let output = try TestSupport.wssniff("capture", "--port", String(port), "-w", "/dev/full", "--duration", "10")
        #expect(output.status == 74, "\(output.stderr)")
        #expect(output.stderr.contains("cannot write /dev/full: No space left on device"))
        #expect(output.stdout.isEmpty)
        #expect(Date().timeIntervalSince(started) < 5, "it stopped at the file header, not at --duration")
    }

    /// A disk that fills up mid-capture (a 64 KiB tmpfs): the capture stops with 74 and says so, and the file ends
    /// with the last whole packet written (a partial record at its end is cut off): tcpdump reads it to its end.
    @Test(.enabled(if: TestSupport.isRoot && TcpdumpOracle.available, "needs root (mount, capture) and tcpdump"))
    func fullDiskStopsWithTheFileEndingOnAWholePacket() throws {
        let mountPoint = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: mountPoint) }
        let mount = try TestSupport.run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint.path])
        guard mount.status == 0 else {
            // No tmpfs mounts here (a container without the capability): nothing to fill.
            print("fullDiskStops: skipped, mount failed: \(mount.stderr)")
            return
        }
        defer { _ = try? TestSupport.run("/bin/umount", [mountPoint.path]) }
        let (listener, port) = try LoopbackExchange.listen()
        defer { close(listener) }
        let oracle = try TcpdumpOracle(filter: "tcp port \(port)")
        let pcap = mountPoint.appendingPathComponent("out.pcap")
        let capture = try BackgroundCapture(port: port, pcap: pcap)
        // Small packets (1,000 bytes at a time, paced), so that many whole ones fit before the disk is full.
        let client = try LoopbackExchange.connect(port: port)
        let server = accept(listener, nil, nil)
        var sink = [UInt8](repeating: 0, count: 65_536)
        for _ in 0..<300 where capture.process.isRunning {
            try LoopbackExchange.sendAll(client, LoopbackExchange.pattern(1_000, seed: 9))
            _ = sink.withUnsafeMutableBytes { recv(server, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            usleep(2_000)
        }
        close(client)
        close(server)
        let status = try capture.wait()
        let offered = try oracle.stop()
        #expect(status == 74, "\(capture.stderr)")
        #expect(capture.stderr.contains("cannot write \(pcap.path): No space left on device"))
        #expect(capture.stderr.contains("the file ends with the last whole one"))
        let summary = try CaptureSummary(capture.stderr)
        #expect(summary.stoppedBy == "error")
        // The packet that did not fit was captured, not written.
        #expect(summary.captured == summary.written + 1)
        let read = try PcapRecords.readAll([pcap.path])
        #expect(read.warnings.isEmpty, "\(read.warnings)")
        #expect(read.recordBytes == PcapRecords.size(pcap.path), "the file ends in a partial record")
        #expect(read.packets.count == summary.written)
        #expect(summary.written > 20)
        let same = read.packets == Array(offered.prefix(read.packets.count))
        #expect(same, "the file is not the first packets tcpdump saw")
        let cut = capture.stderr.firstMatch(of: /cut the (\d+) bytes/).map { String($0.output.1) } ?? "no"
        print(
            "full disk: offered \(offered.count), captured \(summary.captured), written \(summary.written), "
                + "file \(PcapRecords.size(pcap.path)) bytes, \(cut) bytes of a partial packet cut"
        )
        let tcpdump = try TestSupport.run(TestSupport.which("tcpdump") ?? "tcpdump", ["-n", "-r", pcap.path])
        #expect(tcpdump.status == 0, "\(tcpdump.stderr)")
        #expect(!tcpdump.stderr.contains("truncated"), "\(tcpdump.stderr)")
        #expect(tcpdump.stdout.split(separator: "\n").count == summary.written)
    }

    // MARK: - Privilege

    /// Started as root, the capture runs as nobody (every uid and gid 65534, no capability, no root group) once the
    /// device is open, and still captures: a reference handshake is captured, written and analyzed.
    @Test(.enabled(if: TestSupport.isRoot && ReferenceGateway.available, "needs root and node with node-ws"))
    func dropsToNobodyAndStillCaptures() throws {
        let gateway = try ReferenceGateway(["--token", Self.token])
        let capture = try BackgroundCapture(port: gateway.port)
        try capture.waitFor("running as nobody (uid 65534)")
        let credentials = try capture.credentials()
        #expect(credentials["Uid"] == ["65534", "65534", "65534", "65534"])
        #expect(credentials["Gid"] == ["65534", "65534", "65534", "65534"])
        #expect(credentials["Groups"]?.contains("0") == false)
        #expect(credentials["CapPrm"] == ["0000000000000000"])
        #expect(credentials["CapEff"] == ["0000000000000000"])

        let client = try gateway.client(["--scenario", "good-v3", "--token", Self.token])
        #expect(client.status == 0)
        usleep(300_000)
        #expect(capture.stop() == 0, "\(capture.stderr)")
        let summary = try CaptureSummary(capture.stderr)
        #expect(summary.written == summary.captured)
        #expect(summary.written > 8)
        print("as nobody: captured \(summary.captured), written \(summary.written)")
        let owner = try FileManager.default.attributesOfItem(atPath: capture.pcap.path)[.ownerAccountID] as? Int
        #expect(owner == 65534, "the -w file is given to the user the capture runs as")
        // The handshake's event line at hello-ok, then the connection's line when it ended.
        let lines = capture.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.contains("\"event\":\"handshake\"") == true, "\(capture.stdout)")
        #expect(lines.last?.contains("\"cause\":\"accepted\"") == true, "\(capture.stdout)")
        let document = try TestSupport.analyzeJSON([capture.pcap.path], extra: ["--port", String(gateway.port)])
        #expect((document["input"] as? [String: Any])?["packets"] as? Int == summary.written)
    }

    @Test(.enabled(if: TestSupport.isRoot, "live capture needs root"))
    func userOptionNamesTheUserOrFailsClearly() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pcap = directory.appendingPathComponent("out.pcap").path
        let missing = try TestSupport.wssniff(
            "capture",
            "--user",
            "no-such-user-wssniff",
            "-w",
            pcap,
            "--duration",
            "5"
        )
        #expect(missing.status == 64, "\(missing.stderr)")
        #expect(missing.stderr.contains("--user no-such-user-wssniff: no such user"))
        #expect(!FileManager.default.fileExists(atPath: pcap), "nothing is opened for a user that does not exist")

        // `--user root` keeps root, explicitly: no drop, the file stays root's.
        let port = try LoopbackExchange.freePort()
        let kept = try BackgroundCapture(port: port, extra: ["--user", "root"])
        try kept.waitFor("keeping root (--user root)")
        #expect(try kept.credentials()["Uid"] == ["0", "0", "0", "0"])
        #expect(!kept.stderr.contains("running as"))
        #expect(kept.stop() == 0)
        let owner = try FileManager.default.attributesOfItem(atPath: kept.pcap.path)[.ownerAccountID] as? Int
        #expect(owner == 0)
    }

    /// The README's way to capture without root: the binary granted cap_net_raw and cap_net_admin, run by an
    /// ordinary user (nobody here). It captures, and clears its capabilities once the device is open.
    @Test(
        .enabled(
            if: TestSupport.isRoot && TestSupport.which("setcap") != nil && TestSupport.which("setpriv") != nil,
            "needs root, setcap and setpriv"
        )
    )
    func setcapBinaryCapturesWithoutRootAndThenHoldsNoCapability() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let binary = directory.appendingPathComponent("wssniff")
        try FileManager.default.copyItem(at: TestSupport.binary, to: binary)
        let setcap = try TestSupport.run(
            TestSupport.which("setcap") ?? "setcap",
            ["cap_net_raw,cap_net_admin=eip", binary.path]
        )
        guard setcap.status == 0 else {
            // No file capabilities on this file system.
            print("setcap: skipped: \(setcap.stderr)")
            return
        }
        let (listener, port) = try LoopbackExchange.listen()
        defer { close(listener) }
        let setpriv = [
            TestSupport.which("setpriv") ?? "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            binary.path,
        ]
        let capture = try BackgroundCapture(port: port, ownedBy: 65534, command: setpriv)
        try capture.waitFor("Ctrl-C to stop")
        let credentials = try capture.credentials()
        #expect(credentials["Uid"] == ["65534", "65534", "65534", "65534"])
        #expect(credentials["CapPrm"] == ["0000000000000000"])
        #expect(credentials["CapEff"] == ["0000000000000000"])
        let bytes = LoopbackExchange.pattern(50_000, seed: 4)
        _ = try LoopbackExchange.exchange(port: port, listener: listener, clientBytes: bytes, serverBytes: [1])
        usleep(300_000)
        #expect(capture.stop() == 0, "\(capture.stderr)")
        let summary = try CaptureSummary(capture.stderr)
        #expect(summary.written == summary.captured)
        #expect(summary.written > 4)
        #expect(try PcapRecords.read(capture.pcap.path).packets.count == summary.written)
        print("setcap, as nobody: captured \(summary.captured), written \(summary.written)")

        // An ordinary user cannot switch users: --user is refused rather than ignored.
        let refused = try TestSupport.run(setpriv[0], Array(setpriv.dropFirst()) + ["capture", "--user", "root"])
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(refused.stderr.contains("only root can switch users"))
    }

    @Test func captureWithoutPrivilegeSaysHowToGetIt() throws {
        // As root, drop to nobody for this one check; as a user, the plain run shows it.
        var arguments = ["capture", "--count", "1", "--duration", "1"]
        var executable = TestSupport.binary.path
        if TestSupport.isRoot {
            guard let setpriv = TestSupport.which("setpriv") else { return }
            arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", executable] + arguments
            executable = setpriv
        }
        let output = try TestSupport.run(executable, arguments)
        #expect(output.status == 77, "\(output.stderr)")
        #expect(output.stderr.contains("setcap cap_net_raw,cap_net_admin=eip"))
    }

    /// Nothing on `lo`, and the gateway port listening in a network namespace of its own (a container's): the capture
    /// says where it listens and how to capture there.
    @Test(
        .enabled(
            if: TestSupport.isRoot && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/node"),
            "needs root, unshare and node"
        )
    )
    func anEmptyCaptureSaysWhereTheGatewayPortListens() throws {
        let port = try LoopbackExchange.freePort()
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        listener.arguments = [
            "-n", "/usr/bin/node", "-e",
            "require('net').createServer().listen(\(port), '0.0.0.0', () => console.log('listening'));"
                + " setTimeout(() => process.exit(0), 20000)",
        ]
        let ready = Pipe()
        listener.standardOutput = ready
        listener.standardError = FileHandle.nullDevice
        try listener.run()
        defer {
            listener.terminate()
            listener.waitUntilExit()
        }
        _ = ready.fileHandleForReading.availableData  // "listening", or EOF if node failed
        let output = try TestSupport.wssniff("capture", "--port", String(port), "--duration", "1")
        #expect(output.status == 0, "\(output.stderr)")
        #expect(
            output.stderr.contains(
                "where the traffic is: port \(port) listens on 0.0.0.0 in another network namespace"
            ),
            "\(output.stderr)"
        )
        #expect(output.stderr.contains("`nsenter -t "), "\(output.stderr)")
    }
}
