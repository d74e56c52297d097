import Testing

@testable import Dissect

struct HTTPConversationTests {
    typealias Samples = HTTPUpgradeSamples

    /// Feeds `bytes` of one direction in pieces of `pieceSize`; returns the bytes not consumed.
    private static func feed(
        _ conversation: inout HTTPConversation,
        _ bytes: [UInt8],
        from direction: Direction,
        pieceSize: Int
    ) -> [UInt8] {
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + pieceSize)
            let consumed = conversation.feed(Array(bytes[offset..<end]), from: direction)
            offset += consumed
            if conversation.state(direction) != .http {
                return Array(bytes[offset...])
            }
            #expect(consumed == end - offset + consumed)
        }
        return []
    }

    @Test(arguments: [1, 3, 10_000])
    func upgradeWithAFrameInTheSameSegmentAsThe101(pieceSize: Int) {
        var conversation = HTTPConversation()
        let clientAfter = Self.feed(
            &conversation,
            Samples.bytes(Samples.wsClientRequest) + Samples.maskedHelloFrame,
            from: .client,
            pieceSize: pieceSize
        )
        #expect(conversation.clientState == .webSocket)
        #expect(clientAfter == Samples.maskedHelloFrame)
        #expect(conversation.outcome == .pending)

        let serverAfter = Self.feed(
            &conversation,
            Samples.bytes(Samples.wsServerResponse) + Samples.unmaskedHelloFrame,
            from: .server,
            pieceSize: pieceSize
        )
        #expect(conversation.serverState == .webSocket)
        #expect(serverAfter == Samples.unmaskedHelloFrame)
        #expect(conversation.outcome == .upgraded)
        #expect(conversation.requestCount == 1)
        #expect(conversation.responseCount == 1)
        #expect(conversation.upgradeRequest?.target == "/path")
        #expect(conversation.upgradeResponse?.status == 101)
        #expect(conversation.rejection == nil)
        #expect(conversation.findings.isEmpty)
        let handshake = conversation.handshake
        #expect(handshake?.acceptValid == true)
        #expect(handshake?.findings == [])
        // Nothing more is consumed once switched.
        #expect(conversation.feedServer(Samples.unmaskedHelloFrame) == 0)
        #expect(conversation.feedClient(Samples.maskedHelloFrame) == 0)
    }

    @Test func the101AloneInItsSegmentConsumesEverything() {
        var conversation = HTTPConversation()
        let response = Samples.bytes(Samples.rfcServerResponse)
        _ = conversation.feedClient(Samples.bytes(Samples.rfcClientRequest))
        #expect(conversation.feedServer(response) == response.count)
        #expect(conversation.outcome == .upgraded)
        #expect(conversation.handshake?.selectedProtocol == "chat")
    }

    @Test func keepAliveRequestsBeforeTheUpgrade() {
        let client =
            Samples.bytes(
                "GET /health HTTP/1.1\r\nHost: gw\r\n\r\n"
                    + "POST /api HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello"
                    + "HEAD /x HTTP/1.1\r\nHost: gw\r\n\r\n"
            ) + Samples.bytes(Samples.wsClientRequest) + Samples.maskedHelloFrame
        let server =
            Samples.bytes(
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                    + "HTTP/1.1 100 Continue\r\n\r\n"
                    + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                    + "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
            ) + Samples.bytes(Samples.wsServerResponse) + Samples.unmaskedHelloFrame
        for pieceSize in [1, 7, 100_000] {
            var conversation = HTTPConversation()
            #expect(Self.feed(&conversation, client, from: .client, pieceSize: pieceSize) == Samples.maskedHelloFrame)
            let rest = Self.feed(&conversation, server, from: .server, pieceSize: pieceSize)
            #expect(rest == Samples.unmaskedHelloFrame)
            #expect(conversation.outcome == .upgraded)
            #expect(conversation.requestCount == 4)
            #expect(conversation.responseCount == 4)
            #expect(conversation.interimResponseCount == 1)
            #expect(conversation.firstRequest?.target == "/health")
            #expect(conversation.firstResponse?.status == 200)
            #expect(conversation.upgradeRequest?.target == "/path")
            #expect(conversation.findings.isEmpty)
        }
    }

    @Test(arguments: [1, 2, 10_000])
    func aRejectedUpgradeKeepsStatusReasonAndBody(pieceSize: Int) {
        var conversation = HTTPConversation()
        let request = Samples.bytes(Samples.wsClientRequest.replacing("qahP4HKA9p47jHXBgcoaKg==", with: "short"))
        _ = Self.feed(&conversation, request, from: .client, pieceSize: pieceSize)
        let rest = Self.feed(&conversation, Samples.bytes(Samples.wsRejection), from: .server, pieceSize: pieceSize)
        #expect(rest.isEmpty)
        #expect(conversation.outcome == .upgradeRejected)
        #expect(conversation.serverState == .ended("upgrade rejected"))
        #expect(
            conversation.rejection
                == HTTPConversation.Rejection(
                    status: 400,
                    reason: "Bad Request",
                    bodyText: Samples.wsRejectionBody,
                    bodyLength: 43,
                    isBodyComplete: true
                )
        )
        let codes = conversation.handshake?.findings.map(\.code)
        #expect(codes == [.keyInvalid, .upgradeRejected])
        #expect(conversation.handshake?.acceptValid == nil)
    }

    @Test func aRejectionReadUntilCloseEndsOnFinish() {
        var conversation = HTTPConversation()
        _ = conversation.feedClient(Samples.bytes(Samples.wsClientRequest))
        _ = conversation.feedServer(Samples.bytes("HTTP/1.1 403 Forbidden\r\n\r\norigin not allowed"))
        #expect(conversation.rejection?.bodyText == "origin not allowed")
        #expect(conversation.rejection?.isBodyComplete == false)
        conversation.finish(.server)
        #expect(conversation.rejection?.isBodyComplete == true)
        #expect(conversation.outcome == .upgradeRejected)
    }

    @Test func aResponseFedBeforeItsRequestIsPairedLater() {
        var conversation = HTTPConversation()
        _ = conversation.feedServer(Samples.bytes(Samples.wsRejection))
        #expect(conversation.outcome == .pending)
        _ = conversation.feedClient(Samples.bytes(Samples.wsClientRequest))
        #expect(conversation.outcome == .upgradeRejected)
        #expect(conversation.rejection?.status == 400)
    }

    @Test func nonHTTPStreamsAreRecognisedAtOnce() {
        var conversation = HTTPConversation()
        #expect(conversation.feedClient(Samples.maskedHelloFrame) == 1)
        #expect(conversation.outcome == .notHTTP)
        if case .ended = conversation.clientState {
        } else {
            Issue.record("the client direction should have ended")
        }
        #expect(conversation.feedServer([0x16, 0x03, 0x03]) == 1)
    }

    @Test func plainHTTPWithoutUpgradeEndsAsNoUpgrade() {
        var conversation = HTTPConversation()
        _ = conversation.feedClient(Samples.bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        _ = conversation.feedServer(Samples.bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
        #expect(conversation.outcome == .pending)
        conversation.finish(.client)
        conversation.finish(.server)
        #expect(conversation.outcome == .noUpgrade)
        #expect(conversation.handshake == nil)
    }

    @Test func oversizedAndMalformedHeadsNeverCrash() {
        var conversation = HTTPConversation(maxHeadBytes: 128)
        let big = Samples.bytes("GET / HTTP/1.1\r\nX: " + String(repeating: "y", count: 500) + "\r\n\r\n")
        #expect(conversation.feedClient(big) == 128)
        #expect(conversation.clientState == .ended("request head larger than 128 bytes"))
        var generator = SplitMix64(seed: 42)
        for _ in 0..<500 {
            var random = HTTPConversation(maxHeadBytes: 256)
            let prefix = Samples.bytes(Samples.wsClientRequest)
            let cut = Int(generator.next() % UInt64(prefix.count))
            var bytes = Array(prefix[..<cut])
            bytes += (0..<Int(generator.next() % 300)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            for direction in [Direction.client, .server] {
                var offset = 0
                while offset < bytes.count {
                    let end = min(bytes.count, offset + 1 + Int(generator.next() % 20))
                    let consumed = random.feed(Array(bytes[offset..<end]), from: direction)
                    #expect(consumed <= end - offset)
                    if random.state(direction) != .http {
                        break
                    }
                    offset = end
                }
                random.finish(direction)
            }
        }
    }
}
