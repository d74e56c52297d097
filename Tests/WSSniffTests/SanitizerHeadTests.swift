import Foundation
import Testing

@testable import WSSniff

/// The sanitized copy's HTTP heads on adversarial captures built here byte by byte: retransmitted heads with other
/// bytes, a reused port. (Found in review of the earlier sanitizer, which read the heads with its own second
/// reassembly; the copy is now planned from the analysis's own provenance, and these captures check it.)
@Suite struct SanitizerHeadTests {
    /// A classic pcap (Ethernet, IPv4, TCP) written packet by packet.
    struct PcapBuilder {
        var records: [[UInt8]] = []
        var time: UInt32 = 1_700_000_000

        mutating func tcp(
            from source: (ip: [UInt8], port: UInt16),
            to destination: (ip: [UInt8], port: UInt16),
            seq: UInt32,
            ack: UInt32 = 0,
            flags: UInt8,
            _ payload: [UInt8] = []
        ) {
            func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
            func be32(_ value: UInt32) -> [UInt8] { be16(UInt16(value >> 16)) + be16(UInt16(value & 0xFFFF)) }
            let tcp =
                be16(source.port) + be16(destination.port) + be32(seq) + be32(ack) + [0x50, flags]
                + be16(65_535) + [0, 0, 0, 0] + payload
            var ip: [UInt8] =
                [0x45, 0] + be16(UInt16(20 + tcp.count)) + [0, 0, 0x40, 0, 64, 6, 0, 0]
                + source.ip + destination.ip
            var sum: UInt32 = 0
            for index in stride(from: 0, to: 20, by: 2) { sum += UInt32(ip[index]) << 8 | UInt32(ip[index + 1]) }
            while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
            ip[10] = UInt8((~sum >> 8) & 0xFF)
            ip[11] = UInt8(~sum & 0xFF)
            let ethernet: [UInt8] = [0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0x08, 0x00]
            self.records.append(ethernet + ip + tcp)
        }

        func bytes() -> [UInt8] {
            func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
            var out = le32(0xA1B2_C3D4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65_535) + le32(1)
            for (index, record) in self.records.enumerated() {
                out += le32(self.time) + le32(UInt32(index)) + le32(UInt32(record.count)) + le32(UInt32(record.count))
                out += record
            }
            return out
        }

        func write() throws -> String {
            let path = FileManager.default.temporaryDirectory
                .appendingPathComponent("wssniff-sanitizer-\(UUID().uuidString).pcap").path
            try Data(self.bytes()).write(to: URL(fileURLWithPath: path))
            return path
        }
    }

    static let client = (ip: [UInt8]([10, 0, 0, 1]), port: UInt16(50_000))
    static let server = (ip: [UInt8]([10, 0, 0, 2]), port: UInt16(42_919))
    static let SYN: UInt8 = 0x02
    static let ACK: UInt8 = 0x10
    static let PSH: UInt8 = 0x08

    static func upgradeRequest(_ extra: String) -> [UInt8] {
        Array(
            ("GET / HTTP/1.1\r\nHost: 10.0.0.2:42919\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\(extra)\r\n").utf8
        )
    }

    /// Runs `wssniff report --sanitized-pcap` on the capture at `path` (the analysis plans the rewrite, then the copy
    /// is written) and gives the copy's bytes and the secrets found. Both files are removed before it returns.
    static func sanitize(_ path: String) throws -> (copy: [UInt8], secrets: Set<String>) {
        let output = path + ".sanitized.pcap"
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: output)
        }
        var request = ReportRequest()
        request.captures = [path]
        request.sanitizedPath = output
        request.port = 42_919
        let report = try EvidenceReport.make(request)
        return (Array(try Data(contentsOf: URL(fileURLWithPath: output))), report.secrets)
    }

    static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let needle = Array(needle.utf8)
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains {
            haystack[$0..<($0 + needle.count)].elementsEqual(needle)
        }
    }

    /// Runs the report as `wssniff report --sanitized-pcap` does (the analysis, the head pass, the copy); gives the
    /// copy's bytes and the report. Both files are removed before it returns.
    static func report(_ pcap: PcapBuilder) throws -> (copy: [UInt8], report: EvidenceReport) {
        let path = try pcap.write()
        let output = path + ".sanitized.pcap"
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: output)
        }
        var request = ReportRequest()
        request.captures = [path]
        request.sanitizedPath = output
        request.port = 42_919
        let report = try EvidenceReport.make(request)
        return (Array(try Data(contentsOf: URL(fileURLWithPath: output))), report)
    }

    static let response = Array(
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n").utf8
    )

    static let bearer = "SECRETBEARER12345"

    /// Two copies of one upgrade head, of the same length: one with an `Authorization: Bearer` line, the other with a
    /// padding header in its place; `order` says which comes first.
    static func copies(_ order: String) -> [[UInt8]] {
        let secretHeader = "Authorization: Bearer \(Self.bearer)\r\n"
        let padding = "X-Padding: " + String(repeating: "a", count: secretHeader.utf8.count - 13) + "\r\n"
        let heads = [Self.upgradeRequest(padding), Self.upgradeRequest(secretHeader)]
        return order == "secretInLaterCopy" ? heads : heads.reversed()
    }

    /// A client head sent once and retransmitted (same sequence numbers) with other bytes: one copy carries an
    /// `Authorization: Bearer` header where the other carries padding of the same length. Whichever copy holds it,
    /// the bearer token must not survive in the sanitized capture: in the copy the analysis read it is rewritten in
    /// every copy; in the other, the copy differs from what was read and is blanked.
    @Test(arguments: ["secretInLaterCopy", "secretInFirstCopy"])
    func aRetransmittedHeadCannotSmuggleASecret(_ order: String) throws {
        var pcap = PcapBuilder()
        pcap.tcp(from: Self.client, to: Self.server, seq: 999, flags: Self.SYN)
        pcap.tcp(from: Self.server, to: Self.client, seq: 4_999, ack: 1_000, flags: Self.SYN | Self.ACK)
        pcap.tcp(from: Self.client, to: Self.server, seq: 1_000, ack: 5_000, flags: Self.ACK)
        for head in Self.copies(order) {
            pcap.tcp(from: Self.client, to: Self.server, seq: 1_000, ack: 5_000, flags: Self.PSH | Self.ACK, head)
        }
        let path = try pcap.write()
        #expect(Self.contains(pcap.bytes(), Self.bearer), "the control: the capture carries the token")
        let (copy, secrets) = try Self.sanitize(path)
        let survives = Self.contains(copy, Self.bearer)
        #expect(!survives, "the bearer token survives in the sanitized copy")
        // The analysis reads the first copy: a token there is found; one only in the later copy is never read, and
        // that copy, differing from the one read, is blanked.
        #expect(secrets.contains(Self.bearer) == (order == "secretInFirstCopy"))
    }

    /// The same, but the head comes in two segments and the retransmission of the first arrives before the second:
    /// the head is not complete when its bytes change, so the earlier bytes are kept and read when it is, whether
    /// the flow's head settles during the pass (WebSocket bytes follow it) or only at the end of the capture.
    @Test(arguments: ["secretInLaterCopy", "secretInFirstCopy"], [false, true])
    func aRetransmissionBeforeTheHeadCompletesCannotSmuggleASecret(_ order: String, dataFollows: Bool) throws {
        let heads = Self.copies(order)
        let cut = heads[0].count - 2  // each copy holds its whole header line; the empty line comes last
        var pcap = PcapBuilder()
        pcap.tcp(from: Self.client, to: Self.server, seq: 999, flags: Self.SYN)
        pcap.tcp(from: Self.client, to: Self.server, seq: 1_000, flags: Self.PSH | Self.ACK, Array(heads[0][..<cut]))
        pcap.tcp(from: Self.client, to: Self.server, seq: 1_000, flags: Self.PSH | Self.ACK, Array(heads[1][..<cut]))
        pcap.tcp(
            from: Self.client,
            to: Self.server,
            seq: 1_000 + UInt32(cut),
            flags: Self.PSH | Self.ACK,
            Array(heads[1][cut...])
        )
        if dataFollows {
            pcap.tcp(
                from: Self.client,
                to: Self.server,
                seq: 1_000 + UInt32(heads[1].count),
                flags: Self.PSH | Self.ACK,
                Array(repeating: 0x81, count: 2 * heads[1].count)
            )
        }
        #expect(Self.contains(pcap.bytes(), Self.bearer), "the control: the capture carries the token")
        let (copy, secrets) = try Self.sanitize(try pcap.write())
        #expect(!Self.contains(copy, Self.bearer), "the bearer token survives in the sanitized copy")
        #expect(secrets.contains(Self.bearer) == (order == "secretInFirstCopy"))
    }

    /// A reused port (the same four-tuple, a new SYN): each connection's head secrets are patched at its own offsets,
    /// and only in its own bytes. (88d2743 read only the last head, leaking the first token, and applied every patch
    /// to every connection on the flow: the first connection's later bytes and the second's `X-Other` header were
    /// overwritten.)
    @Test func aReusedPortKeepsEachConnectionsPatchesToItself() throws {
        var pcap = PcapBuilder()
        let heads = [
            Self.upgradeRequest("Authorization: Bearer FIRSTBEARERTOKEN000111\r\n"),
            Self.upgradeRequest(
                "X-Other: " + String(repeating: "q", count: 60) + "\r\nAuthorization: Bearer SECONDBEARERTOKEN22233\r\n"
            ),
        ]
        for (index, head) in heads.enumerated() {
            let start = UInt32(1_000 + 100_000 * index)
            pcap.tcp(from: Self.client, to: Self.server, seq: start - 1, flags: Self.SYN)
            pcap.tcp(from: Self.client, to: Self.server, seq: start, flags: Self.PSH | Self.ACK, head)
            // The first connection is answered and carries a WebSocket frame after its head (a binary frame of
            // 200 `W`s, unmasked: a breach, but framed, so the analysis reads its bytes).
            if index == 0 {
                pcap.tcp(
                    from: Self.server,
                    to: Self.client,
                    seq: 9_000,
                    flags: Self.PSH | Self.ACK,
                    Self.response
                )
                pcap.tcp(
                    from: Self.client,
                    to: Self.server,
                    seq: start + UInt32(head.count),
                    flags: Self.PSH | Self.ACK,
                    [0x82, 126, 0, 200] + Array(String(repeating: "W", count: 200).utf8)
                )
            }
            pcap.tcp(from: Self.client, to: Self.server, seq: start + 5_000, flags: 0x11)
        }
        let (copy, _) = try Self.sanitize(try pcap.write())
        let leaks = ["FIRSTBEARERTOKEN000111", "SECONDBEARERTOKEN22233"].filter { Self.contains(copy, $0) }
        #expect(leaks == [])
        let secondHeadIntact = Self.contains(copy, "X-Other: " + String(repeating: "q", count: 60))
        let firstDataIntact = Self.contains(copy, String(repeating: "W", count: 200))
        #expect(secondHeadIntact, "the first connection's patch was applied to the second connection's head")
        #expect(firstDataIntact, "the second connection's patch was applied to the first connection's later bytes")
    }

    /// The same for secrets in messages: the first connection on the flow carries plain text where the second
    /// carries a token, at the same stream offsets. The report's analysis tells the two apart by the packets that
    /// carried each message, so only the first connection's bytes are rewritten.
    @Test func aReusedPortKeepsEachConnectionsMessagePatchesToItself() throws {
        let secret = "SECRET-MESSAGE-TOKEN-0123456789"
        let texts = [
            #"{"type":"req","id":"1","method":"x","params":{"plain":"\#(String(repeating: "p", count: secret.count))"}}"#,
            #"{"type":"req","id":"1","method":"x","params":{"token":"\#(secret)"}}"#,
        ]
        var pcap = PcapBuilder()
        for (index, text) in texts.enumerated() {
            let client = UInt32(1_000 + 100_000 * index)
            let server = UInt32(9_000 + 100_000 * index)
            let head = Self.upgradeRequest("")
            let payload = Array(text.utf8)
            // A masked text frame with a zero key: its payload bytes are the text.
            let frame: [UInt8] = [0x81, 0x80 | UInt8(payload.count), 0, 0, 0, 0] + payload
            pcap.tcp(from: Self.client, to: Self.server, seq: client - 1, flags: Self.SYN)
            pcap.tcp(from: Self.server, to: Self.client, seq: server - 1, ack: client, flags: Self.SYN | Self.ACK)
            pcap.tcp(from: Self.client, to: Self.server, seq: client, ack: server, flags: Self.PSH | Self.ACK, head)
            pcap.tcp(
                from: Self.server,
                to: Self.client,
                seq: server,
                ack: client,
                flags: Self.PSH | Self.ACK,
                Self.response
            )
            pcap.tcp(
                from: Self.client,
                to: Self.server,
                seq: client + UInt32(head.count),
                ack: server,
                flags: Self.PSH | Self.ACK,
                frame
            )
        }
        let (copy, report) = try Self.report(pcap)
        #expect(report.connections.count == 2)
        #expect(report.secrets.contains(secret))
        #expect(!Self.contains(copy, secret))
        #expect(Self.contains(copy, texts[0]), "the first connection's message was overwritten")
    }
}
