import Dissect
import ProofVerify
import WireBytes

/// Replaces secrets with `<redacted sha256:xxxxxxxx>` (the first 8 hex digits of the secret's SHA-256), so a user
/// can tell whether two captures carry the same secret without seeing it.
///
/// Secrets are gateway tokens, passwords, device and bootstrap tokens, `Authorization` and `Cookie` headers, bearer
/// tokens in `Sec-WebSocket-Protocol`, and any JSON string under a key that names a secret. Nonces, public keys and
/// signatures are not secrets.
package struct Redactor: Sendable {
    /// False when the user asked for `--show-secrets`.
    package var enabled: Bool

    package init(enabled: Bool = true) {
        self.enabled = enabled
    }

    /// The placeholder for one secret.
    package static func placeholder(for secret: String) -> String {
        "<redacted sha256:\(String(Sodium.sha256(Array(secret.utf8)).hexString.prefix(8)))>"
    }

    /// Names that contain a secret-naming part but are not secrets.
    private static let notSecretNames = ["nonce", "publickey", "signature", "tokenizer", "maxtokens"]
    /// A name containing any of these (in any case) names a secret.
    private static let secretNameParts = [
        "token", "password", "passwd", "secret", "authorization", "cookie", "apikey", "api_key", "credential",
        "privatekey", "private_key", "bearer",
    ]
    private static let notSecretNameBytes = Self.notSecretNames.map { Array($0.utf8) }
    private static let secretNamePartBytes = Self.secretNameParts.map { Array($0.utf8) }

    /// Whether a JSON key or header name names a secret.
    ///
    /// An ASCII name is lowercased and searched byte by byte (the report scans every key of every message, and the
    /// string search costs some 30,000 instructions a part); any other name goes through Unicode lowercasing, under
    /// which some non-ASCII letters become ASCII ones (the Kelvin sign becomes `k`).
    package static func isSecretName(_ name: String) -> Bool {
        var name = name
        let ascii = name.withUTF8 { bytes -> Bool? in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            let lowered = bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
            if Self.notSecretNameBytes.contains(lowered) { return false }
            return Self.secretNamePartBytes.contains { ByteSearch.offset(of: $0, in: lowered) != nil }
        }
        if let ascii { return ascii }
        let lowered = name.lowercased()
        if Self.notSecretNames.contains(lowered) { return false }
        return Self.secretNameParts.contains { lowered.contains($0) }
    }

    /// A header value, redacted when the header carries credentials.
    package func header(name: String, value: String) -> String {
        guard self.enabled else { return value }
        let lowered = name.lowercased()
        if lowered == "authorization" || lowered == "cookie" || lowered == "set-cookie"
            || lowered == "proxy-authorization"
        {
            return Self.placeholder(for: value)
        }
        if lowered == "sec-websocket-protocol" {
            return value.split(separator: ",", omittingEmptySubsequences: false).map { item in
                let token = item.trimmingWhitespace()
                // wstunnel and others carry `authorization.bearer.<JWT>` or `bearer.<token>` as a subprotocol.
                let lowered = Array(token.lowercased().utf8)
                let marker = Array("bearer.".utf8)
                let bytes = Array(token.utf8)
                if lowered.count == bytes.count, lowered.count > marker.count {
                    for start in 0...(lowered.count - marker.count)
                    where Array(lowered[start..<(start + marker.count)]) == marker {
                        let cut = start + marker.count
                        let secret = String(decoding: bytes[cut...], as: UTF8.self)
                        return String(decoding: bytes[..<cut], as: UTF8.self) + Self.placeholder(for: secret)
                    }
                }
                return token
            }.joined(separator: ", ")
        }
        return value
    }

    /// JSON text with every string value under a secret-naming key replaced. Works on any text: what is not JSON
    /// passes through unchanged.
    package func jsonText(_ text: String) -> String {
        guard self.enabled else { return text }
        let bytes = Array(text.utf8)
        let ranges = (Self.secretValueRanges(in: bytes) + Self.secretNonStringRanges(in: bytes))
            .sorted { $0.lowerBound < $1.lowerBound }
        guard !ranges.isEmpty else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var cursor = 0
        for range in ranges where range.lowerBound >= cursor {
            output.append(contentsOf: bytes[cursor..<range.lowerBound])
            let secret = Self.unescape(String(decoding: bytes[range], as: UTF8.self))
            let quoted = range.lowerBound > 0 && bytes[range.lowerBound - 1] == UInt8(ascii: "\"")
            let placeholder = Self.placeholder(for: secret)
            output.append(contentsOf: Array((quoted ? placeholder : "\"\(placeholder)\"").utf8))
            cursor = range.upperBound
        }
        output.append(contentsOf: bytes[cursor...])
        return String(decoding: output, as: UTF8.self)
    }

    /// The byte ranges (inside the quotes) of every non-empty JSON string value under a secret-naming key: what
    /// `jsonText(_:)` replaces, and what a sanitized capture overwrites in place.
    package static func secretValueRanges(in bytes: [UInt8]) -> [Range<Int>] {
        Self.secretValueStarts(in: bytes).compactMap { start in
            guard bytes[start] == UInt8(ascii: "\"") else { return nil }
            let valueEnd = Self.endOfString(bytes, from: start)
            // An unterminated value (a cut payload) runs to the end of the bytes.
            let contentEnd =
                valueEnd > start + 1 && bytes[valueEnd - 1] == UInt8(ascii: "\"") ? valueEnd - 1 : valueEnd
            return contentEnd > start + 1 ? (start + 1)..<contentEnd : nil
        }
    }

    /// The byte ranges of values under a secret-naming key that are not strings (a numeric password, a token in an
    /// array): shown redacted, though a sanitized capture cannot rewrite them in place.
    static func secretNonStringRanges(in bytes: [UInt8]) -> [Range<Int>] {
        Self.secretValueStarts(in: bytes).compactMap { start in
            guard bytes[start] != UInt8(ascii: "\"") else { return nil }
            var cursor = start
            var depth = 0
            while cursor < bytes.count {
                let byte = bytes[cursor]
                if byte == UInt8(ascii: "\"") {
                    cursor = Self.endOfString(bytes, from: cursor)
                    continue
                }
                if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") {
                    depth += 1
                } else if byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}") {
                    if depth == 0 { break }
                    depth -= 1
                    if depth == 0 {
                        cursor += 1
                        break
                    }
                } else if depth == 0 && (byte == UInt8(ascii: ",") || Self.isSpace(byte)) {
                    break
                }
                cursor += 1
            }
            let value = String(decoding: bytes[start..<cursor], as: UTF8.self)
            return cursor > start && value != "null" ? start..<cursor : nil
        }
    }

    /// The offsets where a value under a secret-naming key begins: every `"key"` followed by `:`, where the key
    /// names a secret, gives the first byte after the colon and white space.
    private static func secretValueStarts(in bytes: [UInt8]) -> [Int] {
        var starts: [Int] = []
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "\"") else {
                index += 1
                continue
            }
            let keyEnd = Self.endOfString(bytes, from: index)
            let key = String(decoding: bytes[(index + 1)..<max(index + 1, keyEnd - 1)], as: UTF8.self)
            index = keyEnd
            var cursor = index
            while cursor < bytes.count, Self.isSpace(bytes[cursor]) { cursor += 1 }
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: ":"), Self.isSecretName(key) else { continue }
            cursor += 1
            while cursor < bytes.count, Self.isSpace(bytes[cursor]) { cursor += 1 }
            guard cursor < bytes.count else { continue }
            starts.append(cursor)
            // A string value is skipped whole, so it is never taken for a key.
            index = bytes[cursor] == UInt8(ascii: "\"") ? Self.endOfString(bytes, from: cursor) : cursor
        }
        return starts
    }

    /// A request target with the values of secret-naming query parameters (`?token=...`, `access_token=...`) and any
    /// `user:password@` redacted.
    package func target(_ target: String) -> String {
        guard self.enabled else { return target }
        var text = target
        if let at = text.firstIndex(of: "@"), let scheme = text.firstRange(of: "://"), scheme.upperBound <= at {
            text =
                String(text[..<scheme.upperBound]) + Self.placeholder(for: String(text[scheme.upperBound..<at]))
                + String(text[at...])
        }
        guard let question = text.firstIndex(of: "?") else { return text }
        let query = text[text.index(after: question)...]
        let parameters = query.split(separator: "&", omittingEmptySubsequences: false).map { parameter -> String in
            guard let equals = parameter.firstIndex(of: "="), Self.isSecretName(String(parameter[..<equals])) else {
                return String(parameter)
            }
            let value = String(parameter[parameter.index(after: equals)...])
            return String(parameter[...equals]) + (value.isEmpty ? "" : Self.placeholder(for: value))
        }
        return String(text[...question]) + parameters.joined(separator: "&")
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d
    }

    /// The index just past the closing quote of the string starting at `start` (or the end of the input).
    private static func endOfString(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start + 1
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\\") {
                index += 2
                continue
            }
            if bytes[index] == UInt8(ascii: "\"") { return index + 1 }
            index += 1
        }
        return min(index, bytes.count)
    }

    /// The common JSON escapes, so the fingerprint is of the secret itself.
    private static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var result = ""
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            guard character == "\\", let next = iterator.next() else {
                result.append(character)
                continue
            }
            switch next {
            case "n": result.append("\n")
            case "t": result.append("\t")
            case "r": result.append("\r")
            default: result.append(next)
            }
        }
        return result
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        var text = self
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return String(text)
    }
}
