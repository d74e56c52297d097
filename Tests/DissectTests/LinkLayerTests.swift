import Dissect
import Testing

private typealias Bytes = CaptureTestBytes

@Suite("LinkLayer")
struct LinkLayerTests {
    private static let ipv4 = Bytes.ipv4(payload: Bytes.tcp())
    private static let ipv6 = Bytes.ipv6(payload: Bytes.tcp())

    private static func decode(_ linkType: LinkType, _ frame: [UInt8]) -> LinkLayerResult {
        frame.withUnsafeBytes { LinkLayer.decode(linkType, $0) }
    }

    @Test("Ethernet with zero MACs, as Linux lo records it")
    func ethernetLoopback() {
        #expect(Self.decode(.ethernet, Bytes.ethernet(type: 0x0800, payload: Self.ipv4)) == .network(.ipv4, offset: 14))
        #expect(Self.decode(.ethernet, Bytes.ethernet(type: 0x86DD, payload: Self.ipv6)) == .network(.ipv6, offset: 14))
    }

    @Test("802.1Q, 802.1ad and stacked VLAN tags")
    func vlanTags() {
        let single = Bytes.ethernet(type: 0x0800, vlanTags: [0x8100], payload: Self.ipv4)
        #expect(Self.decode(.ethernet, single) == .network(.ipv4, offset: 18))
        let stacked = Bytes.ethernet(type: 0x86DD, vlanTags: [0x88a8, 0x8100], payload: Self.ipv6)
        #expect(Self.decode(.ethernet, stacked) == .network(.ipv6, offset: 22))
        let cut = Array(Bytes.ethernet(type: 0x0800, vlanTags: [0x8100], payload: []).prefix(16))
        #expect(Self.decode(.ethernet, cut) == .truncated)
        let endless = Bytes.ethernet(type: 0x8100, vlanTags: Array(repeating: 0x8100, count: 12), payload: [])
        #expect(Self.decode(.ethernet, endless) == .notIP(0x8100))
    }

    @Test("Ethernet carrying ARP, and a frame too short for its header")
    func ethernetOther() {
        #expect(Self.decode(.ethernet, Bytes.ethernet(type: 0x0806, payload: [0, 1])) == .notIP(0x0806))
        #expect(Self.decode(.ethernet, [0, 0, 0]) == .truncated)
    }

    @Test("NULL in both byte orders and every AF_INET6 value", arguments: [2, 10, 23, 24, 26, 28, 30] as [UInt32])
    func null(family: UInt32) {
        let expected: NetworkProtocol = family == 2 ? .ipv4 : .ipv6
        let payload = family == 2 ? Self.ipv4 : Self.ipv6
        for bigEndian in [false, true] {
            var writer = Bytes.Writer(bigEndian: bigEndian)
            writer.u32(family)
            writer.append(payload)
            #expect(Self.decode(.null, writer.bytes) == .network(expected, offset: 4))
        }
    }

    @Test("LOOP has the family in network byte order")
    func loop() {
        #expect(Self.decode(.loop, [0, 0, 0, 2] + Self.ipv4) == .network(.ipv4, offset: 4))
        #expect(Self.decode(.loop, [0, 0, 0, 30] + Self.ipv6) == .network(.ipv6, offset: 4))
        #expect(Self.decode(.loop, [0, 0, 0, 7]) == .notIP(7))
        #expect(Self.decode(.null, [2, 0]) == .truncated)
    }

    @Test("Linux cooked capture v1: protocol at offset 14")
    func linuxSLL() {
        var header: [UInt8] = [0, 0, 0x03, 0x04, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]
        #expect(Self.decode(.linuxSLL, header + [0x08, 0x00] + Self.ipv4) == .network(.ipv4, offset: 16))
        #expect(Self.decode(.linuxSLL, header + [0x86, 0xDD] + Self.ipv6) == .network(.ipv6, offset: 16))
        header.removeLast()
        #expect(Self.decode(.linuxSLL, header) == .truncated)
    }

    @Test("Linux cooked capture v2: protocol at offset 0")
    func linuxSLL2() {
        let rest: [UInt8] = [0, 0, 0, 0, 0, 1, 0x03, 0x04, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]
        #expect(Self.decode(.linuxSLL2, [0x08, 0x00] + rest + Self.ipv4) == .network(.ipv4, offset: 20))
        #expect(Self.decode(.linuxSLL2, [0x86, 0xDD] + rest + Self.ipv6) == .network(.ipv6, offset: 20))
        #expect(Self.decode(.linuxSLL2, [0x86, 0xDD]) == .truncated)
    }

    @Test("RAW decides by the version nibble; IPV4 and IPV6 are direct")
    func raw() {
        #expect(Self.decode(.raw, Self.ipv4) == .network(.ipv4, offset: 0))
        #expect(Self.decode(.raw, Self.ipv6) == .network(.ipv6, offset: 0))
        #expect(Self.decode(.raw, [0x50]) == .notIP(5))
        #expect(Self.decode(.raw, []) == .truncated)
        #expect(Self.decode(.ipv4, Self.ipv4) == .network(.ipv4, offset: 0))
        #expect(Self.decode(.ipv6, Self.ipv6) == .network(.ipv6, offset: 0))
    }

    @Test("an unknown link type says so")
    func unsupported() {
        let wifi = LinkType(rawValue: 105)
        #expect(Self.decode(wifi, Self.ipv4) == .unsupportedLinkType(wifi))
    }
}
