/// The classic libpcap file format (draft-ietf-opsawg-pcap).
///
/// ```
/// file header (24 bytes):  magic, version major/minor (2+2), reserved (4+4), snaplen (4), link type + FCS info (4)
/// record header (16 bytes): timestamp seconds, timestamp microseconds or nanoseconds, captured length, original length
/// ```
/// All fields are in the byte order of the machine that wrote the file, which the magic number reveals.
struct PcapFormat: Sendable {
    /// Size of the file header.
    static let fileHeaderLength = 24

    /// The byte order of every header field in the file.
    var byteOrder: CaptureByteOrder
    /// Whether the second timestamp field counts nanoseconds (magic a1b23c4d) rather than microseconds.
    var nanosecond: Bool
    /// Size of a record header: 16, or 24 in Alexey Kuznetzov's modified format (magic a1b2cd34).
    var recordHeaderLength: Int
    /// The largest captured length the writer promised.
    var snaplen: Int
    /// The link-layer header type of every record.
    var linkType: LinkType
    /// Bytes of frame check sequence at the end of each frame, when the header says (0 when unknown or absent).
    var fcsLength: Int

    /// What the first four bytes of a file say, read as a little-endian integer, or nil when they are no pcap magic.
    static func recognize(magic: UInt32) -> (byteOrder: CaptureByteOrder, nanosecond: Bool, modified: Bool)? {
        switch magic {
        case 0xa1b2_c3d4: return (.little, false, false)
        case 0xd4c3_b2a1: return (.big, false, false)
        case 0xa1b2_3c4d: return (.little, true, false)
        case 0x4d3c_b2a1: return (.big, true, false)
        case 0xa1b2_cd34: return (.little, false, true)
        case 0x34cd_b2a1: return (.big, false, true)
        default: return nil
        }
    }

    /// Reads the 24-byte file header (the caller checked the magic with ``recognize(magic:)``).
    init?(fileHeader bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.fileHeaderLength, let kind = Self.recognize(magic: bytes.le32(0)) else {
            return nil
        }
        self.byteOrder = kind.byteOrder
        self.nanosecond = kind.nanosecond
        self.recordHeaderLength = kind.modified ? 24 : 16
        self.snaplen = Int(kind.byteOrder.u32(bytes, 16))
        let linkField = kind.byteOrder.u32(bytes, 20)
        // draft-ietf-opsawg-pcap 4: "LinkType ... the lower 16 bits" hold the link type; if the F bit is set the
        // upper 4 bits hold the FCS length in 16-bit words (libpcap's LT_FCS_LENGTH_PRESENT / LT_FCS_LENGTH).
        self.linkType = LinkType(rawValue: linkField & 0xffff)
        self.fcsLength = (linkField & 0x0400_0000) != 0 ? Int(linkField >> 28) * 2 : 0
    }

    /// The fields of one record header.
    struct RecordHeader {
        var timestamp: Timestamp
        var capturedLength: Int
        var originalLength: Int
    }

    /// Reads a record header from the first ``recordHeaderLength`` bytes of `bytes`.
    @inline(__always)
    func recordHeader(_ bytes: UnsafeRawBufferPointer) -> RecordHeader {
        let seconds = Int64(self.byteOrder.u32(bytes, 0))
        let fraction = Int64(self.byteOrder.u32(bytes, 4))
        return RecordHeader(
            timestamp: Timestamp(seconds: seconds, nanoseconds: self.nanosecond ? fraction : fraction &* 1_000),
            capturedLength: Int(self.byteOrder.u32(bytes, 8)),
            originalLength: Int(self.byteOrder.u32(bytes, 12))
        )
    }
}
