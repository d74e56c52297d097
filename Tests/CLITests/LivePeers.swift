import Dissect
import Foundation
import Glibc

/// The reference gateway (`tools/gateway/gateway.js`, on Debian's node-ws) on a free loopback port, and its client.
final class ReferenceGateway {
    static let tools = TestSupport.packageRoot.appendingPathComponent("tools/gateway")

    static var available: Bool { GatewayEndToEndTests.nodeAvailable }

    let process = Process()
    let port: UInt16
    let directory: URL
    let log: URL

    /// Starts the gateway with `arguments` (`--token T`, `--password P`, ...) and waits until it listens.
    init(_ arguments: [String]) throws {
        self.directory = try TestSupport.temporaryDirectory()
        self.port = try LoopbackExchange.freePort()
        self.log = self.directory.appendingPathComponent("gateway.log")
        let out = self.directory.appendingPathComponent("gateway.out")
        _ = FileManager.default.createFile(atPath: self.log.path, contents: nil)
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        self.process.arguments =
            [
                "NODE_PATH=/usr/share/nodejs", "node", Self.tools.appendingPathComponent("gateway.js").path,
                "--port", String(self.port), "--log", self.log.path,
            ] + arguments
        self.process.standardOutput = try FileHandle(forWritingTo: out)
        self.process.standardError = FileHandle.nullDevice
        try self.process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if ((try? String(contentsOf: out, encoding: .utf8)) ?? "").contains("listening") { return }
            usleep(50_000)
        }
        throw TestFailure("the reference gateway did not start")
    }

    /// Runs the reference client once, to its end: `--scenario NAME` and its options.
    @discardableResult
    func client(_ arguments: [String]) throws -> TestSupport.Output {
        try GatewayEndToEndTests.node(
            [Self.tools.appendingPathComponent("client.js").path, "--port", String(self.port)] + arguments
        )
    }

    /// The causes the gateway logged, one per connection it saw end.
    var causes: [String] {
        ((try? String(contentsOf: self.log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["cause"] as? String
        }
    }

    deinit {
        if self.process.isRunning {
            self.process.terminate()
            self.process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: self.directory)
    }
}

/// tcpdump capturing the same traffic beside wssniff: the packets the wire offered, to count wssniff's against.
final class TcpdumpOracle {
    let process = Process()
    let directory: URL
    let pcap: URL
    let errors: URL

    static var available: Bool { TestSupport.which("tcpdump") != nil }

    /// Starts `tcpdump -i lo` with `filter`, writing each packet as it comes, and waits until it captures.
    init(filter: String) throws {
        self.directory = try TestSupport.temporaryDirectory()
        self.pcap = self.directory.appendingPathComponent("oracle.pcap")
        self.errors = self.directory.appendingPathComponent("tcpdump.err")
        _ = FileManager.default.createFile(atPath: self.errors.path, contents: nil)
        self.process.executableURL = URL(fileURLWithPath: TestSupport.which("tcpdump") ?? "/usr/bin/tcpdump")
        self.process.arguments = [
            "-i", "lo", "-n", "-U", "--immediate-mode", "-B", "65536", "-Z", "root", "-s", "0", "-w", self.pcap.path,
            filter,
        ]
        self.process.standardOutput = FileHandle.nullDevice
        self.process.standardError = try FileHandle(forWritingTo: self.errors)
        // The child inherits this thread's signal mask, where the test runner blocks SIGINT; tcpdump, unlike
        // wssniff, does not unblock it. Unblocked here, SIGINT stops it cleanly and it reports its drops.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        try self.process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if ((try? String(contentsOf: self.errors, encoding: .utf8)) ?? "").contains("listening on") { return }
            if !self.process.isRunning { break }
            usleep(20_000)
        }
        throw TestFailure("tcpdump did not start: \((try? String(contentsOf: self.errors, encoding: .utf8)) ?? "")")
    }

    /// Stops tcpdump once its file has stopped growing (it has read what the kernel holds) and returns the packets
    /// it wrote. Throws if tcpdump itself lost packets: then it is no oracle.
    func stop() throws -> [[UInt8]] {
        var size = -1
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, PcapRecords.size(self.pcap.path) != size {
            size = PcapRecords.size(self.pcap.path)
            usleep(700_000)
        }
        kill(self.process.processIdentifier, SIGINT)
        let exitDeadline = Date().addingTimeInterval(10)
        while self.process.isRunning, Date() < exitDeadline { usleep(20_000) }
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
        self.process.waitUntilExit()
        let report = (try? String(contentsOf: self.errors, encoding: .utf8)) ?? ""
        if let dropped = report.firstMatch(of: /(\d+) packets? dropped by kernel/).flatMap({ Int($0.output.1) }),
            dropped > 0
        {
            throw TestFailure("tcpdump dropped \(dropped) packets: \(report)")
        }
        let read = try PcapRecords.read(self.pcap.path)
        guard read.warnings.isEmpty else { throw TestFailure("tcpdump's file: \(read.warnings)") }
        return read.packets
    }

    deinit {
        if self.process.isRunning {
            self.process.terminate()
            self.process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: self.directory)
    }
}

/// The records of capture files, read with wssniff's own reader.
enum PcapRecords {
    static func read(_ path: String) throws -> (packets: [[UInt8]], warnings: [String]) {
        let reader = try CaptureFileReader(path: path)
        var packets: [[UInt8]] = []
        while try reader.next({ _, bytes in packets.append(Array(bytes)) }) {}
        return (packets, reader.warnings.map { "\($0)" })
    }

    /// Every record of `paths` in order, and the size the records and file headers add up to (24 + 16 + length
    /// each), to compare with the files' sizes: no partial record at any end.
    static func readAll(_ paths: [String]) throws -> (packets: [[UInt8]], warnings: [String], recordBytes: Int) {
        var packets: [[UInt8]] = []
        var warnings: [String] = []
        var bytes = 0
        for path in paths {
            let read = try Self.read(path)
            packets += read.packets
            warnings += read.warnings
            bytes += 24 + read.packets.reduce(0) { $0 + 16 + $1.count }
        }
        return (packets, warnings, bytes)
    }

    static func size(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
    }
}

/// The counts a capture's closing summary gives.
struct CaptureSummary {
    var captured: Int
    var written: Int
    var kernelDropped: Int
    var stoppedBy: String

    init(_ stderr: String) throws {
        guard let captured = stderr.firstMatch(of: /(\d+) packets captured/).flatMap({ Int($0.output.1) }),
            let written = stderr.firstMatch(of: /(\d+) written to/).flatMap({ Int($0.output.1) }),
            let dropped = stderr.firstMatch(of: /received, (\d+) dropped/).flatMap({ Int($0.output.1) }),
            let stopped = stderr.firstMatch(of: /stopped by (\w+)/).map({ String($0.output.1) })
        else { throw TestFailure("no closing summary in: \(stderr)") }
        self.captured = captured
        self.written = written
        self.kernelDropped = dropped
        self.stoppedBy = stopped
    }
}
