import Foundation
import Glibc
import Testing

/// What a shell user reads: the closing tally, `--failed` and `--connection`, the hint when nothing was found,
/// counted nouns, errors for bad numbers, help that fits 80 columns, and `sign`'s token sources.
@Suite struct ShellOutputTests {
    static func sample(_ name: String) -> String {
        TestSupport.samplesDirectory.appendingPathComponent(name).path
    }

    static let interleaved = Self.sample("interleaved.pcap")

    /// The `#N` numbers of the connections a text output shows.
    static func shownNumbers(_ text: String) -> [Int] {
        text.split(separator: "\n").compactMap { line in
            guard line.first == "#" else { return nil }
            return Int(line.dropFirst().prefix { $0.isNumber })
        }
    }

    @Test func tallyCountsEveryVerdict() throws {
        let document = try TestSupport.analyzeJSON([Self.interleaved])
        let connections = try #require(document["connections"] as? [[String: Any]])
        let causes = connections.compactMap { ($0["verdict"] as? [String: Any])?["cause"] as? String }
        #expect(causes.count == 8)
        var counts: [String: Int] = [:]
        for cause in causes { counts[cause, default: 0] += 1 }
        let output = try TestSupport.wssniff("analyze", Self.interleaved)
        let last = try #require(output.stdout.split(separator: "\n").last.map(String.init))
        #expect(last.hasPrefix("8 connections: 3 accepted, "))
        let parts = last.dropFirst("8 connections: ".count).components(separatedBy: ", ")
        var printed: [String: Int] = [:]
        for part in parts {
            let fields = part.split(separator: " ")
            guard fields.count == 2 else {
                Issue.record("not a count and a cause: \(part)")
                continue
            }
            printed[String(fields[1]), default: 0] += Int(fields[0]) ?? -1
        }
        #expect(printed == counts)
    }

    @Test func failedShowsOnlyConnectionsNotAccepted() throws {
        let document = try TestSupport.analyzeJSON([Self.interleaved])
        let connections = try #require(document["connections"] as? [[String: Any]])
        let failing = connections.filter { ($0["verdict"] as? [String: Any])?["cause"] as? String != "accepted" }
            .compactMap { $0["index"] as? Int }
        #expect(failing.count == 5)
        let text = try TestSupport.wssniff("analyze", "--failed", Self.interleaved)
        #expect(text.status == 0)
        #expect(Self.shownNumbers(text.stdout) == failing)
        #expect(text.stdout.contains("(5 shown)"))
        let json = try TestSupport.analyzeJSON([Self.interleaved], extra: ["--failed"])
        let shown = try #require(json["connections"] as? [[String: Any]])
        #expect(shown.compactMap { $0["index"] as? Int } == failing)
    }

    @Test func connectionShowsOne() throws {
        let text = try TestSupport.wssniff("analyze", "--connection", "3", Self.interleaved)
        #expect(text.status == 0)
        #expect(Self.shownNumbers(text.stdout) == [3])
        let json = try TestSupport.analyzeJSON([Self.interleaved], extra: ["--connection", "3"])
        let all = try #require(try TestSupport.analyzeJSON([Self.interleaved])["connections"] as? [[String: Any]])
        let one = try #require(json["connections"] as? [[String: Any]])
        #expect(one.count == 1)
        #expect(one.first?["index"] as? Int == 3)
        #expect(
            (one.first?["client"] as? [String: Any])?["port"] as? Int
                == (all[2]["client"] as? [String: Any])?["port"] as? Int
        )
        let missing = try TestSupport.wssniff("analyze", "--connection", "9", Self.interleaved)
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("the input has 8 connections"))
    }

    @Test func hintWhenNoGatewayTraffic() throws {
        // A WebSocket capture of another service: WebSocket, but no gateway handshake.
        let echo = try TestSupport.wssniff("analyze", Self.sample("websocket-echo.pcap"))
        #expect(echo.stdout.contains("hint: no gateway handshake (connect.challenge or connect) was found"))
        // A gateway capture: no hint.
        let good = try TestSupport.wssniff("analyze", Self.sample("good-v3.pcap"))
        #expect(!good.stdout.contains("hint:"))
        // A connection cut after its TCP handshake, before the upgrade, on a port other than the gateway's.
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.sample("good-v3.pcap"))))
        var end = 24
        for _ in 0..<3 { end += 16 + (Int(bytes[end + 8]) | Int(bytes[end + 9]) << 8) }
        let handshakeOnly = directory.appendingPathComponent("syn.pcap")
        try Data(bytes.prefix(end)).write(to: handshakeOnly)
        let plain = try TestSupport.wssniff("analyze", handshakeOnly.path)
        #expect(plain.stdout.contains("1 connection: not-websocket\nhint: the TCP connection is not WebSocket."))
        #expect(plain.stdout.contains("If the gateway listens on another port than 42919, pass --port N"))
        // A capture with no packet at all: its file header only.
        let headerOnly = directory.appendingPathComponent("empty.pcap")
        try Data(try Data(contentsOf: URL(fileURLWithPath: Self.sample("good-v3.pcap"))).prefix(24)).write(
            to: headerOnly
        )
        let nothing = try TestSupport.wssniff("analyze", headerOnly.path)
        #expect(nothing.status == 0)
        #expect(nothing.stdout.contains("no TCP connection\nhint: no TCP connection was found."))
        let json = try TestSupport.wssniff("analyze", "--format", "json", headerOnly.path)
        #expect(json.stderr.contains("hint: no TCP connection was found."))
    }

    @Test func countedNounsOnOneConnection() throws {
        let good = try TestSupport.wssniff("analyze", Self.sample("good-v3.pcap"))
        #expect(good.stdout.hasSuffix("\n1 connection: accepted\n"))
        // One packet: its file header and first record.
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.sample("good-v3.pcap"))))
        let first = Int(bytes[32]) | Int(bytes[33]) << 8
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let onePacket = directory.appendingPathComponent("one.pcap")
        try Data(bytes.prefix(24 + 16 + first)).write(to: onePacket)
        let one = try TestSupport.wssniff("analyze", onePacket.path)
        #expect(one.stdout.contains("(\(24 + 16 + first) bytes, 1 packet)\n1 packet, \(first) bytes"))
        #expect(one.stdout.contains("1 connection: "))
        // One secret value in the sanitizer's note.
        let sanitized = directory.appendingPathComponent("sanitized.pcap").path
        let report = try TestSupport.wssniff("report", Self.sample("bad-params.pcap"), "--sanitized-pcap", sanitized)
        #expect(report.stdout.contains("1 secret value found; 23 bytes rewritten in 1 of 17 packets."))
        #expect(report.stdout.contains("(3153 bytes, 17 packets)"))
    }

    @Test(
        arguments: [
            (["analyze", "--port", "-5", "x.pcap"], "--port must be a TCP port number from 0 to 65535, not -5"),
            (["analyze", "--port", "70000", "x.pcap"], "--port must be a TCP port number from 0 to 65535, not 70000"),
            (
                ["analyze", "--connection", "-1", "x.pcap"],
                "--connection must be a connection number (1 or more), not -1"
            ),
            (["analyze", "--max-connections", "-3", "x.pcap"], "--max-connections must be a number of connections"),
            (["analyze", "--gateway-protocol", "-1", "x.pcap"], "--gateway-protocol must be a protocol version"),
            (["capture", "--duration", "-5"], "--duration must be a positive number of seconds, not -5"),
            (["capture", "--count", "-1"], "--count must be a positive number of packets, not -1"),
            (["capture", "--port", "-1"], "--port must be a TCP port number from 0 to 65535, not -1"),
            (["capture", "-w", "x", "--rotate-size", "-1"], "--rotate-size must be a positive number of megabytes"),
            (
                ["capture", "-w", "x", "--rotate-size", "1", "--rotate-count", "-2"],
                "--rotate-count must be a positive number of files, not -2"
            ),
            (["report", "--port", "-1", "x.pcap"], "--port must be a TCP port number from 0 to 65535, not -1"),
            (["sign", "--identity", "x", "--nonce", "n", "--signed-at", "-5"], "--signed-at must be a time in"),
            (["verify", "x", "--nonce", "n", "--challenge-ts", "-1"], "--challenge-ts must be a time in"),
            (["verify", "x", "--nonce", "n", "--gateway-protocol", "-3"], "--gateway-protocol must be a protocol"),
        ]
    )
    func negativeNumbersSayWhatIsWrong(arguments: [String], message: String) throws {
        let output = try TestSupport.wssniff(arguments: arguments)
        #expect(output.status == 64)
        #expect(output.stderr.contains(message), "\(output.stderr)")
    }

    @Test(
        arguments: [
            ([], nil), (["analyze"], "(values: text, json;"), (["capture"], "(values: text, jsonl;"), (["report"], nil),
            (["sign"], "(values: text, json;"), (["verify"], "(values: text, json;"),
        ] as [([String], String?)]
    )
    func helpFitsEightyColumns(command: [String], formats: String?) throws {
        let script = "COLUMNS=80 '\(TestSupport.binary.path)' \(command.joined(separator: " ")) --help"
        let output = try TestSupport.run("/bin/sh", ["-c", script])
        #expect(output.status == 0)
        let lines = output.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        for line in lines {
            #expect(line.count <= 80, "\(command): \(line)")
        }
        // Examples are whole lines: every line after "Examples:" up to the next blank line is indented.
        if let start = lines.firstIndex(of: "Examples:") {
            for line in lines[(start + 1)...].prefix(while: { !$0.isEmpty }) {
                #expect(line.hasPrefix("  "), "\(command): a wrapped example: \(line)")
            }
        }
        if let formats {
            #expect(output.stdout.contains(formats), "\(command)")
        }
        #expect(command.first != "analyze" || !output.stdout.contains("jsonl"))
    }

    // MARK: - sign

    static let identity = TestSupport.packageRoot.appendingPathComponent("tools/gateway/identities/rfc8032-test1.json")
        .path
    static let signArguments = [
        "sign", "--identity", Self.identity, "--nonce", "n", "--signed-at", "1", "--show-secrets",
    ]

    static func payload(_ output: TestSupport.Output) -> String {
        output.stdout.split(separator: "\n").first.map(String.init) ?? ""
    }

    @Test func signTakesTheTokenFromAFile() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenFile = directory.appendingPathComponent("token")
        try Data("tok-from-file\n".utf8).write(to: tokenFile)
        let fromFile = try TestSupport.wssniff(arguments: Self.signArguments + ["--token-file", tokenFile.path])
        let fromOption = try TestSupport.wssniff(arguments: Self.signArguments + ["--token", "tok-from-file"])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        #expect(Self.payload(fromFile).contains("|1|tok-from-file|n|"))
        #expect(fromFile.stdout == fromOption.stdout)
        let both = try TestSupport.wssniff(
            arguments: Self.signArguments + ["--token", "a", "--token-file", tokenFile.path]
        )
        #expect(both.status == 64)
        let help = try TestSupport.run("/bin/sh", ["-c", "COLUMNS=200 '\(TestSupport.binary.path)' sign --help"])
        #expect(help.stdout.contains("Visible to other users in `ps` and kept in the shell's history"))
    }

    @Test func signTakesTheTokenFromTheEnvironment() throws {
        let output = try TestSupport.run(
            "/usr/bin/env",
            ["OPENCLAW_GATEWAY_TOKEN=tok-from-env", TestSupport.binary.path] + Self.signArguments
        )
        #expect(output.status == 0, "\(output.stderr)")
        #expect(Self.payload(output).contains("|1|tok-from-env|n|"))
        #expect(output.stderr.contains("signing the token from OPENCLAW_GATEWAY_TOKEN"))
        // --token wins over the environment.
        let option = try TestSupport.run(
            "/usr/bin/env",
            ["OPENCLAW_GATEWAY_TOKEN=tok-from-env", TestSupport.binary.path] + Self.signArguments + ["--token", "t2"]
        )
        #expect(Self.payload(option).contains("|1|t2|n|"))
    }

    @Test func signWarnsWhenTheDeviceIdIsNotTheKeys() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try String(contentsOfFile: Self.identity, encoding: .utf8)
        let real = "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9"
        let wrong = "31fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9"
        #expect(text.contains(real))
        let edited = directory.appendingPathComponent("device.json")
        try Data(text.replacingOccurrences(of: real, with: wrong).utf8).write(to: edited)
        let output = try TestSupport.wssniff("sign", "--identity", edited.path, "--nonce", "n")
        #expect(output.status == 0)
        #expect(output.stderr.contains("its deviceId \(wrong) is not the SHA-256 of its public key (\(real))"))
        let clean = try TestSupport.wssniff("sign", "--identity", Self.identity, "--nonce", "n")
        #expect(!clean.stderr.contains("SHA-256"))
    }
}
