import Foundation
import Glibc
import Testing

/// `wssniff capture` reports a connection's verdict when its handshake is decided, not only when it ends: a real
/// gateway (the reference one, on node-ws) and its client on loopback, the capture's output read as it is written.
@Suite(.serialized, .enabled(if: TestSupport.isRoot && ReferenceGateway.available, "needs root and node with node-ws"))
struct LiveVerdictTests {
    static let token = "wssniff-reference-token"

    /// The reference client started in the background: `--scenario NAME` and its options.
    final class BackgroundClient {
        let process = Process()
        let output: URL

        init(port: UInt16, _ arguments: [String]) throws {
            self.output = try TestSupport.temporaryDirectory().appendingPathComponent("client.out")
            FileManager.default.createFile(atPath: self.output.path, contents: nil)
            self.process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            self.process.arguments =
                [
                    "NODE_PATH=/usr/share/nodejs", "node",
                    ReferenceGateway.tools.appendingPathComponent("client.js").path, "--port", String(port),
                    "--token", LiveVerdictTests.token,
                ] + arguments
            self.process.standardOutput = try FileHandle(forWritingTo: self.output)
            self.process.standardError = FileHandle.nullDevice
            try self.process.run()
        }

        /// Waits for the client to end and gives the JSON line it printed.
        func result() throws -> [String: Any] {
            self.process.waitUntilExit()
            let text = (try? String(contentsOf: self.output, encoding: .utf8)) ?? ""
            guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                throw TestFailure("the client printed no result: \(text)")
            }
            return object
        }

        deinit {
            if self.process.isRunning { self.process.terminate() }
            try? FileManager.default.removeItem(at: self.output.deletingLastPathComponent())
        }
    }

    /// Waits until the capture has printed `count` lines that `accept` takes, and gives them with the time the
    /// last one was first seen.
    static func waitForLines(
        _ capture: CaptureCommandTests.BackgroundCapture,
        count: Int,
        timeout: TimeInterval = 15,
        where accept: (Substring) -> Bool = { _ in true }
    ) throws -> (lines: [Substring], seen: Date) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let lines = capture.stdout.split(separator: "\n").filter(accept)
            if lines.count >= count { return (lines, Date()) }
            usleep(10_000)
        }
        throw TestFailure("the capture printed fewer than \(count) such lines: \(capture.stdout)\n\(capture.stderr)")
    }

    /// An RFC 3339 UTC time as wssniff prints it (`2026-03-14T18:42:03.412345678Z`).
    static func date(_ text: String?) throws -> Date {
        guard let text, text.hasSuffix("Z") else { throw TestFailure("not a UTC time: \(text ?? "nil")") }
        let parts = text.dropLast().split(separator: ".", maxSplits: 1)
        guard let whole = ISO8601DateFormatter().date(from: parts[0] + "Z") else {
            throw TestFailure("not an RFC 3339 time: \(text)")
        }
        let fraction = parts.count > 1 ? Double("0." + parts[1]) ?? 0 : 0
        return whole.addingTimeInterval(fraction)
    }

    static func object(_ line: Substring) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(line)")
        }
        return object
    }

    /// A client that is accepted and keeps its connection open 4 s: its handshake event line comes within a second
    /// of `hello-ok`, while it is open, and its connection line when it ends, saying the verdict did not change.
    @Test func longLivedAcceptedConnectionIsReportedAtHelloOK() throws {
        let gateway = try ReferenceGateway(["--token", Self.token])
        let capture = try CaptureCommandTests.BackgroundCapture(port: gateway.port)
        defer { _ = capture.stop() }
        let client = try BackgroundClient(port: gateway.port, ["--scenario", "good-v3", "--hold", "4000"])

        let (early, seen) = try Self.waitForLines(capture, count: 1)
        #expect(client.process.isRunning, "the handshake is reported while the connection is open")
        #expect(early.count == 1, "\(capture.stdout)")
        let event = try Self.object(early[0])
        #expect(event["event"] as? String == "handshake")
        #expect(event["index"] as? Int == 1)
        #expect(event["decidedBy"] as? String == "response")
        let verdict = try #require(event["verdict"] as? [String: Any])
        #expect(verdict["cause"] as? String == "accepted")
        #expect(verdict["observed"] as? Bool == true)
        #expect((verdict["summary"] as? String)?.isEmpty == false)
        #expect((event["server"] as? [String: Any])?["port"] as? Int == Int(gateway.port))
        #expect((event["proof"] as? [String: Any])?["signedForm"] as? String == "v3")
        let response = (event["gateway"] as? [String: Any])?["response"] as? [String: Any]
        #expect(response?["ok"] as? Bool == true)
        // `time` is the capture time of the record that completed hello-ok: the line came within a second of it.
        let helloOK = try Self.date(event["time"] as? String)
        let delay = seen.timeIntervalSince(helloOK)
        print("handshake line seen \(Int(delay * 1_000)) ms after hello-ok was captured")
        #expect(delay < 1.0, "reported \(delay) s after hello-ok")

        let result = try client.result()
        #expect((event["client"] as? [String: Any])?["port"] as? Int == result["clientPort"] as? Int)
        let (lines, _) = try Self.waitForLines(capture, count: 2)
        #expect(lines.count == 2, "\(capture.stdout)")
        let end = try Self.object(lines[1])
        #expect(end["event"] == nil, "the connection's own line")
        #expect(end["index"] as? Int == 1)
        #expect((end["verdict"] as? [String: Any])?["cause"] as? String == "accepted")
        #expect((end["tcp"] as? [String: Any])?["end"] as? String == "fin")
        let reported = try #require(end["handshakeEvent"] as? [String: Any])
        #expect(reported["cause"] as? String == "accepted")
        #expect(reported["packet"] as? Int == event["packet"] as? Int)
        #expect(reported["verdictChanged"] as? Bool == false)
        let ended = try Self.date((end["tcp"] as? [String: Any])?["endTime"] as? String)
        #expect(ended.timeIntervalSince(helloOK) > 3.5, "the connection stayed open after hello-ok")
    }

    /// The same in text: the connection's block with its verdict while it is open, then one line when it ends.
    @Test func longLivedAcceptedConnectionIsReportedAtHelloOKInText() throws {
        let gateway = try ReferenceGateway(["--token", Self.token])
        let capture = try CaptureCommandTests.BackgroundCapture(port: gateway.port, extra: ["--format", "text"])
        defer { _ = capture.stop() }
        let client = try BackgroundClient(port: gateway.port, ["--scenario", "good-v3", "--hold", "4000"])

        let started = Date()
        let (early, seen) = try Self.waitForLines(capture, count: 1) { $0.contains("verdict: ") }
        #expect(client.process.isRunning, "the verdict is printed while the connection is open")
        #expect(seen.timeIntervalSince(started) < 3, "printed at hello-ok, not at the end 4 s later")
        #expect(early.first?.hasPrefix("    verdict: accepted: ") == true, "\(capture.stdout)")
        let first = try #require(capture.stdout.split(separator: "\n").first)
        #expect(first.hasPrefix("#1 127.0.0.1:"))
        #expect(first.contains("handshake decided at packet"))
        #expect(first.contains("connection still open"))
        #expect(!capture.stdout.contains("ended:"))

        _ = try client.result()
        let (ends, _) = try Self.waitForLines(capture, count: 1) { $0.contains("ended:") }
        #expect(ends.first?.hasPrefix("#1 127.0.0.1:") == true)
        #expect(ends.first?.contains("closed with FIN") == true, "\(capture.stdout)")
        #expect(ends.first?.hasSuffix("verdict accepted as reported") == true, "\(capture.stdout)")
        // The end is one line: no second verdict.
        let verdicts = capture.stdout.split(separator: "\n").filter { $0.contains("verdict: ") }
        #expect(verdicts.count == 1, "\(capture.stdout)")
    }

    /// A rejected connect (protocol 4): the gateway's error `res` decides the handshake; the event line says
    /// protocol-mismatch, and the connection's line at its close says the same, unchanged.
    @Test func rejectedConnectionIsReportedByItsAnswerThenItsClose() throws {
        let gateway = try ReferenceGateway(["--token", Self.token])
        let capture = try CaptureCommandTests.BackgroundCapture(port: gateway.port)
        defer { _ = capture.stop() }
        let result = try gateway.client(["--scenario", "protocol-4", "--token", Self.token])
        #expect(result.status == 0)
        let (lines, _) = try Self.waitForLines(capture, count: 2)
        #expect(lines.count == 2, "\(capture.stdout)")
        let event = try Self.object(lines[0])
        let end = try Self.object(lines[1])
        #expect(event["event"] as? String == "handshake")
        #expect(event["decidedBy"] as? String == "response")
        #expect((event["verdict"] as? [String: Any])?["cause"] as? String == "protocol-mismatch")
        #expect((event["verdict"] as? [String: Any])?["observed"] as? Bool == true)
        let error = ((event["gateway"] as? [String: Any])?["response"] as? [String: Any])?["error"] as? [String: Any]
        #expect(error?["message"] as? String == "protocol mismatch")
        #expect(end["event"] == nil)
        #expect(end["index"] as? Int == event["index"] as? Int)
        #expect((end["verdict"] as? [String: Any])?["cause"] as? String == "protocol-mismatch")
        let closes = (end["websocket"] as? [String: Any])?["closes"] as? [[String: Any]]
        #expect(closes?.first?["code"] as? Int == 1002)
        let reported = try #require(end["handshakeEvent"] as? [String: Any])
        #expect(reported["verdictChanged"] as? Bool == false)
        #expect(reported["cause"] as? String == "protocol-mismatch")
        let decided = try Self.date(event["time"] as? String)
        let ended = try Self.date((end["tcp"] as? [String: Any])?["endTime"] as? String)
        #expect(decided <= ended)
    }
}
