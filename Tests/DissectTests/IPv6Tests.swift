import Dissect
import Testing

private typealias Bytes = CaptureTestBytes

@Suite("IPv6")
struct IPv6Tests {
    private static func address(_ last: UInt64) -> IPAddress {
        let (high, low) = Bytes.v6Address(last)
        return .v6(high, low)
    }

    @Test("a plain IPv6 segment")
    func plain() throws {
        let packet = Bytes.ipv6(payload: Bytes.tcp(sourcePort: 1_234, payload: [7, 7]))
        let (outcome, segment) = Bytes.decode(packet, linkType: .ipv6)
        #expect(outcome == .tcp)
        let decoded = try #require(segment)
        #expect(decoded.source == Endpoint(ip: Self.address(1), port: 1_234))
        #expect(decoded.destination == Endpoint(ip: Self.address(2), port: 80))
        #expect(decoded.payload == [7, 7])
        #expect("\(decoded.source)" == "[2001:db8::1]:1234")
    }

    @Test("hop-by-hop, routing, destination options and AH are walked")
    func extensionHeaders() {
        var chain = Bytes.ipv6Extension(nextHeader: 43)  // hop-by-hop -> routing
        chain += Bytes.ipv6Extension(nextHeader: 60, units: 2)  // routing -> destination options
        chain += Bytes.ipv6Extension(nextHeader: 51)  // destination options -> AH
        var ah: [UInt8] = [6, 4] + [UInt8](repeating: 0, count: 22)  // AH: (4 + 2) * 4 = 24 bytes -> TCP
        ah[2] = 0
        chain += ah
        let packet = Bytes.ipv6(nextHeader: 0, payload: chain + Bytes.tcp(payload: [1, 2, 3]))
        let (outcome, segment) = Bytes.decode(packet, linkType: .raw)
        #expect(outcome == .tcp)
        #expect(segment?.payload == [1, 2, 3])
    }

    @Test("no next header (59) and ICMPv6 are not TCP")
    func notTCP() {
        #expect(Bytes.decode(Bytes.ipv6(nextHeader: 59, payload: []), linkType: .raw).0 == .notTCP)
        let hopToNone = Bytes.ipv6(nextHeader: 0, payload: Bytes.ipv6Extension(nextHeader: 59))
        #expect(Bytes.decode(hopToNone, linkType: .raw).0 == .notTCP)
        #expect(Bytes.decode(Bytes.ipv6(nextHeader: 58, payload: [128, 0, 0, 0]), linkType: .raw).0 == .notTCP)
    }

    @Test("an extension header running past the packet is malformed")
    func overrun() {
        let packet = Bytes.ipv6(nextHeader: 60, payload: Bytes.ipv6Extension(nextHeader: 6, units: 5))
        let outcome = Bytes.decode(Array(packet.prefix(48)), linkType: .raw).0
        #expect(outcome == .malformed("IPv6 extension header cut by the capture"))
        let lying = Bytes.ipv6(nextHeader: 60, payloadLength: 8, payload: Bytes.ipv6Extension(nextHeader: 6, units: 5))
        #expect(
            Bytes.decode(lying, linkType: .raw).0 == .malformed("IPv6 extension header runs past the payload length")
        )
    }

    @Test("a long chain of extension headers is cut off")
    func tooManyHeaders() {
        let chain = (0..<20).flatMap { _ in Bytes.ipv6Extension(nextHeader: 60) }
        let outcome = Bytes.decode(Bytes.ipv6(nextHeader: 60, payload: chain), linkType: .raw).0
        #expect(outcome == .malformed("more than 16 IPv6 extension headers"))
    }

    @Test("bytes cut by the snaplen become missingPayloadLength")
    func truncated() {
        let packet = Bytes.ipv6(payload: Bytes.tcp(payload: Array(repeating: 1, count: 50)))
        let (outcome, segment) = Bytes.decode(Array(packet.prefix(40 + 20 + 10)), linkType: .raw)
        #expect(outcome == .tcp)
        #expect(segment?.payload.count == 10)
        #expect(segment?.missingPayloadLength == 40)
    }

    @Test("payload length 0 (jumbogram or offload) means the captured length")
    func zeroPayloadLength() {
        let packet = Bytes.ipv6(payloadLength: 0, payload: Bytes.tcp(payload: [4, 4]))
        #expect(Bytes.decode(packet, linkType: .raw).1?.payload == [4, 4])
    }

    @Test("fragments are reassembled, with a destination option after the fragment header", arguments: [false, true])
    func fragments(reversed: Bool) throws {
        let payload = (0..<100).map { UInt8($0) }
        let fragmentable = Bytes.ipv6Extension(nextHeader: 6) + Bytes.tcp(sequence: 5, payload: payload)
        let first = Bytes.ipv6(
            nextHeader: 0,
            payload: Bytes.ipv6Extension(nextHeader: 44)
                + Bytes.ipv6Fragment(nextHeader: 60, offset: 0, more: true, identification: 0xabcdef)
                + Array(fragmentable[0..<64])
        )
        let second = Bytes.ipv6(
            nextHeader: 44,
            payload: Bytes.ipv6Fragment(nextHeader: 60, offset: 64, more: false, identification: 0xabcdef)
                + Array(fragmentable[64...])
        )
        var decoder = PacketDecoder()
        let packets = reversed ? [second, first] : [first, second]
        #expect(Bytes.decode(packets[0], linkType: .raw, decoder: &decoder).0 == .fragmentPending)
        let (outcome, segment) = Bytes.decode(packets[1], linkType: .raw, decoder: &decoder)
        #expect(outcome == .tcp)
        let decoded = try #require(segment)
        #expect(decoded.sequence == 5)
        #expect(decoded.payload == payload)
        #expect(decoded.source.ip == Self.address(1))
    }

    @Test("an atomic fragment (offset 0, M clear) is an ordinary packet")
    func atomicFragment() {
        let packet = Bytes.ipv6(
            nextHeader: 44,
            payload: Bytes.ipv6Fragment(nextHeader: 6, offset: 0, more: false, identification: 1)
                + Bytes.tcp(payload: [3])
        )
        #expect(Bytes.decode(packet, linkType: .raw).1?.payload == [3])
    }

    @Test("a version other than 6 on an IPv6 link type is malformed")
    func badVersion() {
        let packet = Bytes.ipv4(payload: Bytes.tcp() + [UInt8](repeating: 0, count: 20))
        #expect(Bytes.decode(packet, linkType: .ipv6).0 == .malformed("IPv6 packet whose version field is not 6"))
        #expect(Bytes.decode([0x60, 0], linkType: .ipv6).0 == .malformed("IPv6 header cut by the capture"))
    }
}
