import Foundation
import Glibc
import Testing

/// Live WebSocket conversations between real peers on loopback (Python `websockets` and Debian's `node-ws`), captured
/// by `wssniff capture` and read back by `wssniff analyze`. Every expected value comes from what the peers themselves
/// report: what they sent, what came back, what they negotiated, and the close code `ws` really sent.
@Suite(.serialized, .enabled(if: TestSupport.isRoot, "live capture needs root"))
struct LiveWebSocketTests {
    // MARK: - Peers

    static let peersDirectory = TestSupport.packageRoot.appendingPathComponent("scripts/peers")
    static let nodePath = "/usr/share/nodejs"

    /// `node`, when it can load `ws`.
    static let node: String? = {
        guard let node = Self.inPath("node") else { return nil }
        let probe = try? TestSupport.run(
            "/usr/bin/env",
            ["NODE_PATH=\(Self.nodePath)", node, "-e", "require('ws')"],
            timeout: 20
        )
        return probe?.status == 0 ? node : nil
    }()

    /// A `python3` that can import `websockets` (the first on PATH that can, as pip may have installed it anywhere).
    static let python: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/python3" } + ["/usr/bin/python3"]
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            let probe = try? TestSupport.run(candidate, ["-c", "import websockets.asyncio.server"], timeout: 20)
            if probe?.status == 0 { return candidate }
        }
        return nil
    }()

    static func inPath(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
            let candidate = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The command line that runs a peer script with its interpreter.
    static func command(_ script: String, _ arguments: [String]) throws -> [String] {
        let path = Self.peersDirectory.appendingPathComponent(script).path
        if script.hasSuffix(".js") {
            guard let node = Self.node else { throw TestFailure("node with ws is missing") }
            return ["NODE_PATH=\(Self.nodePath)", node, path] + arguments
        }
        guard let python = Self.python else { throw TestFailure("python3 with websockets is missing") }
        return ["PYTHONUNBUFFERED=1", python, path] + arguments
    }

    /// Runs a client peer to its end and parses the JSON line it writes to its `--result` file.
    static func runClient(_ script: String, _ arguments: [String]) throws -> (json: [String: Any], raw: String) {
        let result = FileManager.default.temporaryDirectory.appendingPathComponent("wssniff-peer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: result) }
        let output = try TestSupport.run(
            "/usr/bin/env",
            try Self.command(script, arguments + ["--result", result.path]),
            timeout: 30
        )
        let line = (try? String(contentsOf: result, encoding: .utf8)) ?? ""
        let log = "status \(output.status)\n\(output.stdout)\(output.stderr)\n\(line)"
        guard let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestFailure("\(script) wrote no JSON result: \(log.prefix(2_000))")
        }
        return (json, log)
    }

    /// A server peer running in the background until `stop()`, its stdout in a file.
    final class ServerPeer {
        let process = Process()
        let output: URL

        init(_ script: String, _ arguments: [String]) throws {
            self.output = FileManager.default.temporaryDirectory
                .appendingPathComponent("wssniff-peer-\(UUID().uuidString).out")
            FileManager.default.createFile(atPath: self.output.path, contents: nil)
            self.process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            self.process.arguments = try LiveWebSocketTests.command(script, arguments)
            let handle = try FileHandle(forWritingTo: self.output)
            self.process.standardOutput = handle
            self.process.standardError = handle
            self.process.standardInput = FileHandle.nullDevice
            try self.process.run()
            let deadline = Date().addingTimeInterval(15)
            while Date() < deadline {
                if self.text.split(separator: "\n").contains("ready") { return }
                if !self.process.isRunning { break }
                usleep(20_000)
            }
            throw TestFailure("\(script) did not start: \(self.text)")
        }

        var text: String { (try? String(contentsOf: self.output, encoding: .utf8)) ?? "" }

        /// Waits for the server to end and returns the JSON lines it printed (one per connection).
        func stop() -> [[String: Any]] {
            // Started with --once, the server exits by itself after its connection; SIGTERM, then SIGKILL, if not.
            for signal in [0, SIGTERM, SIGKILL] where self.process.isRunning {
                if signal != 0 { kill(self.process.processIdentifier, signal) }
                let deadline = Date().addingTimeInterval(3)
                while self.process.isRunning, Date() < deadline { usleep(20_000) }
            }
            self.process.waitUntilExit()
            return self.text.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        deinit {
            if self.process.isRunning { self.process.terminate() }
            try? FileManager.default.removeItem(at: self.output)
        }
    }

    /// One live exchange: capture on a free port, start the server, run the client, stop everything, analyze.
    /// The capture and the peers' outputs are kept in `/tmp/wssniff-live/` under `name` for inspection.
    static func live(
        name: String,
        server: (script: String, arguments: [String]),
        client: (script: String, arguments: [String])
    ) throws -> (client: [String: Any], server: [[String: Any]], websocket: [String: Any], connection: [String: Any]) {
        let port = try LoopbackExchange.freePort()
        let capture = try CaptureCommandTests.BackgroundCapture(port: port)
        let serverPeer = try ServerPeer(server.script, [String(port)] + server.arguments + ["--once"])
        let clientResult = Result { try Self.runClient(client.script, [String(port)] + client.arguments) }
        usleep(300_000)
        let serverLines = serverPeer.stop()
        usleep(200_000)
        let status = capture.stop()

        let kept = URL(fileURLWithPath: "/tmp/wssniff-live")
        try? FileManager.default.createDirectory(at: kept, withIntermediateDirectories: true)
        let pcap = kept.appendingPathComponent("\(name).pcap")
        try? FileManager.default.removeItem(at: pcap)
        try FileManager.default.copyItem(at: capture.pcap, to: pcap)
        let clientLog = (try? clientResult.get().raw) ?? "\(clientResult)"
        let peersLog = "port \(port)\n--- server\n\(serverPeer.text)\n--- client\n\(clientLog)"
        try? Data(peersLog.utf8).write(to: kept.appendingPathComponent("\(name).peers.txt"))

        guard status == 0 else { throw TestFailure("capture exited \(status): \(capture.stderr)") }
        let clientJSON = try clientResult.get().json
        let document = try TestSupport.analyzeJSON(
            [pcap.path],
            extra: ["--frames", "--messages", "--port", String(port)]
        )
        let connections = document["connections"] as? [[String: Any]] ?? []
        guard connections.count == 1, let connection = connections.first,
            let websocket = connection["websocket"] as? [String: Any]
        else {
            throw TestFailure("expected one WebSocket connection in \(pcap.path), got \(connections.count)")
        }
        return (clientJSON, serverLines, websocket, connection)
    }

    // MARK: - permessage-deflate in every parameter combination, fragments and pings between them

    struct DeflateCase: CustomTestStringConvertible, Sendable {
        var name: String
        var client: [String]
        var server: [String]
        var expectDeflate: Bool
        var testDescription: String { self.name }

        static func same(_ name: String, _ flags: [String], deflate: Bool = true) -> Self {
            Self(name: name, client: flags, server: flags, expectDeflate: deflate)
        }

        static func windowBits(_ bits: Int) -> Self {
            Self.same(
                "max-window-bits-\(bits)",
                ["--server-max-window-bits", String(bits), "--client-max-window-bits", String(bits)]
            )
        }

        static let all: [Self] = [
            .same("off", ["--no-deflate"], deflate: false),
            .same("context-takeover", []),
            .same("server-no-context-takeover", ["--server-no-context-takeover"]),
            .same("client-no-context-takeover", ["--client-no-context-takeover"]),
            .same("both-no-context-takeover", ["--server-no-context-takeover", "--client-no-context-takeover"]),
            .windowBits(9),
            .windowBits(10),
            .windowBits(12),
            Self(
                name: "mixed",
                client: ["--server-no-context-takeover", "--client-max-window-bits", "10"],
                server: ["--client-no-context-takeover", "--server-max-window-bits", "11"],
                expectDeflate: true
            ),
        ]
    }

    enum Pair: String, CaseIterable, Sendable {
        /// node `ws` client (fragment_client.js) against a Python `websockets` server (deflate_server.py).
        case nodeClientPythonServer = "node-to-python"
        /// Python `websockets` client (deflate_client.py) against a node `ws` server (ws_server.js).
        case pythonClientNodeServer = "python-to-node"

        var client: String { self == .nodeClientPythonServer ? "fragment_client.js" : "deflate_client.py" }
        var server: String { self == .nodeClientPythonServer ? "deflate_server.py" : "ws_server.js" }
    }

    static let peersAvailable = Self.node != nil && Self.python != nil

    @Test(
        .enabled(if: LiveWebSocketTests.peersAvailable, "needs node with ws and python3 with websockets"),
        arguments: Pair.allCases,
        DeflateCase.all
    )
    func deflateExchangeIsDissectedExactly(pair: Pair, deflateCase: DeflateCase) throws {
        let live = try Self.live(
            name: "\(pair.rawValue)-\(deflateCase.name)",
            server: (pair.server, deflateCase.server),
            client: (pair.client, deflateCase.client)
        )
        let client = live.client
        let websocket = live.websocket
        let tcp = live.connection["tcp"] as? [String: Any] ?? [:]
        #expect(tcp["gaps"] as? Int == 0)

        // The upgrade: the extension header wssniff read is the one the client received, and the server agrees.
        let upgrade = try #require(websocket["upgrade"] as? [String: Any])
        #expect(upgrade["status"] as? Int == 101)
        #expect(upgrade["acceptValid"] as? Bool == true)
        let header = client["extensions"] as? String
        #expect(upgrade["extensions"] as? String == header)
        let serverClose = live.server.first { $0["event"] as? String == "close" }
        #expect(serverClose?["extensions"] as? String == header, "the server's response header")
        let negotiated = header?.contains("permessage-deflate") ?? false
        #expect(negotiated == deflateCase.expectDeflate, "negotiated: \(header ?? "nothing")")
        if negotiated, let header {
            let deflate = try #require(upgrade["permessageDeflate"] as? [String: Any])
            let expected = Self.deflateParameters(header)
            #expect(deflate["serverNoContextTakeover"] as? Bool == expected.serverNoContextTakeover)
            #expect(deflate["clientNoContextTakeover"] as? Bool == expected.clientNoContextTakeover)
            #expect(deflate["serverMaxWindowBits"] as? Int == expected.serverMaxWindowBits)
            #expect(deflate["clientMaxWindowBits"] as? Int == expected.clientMaxWindowBits)
            // The client library's own reading of the response says the same about context takeover.
            let params = client["params"] as? [String: Any] ?? [:]
            #expect((params["server_no_context_takeover"] as? Bool ?? false) == expected.serverNoContextTakeover)
            #expect((params["client_no_context_takeover"] as? Bool ?? false) == expected.clientNoContextTakeover)
        } else {
            #expect(upgrade["permessageDeflate"] == nil || upgrade["permessageDeflate"] is NSNull)
        }

        // Messages: each direction's texts are exactly what was sent and echoed, all compressed iff negotiated.
        let sent = client["sent"] as? [[String: Any]] ?? []
        let received = client["received"] as? [[String: Any]] ?? []
        #expect(sent.count == 9)
        #expect(received.map(Self.content) == sent.map(Self.content), "the server echoed every message")
        let messages = websocket["messages"] as? [[String: Any]] ?? []
        let clientMessages = messages.filter { $0["direction"] as? String == "client" }
        let serverMessages = messages.filter { $0["direction"] as? String == "server" }
        #expect(clientMessages.map(Self.content) == sent.map(Self.content))
        #expect(serverMessages.map(Self.content) == received.map(Self.content))
        for message in messages {
            #expect(
                message["compressed"] as? Bool == negotiated,
                "message frames \(message["firstFrame"] ?? "?")-\(message["lastFrame"] ?? "?")"
            )
        }

        // Frames: client frames masked, server frames not; RSV1 on the first frame of each compressed message only.
        let frames = websocket["frames"] as? [[String: Any]] ?? []
        let framesByNumber = Dictionary(frames.map { ($0["number"] as? Int ?? 0, $0) }) { first, _ in first }
        for frame in frames {
            let direction = frame["direction"] as? String
            #expect(frame["masked"] as? Bool == (direction == "client"), "frame \(frame["number"] ?? "?")")
        }
        for message in messages {
            let first = message["firstFrame"] as? Int ?? 0
            let last = message["lastFrame"] as? Int ?? 0
            let direction = message["direction"] as? String
            let own = (first...max(first, last)).compactMap { framesByNumber[$0] }
                .filter { $0["direction"] as? String == direction && ($0["opcode"] as? Int ?? 0) < 8 }
            #expect(own.first?["rsv"] as? Int == (negotiated ? 4 : 0), "first frame \(first)")
            #expect(own.dropFirst().allSatisfy { $0["rsv"] as? Int == 0 }, "continuations of frame \(first)")
            #expect(own.last?["fin"] as? Bool == true)
            #expect(own.dropLast().allSatisfy { $0["fin"] as? Bool == false })
        }

        // The fragmented message: as many frames as the client sent, the ping between its first and last frame.
        for (index, entry) in sent.enumerated() where (entry["frames"] as? Int ?? 1) > 1 {
            let message = try #require(clientMessages.count > index ? clientMessages[index] : nil)
            let first = try #require(message["firstFrame"] as? Int)
            let last = try #require(message["lastFrame"] as? Int)
            let between = frames.filter {
                let number = $0["number"] as? Int ?? 0
                return $0["direction"] as? String == "client" && number >= first && number <= last
            }
            let data = between.filter { ($0["opcode"] as? Int ?? 0) < 8 }
            #expect(data.count == entry["frames"] as? Int)
            if pair == .nodeClientPythonServer { #expect(data.count == 3) }
            #expect(data.map { $0["opcode"] as? Int } == [1] + Array(repeating: 0, count: max(0, data.count - 1)))
            let ping = try #require(entry["pingAfterFirstFrame"] as? String)
            let pings = between.filter { $0["opcode"] as? Int == 9 }
            #expect(pings.count == 1)
            #expect(pings.first?["length"] as? Int == ping.utf8.count)
            let pingNumber = pings.first?["number"] as? Int ?? 0
            #expect(first < pingNumber && pingNumber < last)
            #expect(message["text"] as? String == entry["text"] as? String)
        }
        // Every pong the client got is a server pong frame.
        let pongs = frames.filter { $0["opcode"] as? Int == 10 && $0["direction"] as? String == "server" }
        #expect(pongs.count == (client["pongs"] as? [Any])?.count)

        // Nothing broke a rule; the client closed with 1000 "bye" and the server echoed it.
        let violations = websocket["violations"] as? [[String: Any]] ?? []
        #expect(violations.isEmpty, "\(violations)")
        let closes = websocket["closes"] as? [[String: Any]] ?? []
        #expect(closes.count == 2)
        let clientClose = closes.first { $0["direction"] as? String == "client" }
        let echo = closes.first { $0["direction"] as? String == "server" }
        #expect(clientClose?["code"] as? Int == serverClose?["code"] as? Int)
        #expect(clientClose?["code"] as? Int == 1000)
        #expect(clientClose?["reason"] as? String == serverClose?["reason"] as? String)
        #expect(clientClose?["initiated"] as? Bool == true)
        #expect(clientClose?["echoed"] as? Bool == true)
        let clientSaw = client["close"] as? [String: Any]
        #expect(echo?["code"] as? Int == clientSaw?["code"] as? Int)
        #expect(echo?["reason"] as? String == clientSaw?["reason"] as? String)
        #expect(echo?["initiated"] as? Bool == false)
    }

    /// What a message is, for comparison: its type and its text or base64.
    static func content(_ message: [String: Any]) -> String {
        if let text = message["text"] as? String { return "text:\(text)" }
        if let base64 = message["base64"] as? String { return "binary:\(base64)" }
        if let type = message["type"] as? String { return "\(type):?" }
        return "opcode \(message["opcode"] ?? "?"):?"
    }

    struct DeflateParameters {
        var serverNoContextTakeover = false
        var clientNoContextTakeover = false
        var serverMaxWindowBits: Int?
        var clientMaxWindowBits: Int?
    }

    /// The parameters of the first permessage-deflate in a Sec-WebSocket-Extensions response header.
    static func deflateParameters(_ header: String) -> DeflateParameters {
        let offer = header.split(separator: ",").first { $0.contains("permessage-deflate") } ?? ""
        var result = DeflateParameters()
        for parameter in offer.split(separator: ";").dropFirst() {
            let parts = parameter.split(separator: "=", maxSplits: 1).map {
                $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
            let value = parts.count > 1 ? Int(parts[1]) : nil
            switch parts.first {
            case "server_no_context_takeover": result.serverNoContextTakeover = true
            case "client_no_context_takeover": result.clientNoContextTakeover = true
            case "server_max_window_bits": result.serverMaxWindowBits = value
            case "client_max_window_bits": result.clientMaxWindowBits = value
            default: break
            }
        }
        return result
    }

    // MARK: - A raw client breaks each rule against a real ws server

    static let rules = [
        "client-frame-unmasked", "rsv-without-extension", "reserved-opcode", "continuation-without-start",
        "data-frame-inside-fragmented-message", "control-frame-fragmented", "control-frame-too-long",
        "close-payload-one-byte", "invalid-close-code", "invalid-utf8",
    ]

    @Test(.enabled(if: LiveWebSocketTests.node != nil, "needs node with ws"), arguments: LiveWebSocketTests.rules)
    func ruleBreachIsLinkedToTheCloseWsSent(rule: String) throws {
        try self.checkBreach(rule: rule, server: ["--no-deflate"], client: [])
    }

    /// A gateway-like `ws` server (it greets with `connect.challenge`, maxPayload 64 KiB) answers a 70 000-byte message
    /// with 1009.
    @Test(.enabled(if: LiveWebSocketTests.node != nil, "needs node with ws"))
    func messageTooBigIsLinkedToThe1009WsSent() throws {
        let close = try self.checkBreach(
            rule: "message-too-big",
            server: ["--no-deflate", "--max-payload", "65536", "--challenge"],
            client: ["--wait-challenge"]
        )
        #expect(close == 1009)
    }

    /// Checks one breach and returns the close code the server sent.
    @discardableResult
    func checkBreach(rule: String, server: [String], client: [String]) throws -> Int? {
        let live = try Self.live(
            name: "raw-\(rule)",
            server: ("ws_server.js", server),
            client: ("raw_client.js", [rule] + client)
        )
        let raw = live.client
        let websocket = live.websocket
        #expect(raw["status"] as? Int == 101)
        let close = try #require(raw["close"] as? [String: Any], "the server sent no close frame: \(raw)")
        let code = try #require(close["code"] as? Int)
        #expect(code != 1000, "ws answered the breach with \(code)")

        // The frame that broke the rule is the client's n-th frame, as the raw client counts them.
        let frames = websocket["frames"] as? [[String: Any]] ?? []
        let clientFrames = frames.filter { $0["direction"] as? String == "client" }
        let breaking = try #require(raw["breakingFrame"] as? Int)
        let frameNumber = try #require(
            clientFrames.count >= breaking ? clientFrames[breaking - 1]["number"] as? Int : nil,
            "only \(clientFrames.count) client frames"
        )

        let violations = websocket["violations"] as? [[String: Any]] ?? []
        let violation = violations.first { $0["rule"] as? String == rule }
        #expect(violation != nil, "no \(rule) among \(violations.map { $0["rule"] ?? "?" })")
        #expect(violation?["direction"] as? String == "client")
        #expect(violation?["frame"] as? Int == frameNumber)
        #expect(violation?["closeCode"] as? Int == code, "the code a conforming peer answers is what ws sent")

        let closes = websocket["closes"] as? [[String: Any]] ?? []
        let serverClose = closes.first { $0["direction"] as? String == "server" }
        #expect(serverClose?["code"] as? Int == code)
        #expect(serverClose?["reason"] as? String == close["reason"] as? String)
        let answers = serverClose?["answers"] as? [String: Any]
        #expect(answers?["rule"] as? String == rule, "closes: \(closes)")
        #expect(answers?["direction"] as? String == "client")
        #expect(answers?["frame"] as? Int == frameNumber)
        return code
    }

    /// `ws` accepts a length encoded in more bytes than needed: wssniff reports it, and no 1002 follows.
    @Test(.enabled(if: LiveWebSocketTests.node != nil, "needs node with ws"))
    func nonMinimalLengthIsReportedWithoutAClose() throws {
        let live = try Self.live(
            name: "raw-non-minimal-length",
            server: ("ws_server.js", ["--no-deflate"]),
            client: ("raw_client.js", ["non-minimal-length"])
        )
        let raw = live.client
        let websocket = live.websocket
        let received = raw["received"] as? [[String: Any]] ?? []
        let echoed = try #require(received.first { $0["opcode"] as? Int == 1 }?["text"] as? String, "no echo: \(raw)")

        let frames = websocket["frames"] as? [[String: Any]] ?? []
        let firstClientFrame = frames.first { $0["direction"] as? String == "client" }
        let violations = websocket["violations"] as? [[String: Any]] ?? []
        #expect(violations.map { $0["rule"] as? String } == ["non-minimal-length"])
        #expect(violations.first?["direction"] as? String == "client")
        #expect(violations.first?["frame"] as? Int == firstClientFrame?["number"] as? Int)
        #expect(violations.first?["closeCode"] as? Int != 1002)

        // The message went through whole and was echoed; the only closes are the client's and the server's echo.
        let messages = websocket["messages"] as? [[String: Any]] ?? []
        #expect(messages.map { $0["text"] as? String } == [echoed, echoed])
        let closes = websocket["closes"] as? [[String: Any]] ?? []
        let close = raw["close"] as? [String: Any]
        #expect(closes.map { $0["code"] as? Int } == [close?["code"] as? Int, close?["code"] as? Int])
        #expect(!closes.contains { $0["code"] as? Int == 1002 })
        #expect(closes.first?["direction"] as? String == "client")
        #expect(closes.first?["echoed"] as? Bool == true)
        #expect(closes.allSatisfy { $0["answers"] == nil || $0["answers"] is NSNull })
    }
}
