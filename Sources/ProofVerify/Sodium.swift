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
