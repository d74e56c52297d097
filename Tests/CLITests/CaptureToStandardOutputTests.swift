import Dissect
import Foundation
import Glibc
import Testing

/// `wssniff capture -w -`: standard output carries the pcap and nothing else; the connection lines go to standard
/// error. Live capture on loopback needs root.
@Suite(.serialized) struct CaptureToStandardOutputTests {
    @Test(.enabled(if: TestSupport.isRoot, "live capture needs root"), arguments: ["jsonl", "text"])
    func pcapOnStandardOutputTextOnStandardError(format: String) throws {
        let (listener, port) = try LoopbackExchange.listen()
        defer { close(listener) }
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pcap = directory.appendingPathComponent("stdout.pcap")
        let errors = directory.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: pcap.path, contents: nil)
        FileManager.default.createFile(atPath: errors.path, contents: nil)
        let process = Process()
        process.executableURL = TestSupport.binary
        process.arguments = ["capture", "--port", String(port), "-w", "-", "--format", format]
        process.standardOutput = try FileHandle(forWritingTo: pcap)
        process.standardError = try FileHandle(forWritingTo: errors)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        func stderr() -> String { (try? String(contentsOf: errors, encoding: .utf8)) ?? "" }
        // Live once the pcap header is out and the capture has said so.
        let deadline = Date().addingTimeInterval(10)
        while !stderr().contains("Ctrl-C to stop") && Date() < deadline { usleep(20_000) }
        #expect(stderr().contains("writing the pcap to standard output"), "\(stderr())")

        let clientBytes = LoopbackExchange.pattern(50_000, seed: 5)
        let serverBytes = LoopbackExchange.pattern(20_000, seed: 6)
        _ = try LoopbackExchange.exchange(
            port: port,
            listener: listener,
            clientBytes: clientBytes,
            serverBytes: serverBytes
        )
        // The connection's line reaches standard error as the connection ends, before the capture stops.
        let lineDeadline = Date().addingTimeInterval(10)
        let marker = format == "jsonl" ? "{" : "#1 127.0.0.1:"
        func lineSeen() -> Bool { stderr().split(separator: "\n").contains { $0.hasPrefix(marker) } }
        while !lineSeen() && Date() < lineDeadline { usleep(20_000) }
        #expect(lineSeen(), "\(stderr())")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(stderr())")
        #expect(stderr().contains("written to standard output"))

        // Standard output is a whole pcap file and nothing else: every record reads, no trailing bytes.
        let size = (try FileManager.default.attributesOfItem(atPath: pcap.path)[.size] as? Int) ?? 0
        let reader = try CaptureFileReader(path: pcap.path)
        var records = 0
        while try reader.next({ _, _ in records += 1 }) {}
        #expect(reader.warnings.isEmpty, "\(reader.warnings)")
        #expect(reader.bytesRead == size)
        #expect(records >= 6)
        let results = try CaptureCommandTests.reassemble(pcap.path, port: port)
        #expect(results.count == 1)
        #expect(results.first?.analyzer.client == clientBytes)
        #expect(results.first?.analyzer.server == serverBytes)
        if TsharkOracle.tshark != nil {
            let conversations = try TsharkOracle.conversations(pcap.path)
            #expect(conversations.count == 1)
            #expect(conversations.first?.bytesA == clientBytes.count)
            #expect(conversations.first?.bytesB == serverBytes.count)
        }
    }

    @Test func rotationToStandardOutputIsRefused() throws {
        let output = try TestSupport.wssniff("capture", "-w", "-", "--rotate-size", "1")
        #expect(output.status == 64)
        #expect(output.stderr.contains("standard output (-w -) cannot be rotated"))
    }
}
