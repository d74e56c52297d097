import Dissect
import Testing

/// The frame encoder against RFC 6455's own examples and against the project's parser.
struct WebSocketFrameEncoderTests {
    /// Parses `bytes` as one direction's stream and returns its events.
    private static func parse(_ bytes: [UInt8], direction: Direction) -> [WebSocketEvent] {
        var config = WebSocketParserConfig(direction: direction)
        config.keptPayloadBytes = 1 << 20
        var parser = WebSocketDirectionParser(config: config)
        var numbers = 0
        var events: [WebSocketEvent] = []
        parser.receive(
            bytes,
            packet: PacketRef(number: 1, timestamp: Timestamp(nanoseconds: 0)),
            frameNumbers: &numbers
        ) {
            events.append($0)
        }
        return events
    }

    @Test func rfc6455ExamplesByteForByte() {
        // RFC 6455 5.7: a single-frame unmasked text message "Hello" and the same masked with key 37 fa 21 3d.
        #expect(
            WebSocketFrameEncoder.text("Hello", maskKey: nil) == [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
        )
        #expect(
            WebSocketFrameEncoder.text("Hello", maskKey: [0x37, 0xfa, 0x21, 0x3d])
                == [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        )
        // RFC 6455 5.7: 256 bytes binary in a single unmasked frame: 0x82 0x7E 0x0100; 64 KiB: 0x82 0x7F 0x...010000.
        let medium = WebSocketFrameEncoder.frame(
            opcode: .binary,
            payload: [UInt8](repeating: 7, count: 256),
            maskKey: nil
        )
        #expect(Array(medium.prefix(4)) == [0x82, 0x7E, 0x01, 0x00])
        #expect(medium.count == 4 + 256)
        let large = WebSocketFrameEncoder.frame(
            opcode: .binary,
            payload: [UInt8](repeating: 7, count: 65536),
            maskKey: nil
        )
        #expect(Array(large.prefix(10)) == [0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00])
    }

    @Test(arguments: [0, 1, 125, 126, 65535, 65536, 70000])
    func maskedFramesParseBackWithoutFindings(length: Int) throws {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let key: [UInt8] = [0xde, 0xad, 0xbe, 0xef]
        let frame = WebSocketFrameEncoder.frame(opcode: .binary, payload: payload, maskKey: key)
        let headerLength = length <= 125 ? 2 : (length <= 0xFFFF ? 4 : 10)
        #expect(frame.count == headerLength + 4 + length, "the shortest length form, then the key")
        let events = Self.parse(frame, direction: .client)
        #expect(!events.contains { if case .violation = $0 { true } else { false } }, "\(events)")
        let header = try #require(
            events.compactMap { if case .frame(let record) = $0 { record } else { nil } }.first
        )
        #expect(header.masked && header.maskKey == 0xdead_beef && header.fin && header.rsv == 0)
        #expect(header.lengthEncodingMinimal)
        let message = try #require(
            events.compactMap { if case .message(let record) = $0 { record } else { nil } }.first
        )
        #expect(message.payload == payload, "the parser unmasks the bytes that were masked")
    }

    @Test func unmaskedClientFrameIsWhatTheParserFlags() {
        // The encoder leaves masking to its caller; a client frame without a key breaks RFC 6455 5.1.
        let events = Self.parse(WebSocketFrameEncoder.text("{}", maskKey: nil), direction: .client)
        #expect(events.contains { if case .violation(let v) = $0 { v.rule == .clientFrameUnmasked } else { false } })
    }

    @Test func closeReasonIsCutOnACharacterBoundary() throws {
        // 61 two-byte characters (122 bytes) and one more: 124 bytes of reason would pass 125 with the code.
        let reason = String(repeating: "é", count: 62)
        let frame = WebSocketFrameEncoder.close(code: 1008, reason: reason, maskKey: [1, 2, 3, 4])
        let events = Self.parse(frame, direction: .client)
        let close = try #require(events.compactMap { if case .close(let record) = $0 { record } else { nil } }.first)
        #expect(close.code == 1008)
        #expect(close.reasonValidUTF8)
        #expect(close.reason == String(repeating: "é", count: 61), "cut to 122 bytes, whole characters")
        #expect(!events.contains { if case .violation = $0 { true } else { false } })
    }
}
