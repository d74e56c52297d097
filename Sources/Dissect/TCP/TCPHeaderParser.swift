/// Parses a TCP header into a ``TCPSegment`` (RFC 9293 3.1).
///
/// ```
/// |          Source Port          |       Destination Port        |
/// |                        Sequence Number                        |
/// |                    Acknowledgment Number                      |
/// |  Data |       |C|E|U|A|P|R|S|F|                               |
/// | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
/// |           Checksum            |         Urgent Pointer        |
/// |                           [Options]                           |
/// ```
/// The checksum is not verified (see ``IPv4Header``).
enum TCPHeaderParser {
    /// The outcome of ``parse(_:missingLength:source:destination:)``.
    enum ParseResult {
        case segment(TCPSegment)
        case problem(DecodeProblem)
    }

    /// Parses the TCP segment in `bytes` (its captured part, as bounded by the IP length).
    ///
    /// - Parameter missingLength: bytes of the segment that the IP header announces but the capture lacks; they
    ///   become the segment's `missingPayloadLength` and are never treated as data.
    @inline(__always)
    static func parse(
        _ bytes: UnsafeRawBufferPointer,
        missingLength: Int,
        source: IPAddress,
        destination: IPAddress
    ) -> ParseResult {
        guard bytes.count >= 20 else {
            return .problem(bytes.count + missingLength >= 20 ? .tcpHeaderCut : .tcpHeaderTooShort)
        }
        // RFC 9293 3.1: "Data Offset (DOffset): 4 bits. The number of 32-bit words in the TCP header. This indicates
        // where the data begins." The fixed header alone is 5 words.
        let headerLength = Int(bytes.u8(12) >> 4) * 4
        guard headerLength >= 20 else {
            return .problem(.tcpBadDataOffset)
        }
        // The snaplen may cut the options (at 64 bytes on a loopback capture the 12 bytes of timestamps go): the fixed
        // header still gives ports, numbers and flags, and the whole payload is missing, not absent.
        let optionsCut = headerLength > bytes.count
        if optionsCut && bytes.count + missingLength < headerLength {
            return .problem(.tcpBadDataOffset)
        }
        return .segment(
            TCPSegment(
                source: Endpoint(ip: source, port: bytes.be16(0)),
                destination: Endpoint(ip: destination, port: bytes.be16(2)),
                sequence: bytes.be32(4),
                acknowledgment: bytes.be32(8),
                flags: TCPFlags(rawValue: bytes.u8(13)),
                window: bytes.be16(14),
                payload: bytes.dropping(optionsCut ? bytes.count : headerLength),
                missingPayloadLength: optionsCut ? bytes.count + missingLength - headerLength : missingLength,
                checksum: bytes.be16(16)
            )
        )
    }
}
