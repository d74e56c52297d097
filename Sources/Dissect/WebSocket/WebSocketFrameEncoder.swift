/// Builds WebSocket frames (RFC 6455 5.2) for a client to send: the inverse of ``WebSocketDirectionParser``.
///
/// Each frame is one whole message (FIN set, no extension bits): the encoder writes no fragments and no compressed
/// frames. Client frames are masked with the key the caller gives, which RFC 6455 5.3 requires to be fresh and
/// unpredictable for every frame; server frames (no key) are not masked.
package enum WebSocketFrameEncoder {
    /// The largest payload a control frame may carry (RFC 6455 5.5).
    package static let maxControlPayload = 125

    /// A frame with `opcode` and `payload`, masked with `maskKey` (4 bytes) when it is given.
    ///
    /// The payload length is written in the shortest form RFC 6455 5.2 allows: 7 bits up to 125, then 16 bits,
    /// then 64 bits.
    package static func frame(opcode: WebSocketOpcode, payload: [UInt8], maskKey: [UInt8]?) -> [UInt8] {
        precondition(maskKey == nil || maskKey?.count == 4, "a masking key has 4 bytes")
        var frame: [UInt8] = []
        frame.reserveCapacity(payload.count + 14)
        frame.append(0x80 | (opcode.rawValue & 0x0F))
        let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
        let length = payload.count
        if length <= 125 {
            frame.append(maskBit | UInt8(length))
        } else if length <= 0xFFFF {
            frame.append(maskBit | 126)
            frame.append(UInt8(length >> 8))
            frame.append(UInt8(length & 0xFF))
        } else {
            frame.append(maskBit | 127)
            let wide = UInt64(length)
            for shift in stride(from: 56, through: 0, by: -8) {
                frame.append(UInt8((wide >> UInt64(shift)) & 0xFF))
            }
        }
        guard let maskKey else {
            frame.append(contentsOf: payload)
            return frame
        }
        frame.append(contentsOf: maskKey)
        // RFC 6455 5.3: "Octet i of the transformed data is the XOR of octet i of the original data with octet at
        // index i modulo 4 of the masking key."
        for (index, byte) in payload.enumerated() {
            frame.append(byte ^ maskKey[index & 3])
        }
        return frame
    }

    /// A text frame carrying `text` as UTF-8.
    package static func text(_ text: String, maskKey: [UInt8]?) -> [UInt8] {
        Self.frame(opcode: .text, payload: Array(text.utf8), maskKey: maskKey)
    }

    /// A close frame with `code` and `reason` (RFC 6455 5.5.1), the reason cut on a UTF-8 character boundary so
    /// that the payload stays within 125 bytes.
    package static func close(code: UInt16, reason: String = "", maskKey: [UInt8]?) -> [UInt8] {
        var payload: [UInt8] = [UInt8(code >> 8), UInt8(code & 0xFF)]
        var reasonBytes = Array(reason.utf8)
        if reasonBytes.count > Self.maxControlPayload - 2 {
            reasonBytes = Array(reasonBytes.prefix(Self.maxControlPayload - 2))
            // Drop a cut character: continuation bytes are 10xxxxxx, and a lead byte left without all of them goes.
            while let last = reasonBytes.last, last & 0xC0 == 0x80 {
                reasonBytes.removeLast()
            }
            if let last = reasonBytes.last, last & 0x80 != 0 {
                reasonBytes.removeLast()
            }
        }
        payload.append(contentsOf: reasonBytes)
        return Self.frame(opcode: .close, payload: payload, maskKey: maskKey)
    }
}
