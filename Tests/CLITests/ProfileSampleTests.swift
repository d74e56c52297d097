import Foundation
import Testing

/// The samples recorded against the reference gateway in each profile (`gateway.js --profile 2026.3.13|current`):
/// the profile wssniff reads each with, why, and the words of advice its verdict must carry.
@Suite struct ProfileSampleTests {
    struct Case: Sendable, CustomStringConvertible {
        var file: String
        var cause: String
        var profile: String
        var basis: String
        var words: [String]
        var description: String { self.file }
    }

    static let cases: [Case] = [
        Case(
            file: "runtime-token.pcap",
            cause: "invalid-connect-params",
            profile: "2026.3.13",
            basis: "assumed",
            words: ["`auth.approvalRuntimeToken`", "2026.3.13 does not know", "update the gateway"]
        ),
        Case(
            file: "device-token-mismatch.pcap",
            cause: "unauthorized",
            profile: "2026.3.13",
            basis: "assumed",
            words: ["stale token", "device.token.rotate", "device-auth.json", "2026.3.13 sends none"]
        ),
        Case(
            file: "rate-limited.pcap",
            cause: "unauthorized",
            profile: "2026.3.13",
            basis: "assumed",
            words: ["rate limiter", "says nothing about the credentials", "every client behind one address"]
        ),
        Case(
            file: "current-good-v3.pcap",
            cause: "accepted",
            profile: "current",
            basis: "server-version",
            words: ["protocol 4", "server 2026.12.0"]
        ),
        Case(
            file: "current-runtime-token.pcap",
            cause: "accepted",
            profile: "current",
            basis: "server-version",
            words: ["verifies as v3"]
        ),
        Case(
            file: "current-old-cli.pcap",
            cause: "protocol-mismatch",
            profile: "current",
            basis: "gateway-answer",
            words: ["offered protocol 3..3", "speaks 4", "one version behind", "Update the client"]
        ),
        Case(
            file: "current-old-macos-app.pcap",
            cause: "protocol-mismatch",
            profile: "current",
            basis: "gateway-answer",
            words: ["Update the macOS app", "do not change the gateway"]
        ),
        Case(
            file: "current-stale-control-ui.pcap",
            cause: "protocol-mismatch",
            profile: "current",
            basis: "gateway-answer",
            words: ["reload the page", "Nothing needs changing on the gateway"]
        ),
        Case(
            file: "current-probe-3.pcap",
            cause: "accepted",
            profile: "current",
            basis: "server-version",
            words: ["protocol 4"]
        ),
        Case(
            file: "current-legacy-node.pcap",
            cause: "accepted",
            profile: "current",
            basis: "server-version",
            words: ["protocol 4"]
        ),
        Case(
            file: "current-unpaired-remote.pcap",
            cause: "pairing-required",
            profile: "current",
            basis: "gateway-answer",
            words: [
                "\"not-paired\"", "not local to the gateway (its upgrade carries `x-forwarded-for: 203.0.113.7`",
                "openclaw devices approve ", "inside its container",
            ]
        ),
        Case(
            file: "current-scope-upgrade.pcap",
            cause: "pairing-required",
            profile: "current",
            basis: "gateway-answer",
            words: ["\"scope-upgrade\"", "more scopes", "cuts the request id at 120 bytes", "`details.requestId`"]
        ),
        Case(
            file: "current-device-token-mismatch.pcap",
            cause: "unauthorized",
            profile: "current",
            basis: "gateway-answer",
            words: ["stale token", "will not help (`canRetryWithDeviceToken` false)", "update_auth_credentials"]
        ),
        Case(
            file: "current-rate-limited.pcap",
            cause: "unauthorized",
            profile: "current",
            basis: "gateway-answer",
            words: ["rate limiter", "60000 ms", "every client behind one address"]
        ),
        Case(
            file: "current-starting.pcap",
            cause: "gateway-starting",
            profile: "current",
            basis: "gateway-answer",
            words: ["starting", "retry after 500 ms", "nothing is wrong with the client"]
        ),
    ]

    static func only(_ file: String, extra: [String] = []) throws -> [String: Any] {
        let path = TestSupport.samplesDirectory.appendingPathComponent(file).path
        let document = try TestSupport.analyzeJSON([path], extra: extra)
        let connections = try #require(document["connections"] as? [[String: Any]])
        #expect(connections.count == 1, "\(file) holds one connection")
        return try #require(connections.first)
    }

    @Test(arguments: Self.cases)
    func verdictProfileAndAdvice(case sample: Case) throws {
        let connection = try Self.only(sample.file)
        let verdict = try #require(connection["verdict"] as? [String: Any])
        let summary = verdict["summary"] as? String ?? ""
        #expect(verdict["cause"] as? String == sample.cause, "\(summary)")
        #expect(verdict["observed"] as? Bool == true)
        for word in sample.words {
            #expect(summary.contains(word), "\(sample.file): \"\(word)\" missing from: \(summary)")
        }
        let gateway = try #require(connection["gateway"] as? [String: Any])
        let profile = try #require(gateway["profile"] as? [String: Any])
        #expect(profile["name"] as? String == sample.profile)
        #expect(profile["basis"] as? String == sample.basis)
        #expect(!(profile["reason"] as? String ?? "").isEmpty)
        #expect(profile["handshakeTimeoutMs"] as? Int == (sample.profile == "current" ? 15_000 : 3_000))
        #expect(gateway["gatewayProtocol"] as? Int == (sample.profile == "current" ? 4 : 3))
    }

    /// Every sample recorded against the 2026.3.13 gateway is read with the 2026.3.13 profile.
    @Test func everyOlderSampleReadsAs2026_3_13() throws {
        // The current gateway's samples: current-*.pcap, and upstream-port.pcap on its default port.
        let files = SampleVerdictTests.files.filter { !$0.hasPrefix("current-") && $0 != "upstream-port.pcap" }
        #expect(files.count >= 40)
        let paths = files.map { TestSupport.samplesDirectory.appendingPathComponent($0).path }
        let document = try TestSupport.analyzeJSON(paths, extra: ["--port", "0"])
        let connections = try #require(document["connections"] as? [[String: Any]])
        var names: Set<String> = []
        for connection in connections {
            guard let gateway = connection["gateway"] as? [String: Any] else { continue }
            let profile = gateway["profile"] as? [String: Any]
            names.insert(profile?["name"] as? String ?? "none")
        }
        #expect(names == ["2026.3.13"])
    }

    /// `--gateway-version` names the profile when the capture does not; a capture that says wins over it.
    @Test func gatewayVersionOptionAndWhatTheCaptureSays() throws {
        let said = try Self.only("current-good-v3.pcap", extra: ["--gateway-version", "2026.3.13"])
        let saidProfile = (said["gateway"] as? [String: Any])?["profile"] as? [String: Any]
        #expect(saidProfile?["name"] as? String == "current")
        #expect(saidProfile?["basis"] as? String == "server-version")

        let given = try Self.only("device-token-mismatch.pcap", extra: ["--gateway-version", "2026.5.2"])
        let givenProfile = (given["gateway"] as? [String: Any])?["profile"] as? [String: Any]
        #expect(givenProfile?["name"] as? String == "current")
        #expect(givenProfile?["basis"] as? String == "option")
        #expect((givenProfile?["reason"] as? String ?? "").contains("newer than 2026.3.13"))

        let older = try Self.only("device-token-mismatch.pcap", extra: ["--gateway-version", "2026.2.19"])
        let olderProfile = (older["gateway"] as? [String: Any])?["profile"] as? [String: Any]
        #expect(olderProfile?["name"] as? String == "2026.3.13")
        #expect((olderProfile?["reason"] as? String ?? "").contains("older than every profile"))

        let alias = try Self.only("device-token-mismatch.pcap", extra: ["--gateway-protocol", "4"])
        let aliasProfile = (alias["gateway"] as? [String: Any])?["profile"] as? [String: Any]
        #expect(aliasProfile?["name"] as? String == "current")

        let bad = try TestSupport.wssniff("analyze", "--gateway-version", "next-week", "x.pcap")
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--gateway-version must be an OpenClaw release"))
    }

    /// The scope-upgrade loop: the same device refused three times, each with a new request id; from the second
    /// refusal on, the summary says so and names the newest id.
    @Test func scopeUpgradeLoopIsNamed() throws {
        let path = TestSupport.samplesDirectory.appendingPathComponent("current-scope-upgrade-loop.pcap").path
        let document = try TestSupport.analyzeJSON([path])
        let connections = try #require(document["connections"] as? [[String: Any]])
        #expect(connections.count == 3)
        let summaries = connections.map { ($0["verdict"] as? [String: Any])?["summary"] as? String ?? "" }
        #expect(!summaries[0].contains("times in this capture"))
        #expect(summaries[1].contains("refused 2 times in this capture, each time with a new request id"))
        #expect(summaries[2].contains("refused 3 times"))
        #expect(summaries[2].contains("a scope-upgrade loop"))
        let lastId = try #require(
            ((connections[2]["gateway"] as? [String: Any])?["response"] as? [String: Any]).flatMap {
                (($0["error"] as? [String: Any])?["details"] as? [String: Any])?["requestId"] as? String
            }
        )
        #expect(summaries[2].contains("`openclaw devices approve \(lastId)`"))
    }

    /// Upstream's default port, 18789, is read mid-stream by default, beside 42919; `--port 0` turns that off.
    @Test func upstreamPortIsReadMidStream() throws {
        // upstream-port.pcap: current-good-v3 on port 18789; the connect is packet 10.
        let (path, directory) = try VerdictCoverageTests.cut(
            TestSupport.samplesDirectory.appendingPathComponent("upstream-port.pcap").path,
            keep: "10-18"
        )
        defer { try? FileManager.default.removeItem(at: directory) }
        let document = try TestSupport.analyzeJSON([path])
        let connection = try #require((document["connections"] as? [[String: Any]])?.first)
        #expect((connection["websocket"] as? [String: Any])?["kind"] as? String == "mid-stream")
        let verdict = connection["verdict"] as? [String: Any]
        #expect(verdict?["cause"] as? String == "accepted", "\(verdict?["summary"] ?? "")")
        let profile = (connection["gateway"] as? [String: Any])?["profile"] as? [String: Any]
        #expect(profile?["name"] as? String == "current")

        let off = try TestSupport.analyzeJSON([path], extra: ["--port", "0"])
        let offConnection = try #require((off["connections"] as? [[String: Any]])?.first)
        #expect((offConnection["websocket"] as? [String: Any])?["kind"] as? String != "mid-stream")
    }

    /// `--config`: `gateway.handshakeTimeoutMs` replaces the profile's timeout; out of range, the gateway ignores it.
    @Test func configTimeoutReplacesTheProfiles() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("openclaw.json")
        try Data("{ gateway: { handshakeTimeoutMs: 45000, }, }".utf8).write(to: config)
        let set = try Self.only("current-good-v3.pcap", extra: ["--config", config.path])
        let setProfile = (set["gateway"] as? [String: Any])?["profile"] as? [String: Any]
        #expect(setProfile?["handshakeTimeoutMs"] as? Int == 45_000)

        try Data(#"{"gateway":{"handshakeTimeoutMs":500}}"#.utf8).write(to: config)
        let ignored = try Self.only("good-v3.pcap", extra: ["--config", config.path])
        let ignoredProfile = (ignored["gateway"] as? [String: Any])?["profile"] as? [String: Any]
        #expect(ignoredProfile?["handshakeTimeoutMs"] as? Int == 3_000)
    }
}
