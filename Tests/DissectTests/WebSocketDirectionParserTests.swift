import Dissect
import Testing

@Suite("WebSocketDirectionParser")
struct WebSocketDirectionParserTests {
    // MARK: - RFC 6455 5.7 examples

    /// A single-frame unmasked text message "Hello".
    static let helloUnmasked: [UInt8] = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
    /// A single-frame masked text message "Hello".
    static let helloMasked: [UInt8] = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
    /// A fragmented unmasked text message: "Hel" then "lo".
    static let helFragment: [UInt8] = [0x01, 0x03, 0x48, 0x65, 0x6c]
    static let loFragment: [UInt8] = [0x80, 0x02, 0x6c, 0x6f]
    /// An unmasked ping with "Hello".
    static let pingHello: [UInt8] = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
    /// A masked pong with "Hello".
    static let pongHelloMasked: [UInt8] = [0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]

    @Test("RFC 6455 5.7: an unmasked server text frame")
    func unmaskedHello() {
        let run = WebSocketRun(.server, Self.helloUnmasked)
        #expect(run.violations.isEmpty)
        #expect(run.frames.count == 1)
        let frame = run.frames[0]
        #expect(frame.number == 1 && frame.fin && frame.rsv == 0 && frame.opcode == .text && !frame.masked)
        #expect(frame.payloadLength == 5 && frame.headerLength == 2 && frame.lengthEncodingMinimal)
        #expect(frame.maskKey == nil && frame.streamOffset == 0 && frame.complete)
        #expect(run.messages.count == 1)
        let message = run.messages[0]
        #expect(message.payload == Array("Hello".utf8))
        #expect(message.opcode == .text && message.utf8Valid == true && message.length == 5 && message.wireLength == 5)
        #expect(message.firstFrame == 1 && message.lastFrame == 1 && message.frameCount == 1 && message.complete)
    }

    @Test("RFC 6455 5.7: a masked client text frame is unmasked")
    func maskedHello() {
        let run = WebSocketRun(.client, Self.helloMasked)
        #expect(run.violations.isEmpty)
        #expect(run.frames[0].masked && run.frames[0].maskKey == 0x37fa_213d && run.frames[0].headerLength == 6)
        #expect(run.messages.map(\.payload) == [Array("Hello".utf8)])
    }

    @Test("RFC 6455 5.7: a fragmented message with a ping between its fragments")
    func fragmentedWithPing() {
        let run = WebSocketRun(.server, Self.helFragment + Self.pingHello + Self.loFragment)
        #expect(run.violations.isEmpty)
        #expect(run.frames.map(\.number) == [1, 2, 3])
        #expect(run.controls.count == 1)
        #expect(run.controls[0].opcode == .ping && run.controls[0].payload == Array("Hello".utf8))
        #expect(run.controls[0].frame == 2)
        #expect(run.messages.count == 1)
        let message = run.messages[0]
        #expect(message.payload == Array("Hello".utf8) && message.frameCount == 2)
        #expect(message.firstFrame == 1 && message.lastFrame == 3 && message.utf8Valid == true)
        // The event order: ping frame and its control before the final frame and the message.
        let kinds = run.events.map(\.kind)
        #expect(kinds == ["frame", "frame", "control", "frame", "message"])
    }

    @Test("RFC 6455 5.7: a masked pong")
    func maskedPong() {
        let run = WebSocketRun(.client, Self.pongHelloMasked)
        #expect(run.violations.isEmpty)
        #expect(run.controls.map(\.opcode) == [.pong])
        #expect(run.controls.map(\.payload) == [Array("Hello".utf8)])
    }

    @Test("7-, 16- and 64-bit payload lengths", arguments: [0, 1, 125, 126, 127, 256, 65_535, 65_536, 70_000])
    func lengths(_ length: Int) {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0) }
        let bytes = wsFrame(0x2, payload)
        let run = WebSocketRun(.server, bytes)
        #expect(run.violations.isEmpty)
        let expectedHeader = length < 126 ? 2 : length < 65_536 ? 4 : 10
        #expect(run.frames.map(\.headerLength) == [expectedHeader])
        #expect(run.frames.map(\.payloadLength) == [UInt64(length)])
        #expect(run.messages.map(\.payload) == [payload])
        // RFC 6455 5.7's own 256-byte and 64 KiB headers.
        if length == 256 {
            #expect(Array(bytes.prefix(4)) == [0x82, 0x7e, 0x01, 0x00])
        }
        if length == 65_536 {
            #expect(Array(bytes.prefix(10)) == [0x82, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00])
        }
    }

    @Test("masked payloads of every length and key phase unmask correctly", arguments: [0, 1, 3, 7, 8, 9, 200, 70_000])
    func unmasking(_ length: Int) {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let bytes = wsFrame(0x2, payload, mask: 0xa1b2_c3d4)
        // Feed in odd-sized pieces so the key phase differs at each chunk start.
        let run = WebSocketRun(.client, bytes, feed: 5)
        #expect(run.violations.isEmpty)
        #expect(run.messages.map(\.payload) == [payload])
    }

    @Test("several frames in one buffer, and the same bytes one at a time, give the same events")
    func oneByteFeeds() {
        let stream =
            Self.helFragment + Self.pingHello + Self.loFragment + wsFrame(0x2, Array(repeating: 0x55, count: 300))
            + wsFrame(0x1, Array("ünïcödé".utf8)) + wsFrame(0x8, [0x03, 0xe8] + Array("bye".utf8))
        let whole = WebSocketRun(.server, stream)
        let bytewise = WebSocketRun(.server, stream, feed: 1)
        #expect(whole.violations.isEmpty)
        #expect(whole.frames.count == 6)
        #expect(whole.messages.count == 3)
        #expect(whole.closes.count == 1)
        #expect(whole.closes.first?.code == 1000 && whole.closes.first?.reason == "bye")
        #expect(whole.frames.map(\.streamOffset) == [0, 5, 12, 16, 320, 333])
        // Packet references differ (one packet per byte); everything else must match.
        #expect(whole.events.map(\.withoutPackets) == bytewise.events.map(\.withoutPackets))
        #expect(bytewise.frames[0].startPacket.number == 1 && bytewise.frames[0].endPacket.number == 5)
    }

    @Test("a violating stream fed one byte at a time gives the same findings")
    func oneByteFeedsWithViolations() {
        let stream =
            Self.helloUnmasked + [0x80, 0x00] + wsFrame(0x1, [0xc0, 0x80]) + [0x88, 0x01, 0x03]
            + wsFrame(0x2, [1, 2, 3], lengthBits: 64)
        let whole = WebSocketRun(.server, stream)
        let bytewise = WebSocketRun(.server, stream, feed: 1)
        #expect(
            whole.violations.map(\.rule) == [
                .continuationWithoutStart, .invalidUTF8, .closePayloadOneByte, .frameAfterClose, .nonMinimalLength,
            ]
        )
        #expect(whole.events.map(\.withoutPackets) == bytewise.events.map(\.withoutPackets))
    }

    @Test("frame numbers come from the connection-wide counter")
    func sharedFrameCounter() {
        var client = WebSocketDirectionParser(config: WebSocketParserConfig(direction: .client))
        var server = WebSocketDirectionParser(config: WebSocketParserConfig(direction: .server))
        var numbers = 0
        var frames: [Int] = []
        let packet = PacketRef(number: 1, timestamp: Timestamp(nanoseconds: 0))
        let collect: (WebSocketEvent) -> Void = { event in
            if case .frame(let frame) = event { frames.append(frame.number) }
        }
        client.receive(Self.helloMasked, packet: packet, frameNumbers: &numbers, collect)
        server.receive(Self.helloUnmasked + Self.helloUnmasked, packet: packet, frameNumbers: &numbers, collect)
        client.receive(Self.helloMasked, packet: packet, frameNumbers: &numbers, collect)
        #expect(frames == [1, 2, 3, 4])
        #expect(numbers == 4)
    }

    // MARK: - Every rule: one input that breaks it, one that does not

    struct RuleCase: Sendable, CustomTestStringConvertible {
        var name: String
        var rule: ViolationRule
        var direction: Direction
        var deflate: Bool = false
        var maxMessageSize: Int?
        var breaking: [UInt8]
        var conforming: [UInt8]

        var testDescription: String { "\(self.rule.rawValue): \(self.name)" }
    }

    static let ruleCases: [RuleCase] = [
        RuleCase(
            name: "client frame without mask",
            rule: .clientFrameUnmasked,
            direction: .client,
            breaking: [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
            conforming: [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        ),
        RuleCase(
            name: "server frame with mask",
            rule: .serverFrameMasked,
            direction: .server,
            breaking: [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58],
            conforming: [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
        ),
        RuleCase(
            name: "RSV1 without permessage-deflate",
            rule: .rsvWithoutExtension,
            direction: .server,
            breaking: [0xc1, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
            conforming: [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
        ),
        RuleCase(
            name: "RSV2",
            rule: .rsvWithoutExtension,
            direction: .server,
            deflate: true,
            breaking: [0xa1, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
            conforming: [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]
        ),
        RuleCase(
            name: "RSV3",
            rule: .rsvWithoutExtension,
            direction: .server,
            breaking: [0x91, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
            conforming: [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
        ),
        RuleCase(
            name: "RSV1 on a continuation frame (RFC 7692 6.1)",
            rule: .rsvWithoutExtension,
            direction: .server,
            deflate: true,
            breaking: [0x41, 0x03, 0xf2, 0x48, 0xcd, 0xc0, 0x04, 0xc9, 0xc9, 0x07, 0x00],
            conforming: [0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00]
        ),
        RuleCase(
            name: "RSV1 on a control frame (RFC 7692 6.1)",
            rule: .rsvWithoutExtension,
            direction: .server,
            deflate: true,
            breaking: [0xc9, 0x00],
            conforming: [0x89, 0x00]
        ),
        RuleCase(
            name: "reserved non-control opcode 0x3",
            rule: .reservedOpcode,
            direction: .server,
            breaking: [0x83, 0x01, 0x00],
            conforming: [0x82, 0x01, 0x00]
        ),
        RuleCase(
            name: "reserved control opcode 0xB",
            rule: .reservedOpcode,
            direction: .server,
            breaking: [0x8b, 0x00],
            conforming: [0x8a, 0x00]
        ),
        RuleCase(
            name: "continuation with no message open",
            rule: .continuationWithoutStart,
            direction: .server,
            breaking: [0x80, 0x02, 0x6c, 0x6f],
            conforming: [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]
        ),
        RuleCase(
            name: "text frame inside a fragmented message",
            rule: .dataFrameInsideFragmentedMessage,
            direction: .server,
            breaking: [0x01, 0x03, 0x48, 0x65, 0x6c, 0x81, 0x02, 0x6c, 0x6f],
            conforming: [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]
        ),
        RuleCase(
            name: "ping with FIN clear",
            rule: .controlFrameFragmented,
            direction: .server,
            breaking: [0x09, 0x00],
            conforming: [0x89, 0x00]
        ),
        RuleCase(
            name: "ping of 126 bytes",
            rule: .controlFrameTooLong,
            direction: .server,
            breaking: [0x89, 0x7e, 0x00, 0x7e] + Array(repeating: 0x61, count: 126),
            conforming: [0x89, 0x7d] + Array(repeating: 0x61, count: 125)
        ),
        RuleCase(
            name: "close with a 1-byte payload",
            rule: .closePayloadOneByte,
            direction: .server,
            breaking: [0x88, 0x01, 0x03],
            conforming: [0x88, 0x02, 0x03, 0xe8]
        ),
        RuleCase(
            name: "close code 1004",
            rule: .invalidCloseCode,
            direction: .server,
            breaking: [0x88, 0x02, 0x03, 0xec],
            conforming: [0x88, 0x02, 0x03, 0xe8]
        ),
        RuleCase(
            name: "overlong NUL in a text message",
            rule: .invalidUTF8,
            direction: .server,
            breaking: [0x81, 0x02, 0xc0, 0x80],
            conforming: [0x81, 0x02, 0xc2, 0xa9]
        ),
        RuleCase(
            name: "surrogate in a close reason",
            rule: .invalidUTF8,
            direction: .server,
            breaking: [0x88, 0x05, 0x03, 0xe8, 0xed, 0xa0, 0x80],
            conforming: [0x88, 0x05, 0x03, 0xe8, 0xe2, 0x82, 0xac]
        ),
        RuleCase(
            name: "5 bytes in a 16-bit length",
            rule: .nonMinimalLength,
            direction: .server,
            breaking: [0x82, 0x7e, 0x00, 0x05, 1, 2, 3, 4, 5],
            conforming: [0x82, 0x05, 1, 2, 3, 4, 5]
        ),
        RuleCase(
            name: "5 bytes in a 64-bit length",
            rule: .nonMinimalLength,
            direction: .server,
            breaking: [0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x05, 1, 2, 3, 4, 5],
            conforming: [0x82, 0x05, 1, 2, 3, 4, 5]
        ),
        RuleCase(
            name: "64-bit length with its most significant bit set",
            rule: .nonMinimalLength,
            direction: .server,
            breaking: [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0x05, 1, 2, 3, 4, 5],
            conforming: [0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0, 0]
        ),
        RuleCase(
            name: "5 bytes over a limit of 4",
            rule: .messageTooBig,
            direction: .server,
            maxMessageSize: 4,
            breaking: [0x82, 0x05, 1, 2, 3, 4, 5],
            conforming: [0x82, 0x04, 1, 2, 3, 4]
        ),
        RuleCase(
            name: "ping after close",
            rule: .frameAfterClose,
            direction: .server,
            breaking: [0x88, 0x02, 0x03, 0xe8, 0x89, 0x00],
            conforming: [0x89, 0x00, 0x88, 0x02, 0x03, 0xe8]
        ),
    ]

    @Test("each rule: the breaking input is reported, the conforming one is not", arguments: Self.ruleCases)
    func rule(_ ruleCase: RuleCase) {
        var config = WebSocketParserConfig(direction: ruleCase.direction)
        config.deflate = ruleCase.deflate ? PerMessageDeflateConfig() : nil
        config.maxMessageSize = ruleCase.maxMessageSize
        let breaking = WebSocketRun(config, ruleCase.breaking)
        #expect(breaking.violations.map(\.rule).contains(ruleCase.rule), "\(breaking.violations)")
        #expect(breaking.violations.allSatisfy { $0.direction == ruleCase.direction && !$0.detail.isEmpty })
        #expect(breaking.violations.allSatisfy { $0.frame != nil && $0.packet != nil })
        let conforming = WebSocketRun(config, ruleCase.conforming)
        #expect(conforming.violations.isEmpty, "\(conforming.violations)")
        // Every input still yields its frames: parsing carries on.
        #expect(!breaking.frames.isEmpty)
    }

    @Test("all rules of RFC 6455 framing are covered by a case")
    func everyRuleCovered() {
        let framingRules = Set(ViolationRule.allCases).subtracting([.badAccept, .upgradeRejected])
        #expect(Set(Self.ruleCases.map(\.rule)) == framingRules)
    }

    @Test("violations come in the order ws checks them, with details naming the frame")
    func violationOrderAndDetail() {
        // Server-bound (client) frame: RSV2 set, reserved opcode 3, not masked, 16-bit length of 1.
        let run = WebSocketRun(.client, [0xa3, 0x7e, 0x00, 0x01, 0x00])
        #expect(
            run.violations.map(\.rule) == [
                .rsvWithoutExtension, .reservedOpcode, .clientFrameUnmasked, .nonMinimalLength,
            ]
        )
        #expect(run.violations.map(\.detail).contains("client frame 1 is not masked"))
        #expect(run.violations.first?.rule.closeCode == 1002)
    }

    @Test("after a data frame interrupts a fragmented message, the old one is reported incomplete")
    func interruptedMessage() {
        let run = WebSocketRun(.server, Self.helFragment + Self.helloUnmasked)
        #expect(run.messages.count == 2)
        #expect(run.messages[0].complete == false && run.messages[0].payload == Array("Hel".utf8))
        #expect(run.messages[1].complete && run.messages[1].payload == Array("Hello".utf8))
    }

    @Test("frame-after-close is reported once per direction")
    func frameAfterCloseOnce() {
        let run = WebSocketRun(.server, [0x88, 0x00] + Self.pingHello + Self.helloUnmasked)
        #expect(run.violations.map(\.rule) == [.frameAfterClose])
        #expect(run.closes.first?.code == nil)
        #expect(run.messages.count == 1)
    }

    // MARK: - Close codes

    @Test(
        "close codes are judged as ws's isValidStatusCode judges them",
        arguments: [
            (999, false), (1000, true), (1001, true), (1003, true), (1004, false), (1005, false), (1006, false),
            (1007, true), (1014, true), (1015, false), (1016, false), (2999, false), (3000, true), (4999, true),
            (5000, false), (0, false), (65_535, false),
        ] as [(Int, Bool)]
    )
    func closeCodes(_ code: Int, _ valid: Bool) {
        #expect(isValidCloseCode(UInt16(code)) == valid)
        let run = WebSocketRun(.server, [0x88, 0x02, UInt8(code >> 8), UInt8(code & 0xff)])
        #expect(run.violations.map(\.rule) == (valid ? [] : [.invalidCloseCode]))
        #expect(run.closes.map(\.code) == [UInt16(code)])
    }

    @Test("a close with a reason, masked")
    func closeWithReason() {
        let payload: [UInt8] = [0x03, 0xe9] + Array("going away".utf8)
        let run = WebSocketRun(.client, wsFrame(0x8, payload, mask: 0x0102_0304))
        #expect(run.violations.isEmpty)
        #expect(run.closes.map(\.code) == [1001])
        #expect(run.closes.map(\.reason) == ["going away"])
        #expect(run.closes.map(\.reasonValidUTF8) == [true])
    }

    // MARK: - UTF-8 across fragments

    @Test("invalid UTF-8 split across fragments is found over the whole message")
    func invalidUTF8AcrossFragments() {
        // E2 82 | 28: a 3-byte sequence whose last byte is not a continuation byte.
        let run = WebSocketRun(.server, wsFrame(0x1, [0x61, 0xe2, 0x82], fin: false) + wsFrame(0x0, [0x28]))
        #expect(run.violations.map(\.rule) == [.invalidUTF8])
        #expect(run.violations.first?.frame == 2)
        #expect(run.messages.map(\.utf8Valid) == [false])
    }

    @Test("valid UTF-8 split across fragments (and masked) is accepted")
    func validUTF8AcrossFragments() {
        let euro: [UInt8] = [0xe2, 0x82, 0xac]
        let run = WebSocketRun(
            .client,
            wsFrame(0x1, [0x61, euro[0]], fin: false, mask: 0xdead_beef) + wsFrame(0x0, [euro[1]], fin: false, mask: 1)
                + wsFrame(0x0, [euro[2]], mask: 0xffff_ffff),
            feed: 1
        )
        #expect(run.violations.isEmpty)
        #expect(run.messages.map(\.payload) == [[0x61] + euro])
        #expect(run.messages.map(\.utf8Valid) == [true])
    }

    @Test("a text message ending inside a sequence is invalid")
    func truncatedSequence() {
        let run = WebSocketRun(.server, wsFrame(0x1, [0x61, 0xf0, 0x9f]))
        #expect(run.violations.map(\.rule) == [.invalidUTF8])
        #expect(run.violations.first?.detail.contains("inside a multi-byte sequence") == true)
    }

    @Test(
        "overlong encodings in text messages are invalid",
        arguments: [[0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xf0, 0x80, 0x80, 0xaf], [0xc1, 0xbf]] as [[UInt8]]
    )
    func overlong(_ bytes: [UInt8]) {
        let run = WebSocketRun(.server, wsFrame(0x1, bytes))
        #expect(run.violations.map(\.rule) == [.invalidUTF8])
    }

    @Test("binary messages are not UTF-8 checked")
    func binaryNotChecked() {
        let run = WebSocketRun(.server, wsFrame(0x2, [0xc0, 0x80, 0xff]))
        #expect(run.violations.isEmpty)
        #expect(run.messages.map(\.utf8Valid) == [nil])
    }

    // MARK: - Message size, as ws counts it

    @Test("message-too-big counts the wire lengths of all fragments as their headers arrive")
    func tooBigAcrossFragments() {
        var config = WebSocketParserConfig(direction: .server)
        config.maxMessageSize = 10
        let stream =
            wsFrame(0x2, Array(repeating: 1, count: 6), fin: false) + wsFrame(0x0, Array(repeating: 2, count: 6))
        // Only the header of the second fragment: the finding comes before its payload.
        let run = WebSocketRun(config, Array(stream.prefix(10)))
        #expect(run.violations.map(\.rule) == [.messageTooBig])
        #expect(run.violations.first?.frame == 2)
        let whole = WebSocketRun(config, stream)
        #expect(whole.violations.map(\.rule) == [.messageTooBig])
        #expect(whole.messages.map(\.wireLength) == [12])
        #expect(whole.violations.first?.rule.closeCode == 1009)
    }

    @Test("control frames do not count toward the message size; the limit may change between messages")
    func limitChanges() {
        var parser = WebSocketDirectionParser(config: WebSocketParserConfig(direction: .server, maxMessageSize: 4))
        var numbers = 0
        var rules: [ViolationRule] = []
        let packet = PacketRef(number: 1, timestamp: Timestamp(nanoseconds: 0))
        let collect: (WebSocketEvent) -> Void = { event in
            if case .violation(let violation) = event { rules.append(violation.rule) }
        }
        parser.receive(Self.pingHello + wsFrame(0x2, [1, 2, 3, 4]), packet: packet, frameNumbers: &numbers, collect)
        #expect(rules.isEmpty)
        parser.receive(wsFrame(0x2, [1, 2, 3, 4, 5]), packet: packet, frameNumbers: &numbers, collect)
        #expect(rules == [.messageTooBig])
        parser.config.maxMessageSize = 25 << 20
        parser.receive(wsFrame(0x2, [1, 2, 3, 4, 5]), packet: packet, frameNumbers: &numbers, collect)
        #expect(rules == [.messageTooBig])
    }

    @Test("a compressed message is also judged by its inflated length")
    func tooBigAfterInflation() {
        let original = [UInt8](repeating: 0x61, count: 1000)
        let compressed = deflateRaw(original)
        var config = WebSocketParserConfig(direction: .server, deflate: PerMessageDeflateConfig())
        config.maxMessageSize = 500
        #expect(compressed.count < 500)
        let run = WebSocketRun(config, wsFrame(0x1, compressed, rsv: 0b100))
        #expect(run.violations.map(\.rule) == [.messageTooBig])
        #expect(run.violations.first?.detail.contains("inflates past") == true)
        #expect(run.messages.map(\.length) == [1000])
        #expect(run.messages.map(\.payload) == [original])
    }

    // MARK: - Keep policy

    @Test("payloads of the first N messages are kept, cut at the byte limit; later ones only measured")
    func keepPolicy() {
        var config = WebSocketParserConfig(direction: .client)
        config.keptPayloadMessages = 2
        config.keptPayloadBytes = 4
        let stream =
            wsFrame(0x2, [1, 2, 3], mask: 7) + wsFrame(0x2, [1, 2, 3, 4, 5, 6], mask: 7)
            + wsFrame(0x2, [9, 9], mask: 7)
        let run = WebSocketRun(config, stream)
        #expect(run.messages.map(\.payload) == [[1, 2, 3], [1, 2, 3, 4], nil])
        #expect(run.messages.map(\.payloadCut) == [false, true, false])
        #expect(run.messages.map(\.length) == [3, 6, 2])
        #expect(run.messages.map(\.index) == [1, 2, 3])
    }

    // MARK: - permessage-deflate (RFC 7692)

    static let deflateConfig = WebSocketParserConfig(direction: .server, deflate: PerMessageDeflateConfig())
    static let compressedHello: [UInt8] = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]

    @Test("RFC 7692 7.2.3.1: a compressed Hello")
    func compressedHello() {
        let run = WebSocketRun(Self.deflateConfig, wsFrame(0x1, Self.compressedHello, rsv: 0b100))
        #expect(run.violations.isEmpty)
        #expect(run.messages.map(\.payload) == [Array("Hello".utf8)])
        #expect(run.messages.map(\.compressed) == [true])
        #expect(run.messages.map(\.wireLength) == [7])
        #expect(run.messages.map(\.length) == [5])
        #expect(run.messages.map(\.utf8Valid) == [true])
    }

    @Test("RFC 7692 7.2.3.1: a compressed Hello in two fragments, RSV1 on the first only, masked")
    func fragmentedCompressed() {
        let stream =
            wsFrame(0x1, [0xf2, 0x48, 0xcd], fin: false, rsv: 0b100, mask: 0x1234_5678)
            + wsFrame(0x0, [0xc9, 0xc9, 0x07, 0x00], mask: 0x9abc_def0)
        var config = Self.deflateConfig
        config.direction = .client
        for feed in [nil, 1] as [Int?] {
            let run = WebSocketRun(config, stream, feed: feed)
            #expect(run.violations.isEmpty)
            #expect(run.messages.map(\.payload) == [Array("Hello".utf8)])
            #expect(run.messages.map(\.frameCount) == [2])
        }
    }

    @Test("RFC 7692 7.2.3.2: the same Hello twice with context takeover")
    func contextTakeover() {
        let stream =
            wsFrame(0x1, Self.compressedHello, rsv: 0b100) + wsFrame(0x1, [0xf2, 0x00, 0x11, 0x00, 0x00], rsv: 0b100)
        let run = WebSocketRun(Self.deflateConfig, stream)
        #expect(run.violations.isEmpty)
        #expect(run.messages.map(\.payload) == [Array("Hello".utf8), Array("Hello".utf8)])
    }

    @Test("no context takeover: each message starts afresh, so a back-reference to the last one fails")
    func noContextTakeover() {
        var config = Self.deflateConfig
        config.deflate = PerMessageDeflateConfig(noContextTakeover: true)
        let fresh = WebSocketRun(
            config,
            wsFrame(0x1, Self.compressedHello, rsv: 0b100) + wsFrame(0x1, Self.compressedHello, rsv: 0b100)
        )
        #expect(fresh.violations.isEmpty)
        #expect(fresh.messages.map(\.payload) == [Array("Hello".utf8), Array("Hello".utf8)])
        let shared = WebSocketRun(
            config,
            wsFrame(0x1, Self.compressedHello, rsv: 0b100) + wsFrame(0x1, [0xf2, 0x00, 0x11, 0x00, 0x00], rsv: 0b100)
        )
        #expect(shared.messages.count == 2)
        #expect(shared.messages[1].inflateError != nil)
        #expect(shared.violations.map(\.rule) == [.invalidUTF8])
        #expect(shared.violations.first?.detail.contains("does not inflate") == true)
    }

    @Test(
        "RFC 7692 7.2.3.3: a message ending in a BFINAL=1 block does not empty the messages after it",
        arguments: [
            [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
            [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00],
        ] as [[UInt8]]
    )
    func bfinal(_ payload: [UInt8]) {
        let stream =
            wsFrame(0x1, payload, rsv: 0b100) + wsFrame(0x1, payload, rsv: 0b100)
            + wsFrame(0x1, Self.compressedHello, rsv: 0b100)
            + wsFrame(0x1, [0xf2, 0x00, 0x11, 0x00, 0x00], rsv: 0b100)
        for feed in [nil, 1] as [Int?] {
            let run = WebSocketRun(Self.deflateConfig, stream, feed: feed)
            #expect(run.violations.isEmpty)
            #expect(run.messages.map(\.payload) == Array(repeating: Array("Hello".utf8), count: 4))
        }
    }

    @Test("RFC 7692 7.2.3.4 and 7.2.3.5: two blocks in one message, and a stored block")
    func moreRFCExamples() {
        let twoBlocks: [UInt8] = [0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00]
        let stored: [UInt8] = [0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00]
        let run = WebSocketRun(
            Self.deflateConfig,
            wsFrame(0x1, twoBlocks, rsv: 0b100) + wsFrame(0x1, stored, rsv: 0b100)
        )
        #expect(run.violations.isEmpty)
        #expect(run.messages.map(\.payload) == [Array("Hello".utf8), Array("Hello".utf8)])
    }

    @Test("an uncompressed message between compressed ones leaves the context alone")
    func mixedCompression() {
        let stream =
            wsFrame(0x1, Self.compressedHello, rsv: 0b100) + Self.helloUnmasked
            + wsFrame(0x1, [0xf2, 0x00, 0x11, 0x00, 0x00], rsv: 0b100)
        let run = WebSocketRun(Self.deflateConfig, stream)
        #expect(run.violations.isEmpty)
        #expect(run.messages.map(\.compressed) == [true, false, true])
        #expect(run.messages.map(\.payload) == Array(repeating: Array("Hello".utf8), count: 3))
    }

    @Test("a large compressed message round-trips through the inflater in chunks")
    func largeCompressed() {
        let original = (0..<300_000).map { UInt8(truncatingIfNeeded: ($0 % 251) ^ ($0 >> 9)) }
        let compressed = deflateRaw(original)
        let run = WebSocketRun(Self.deflateConfig, wsFrame(0x2, compressed, rsv: 0b100), feed: 1000)
        #expect(run.violations.isEmpty)
        #expect(run.messages.map(\.length) == [UInt64(original.count)])
        #expect(run.messages.first?.payload?.count == original.count)
        #expect(run.messages.first?.payload == original)
    }

    @Test("a compression bomb becomes a finding, the message is marked and the stream goes on")
    func bomb() {
        let compressed = deflateRaw([UInt8](repeating: 0, count: 40 << 20))
        #expect(compressed.count < 64 * 1024)
        var config = Self.deflateConfig
        config.decompressionLimit = 1 << 20
        config.keptPayloadBytes = 1024
        let run = WebSocketRun(config, wsFrame(0x2, compressed, rsv: 0b100) + Self.helloUnmasked)
        #expect(run.violations.map(\.rule) == [.messageTooBig])
        #expect(run.violations.first?.detail.contains("decompression exceeded the limit") == true)
        #expect(run.messages.count == 2)
        #expect(run.messages[0].decompressionLimitExceeded)
        #expect(run.messages[0].length == 1 << 20)
        #expect(run.messages[0].payloadCut && run.messages[0].payload?.count == 1024)
        #expect(run.messages[1].payload == Array("Hello".utf8))
    }

    @Test("a text bomb gets no UTF-8 verdict it cannot know")
    func textBomb() {
        let compressed = deflateRaw([UInt8](repeating: 0x61, count: 4 << 20))
        var config = Self.deflateConfig
        config.decompressionLimit = 1 << 20
        let run = WebSocketRun(config, wsFrame(0x1, compressed, rsv: 0b100))
        #expect(run.violations.map(\.rule) == [.messageTooBig])
        #expect(run.messages.map(\.utf8Valid) == [nil])
    }

    @Test("compressed text is UTF-8 checked after inflation")
    func compressedInvalidUTF8() {
        let run = WebSocketRun(Self.deflateConfig, wsFrame(0x1, deflateRaw([0x61, 0xed, 0xa0, 0x80]), rsv: 0b100))
        #expect(run.violations.map(\.rule) == [.invalidUTF8])
        #expect(run.violations.first?.detail.contains("after inflation") == true)
    }

    // MARK: - Resynchronisation and gaps

    @Test("a capture that starts mid-stream finds the first plausible header after garbage")
    func resyncAfterGarbage() {
        var config = WebSocketParserConfig(direction: .server)
        config.synchronized = false
        // The tail of an earlier payload (JSON text), then three frames.
        let garbage = Array("\"id\":\"3\",\"ok\":true}}".utf8)
        let stream = garbage + Self.helloUnmasked + Self.pingHello + wsFrame(0x2, [1, 2, 3])
        for feed in [nil, 1, 3] as [Int?] {
            let run = WebSocketRun(config, stream, feed: feed)
            #expect(run.resyncs.map(\.skippedBytes) == [garbage.count])
            #expect(run.violations.isEmpty)
            #expect(run.frames.map(\.streamOffset) == [garbage.count, garbage.count + 7, garbage.count + 14])
            #expect(run.messages.map(\.payload) == [Array("Hello".utf8), [1, 2, 3]])
        }
    }

    @Test("a continuation right after resynchronising is not reported: its message started before the capture")
    func resyncIntoContinuation() {
        var config = WebSocketParserConfig(direction: .client)
        config.synchronized = false
        let stream =
            [0x13, 0x37] + wsFrame(0x0, [1, 2], mask: 5) + wsFrame(0x2, [3], mask: 6) + wsFrame(0x9, [], mask: 7)
        let run = WebSocketRun(config, stream)
        #expect(run.resyncs.map(\.skippedBytes) == [2])
        #expect(run.violations.isEmpty)
        #expect(run.frames.count == 3)
        #expect(run.messages.map(\.payload) == [[3]])
    }

    @Test("a short stream that ends before three frames resynchronises at its end")
    func resyncAtEnd() {
        var config = WebSocketParserConfig(direction: .server)
        config.synchronized = false
        let run = WebSocketRun(config, [0xff, 0xfe] + Self.helloUnmasked)
        #expect(run.resyncs.map(\.skippedBytes) == [2])
        #expect(run.messages.map(\.payload) == [Array("Hello".utf8)])
    }

    @Test("a gap inside a payload keeps the framing and marks the frame and message")
    func gapInsidePayload() {
        var parser = WebSocketDirectionParser(config: WebSocketParserConfig(direction: .server))
        var recorder = WebSocketRecorder()
        let payload = [UInt8](repeating: 0x61, count: 100)
        let bytes = wsFrame(0x1, payload)
        recorder.feed(&parser, Array(bytes[0..<30]))
        recorder.gap(&parser, 20)
        recorder.feed(&parser, Array(bytes[50...]) + Self.helloUnmasked)
        let run = recorder.run
        #expect(run.gaps == [20])
        #expect(run.resyncs.isEmpty)
        #expect(run.violations.isEmpty)
        #expect(run.frames.map(\.lostBytes) == [20, 0])
        #expect(run.frames.map(\.complete) == [true, true])
        #expect(run.messages.map(\.lostBytes) == [20, 0])
        #expect(run.messages.map(\.utf8Valid) == [nil, true])
        #expect(run.messages.last?.payload == Array("Hello".utf8))
    }

    @Test("a gap across a frame boundary loses the framing: cut frame reported, then resynchronisation")
    func gapAcrossFrames() {
        var parser = WebSocketDirectionParser(config: WebSocketParserConfig(direction: .server))
        var recorder = WebSocketRecorder()
        let first = wsFrame(0x2, [UInt8](repeating: 1, count: 10))
        recorder.feed(&parser, Array(first[0..<5]))
        // The rest of the first frame, and 3 bytes of a second one, are lost.
        recorder.gap(&parser, first.count - 5 + 3)
        recorder.feed(&parser, [0x11, 0x22] + Self.helloUnmasked + Self.pingHello + Self.helloUnmasked)
        recorder.end(&parser)
        let run = recorder.run
        #expect(run.frames.first?.complete == false)
        #expect(run.messages.first?.complete == false)
        #expect(run.resyncs.map(\.skippedBytes) == [2])
        #expect(run.violations.isEmpty)
        #expect(run.messages.filter(\.complete).map(\.payload) == [Array("Hello".utf8), Array("Hello".utf8)])
        #expect(run.frames.last?.streamOffset == first.count + 3 + 2 + 14)
    }

    @Test("after a gap under context takeover, messages that fail to inflate are not reported as violations")
    func gapLosesDeflateContext() {
        var parser = WebSocketDirectionParser(config: Self.deflateConfig)
        var recorder = WebSocketRecorder()
        recorder.feed(&parser, Array(wsFrame(0x1, Self.compressedHello, rsv: 0b100).prefix(4)))
        recorder.gap(&parser, 5)
        recorder.feed(&parser, wsFrame(0x1, [0xf2, 0x00, 0x11, 0x00, 0x00], rsv: 0b100))
        recorder.end(&parser)
        let run = recorder.run
        #expect(run.violations.isEmpty)
        #expect(run.messages.last?.inflateError != nil)
    }

    @Test("end() reports a frame and message cut by the end of the stream")
    func endCutsFrame() {
        var parser = WebSocketDirectionParser(config: WebSocketParserConfig(direction: .server))
        var recorder = WebSocketRecorder()
        recorder.feed(&parser, Array(wsFrame(0x1, Array("Hello, world".utf8)).prefix(6)))
        recorder.end(&parser)
        let run = recorder.run
        #expect(run.frames.map(\.complete) == [false])
        #expect(run.messages.map(\.complete) == [false])
        #expect(run.messages.map(\.utf8Valid) == [nil])
        #expect(run.messages.map(\.payload) == [Array("Hell".utf8)])
    }

    @Test("random input never crashes and every byte is accounted for", arguments: 0..<8)
    func randomInput(_ seed: Int) {
        var generator = WebSocketTestRandom(seed: UInt64(seed))
        let bytes = (0..<20_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        for direction in [Direction.client, .server] {
            var config = WebSocketParserConfig(direction: direction, deflate: PerMessageDeflateConfig())
            config.synchronized = seed % 2 == 0
            let run = WebSocketRun(config, bytes, feed: 1 + seed * 97)
            // Frames tile the stream: each starts where the previous one ended (or after skipped bytes).
            var expected = run.resyncs.first?.skippedBytes ?? 0
            for frame in run.frames {
                #expect(frame.streamOffset == expected)
                let (end, overflow) = UInt64(frame.streamOffset).addingReportingOverflow(frame.totalLength)
                expected = overflow ? .max : Int(clamping: end)
            }
            let allButLastComplete = run.frames.dropLast().allSatisfy { $0.complete }
            #expect(allButLastComplete)
        }
    }
}

// MARK: - Helpers

/// Builds one frame. `lengthBits` forces a 16- or 64-bit length encoding.
func wsFrame(
    _ opcode: UInt8,
    _ payload: [UInt8],
    fin: Bool = true,
    rsv: UInt8 = 0,
    mask: UInt32? = nil,
    lengthBits: Int? = nil
) -> [UInt8] {
    var bytes: [UInt8] = [(fin ? 0x80 : 0) | rsv << 4 | opcode]
    let maskBit: UInt8 = mask == nil ? 0 : 0x80
    let bits = lengthBits ?? (payload.count < 126 ? 7 : payload.count < 65_536 ? 16 : 64)
    switch bits {
    case 7:
        bytes.append(maskBit | UInt8(payload.count))
    case 16:
        bytes.append(maskBit | 126)
        bytes += [UInt8(payload.count >> 8 & 0xff), UInt8(payload.count & 0xff)]
    default:
        bytes.append(maskBit | 127)
        bytes += (0..<8).reversed().map { UInt8(truncatingIfNeeded: UInt64(payload.count) >> (8 * UInt64($0))) }
    }
    guard let mask else { return bytes + payload }
    let key: [UInt8] = [UInt8(mask >> 24), UInt8(mask >> 16 & 0xff), UInt8(mask >> 8 & 0xff), UInt8(mask & 0xff)]
    bytes += key
    bytes += payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
    return bytes
}

/// Everything a parser reported.
struct WebSocketRun {
    var events: [WebSocketEvent] = []

    init() {}

    /// Feeds `bytes` in pieces of `feed` bytes (one packet each; all at once when nil), then ends the stream.
    init(_ config: WebSocketParserConfig, _ bytes: [UInt8], feed: Int? = nil) {
        var parser = WebSocketDirectionParser(config: config)
        var recorder = WebSocketRecorder()
        let size = max(feed ?? bytes.count, 1)
        var index = 0
        while index < bytes.count {
            recorder.feed(&parser, Array(bytes[index..<min(index + size, bytes.count)]))
            index += size
        }
        recorder.end(&parser)
        self = recorder.run
    }

    init(_ direction: Direction, _ bytes: [UInt8], feed: Int? = nil) {
        self.init(WebSocketParserConfig(direction: direction), bytes, feed: feed)
    }

    var frames: [WebSocketFrameRecord] {
        self.events.compactMap { if case .frame(let frame) = $0 { frame } else { nil } }
    }
    var messages: [WebSocketMessageRecord] {
        self.events.compactMap { if case .message(let message) = $0 { message } else { nil } }
    }
    var controls: [WebSocketControlRecord] {
        self.events.compactMap { if case .control(let control) = $0 { control } else { nil } }
    }
    var closes: [WebSocketCloseRecord] {
        self.events.compactMap { if case .close(let close) = $0 { close } else { nil } }
    }
    var violations: [WebSocketViolation] {
        self.events.compactMap { if case .violation(let violation) = $0 { violation } else { nil } }
    }
    var resyncs: [(skippedBytes: Int, packet: PacketRef)] {
        self.events.compactMap {
            if case .resynchronized(let skipped, let packet) = $0 { (skipped, packet) } else { nil }
        }
    }
    var gaps: [Int] {
        self.events.compactMap { if case .gap(let length, _) = $0 { length } else { nil } }
    }
}

/// Feeds a parser packet by packet (numbered from 1) and records its events.
struct WebSocketRecorder {
    var run = WebSocketRun()
    var frameNumbers = 0
    var packetNumber = 0

    mutating func nextPacket() -> PacketRef {
        self.packetNumber += 1
        return PacketRef(number: self.packetNumber, timestamp: Timestamp(nanoseconds: Int64(self.packetNumber)))
    }

    mutating func feed(_ parser: inout WebSocketDirectionParser, _ bytes: [UInt8]) {
        let packet = self.nextPacket()
        var events: [WebSocketEvent] = []
        parser.receive(bytes, packet: packet, frameNumbers: &self.frameNumbers) { events.append($0) }
        self.run.events += events
    }

    mutating func gap(_ parser: inout WebSocketDirectionParser, _ length: Int) {
        let packet = self.nextPacket()
        var events: [WebSocketEvent] = []
        parser.gap(length, packet: packet) { events.append($0) }
        self.run.events += events
    }

    mutating func end(_ parser: inout WebSocketDirectionParser) {
        let packet = self.nextPacket()
        var events: [WebSocketEvent] = []
        parser.end(packet: packet, frameNumbers: &self.frameNumbers) { events.append($0) }
        self.run.events += events
    }
}

extension WebSocketEvent {
    var kind: String {
        switch self {
        case .frame: "frame"
        case .message: "message"
        case .control: "control"
        case .close: "close"
        case .violation: "violation"
        case .resynchronized: "resynchronized"
        case .gap: "gap"
        }
    }

    /// The event with every packet reference zeroed, to compare runs fed in different pieces.
    var withoutPackets: WebSocketEvent {
        let zero = PacketRef(number: 0, timestamp: Timestamp(nanoseconds: 0))
        switch self {
        case .frame(var frame):
            frame.startPacket = zero
            frame.endPacket = zero
            return .frame(frame)
        case .message(var message):
            message.startPacket = zero
            message.endPacket = zero
            return .message(message)
        case .control(var control):
            control.packet = zero
            return .control(control)
        case .close(var close):
            close.packet = zero
            return .close(close)
        case .violation(var violation):
            violation.packet = zero
            return .violation(violation)
        case .resynchronized(let skipped, _):
            return .resynchronized(skippedBytes: skipped, packet: zero)
        case .gap(let length, _):
            return .gap(length: length, packet: zero)
        }
    }
}

/// A small deterministic random number generator for the robustness tests.
struct WebSocketTestRandom: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9e37_79b9_7f4a_7c15
        var value = self.state
        value = (value ^ (value >> 30)) &* 0xbf58_476d_1ce4_e5b9
        value = (value ^ (value >> 27)) &* 0x94d0_49bb_1331_11eb
        return value ^ (value >> 31)
    }
}
