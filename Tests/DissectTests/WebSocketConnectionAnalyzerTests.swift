import Dissect
import Testing

/// The connection-level WebSocket layer on inline bytes: the upgrade, both directions' frames, how fragments of the
/// two directions stay apart, and how closes are tied to the breaches they answer.
@Suite struct WebSocketConnectionAnalyzerTests {
    static let client = Endpoint(ip: .v4(0x7f00_0001), port: 50_000)
    static let server = Endpoint(ip: .v4(0x7f00_0001), port: 8080)
    static let request = Array(
        ("GET /chat HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8
    )
    static let response = Array(
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n").utf8
    )

    /// Feeds `(direction, bytes)` pieces as consecutive packets and returns the summary.
    static func analyze(
        _ pieces: [(Direction, [UInt8])],
        options: WebSocketAnalysisOptions = .init()
    )
        -> WebSocketConnectionSummary
    {
        var analyzer = WebSocketConnectionAnalyzer(client: Self.client, server: Self.server, options: options)
        for (index, piece) in pieces.enumerated() {
            let packet = PacketRef(number: index + 1, timestamp: Timestamp(nanoseconds: Int64(index) * 1_000_000))
            piece.1.withUnsafeBytes { analyzer.receive($0, from: piece.0, packet: packet) }
        }
        return analyzer.finish()
    }

    /// A snaplen cut the upgrade request (the bytes after the first 40 never captured): the HTTP parser does not
    /// read across the hole, so the connection is not "HTTP without an upgrade". On the gateway port the frames
    /// after it are found by resynchronizing; elsewhere the connection is not read further, saying why.
    @Test(arguments: [false, true])
    func aGapInTheUpgradeIsNotAnAnswer(gatewayPort: Bool) {
        var options = WebSocketAnalysisOptions()
        options.gatewayPort = gatewayPort ? Self.server.port : 0
        var analyzer = WebSocketConnectionAnalyzer(client: Self.client, server: Self.server, options: options)
        let close = wsFrame(0x8, [0x03, 0xf0] + Array("invalid role".utf8))
        let pieces: [(Direction, [UInt8]?)] = [
            (.client, Array(Self.request.prefix(40))),
            (.client, nil),
            (.server, Array(Self.response.prefix(30))),
            (.server, nil),
            (.server, close),
        ]
        let lost = [Self.request.count - 40, Self.response.count - 30]
        var gaps = 0
        for (index, piece) in pieces.enumerated() {
            let packet = PacketRef(number: index + 1, timestamp: Timestamp(nanoseconds: Int64(index) * 1_000_000))
            if let bytes = piece.1 {
                bytes.withUnsafeBytes { analyzer.receive($0, from: piece.0, packet: packet) }
            } else {
                analyzer.gap(lost[gaps], in: piece.0, packet: packet)
                gaps += 1
            }
        }
        let summary = analyzer.finish()
        #expect(summary.upgradeGapBytes > 0)
        if gatewayPort {
            #expect(summary.kind == .midStream)
            #expect(summary.closes.map(\.record.code) == [1008])
            #expect(summary.closes.first?.record.reason == "invalid role")
        } else {
            #expect(summary.kind == .notWebSocket("bytes of the HTTP upgrade were never captured"))
        }
    }

    static func text(_ message: WebSocketMessageRecord) -> String? {
        message.payload.map { String(decoding: $0, as: UTF8.self) }
    }

    /// After `hello-ok`, the client's messages keep a 256-byte preview only (a summary shows no more), unless
    /// `--messages` keeps everything; the connect before it stays whole.
    @Test(arguments: [false, true])
    func clientMessagesAfterHelloOkKeepAPreview(keepAll: Bool) {
        var options = WebSocketAnalysisOptions()
        if keepAll { options.keepAllMessages() }
        let connect =
            Array(#"{"type":"req","id":"c1","method":"connect","params":{"pad":""#.utf8)
            + Array(repeating: UInt8(ascii: "a"), count: 400) + Array(#""}}"#.utf8)
        let chat = Array(repeating: UInt8(ascii: "b"), count: 1_000)
        let summary = Self.analyze(
            [
                (.client, Self.request),
                (.server, Self.response),
                (.server, wsFrame(0x1, Array(#"{"type":"event","event":"connect.challenge"}"#.utf8))),
                (.client, wsFrame(0x1, connect, mask: 0x0102_0304)),
                (
                    .server,
                    wsFrame(0x1, Array(#"{"type":"res","id":"c1","ok":true,"payload":{"type":"hello-ok"}}"#.utf8))
                ),
                (.client, wsFrame(0x1, chat, mask: 0x0506_0708)),
            ],
            options: options
        )
        let client = summary.messages.filter { $0.direction == .client }
        #expect(client.count == 2)
        #expect(client.first?.payload == connect)
        #expect(client.first?.payloadCut == false)
        #expect(client.last?.length == 1_000)
        #expect(client.last?.payload == (keepAll ? chat : Array(chat.prefix(256))))
        #expect(client.last?.payloadCut == !keepAll)
        #expect(client.last?.utf8Valid == true)
    }

    /// The gateway's messages after `hello-ok`, past the kept ones, are skipped by length: every frame rule is still
    /// checked, their payloads are not (a server message whose DEFLATE data is broken), and `uncheckedMessages`
    /// counts them; `--check-payloads` checks them. Client messages are always checked (a text message that is not
    /// UTF-8 is found either way).
    @Test(arguments: [false, true])
    func chatPastTheKeptMessagesIsSkippedByLength(checkPayloads: Bool) {
        var options = WebSocketAnalysisOptions()
        options.checkPayloadsAfterHandshake = checkPayloads
        let deflate = "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
        let request = Array(String(decoding: Self.request.dropLast(2), as: UTF8.self).utf8) + Array(deflate.utf8)
        let response = Array(String(decoding: Self.response.dropLast(2), as: UTF8.self).utf8) + Array(deflate.utf8)
        var pieces: [(Direction, [UInt8])] = [
            (.client, request),
            (.server, response),
            (.server, wsFrame(0x1, Array(#"{"type":"event","event":"connect.challenge"}"#.utf8))),
            (.client, wsFrame(0x1, Array(#"{"type":"req","id":"c1","method":"connect"}"#.utf8), mask: 0x0102_0304)),
            (.server, wsFrame(0x1, Array(#"{"type":"res","id":"c1","ok":true,"payload":{"type":"hello-ok"}}"#.utf8))),
        ]
        // 19 chat messages each way: the connect and 15 of them (client), the challenge, hello-ok and 14 (server)
        // are kept, the rest are past the kept ones.
        for index in 0..<19 {
            let text = Array(#"{"type":"req","id":"\#(index)","method":"health"}"#.utf8)
            pieces.append((.client, wsFrame(0x1, text, mask: UInt32(0x1000 + index))))
            pieces.append((.server, wsFrame(0x1, Array(#"{"type":"event","event":"tick"}"#.utf8))))
        }
        // C3 28: a lead byte without its continuation byte. FF: a DEFLATE block of the reserved type 11.
        pieces.append((.client, wsFrame(0x1, [0x7B, 0xC3, 0x28, 0x7D], mask: 0x0A0B_0C0D)))
        pieces.append((.server, wsFrame(0x1, [0xFF, 0xFF, 0xFF], rsv: 0b100)))
        // A frame rule holds whatever the payload: a client frame must be masked.
        pieces.append((.client, wsFrame(0x1, Array("{}".utf8))))
        pieces.append((.server, wsFrame(0x8, [0x03, 0xEF])))
        let summary = Self.analyze(pieces, options: options)

        #expect(summary.clientMessageCount == 22)
        #expect(summary.serverMessageCount == 22)
        let rules = summary.violations.map(\.rule)
        #expect(rules.filter { $0 == .clientFrameUnmasked }.count == 1)
        let payloadFindings = summary.violations.filter { $0.rule == .invalidUTF8 }
        #expect(payloadFindings.map(\.direction) == (checkPayloads ? [.client, .server] : [.client]))
        #expect(summary.uncheckedMessages == (checkPayloads ? 0 : 6))
        #expect(summary.closes.map(\.record.code) == [1007])
        // The kept messages were read whole either way.
        #expect(summary.messages.filter { $0.direction == .client }.allSatisfy { $0.utf8Valid == true })
    }

    /// A server that says "hello-ok" before the client's connect must not cut the connect (found in review: the
    /// verdict then depended on `--messages`).
    @Test func helloOkBeforeTheConnectLeavesTheConnectWhole() {
        let connect =
            Array(#"{"type":"req","id":"c1","method":"connect","params":{"pad":""#.utf8)
            + Array(repeating: UInt8(ascii: "a"), count: 400) + Array(#""}}"#.utf8)
        let early = Array(#"{"type":"event","event":"connect.challenge","payload":{"hello-ok":1}}"#.utf8)
        let summary = Self.analyze([
            (.client, Self.request),
            (.server, Self.response),
            (.server, wsFrame(0x1, early)),
            (.client, wsFrame(0x1, connect, mask: 0x0102_0304)),
        ])
        let client = summary.messages.filter { $0.direction == .client }
        #expect(client.first?.payload == connect)
        #expect(client.first?.payloadCut == false)
    }

    /// After an early "hello-ok" left the connect whole, the real `hello-ok` that follows the connect still cuts the
    /// client's later messages to their preview (the server's messages are searched until it has).
    @Test func theHelloOkAfterTheConnectStillCutsLaterClientMessages() {
        let connect = Array(#"{"type":"req","id":"c1","method":"connect","params":{}}"#.utf8)
        let challenge = Array(#"{"type":"event","event":"connect.challenge","payload":{"nonce":"n"}}"#.utf8)
        let early = Array(#"{"type":"event","event":"tick","payload":{"hello-ok":1}}"#.utf8)
        let hello = Array(#"{"type":"res","id":"c1","ok":true,"payload":{"type":"hello-ok"}}"#.utf8)
        let chat = Array(repeating: UInt8(ascii: "b"), count: 1_000)
        let summary = Self.analyze([
            (.client, Self.request),
            (.server, Self.response),
            (.server, wsFrame(0x1, challenge)),
            (.server, wsFrame(0x1, early)),
            (.client, wsFrame(0x1, connect, mask: 0x0102_0304)),
            (.server, wsFrame(0x1, hello)),
            (.client, wsFrame(0x1, chat, mask: 0x0102_0304)),
        ])
        let client = summary.messages.filter { $0.direction == .client }
        #expect(client.count == 2)
        #expect(client.first?.payload == connect)
        #expect(client.last?.payloadCut == true)
        #expect(client.last?.payload?.count == WebSocketAnalysisOptions().clientPreviewAfterHandshake)
    }

    @Test func fragmentsOfTheTwoDirectionsStayApart() {
        let mask: UInt32 = 0x1234_5678
        let summary = Self.analyze([
            (.client, Self.request),
            (.server, Self.response),
            (.client, wsFrame(0x1, Array("client-".utf8), fin: false, mask: mask)),
            (.server, wsFrame(0x1, Array("server-".utf8), fin: false)),
            (.client, wsFrame(0x9, Array("ping".utf8), mask: mask)),
            (.server, wsFrame(0x0, Array("one".utf8))),
            (.client, wsFrame(0x0, Array("two".utf8), mask: mask)),
        ])
        #expect(summary.kind == .upgraded)
        #expect(summary.handshake?.acceptValid == true)
        #expect(summary.violations.isEmpty)
        #expect(summary.frameCount == 5)
        let byDirection = Dictionary(grouping: summary.messages, by: \.direction)
        #expect(byDirection[.client]?.compactMap(Self.text) == ["client-two"])
        #expect(byDirection[.server]?.compactMap(Self.text) == ["server-one"])
        #expect(summary.controls.count == 1)
    }

    @Test func clientFramesBeforeThe101WaitForItsExtensions() {
        // The client's first frame arrives in the capture before the server's answer.
        let summary = Self.analyze([
            (.client, Self.request + wsFrame(0x1, Array("early".utf8), mask: 7)),
            (.server, Self.response + wsFrame(0x1, Array("hi".utf8))),
        ])
        #expect(summary.messages.compactMap(Self.text).sorted() == ["early", "hi"])
        #expect(summary.violations.isEmpty)
    }

    @Test func aCloseIsTiedToTheBreachItAnswers() {
        let summary = Self.analyze([
            (.client, Self.request),
            (.server, Self.response),
            (.client, wsFrame(0x1, Array("not masked".utf8))),
            (.server, wsFrame(0x8, [0x03, 0xea])),
        ])
        #expect(summary.violations.map(\.rule) == [.clientFrameUnmasked])
        let close = try? #require(summary.closes.first)
        #expect(close?.record.code == 1002)
        #expect(close?.answers?.rule == .clientFrameUnmasked)
        #expect(close?.answers?.frame == 1)
        #expect(close?.echoed == false)
    }

    @Test func aRefusedUpgradeIsNotWebSocket() {
        let refusal = Array(
            ("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 43\r\n\r\n"
                + "Missing or invalid Sec-WebSocket-Key header").utf8
        )
        let summary = Self.analyze([(.client, Self.request), (.server, refusal)])
        #expect(summary.kind == .upgradeRejected)
        #expect(summary.rejection?.status == 400)
        #expect(summary.violations.map(\.rule) == [.upgradeRejected])
        #expect(summary.frameCount == 0)
    }

    @Test func aWrongAcceptIsABadAccept() {
        var response = Self.response
        response.replaceSubrange(response.count - 4..<response.count - 4, with: Array("-wrong".utf8))
        let summary = Self.analyze([(.client, Self.request), (.server, response)])
        #expect(summary.handshake?.acceptValid == false)
        #expect(summary.violations.map(\.rule) == [.badAccept])
    }

    @Test func bytesThatAreNotHTTPAreNotWebSocketOffTheGatewayPort() {
        let summary = Self.analyze([(.client, [0x16, 0x03, 0x01, 0x00, 0x05])])
        if case .notWebSocket = summary.kind {} else { Issue.record("expected not WebSocket, got \(summary.kind)") }
    }

    @Test func theGatewayPortIsResynchronizedMidStream() {
        var options = WebSocketAnalysisOptions()
        options.gatewayPort = Self.server.port
        let summary = Self.analyze(
            [
                (.server, wsFrame(0x1, Array("tail of a message".utf8), fin: true)),
                (.client, wsFrame(0x1, Array("hello".utf8), mask: 9)),
                (.server, wsFrame(0x1, Array("world".utf8))),
            ],
            options: options
        )
        #expect(summary.kind == .midStream)
        #expect(summary.messages.compactMap(Self.text).contains("hello"))
        #expect(summary.messages.compactMap(Self.text).contains("world"))
    }

    @Test func heldClientBytesPastTheBoundBecomeAGapNotGarbage() {
        var options = WebSocketAnalysisOptions()
        options.maxPendingClientBytes = 16
        let summary = Self.analyze(
            [
                (.client, Self.request),
                (.client, wsFrame(0x1, Array("held".utf8), mask: 1)),
                (.client, wsFrame(0x1, Array("too long to hold here".utf8), mask: 2)),
                (.client, wsFrame(0x1, Array("x".utf8), mask: 3)),
                (.server, Self.response),
            ],
            options: options
        )
        #expect(summary.messages.compactMap(Self.text) == ["held"])
        #expect(summary.gapBytes > 0)
        #expect(summary.violations.isEmpty, "\(summary.violations)")
    }
}
