import ProofVerify

/// Where secrets sit in bytes, for rewriting them in place (`PcapSanitizer`), and a last scrub of rendered text.
extension Redactor {
    /// The byte ranges (inside the quotes) of every non-empty JSON string value under a secret-naming key: the
    /// values `jsonText(_:)` replaces.
    package static func secretValueRanges(in bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "\"") else {
                index += 1
                continue
            }
            let keyEnd = Self.stringEnd(bytes, from: index)
            let key = String(decoding: bytes[(index + 1)..<max(index + 1, keyEnd - 1)], as: UTF8.self)
            index = keyEnd
            var cursor = index
            while cursor < bytes.count, Self.isJSONSpace(bytes[cursor]) { cursor += 1 }
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: ":"), Self.isSecretName(key) else { continue }
            cursor += 1
            while cursor < bytes.count, Self.isJSONSpace(bytes[cursor]) { cursor += 1 }
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "\"") else { continue }
            let valueEnd = Self.stringEnd(bytes, from: cursor)
            // An unterminated value (a cut payload) runs to the end of the bytes.
            let contentEnd =
                valueEnd <= bytes.count && valueEnd > cursor + 1 && bytes[valueEnd - 1] == UInt8(ascii: "\"")
                ? valueEnd - 1 : valueEnd
            if contentEnd > cursor + 1 { ranges.append((cursor + 1)..<contentEnd) }
            index = valueEnd
        }
        return ranges
    }

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

    private static func isJSONSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d
    }

    private static func stringEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start + 1
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\\") {
                index += 2
                continue
            }
            if bytes[index] == UInt8(ascii: "\"") { return index + 1 }
            index += 1
        }
        return bytes.count
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
