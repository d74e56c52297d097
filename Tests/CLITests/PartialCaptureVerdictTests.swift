import Foundation
import Testing

/// Partial captures made from the bundled samples the way capture setups make them: started at the client's
/// connect, stopped before the gateway's answer, ended inside a record, cut by a snaplen. The expected verdict of
/// each comes from the sample's entry in `samples/expected.json` (what the gateway logged) and the original
/// capture's own layout (which record holds the connect, the answer, the gateway's close), by the rules of
/// docs/verdicts.md: the gateway's words win where they are in the capture, a prediction only where they are not,
/// and missing bytes are named, never read as something else.
@Suite struct PartialCaptureVerdictTests {
    /// A sample's expectation, as the gateway logged it.
    struct Expectation {
        var cause: String
        var gatewayPort: Int
        var closeCode: Int?
        var closeReason: String
        var closedBy: String?
    }

    /// The single-connection pcap samples (the rewrites below read and write classic pcap).
    static let samples: [String] = SampleVerdictTests.expected()
        .filter { $0.key.hasSuffix(".pcap") && $0.value["connections"] == nil }
        .filter { $0.value["cause"] as? String != "not-websocket" }
        .keys.sorted()

    static func expectation(_ name: String) throws -> Expectation {
        let entry = try #require(SampleVerdictTests.expected()[name])
        return Expectation(
            cause: try #require(entry["cause"] as? String),
            gatewayPort: try #require(entry["gatewayPort"] as? Int),
            closeCode: entry["closeCode"] as? Int,
            closeReason: entry["closeReason"] as? String ?? "",
            closedBy: entry["closedBy"] as? String
        )
    }

    // MARK: Classic pcap

    /// A classic little-endian pcap file (the samples' format): its header and its records.
    struct Pcap {
        struct Record {
            /// ts_sec, ts_usec, incl_len, orig_len.
            var header: [UInt8]
            var data: [UInt8]
        }

        var header: [UInt8]
        var records: [Record]

        init(path: String) throws {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            try #require(bytes.count >= 24)
            // 0xa1b2c3d4 (microseconds) or 0xa1b23c4d (nanoseconds), stored little-endian.
            try #require(bytes[2] == 0xb2 && bytes[3] == 0xa1, "\(path) is a little-endian classic pcap")
            self.header = Array(bytes[0..<24])
            self.records = []
            var offset = 24
            while offset + 16 <= bytes.count {
                let included = Self.u32(bytes, offset + 8)
                let end = offset + 16 + included
                try #require(end <= bytes.count, "\(path): record at \(offset) is whole")
                self.records.append(
                    Record(header: Array(bytes[offset..<offset + 16]), data: Array(bytes[offset + 16..<end]))
                )
                offset = end
            }
        }

        static func u32(_ bytes: [UInt8], _ offset: Int) -> Int {
            Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3])
                << 24
        }

        static func putU32(_ value: Int, into bytes: inout [UInt8], at offset: Int) {
            for index in 0..<4 {
                bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index))
            }
        }

        /// Writes `records` (each cut to `snaplen` captured bytes, as libpcap does, with the header's snaplen set),
        /// then `tail` (a record that the file ends inside).
        func write(_ records: [Record], to path: String, snaplen: Int? = nil, tail: [UInt8] = []) throws {
            var header = self.header
            if let snaplen {
                Self.putU32(snaplen, into: &header, at: 16)
            }
            var out = header
            for record in records {
                var recordHeader = record.header
                let data = snaplen.map { Array(record.data.prefix($0)) } ?? record.data
                Self.putU32(data.count, into: &recordHeader, at: 8)
                out += recordHeader + data
            }
            out += tail
            try Data(out).write(to: URL(fileURLWithPath: path))
        }
    }

    // MARK: The original's layout

    /// Where the handshake sits in an original sample, as `wssniff --frames` reads the whole capture.
    struct Layout {
        /// 1-based record numbers.
        var connectRecord: Int?
        var answerRecord: Int?
        var serverCloseRecord: Int?
        /// The record of the first RFC 6455 breach.
        var breachRecord: Int?
        /// Whether the gateway's own `res` accepted the handshake (a later breach closed the connection).
        var handshakeAccepted: Bool
        /// permessage-deflate was negotiated without `server_no_context_takeover`: a gateway message can only be
        /// inflated with the ones before it.
        var serverContextTakeover: Bool
    }

    static func layout(_ path: String) throws -> Layout {
        let document = try TestSupport.analyzeJSON([path], extra: ["--frames", "--port", "0"])
        let connection = try #require((document["connections"] as? [[String: Any]])?.first)
        let websocket = try #require(connection["websocket"] as? [String: Any])
        let frames = websocket["frames"] as? [[String: Any]] ?? []
        // The connect is the client's first data frame; the answer is the gateway's first frame after the client's
        // first frame of any kind (a close can be all a raw client sends).
        let connect = frames.first { $0["direction"] as? String == "client" && ($0["opcode"] as? Int ?? 8) < 8 }
        let firstClientFrame = frames.first { $0["direction"] as? String == "client" }
        let connectEnd = firstClientFrame?["endPacket"] as? Int ?? Int.max
        let answer = frames.first { $0["direction"] as? String == "server" && ($0["packet"] as? Int ?? 0) > connectEnd }
        let close = frames.first { $0["direction"] as? String == "server" && $0["opcode"] as? Int == 8 }
        // Only a breach the receiver must answer (one with a close code) decides anything.
        let breach = (websocket["violations"] as? [[String: Any]] ?? [])
            .filter { $0["closeCode"] as? Int != nil }
            .compactMap { $0["packet"] as? Int }.min()
        let extensions = (websocket["upgrade"] as? [String: Any])?["extensions"] as? String ?? ""
        let gateway = connection["gateway"] as? [String: Any]
        return Layout(
            connectRecord: connect?["packet"] as? Int,
            answerRecord: answer?["packet"] as? Int,
            serverCloseRecord: close?["packet"] as? Int,
            breachRecord: breach,
            handshakeAccepted: (gateway?["response"] as? [String: Any])?["ok"] as? Bool == true,
            serverContextTakeover: extensions.contains("permessage-deflate")
                && !extensions.contains("server_no_context_takeover")
        )
    }

    /// The profile of the gateway a sample was recorded against: a cut capture does not carry its version, and what
    /// the gateway answers may hang on it (docs/gateway-versions.md), so the user gives it.
    static func gatewayVersion(_ name: String) -> String {
        name.hasPrefix("current-") || name == "upstream-port.pcap" ? "current" : "2026.3.13"
    }

    static func verdict(_ path: String, port: Int, version: String = "2026.3.13") throws -> [String: Any] {
        let document = try TestSupport.analyzeJSON(
            [path],
            extra: ["--port", String(port), "--gateway-version", version]
        )
        let connections = try #require(document["connections"] as? [[String: Any]])
        try #require(connections.count == 1, "one connection in \(path)")
        return try #require(connections[0]["verdict"] as? [String: Any])
    }

    /// The causes a capture that ends before the answer can predict from the connect: the gateway's shared token
    /// and pairing are not on the wire, so a connect refused for them (or accepted) predicts nothing.
    /// (An origin is refused against the gateway's allow-list, which the wire does not show.)
    static let decidedBeyondTheWire: Set<String> = [
        "accepted", "unauthorized", "pairing-required", "gateway-starting", "origin-not-allowed",
    ]

    // MARK: Started at the connect

    /// The capture starts with the client's connect: no SYN, no upgrade, no challenge. Whatever the gateway said
    /// is in it, so the verdict is the gateway's, observed.
    @Test(arguments: Self.samples)
    func captureStartedAtTheConnect(name: String) throws {
        let expected = try Self.expectation(name)
        let original = TestSupport.samplesDirectory.appendingPathComponent(name).path
        let layout = try Self.layout(original)
        // A connection where the client never sent a frame (the timeout) has no connect to start at.
        guard let connect = layout.connectRecord else { return }
        let pcap = try Pcap(path: original)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("from-connect.pcap").path
        try pcap.write(Array(pcap.records[(connect - 1)...]), to: path)

        let verdict = try Self.verdict(path, port: expected.gatewayPort, version: Self.gatewayVersion(name))
        let summary = verdict["summary"] as? String ?? ""
        if expected.cause == "accepted" && layout.serverContextTakeover {
            // hello-ok is only said in a message compressed against the challenge, which is not in the capture.
            #expect(verdict["cause"] as? String == "incomplete-capture", "\(name): \(summary)")
            #expect(verdict["observed"] as? Bool == false)
            #expect(summary.contains("cannot be inflated"), "\(name): \(summary)")
            return
        }
        #expect(verdict["cause"] as? String == expected.cause, "\(name): \(summary)")
        #expect(verdict["observed"] as? Bool == true, "\(name): \(summary)")
        if expected.cause == "accepted" {
            #expect(summary.contains("`connect.challenge`"), "\(name) says the challenge is missing: \(summary)")
        }
    }

    // MARK: Stopped before the answer

    /// What a capture without the gateway's answer predicts: the sample's cause when the wire before the answer
    /// shows it (a breach, or a check the connect fails), else nothing beyond `incomplete-capture`.
    static func predictedCause(_ expected: Expectation, _ layout: Layout, answer: Int) -> String {
        if let breach = layout.breachRecord, breach < answer {
            return expected.cause
        }
        if layout.handshakeAccepted || Self.decidedBeyondTheWire.contains(expected.cause) {
            return "incomplete-capture"
        }
        // A timeout that fired although the connect came in time (a busy gateway) is the gateway's load, not the wire.
        if expected.cause == "handshake-timeout", let connect = layout.connectRecord, connect < answer {
            return "incomplete-capture"
        }
        return expected.cause
    }

    /// The capture stops just before the record of the gateway's answer, or inside it (a file cut mid-record).
    @Test(arguments: Self.samples, ["before", "inside"])
    func captureStoppedBeforeTheAnswer(name: String, cut: String) throws {
        let expected = try Self.expectation(name)
        let original = TestSupport.samplesDirectory.appendingPathComponent(name).path
        let layout = try Self.layout(original)
        guard let answer = layout.answerRecord else { return }
        let pcap = try Pcap(path: original)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("\(cut)-answer.pcap").path
        let kept = Array(pcap.records[..<(answer - 1)])
        var tail: [UInt8] = []
        if cut == "inside" {
            let record = pcap.records[answer - 1]
            tail = record.header + record.data.prefix(record.data.count / 2)
        }
        try pcap.write(kept, to: path, tail: tail)

        let verdict = try Self.verdict(path, port: expected.gatewayPort, version: Self.gatewayVersion(name))
        let summary = verdict["summary"] as? String ?? ""
        #expect(
            verdict["cause"] as? String == Self.predictedCause(expected, layout, answer: answer),
            "\(name), \(cut): \(summary)"
        )
        #expect(verdict["observed"] as? Bool == false, "\(name), \(cut): the answer is not in the capture")
        #expect(verdict["predictionReason"] != nil)
        // The answer is missing: because the capture ends, or (where reassembly declared bytes lost) unreadable.
        #expect(
            summary.contains("capture ends") || summary.contains("answer to the connect is not readable"),
            "\(name), \(cut) says the answer is missing: \(summary)"
        )
    }

    // MARK: Snaplen

    /// Every record cut to the snaplen. Where the gateway's close (with its reason, or a `ws` code) fits whole,
    /// its words are the verdict; otherwise the verdict is `incomplete-capture`. Either way the summary names the
    /// snaplen, and never says "not WebSocket" or "not a gateway".
    @Test(arguments: Self.samples, [64, 96, 128, 200])
    func snaplenCutsTheRecords(name: String, snaplen: Int) throws {
        let expected = try Self.expectation(name)
        let original = TestSupport.samplesDirectory.appendingPathComponent(name).path
        let layout = try Self.layout(original)
        let pcap = try Pcap(path: original)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("snaplen-\(snaplen).pcap").path
        try pcap.write(pcap.records, to: path, snaplen: snaplen)

        let closeFits = layout.serverCloseRecord.map { pcap.records[$0 - 1].data.count <= snaplen } ?? false
        let gatewayWords =
            expected.closedBy == "gateway"
            && (!expected.closeReason.isEmpty || [1002, 1007, 1009].contains(expected.closeCode ?? 0))
        let verdict = try Self.verdict(path, port: expected.gatewayPort, version: Self.gatewayVersion(name))
        let summary = verdict["summary"] as? String ?? ""
        if closeFits && gatewayWords {
            #expect(verdict["cause"] as? String == expected.cause, "\(name) at \(snaplen): \(summary)")
            #expect(verdict["observed"] as? Bool == true)
        } else {
            #expect(verdict["cause"] as? String == "incomplete-capture", "\(name) at \(snaplen): \(summary)")
            #expect(verdict["observed"] as? Bool == false)
        }
        #expect(summary.contains("snaplen (\(snaplen) bytes)"), "\(name) at \(snaplen) names the snaplen: \(summary)")

        // Without the gateway port the frames are not read, and the cut upgrade is still not "no upgrade".
        let unknownPort = try Self.verdict(path, port: 0)
        #expect(unknownPort["cause"] as? String == "incomplete-capture", "\(name) at \(snaplen), --port 0")
        #expect((unknownPort["summary"] as? String ?? "").contains("snaplen (\(snaplen) bytes)"))
    }

    // MARK: Lost segments

    /// The TCP payload length and destination port of a record (Ethernet or Linux cooked, IPv4), `nil` when it
    /// is not IPv4 TCP.
    static func tcpPayload(_ record: Pcap.Record, linkType: Int) -> (destinationPort: Int, length: Int)? {
        let data = record.data
        let ip: Int
        switch linkType {
        case 1: ip = 14
        case 113: ip = 16
        case 276: ip = 20
        default: return nil
        }
        guard data.count >= ip + 20, data[ip] >> 4 == 4, data[ip + 9] == 6 else { return nil }
        let ipHeader = Int(data[ip] & 0x0f) * 4
        let total = Int(data[ip + 2]) << 8 | Int(data[ip + 3])
        let tcp = ip + ipHeader
        guard data.count >= tcp + 20 else { return nil }
        let tcpHeader = Int(data[tcp + 12] >> 4) * 4
        return (Int(data[tcp + 2]) << 8 | Int(data[tcp + 3]), total - ipHeader - tcpHeader)
    }

    /// A segment of the connect is missing (one of the client's data records inside the connect's frame). The
    /// gateway's words still decide where they are in the capture; otherwise the verdict names the missing
    /// bytes, never reads the cut connect as "not JSON".
    @Test(arguments: Self.samples)
    func aSegmentOfTheConnectIsLost(name: String) throws {
        let expected = try Self.expectation(name)
        let original = TestSupport.samplesDirectory.appendingPathComponent(name).path
        let layout = try Self.layout(original)
        guard let first = layout.connectRecord else { return }
        let pcap = try Pcap(path: original)
        let linkType = Pcap.u32(pcap.header, 20) & 0xffff
        let connectEnd = try Self.connectEnd(original)
        let clientData = (first...connectEnd).filter { number in
            Self.tcpPayload(pcap.records[number - 1], linkType: linkType).map {
                $0.destinationPort == expected.gatewayPort && $0.length > 0
            } ?? false
        }
        try #require(!clientData.isEmpty, "\(name): the connect's records carry client data")
        let dropped = clientData[clientData.count / 2]
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("lost-segment.pcap").path
        try pcap.write(pcap.records.enumerated().filter { $0.offset != dropped - 1 }.map(\.element), to: path)

        let verdict = try Self.verdict(path, port: expected.gatewayPort, version: Self.gatewayVersion(name))
        let summary = verdict["summary"] as? String ?? ""
        let gatewayWords =
            expected.closedBy == "gateway"
            && (!expected.closeReason.isEmpty || [1002, 1007, 1009].contains(expected.closeCode ?? 0))
        if gatewayWords || expected.cause == "accepted" {
            #expect(verdict["cause"] as? String == expected.cause, "\(name) without record \(dropped): \(summary)")
            #expect(verdict["observed"] as? Bool == true)
        } else if expected.cause == "connection-dropped" && layout.handshakeAccepted {
            // The hello-ok is the gateway's word; with bytes missing, no close frame cannot be told from a lost one.
            #expect(verdict["cause"] as? String == "accepted", "\(name) without record \(dropped): \(summary)")
            #expect(verdict["observed"] as? Bool == true)
        } else {
            #expect(
                verdict["cause"] as? String == "incomplete-capture",
                "\(name) without record \(dropped): \(summary)"
            )
            #expect(verdict["observed"] as? Bool == false)
        }
        #expect(summary.contains("never captured"), "\(name) without record \(dropped) names the loss: \(summary)")
    }

    /// The record where the client's first data frame ends.
    static func connectEnd(_ path: String) throws -> Int {
        let document = try TestSupport.analyzeJSON([path], extra: ["--frames", "--port", "0"])
        let connection = try #require((document["connections"] as? [[String: Any]])?.first)
        let frames = (connection["websocket"] as? [String: Any])?["frames"] as? [[String: Any]] ?? []
        let connect = try #require(
            frames.first { $0["direction"] as? String == "client" && ($0["opcode"] as? Int ?? 8) < 8 }
        )
        return try #require(connect["endPacket"] as? Int)
    }
}
