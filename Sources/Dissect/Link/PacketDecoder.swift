/// What ``PacketDecoder/decode(_:_:_:)`` made of one captured packet.
package enum PacketDecodeOutcome: Hashable, Sendable {
    /// A TCP segment was decoded and handed to the closure.
    case tcp
    /// A valid packet that is not TCP (ARP, UDP, ICMP, ...).
    case notTCP
    /// The link type is not decoded; callers report it once per type.
    case unsupportedLinkType(LinkType)
    /// The packet cannot be decoded; the message says why.
    case malformed(String)
    /// An IP fragment was stored until the rest of its datagram arrives.
    case fragmentPending
}

/// Why a packet could not be decoded.
enum DecodeProblem: Hashable, Sendable, CustomStringConvertible {
    case linkHeaderTruncated
    case ipv4HeaderTruncated
    case ipv4BadVersion
    case ipv4BadHeaderLength
    case ipv4TotalLengthTooSmall
    case ipv6HeaderTruncated
    case ipv6BadVersion
    case ipv6ExtensionHeaderCut
    case ipv6ExtensionHeaderOverrun
    case ipv6TooManyExtensionHeaders
    case fragmentCut
    case fragmentTooLarge
    case fragmentsInconsistent
    case tooManyFragments
    case tcpHeaderCut
    case tcpHeaderTooShort
    case tcpBadDataOffset

    var description: String {
        switch self {
        case .linkHeaderTruncated: return "frame shorter than its link-layer header"
        case .ipv4HeaderTruncated: return "IPv4 header cut by the capture"
        case .ipv4BadVersion: return "IPv4 packet whose version field is not 4"
        case .ipv4BadHeaderLength: return "IPv4 header length (IHL) below 5 words"
        case .ipv4TotalLengthTooSmall: return "IPv4 total length shorter than its header"
        case .ipv6HeaderTruncated: return "IPv6 header cut by the capture"
        case .ipv6BadVersion: return "IPv6 packet whose version field is not 6"
        case .ipv6ExtensionHeaderCut: return "IPv6 extension header cut by the capture"
        case .ipv6ExtensionHeaderOverrun: return "IPv6 extension header runs past the payload length"
        case .ipv6TooManyExtensionHeaders: return "more than 16 IPv6 extension headers"
        case .fragmentCut: return "IP fragment cut by the capture: its datagram cannot be reassembled"
        case .fragmentTooLarge: return "IP fragment beyond 64 KiB: its datagram was dropped"
        case .fragmentsInconsistent: return "IP fragments disagree on the datagram's length: it was dropped"
        case .tooManyFragments: return "IP datagram split into more fragments than the limit: it was dropped"
        case .tcpHeaderCut: return "TCP header cut by the capture"
        case .tcpHeaderTooShort: return "TCP segment shorter than the 20-byte header"
        case .tcpBadDataOffset: return "TCP data offset below 5 words or beyond the segment"
        }
    }
}

/// Decodes captured packets down to TCP segments: link layer, IPv4 or IPv6 (reassembling fragments), TCP header.
///
/// A value type holding the fragment reassemblers. On the common path (an unfragmented packet) it allocates
/// nothing: the segment's payload points into the packet's own bytes.
package struct PacketDecoder {
    private var ipv4Fragments: IPFragmentReassembler<IPv4FragmentKey>
    private var ipv6Fragments: IPFragmentReassembler<IPv6FragmentKey>

    /// - Parameter recordsFragmentPieces: keep where each IP fragment's payload was captured, and hand a
    ///   reassembled segment's pieces along with it (for the provenance).
    package init(fragmentLimits: IPFragmentLimits = IPFragmentLimits(), recordsFragmentPieces: Bool = false) {
        self.ipv4Fragments = IPFragmentReassembler(limits: fragmentLimits, recordsPieces: recordsFragmentPieces)
        self.ipv6Fragments = IPFragmentReassembler(limits: fragmentLimits, recordsPieces: recordsFragmentPieces)
    }

    /// What happened to fragmented datagrams so far, IPv4 and IPv6 together.
    package var fragmentStatistics: IPFragmentStatistics {
        let v4 = self.ipv4Fragments.statistics
        let v6 = self.ipv6Fragments.statistics
        var total = IPFragmentStatistics()
        total.reassembled = v4.reassembled + v6.reassembled
        total.timedOut = v4.timedOut + v6.timedOut
        total.evicted = v4.evicted + v6.evicted
        total.rejected = v4.rejected + v6.rejected
        return total
    }

    /// Where the fragments of datagrams that will never complete were captured, since the last call (only when
    /// fragment pieces are recorded); with `endOfInput`, every datagram still waiting is dropped first.
    package mutating func takeDroppedFragmentPieces(endOfInput: Bool = false) -> [IPFragmentPiece] {
        if endOfInput {
            self.ipv4Fragments.dropPending()
            self.ipv6Fragments.dropPending()
        }
        guard !self.ipv4Fragments.droppedPieces.isEmpty || !self.ipv6Fragments.droppedPieces.isEmpty else { return [] }
        return self.ipv4Fragments.takeDroppedPieces() + self.ipv6Fragments.takeDroppedPieces()
    }

    /// Datagrams waiting for more fragments.
    package var pendingFragmentedDatagrams: Int {
        self.ipv4Fragments.pendingCount + self.ipv6Fragments.pendingCount
    }

    /// Decodes one captured packet; calls `body` with its TCP segment, if it carries one.
    ///
    /// The segment's payload borrows `bytes` (or, for a reassembled datagram, a buffer that lives for the call).
    package mutating func decode(
        _ info: CaptureRecordInfo,
        _ bytes: UnsafeRawBufferPointer,
        _ body: (TCPSegment) -> Void
    ) -> PacketDecodeOutcome {
        self.decode(info, bytes) { segment, _ in body(segment) }
    }

    /// Decodes one captured packet; calls `body` with its TCP segment, if it carries one, and, for a segment
    /// reassembled from IP fragments when `recordsFragmentPieces` is set, where each run of its payload was captured
    /// (nil otherwise: the payload lies in `bytes`).
    package mutating func decode(
        _ info: CaptureRecordInfo,
        _ bytes: UnsafeRawBufferPointer,
        _ body: (TCPSegment, [PayloadPiece]?) -> Void
    ) -> PacketDecodeOutcome {
        switch LinkLayer.decode(info.linkType, bytes) {
        case .network(let network, let offset):
            guard offset <= bytes.count else {
                return .malformed(DecodeProblem.linkHeaderTruncated.description)
            }
            let packet = bytes.dropping(offset)
            let record = RecordPlace(number: info.number, base: bytes.baseAddress)
            switch network {
            case .ipv4: return self.decodeIPv4(packet, info.timestamp, record, body)
            case .ipv6: return self.decodeIPv6(packet, info.timestamp, record, body)
            }
        case .notIP:
            return .notTCP
        case .unsupportedLinkType(let linkType):
            return .unsupportedLinkType(linkType)
        case .truncated:
            return .malformed(DecodeProblem.linkHeaderTruncated.description)
        }
    }

    private static let tcp: UInt8 = 6

    private mutating func decodeIPv4(
        _ packet: UnsafeRawBufferPointer,
        _ time: Timestamp,
        _ record: RecordPlace,
        _ body: (TCPSegment, [PayloadPiece]?) -> Void
    ) -> PacketDecodeOutcome {
        let header: IPv4Header
        switch IPv4Header.parse(packet) {
        case .header(let parsed): header = parsed
        case .problem(let problem): return .malformed(problem.description)
        }
        let source = IPAddress.v4(header.source)
        let destination = IPAddress.v4(header.destination)
        if !header.isFragment {
            guard header.protocolNumber == Self.tcp else { return .notTCP }
            return Self.decodeTCP(header.payload(in: packet), header.missingPayloadLength, source, destination) {
                body($0, nil)
            }
        }
        // RFC 791 3.2: "To assemble the fragments of an internet datagram, an internet protocol module ... combines
        // internet datagrams that all have the same value for the four fields: identification, source,
        // destination, and protocol."
        guard header.missingPayloadLength == 0 else {
            return .malformed(DecodeProblem.fragmentCut.description)
        }
        let key = IPv4FragmentKey(
            source: header.source,
            destination: header.destination,
            identification: header.identification,
            protocolNumber: header.protocolNumber
        )
        let payload = header.payload(in: packet)
        let result = self.ipv4Fragments.add(
            key: key,
            offset: header.fragmentOffset,
            moreFragments: header.moreFragments,
            payload: payload,
            upperLayerProtocol: header.protocolNumber,
            record: (record.number, record.offset(of: payload)),
            at: time
        )
        switch result {
        case .pending:
            return .fragmentPending
        case .rejected(let problem):
            return .malformed(problem.description)
        case .complete(let datagram, _, let pieces):
            guard header.protocolNumber == Self.tcp else { return .notTCP }
            return datagram.withUnsafeBytes { bytes in
                Self.decodeTCP(bytes, 0, source, destination) { segment in
                    body(segment, pieces.map { PayloadPiece.pieces($0, of: segment, in: bytes) })
                }
            }
        }
    }

    private mutating func decodeIPv6(
        _ packet: UnsafeRawBufferPointer,
        _ time: Timestamp,
        _ record: RecordPlace,
        _ body: (TCPSegment, [PayloadPiece]?) -> Void
    ) -> PacketDecodeOutcome {
        let header: IPv6Header
        switch IPv6Header.parse(packet) {
        case .header(let parsed): header = parsed
        case .problem(let problem): return .malformed(problem.description)
        }
        let upper = packet.slice(header.upperLayerOffset, header.capturedEnd - header.upperLayerOffset)
        guard let fragment = header.fragment else {
            guard header.upperLayerProtocol == Self.tcp else { return .notTCP }
            return Self.decodeTCP(upper, header.missingLength, header.source, header.destination) { body($0, nil) }
        }
        guard header.missingLength == 0 else {
            return .malformed(DecodeProblem.fragmentCut.description)
        }
        let key = IPv6FragmentKey(
            source: header.source,
            destination: header.destination,
            identification: fragment.identification
        )
        // RFC 8200 4.5: the Next Header of the first fragment's fragment header identifies "the first header of
        // the Fragmentable Part of the original packet".
        let result = self.ipv6Fragments.add(
            key: key,
            offset: fragment.offset,
            moreFragments: fragment.moreFragments,
            payload: upper,
            upperLayerProtocol: header.upperLayerProtocol,
            record: (record.number, record.offset(of: upper)),
            at: time
        )
        switch result {
        case .pending:
            return .fragmentPending
        case .rejected(let problem):
            return .malformed(problem.description)
        case .complete(let datagram, let firstHeader, let pieces):
            return datagram.withUnsafeBytes { bytes in
                switch IPv6Header.walkExtensionHeaders(bytes, nextHeader: firstHeader, from: 0, truncated: false) {
                case .upperLayer(let protocolNumber, let offset):
                    guard protocolNumber == Self.tcp else { return .notTCP }
                    return Self.decodeTCP(bytes.dropping(offset), 0, header.source, header.destination) { segment in
                        body(segment, pieces.map { PayloadPiece.pieces($0, of: segment, in: bytes) })
                    }
                case .fragment:
                    return .malformed(DecodeProblem.fragmentsInconsistent.description)
                case .problem(let problem):
                    return .malformed(problem.description)
                }
            }
        }
    }

    /// The record a packet came from: its number and where its captured data starts.
    private struct RecordPlace {
        var number: Int
        var base: UnsafeRawPointer?

        /// Where `bytes` (a slice of the record's captured data) starts in it.
        func offset(of bytes: UnsafeRawBufferPointer) -> Int {
            guard let base = self.base, let start = bytes.baseAddress else { return 0 }
            return start - base
        }
    }

    /// Where the IP payload of a captured packet (a fragment's data, or its upper-layer header) starts in the
    /// record's captured data; nil when the link or IP header cannot be read. For blanking what follows the IP
    /// header of a record whose bytes cannot be mapped one by one.
    package static func ipPayloadOffset(_ linkType: LinkType, _ bytes: UnsafeRawBufferPointer) -> Int? {
        guard case .network(let network, let offset) = LinkLayer.decode(linkType, bytes), offset <= bytes.count else {
            return nil
        }
        let packet = bytes.dropping(offset)
        switch network {
        case .ipv4:
            guard case .header(let header) = IPv4Header.parse(packet) else { return nil }
            return offset + header.headerLength
        case .ipv6:
            guard case .header(let header) = IPv6Header.parse(packet) else { return nil }
            return offset + header.upperLayerOffset
        }
    }

    @inline(__always)
    private static func decodeTCP(
        _ bytes: UnsafeRawBufferPointer,
        _ missing: Int,
        _ source: IPAddress,
        _ destination: IPAddress,
        _ body: (TCPSegment) -> Void
    ) -> PacketDecodeOutcome {
        switch TCPHeaderParser.parse(bytes, missingLength: missing, source: source, destination: destination) {
        case .segment(let segment):
            body(segment)
            return .tcp
        case .problem(let problem):
            return .malformed(problem.description)
        }
    }
}
