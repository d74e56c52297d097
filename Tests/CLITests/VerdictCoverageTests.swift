import Foundation
import Testing

/// The causes the reference scenarios cannot produce on their own: captures that end early, capture that start
/// late, connections that are not WebSocket or not the gateway. Each is made from a real capture cut with editcap.
@Suite struct VerdictCoverageTests {
    static func sample(_ name: String) -> String {
        TestSupport.samplesDirectory.appendingPathComponent(name).path
    }

    /// Keeps records `range` (editcap's `-r` syntax, 1-based) of `source` in a new file.
    static func cut(_ source: String, keep range: String) throws -> (path: String, directory: URL) {
        let editcap = try #require(TestSupport.which("editcap"), "editcap (wireshark-common) is installed with tshark")
        let directory = try TestSupport.temporaryDirectory()
        let path = directory.appendingPathComponent("cut.pcap").path
        let result = try TestSupport.run(editcap, ["-r", source, path, range])
        #expect(result.status == 0, "editcap: \(result.stderr)")
        return (path, directory)
    }

    static func verdicts(_ path: String, extra: [String] = []) throws -> [[String: Any]] {
        let document = try TestSupport.analyzeJSON([path], extra: extra)
        let connections = try #require(document["connections"] as? [[String: Any]])
        return connections.compactMap { $0["verdict"] as? [String: Any] }
    }

    @Test func aConnectWithNoAnswerIsAnIncompleteCapture() throws {
        // good-v3: the connect is packet 10; the gateway's hello-ok is packet 11.
        let (path, directory) = try Self.cut(Self.sample("good-v3.pcap"), keep: "1-10")
        defer { try? FileManager.default.removeItem(at: directory) }
        let verdict = try #require(try Self.verdicts(path).first)
        #expect(verdict["cause"] as? String == "incomplete-capture")
        #expect(verdict["observed"] as? Bool == false)
        #expect(verdict["predictionReason"] != nil)
    }

    @Test func aProtocolMismatchIsPredictedBeforeTheGatewaySaysIt() throws {
        let (path, directory) = try Self.cut(Self.sample("nas-protocol-mismatch.pcap"), keep: "1-10")
        defer { try? FileManager.default.removeItem(at: directory) }
        let verdict = try #require(try Self.verdicts(path).first)
        #expect(verdict["cause"] as? String == "protocol-mismatch")
        #expect(verdict["observed"] as? Bool == false)
        #expect((verdict["summary"] as? String ?? "").contains("4..4"))
    }

    @Test func aCaptureStartedAfterTheUpgradeIsResynchronized() throws {
        // websocket-echo: the JSON text goes out in packet 12; keep from there on.
        let original = try TestSupport.analyzeJSON([Self.sample("websocket-echo.pcap")], extra: ["--messages"])
        let (path, directory) = try Self.cut(Self.sample("websocket-echo.pcap"), keep: "12-22")
        defer { try? FileManager.default.removeItem(at: directory) }
        let late = try TestSupport.analyzeJSON([path], extra: ["--messages"])
        let websocket = try #require(
            ((late["connections"] as? [[String: Any]])?.first?["websocket"]) as? [String: Any]
        )
        #expect(websocket["kind"] as? String == "mid-stream")
        #expect((websocket["upgrade"] as? [String: Any])?["seen"] as? Bool == false)
        #expect((websocket["violations"] as? [Any])?.isEmpty == true)
        // The messages seen after the cut are the last ones of the whole capture, inflated the same way.
        func texts(_ document: [String: Any]) -> [String] {
            let connection = (document["connections"] as? [[String: Any]])?.first
            let messages = (connection?["websocket"] as? [String: Any])?["messages"] as? [[String: Any]] ?? []
            return messages.compactMap { $0["text"] as? String }
        }
        let lateTexts = texts(late)
        #expect(lateTexts.count >= 4)
        #expect(Set(lateTexts).isSubset(of: Set(texts(original))))
        let closes = websocket["closes"] as? [[String: Any]] ?? []
        #expect(closes.map { $0["code"] as? Int } == [1000, 1000])
    }

    @Test func aWebSocketThatIsNotTheGatewayIsNotGateway() throws {
        let verdict = try #require(try Self.verdicts(Self.sample("websocket-echo.pcap")).first)
        #expect(verdict["cause"] as? String == "not-gateway")
    }

    @Test func aTCPConnectionThatIsNotWebSocket() throws {
        // The first connection of the NDN capture is a short exchange that is not HTTP.
        let path = TestSupport.corpusDirectory.appendingPathComponent("ndn-ipv4-websocket-segmented.pcap").path
        let verdicts = try Self.verdicts(path)
        #expect(verdicts.map { $0["cause"] as? String } == ["not-websocket", "not-gateway"])
    }

    @Test func aBreachWithNoAnswerYetIsPredicted() throws {
        // raw-client-frame-unmasked: keep everything up to the unmasked connect, drop the gateway's 1002.
        let full = try TestSupport.analyzeJSON([Self.sample("raw-client-frame-unmasked.pcap")], extra: ["--frames"])
        let connection = try #require((full["connections"] as? [[String: Any]])?.first)
        let frames = (connection["websocket"] as? [String: Any])?["frames"] as? [[String: Any]] ?? []
        let unmasked = try #require(frames.first { $0["direction"] as? String == "client" })
        let last = try #require(unmasked["endPacket"] as? Int)
        let (path, directory) = try Self.cut(Self.sample("raw-client-frame-unmasked.pcap"), keep: "1-\(last)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let verdict = try #require(try Self.verdicts(path).first)
        #expect(verdict["cause"] as? String == "frame-violation")
        #expect(verdict["observed"] as? Bool == false)
    }
}
