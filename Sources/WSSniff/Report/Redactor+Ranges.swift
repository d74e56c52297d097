import Dissect
import ProofVerify
import WireBytes

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

    /// The secrets in HTTP bytes as the conversation read them (heads of requests and responses, bodies between):
    /// the ranges to overwrite and the secret each holds.
    ///
    /// Every line is looked at, wherever it sits, so a head after a kept-alive exchange or a body line shaped like a
    /// header is covered too: the values of `Authorization` and `Proxy-Authorization` (the credentials after the
    /// scheme, the whole value also named as a secret), `Cookie` and `Set-Cookie`; bearer tokens in
    /// `Sec-WebSocket-Protocol`; and the values of secret-naming query parameters in a request line's target.
    /// Lines end at LF, with or without CR (RFC 9112 2.2 lets a recipient take a bare LF as a line end).
    package static func httpSecretRanges(in bytes: [UInt8]) -> [(range: Range<Int>, secret: [UInt8])] {
        var found: [(range: Range<Int>, secret: [UInt8])] = []
        var lineStart = 0
        while lineStart < bytes.count {
            let newline = bytes[lineStart...].firstIndex(of: 0x0A) ?? bytes.count
            var lineEnd = newline
            if lineEnd > lineStart, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            found += Self.headerLineSecrets(bytes, lineStart..<lineEnd)
            found += Self.requestLineSecrets(bytes, lineStart..<lineEnd)
            lineStart = newline + 1
        }
        return found
    }

    /// The secrets in one `name: value` line.
    private static func headerLineSecrets(_ bytes: [UInt8], _ line: Range<Int>) -> [(Range<Int>, [UInt8])] {
        guard let colon = bytes[line].firstIndex(of: UInt8(ascii: ":")) else { return [] }
        let name = String(decoding: bytes[line.lowerBound..<colon], as: UTF8.self).lowercased()
        var valueStart = colon + 1
        while valueStart < line.upperBound, bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09 { valueStart += 1 }
        var valueEnd = line.upperBound
        while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 { valueEnd -= 1 }
        guard valueEnd > valueStart else { return [] }
        var found: [(Range<Int>, [UInt8])] = []
        switch name {
        case "authorization", "proxy-authorization", "cookie", "set-cookie":
            // Keep an auth scheme (`Bearer `, `Basic `) readable; the credentials after it are the secret.
            var secretStart = valueStart
            if name.hasSuffix("authorization"),
                let space = bytes[valueStart..<valueEnd].firstIndex(of: 0x20), space + 1 < valueEnd
            {
                secretStart = space + 1
                found.append((secretStart..<valueEnd, Array(bytes[valueStart..<valueEnd])))
            }
            found.append((secretStart..<valueEnd, Array(bytes[secretStart..<valueEnd])))
        case "sec-websocket-protocol":
            let lowered = bytes[valueStart..<valueEnd].map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
            var search = 0
            while let hit = ByteSearch.offset(of: Array("bearer.".utf8), in: lowered, from: search) {
                let start = valueStart + hit + 7
                var stop = start
                while stop < valueEnd, bytes[stop] != UInt8(ascii: ","), bytes[stop] != 0x20 { stop += 1 }
                if stop > start { found.append((start..<stop, Array(bytes[start..<stop]))) }
                search = stop - valueStart
            }
        default:
            break
        }
        return found
    }

    /// The values of secret-naming query parameters in a request line's target (`GET /ws?token=... HTTP/1.1`), as
    /// ``target(_:)`` redacts them in reports.
    private static func requestLineSecrets(_ bytes: [UInt8], _ line: Range<Int>) -> [(Range<Int>, [UInt8])] {
        guard let first = bytes[safe: line.lowerBound], (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first),
            let space = bytes[line].firstIndex(of: 0x20),
            let question = bytes[(space + 1)..<line.upperBound].firstIndex(of: UInt8(ascii: "?"))
        else { return [] }
        let targetEnd = bytes[(space + 1)..<line.upperBound].firstIndex(of: 0x20) ?? line.upperBound
        guard question < targetEnd else { return [] }
        var found: [(Range<Int>, [UInt8])] = []
        var parameterStart = question + 1
        while parameterStart < targetEnd {
            let parameterEnd = bytes[parameterStart..<targetEnd].firstIndex(of: UInt8(ascii: "&")) ?? targetEnd
            if let equals = bytes[parameterStart..<parameterEnd].firstIndex(of: UInt8(ascii: "=")),
                equals + 1 < parameterEnd,
                Self.isSecretName(String(decoding: bytes[parameterStart..<equals], as: UTF8.self))
            {
                found.append(((equals + 1)..<parameterEnd, Array(bytes[(equals + 1)..<parameterEnd])))
            }
            parameterStart = parameterEnd + 1
        }
        return found
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

extension Array {
    fileprivate subscript(safe index: Int) -> Element? {
        index >= 0 && index < self.count ? self[index] : nil
    }
}
