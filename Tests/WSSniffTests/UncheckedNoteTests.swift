import Dissect
import Testing
import WSSniff

/// The text output's note when the client refused a payload (1007) after gateway messages were skipped by length.
@Suite struct UncheckedNoteTests {
    /// One frame, FIN set; masked with the all-zero key (RFC 6455 5.3 allows any key; XOR with zero keeps the bytes).
    static func frame(_ opcode: UInt8, _ payload: [UInt8], rsv1: Bool = false, masked: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = [0x80 | (rsv1 ? 0x40 : 0) | opcode]
        let mask: UInt8 = masked ? 0x80 : 0
        if payload.count < 126 {
            bytes.append(mask | UInt8(payload.count))
        } else {
            bytes += [mask | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        if masked { bytes += [0, 0, 0, 0] }
        return bytes + payload
    }

    static let helloOK = #"{"type":"res","id":"c1","ok":true,"payload":{"type":"hello-ok"}}"#

    /// A gateway connection up to `hello-ok`: the upgrade (with permessage-deflate when `deflate`), the challenge,
    /// the connect and `hello-ok`.
    static func handshake(deflate: Bool) -> [(Direction, [UInt8])] {
        let upgrade =
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            + (deflate ? "Sec-WebSocket-Extensions: permessage-deflate\r\n" : "") + "\r\n"
        return [
            (
                .client,
                Array(
                    ("GET / HTTP/1.1\r\nHost: 127.0.0.1:42919\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        + "Sec-WebSocket-Version: 13\r\n" + upgrade).utf8
                )
            ),
            (
                .server,
                Array(
                    ("HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                        + upgrade).utf8
                )
            ),
            (.server, Self.frame(0x1, Array(#"{"type":"event","event":"connect.challenge"}"#.utf8))),
            (.client, Self.frame(0x1, Array(#"{"type":"req","id":"c1","method":"connect"}"#.utf8), masked: true)),
            (.server, Self.frame(0x1, Array(Self.helloOK.utf8))),
        ]
    }

    /// Feeds `pieces` to a connection to the gateway port as consecutive packets and gives its summary.
    static func analyze(
        _ pieces: [(Direction, [UInt8])],
        options: WebSocketAnalysisOptions
    ) -> WebSocketConnectionSummary {
        var analyzer = WebSocketConnectionAnalyzer(
            client: Endpoint(ip: .v4(0x7f00_0001), port: 50_000),
            server: Endpoint(ip: .v4(0x7f00_0001), port: 42_919),
            options: options
        )
        for (index, piece) in pieces.enumerated() {
            let packet = PacketRef(number: index + 1, timestamp: Timestamp(nanoseconds: Int64(index) * 1_000_000))
            piece.1.withUnsafeBytes { analyzer.receive($0, from: piece.0, packet: packet) }
        }
        return analyzer.finish()
    }

    static func summary(checkPayloads: Bool, clientCloses: Bool) -> WebSocketConnectionSummary {
        var options = WebSocketAnalysisOptions()
        options.checkPayloadsAfterHandshake = checkPayloads
        var pieces = Self.handshake(deflate: true)
        for _ in 0..<16 {
            pieces.append((.server, Self.frame(0x1, Array(#"{"type":"event","event":"tick"}"#.utf8))))
        }
        // The gateway's message 19: a DEFLATE block of the reserved type 11, which no inflater takes.
        pieces.append((.server, Self.frame(0x1, [0xFF, 0xFF, 0xFF], rsv1: true)))
        let close1007: [UInt8] = [0x03, 0xEF]
        if clientCloses {
            pieces += [(.client, Self.frame(0x8, close1007, masked: true)), (.server, Self.frame(0x8, close1007))]
        } else {
            pieces += [(.server, Self.frame(0x8, close1007)), (.client, Self.frame(0x8, close1007, masked: true))]
        }
        return Self.analyze(pieces, options: options)
    }

    @Test func aClientRefusalAfterSkippedGatewayMessagesSaysSo() throws {
        let skipped = Self.summary(checkPayloads: false, clientCloses: true)
        #expect(skipped.serverMessageCount == 19)
        #expect(skipped.uncheckedMessages == 3)
        #expect(skipped.violations.isEmpty)
        let note = try #require(TextRenderer.uncheckedNote(skipped))
        #expect(note.hasPrefix("3 server messages were skipped by length after hello-ok"))
        #expect(note.contains("the client's 1007 may answer one of them: `--check-payloads` checks them"))

        let checked = Self.summary(checkPayloads: true, clientCloses: true)
        #expect(checked.uncheckedMessages == 0)
        #expect(TextRenderer.uncheckedNote(checked) == nil)
        let found = checked.violations.filter { $0.rule == .invalidUTF8 }
        #expect(found.map(\.direction) == [.server])
        #expect(found.first?.detail.contains("server message 19's compressed payload does not inflate") == true)
    }

    /// The client echoing the gateway's 1007 refused nothing itself: no note.
    @Test func anEchoedCloseIsNoRefusal() {
        let summary = Self.summary(checkPayloads: false, clientCloses: false)
        #expect(summary.uncheckedMessages == 3)
        #expect(TextRenderer.uncheckedNote(summary) == nil)
    }
}
