/// The fields of an IPv4 header that packet decoding needs (RFC 791 3.1).
///
/// ```
///  0                   1                   2                   3
/// |Version|  IHL  |Type of Service|          Total Length         |
/// |         Identification        |Flags|      Fragment Offset    |
/// |  Time to Live |    Protocol   |         Header Checksum       |
/// |                       Source Address                          |
/// |                    Destination Address                        |
/// |                    Options                    |    Padding    |
/// ```
/// The checksum is deliberately not verified: loopback and offloading captures carry unfilled checksums.
struct IPv4Header: Sendable {
    var source: UInt32
    var destination: UInt32
    var protocolNumber: UInt8
    var identification: UInt16
    /// Header length in bytes, options included.
    var headerLength: Int
    /// The MF flag.
    var moreFragments: Bool
    /// Where this fragment's data goes in the datagram, in bytes.
    var fragmentOffset: Int
    /// Payload bytes present in the capture.
    var capturedPayloadLength: Int
    /// Payload bytes the total length announces but the capture does not hold.
    var missingPayloadLength: Int

    /// Whether this packet is a fragment of a larger datagram.
    var isFragment: Bool {
        self.moreFragments || self.fragmentOffset != 0
    }

    /// The captured payload of the packet `bytes` this header was parsed from.
    @inline(__always)
    func payload(in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        bytes.slice(self.headerLength, self.capturedPayloadLength)
    }

    /// The outcome of ``parse(_:)``.
    enum ParseResult {
        case header(IPv4Header)
        case problem(DecodeProblem)
    }

    /// Parses the IPv4 header at the start of `bytes`, which run to the end of the captured frame.
    @inline(__always)
    static func parse(_ bytes: UnsafeRawBufferPointer) -> ParseResult {
        guard bytes.count >= 20 else {
            return .problem(.ipv4HeaderTruncated)
        }
        let versionAndIHL = bytes.u8(0)
        // RFC 791 3.1: "Version: 4 bits. The Version field indicates the format of the internet header."
        guard versionAndIHL >> 4 == 4 else {
            return .problem(.ipv4BadVersion)
        }
        // RFC 791 3.1: "IHL: 4 bits. Internet Header Length is the length of the internet header in 32 bit words
        // ... Note that the minimum value for a correct header is 5."
        let headerLength = Int(versionAndIHL & 0x0f) * 4
        guard headerLength >= 20 else {
            return .problem(.ipv4BadHeaderLength)
        }
        guard headerLength <= bytes.count else {
            return .problem(.ipv4HeaderTruncated)
        }
        // RFC 791 3.1: "Total Length: 16 bits. Total Length is the length of the datagram, measured in octets,
        // including internet header and data." A total length of 0 is what TCP segmentation offload leaves in
        // captures on the sending host; like Wireshark, take the captured length then.
        var totalLength = Int(bytes.be16(2))
        if totalLength == 0 {
            totalLength = bytes.count
        }
        guard totalLength >= headerLength else {
            return .problem(.ipv4TotalLengthTooSmall)
        }
        // Ethernet pads short frames, so bytes beyond the total length are not payload.
        let capturedEnd = min(totalLength, bytes.count)
        let flagsAndOffset = bytes.be16(6)
        return .header(
            IPv4Header(
                source: bytes.be32(12),
                destination: bytes.be32(16),
                protocolNumber: bytes.u8(9),
                identification: bytes.be16(4),
                headerLength: headerLength,
                // RFC 791 3.1: "Bit 2: (MF) 0 = Last Fragment, 1 = More Fragments." "Fragment Offset: 13 bits ...
                // measured in units of 8 octets".
                moreFragments: flagsAndOffset & 0x2000 != 0,
                fragmentOffset: Int(flagsAndOffset & 0x1fff) * 8,
                capturedPayloadLength: capturedEnd - headerLength,
                missingPayloadLength: totalLength - capturedEnd
            )
        )
    }
}

/// What identifies the fragments of one IPv4 datagram.
///
/// RFC 791 3.2: "The internet identification field (ID) is used together with the source and destination address,
/// and the protocol fields, to identify datagram fragments for reassembly."
struct IPv4FragmentKey: Hashable, Sendable {
    var source: UInt32
    var destination: UInt32
    var identification: UInt16
    var protocolNumber: UInt8
}
