/// The fixed part, extended length and masking key of a frame (RFC 6455 5.2), decoded but not judged.
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-------+-+-------------+-------------------------------+
/// |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
/// |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
/// |N|V|V|V|       |S|             |   (if payload len==126/127)   |
/// | |1|2|3|       |K|             |                               |
/// +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
/// |     Extended payload length continued, if payload len == 127  |
/// + - - - - - - - - - - - - - - - +-------------------------------+
/// |                               |Masking-key, if MASK set to 1  |
/// +-------------------------------+-------------------------------+
/// ```
struct WebSocketFrameHeader {
    var fin: Bool
    /// RSV1 RSV2 RSV3 as the low three bits.
    var rsv: UInt8
    var opcode: WebSocketOpcode
    var masked: Bool
    /// The 7-bit "Payload len" field: the length itself, or 126/127 for a 16/64-bit extended length.
    var lengthField: UInt8
    var payloadLength: UInt64
    var maskKey: UInt32
    var headerLength: Int

    /// The header length that the first two bytes announce (2 to 14).
    static func length(secondByte: UInt8) -> Int {
        let extended: Int
        switch secondByte & 0x7f {
        case 126: extended = 2
        case 127: extended = 8
        default: extended = 0
        }
        return 2 + extended + (secondByte & 0x80 != 0 ? 4 : 0)
    }

    /// Decodes a header from the start of `bytes`, which must hold at least `length(secondByte: bytes[1])` bytes.
    init(_ bytes: UnsafeRawBufferPointer) {
        let first = bytes[0]
        let second = bytes[1]
        self.fin = first & 0x80 != 0
        self.rsv = (first >> 4) & 0x07
        self.opcode = WebSocketOpcode(rawValue: first & 0x0f)
        self.masked = second & 0x80 != 0
        self.lengthField = second & 0x7f
        var offset = 2
        switch self.lengthField {
        case 126:
            self.payloadLength = UInt64(bytes[2]) << 8 | UInt64(bytes[3])
            offset = 4
        case 127:
            var value: UInt64 = 0
            for index in 2..<10 {
                value = value << 8 | UInt64(bytes[index])
            }
            self.payloadLength = value
            offset = 10
        default:
            self.payloadLength = UInt64(self.lengthField)
        }
        if self.masked {
            self.maskKey =
                UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
                | UInt32(bytes[offset + 3])
            offset += 4
        } else {
            self.maskKey = 0
        }
        self.headerLength = offset
    }

    /// RFC 6455 5.2: "The most significant bit MUST be 0" (of the 64-bit length).
    var lengthHasMostSignificantBit: Bool { self.lengthField == 127 && self.payloadLength >> 63 != 0 }

    /// RFC 6455 5.2: "in all cases, the minimal number of bytes MUST be used to encode the length".
    var lengthEncodingMinimal: Bool {
        switch self.lengthField {
        case 126: return self.payloadLength >= 126
        case 127: return self.payloadLength >= 65_536 && !self.lengthHasMostSignificantBit
        default: return true
        }
    }

    /// Whether the first two bytes could start a frame of `direction` under `deflate` (for resynchronisation).
    static func plausibleStart(first: UInt8, second: UInt8, direction: Direction, deflate: Bool) -> Bool {
        let rsv = (first >> 4) & 0x07
        let opcode = first & 0x0f
        // RFC 6455 5.1: a client masks all frames it sends, a server masks none.
        guard (second & 0x80 != 0) == (direction == .client) else { return false }
        // RFC 6455 5.2: RSV2 and RSV3 "MUST be 0 unless an extension is negotiated that defines meanings".
        guard rsv & 0b011 == 0 else { return false }
        switch opcode {
        case 0x1, 0x2:
            // RFC 7692 6: RSV1 marks the first frame of a compressed message.
            return rsv == 0 || deflate
        case 0x0:
            return rsv == 0
        case 0x8, 0x9, 0xA:
            // RFC 6455 5.5: control frames "MUST have a payload length of 125 bytes or less and MUST NOT be
            // fragmented".
            return rsv == 0 && first & 0x80 != 0 && second & 0x7f <= 125
        default:
            return false
        }
    }

    /// Whether a fully decoded header is plausible: minimal length encoding and a length below `cap`.
    func plausibleLength(cap: UInt64) -> Bool {
        self.lengthEncodingMinimal && self.payloadLength <= cap
    }
}

/// RFC 6455 5.3: "octet i of the transformed data is the XOR of octet i of the original data with octet at index
/// i modulo 4 of the masking key".
enum WebSocketMasking {
    /// Writes `source` XOR the key into `destination` (same length or longer), starting at key byte `phase % 4`.
    static func unmask(
        _ source: UnsafeRawBufferPointer,
        into destination: UnsafeMutableRawBufferPointer,
        key: UInt32,
        phase: Int
    ) {
        let count = source.count
        guard count > 0, let from = source.baseAddress, let to = destination.baseAddress else { return }
        precondition(destination.count >= count)
        // The key starting at byte `phase % 4`, first byte in the high bits; then in memory order, eight wide.
        var rotated = key
        let shift = UInt32((phase & 3) * 8)
        if shift != 0 {
            rotated = rotated << shift | rotated >> (32 - shift)
        }
        let pattern32 = UInt32(bigEndian: rotated)
        let pattern = UInt64(pattern32) | UInt64(pattern32) << 32
        var index = 0
        while index + 8 <= count {
            let word = from.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ pattern
            to.storeBytes(of: word, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < count {
            let keyByte = UInt8(truncatingIfNeeded: rotated >> (24 - 8 * UInt32(index & 3)))
            to.storeBytes(
                of: from.load(fromByteOffset: index, as: UInt8.self) ^ keyByte,
                toByteOffset: index,
                as: UInt8.self
            )
            index += 1
        }
    }
}
