import Foundation
import Testing

@testable import WSSniff

/// Captures from the review of the per-connection sanitizer (heads read as soon as complete, patches per use of a
/// flow) that made a secret survive the sanitized copy, or made the head pass costly; each was fixed. "88d2743"
/// names the version before the change (what it did with the same capture). Built with
/// `SanitizerHeadTests.PcapBuilder`.
@Suite struct SanitizerReviewTests {
    typealias T = SanitizerHeadTests
    static let client = T.client
    static let server = T.server
    static let response = T.response

    /// Runs `wssniff report --sanitized-pcap` (analysis included) and gives the copy's bytes.
    static func report(_ pcap: T.PcapBuilder) throws -> [UInt8] {
        try T.report(pcap).copy
    }

    /// The head settles on a first copy; a retransmission at the same sequence
    /// number carries a longer head with an `Authorization` line. The changed copy is read with its bytes past the
    /// first head's end, so the longer head is read whole.
    @Test func aLongerHeadInALaterRetransmissionCannotSmuggleASecret() throws {
        let token = "LONGERHEADSECRET99"
        let short = T.upgradeRequest("") + [0x81, 0x05] + Array("hello".utf8)
        let long = T.upgradeRequest("Authorization: Bearer \(token)\r\n")
        var pcap = T.PcapBuilder()
        pcap.tcp(from: Self.client, to: Self.server, seq: 999, flags: T.SYN)
        pcap.tcp(from: Self.client, to: Self.server, seq: 1_000, flags: T.PSH | T.ACK, short)
        pcap.tcp(from: Self.client, to: Self.server, seq: 1_000, flags: T.PSH | T.ACK, long)
        #expect(T.contains(pcap.bytes(), token), "the control")
        let (copy, _) = try T.sanitize(try pcap.write())
        let survives = T.contains(copy, token)
        #expect(!survives, "the bearer token in the longer retransmitted head survives")
    }

    /// The capture holds the head's second segment before the SYN (capture
    /// reordering): the SYN belongs to the use its data began (it lies just before it), so the use counts from the
    /// SYN and the head is read whole.
    @Test func aHeadSegmentCapturedBeforeItsSYNKeepsItsSecretFound() throws {
        let token = "HEADSECRETAAAA"
        let head = T.upgradeRequest("Authorization: Bearer \(token)\r\n")
        let cut = 40
        var pcap = T.PcapBuilder()
        pcap.tcp(
            from: Self.client,
            to: Self.server,
            seq: 1_000 + UInt32(cut),
            flags: T.PSH | T.ACK,
            Array(head[cut...])
        )
        pcap.tcp(from: Self.client, to: Self.server, seq: 999, flags: T.SYN)
        pcap.tcp(from: Self.server, to: Self.client, seq: 8_999, ack: 1_000, flags: T.SYN | T.ACK)
        pcap.tcp(from: Self.client, to: Self.server, seq: 1_000, ack: 9_000, flags: T.PSH | T.ACK, Array(head[..<cut]))
        pcap.tcp(
            from: Self.server,
            to: Self.client,
            seq: 9_000,
            ack: 1_000 + UInt32(head.count),
            flags: T.PSH | T.ACK,
            Self.response
        )
        #expect(T.contains(pcap.bytes(), token), "the control")
        let (copy, _) = try T.sanitize(try pcap.write())
        let survives = T.contains(copy, token)
        #expect(!survives, "the bearer token survives")
    }

    /// (88d2743 leaked it too.) A keep-alive request before the upgrade request on one connection: every head up to the
    /// upgrade is read for secrets, so the upgrade request's Authorization and Cookie are rewritten.
    @Test func secretsInTheUpgradeHeadAfterAKeepAliveRequestAreRewritten() throws {
        let first = Array("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        let head = T.upgradeRequest("Authorization: Bearer HEADSECRETBBBB\r\nCookie: sid=COOKIESECRET\r\n")
        let ok = Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8)
        var pcap = T.PcapBuilder()
        pcap.tcp(from: Self.client, to: Self.server, seq: 999, flags: T.SYN)
        pcap.tcp(from: Self.server, to: Self.client, seq: 8_999, ack: 1_000, flags: T.SYN | T.ACK)
        pcap.tcp(from: Self.client, to: Self.server, seq: 1_000, ack: 9_000, flags: T.PSH | T.ACK, first)
        pcap.tcp(from: Self.server, to: Self.client, seq: 9_000, flags: T.PSH | T.ACK, ok)
        pcap.tcp(from: Self.client, to: Self.server, seq: 1_000 + UInt32(first.count), flags: T.PSH | T.ACK, head)
        pcap.tcp(from: Self.server, to: Self.client, seq: 9_000 + UInt32(ok.count), flags: T.PSH | T.ACK, Self.response)
        let (copy, _) = try T.sanitize(try pcap.write())
        let leaks = ["HEADSECRETBBBB", "COOKIESECRET"].filter { T.contains(copy, $0) }
        #expect(leaks == [])
    }

    static func text(_ key: String, _ value: String) -> [UInt8] {
        Array(#"{"type":"req","id":"1","method":"x","params":{"\#(key)":"\#(value)"}}"#.utf8)
    }

    /// A handshake and one unmasked (zero key) client text frame on `clientPort`; returns the frame.
    static func connection(
        _ pcap: inout T.PcapBuilder,
        client: UInt32,
        server: UInt32,
        synAck: Bool = true,
        _ text: [UInt8],
        serverText: [UInt8]? = nil
    ) -> [UInt8] {
        let head = T.upgradeRequest("")
        let frame: [UInt8] = [0x81, 0x80 | UInt8(text.count), 0, 0, 0, 0] + text
        pcap.tcp(from: Self.client, to: Self.server, seq: client - 1, flags: T.SYN)
        if synAck {
            pcap.tcp(from: Self.server, to: Self.client, seq: server - 1, ack: client, flags: T.SYN | T.ACK)
        }
        pcap.tcp(from: Self.client, to: Self.server, seq: client, ack: server, flags: T.PSH | T.ACK, head)
        pcap.tcp(from: Self.server, to: Self.client, seq: server, flags: T.PSH | T.ACK, Self.response)
        pcap.tcp(from: Self.client, to: Self.server, seq: client + UInt32(head.count), flags: T.PSH | T.ACK, frame)
        if let serverText {
            let serverFrame: [UInt8] = [0x81, UInt8(serverText.count)] + serverText
            pcap.tcp(
                from: Self.server,
                to: Self.client,
                seq: server + UInt32(Self.response.count),
                flags: T.PSH | T.ACK,
                serverFrame
            )
        }
        return frame
    }

    /// (88d2743 leaked it too.) The first connection's secret frame is retransmitted after the second connection's
    /// SYN on the reused port (new ISN above the old one): it does not fit the new use's stream, so it is placed in
    /// the earlier use it fits and rewritten there.
    @Test func aLateRetransmissionAfterAReuseIsRewritten() throws {
        let secret = "SECRET-MESSAGE-TOKEN-0123456789"
        var pcap = T.PcapBuilder()
        let frame = Self.connection(&pcap, client: 1_000, server: 9_000, Self.text("token", secret))
        _ = Self.connection(&pcap, client: 101_000, server: 109_000, Self.text("plain", "p"))
        pcap.tcp(
            from: Self.client,
            to: Self.server,
            seq: 1_000 + UInt32(T.upgradeRequest("").count),
            flags: T.PSH | T.ACK,
            frame
        )
        let copy = try Self.report(pcap)
        let survives = T.contains(copy, secret)
        #expect(!survives, "the retransmitted copy keeps the token")
    }

    /// (88d2743 leaked it too.) A reused port whose second SYN+ACK is not captured: the client's new SYN opens a new
    /// use the other way too, which starts at the server's first byte, so the second server message's token is
    /// rewritten.
    @Test func aReuseWithoutItsSynAckKeepsServerSecretsRewritten() throws {
        var pcap = T.PcapBuilder()
        _ = Self.connection(
            &pcap,
            client: 1_000,
            server: 9_000,
            Self.text("plain", "p"),
            serverText: Self.text("token", "SRVSECRET1111")
        )
        _ = Self.connection(
            &pcap,
            client: 101_000,
            server: 109_000,
            synAck: false,
            Self.text("plain", "p"),
            serverText: Self.text("token", "SRVSECRET2222")
        )
        let copy = try Self.report(pcap)
        let leaks = ["SRVSECRET1111", "SRVSECRET2222"].filter { T.contains(copy, $0) }
        #expect(leaks == [])
    }
}
