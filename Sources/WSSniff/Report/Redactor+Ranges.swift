import ProofVerify

/// Where secrets sit in bytes, for rewriting them in place (`PcapSanitizer`), and a last scrub of rendered text.
extension Redactor {
    /// `count` bytes that stand in for a secret in a rewritten capture: `redacted-` and the secret's fingerprint,
    /// padded with `*` or cut. Only letters, digits, `-` and `*`, so the bytes stay valid in JSON strings and headers.
    package static func inPlaceFiller(for secret: [UInt8], count: Int) -> [UInt8] {
        let digest = String(Sodium.sha256(secret).hexString.prefix(8))
        var filler = Array("redacted-\(digest)".utf8)
        if filler.count > count { filler.removeLast(filler.count - count) }
        while filler.count < count { filler.append(UInt8(ascii: "*")) }
        return filler
    }

    /// Text with every occurrence of the given secret strings replaced by its placeholder: the last guard before a
    /// rendered report reaches a file. Strings shorter than 4 characters are left alone (too common to scrub).
    package func scrub(_ text: String, secrets: Set<String>) -> String {
        guard self.enabled else { return text }
        var result = text
        for secret in secrets.sorted(by: { $0.count > $1.count }) where secret.utf8.count >= 4 {
            if result.contains(secret) {
                result = result.replacingAll(secret, with: Self.placeholder(for: secret))
            }
        }
        return result
    }
}

extension String {
    /// Every non-overlapping occurrence of `target` replaced, left to right (no Foundation).
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        let source = Array(self.utf8)
        let needle = Array(target.utf8)
        guard !needle.isEmpty, source.count >= needle.count else { return self }
        var output: [UInt8] = []
        output.reserveCapacity(source.count)
        var index = 0
        while index < source.count {
            if index + needle.count <= source.count, source[index] == needle[0],
                source[index..<(index + needle.count)].elementsEqual(needle)
            {
                output.append(contentsOf: replacement.utf8)
                index += needle.count
            } else {
                output.append(source[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
