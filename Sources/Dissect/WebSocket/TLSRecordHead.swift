/// The head of a TLS record (RFC 8446 5.1, RFC 5246 6.2.1): how a TLS connection's first bytes look, so that a TLS
/// client on a plain port (or a capture of the encrypted leg) is named as TLS rather than as bytes that are not HTTP.
package enum TLSRecordHead {
    /// Whether `bytes` start with a TLS record header: a content type of change_cipher_spec (20), alert (21),
    /// handshake (22) or application_data (23), then the legacy record version 3.0 to 3.4 (`03 00` to `03 04`).
    /// A handshake record that holds its first message type must be a ClientHello (1) or a ServerHello (2).
    package static func starts(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 3 else { return false }
        let contentType = bytes[0]
        guard (20...23).contains(contentType), bytes[1] == 3, bytes[2] <= 4 else { return false }
        if contentType == 22 && bytes.count >= 6 {
            return bytes[5] == 1 || bytes[5] == 2
        }
        return true
    }
}
