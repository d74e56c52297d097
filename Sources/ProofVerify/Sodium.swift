import CSodium

/// The one file that calls libsodium. `sodium_init()` runs once, before the first call that needs it.
package enum Sodium {
    private static let initialized: Bool = {
        sodium_init() >= 0
    }()

    /// Whether libsodium initialized; every function here checks it.
    package static var isAvailable: Bool { Self.initialized }

    /// The libsodium version string, for reports.
    package static var version: String {
        String(cString: sodium_version_string())
    }

    /// SHA-256 of `bytes`, as 32 bytes.
    package static func sha256(_ bytes: RawSpan) -> [UInt8] {
        var hasher = SHA256Hasher()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// SHA-256 of `bytes`, as 32 bytes.
    package static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        Self.sha256(bytes.span.bytes)
    }
}

extension Sodium {
    /// The result of asking libsodium to verify an Ed25519 signature.
    package enum Ed25519Verification: Hashable, Sendable {
        /// `crypto_sign_verify_detached` returned 0.
        case valid
        /// `crypto_sign_verify_detached` returned -1 (the signature does not verify, or libsodium refused the key or
        /// the signature's encoding; ``Ed25519`` tells these apart).
        case invalid
        /// A length was wrong before libsodium was asked.
        case wrongLength
    }

    /// `crypto_sign_verify_detached`: pure Ed25519 (RFC 8032) verification of `signature` (64 bytes) over
    /// `message` with `publicKey` (32 bytes). libsodium rejects small-order and non-canonical public keys, a
    /// small-order `R` and a non-canonical `S`.
    package static func ed25519Verify(
        signature: [UInt8],
        message: [UInt8],
        publicKey: [UInt8]
    ) -> Ed25519Verification {
        guard Self.isAvailable else { return .invalid }
        guard signature.count == Int(crypto_sign_BYTES), publicKey.count == Int(crypto_sign_PUBLICKEYBYTES) else {
            return .wrongLength
        }
        let result = signature.withUnsafeBufferPointer { signatureBuffer in
            message.withUnsafeBufferPointer { messageBuffer in
                publicKey.withUnsafeBufferPointer { keyBuffer in
                    crypto_sign_verify_detached(
                        signatureBuffer.baseAddress!,
                        messageBuffer.baseAddress,
                        UInt64(messageBuffer.count),
                        keyBuffer.baseAddress!
                    )
                }
            }
        }
        return result == 0 ? .valid : .invalid
    }

    /// `crypto_sign_seed_keypair`: the Ed25519 key pair of a 32-byte seed (RFC 8032's private key). Returns the
    /// public key and libsodium's 64-byte secret key (seed followed by public key), or `nil` for a wrong length.
    package static func ed25519KeyPair(seed: [UInt8]) -> (publicKey: [UInt8], secretKey: [UInt8])? {
        guard Self.isAvailable, seed.count == Int(crypto_sign_SEEDBYTES) else { return nil }
        var publicKey = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        var secretKey = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        let result = seed.withUnsafeBufferPointer { seedBuffer in
            publicKey.withUnsafeMutableBufferPointer { publicBuffer in
                secretKey.withUnsafeMutableBufferPointer { secretBuffer in
                    crypto_sign_seed_keypair(
                        publicBuffer.baseAddress!,
                        secretBuffer.baseAddress!,
                        seedBuffer.baseAddress!
                    )
                }
            }
        }
        return result == 0 ? (publicKey, secretKey) : nil
    }

    /// `crypto_sign_detached`: the 64-byte Ed25519 signature of `message` with a 64-byte libsodium secret key.
    package static func ed25519Sign(message: [UInt8], secretKey: [UInt8]) -> [UInt8]? {
        guard Self.isAvailable, secretKey.count == Int(crypto_sign_SECRETKEYBYTES) else { return nil }
        var signature = [UInt8](repeating: 0, count: Int(crypto_sign_BYTES))
        let result = message.withUnsafeBufferPointer { messageBuffer in
            secretKey.withUnsafeBufferPointer { secretBuffer in
                signature.withUnsafeMutableBufferPointer { signatureBuffer in
                    crypto_sign_detached(
                        signatureBuffer.baseAddress!,
                        nil,
                        messageBuffer.baseAddress,
                        UInt64(messageBuffer.count),
                        secretBuffer.baseAddress!
                    )
                }
            }
        }
        return result == 0 ? signature : nil
    }

    /// `crypto_core_ed25519_is_valid_point`: whether 32 bytes encode a canonical point on the curve, in the
    /// prime-order subgroup and not of small order.
    package static func ed25519IsValidPoint(_ point: [UInt8]) -> Bool {
        guard Self.isAvailable, point.count == Int(crypto_core_ed25519_BYTES) else { return false }
        return point.withUnsafeBufferPointer { crypto_core_ed25519_is_valid_point($0.baseAddress!) } == 1
    }

    /// `crypto_core_ed25519_add`: the encoding of `p + q`, or `nil` when either is not a point on the curve
    /// (small-order points are accepted, which lets ``Ed25519`` compute `8·P`).
    package static func ed25519Add(_ p: [UInt8], _ q: [UInt8]) -> [UInt8]? {
        let size = Int(crypto_core_ed25519_BYTES)
        guard Self.isAvailable, p.count == size, q.count == size else { return nil }
        var sum = [UInt8](repeating: 0, count: size)
        let result = p.withUnsafeBufferPointer { pBuffer in
            q.withUnsafeBufferPointer { qBuffer in
                sum.withUnsafeMutableBufferPointer { sumBuffer in
                    crypto_core_ed25519_add(sumBuffer.baseAddress!, pBuffer.baseAddress!, qBuffer.baseAddress!)
                }
            }
        }
        return result == 0 ? sum : nil
    }
}

/// Incremental SHA-256 (libsodium's `crypto_hash_sha256_*`), for hashing a capture file as it is read.
package struct SHA256Hasher {
    private var state = crypto_hash_sha256_state()

    package init() {
        _ = Sodium.isAvailable
        crypto_hash_sha256_init(&self.state)
    }

    package mutating func update(_ bytes: RawSpan) {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            _ = crypto_hash_sha256_update(
                &self.state,
                base.assumingMemoryBound(to: UInt8.self),
                UInt64(buffer.count)
            )
        }
    }

    package mutating func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        digest.withUnsafeMutableBufferPointer { out in
            guard let base = out.baseAddress else { return }
            _ = crypto_hash_sha256_final(&self.state, base)
        }
        return digest
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hexadecimal.
    package var hexString: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(self.count * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
