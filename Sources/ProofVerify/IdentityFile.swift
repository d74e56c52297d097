import WireBytes

/// A device identity file (`device.json`) in one of the three known forms (section 4):
///
/// - Node (gateway, CLI): `{"version":1,"deviceId","publicKeyPem","privateKeyPem","createdAtMs"}` with SPKI and
///   PKCS#8 PEM blocks;
/// - Apple apps: `{"deviceId","publicKey","privateKey","createdAtMs"}`, base64 of the raw 32-byte key and seed;
/// - Android: `{...,"publicKeyRawBase64","privateKeyPkcs8Base64"}`.
///
/// ``publicPart(from:)`` never decodes or keeps the private key; only ``signingKey(from:)`` does, for `sign`.
/// Errors never quote key material.
package enum IdentityFile {
    /// Which form a file is in.
    package enum Form: String, Hashable, Sendable {
        case node
        case apple
        case android
    }

    /// The public half of an identity: what every command but `sign`/`probe` needs.
    package struct PublicPart: Hashable, Sendable {
        /// The file's form.
        package var form: Form
        /// The raw 32-byte public key.
        package var publicKey: [UInt8]
        /// `deviceId` as the file states it, when it does.
        package var fileDeviceId: String?
        /// Lowercase hex SHA-256 of the public key: what the gateway expects in `device.id`.
        package var deviceId: String

        /// Whether the file's `deviceId` (when present) matches its key.
        package var deviceIdMatches: Bool {
            self.fileDeviceId.map { $0 == self.deviceId } ?? true
        }

        /// `device.publicKey` as sent: unpadded base64url.
        package var wirePublicKey: String {
            Base64.encode(self.publicKey, alphabet: .urlSafe, padded: false)
        }
    }

    /// Reads only the public key and deviceId of an identity file; the private key field is not read at all.
    ///
    /// - Throws: ``ProofVerifyError`` `invalidIdentityFile` or `invalidPublicKey`.
    package static func publicPart(from bytes: [UInt8]) throws(ProofVerifyError) -> PublicPart {
        let object = try Self.object(bytes)
        let form = try Self.form(of: object)
        let publicKey: [UInt8]
        switch form {
        case .node:
            guard let pem = object["publicKeyPem"]?.stringValue else {
                throw .invalidIdentityFile("the identity file's `publicKeyPem` is not a string")
            }
            let key = try Ed25519.decodePublicKey(pem)
            guard key.encoding == .pem else {
                throw .invalidPublicKey("the identity file's `publicKeyPem` is not a PEM block")
            }
            publicKey = key.raw
        case .apple, .android:
            let field = form == .apple ? "publicKey" : "publicKeyRawBase64"
            guard let text = object[field]?.stringValue else {
                throw .invalidIdentityFile("the identity file's `\(field)` is not a string")
            }
            let (raw, _) = Ed25519.decodeBase64Either(text)
            guard raw.count == 32 else {
                throw .invalidPublicKey(
                    "the identity file's `\(field)` decodes to \(raw.count) bytes; an Ed25519 public key has 32"
                )
            }
            publicKey = raw
        }
        let fileDeviceId = object["deviceId"]?.stringValue
        return PublicPart(
            form: form,
            publicKey: publicKey,
            fileDeviceId: fileDeviceId,
            deviceId: Ed25519.deviceId(publicKey: publicKey)
        )
    }

    /// Reads the whole identity, private key included, for signing. Checks that the private key belongs to the
    /// public key.
    ///
    /// - Throws: ``ProofVerifyError`` `invalidIdentityFile`, `invalidPublicKey`, `invalidPrivateKey` or
    ///   `keyMismatch`; never with key material in the message.
    package static func signingKey(from bytes: [UInt8]) throws(ProofVerifyError) -> SigningKey {
        let publicPart = try Self.publicPart(from: bytes)
        let object = try Self.object(bytes)
        let seed: [UInt8]
        switch publicPart.form {
        case .node:
            guard let pem = object["privateKeyPem"]?.stringValue else {
                throw .invalidPrivateKey("the identity file's `privateKeyPem` is not a string")
            }
            let der: [UInt8]
            do {
                der = try Ed25519.pemBody(pem, label: "PRIVATE KEY")
            } catch {
                throw .invalidPrivateKey("the identity file's `privateKeyPem` is not a PEM block")
            }
            seed = try Self.seed(pkcs8: der, field: "privateKeyPem")
        case .android:
            guard let text = object["privateKeyPkcs8Base64"]?.stringValue else {
                throw .invalidPrivateKey("the identity file's `privateKeyPkcs8Base64` is not a string")
            }
            seed = try Self.seed(pkcs8: Base64.decodeLeniently(text), field: "privateKeyPkcs8Base64")
        case .apple:
            guard let text = object["privateKey"]?.stringValue else {
                throw .invalidPrivateKey("the identity file's `privateKey` is not a string")
            }
            let raw = Base64.decodeLeniently(text)
            // CryptoKit's rawRepresentation is the 32-byte seed; accept libsodium's 64-byte seed‖public too.
            guard raw.count == 32 || raw.count == 64 else {
                throw .invalidPrivateKey(
                    "the identity file's `privateKey` decodes to \(raw.count) bytes; expected a 32-byte seed"
                )
            }
            seed = Array(raw.prefix(32))
        }
        let key = try SigningKey(seed: seed)
        guard key.publicKey == publicPart.publicKey else {
            throw ProofVerifyError(
                code: .keyMismatch,
                message: "the identity file's private key does not belong to its public key (the private key gives "
                    + "device id \(key.deviceId), the public key \(publicPart.deviceId))"
            )
        }
        return key
    }

    private static func object(_ bytes: [UInt8]) throws(ProofVerifyError) -> JSONObject {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, limits: JSONParser.Limits(maxDepth: 16, maxInputBytes: 1 << 20))
        } catch {
            throw .invalidIdentityFile("the identity file is not JSON: \(error.message)")
        }
        guard let object = value.objectValue else {
            throw .invalidIdentityFile("the identity file is a JSON \(value.typeName), not an object")
        }
        return object
    }

    private static func form(of object: JSONObject) throws(ProofVerifyError) -> Form {
        if object["publicKeyPem"] != nil {
            return .node
        }
        if object["publicKeyRawBase64"] != nil {
            return .android
        }
        if object["publicKey"] != nil {
            return .apple
        }
        throw .invalidIdentityFile(
            "the identity file has none of `publicKeyPem` (Node), `publicKey` (Apple) or `publicKeyRawBase64` "
                + "(Android)"
        )
    }

    /// The seed of an Ed25519 PKCS#8 PrivateKeyInfo (RFC 8410 7), v1 or v2 (with the public key attached).
    private static func seed(pkcs8 der: [UInt8], field: String) throws(ProofVerifyError) -> [UInt8] {
        // v1: 302e 020100 300506032b6570 04220420 <seed>
        if der.count == 48, Array(der.prefix(16)) == Ed25519.pkcs8Prefix {
            return Array(der.suffix(32))
        }
        // v2 (RFC 8410 10.3): 3051 020101 300506032b6570 04220420 <seed> 8121 00 <public key>
        let v2Prefix: [UInt8] = [0x30, 0x51, 0x02, 0x01, 0x01] + Ed25519.pkcs8Prefix.suffix(11)
        if der.count == 83, Array(der.prefix(16)) == v2Prefix {
            return Array(der[16..<48])
        }
        throw .invalidPrivateKey(
            "the identity file's `\(field)` is not an Ed25519 PKCS#8 private key (\(der.count) bytes; expected 48 "
                + "starting with 302e020100300506032b657004220420)"
        )
    }
}

/// An Ed25519 signing key. Its description never shows the private key.
package struct SigningKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let secretKey: [UInt8]
    /// The raw 32-byte public key.
    package let publicKey: [UInt8]

    /// The key pair of a 32-byte seed (RFC 8032's private key).
    ///
    /// - Throws: ``ProofVerifyError`` `invalidPrivateKey` for a wrong length, `cryptoFailure` when libsodium fails.
    package init(seed: [UInt8]) throws(ProofVerifyError) {
        guard seed.count == 32 else {
            throw .invalidPrivateKey("an Ed25519 seed has 32 bytes, not \(seed.count)")
        }
        guard let pair = Sodium.ed25519KeyPair(seed: seed) else {
            throw ProofVerifyError(code: .cryptoFailure, message: "libsodium could not derive the Ed25519 key pair")
        }
        self.publicKey = pair.publicKey
        self.secretKey = pair.secretKey
    }

    /// Lowercase hex SHA-256 of the public key.
    package var deviceId: String {
        Ed25519.deviceId(publicKey: self.publicKey)
    }

    /// `device.publicKey` as sent: unpadded base64url.
    package var wirePublicKey: String {
        Base64.encode(self.publicKey, alphabet: .urlSafe, padded: false)
    }

    /// The 64-byte signature of `message`.
    package func sign(_ message: [UInt8]) throws(ProofVerifyError) -> [UInt8] {
        guard let signature = Sodium.ed25519Sign(message: message, secretKey: self.secretKey) else {
            throw ProofVerifyError(code: .cryptoFailure, message: "libsodium could not sign")
        }
        return signature
    }

    /// The 64-byte signature of a payload's UTF-8 bytes (with the real token).
    package func sign(_ payload: PayloadText) throws(ProofVerifyError) -> [UInt8] {
        try self.sign(payload.signedBytes)
    }

    package var description: String {
        "SigningKey(deviceId: \(self.deviceId), private key hidden)"
    }

    package var debugDescription: String {
        self.description
    }

    package var customMirror: Mirror {
        Mirror(self, children: ["deviceId": self.deviceId])
    }
}
