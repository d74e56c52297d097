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

        init(port: UInt16, extra: [String] = []) throws {
            self.directory = try TestSupport.temporaryDirectory()
            self.pcap = self.directory.appendingPathComponent("out.pcap")
            self.process.executableURL = TestSupport.binary
            self.process.arguments =
                ["capture", "--port", String(port), "-w", self.pcap.path, "--format", "jsonl"] + extra
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
        let capture = try BackgroundCapture(port: port, extra: ["--rotate-size", "1"])
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
}
