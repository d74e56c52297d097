/// The fields of an IPv6 packet that packet decoding needs (RFC 8200 3), with its extension headers walked.
///
/// ```
/// |Version| Traffic Class |           Flow Label                  |
/// |         Payload Length        |  Next Header  |   Hop Limit   |
/// |                     Source Address (128 bits)                 |
/// |                  Destination Address (128 bits)               |
/// ```
struct IPv6Header: Sendable {
    /// Size of the fixed header.
    static let fixedLength = 40
    /// Extension headers followed before giving up.
    static let maximumExtensionHeaders = 16

    var source: IPAddress
    var destination: IPAddress
    /// Where the upper-layer header (or, for a fragment, the fragmentable part) starts.
    var upperLayerOffset: Int
    /// The upper-layer protocol; for a fragment, the Next Header of its fragment header.
    var upperLayerProtocol: UInt8
    /// Where the captured packet ends: the smaller of the announced length and the captured length.
    var capturedEnd: Int
    /// Bytes the payload length announces but the capture does not hold.
    var missingLength: Int
    /// Set when the packet carries a (non-atomic) fragment header.
    var fragment: Fragment?

    /// The fragment header of a fragmented packet (RFC 8200 4.5).
    struct Fragment: Sendable {
        var identification: UInt32
        /// Where this fragment's data goes in the fragmentable part, in bytes.
        var offset: Int
        /// The M flag.
        var moreFragments: Bool
    }

    /// The outcome of ``parse(_:)``.
    enum ParseResult {
        case header(IPv6Header)
        case problem(DecodeProblem)
    }

    /// Parses the IPv6 header and extension headers at the start of `bytes` (to the end of the captured frame).
    @inline(__always)
    static func parse(_ bytes: UnsafeRawBufferPointer) -> ParseResult {
        guard bytes.count >= Self.fixedLength else {
            return .problem(.ipv6HeaderTruncated)
        }
        // RFC 8200 3: "Version: 4-bit Internet Protocol version number = 6."
        guard bytes.u8(0) >> 4 == 6 else {
            return .problem(.ipv6BadVersion)
        }
        // RFC 8200 3: "Payload Length: 16-bit unsigned integer. Length of the IPv6 payload, i.e., the rest of the
        // packet following this IPv6 header, in octets." 0 means a jumbogram (RFC 2675) or an offloaded segment:
        // take the captured length then.
        let payloadLength = Int(bytes.be16(4))
        let totalLength = payloadLength == 0 ? bytes.count : Self.fixedLength + payloadLength
        let capturedEnd = min(totalLength, bytes.count)
        var header = IPv6Header(
            source: .v6(bytes.be64(8), bytes.be64(16)),
            destination: .v6(bytes.be64(24), bytes.be64(32)),
            upperLayerOffset: Self.fixedLength,
            upperLayerProtocol: bytes.u8(6),
            capturedEnd: capturedEnd,
            missingLength: totalLength - capturedEnd,
            fragment: nil
        )
        switch Self.walkExtensionHeaders(
            bytes.slice(0, capturedEnd),
            nextHeader: header.upperLayerProtocol,
            from: Self.fixedLength,
            truncated: header.missingLength > 0
        ) {
        case .upperLayer(let protocolNumber, let offset):
            header.upperLayerProtocol = protocolNumber
            header.upperLayerOffset = offset
        case .fragment(let fragment, let nextHeader, let offset):
            header.upperLayerProtocol = nextHeader
            header.upperLayerOffset = offset
            header.fragment = fragment
        case .problem(let problem):
            return .problem(problem)
        }
        return .header(header)
    }

    /// Where a walk over extension headers ended.
    enum WalkResult {
        /// The upper-layer header (TCP, UDP, ICMPv6, or 59 for "no next header") starts at `offset`.
        case upperLayer(UInt8, offset: Int)
        /// A fragment header; the fragmentable part, whose first header is `nextHeader`, starts at `offset`.
        case fragment(Fragment, nextHeader: UInt8, offset: Int)
        case problem(DecodeProblem)
    }

    /// Follows extension headers in `bytes` from `offset`, where a header of type `nextHeader` starts.
    ///
    /// `truncated` says whether the capture cut the packet, to tell a cut header from a malformed one.
    static func walkExtensionHeaders(
        _ bytes: UnsafeRawBufferPointer,
        nextHeader: UInt8,
        from offset: Int,
        truncated: Bool
    ) -> WalkResult {
        var next = nextHeader
        var offset = offset
        for _ in 0..<Self.maximumExtensionHeaders {
            let length: Int
            switch next {
            case 0, 43, 60:
                // RFC 8200 4.3-4.6: Hop-by-Hop Options (0), Routing (43), Destination Options (60): "Hdr Ext Len:
                // 8-bit unsigned integer. Length of the ... header in 8-octet units, not including the first
                // 8 octets."
                guard offset + 2 <= bytes.count else { return .problem(Self.cut(truncated)) }
                length = (Int(bytes.u8(offset + 1)) + 1) * 8
            case 51:
                // RFC 4302 2.2: AH "Payload Length: ... the length of AH in 32-bit words (4-byte units), minus 2".
                guard offset + 2 <= bytes.count else { return .problem(Self.cut(truncated)) }
                length = (Int(bytes.u8(offset + 1)) + 2) * 4
            case 44:
                // RFC 8200 4.5: Next Header (1), Reserved (1), Fragment Offset (13 bits) Res (2) M (1),
                // Identification (4).
                guard offset + 8 <= bytes.count else { return .problem(Self.cut(truncated)) }
                let field = bytes.be16(offset + 2)
                let fragment = Fragment(
                    identification: bytes.be32(offset + 4),
                    offset: Int(field >> 3) * 8,
                    moreFragments: field & 1 != 0
                )
                // RFC 6946 4: an atomic fragment (offset 0, M clear) "MUST be processed ... as a
                // fully-reassembled packet".
                if fragment.offset == 0 && !fragment.moreFragments {
                    next = bytes.u8(offset)
                    offset += 8
                    continue
                }
                return .fragment(fragment, nextHeader: bytes.u8(offset), offset: offset + 8)
            default:
                return .upperLayer(next, offset: offset)
            }
            guard offset + length <= bytes.count else { return .problem(Self.cut(truncated)) }
            next = bytes.u8(offset)
            offset += length
        }
        return .problem(.ipv6TooManyExtensionHeaders)
    }

    private static func cut(_ truncated: Bool) -> DecodeProblem {
        truncated ? .ipv6ExtensionHeaderCut : .ipv6ExtensionHeaderOverrun
    }
}

/// What identifies the fragments of one IPv6 packet.
///
/// RFC 8200 4.5: fragments are reassembled when they "have the same Source Address, Destination Address, and
/// Fragment Identification".
struct IPv6FragmentKey: Hashable, Sendable {
    var source: IPAddress
    var destination: IPAddress
    var identification: UInt32
}
