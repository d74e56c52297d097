import Foundation
import Glibc
import Testing

/// `wssniff probe` against live peers on loopback: the reference gateway in each configuration (its table must
/// match what the gateway logged, connection by connection), a plain `ws` echo server, and a closed port.
@Suite(.serialized)
struct ProbeCommandTests {
    static let identity = ReferenceGateway.tools.appendingPathComponent("identities/cli.json").path
    static let token = "probe-test-token-4b1f9c"

    /// The device id of `cli.json`, as the gateway's `--paired` takes it.
    static var deviceId: String {
        let data = (try? Data(contentsOf: URL(fileURLWithPath: Self.identity))) ?? Data()
        return ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["deviceId"] as? String ?? ""
    }

    /// A gateway profile: the arguments that select it and what it answers with. Only `2026.3.13` exists in
    /// tools/gateway today; a `current` profile is one more entry (`["--profile", "current"]`, protocol 4).
    struct Profile: Sendable, CustomTestStringConvertible {
        var name: String
        var arguments: [String]
        var protocolVersion: Int
        var serverVersion: String
        /// What the conclusion says of the protocol when no hello-ok named the server's version.
        var era: String
        var testDescription: String { self.name }
    }

    static let profiles = [
        Profile(
            name: "2026.3.13",
            arguments: [],
            protocolVersion: 3,
            serverVersion: "2026.3.13",
            era: "(OpenClaw up to about 2026.5.9, such as 2026.3.13)"
        ),
        Profile(
            name: "current",
            arguments: ["--profile", "current"],
            protocolVersion: 4,
            serverVersion: "2026.12.0",
            era: "(OpenClaw after about 2026.5.9)"
        ),
    ]

    /// A gateway configuration and what the probe must find there.
    enum Configuration: String, CaseIterable, Sendable {
        /// The device is in `--paired`, the token is right: v3 and v2 connect.
        case pairedRightToken = "paired, right token"
        /// No silent local pairing, the device unknown: the first form verifies and pairing blocks it.
        case unpairedRightToken = "unpaired, right token"
        /// Paired, but the token is wrong: v3 and v2 verify, shared auth blocks them.
        case pairedWrongToken = "paired, wrong token"
        /// Silent local pairing on (the default): the probe's first verified connect pairs the device.
        case localAutoPair = "unpaired, local auto-pair"
        /// The probe offers only a protocol the gateway does not speak.
        case protocolMismatch = "protocol mismatch"

        func gatewayArguments(_ profile: Profile) -> [String] {
            var arguments = profile.arguments + ["--token", ProbeCommandTests.token]
            switch self {
            case .pairedRightToken, .pairedWrongToken:
                arguments += ["--no-local-auto-pair", "--paired", ProbeCommandTests.deviceId]
            case .unpairedRightToken:
                arguments += ["--no-local-auto-pair"]
            case .localAutoPair, .protocolMismatch:
                break
            }
            return arguments
        }

        /// The probe's arguments besides --url, --identity and --yes; the token comes from the environment.
        func probeArguments(_ profile: Profile) -> [String] {
            switch self {
            case .pairedRightToken, .pairedWrongToken: return ["--all"]
            case .unpairedRightToken, .localAutoPair: return []
            case .protocolMismatch: return ["--protocols", String(profile.protocolVersion + 1)]
            }
        }

        var probeToken: String {
            self == .pairedWrongToken ? "wrong-" + ProbeCommandTests.token : ProbeCommandTests.token
        }

        /// The causes of the form attempts, in order.
        var formCauses: [String] {
            switch self {
            case .pairedRightToken:
                return ["accepted", "accepted"] + Array(repeating: "device-signature-invalid", count: 3)
            case .pairedWrongToken:
                return ["unauthorized", "unauthorized"] + Array(repeating: "device-signature-invalid", count: 3)
            case .unpairedRightToken: return ["pairing-required"]
            case .localAutoPair: return ["accepted"]
            case .protocolMismatch: return []
            }
        }

        var acceptedForms: [String] {
            switch self {
            case .pairedRightToken, .pairedWrongToken: return ["v3", "v2"]
            case .unpairedRightToken, .localAutoPair: return ["v3"]
            case .protocolMismatch: return []
            }
        }

        /// What the conclusion must say.
        func conclusionParts(_ profile: Profile) -> [String] {
            switch self {
            case .pairedRightToken:
                return [
                    "server version \(profile.serverVersion)", "speaks protocol \(profile.protocolVersion)",
                    "accepts v3 and v2 from this device", "rejects v1, nonce and nonce:ts", "the device connects",
                ]
            case .pairedWrongToken:
                return [
                    "speaks protocol \(profile.protocolVersion) \(profile.era)", "accepts v3 and v2",
                    "shared auth fails (unauthorized",
                ]
            case .unpairedRightToken:
                return [
                    "server version \(profile.serverVersion)", "speaks protocol \(profile.protocolVersion)",
                    "accepts v3 from this device", "--all tries the others", "pairing is required",
                ]
            case .localAutoPair:
                return ["speaks protocol \(profile.protocolVersion)", "accepts v3", "the device connects"]
            case .protocolMismatch:
                return [
                    "admits none of the protocols offered (\(profile.protocolVersion + 1))",
                    "it expects protocol \(profile.protocolVersion)",
                ]
            }
        }
    }

    /// Runs `wssniff probe` with the token in `OPENCLAW_GATEWAY_TOKEN` (never on its command line).
    static func probe(
        _ arguments: [String],
        token: String? = nil,
        timeout: TimeInterval = 60
    ) throws -> TestSupport.Output {
        var environment: [String] = []
        if let token { environment.append("OPENCLAW_GATEWAY_TOKEN=\(token)") }
        return try TestSupport.run(
            "/usr/bin/env",
            environment + [TestSupport.binary.path, "probe"] + arguments,
            timeout: timeout
        )
    }

    /// The gateway's log lines, once it logged `count` connections (each line is written when a connection ends).
    static func logLines(_ gateway: ReferenceGateway, count: Int) -> [[String: Any]] {
        var lines: [[String: Any]] = []
        let deadline = Date().addingTimeInterval(10)
        repeat {
            lines = ((try? String(contentsOf: gateway.log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            if lines.count >= count { break }
            usleep(50_000)
        } while Date() < deadline
        return lines
    }

    static func json(_ output: TestSupport.Output) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(output.stdout)")
        }
        return object
    }

    /// Every connection the probe reports (protocol checks, then forms).
    static func attempts(_ document: [String: Any]) -> [[String: Any]] {
        ((document["protocolChecks"] as? [[String: Any]]) ?? []) + ((document["results"] as? [[String: Any]]) ?? [])
    }

    /// Each of the probe's connections, found in the gateway's log by its port, ended with the same cause and close
    /// code; and the gateway saw no other connection.
    static func expectTableMatchesLog(_ document: [String: Any], _ gateway: ReferenceGateway) {
        let attempts = Self.attempts(document)
        let logged = Self.logLines(gateway, count: attempts.count)
        #expect(logged.count == attempts.count, "the gateway saw exactly the probe's connections: \(logged)")
        for attempt in attempts {
            let port = attempt["localPort"] as? Int
            let line = logged.first { $0["remotePort"] as? Int == port }
            #expect(line != nil, "the gateway logged the probe's connection from port \(port ?? -1)")
            guard let line else { continue }
            #expect(attempt["cause"] as? String == line["cause"] as? String, "port \(port ?? -1): \(attempt) / \(line)")
            let close = attempt["close"] as? [String: Any]
            #expect(close?["code"] as? Int == line["closeCode"] as? Int, "port \(port ?? -1): \(attempt) / \(line)")
            if line["closedBy"] as? String == "gateway" {
                #expect(close?["reason"] as? String == line["closeReason"] as? String)
                let error = attempt["error"] as? [String: Any]
                #expect(error?["code"] as? String == line["errorCode"] as? String)
                #expect(error?["message"] as? String == line["message"] as? String)
            }
            if let form = attempt["form"] as? String, line["cause"] as? String == "accepted" {
                #expect(line["form"] as? String == form, "the gateway verified the form the probe signed")
            }
        }
    }

    @Test(
        .enabled(if: ReferenceGateway.available, "needs node with node-ws"),
        arguments: Self.profiles,
        Configuration.allCases
    )
    func tableMatchesWhatTheGatewayLogged(profile: Profile, configuration: Configuration) throws {
        let gateway = try ReferenceGateway(configuration.gatewayArguments(profile))
        let output = try Self.probe(
            [
                "--url", "ws://127.0.0.1:\(gateway.port)", "--identity", Self.identity, "--yes", "--pace", "50",
                "--format", "json",
            ] + configuration.probeArguments(profile),
            token: configuration.probeToken
        )
        #expect(output.status == 0, "\(output.stderr)")
        let document = try Self.json(output)
        Self.expectTableMatchesLog(document, gateway)
        let results = (document["results"] as? [[String: Any]]) ?? []
        #expect(results.map { $0["cause"] as? String ?? "-" } == configuration.formCauses)
        #expect(document["acceptedForms"] as? [String] == configuration.acceptedForms)
        let conclusion = document["conclusion"] as? String ?? ""
        for part in configuration.conclusionParts(profile) {
            #expect(conclusion.contains(part), "\(conclusion)")
        }
        if configuration != .protocolMismatch {
            #expect(conclusion.contains("wssniff reads it with its \(profile.name) gateway profile"), "\(conclusion)")
        }
        if configuration != .protocolMismatch {
            #expect(document["protocol"] as? Int == profile.protocolVersion)
            #expect(results.allSatisfy { $0["protocol"] as? Int == profile.protocolVersion })
        }
        // A verified form that did not connect names what blocked it; a connected or rejected one names nothing.
        for result in results {
            let cause = result["cause"] as? String
            let blocked = result["blockedBy"] as? String
            #expect(blocked == (["unauthorized", "pairing-required"].contains(cause ?? "") ? cause : nil))
            #expect(result["accepted"] as? Bool == (cause != "device-signature-invalid"))
        }
        #expect(!output.stdout.contains(Self.token) && !output.stderr.contains(Self.token), "the token never shows")
    }

    @Test(.enabled(if: ReferenceGateway.available, "needs node with node-ws"), arguments: Self.profiles)
    func textTableHasOneRowPerConnection(profile: Profile) throws {
        let gateway = try ReferenceGateway(Configuration.unpairedRightToken.gatewayArguments(profile))
        let output = try Self.probe(
            ["--url", "ws://127.0.0.1:\(gateway.port)", "--identity", Self.identity, "--yes", "--all", "--pace", "0"],
            token: Self.token
        )
        #expect(output.status == 0, "\(output.stderr)")
        let logged = Self.logLines(gateway, count: 7)
        let lines = output.stdout.split(separator: "\n").map(String.init)
        // The heading, the table's header, one row per logged connection, the conclusion.
        #expect(lines.count == 3 + logged.count, "\(output.stdout)")
        for entry in logged {
            let port = String(entry["remotePort"] as? Int ?? -1)
            let row = lines.first { $0.split(separator: " ").contains(Substring(port)) }
            #expect(row != nil, "a row for port \(port)")
            if let message = entry["message"] as? String { #expect(row?.contains(message) == true, "\(row ?? "")") }
        }
        #expect(lines.last?.hasPrefix("conclusion: this gateway (server version \(profile.serverVersion))") == true)
        #expect(output.stdout.contains("verified, blocked") && output.stdout.contains("rejected"))
    }

    @Test(.enabled(if: ReferenceGateway.available, "needs node with node-ws"))
    func withoutConsentNothingIsSent() throws {
        let gateway = try ReferenceGateway(["--token", Self.token])
        // Standard input is not a terminal here: without --yes the probe refuses, before any connection.
        let output = try Self.probe(["--url", "ws://127.0.0.1:\(gateway.port)", "--identity", Self.identity])
        #expect(output.status == 64)
        #expect(output.stderr.contains("--yes") && output.stderr.contains("pairing request"), "\(output.stderr)")
        let dry = try Self.probe(
            ["--url", "ws://127.0.0.1:\(gateway.port)", "--identity", Self.identity, "--dry-run", "--all"],
            token: Self.token
        )
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("GET / HTTP/1.1") && dry.stdout.contains("Sec-WebSocket-Version: 13"))
        #expect(dry.stdout.contains("\"minProtocol\":4,\"maxProtocol\":4"))
        for form in [
            "v3|", "v2|", "v1|", "signs: <nonce of connect.challenge>",
            "<nonce of connect.challenge>:<ts of connect.challenge>",
        ] {
            #expect(dry.stdout.contains(form), "the dry run shows the \(form) payload")
        }
        #expect(dry.stdout.contains("<redacted sha256:") && !dry.stdout.contains(Self.token), "the token is redacted")
        usleep(300_000)
        #expect(Self.logLines(gateway, count: 0).isEmpty && gateway.causes.isEmpty, "no connection was made")
    }

    @Test(.enabled(if: LiveWebSocketTests.node != nil, "needs node with node-ws"))
    func plainWebSocketServerIsNotAGateway() throws {
        let port = try LoopbackExchange.freePort()
        let server = try EchoPeer([String(port), "--no-deflate"])
        defer { server.stop() }
        #expect(server.ready.contains("ready"))
        let output = try Self.probe(
            ["--url", "ws://127.0.0.1:\(port)", "--identity", Self.identity, "--yes", "--timeout", "1"]
        )
        #expect(output.status == 69)
        #expect(output.stderr.contains("no connect.challenge"), "\(output.stderr)")
        #expect(output.stderr.contains("not an OpenClaw gateway"), "\(output.stderr)")
        #expect(output.stdout.isEmpty)
    }

    @Test func silentListenerAndPlainHTTPAreClearErrors() throws {
        // A listener that never accepts: the kernel completes the TCP handshake, nothing answers the upgrade.
        let (silent, silentPort) = try LoopbackExchange.listen()
        defer { close(silent) }
        let mute = try Self.probe(
            ["--url", "ws://127.0.0.1:\(silentPort)", "--identity", Self.identity, "--yes", "--timeout", "1"]
        )
        #expect(mute.status == 69)
        #expect(mute.stderr.contains("answered no WebSocket upgrade within 1 s"), "\(mute.stderr)")
        // An HTTP server that answers the upgrade with a 404.
        let (http, httpPort) = try LoopbackExchange.listen()
        defer { close(http) }
        DispatchQueue.global().async {
            let client = accept(http, nil, nil)
            guard client >= 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 4096)
            _ = recv(client, &buffer, buffer.count, 0)
            try? LoopbackExchange.sendAll(client, Array("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".utf8))
            close(client)
        }
        let refused = try Self.probe(
            ["--url", "ws://127.0.0.1:\(httpPort)/x", "--identity", Self.identity, "--yes", "--timeout", "2"]
        )
        #expect(refused.status == 69)
        #expect(refused.stderr.contains("refused the WebSocket upgrade (HTTP 404 Not Found)"), "\(refused.stderr)")
    }

    @Test(.enabled(if: ReferenceGateway.available && TestSupport.which("script") != nil, "needs node and script(1)"))
    func terminalPromptDecidesWhetherAnythingIsSent() throws {
        let gateway = try ReferenceGateway(["--token", Self.token])
        // script(1) gives the probe a terminal; its standard input is what is typed at the prompt.
        func typed(_ answer: String) throws -> TestSupport.Output {
            let command = [
                TestSupport.binary.path, "probe", "--url", "ws://127.0.0.1:\(gateway.port)", "--identity",
                Self.identity,
                "--pace", "0",
            ].joined(separator: " ")
            return try TestSupport.run(
                "/bin/sh",
                [
                    "-c",
                    "printf '\(answer)\\n' | OPENCLAW_GATEWAY_TOKEN=\(Self.token) script -qec '\(command)' /dev/null",
                ]
            )
        }
        let declined = try typed("n")
        #expect(declined.status == 64 && declined.stdout.contains("not confirmed"), "\(declined.stdout)")
        #expect(declined.stdout.contains("Probe? [y/N]"))
        usleep(300_000)
        #expect(gateway.causes.isEmpty, "declined: no connection")
        let confirmed = try typed("y")
        #expect(confirmed.status == 0, "\(confirmed.stdout)")
        #expect(confirmed.stdout.contains("conclusion: this gateway"))
        #expect(Self.logLines(gateway, count: 3).count == 3, "two protocol checks and the first form")
    }

    @Test(.enabled(if: LiveWebSocketTests.node != nil, "needs node with node-ws"))
    func serverThatChallengesButNeverAnswersIsNamed() throws {
        // ws_server.js --challenge greets like a gateway, then only echoes: the connect gets no `res`.
        let port = try LoopbackExchange.freePort()
        let server = try EchoPeer([String(port), "--no-deflate", "--challenge"])
        defer { server.stop() }
        #expect(server.ready.contains("ready"))
        let output = try Self.probe(
            [
                "--url", "ws://127.0.0.1:\(port)", "--identity", Self.identity, "--yes", "--timeout", "1",
                "--protocols", "3", "--format", "json",
            ]
        )
        #expect(output.status == 0, "\(output.stderr)")
        let document = try Self.json(output)
        let check = try #require((document["protocolChecks"] as? [[String: Any]])?.first)
        #expect(check["failure"] as? String == "no answer within 1 s")
        #expect(check["closedBy"] as? String == "client")
        #expect((check["close"] as? [String: Any])?["code"] as? Int == 1000, "the server echoed the probe's close")
        #expect(document["protocol"] is NSNull && (document["results"] as? [Any])?.isEmpty == true)
        #expect((document["conclusion"] as? String)?.contains("did not answer the connect") == true)
    }

    /// A refusal the reference gateway of 2026.3.13 never gives, and how the probe must stop on it.
    struct Refusal: Sendable, CustomTestStringConvertible {
        var code: String
        var message: String
        var details: String
        var closeCode: Int
        var reason: String
        var retry: String
        var testDescription: String { self.code }
    }

    static let refusals = [
        Refusal(
            code: "INVALID_REQUEST",
            message: "unauthorized: too many failed authentication attempts (retry later)",
            details: #"{"code":"AUTH_RATE_LIMITED","retryAfterMs":1500}"#,
            closeCode: 1008,
            reason: "rate-limited",
            retry: "retry in 2 s"
        ),
        Refusal(
            code: "UNAVAILABLE",
            message: "gateway starting",
            details: #"{"retryable":true}"#,
            closeCode: 1013,
            reason: "unavailable",
            retry: "retry later"
        ),
    ]

    /// The reference gateway in the current profile, starting up (`--starting`: every non-node client refused with
    /// `UNAVAILABLE` and 1013) or with its rate limiter at two failures: the probe stops at the first refusal,
    /// says when to retry, and the gateway logs no connection after it.
    @Test(
        .enabled(if: ReferenceGateway.available, "needs node with node-ws"),
        arguments: [
            (["--starting"], "unavailable", Self.token),
            (["--rate-limit", "2"], "rate-limited", "not-the-token"),
        ]
    )
    func currentGatewayStartingOrRateLimitedStopsTheProbe(
        gatewayArguments: [String],
        reason: String,
        token: String
    ) throws {
        let gateway = try ReferenceGateway(["--token", Self.token, "--profile", "current"] + gatewayArguments)
        // Rate limiting needs failures first: two probes with the wrong token use them up.
        let warmUps = reason == "rate-limited" ? 2 : 0
        for _ in 0..<warmUps {
            _ = try Self.probe(
                ["--url", "ws://127.0.0.1:\(gateway.port)", "--identity", Self.identity, "--yes", "--format", "json"],
                token: token
            )
        }
        usleep(300_000)
        let logged = Self.logLines(gateway, count: 0).count
        let output = try Self.probe(
            [
                "--url", "ws://127.0.0.1:\(gateway.port)", "--identity", Self.identity, "--yes", "--all",
                "--pace", "0", "--format", "json",
            ],
            token: token
        )
        #expect(output.status == 75, "\(output.stderr)")
        let document = try Self.json(output)
        #expect((document["stopped"] as? [String: Any])?["reason"] as? String == reason, "\(document)")
        #expect((document["conclusion"] as? String)?.contains("retry") == true, "\(document)")
        usleep(300_000)
        // Every connection the probe made is in the gateway's log, and the refused one was the last.
        let made = Self.attempts(document).count
        let lines = Self.logLines(gateway, count: logged + made)
        #expect(made >= 1 && lines.count == logged + made, "\(lines.count - logged) logged, \(made) reported")
        let last = Self.attempts(document).last
        #expect((last?["close"] as? [String: Any])?["code"] as? Int == (reason == "unavailable" ? 1013 : 1008))
        #expect(!output.stdout.contains(Self.token) && !output.stderr.contains(Self.token))
    }

    @Test(.enabled(if: LiveWebSocketTests.node != nil, "needs node with node-ws"), arguments: Self.refusals)
    func rateLimitAndStartingStopTheProbe(refusal: Refusal) throws {
        let port = try LoopbackExchange.freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = try LiveWebSocketTests.command(
            "refusing_gateway.js",
            [String(port), refusal.code, refusal.message, refusal.details, String(refusal.closeCode)]
        )
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("server.out")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        server.standardOutput = try FileHandle(forWritingTo: log)
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            if server.isRunning {
                server.terminate()
                server.waitUntilExit()
            }
        }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("ready") {
            usleep(50_000)
        }
        let output = try Self.probe(
            ["--url", "ws://127.0.0.1:\(port)", "--identity", Self.identity, "--yes", "--all", "--format", "json"],
            token: Self.token
        )
        #expect(output.status == 75, "\(output.stderr)")
        let document = try Self.json(output)
        let stopped = document["stopped"] as? [String: Any]
        #expect(stopped?["reason"] as? String == refusal.reason)
        #expect((document["conclusion"] as? String)?.contains(refusal.retry) == true, "\(document)")
        #expect((document["protocolChecks"] as? [Any])?.count == 1, "the first refusal stops the probe")
        #expect((document["results"] as? [Any])?.isEmpty == true)
        let check = (document["protocolChecks"] as? [[String: Any]])?.first
        #expect((check?["close"] as? [String: Any])?["code"] as? Int == refusal.closeCode)
        usleep(200_000)
        let connects = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n")
            .filter { $0.contains("\"connect\"") }
        #expect(connects.count == 1, "no connection after the refusal: \(connects)")
    }

    @Test(.enabled(if: LiveWebSocketTests.node != nil, "needs node with node-ws"))
    func rateLimitOnAFormIsNotAnAcceptedForm() throws {
        let port = try LoopbackExchange.freePort()
        let refusal = Self.refusals[0]
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = try LiveWebSocketTests.command(
            "refusing_gateway.js",
            [String(port), refusal.code, refusal.message, refusal.details, "1008", "--devices-only"]
        )
        let out = Pipe()
        server.standardOutput = out
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            if server.isRunning {
                server.terminate()
                server.waitUntilExit()
            }
        }
        #expect(String(decoding: out.fileHandleForReading.availableData, as: UTF8.self).contains("ready"))
        let output = try Self.probe(
            [
                "--url", "ws://127.0.0.1:\(port)", "--identity", Self.identity, "--yes", "--all", "--protocols", "3",
                "--pace", "0", "--format", "json",
            ]
        )
        #expect(output.status == 75, "\(output.stderr)")
        let document = try Self.json(output)
        let results = (document["results"] as? [[String: Any]]) ?? []
        #expect(results.count == 1, "the rate limit on the first form stops the probe")
        #expect(results.first?["accepted"] as? Bool == false && results.first?["proof"] as? String == "undecided")
        #expect((document["acceptedForms"] as? [Any])?.isEmpty == true)
        #expect((document["stopped"] as? [String: Any])?["retryAfterMs"] as? Int == 1500)
    }

    @Test(.enabled(if: LiveWebSocketTests.node != nil, "needs node with node-ws"))
    func serverGoneMidProbeKeepsWhatWasLearned() throws {
        // ws_server.js --challenge --once: the first connection is greeted (and never answered), then it exits.
        let port = try LoopbackExchange.freePort()
        let server = try EchoPeer([String(port), "--no-deflate", "--challenge", "--once"])
        defer { server.stop() }
        #expect(server.ready.contains("ready"))
        let output = try Self.probe(
            [
                "--url", "ws://127.0.0.1:\(port)", "--identity", Self.identity, "--yes", "--timeout", "1",
                "--pace", "300", "--format", "json",
            ]
        )
        #expect(output.status == 69, "\(output.stderr)")
        let document = try Self.json(output)
        #expect((document["protocolChecks"] as? [Any])?.count == 1, "the first check is kept")
        let stopped = document["stopped"] as? [String: Any]
        #expect(stopped?["reason"] as? String == "failed")
        #expect((stopped?["message"] as? String)?.contains("cannot connect to 127.0.0.1 port \(port)") == true)
    }

    @Test func closedPortAndTLSAreClearErrors() throws {
        let port = try LoopbackExchange.freePort()
        let closed = try Self.probe(["--url", "ws://127.0.0.1:\(port)", "--identity", Self.identity, "--yes"])
        #expect(closed.status == 69)
        #expect(closed.stderr.contains("cannot connect to 127.0.0.1 port \(port)"), "\(closed.stderr)")
        let tls = try Self.probe(["--url", "wss://127.0.0.1:\(port)", "--identity", Self.identity, "--yes"])
        #expect(tls.status == 64)
        #expect(tls.stderr.contains("wss:// is not supported"), "\(tls.stderr)")
    }

    @Test(.enabled(if: TestSupport.isRoot && ReferenceGateway.available, "needs root (live capture) and node"))
    func captureOfTheProbeExplainsEachConnection() throws {
        let gateway = try ReferenceGateway(Configuration.pairedWrongToken.gatewayArguments(Self.profiles[0]))
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pcap = directory.appendingPathComponent("probe.pcap").path
        let output = try Self.probe(
            [
                "--url", "ws://127.0.0.1:\(gateway.port)", "--identity", Self.identity, "--yes", "--all", "--pace",
                "50",
                "--format", "json", "--capture", pcap,
            ],
            token: Configuration.pairedWrongToken.probeToken
        )
        #expect(output.status == 0, "\(output.stderr)")
        let attempts = Self.attempts(try Self.json(output))
        #expect(attempts.count == 7)
        let analysis = try TestSupport.analyzeJSON([pcap])
        let connections = (analysis["connections"] as? [[String: Any]]) ?? []
        #expect(connections.count == attempts.count, "the capture holds the probe's connections and no others")
        for attempt in attempts {
            let port = attempt["localPort"] as? Int
            let connection = connections.first { ($0["client"] as? [String: Any])?["port"] as? Int == port }
            let verdict = connection?["verdict"] as? [String: Any]
            #expect(
                verdict?["cause"] as? String == attempt["cause"] as? String,
                "port \(port ?? -1): \(verdict ?? [:])"
            )
        }
        // The capture goes through `wssniff report` like any other; the wrong token never reaches the report.
        let markdown = directory.appendingPathComponent("report.md")
        let report = try TestSupport.wssniff(arguments: ["report", "--output", markdown.path, pcap])
        #expect(report.status == 0, "\(report.stderr)")
        let text = (try? String(contentsOf: markdown, encoding: .utf8)) ?? ""
        #expect(text.contains("unauthorized") && !text.contains(Self.token), "the report explains, without the token")
    }
}

/// `scripts/peers/ws_server.js` (a node-ws server) with the given arguments, started and read until its first
/// output (`ready`); `stop()` ends it.
private final class EchoPeer {
    private let process = Process()
    let ready: String

    init(_ arguments: [String]) throws {
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        self.process.arguments = try LiveWebSocketTests.command("ws_server.js", arguments)
        let out = Pipe()
        self.process.standardOutput = out
        self.process.standardError = FileHandle.nullDevice
        try self.process.run()
        self.ready = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
    }

    func stop() {
        if self.process.isRunning {
            self.process.terminate()
            self.process.waitUntilExit()
        }
    }
}
