import Foundation
import Testing

@testable import WSSniff

/// A connect carried in IP fragments: the sanitizer maps every byte of a reassembled segment to the fragment record
/// that carried it (every overlapping copy too) and rewrites it in place, as it does any other byte.
///
/// The capture is `good-v3.pcap` with the client's IPv4 packet that carries the connect split into IPv4 fragments the
/// way a sender does it (RFC 791 3.2): same identification, offsets in 8-byte units, MF on all but the last, the
/// first carrying the TCP header. One cut falls inside the token, so its bytes lie in two records.
@Suite(.serialized) struct SanitizedFragmentTests {
    typealias Leak = SanitizedCopyLeakTests

    /// How the fragments are stored.
    enum Layout: String, CaseIterable {
        /// Three fragments in order.
        case inOrder
        /// The last first, then the middle, then a fragment overlapping the first two (the same bytes again), then
        /// the first: the datagram completes on the last record stored.
        case shuffledWithOverlap
    }

    /// The records of a classic little-endian pcap file: its 24-byte header, and each record's header and data.
    static func records(_ file: [UInt8]) -> (header: [UInt8], records: [(header: [UInt8], data: [UInt8])]) {
        var records: [(header: [UInt8], data: [UInt8])] = []
        var offset = 24
        while offset + 16 <= file.count {
            let length = Int(Self.u32(file, offset + 8))
            records.append((Array(file[offset..<(offset + 16)]), Array(file[(offset + 16)..<(offset + 16 + length)])))
            offset += 16 + length
        }
        return (Array(file[0..<24]), records)
    }

    static func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    static func u16be(_ bytes: [UInt8], _ at: Int) -> Int {
        Int(bytes[at]) << 8 | Int(bytes[at + 1])
    }

    static func put16be(_ value: Int, _ bytes: inout [UInt8], _ at: Int) {
        bytes[at] = UInt8(truncatingIfNeeded: value >> 8)
        bytes[at + 1] = UInt8(truncatingIfNeeded: value)
    }

    /// Where the token starts in the TCP payload of a client frame (a masked text frame): unmasked to find it.
    static func tokenOffset(inFrame payload: [UInt8]) -> Int? {
        guard payload.count > 8, payload[1] & 0x80 != 0 else { return nil }
        var headerLength = 2
        let code = Int(payload[1] & 0x7f)
        if code == 126 { headerLength = 4 } else if code == 127 { headerLength = 10 }
        let key = Array(payload[headerLength..<(headerLength + 4)])
        let masked = payload[(headerLength + 4)...]
        let clear = masked.enumerated().map { $0.element ^ key[$0.offset & 3] }
        let token = Array(Leak.referenceToken.utf8)
        guard clear.count >= token.count else { return nil }
        for start in 0...(clear.count - token.count) where clear[start..<(start + token.count)].elementsEqual(token) {
            return headerLength + 4 + start
        }
        return nil
    }

    /// An IPv4 fragment of the Ethernet frame `frame` (IPv4 header at 14): datagram payload `range`, MF as given.
    static func fragment(_ frame: [UInt8], _ range: Range<Int>, more: Bool) -> [UInt8] {
        let headerLength = Int(frame[14] & 0x0f) * 4
        let payload = frame[(14 + headerLength)...]
        var packet = Array(frame[0..<(14 + headerLength)])
        packet += payload[(payload.startIndex + range.lowerBound)..<(payload.startIndex + range.upperBound)]
        // RFC 791 3.1: total length; flags (bit 2: MF, DF cleared) and the fragment offset in 8-octet units.
        Self.put16be(headerLength + range.count, &packet, 14 + 2)
        Self.put16be((more ? 0x2000 : 0) | range.lowerBound / 8, &packet, 14 + 6)
        Self.put16be(0, &packet, 14 + 10)
        var sum = 0
        for word in stride(from: 14, to: 14 + headerLength, by: 2) { sum += Self.u16be(packet, word) }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        Self.put16be(~sum & 0xffff, &packet, 14 + 10)
        return packet
    }

    /// `good-v3.pcap` with its connect's packet split into IPv4 fragments stored as `layout` says.
    static func fragmentedSample(_ layout: Layout, losingTheLast: Bool = false) throws -> [UInt8] {
        let file = Array(try Data(contentsOf: Leak.samples.appendingPathComponent("good-v3.pcap")))
        try #require(Self.u32(file, 20) == 1, "an Ethernet capture")
        let (header, records) = Self.records(file)
        var out = header
        var split = 0
        for record in records {
            let frame = record.data
            guard frame.count > 14 + 20, frame[12] == 0x08, frame[13] == 0x00 else {
                out += record.header + frame
                continue
            }
            let ipHeader = Int(frame[14] & 0x0f) * 4
            let tcpHeader = Int(frame[14 + ipHeader + 12] >> 4) * 4
            let tcpPayload = Array(frame[(14 + ipHeader + tcpHeader)...])
            guard let token = Self.tokenOffset(inFrame: tcpPayload) else {
                out += record.header + frame
                continue
            }
            split += 1
            let total = frame.count - 14 - ipHeader
            // The second cut lies inside the token (an 8-byte boundary past its first byte); the first cut halfway
            // before it, past the TCP header.
            let inToken = (tcpHeader + token) / 8 * 8 + 8
            let first = max((tcpHeader + 15) / 8 * 8, inToken / 2 / 8 * 8)
            try #require(first < inToken && inToken < tcpHeader + token + Leak.referenceToken.utf8.count)
            let pieces: [(Range<Int>, Bool)]
            switch layout {
            case .inOrder:
                pieces = [(0..<first, true), (first..<inToken, true), (inToken..<total, false)]
            case .shuffledWithOverlap:
                pieces = [
                    (inToken..<total, false), (first..<inToken, true), ((first - 8)..<(inToken + 8), true),
                    (0..<first, true),
                ]
            }
            for (range, more) in pieces where !(losingTheLast && !more) {
                let packet = Self.fragment(frame, range, more: more)
                var recordHeader = record.header
                for (index, byte) in withUnsafeBytes(of: UInt32(packet.count).littleEndian, Array.init).enumerated() {
                    recordHeader[8 + index] = byte
                    recordHeader[12 + index] = byte
                }
                out += recordHeader + packet
            }
        }
        try #require(split == 1, "one packet carries the connect")
        return out
    }

    @Test(arguments: Layout.allCases)
    func aConnectInIPFragmentsIsRewrittenInEveryFragment(_ layout: Layout) throws {
        let capture = FileManager.default.temporaryDirectory
            .appendingPathComponent("wssniff-fragments-\(layout.rawValue)-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: capture) }
        try Data(try Self.fragmentedSample(layout)).write(to: URL(fileURLWithPath: capture))
        let good = try Leak.causes(Leak.samples.appendingPathComponent("good-v3.pcap").path)
        // The control: the fragments are read as the original packet was, and carry the token.
        #expect(try Leak.causes(capture) == good, "the control: the fragmented capture reads as good-v3.pcap")
        let control = try Leak.places(of: [Leak.referenceToken], in: capture, analyze: true)
        #expect(control.contains { $0.hasSuffix("in analyze --show-secrets") }, "the control: \(control)")
        try Leak.sanitize(capture) { sanitized in
            #expect(sanitized.report.secrets.contains(Leak.referenceToken))
            let notes = sanitized.report.sanitizerNotes
            #expect(!notes.contains { $0.contains("not rewritten") || $0.contains("blanked") }, "\(notes)")
            let leaks = try Leak.places(of: sanitized.secrets, in: sanitized.copy, analyze: true)
            #expect(leaks == [], "\(layout)")
            #expect(try Leak.causes(sanitized.copy) == good, "\(layout)")
        }
    }

    /// The same fragments without the last one: the datagram never completes, so nothing reads the connect, and its
    /// bytes (the token, masked) are in no stream. The fragments' payload is blanked whole, and the report says so.
    @Test(arguments: Layout.allCases)
    func fragmentsOfADatagramThatNeverCompletesAreBlanked(_ layout: Layout) throws {
        let capture = FileManager.default.temporaryDirectory
            .appendingPathComponent("wssniff-fragments-lost-\(layout.rawValue)-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: capture) }
        try Data(try Self.fragmentedSample(layout, losingTheLast: true)).write(to: URL(fileURLWithPath: capture))
        try Leak.sanitize(capture) { sanitized in
            let notes = sanitized.report.sanitizerNotes
            #expect(notes.contains { $0.contains("no connection's stream took") }, "\(notes)")
            let (_, records) = Self.records(Array(try Data(contentsOf: URL(fileURLWithPath: sanitized.copy))))
            var fragments = 0
            for record in records {
                let frame = record.data
                guard frame.count > 14 + 20, frame[12] == 0x08, frame[13] == 0x00 else { continue }
                // RFC 791 3.1: MF is bit 2 of the flags, the fragment offset the low 13 bits.
                let flagsAndOffset = Self.u16be(frame, 14 + 6)
                guard flagsAndOffset & 0x3fff != 0 else { continue }
                fragments += 1
                let payload = frame[(14 + Int(frame[14] & 0x0f) * 4)...]
                #expect(payload.allSatisfy { $0 == 0 }, "fragment payload blanked (\(layout))")
            }
            #expect(fragments == (layout == .inOrder ? 2 : 3))
        }
    }
}
