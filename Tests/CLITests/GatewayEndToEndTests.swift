import Foundation
import Glibc
import Testing

/// The reference gateway (node-ws) on a free port, `wssniff capture --format jsonl` watching it, every client
/// scenario run once: wssniff's verdict for each connection must equal the cause the gateway logged.
@Suite(.serialized) struct GatewayEndToEndTests {
    static let tools = TestSupport.packageRoot.appendingPathComponent("tools/gateway")
    static let token = "wssniff-reference-token"

    static var nodeAvailable: Bool {
        TestSupport.which("node") != nil && FileManager.default.fileExists(atPath: "/usr/share/nodejs/ws/package.json")
    }

    /// Runs node with Debian's `ws` on the module path.
    static func node(_ arguments: [String], timeout: TimeInterval = 20) throws -> TestSupport.Output {
        try TestSupport.run("/usr/bin/env", ["NODE_PATH=/usr/share/nodejs", "node"] + arguments, timeout: timeout)
    }

    /// The scenario names and raw rules the reference client knows.
    static func scenarios() throws -> [[String]] {
        let list = try Self.node([Self.tools.appendingPathComponent("client.js").path, "--port", "1", "--list"])
        return list.stdout.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            // `--current` scenarios need a gateway started with `--profile current` (ProfileSampleTests has them).
            guard let first = words.first, first != "--current" else { return nil }
            return first == "--raw" && words.count > 1 ? ["--raw", words[1]] : ["--scenario", first]
        }
    }

    @Test(.enabled(if: TestSupport.isRoot && Self.nodeAvailable, "needs root (live capture) and node with node-ws"))
    func everyScenarioGetsTheGatewaysCause() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("gateway.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let port = try LoopbackExchange.freePort()

        let gateway = Process()
        gateway.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gateway.arguments = [
            "NODE_PATH=/usr/share/nodejs", "node", Self.tools.appendingPathComponent("gateway.js").path,
            "--port", String(port), "--token", Self.token, "--log", log.path,
        ]
        let gatewayOut = directory.appendingPathComponent("gateway.out")
        FileManager.default.createFile(atPath: gatewayOut.path, contents: nil)
        gateway.standardOutput = try FileHandle(forWritingTo: gatewayOut)
        gateway.standardError = FileHandle.nullDevice
        try gateway.run()
        defer {
            if gateway.isRunning {
                gateway.terminate()
                gateway.waitUntilExit()
            }
        }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !((try? String(contentsOf: gatewayOut, encoding: .utf8)) ?? "").contains("listening") {
            usleep(50_000)
        }

        let report = directory.appendingPathComponent("report.md")
        let capture = try CaptureCommandTests.BackgroundCapture(port: port, extra: ["--report", report.path])
        let scenarios = try Self.scenarios()
        #expect(scenarios.count >= 30)
        for scenario in scenarios {
            _ = try Self.node(
                [Self.tools.appendingPathComponent("client.js").path, "--port", String(port), "--token", Self.token]
                    + scenario
            )
        }
        // An upgrade the gateway's `ws` refuses (no Sec-WebSocket-Key): HTTP 400, never a WebSocket.
        let bad = try LoopbackExchange.connect(port: port)
        try LoopbackExchange.sendAll(
            bad,
            Array(
                "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"
                    .utf8
            )
        )
        let refusal = String(decoding: LoopbackExchange.receiveAll(bad), as: UTF8.self)
        close(bad)
        #expect(refusal.hasPrefix("HTTP/1.1 400"))
        // The gateway logs each connection as it ends, late on a busy machine: wait for every scenario's line.
        let logDeadline = Date().addingTimeInterval(15)
        while Date() < logDeadline,
            ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").count < scenarios.count
        {
            usleep(100_000)
        }
        usleep(500_000)
        let status = capture.stop()
        #expect(status == 0, "capture: \(capture.stderr)")

        // What the gateway decided, by client port.
        var logged: [Int: String] = [:]
        for line in ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let remote = object["remotePort"] as? Int, let cause = object["cause"] as? String
            else { continue }
            // A breach after hello-ok is logged under `after`: what closed the connection, which wssniff explains.
            logged[remote] = (object["after"] as? [String: Any])?["cause"] as? String ?? cause
        }
        // What wssniff said live, one JSON line per connection as it ended; and, before it, an event line when the
        // handshake was decided.
        var said: [Int: (String, String)] = [:]
        var early: [Int: (cause: String, observed: Bool)] = [:]
        var changed: [Int: Bool] = [:]
        for line in capture.stdout.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let client = (object["client"] as? [String: Any])?["port"] as? Int,
                let verdict = object["verdict"] as? [String: Any]
            else { continue }
            if object["event"] as? String == "handshake" {
                #expect(said[client] == nil, "client port \(client): the handshake event comes before the end")
                early[client] = (verdict["cause"] as? String ?? "", verdict["observed"] as? Bool ?? false)
                continue
            }
            said[client] = (verdict["cause"] as? String ?? "", verdict["summary"] as? String ?? "")
            let reported = object["handshakeEvent"] as? [String: Any]
            #expect((reported == nil) == (early[client] == nil), "client port \(client): handshakeEvent iff an event")
            changed[client] = reported?["verdictChanged"] as? Bool
        }
        // The early verdict is the final one unless the end line says later traffic changed it: a breach after an
        // accepted handshake, or the close that answers a client's bad close frame (predicted, then observed).
        #expect(early.count >= scenarios.count - 4, "most handshakes are decided while open: \(early.count)")
        for (port, (cause, observed)) in early.sorted(by: { $0.key < $1.key }) {
            if changed[port] == true {
                #expect(
                    cause == "accepted" || !observed,
                    "client port \(port): changed from \(cause) to \(said[port]?.0 ?? "")"
                )
            } else {
                #expect(cause == said[port]?.0, "client port \(port): early \(cause), final \(said[port]?.0 ?? "")")
            }
        }
        #expect(changed.values.contains(true), "chat-invalid-utf8: accepted, then closed with 1007")
        #expect(logged.count >= scenarios.count, "the gateway logged every connection")
        let refused = said.filter { logged[$0.key] == nil }
        #expect(refused.count == 1, "one connection the gateway never logged: the refused upgrade")
        #expect(refused.first?.value.0 == "upgrade-rejected")
        #expect(refused.first?.value.1.contains("400") == true)
        for (port, cause) in logged.sorted(by: { $0.key < $1.key }) {
            let verdict = said[port]
            #expect(
                verdict?.0 == cause,
                "client port \(port): gateway \(cause), wssniff \(verdict?.0 ?? "nothing"): \(verdict?.1 ?? "")"
            )
        }

        // Nothing wssniff printed or wrote carries the shared token; the report was written when the capture ended.
        #expect(!capture.stdout.contains(Self.token) && !capture.stderr.contains(Self.token))
        let written0600 = try FileManager.default.attributesOfItem(atPath: report.path)[.posixPermissions] as? Int
        #expect(written0600 == 0o600)
        let markdown = try String(contentsOf: report, encoding: .utf8)
        #expect(!markdown.contains(Self.token))
        #expect(markdown.contains("```mermaid"))
        #expect(markdown.contains("protocol-mismatch"))
        // Each distinct failing cause has its own steps, naming its connections; the environment is the capturer's.
        for cause in Set(said.values.map(\.0)).subtracting(["accepted"]).sorted() {
            #expect(markdown.contains(". `\(cause)` (connection"), "no steps for \(cause)")
        }
        #expect(markdown.contains("These rows describe the machine that captured (live, on `"))

        // The -w file is complete: every packet wssniff wrote reads back, and tshark reads it too.
        let written = capture.stderr.firstMatch(of: /(\d+) written to/).flatMap { Int($0.output.1) } ?? -1
        let document = try TestSupport.analyzeJSON([capture.pcap.path], extra: ["--port", String(port)])
        let input = try #require(document["input"] as? [String: Any])
        #expect(input["packets"] as? Int == written)
        #expect(input["complete"] as? Bool == true)
        #expect((document["connections"] as? [Any])?.count == logged.count + 1)
    }
}
