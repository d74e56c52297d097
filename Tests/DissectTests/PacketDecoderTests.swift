import Dissect
import Testing

private typealias Bytes = CaptureTestBytes

@Suite("PacketDecoder")
struct PacketDecoderTests {
    private static let segment = Bytes.tcp(
        sourcePort: 51_000,
        destinationPort: 18_789,
        sequence: 0xfedc_ba98,
        acknowledgment: 0x0102_0304,
        flags: 0x12,
        window: 65_535,
        options: [2, 4, 0x05, 0xb4, 1, 1, 4, 2],  // MSS, NOP, NOP, SACK permitted
        payload: Array("hello".utf8)
    )
    private static let ipv4 = Bytes.ipv4(source: 0x7f00_0001, destination: 0x7f00_0001, payload: Self.segment)
    private static let ipv6 = Bytes.ipv6(payload: Self.segment)
    private static let sll: [UInt8] = [0, 0, 0x03, 0x04, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]
    private static let sll2Rest: [UInt8] = [0, 0, 0, 0, 0, 1, 0x03, 0x04, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]

    /// Every supported link type with an IPv4 and an IPv6 frame.
    static let frames: [(String, LinkType, [UInt8], Bool)] = [
        ("Ethernet v4", .ethernet, Bytes.ethernet(type: 0x0800, payload: ipv4), false),
        ("Ethernet v6", .ethernet, Bytes.ethernet(type: 0x86DD, payload: ipv6), true),
        ("802.1Q v4", .ethernet, Bytes.ethernet(type: 0x0800, vlanTags: [0x8100], payload: ipv4), false),
        ("NULL LE v4", .null, [2, 0, 0, 0] + ipv4, false),
        ("NULL BE v6", .null, [0, 0, 0, 30] + ipv6, true),
        ("NULL LE v6 Linux", .null, [10, 0, 0, 0] + ipv6, true),
        ("LOOP v4", .loop, [0, 0, 0, 2] + ipv4, false),
        ("LOOP v6", .loop, [0, 0, 0, 24] + ipv6, true),
        ("SLL v4", .linuxSLL, sll + [0x08, 0x00] + ipv4, false),
        ("SLL v6", .linuxSLL, sll + [0x86, 0xDD] + ipv6, true),
        ("SLL2 v4", .linuxSLL2, [0x08, 0x00] + sll2Rest + ipv4, false),
        ("SLL2 v6", .linuxSLL2, [0x86, 0xDD] + sll2Rest + ipv6, true),
        ("RAW v4", .raw, ipv4, false),
        ("RAW v6", .raw, ipv6, true),
        ("IPV4", .ipv4, ipv4, false),
        ("IPV6", .ipv6, ipv6, true),
    ]

    @Test("every link type decodes to the same segment", arguments: Self.frames)
    func linkTypes(name: String, linkType: LinkType, frame: [UInt8], isIPv6: Bool) throws {
        let (outcome, segment) = Bytes.decode(frame, linkType: linkType)
        #expect(outcome == .tcp, "\(name)")
        let decoded = try #require(segment)
        let (high, low) = Bytes.v6Address(1)
        #expect(decoded.source.ip == (isIPv6 ? .v6(high, low) : .v4(0x7f00_0001)))
        #expect(decoded.source.port == 51_000)
        #expect(decoded.destination.port == 18_789)
        #expect(decoded.sequence == 0xfedc_ba98)
        #expect(decoded.acknowledgment == 0x0102_0304)
        #expect(decoded.flags == [.syn, .ack])
        #expect(decoded.window == 65_535)
        #expect(decoded.payload == Array("hello".utf8))
        #expect(decoded.missingPayloadLength == 0)
    }

    @Test("an unsupported link type is returned as such")
    func unsupported() {
        let type = LinkType(rawValue: 127)
        #expect(Bytes.decode(Self.ipv4, linkType: type).0 == .unsupportedLinkType(type))
    }

    @Test("a frame shorter than its link header is malformed")
    func shortFrame() {
        #expect(Bytes.decode([1, 2], linkType: .ethernet).0 == .malformed("frame shorter than its link-layer header"))
    }

    @Test("a data offset below 5 is malformed")
    func badDataOffset() {
        var segment = Self.segment
        segment[12] = 0x40
        let outcome = Bytes.decode(Bytes.ipv4(payload: segment), linkType: .raw).0
        #expect(outcome == .malformed("TCP data offset below 5 words or beyond the segment"))
    }

    @Test("a segment cut in its payload keeps the header and reports the rest as missing")
    func cutInPayload() throws {
        let frame = Bytes.ethernet(type: 0x0800, payload: Self.ipv4)
        let (outcome, segment) = Bytes.decode(Array(frame.dropLast(3)), linkType: .ethernet)
        #expect(outcome == .tcp)
        #expect(segment?.payload == Array("he".utf8))
        #expect(segment?.missingPayloadLength == 3)
    }

    @Test("every prefix of every frame decodes without crashing", arguments: Self.frames)
    func prefixes(name: String, linkType: LinkType, frame: [UInt8], isIPv6: Bool) {
        var decoder = PacketDecoder()
        for length in 0...frame.count {
            let (outcome, segment) = Bytes.decode(Array(frame.prefix(length)), linkType: linkType, decoder: &decoder)
            if let segment {
                #expect(outcome == .tcp)
                #expect(segment.payload.count + segment.missingPayloadLength == 5, "\(name) cut at \(length)")
            }
        }
    }

    @Test("random garbage and mutated frames never crash the decoder")
    func garbage() {
        var generator = SystemRandomNumberGenerator()
        var decoder = PacketDecoder(fragmentLimits: IPFragmentLimits(maximumPendingDatagrams: 8))
        let types: [LinkType] = [
            .ethernet, .null, .loop, .linuxSLL, .linuxSLL2, .raw, .ipv4, .ipv6, LinkType(rawValue: 9),
        ]
        for round in 0..<20_000 {
            var frame: [UInt8]
            if round % 2 == 0 {
                frame = (0..<Int.random(in: 0...120, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
            } else {
                frame = Self.frames[round / 2 % Self.frames.count].2
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    frame[Int.random(in: 0..<frame.count, using: &generator)] = UInt8.random(
                        in: 0...255,
                        using: &generator
                    )
                }
            }
            let linkType =
                round % 2 == 0 ? types[round / 2 % types.count] : Self.frames[round / 2 % Self.frames.count].1
            let time = Int64(round) * 1_000_000
            let (outcome, segment) = Bytes.decode(frame, linkType: linkType, decoder: &decoder, time: time)
            if let segment {
                #expect(outcome == .tcp)
                #expect(segment.missingPayloadLength >= 0)
            }
        }
        #expect(decoder.pendingFragmentedDatagrams <= 16)
    }
}
