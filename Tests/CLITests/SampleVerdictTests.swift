import Foundation
import Testing

/// Every bundled sample gets the verdict the reference gateway itself logged for it (`samples/expected.json`).
@Suite struct SampleVerdictTests {
    static func expected() -> [String: [String: Any]] {
        let url = TestSupport.samplesDirectory.appendingPathComponent("expected.json")
        guard let data = try? Data(contentsOf: url),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: [String: Any]]
        else { return [:] }
        return object
    }

    static let files: [String] = Self.expected().keys.sorted()

    /// The samples that carry a gateway handshake: all but the ones that never became WebSocket (a TLS client on the
    /// plain port), which the rewrite and cut tests have no frames to follow in.
    static let handshakeFiles: [String] = Self.files.filter {
        Self.expected()[$0]?["cause"] as? String != "not-websocket"
    }

    @Test func expectationsArePresent() {
        #expect(Self.files.count >= 40, "samples/expected.json lists the gateway samples")
        #expect(Self.files.contains("nas-protocol-mismatch.pcap"))
    }

    @Test(arguments: Self.files)
    func verdictMatchesTheGatewaysLog(file: String) throws {
        let entry = try #require(Self.expected()[file])
        let expectations = (entry["connections"] as? [[String: Any]]) ?? [entry]
        let path = TestSupport.samplesDirectory.appendingPathComponent(file).path
        let document = try TestSupport.analyzeJSON([path], extra: ["--port", "0"])
        let connections = try #require(document["connections"] as? [[String: Any]])
        for expectation in expectations {
            let clientPort = try #require(expectation["clientPort"] as? Int)
            let connection = try #require(
                connections.first { ($0["client"] as? [String: Any])?["port"] as? Int == clientPort },
                "no connection from client port \(clientPort) in \(file)"
            )
            let verdict = try #require(connection["verdict"] as? [String: Any])
            #expect(
                verdict["cause"] as? String == expectation["cause"] as? String,
                "\(file): \(verdict["summary"] ?? "")"
            )
            #expect(verdict["observed"] as? Bool == true, "\(file): the gateway's answer is in the capture")
            let summary = verdict["summary"] as? String ?? ""
            #expect(!summary.isEmpty)
            // The gateway's close, as the gateway logged it.
            if expectation["closedBy"] as? String == "gateway", let code = expectation["closeCode"] as? Int {
                let closes = (connection["websocket"] as? [String: Any])?["closes"] as? [[String: Any]] ?? []
                let serverClose = closes.first { $0["direction"] as? String == "server" }
                #expect(serverClose?["code"] as? Int == code, "\(file): the gateway closed with \(code)")
                #expect(serverClose?["reason"] as? String == expectation["closeReason"] as? String ?? "")
                #expect(summary.contains(String(code)), "\(file): the summary names the close code: \(summary)")
            }
            if let form = expectation["signedForm"] as? String {
                let proof = try #require(connection["proof"] as? [String: Any], "\(file) has a device proof")
                #expect(proof["signedForm"] as? String == form)
            }
        }
    }

    /// samples/stale-nonce.pcap: the second connection signs and sends the first one's challenge nonce; the first
    /// connection ends after the second. `analyze` names the earlier challenge (connection and time) in the later
    /// connection's verdict, and says nothing stale of the earlier one: whether the gateway's port is given (35753,
    /// where the upgrade already marks the connection as the gateway's) or not.
    @Test(arguments: ["0", "35753"])
    func staleNonceNamesTheEarlierConnection(port: String) throws {
        let path = TestSupport.samplesDirectory.appendingPathComponent("stale-nonce.pcap").path
        let document = try TestSupport.analyzeJSON([path], extra: ["--port", port])
        let connections = try #require(document["connections"] as? [[String: Any]])
        func verdict(_ port: Int) throws -> [String: Any] {
            let connection = try #require(
                connections.first { ($0["client"] as? [String: Any])?["port"] as? Int == port }
            )
            return try #require(connection["verdict"] as? [String: Any])
        }
        let later = try verdict(44222)
        #expect(later["cause"] as? String == "device-nonce-mismatch")
        let summary = later["summary"] as? String ?? ""
        #expect(
            summary.contains(
                "this is the challenge of the connection from 127.0.0.1:44206 to 127.0.0.1:35753, sent at "
            ),
            "\(summary)"
        )
        let earlier = try verdict(44206)
        #expect(earlier["cause"] as? String == "accepted")
        #expect(!(earlier["summary"] as? String ?? "").contains("this is the challenge of"))
    }

    /// The samples carry the reference token; no output mode but --show-secrets shows it.
    @Test func theSharedTokenNeverReachesOutput() throws {
        let path = TestSupport.samplesDirectory.appendingPathComponent("good-v3.pcap").path
        for format in ["text", "json"] {
            let output = try TestSupport.wssniff(arguments: [
                "analyze", "--format", format, "--frames", "--messages", path,
            ])
            #expect(output.status == 0)
            #expect(!output.stdout.contains("wssniff-reference-token"), "\(format) output leaks the token")
            #expect(output.stdout.contains("<redacted sha256:"))
        }
        let shown = try TestSupport.wssniff(arguments: ["analyze", "--messages", "--show-secrets", path])
        #expect(shown.stdout.contains("wssniff-reference-token"))
    }
}
