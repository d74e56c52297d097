import Foundation
import Glibc
import Testing

/// The gateway's messages after `hello-ok` are skipped by length unless `--check-payloads` (issue 7: "payloads
/// unmasked and inflated only when needed"); the client's never are. On real traffic: the reference gateway's `ws`
/// accepts a good v3 connect, answers 20 health requests, then closes with 1007 on a text message holding C3 28.
@Suite struct ChatPayloadTests {
    static let token = "wssniff-reference-token"

    @Test(.enabled(if: TestSupport.isRoot && ReferenceGateway.available, "needs root (live capture) and node-ws"))
    func theGatewaysRefusalIsExplainedWhateverIsSkipped() throws {
        let gateway = try ReferenceGateway(["--token", Self.token])
        let capture = try CaptureCommandTests.BackgroundCapture(port: gateway.port)
        let client = try gateway.client(["--scenario", "chat-invalid-utf8", "--token", Self.token])
        #expect(client.status == 0, "client: \(client.stderr)")
        #expect(client.stdout.contains(#""closeCode":1007"#), "the gateway's ws refused the message: \(client.stdout)")
        usleep(300_000)
        #expect(capture.stop() == 0, "capture: \(capture.stderr)")
        let port = String(gateway.port)

        func connection(_ extra: [String]) throws -> [String: Any] {
            let document = try TestSupport.analyzeJSON([capture.pcap.path], extra: ["--port", port] + extra)
            let connections = try #require(document["connections"] as? [[String: Any]])
            #expect(connections.count == 1)
            return try #require(connections.first)
        }
        let skipped = try connection([])
        let checked = try connection(["--check-payloads"])
        let fast = try #require(skipped["websocket"] as? [String: Any])
        let full = try #require(checked["websocket"] as? [String: Any])

        // Past the 16 kept gateway messages (the challenge, hello-ok and 14 answers), the last 6 answers were
        // skipped by length; the client's 22 messages (the connect, 20 requests, the refused one) were all checked.
        #expect(fast["serverMessages"] as? Int == 22)
        #expect(fast["uncheckedMessages"] as? Int == 6)
        #expect(full["uncheckedMessages"] as? Int == 0)
        for websocket in [fast, full] {
            #expect(websocket["clientMessages"] as? Int == 22)
            #expect(websocket["frameCount"] as? Int == fast["frameCount"] as? Int)
            let found = (websocket["violations"] as? [[String: Any]] ?? []).map { $0["rule"] as? String ?? "" }
            #expect(found == ["invalid-utf8"])
            let violation = (websocket["violations"] as? [[String: Any]])?.first
            #expect(violation?["direction"] as? String == "client")
            #expect((violation?["detail"] as? String)?.contains("client text message 22") == true)
            let closes = websocket["closes"] as? [[String: Any]] ?? []
            #expect(closes.first { $0["direction"] as? String == "server" }?["code"] as? Int == 1007)
        }
        // The same answer either way: the gateway's 1007 is the client's message 22; the proof is read in full.
        for connection in [skipped, checked] {
            let verdict = try #require(connection["verdict"] as? [String: Any])
            #expect(verdict["cause"] as? String == "invalid-utf8")
            #expect(verdict["observed"] as? Bool == true)
            #expect((verdict["summary"] as? String)?.hasPrefix("1007 with an empty reason from the server") == true)
            #expect((connection["proof"] as? [String: Any])?["signedForm"] as? String == "v3")
        }
        #expect(
            (skipped["verdict"] as? [String: Any])?["summary"] as? String
                == (checked["verdict"] as? [String: Any])?["summary"] as? String
        )
        // The client only echoed the gateway's close, so the text output has no note on skipped messages.
        let text = try TestSupport.wssniff(arguments: ["analyze", "--port", port, capture.pcap.path])
        #expect(text.status == 0)
        #expect(!text.stdout.contains("skipped by length"))
        #expect(text.stdout.contains("invalid-utf8 (RFC 6455 8.1): client text message 22"))
    }
}
