import Foundation
import Testing

/// Every third-party capture opens, and wssniff's TCP connections and reassembled byte counts match tshark's.
@Suite struct CorpusReassemblyTests {
    static let files = TestSupport.corpusFiles().map(\.path)

    @Test func corpusIsPresent() {
        #expect(Self.files.count >= 13, "expected the third-party corpus in \(TestSupport.corpusDirectory.path)")
    }

    @Test(arguments: Self.files)
    func connectionsAndBytesMatchTshark(path: String) throws {
        try #require(TsharkOracle.tshark != nil, "tshark is needed as the oracle (scripts/setup.sh --test)")
        let document = try TestSupport.analyzeJSON([path])
        let connections = try #require(document["connections"] as? [[String: Any]])
        let ours = Set(
            try connections.map { connection -> TsharkOracle.Conversation in
                let client = try #require(connection["client"] as? [String: Any])
                let server = try #require(connection["server"] as? [String: Any])
                let tcp = try #require(connection["tcp"] as? [String: Any])
                return TsharkOracle.Conversation(
                    nodeA: Self.node(client),
                    bytesA: try #require(tcp["clientBytes"] as? Int),
                    nodeB: Self.node(server),
                    bytesB: try #require(tcp["serverBytes"] as? Int)
                ).normalized
            }
        )
        let theirs = Set(try TsharkOracle.conversations(path).map(\.normalized))
        #expect(!theirs.isEmpty)
        #expect(
            ours == theirs,
            "wssniff: \(ours.sorted { $0.description < $1.description })\ntshark: \(theirs.sorted { $0.description < $1.description })"
        )
    }

    @Test(arguments: Self.files)
    func inputSummaryMatchesTshark(path: String) throws {
        let tshark = try #require(TsharkOracle.tshark, "tshark is needed as the oracle")
        let document = try TestSupport.analyzeJSON([path])
        let input = try #require(document["input"] as? [String: Any])
        let frames = try TestSupport.run(
            tshark,
            ["-r", path, "-T", "fields", "-e", "frame.len", "-e", "frame.cap_len"]
        )
        let lines = frames.stdout.split(separator: "\n")
        #expect(input["packets"] as? Int == lines.count)
        let captured = lines.compactMap { $0.split(separator: "\t").last.flatMap { Int($0) } }.reduce(0, +)
        #expect(input["bytes"] as? Int == captured)
        // analyze hashes only when asked (the JSON contract: null otherwise).
        #expect(input["sha256"] is NSNull)
        let hashed = try #require(try TestSupport.analyzeJSON([path], extra: ["--sha256"])["input"] as? [String: Any])
        let sha = try TestSupport.run("/usr/bin/sha256sum", [path]).stdout.split(separator: " ").first.map(String.init)
        #expect(hashed["sha256"] as? String == sha)
        let files = try #require(hashed["files"] as? [[String: Any]])
        #expect(files.first?["sha256"] as? String == sha)
    }

    private static func node(_ endpoint: [String: Any]) -> String {
        let ip = endpoint["ip"] as? String ?? "?"
        let port = endpoint["port"] as? Int ?? -1
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
