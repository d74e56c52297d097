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
