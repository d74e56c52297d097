/// Why ProofVerify could not do what was asked: a JSON text it cannot parse, a key it cannot decode, an identity
/// file it cannot read. Findings about the handshake itself are data, not errors.
///
/// Equality compares only the ``code``, so tests can match a code without the message. No message ever contains
/// private key material or a token.
package struct ProofVerifyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    package enum Code: String, Hashable, Sendable {
        /// The text is not JSON (RFC 8259).
        case invalidJSON
        /// The JSON nests deeper than the parser's limit.
        case jsonTooDeep
        /// The JSON text is longer than the parser's limit.
        case jsonTooLarge
        /// A public key that is not a 32-byte Ed25519 key in base64url, base64 or PEM SPKI form.
        case invalidPublicKey
        /// A signature that does not decode to 64 bytes.
        case invalidSignature
        /// A private key (seed or PKCS#8) that cannot be decoded.
        case invalidPrivateKey
        /// An identity file that is not one of the known forms.
        case invalidIdentityFile
        /// An identity file whose private key does not belong to its public key.
        case keyMismatch
        /// A value the caller passed that cannot be used (an empty nonce for signing, say).
        case invalidArgument
        /// libsodium did not initialize or refused an operation.
        case cryptoFailure
    }

    /// The kind of failure.
    package var code: Code
    /// What went wrong, for a person.
    package var message: String
    /// The byte offset in the input where the problem is, when there is one (JSON errors).
    package var offset: Int?

    package init(code: Code, message: String, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    package var description: String {
        self.message
    }

    package static func == (lhs: ProofVerifyError, rhs: ProofVerifyError) -> Bool {
        lhs.code == rhs.code
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
    }

    static func invalidJSON(_ message: String, offset: Int) -> ProofVerifyError {
        ProofVerifyError(code: .invalidJSON, message: "invalid JSON at offset \(offset): \(message)", offset: offset)
    }

    static func jsonTooDeep(limit: Int, offset: Int) -> ProofVerifyError {
        ProofVerifyError(
            code: .jsonTooDeep,
            message: "JSON nests deeper than \(limit) arrays/objects at offset \(offset)",
            offset: offset
        )
    }

    static func jsonTooLarge(size: Int, limit: Int) -> ProofVerifyError {
        ProofVerifyError(
            code: .jsonTooLarge,
            message: "JSON text of \(size) bytes is larger than the limit of \(limit) bytes",
            offset: limit
        )
    }

    static func invalidPublicKey(_ message: String) -> ProofVerifyError {
        ProofVerifyError(code: .invalidPublicKey, message: message)
    }

    static func invalidSignature(_ message: String) -> ProofVerifyError {
        ProofVerifyError(code: .invalidSignature, message: message)
    }

    static func invalidPrivateKey(_ message: String) -> ProofVerifyError {
        ProofVerifyError(code: .invalidPrivateKey, message: message)
    }

    static func invalidIdentityFile(_ message: String) -> ProofVerifyError {
        ProofVerifyError(code: .invalidIdentityFile, message: message)
    }
}
