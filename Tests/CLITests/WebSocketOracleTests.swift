import Foundation
import Testing

/// wssniff's WebSocket frames against tshark 4.0's on the same captures: opcodes, FIN, mask, lengths, close codes
/// and the text of single-frame text messages (inflated where tshark manages it).
@Suite struct WebSocketOracleTests {
    /// One frame as both tools can describe it: where it ends, and its header.
    struct Frame: Hashable, CustomStringConvertible {
        var endPacket: Int
        var opcode: Int
        var fin: Bool
        var masked: Bool
        var length: Int
        var description: String {
            "p\(self.endPacket) op\(self.opcode) fin=\(self.fin) mask=\(self.masked) len=\(self.length)"
        }
    }

    static let files: [String] =
        TestSupport.corpusFiles().map(\.path)
        + ((try? FileManager.default.contentsOfDirectory(atPath: TestSupport.samplesDirectory.path)) ?? [])
        .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
        .map { TestSupport.samplesDirectory.appendingPathComponent($0).path }

    /// tshark's decode of every WebSocket frame, with the ports given as HTTP so it follows the upgrade.
    ///
    /// With `-o tcp.reassemble_out_of_order:TRUE` (needed for reordered streams), tshark holds every byte after a
    /// hole that is never filled and shows no frame after it; so for captures with lost segments it runs without.
    static func tsharkFrames(
        _ path: String,
        ports: Set<Int>,
        hasGaps: Bool
    ) throws -> (frames: [Frame], closeCodes: [Int], texts: [Int: String]) {
        let tshark = try #require(TsharkOracle.tshark, "tshark is needed as the oracle (scripts/setup.sh --test)")
        var arguments = ["-r", path]
        if !hasGaps {
            arguments += ["-o", "tcp.reassemble_out_of_order:TRUE"]
        }
        for port in ports.sorted() {
            arguments += ["-d", "tcp.port==\(port),http"]
        }
        arguments += ["-Y", "websocket", "-T", "json", "-J", "frame websocket", "--no-duplicate-keys"]
        let output = try TestSupport.run(tshark, arguments)
        guard !output.stdout.isEmpty else { return ([], [], [:]) }
        let packets = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]])
        var frames: [Frame] = []
        var closeCodes: [Int] = []
        var texts: [Int: String] = [:]
        for packet in packets {
            let layers = (packet["_source"] as? [String: Any])?["layers"] as? [String: Any] ?? [:]
            let number = Int((layers["frame"] as? [String: Any])?["frame.number"] as? String ?? "") ?? -1
            let websocket = layers["websocket"]
            let items = (websocket as? [[String: Any]]) ?? [(websocket as? [String: Any]) ?? [:]]
            for item in items {
                let short = Int(item["websocket.payload_length"] as? String ?? "") ?? -1
                var length = short
                if short == 126 { length = Int(item["websocket.payload_length_ext_16"] as? String ?? "") ?? -1 }
                if short == 127 { length = Int(item["websocket.payload_length_ext_64"] as? String ?? "") ?? -1 }
                let opcode = Int(item["websocket.opcode"] as? String ?? "") ?? -1
                frames.append(
                    Frame(
                        endPacket: number,
                        opcode: opcode,
                        fin: item["websocket.fin"] as? String == "1",
                        masked: item["websocket.mask"] as? String == "1",
                        length: length
                    )
                )
                let payload = item["websocket.payload"] as? [String: Any]
                if let close = payload?["websocket.payload.close"] as? [String: Any],
                    let code = Int(close["websocket.payload.close.status_code"] as? String ?? "")
                {
                    closeCodes.append(code)
                }
                if opcode == 1, item["websocket.fin"] as? String == "1",
                    let text = payload?["websocket.payload.text"] as? String
                {
                    texts[number] = text
                }
            }
        }
        return (frames, closeCodes, texts)
    }

    @Test(arguments: Self.files)
    func framesMatchTshark(path: String) throws {
        let document = try TestSupport.analyzeJSON([path], extra: ["--frames", "--messages", "--show-secrets"])
        let connections = try #require(document["connections"] as? [[String: Any]])
        var ours: [Frame] = []
        var ourCloses: [Int] = []
        var ourTexts: [Int: String] = [:]
        var ports: Set<Int> = []
        var hasGaps = false
        for connection in connections {
            hasGaps = hasGaps || ((connection["tcp"] as? [String: Any])?["gaps"] as? Int ?? 0) > 0
            guard let websocket = connection["websocket"] as? [String: Any] else { continue }
            if let port = (connection["server"] as? [String: Any])?["port"] as? Int { ports.insert(port) }
            for frame in websocket["frames"] as? [[String: Any]] ?? [] {
                ours.append(
                    Frame(
                        endPacket: frame["endPacket"] as? Int ?? -1,
                        opcode: frame["opcode"] as? Int ?? -1,
                        fin: frame["fin"] as? Bool ?? false,
                        masked: frame["masked"] as? Bool ?? false,
                        length: frame["length"] as? Int ?? -1
                    )
                )
            }
            for close in websocket["closes"] as? [[String: Any]] ?? [] {
                if let code = close["code"] as? Int { ourCloses.append(code) }
            }
            let frames = websocket["frames"] as? [[String: Any]] ?? []
            for message in websocket["messages"] as? [[String: Any]] ?? []
            where message["opcode"] as? Int == 1 && message["firstFrame"] as? Int == message["lastFrame"] as? Int
                // tshark shows invalid UTF-8 with replacement characters; wssniff gives such a message as base64.
                && message["utf8Valid"] as? Bool != false
            {
                let last = message["lastFrame"] as? Int
                let endPacket = frames.first { $0["number"] as? Int == last }?["endPacket"] as? Int ?? -1
                ourTexts[endPacket] = message["text"] as? String
            }
        }
        let theirs = try Self.tsharkFrames(path, ports: ports, hasGaps: hasGaps)
        #expect(
            ours.sorted { $0.description < $1.description } == theirs.frames.sorted { $0.description < $1.description },
            "wssniff: \(ours)\ntshark: \(theirs.frames)"
        )
        #expect(ourCloses.sorted() == theirs.closeCodes.sorted())
        // tshark prints invalid UTF-8 with replacement characters; wssniff reports such a message as base64.
        for (packet, text) in theirs.texts where ourTexts[packet] != nil || !text.contains("\u{FFFD}") {
            #expect(ourTexts[packet] == text, "text of the message ending in packet \(packet)")
        }
    }
}
