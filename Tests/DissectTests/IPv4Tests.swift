import Dissect
import Testing

private typealias Bytes = CaptureTestBytes

@Suite("IPv4")
struct IPv4Tests {
    private static let source = Endpoint(ip: .v4(0x0a00_0001), port: 40_000)
    private static let destination = Endpoint(ip: .v4(0x0a00_0002), port: 80)

    @Test("a plain segment with a wrong checksum is still decoded")
    func plainWithBadChecksum() throws {
        let packet = Bytes.ipv4(payload: Bytes.tcp(sequence: 7, acknowledgment: 9, flags: 0x18, payload: [1, 2, 3]))
        let (outcome, segment) = Bytes.decode(packet, linkType: .ipv4)
        #expect(outcome == .tcp)
        let decoded = try #require(segment)
        #expect(decoded.source == Self.source)
        #expect(decoded.destination == Self.destination)
        #expect(decoded.sequence == 7)
        #expect(decoded.acknowledgment == 9)
        #expect(decoded.flags == [.psh, .ack])
        #expect(decoded.window == 512)
        #expect(decoded.payload == [1, 2, 3])
        #expect(decoded.missingPayloadLength == 0)
    }

    @Test("IPv4 options move the TCP header")
    func options() throws {
        // Record Route (7), length 11, pointer 4, two empty slots, then End of Options.
        let options: [UInt8] = [7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        let packet = Bytes.ipv4(options: options, payload: Bytes.tcp(payload: [9, 8]))
        #expect(packet[0] == 0x48)
        let (outcome, segment) = Bytes.decode(packet, linkType: .ipv4)
        #expect(outcome == .tcp)
        #expect(segment?.payload == [9, 8])
        #expect(segment?.destination.port == 80)
    }

    @Test("Ethernet padding beyond the total length is not payload")
    func padding() {
        let frame = Bytes.ethernet(type: 0x0800, payload: Bytes.ipv4(payload: Bytes.tcp(payload: [5]))) + [0, 0, 0, 0]
        let (outcome, segment) = Bytes.decode(frame, linkType: .ethernet)
        #expect(outcome == .tcp)
        #expect(segment?.payload == [5])
    }

    @Test("bytes cut by the snaplen become missingPayloadLength")
    func truncated() {
        let packet = Bytes.ipv4(payload: Bytes.tcp(payload: Array(repeating: 0x41, count: 100)))
        let (outcome, segment) = Bytes.decode(Array(packet.prefix(20 + 20 + 30)), linkType: .raw)
        #expect(outcome == .tcp)
        #expect(segment?.payload.count == 30)
        #expect(segment?.missingPayloadLength == 70)
    }

    @Test("a TCP header cut by the snaplen is reported, not guessed")
    func tcpHeaderCut() {
        let packet = Bytes.ipv4(payload: Bytes.tcp(payload: [1]))
        let (outcome, segment) = Bytes.decode(Array(packet.prefix(30)), linkType: .raw)
        #expect(outcome == .malformed("TCP header cut by the capture"))
        #expect(segment == nil)
    }

    /// A loopback capture at snaplen 64 keeps 14 + 20 bytes of link and IP headers and 30 of the 32-byte TCP
    /// header: the fixed 20 bytes are there, the timestamps option is cut, and the payload is missing, not absent.
    @Test("a TCP header cut inside its options still gives the segment, its payload missing")
    func tcpOptionsCut() {
        let options: [UInt8] = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]
        let packet = Bytes.ipv4(
            payload: Bytes.tcp(sequence: 7_000, options: options, payload: Array(repeating: 0x41, count: 100))
        )
        let (outcome, segment) = Bytes.decode(Array(packet.prefix(20 + 30)), linkType: .raw)
        #expect(outcome == .tcp)
        #expect(segment?.sequence == 7_000)
        #expect(segment?.payload.count == 0)
        #expect(segment?.missingPayloadLength == 100)
    }

    @Test("total length 0 (segmentation offload) means the captured length")
    func offloadedTotalLength() {
        let packet = Bytes.ipv4(totalLength: 0, payload: Bytes.tcp(payload: [1, 2, 3, 4]))
        let (outcome, segment) = Bytes.decode(packet, linkType: .raw)
        #expect(outcome == .tcp)
        #expect(segment?.payload == [1, 2, 3, 4])
    }

    @Test(
        "malformed headers",
        arguments: [
            ([0x45, 0, 0], "IPv4 header cut by the capture"),
            ([0x44] + [UInt8](repeating: 0, count: 19), "IPv4 header length (IHL) below 5 words"),
            ([0x4f] + [UInt8](repeating: 0, count: 19), "IPv4 header cut by the capture"),
            ([0x45, 0, 0, 10] + [UInt8](repeating: 0, count: 16), "IPv4 total length shorter than its header"),
        ] as [([UInt8], String)]
    )
    func malformed(packet: [UInt8], message: String) {
        #expect(Bytes.decode(packet, linkType: .ipv4).0 == .malformed(message))
    }

    @Test("a version other than 4 on an IPv4 link type is malformed")
    func badVersion() {
        let packet = Bytes.ipv6(payload: Bytes.tcp())
        #expect(Bytes.decode(packet, linkType: .ipv4).0 == .malformed("IPv4 packet whose version field is not 4"))
    }

    @Test("UDP is not TCP")
    func udp() {
        #expect(
            Bytes.decode(Bytes.ipv4(protocolNumber: 17, payload: [0, 1, 0, 2, 0, 8, 0, 0]), linkType: .raw).0 == .notTCP
        )
    }

    /// Splits `segment` into IPv4 fragments of `size` bytes (a multiple of 8).
    private static func fragments(_ segment: [UInt8], size: Int, identification: UInt16 = 7) -> [[UInt8]] {
        stride(from: 0, to: segment.count, by: size).map { start in
            let end = min(start + size, segment.count)
            return Bytes.ipv4(
                identification: identification,
                moreFragments: end < segment.count,
                fragmentOffset: start,
                payload: Array(segment[start..<end])
            )
        }
    }

    @Test(
        "fragments are reassembled in order and out of order",
        arguments: [[0, 1, 2, 3], [3, 1, 0, 2], [2, 2, 0, 3, 1]]
    )
    func reassembly(order: [Int]) throws {
        let payload = (0..<150).map { UInt8($0) }
        let segment = Bytes.tcp(sequence: 77, payload: payload)
        let pieces = Self.fragments(segment, size: 48)
        #expect(pieces.count == 4)
        var decoder = PacketDecoder()
        var result: Bytes.DecodedSegment?
        for (step, index) in order.enumerated() {
            let (outcome, segment) = Bytes.decode(pieces[index], linkType: .raw, decoder: &decoder)
            if step == order.count - 1 {
                #expect(outcome == .tcp)
                result = segment
            } else {
                #expect(outcome == .fragmentPending)
            }
        }
        let decoded = try #require(result)
        #expect(decoded.sequence == 77)
        #expect(decoded.payload == payload)
        #expect(decoded.source == Self.source)
        #expect(decoder.fragmentStatistics.reassembled == 1)
        #expect(decoder.pendingFragmentedDatagrams == 0)
    }

    /// With pieces recorded, a reassembled segment comes with where each run of its payload was captured: every
    /// payload byte maps to a record holding that very byte at that offset, and a byte sent in two overlapping
    /// fragments maps to both.
    @Test(
        "a reassembled segment's payload maps to the fragments that carried it",
        arguments: [[0, 1, 2, 3], [3, 4, 1, 0, 2]]
    )
    func reassembledPayloadPieces(order: [Int]) throws {
        let payload = (0..<150).map { UInt8($0) }
        let segment = Bytes.tcp(sequence: 77, payload: payload)
        var frames = Self.fragments(segment, size: 48).map { Bytes.ethernet(type: 0x0800, payload: $0) }
        // A fifth fragment overlapping the second and third with the same bytes (RFC 791 allows duplicates).
        frames.append(
            Bytes.ethernet(
                type: 0x0800,
                payload: Bytes.ipv4(
                    identification: 7,
                    moreFragments: true,
                    fragmentOffset: 64,
                    payload: Array(segment[64..<112])
                )
            )
        )
        var decoder = PacketDecoder(recordsFragmentPieces: true)
        var pieces: [PayloadPiece]?
        var decodedPayload: [UInt8] = []
        for (step, index) in order.enumerated() {
            let info = CaptureRecordInfo(
                number: 10 + index,
                linkType: .ethernet,
                timestamp: Timestamp(nanoseconds: Int64(step)),
                capturedLength: frames[index].count,
                originalLength: frames[index].count
            )
            _ = frames[index].withUnsafeBytes { bytes in
                decoder.decode(info, bytes) { segment, handed in
                    pieces = handed
                    decodedPayload = Array(segment.payload)
                }
            }
        }
        #expect(decodedPayload == payload)
        let mapped = try #require(pieces)
        var copies = [Int](repeating: 0, count: payload.count)
        for piece in mapped {
            let frame = frames[piece.record - 10]
            let captured = frame[piece.recordOffset..<(piece.recordOffset + piece.length)]
            #expect(captured.elementsEqual(payload[piece.payloadOffset..<(piece.payloadOffset + piece.length)]))
            for offset in piece.payloadOffset..<(piece.payloadOffset + piece.length) { copies[offset] += 1 }
        }
        // The TCP header (20 bytes) is no payload: the overlap covers datagram bytes 64..<112, payload 44..<92.
        let expected = (0..<payload.count).map { offset in order.contains(4) && (44..<92).contains(offset) ? 2 : 1 }
        #expect(copies == expected)
        // Without pieces recorded, nothing is handed along.
        var plain = PacketDecoder()
        var handedWithout: [PayloadPiece]? = []
        for index in [0, 1, 2, 3] {
            let info = CaptureRecordInfo(
                number: 1,
                linkType: .ethernet,
                timestamp: Timestamp(nanoseconds: 0),
                capturedLength: frames[index].count,
                originalLength: frames[index].count
            )
            _ = frames[index].withUnsafeBytes { bytes in
                plain.decode(info, bytes) { _, handed in handedWithout = handed }
            }
        }
        #expect(handedWithout == nil)
    }

    @Test("fragments of different datagrams do not mix")
    func separateDatagrams() {
        let first = Self.fragments(Bytes.tcp(payload: Array(repeating: 1, count: 60)), size: 40, identification: 1)
        let second = Self.fragments(Bytes.tcp(payload: Array(repeating: 2, count: 60)), size: 40, identification: 2)
        var decoder = PacketDecoder()
        var payloads: [[UInt8]] = []
        for packet in [first[0], second[0], second[1], first[1]] {
            if case (.tcp, let segment?) = Bytes.decode(packet, linkType: .raw, decoder: &decoder) {
                payloads.append(segment.payload)
            }
        }
        #expect(payloads == [Array(repeating: 2, count: 60), Array(repeating: 1, count: 60)])
    }

    @Test("a fragment cut by the snaplen cannot be reassembled")
    func fragmentCut() {
        let pieces = Self.fragments(Bytes.tcp(payload: Array(repeating: 1, count: 100)), size: 64)
        let outcome = Bytes.decode(Array(pieces[0].prefix(50)), linkType: .raw).0
        #expect(outcome == .malformed("IP fragment cut by the capture: its datagram cannot be reassembled"))
    }

    @Test("incomplete datagrams time out after 30 s of capture time")
    func timeout() {
        let pieces = Self.fragments(Bytes.tcp(payload: Array(repeating: 1, count: 100)), size: 64)
        var decoder = PacketDecoder()
        #expect(Bytes.decode(pieces[0], linkType: .raw, decoder: &decoder, time: 0).0 == .fragmentPending)
        let later = Self.fragments(Bytes.tcp(payload: [1]), size: 8, identification: 99)
        #expect(Bytes.decode(later[0], linkType: .raw, decoder: &decoder, time: 31_000_000_000).0 == .fragmentPending)
        #expect(decoder.fragmentStatistics.timedOut == 1)
        // The second half alone no longer completes anything.
        #expect(Bytes.decode(pieces[1], linkType: .raw, decoder: &decoder, time: 31_000_000_001).0 == .fragmentPending)
    }

    @Test("the oldest datagram is evicted when too many are pending")
    func eviction() {
        var decoder = PacketDecoder(fragmentLimits: IPFragmentLimits(maximumPendingDatagrams: 4))
        for identification in 0..<10 {
            let pieces = Self.fragments(Bytes.tcp(payload: [1, 2, 3]), size: 8, identification: UInt16(identification))
            _ = Bytes.decode(pieces[0], linkType: .raw, decoder: &decoder)
        }
        #expect(decoder.pendingFragmentedDatagrams == 4)
        #expect(decoder.fragmentStatistics.evicted == 6)
    }

    @Test("a fragment beyond 64 KiB drops its datagram")
    func tooLarge() {
        let packet = Bytes.ipv4(moreFragments: false, fragmentOffset: 65_528, payload: Array(repeating: 0, count: 16))
        let outcome = Bytes.decode(packet, linkType: .raw).0
        #expect(outcome == .malformed("IP fragment beyond 64 KiB: its datagram was dropped"))
    }

    @Test("two different last fragments make the datagram inconsistent")
    func inconsistent() {
        var decoder = PacketDecoder()
        let last1 = Bytes.ipv4(fragmentOffset: 16, payload: Array(repeating: 0, count: 8))
        let last2 = Bytes.ipv4(fragmentOffset: 32, payload: Array(repeating: 0, count: 8))
        #expect(Bytes.decode(last1, linkType: .raw, decoder: &decoder).0 == .fragmentPending)
        #expect(
            Bytes.decode(last2, linkType: .raw, decoder: &decoder).0
                == .malformed("IP fragments disagree on the datagram's length: it was dropped")
        )
        #expect(decoder.pendingFragmentedDatagrams == 0)
    }

    @Test("a fragmented UDP datagram is reassembled and reported as not TCP")
    func fragmentedUDP() {
        var decoder = PacketDecoder()
        let first = Bytes.ipv4(protocolNumber: 17, moreFragments: true, payload: Array(repeating: 0, count: 8))
        let last = Bytes.ipv4(protocolNumber: 17, fragmentOffset: 8, payload: Array(repeating: 0, count: 8))
        #expect(Bytes.decode(first, linkType: .raw, decoder: &decoder).0 == .fragmentPending)
        #expect(Bytes.decode(last, linkType: .raw, decoder: &decoder).0 == .notTCP)
    }
}
