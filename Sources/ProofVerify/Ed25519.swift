import WireBytes

/// Ed25519 as the gateway uses it for device proofs: key and signature decoding with the gateway's leniency,
/// verification through libsodium, and the device id derived from a key.
package enum Ed25519 {
    /// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 4): the 32 raw key bytes follow it.
    package static let spkiPrefix: [UInt8] = [
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ]
    /// The DER prefix of an Ed25519 PKCS#8 v1 PrivateKeyInfo (RFC 8410 7): the 32-byte seed follows it.
    package static let pkcs8Prefix: [UInt8] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]
    /// The encoding of the neutral element (x = 0, y = 1).
    private static let identityPoint: [UInt8] = [1] + [UInt8](repeating: 0, count: 31)

    /// How a public key was written.
    package enum PublicKeyEncoding: String, Hashable, Sendable {
        /// Unpadded or padded base64url of the raw 32 bytes (the wire form).
        case base64url
        /// Standard base64 of the raw 32 bytes.
        case base64
        /// A PEM `PUBLIC KEY` (SPKI) block: the gateway takes any string containing `BEGIN` as PEM.
        case pem
        /// Neither alphabet strictly, but Node's forgiving base64 decoder (which the gateway uses) makes 32 bytes
        /// of it, skipping characters outside the alphabet.
        case lenientBase64
    }

    /// A decoded Ed25519 public key.
    package struct PublicKey: Hashable, Sendable {
        /// The raw 32 bytes.
        package var raw: [UInt8]
        /// How it was written.
        package var encoding: PublicKeyEncoding

        /// Lowercase hex SHA-256 of the raw key: the device id.
        package var deviceId: String {
            Ed25519.deviceId(publicKey: self.raw)
        }

        /// Unpadded base64url of the raw key, as `device.publicKey` is sent.
        package var wireForm: String {
            Base64.encode(self.raw, alphabet: .urlSafe, padded: false)
        }
    }

    /// Why libsodium refuses a public key before looking at the signature.
    package enum KeyRejection: String, Hashable, Sendable {
        /// The encoded y coordinate is not below p = 2^255 - 19.
        case nonCanonical = "non-canonical"
        /// The bytes do not decode to a point on the curve.
        case notOnCurve = "not-on-curve"
        /// The point has order 1, 2, 4 or 8 (the identity `0100…00`, say): any signature would "verify" for some
        /// messages, so libsodium rejects it.
        case smallOrder = "small-order"

        /// A phrase for a sentence: "the public key is …".
        package var phrase: String {
            switch self {
            case .nonCanonical: "not canonically encoded (its y coordinate is not below 2^255 - 19)"
            case .notOnCurve: "not a point on the Ed25519 curve"
            case .smallOrder: "a small-order point, which libsodium rejects"
            }
        }
    }

    /// The outcome of verifying one signature.
    package enum Verification: Hashable, Sendable {
        /// The signature verifies over the message with the key.
        case verifies
        /// The key is acceptable, but the signature does not verify over this message.
        case doesNotVerify
        /// libsodium refuses the key itself, whatever the signature.
        case keyRejected(KeyRejection)
    }

    /// Lowercase hex SHA-256 of `publicKey`.
    package static func deviceId(publicKey: [UInt8]) -> String {
        Sodium.sha256(publicKey).hexString
    }

    /// Decodes a public key as the gateway does: a string containing `BEGIN` is a PEM SPKI block; anything else
    /// is base64url (or standard base64) of the raw 32 bytes.
    ///
    /// - Throws: ``ProofVerifyError`` `invalidPublicKey` naming what is wrong (length, armor, SPKI prefix).
    package static func decodePublicKey(_ text: String) throws(ProofVerifyError) -> PublicKey {
        if Self.looksLikePEM(text) {
            let der = try Self.pemBody(text, label: "PUBLIC KEY")
            guard der.count == 44, Array(der.prefix(12)) == Self.spkiPrefix else {
                throw .invalidPublicKey(
                    "the PEM public key is not an Ed25519 SubjectPublicKeyInfo (\(der.count) bytes; expected 44 "
                        + "starting with 302a300506032b6570032100)"
                )
            }
            return PublicKey(raw: Array(der.suffix(32)), encoding: .pem)
        }
        let (raw, encoding) = Self.decodeBase64Either(text)
        guard raw.count == 32 else {
            throw .invalidPublicKey("the public key decodes to \(raw.count) bytes; an Ed25519 public key has 32")
        }
        return PublicKey(raw: raw, encoding: encoding)
    }

    /// What OpenClaw 2026.3.13 makes of a `device.publicKey` string, step by step.
    ///
    /// Upstream facts (openclaw/openclaw at 2026.3.13, `src/infra/device-identity.ts`): `base64UrlDecode` maps
    /// `-`/`_` to `+`/`/`, pads with `=` and hands the text to Node's `Buffer.from(..., "base64")`, which skips what
    /// it cannot read, so every non-PEM string gives some bytes, of any length. `deriveDeviceIdFromPublicKey` hashes
    /// exactly those bytes (or, for a string containing `BEGIN`, the raw key of an Ed25519 SPKI PEM, else the whole
    /// SPKI DER), and gives `null` for no bytes or a PEM it cannot read. `verifyDeviceSignature` builds its key as
    /// the DER of the 12-byte Ed25519 SPKI prefix followed by the decoded bytes: OpenSSL's DER reader fails with
    /// fewer than 32 and ignores everything after the first 32, and any failure is `false`. The handshake
    /// (`src/gateway/server/ws-connection/message-handler.ts`) checks the id first, the signature (row 14) next,
    /// and normalizes the key (`device public key invalid`, row 14b) only after a form verified, when it cannot
    /// fail: a key 2026.3.13 cannot use is reported as `device signature invalid`.
    package struct GatewayKey: Hashable, Sendable {
        /// How the string is shaped, as far as the gateway's reading goes.
        package enum Shape: Hashable, Sendable {
            /// The raw 32 bytes (base64url, or standard base64, padded or not).
            case raw
            /// A PEM of an Ed25519 SubjectPublicKeyInfo.
            case pem
            /// The 44-byte Ed25519 SubjectPublicKeyInfo DER (prefix `302a300506032b6570032100` and the raw key)
            /// in base64 instead of the raw key.
            case spkiDER
            /// Fewer than 32 bytes (none at all: 0).
            case short(Int)
            /// More than 32 bytes (not the SPKI DER).
            case long(Int)
            /// A string with `BEGIN` that is no readable PEM public key, or not an Ed25519 one (its DER length).
            case pemNotEd25519(Int?)
        }

        /// The shape.
        package var shape: Shape
        /// How the text is written, for the raw forms.
        package var encoding: PublicKeyEncoding
        /// The bytes 2026.3.13 hashes into the device id; `nil` when it derives none (the id check then fails).
        package var idBytes: [UInt8]?
        /// The 32 bytes 2026.3.13 verifies with; `nil` when it cannot build a key.
        package var verificationKey: [UInt8]?
        /// The raw key the client evidently meant, when it differs from `verificationKey` (the key inside an SPKI
        /// DER).
        package var intendedKey: [UInt8]?

        /// Lowercase hex SHA-256 of `idBytes`: the id the gateway compares `device.id` with.
        package var deviceId: String? {
            self.idBytes.map { Ed25519.deviceId(publicKey: $0) }
        }

        /// Why 2026.3.13 cannot verify any signature with this key, naming what the client got wrong; `nil` when
        /// it can.
        package var problem: String? {
            switch self.shape {
            case .raw, .pem, .long:
                return nil
            case .spkiDER:
                return "the public key is the 44-byte SPKI DER form (302a300506032b6570032100 and the 32-byte key), "
                    + "not the raw 32 bytes: 2026.3.13 hashes whatever bytes decode for the id check, but verifies "
                    + "with the first 32 decoded bytes as the raw key, so no signature can verify"
            case .short(0):
                return "the public key decodes to no bytes at all"
            case .short(let count):
                return "the public key decodes to \(count) bytes; 2026.3.13 takes the first 32 decoded bytes as the "
                    + "raw key and cannot build one from fewer, so no signature can verify"
            case .long:
                return nil
            case .pemNotEd25519(let count?):
                return "the PEM holds a \(count)-byte SubjectPublicKeyInfo that is not an Ed25519 key"
            case .pemNotEd25519(nil):
                return "the text contains BEGIN, so the gateway reads it as a PEM, and it is no readable PEM public key"
            }
        }

        /// What 2026.3.13 does with a key it can use but that is not the raw 32 bytes; `nil` otherwise.
        package var note: String? {
            guard case .long(let count) = self.shape else { return nil }
            return "the public key decodes to \(count) bytes: 2026.3.13 verifies with the first 32 (OpenSSL's DER "
                + "reader ignores the rest) but hashes all \(count) into the device id and pairs the device under "
                + "them; send the raw 32 bytes"
        }
    }

    /// Reads `device.publicKey` as 2026.3.13 does (see ``GatewayKey``).
    package static func gatewayKey(_ text: String) -> GatewayKey {
        if Self.looksLikePEM(text) {
            guard let der = try? Self.pemBody(text, label: "PUBLIC KEY") else {
                return GatewayKey(shape: .pemNotEd25519(nil), encoding: .pem)
            }
            guard der.count == 44, Array(der.prefix(12)) == Self.spkiPrefix else {
                // derivePublicKeyRaw returns the whole SPKI of another key type; it never verifies an Ed25519
                // signature.
                return GatewayKey(shape: .pemNotEd25519(der.count), encoding: .pem, idBytes: der)
            }
            let raw = Array(der.suffix(32))
            return GatewayKey(shape: .pem, encoding: .pem, idBytes: raw, verificationKey: raw)
        }
        let (bytes, encoding) = Self.decodeBase64Either(text)
        let idBytes = bytes.isEmpty ? nil : bytes
        switch bytes.count {
        case 32:
            return GatewayKey(shape: .raw, encoding: encoding, idBytes: idBytes, verificationKey: bytes)
        case 44 where Array(bytes.prefix(12)) == Self.spkiPrefix:
            return GatewayKey(
                shape: .spkiDER,
                encoding: encoding,
                idBytes: idBytes,
                verificationKey: Array(bytes.prefix(32)),
                intendedKey: Array(bytes.suffix(32))
            )
        case 33...:
            return GatewayKey(
                shape: .long(bytes.count),
                encoding: encoding,
                idBytes: idBytes,
                verificationKey: Array(bytes.prefix(32))
            )
        default:
            return GatewayKey(shape: .short(bytes.count), encoding: encoding, idBytes: idBytes)
        }
    }

    /// The device id the gateway derives from `device.publicKey` (see ``GatewayKey``); `nil` when it derives none.
    package static func gatewayDeviceId(publicKey text: String) -> String? {
        Self.gatewayKey(text).deviceId
    }

    /// Decodes a signature leniently, as the gateway does: base64url or standard base64, padded or not.
    ///
    /// - Throws: ``ProofVerifyError`` `invalidSignature` when it does not give 64 bytes.
    package static func decodeSignature(_ text: String) throws(ProofVerifyError) -> [UInt8] {
        let bytes = Base64.decodeLeniently(text)
        guard bytes.count == 64 else {
            throw .invalidSignature("the signature decodes to \(bytes.count) bytes; an Ed25519 signature has 64")
        }
        return bytes
    }

    /// Why libsodium would refuse `publicKey` (32 bytes) outright, or `nil` when it accepts it.
    package static func keyRejection(_ publicKey: [UInt8]) -> KeyRejection? {
        guard publicKey.count == 32 else { return .notOnCurve }
        // libsodium ge25519_is_canonical: y = 2^255 - 19 + k (k = 0...18) with either sign bit is non-canonical.
        if publicKey[31] & 0x7f == 0x7f, publicKey[1..<31].allSatisfy({ $0 == 0xff }), publicKey[0] >= 0xed {
            return .nonCanonical
        }
        // 8·P is the identity exactly when P has small order (order dividing the cofactor 8).
        guard let twice = Sodium.ed25519Add(publicKey, publicKey),
            let four = Sodium.ed25519Add(twice, twice),
            let eight = Sodium.ed25519Add(four, four)
        else {
            return .notOnCurve
        }
        return eight == Self.identityPoint ? .smallOrder : nil
    }

    /// Verifies `signature` over `message` with the raw `publicKey`, telling a key libsodium refuses apart from a
    /// signature that does not verify.
    package static func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Verification {
        if let rejection = Self.keyRejection(publicKey) {
            return .keyRejected(rejection)
        }
        switch Sodium.ed25519Verify(signature: signature, message: message, publicKey: publicKey) {
        case .valid: return .verifies
        case .invalid, .wrongLength: return .doesNotVerify
        }
    }

    /// Verifies `signature` over the UTF-8 bytes of `message`.
    package static func verify(signature: [UInt8], message: String, publicKey: [UInt8]) -> Verification {
        Self.verify(signature: signature, message: Array(message.utf8), publicKey: publicKey)
    }

    /// A PEM `PUBLIC KEY` block for a raw key, as Node's `publicKeyPem` (64-column lines, trailing newline).
    package static func pem(publicKey: [UInt8]) -> String {
        Self.pem(der: Self.spkiPrefix + publicKey, label: "PUBLIC KEY")
    }

    static func pem(der: [UInt8], label: String) -> String {
        let body = Base64.encode(der)
        var lines: [String] = ["-----BEGIN \(label)-----"]
        var index = body.startIndex
        while index < body.endIndex {
            let end = body.index(index, offsetBy: 64, limitedBy: body.endIndex) ?? body.endIndex
            lines.append(String(body[index..<end]))
            index = end
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Whether `text` contains `BEGIN` (a PEM armor line), as `String.contains` says. Its bytes are searched first:
    /// a key in base64 never has them, and the string search costs some 30,000 instructions per call.
    package static func looksLikePEM(_ text: String) -> Bool {
        let needle: StaticString = "BEGIN"
        let pattern = UnsafeRawBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        var text = text
        let bytesMatch = text.withUTF8 { ByteSearch.offset(of: pattern, in: UnsafeRawBufferPointer($0)) != nil }
        // A byte match can still be no character match (a combining mark after the N): the string search decides.
        return bytesMatch && text.contains("BEGIN")
    }

    /// The DER bytes of a PEM block: armor lines (`-----…-----`) dropped, the rest base64-decoded. `label` only
    /// shapes the error message; the error never quotes the body.
    static func pemBody(_ text: String, label: String) throws(ProofVerifyError) -> [UInt8] {
        var body = ""
        var sawBegin = false
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingASCIIWhitespace()
            if trimmed.hasPrefix("-----") {
                if trimmed.contains("BEGIN") {
                    sawBegin = true
                }
                continue
            }
            body += trimmed
        }
        guard sawBegin, !body.isEmpty else {
            throw ProofVerifyError(code: .invalidPublicKey, message: "the \(label) PEM block has no body")
        }
        do {
            return try Base64.decode(body.filter { $0 != " " && $0 != "\t" })
        } catch {
            throw ProofVerifyError(code: .invalidPublicKey, message: "the \(label) PEM body is not base64: \(error)")
        }
    }

    /// base64url or base64, strictly if possible (to name the encoding), else Node's forgiving decoding.
    static func decodeBase64Either(_ text: String) -> ([UInt8], PublicKeyEncoding) {
        if let raw = try? Base64.decode(text, alphabet: .urlSafe) {
            return (raw, .base64url)
        }
        if let raw = try? Base64.decode(text, alphabet: .standard) {
            return (raw, .base64)
        }
        return (Base64.decodeLeniently(text), .lenientBase64)
    }
}

extension Substring {
    fileprivate func trimmingASCIIWhitespace() -> String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" {
            slice = slice.dropFirst()
        }
        while let last = slice.last, last == " " || last == "\t" {
            slice = slice.dropLast()
        }
        return String(slice)
    }
}
