internal import Glibc

/// What ``HTTPHeadParser/feed(_:)`` completed.
package enum HTTPHeadResult: Hashable, Sendable {
    /// A whole head.
    case head(HTTPHead)
    /// The bytes are not an HTTP/1.x head; the reason says why. The parser stops: HTTP cannot resynchronise.
    case malformed(String)
    /// No end of head within the parser's `maxHeadBytes`. The parser stops.
    case tooLarge
}

/// An incremental parser of one HTTP/1.x head: a request line or status line, then header field lines, up to the
/// empty line (RFC 9112 2.1):
///
/// ```
/// HTTP-message   = start-line CRLF
///                  *( field-line CRLF )
///                  CRLF
///                  [ message-body ]
/// start-line     = request-line / status-line
/// request-line   = method SP request-target SP HTTP-version
/// status-line    = HTTP-version SP status-code SP [ reason-phrase ]
/// field-line     = field-name ":" OWS field-value OWS
/// ```
///
/// Bytes may arrive in pieces of any size. The parser is lenient where RFC 9112 allows a recipient to be (bare LF
/// line endings, obsolete line folding, whitespace around values and between start-line words, empty lines before
/// a request) and records a ``HTTPHeadWarning`` for each such tolerance. It reports ``HTTPHeadResult/malformed(_:)``
/// only for a start line it cannot read, as early as the first byte that rules HTTP out, so that a stream that is
/// not HTTP (TLS, a capture starting mid-connection) is recognised at once. It never traps.
package struct HTTPHeadParser: Sendable {
    /// Which start line to expect.
    package enum Kind: Hashable, Sendable {
        case request
        case response
    }

    package let kind: Kind
    package let maxHeadBytes: Int

    /// The head so far, from its first non-empty line.
    private var buffer: [UInt8] = []
    /// Offset in ``buffer`` of the line being received.
    private var lineStart = 0
    /// CR or LF bytes consumed before the start line (RFC 9112 2.2).
    private var leadingEmptyLineBytes = 0
    /// Whether a space ended the first word of the start line.
    private var firstWordEnded = false
    private var startLine: StartLine?
    /// Set once a result was returned: the parser consumes nothing more until ``reset()``.
    private var finished = false

    private enum StartLine: Sendable {
        case request(method: String, target: String, version: String)
        case response(version: String, status: Int, reason: String)
    }

    /// - Parameter maxHeadBytes: the most head bytes to accept (empty lines before the start line included)
    ///   before giving up with ``HTTPHeadResult/tooLarge``. RFC 9112 2.3 leaves the limit to the recipient;
    ///   Node's default is 16 KiB.
    package init(kind: Kind, maxHeadBytes: Int = 65_536) {
        self.kind = kind
        self.maxHeadBytes = max(1, maxHeadBytes)
    }

    /// Bytes consumed so far by the current head.
    package var consumedCount: Int {
        self.leadingEmptyLineBytes + self.buffer.count
    }

    /// Consumes bytes up to the end of the head; returns how many were consumed and what completed. Bytes after a
    /// completed head are NOT consumed: they belong to a body, to WebSocket frames, or to the next message.
    ///
    /// Once a result was returned, every later call consumes nothing and returns nil until ``reset()``.
    package mutating func feed(_ bytes: UnsafeRawBufferPointer) -> (consumed: Int, result: HTTPHeadResult?) {
        guard !self.finished else {
            return (0, nil)
        }
        guard let base = bytes.baseAddress else {
            return (0, nil)
        }
        let count = bytes.count
        var index = 0
        while index < count {
            if self.buffer.isEmpty, bytes[index] == HTTPSyntax.cr || bytes[index] == HTTPSyntax.lf {
                // RFC 9112 2.2: "In the interest of robustness, a server that is expecting to receive and parse a
                // request-line SHOULD ignore at least one empty line (CRLF) received prior to the request-line."
                guard self.consumedCount < self.maxHeadBytes else {
                    self.finished = true
                    return (index, .tooLarge)
                }
                self.leadingEmptyLineBytes += 1
                index += 1
                continue
            }
            let room = self.maxHeadBytes - self.consumedCount
            guard room > 0 else {
                self.finished = true
                return (index, .tooLarge)
            }
            if self.startLine == nil {
                // The start line: each byte is checked as it comes, so a stream that is not HTTP is refused at its
                // first byte; the bytes up to the LF or the refused byte are then kept at once.
                let start = index
                let limit = min(count - index, room)
                var problem: String?
                var newline = false
                while index < start + limit {
                    let byte = bytes[index]
                    index += 1
                    if byte == HTTPSyntax.lf {
                        newline = true
                        break
                    }
                    problem = self.checkStartLineByte(byte, at: self.buffer.count + index - 1 - start)
                    if problem != nil { break }
                }
                self.buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
                if let problem {
                    self.finished = true
                    return (index, .malformed(problem))
                }
                if newline, let result = self.endOfLine() {
                    self.finished = true
                    return (index, result)
                }
                continue
            }
            // A header line: up to its LF at once (memchr), within the room left.
            let limit = min(count - index, room)
            let newline = memchr(base + index, Int32(HTTPSyntax.lf), limit)
            let end = newline.map { base.distance(to: UnsafeRawPointer($0)) + 1 } ?? index + limit
            self.buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<end]))
            index = end
            if newline != nil, let result = self.endOfLine() {
                self.finished = true
                return (index, result)
            }
        }
        return (count, nil)
    }

    /// Feeds the bytes of an array (a convenience for tests and small inputs).
    package mutating func feed(_ bytes: [UInt8]) -> (consumed: Int, result: HTTPHeadResult?) {
        bytes.withUnsafeBytes { self.feed($0) }
    }

    /// Forgets everything, ready for the next head.
    package mutating func reset() {
        self.buffer.removeAll(keepingCapacity: true)
        self.lineStart = 0
        self.leadingEmptyLineBytes = 0
        self.firstWordEnded = false
        self.startLine = nil
        self.finished = false
    }

    // MARK: Start line

    private static let responsePrefix: [UInt8] = Array("HTTP/".utf8)

    /// Rejects, byte by byte, a first line that cannot start an HTTP message of the expected kind.
    private mutating func checkStartLineByte(_ byte: UInt8, at position: Int) -> String? {
        switch self.kind {
        case .request:
            // RFC 9112 3.1: "method = token"; a byte that is neither a token character nor the separator rules
            // the request out.
            guard !self.firstWordEnded else {
                return nil
            }
            if HTTPSyntax.isWhitespace(byte) {
                self.firstWordEnded = position > 0
                return nil
            }
            if byte == HTTPSyntax.cr || HTTPSyntax.isTokenCharacter(byte) {
                return nil
            }
            return "not an HTTP request: byte 0x\(Self.hex(byte)) at offset \(position) of the method"
        case .response:
            // RFC 9112 4: "status-line = HTTP-version SP status-code SP [ reason-phrase ]", and RFC 9112 2.3:
            // "HTTP-name is case-sensitive".
            let prefix = Self.responsePrefix
            guard position < prefix.count, byte != prefix[position] else {
                return nil
            }
            return "not an HTTP response: byte 0x\(Self.hex(byte)) at offset \(position) where \"HTTP/\" should be"
        }
    }

    /// Handles the LF that ends a line: parses the start line, or completes the head on an empty line.
    private mutating func endOfLine() -> HTTPHeadResult? {
        let lineEnd = self.buffer.count - 1
        var contentEnd = lineEnd
        if contentEnd > self.lineStart, self.buffer[contentEnd - 1] == HTTPSyntax.cr {
            contentEnd -= 1
        }
        let line = self.buffer[self.lineStart..<contentEnd]
        self.lineStart = self.buffer.count
        if self.startLine == nil {
            switch self.parseStartLine(line) {
            case .success(let startLine):
                self.startLine = startLine
                return nil
            case .failure(let problem):
                return .malformed(problem.reason)
            }
        }
        guard line.isEmpty else {
            return nil
        }
        return .head(self.parseHead())
    }

    private struct Problem: Error {
        var reason: String
    }

    private func parseStartLine(_ rawLine: ArraySlice<UInt8>) -> Result<StartLine, Problem> {
        // RFC 9112 2.2: "A recipient of such a bare CR MUST consider that element to be invalid or replace each
        // bare CR with SP before processing the element or forwarding the message."
        let line = rawLine.map { $0 == HTTPSyntax.cr ? HTTPSyntax.space : $0 }
        switch self.kind {
        case .request: return Self.parseRequestLine(line)
        case .response: return Self.parseStatusLine(line)
        }
    }

    private static func parseRequestLine(_ line: [UInt8]) -> Result<StartLine, Problem> {
        // RFC 9112 3: "recipients MAY instead parse on whitespace-delimited word boundaries and, aside from the CRLF
        // terminator, treat any form of whitespace as the SP separator while ignoring preceding or trailing
        // whitespace".
        let words = line.split(whereSeparator: { Self.isLineWhitespace($0) })
        var shown: String { Self.quoted(line) }  // only for a refusal: quoting costs more than parsing
        guard words.count == 3 else {
            switch words.count {
            case 0: return .failure(Problem(reason: "empty request line"))
            case 1, 2:
                // RFC 9112 3: "request-line = method SP request-target SP HTTP-version"; HTTP/0.9's
                // "GET /path" has no version.
                return .failure(Problem(reason: "request line \(shown) lacks a request target or an HTTP version"))
            default:
                // RFC 9112 3.2: "... a server ought to respond with a 400 (Bad Request) error ... since the
                // invalid request-line might be deliberately crafted to bypass security filters" (whitespace in
                // the target).
                return .failure(Problem(reason: "request line \(shown) has more than three words"))
            }
        }
        let method = words[0]
        guard method.allSatisfy(HTTPSyntax.isTokenCharacter) else {
            return .failure(Problem(reason: "request line \(shown): the method is not a token"))
        }
        let version = HTTPSyntax.decodeLeniently(words[2])
        guard HTTPVersionNumber(version) != nil else {
            return .failure(Problem(reason: "request line \(shown): \(Self.quoted(words[2])) is not HTTP/d.d"))
        }
        return .success(
            .request(
                method: HTTPSyntax.decodeLeniently(method),
                target: HTTPSyntax.decodeLeniently(words[1]),
                version: version
            )
        )
    }

    private static func parseStatusLine(_ line: [UInt8]) -> Result<StartLine, Problem> {
        var shown: String { Self.quoted(line) }  // only for a refusal: quoting costs more than parsing
        guard let versionEnd = line.firstIndex(where: { Self.isLineWhitespace($0) }) else {
            return .failure(Problem(reason: "status line \(shown) has no status code"))
        }
        let version = HTTPSyntax.decodeLeniently(line[..<versionEnd])
        guard HTTPVersionNumber(version) != nil else {
            return .failure(
                Problem(reason: "status line \(shown): \(Self.quoted(line[..<versionEnd])) is not HTTP/d.d")
            )
        }
        var statusStart = versionEnd
        while statusStart < line.count, Self.isLineWhitespace(line[statusStart]) {
            statusStart += 1
        }
        // RFC 9112 4: "The status-code element is a 3-digit integer code".
        let statusEnd = statusStart + 3
        guard statusEnd <= line.count,
            line[statusStart..<statusEnd].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            statusEnd == line.count || Self.isLineWhitespace(line[statusEnd])
        else {
            return .failure(Problem(reason: "status line \(shown) has no 3-digit status code"))
        }
        let status = line[statusStart..<statusEnd].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        // RFC 9112 4: "A client SHOULD ignore the reason-phrase content because it is not a reliable channel for
        // information (it might be translated for a given locale, overwritten by intermediaries, or discarded
        // when the message is forwarded via other versions of HTTP)." It is kept for display.
        var reasonStart = statusEnd
        if reasonStart < line.count {
            reasonStart += 1
        }
        var reasonEnd = line.count
        while reasonEnd > reasonStart, Self.isLineWhitespace(line[reasonEnd - 1]) {
            reasonEnd -= 1
        }
        return .success(
            .response(
                version: version,
                status: status,
                reason: HTTPSyntax.decodeLeniently(line[reasonStart..<max(reasonStart, reasonEnd)])
            )
        )
    }

    // MARK: Header fields

    /// Builds the head from the start line and the header field lines in ``buffer``.
    private func parseHead() -> HTTPHead {
        var lines = Self.lines(of: self.buffer)
        // The start line was parsed at its LF, so there is one.
        let startLine = lines.isEmpty ? Line(content: [], lfOffset: 0) : lines.removeFirst()
        if lines.last?.content.isEmpty == true {
            lines.removeLast()
        }
        var warnings = self.startLineWarnings(startLine)
        var fields: [(name: String, value: [UInt8])] = []
        var bareLFLines = 0
        for (offset, line) in lines.enumerated() {
            if !Self.endsWithCRLF(line, in: self.buffer) {
                bareLFLines += 1
            }
            Self.readFieldLine(line.content, number: offset + 2, into: &fields, warnings: &warnings)
        }
        if bareLFLines > 0 {
            warnings.append(
                HTTPHeadWarning(
                    line: 2,
                    message: "\(bareLFLines) header line(s) end with a bare LF",
                    rfcSection: "RFC 9112 2.2"
                )
            )
        }
        return self.head(fields: fields, warnings: warnings)
    }

    /// What is wrong with the start line's framing: line endings before it, a bare LF, irregular separators.
    private func startLineWarnings(_ startLine: Line) -> [HTTPHeadWarning] {
        var warnings: [HTTPHeadWarning] = []
        if self.leadingEmptyLineBytes > 0 {
            warnings.append(
                HTTPHeadWarning(
                    line: 1,
                    message: "\(self.leadingEmptyLineBytes) line-ending bytes before the start line were ignored",
                    rfcSection: "RFC 9112 2.2"
                )
            )
        }
        if !Self.endsWithCRLF(startLine, in: self.buffer) {
            warnings.append(
                HTTPHeadWarning(line: 1, message: "line ends with a bare LF", rfcSection: "RFC 9112 2.2")
            )
        }
        if case .request = self.kind, Self.hasIrregularSeparators(startLine.content) {
            warnings.append(
                HTTPHeadWarning(
                    line: 1,
                    message: "request line words are not separated by single spaces",
                    rfcSection: "RFC 9112 3"
                )
            )
        }
        return warnings
    }

    /// Reads one header field line (line `number` of the head) into `fields`: a new field, or an obs-fold joined to
    /// the previous one; anything malformed is a warning and, where the RFC says so, ignored.
    private static func readFieldLine(
        _ line: ArraySlice<UInt8>,
        number: Int,
        into fields: inout [(name: String, value: [UInt8])],
        warnings: inout [HTTPHeadWarning]
    ) {
        var content = Array(line)
        if content.contains(HTTPSyntax.cr) {
            // RFC 9112 2.2: "A recipient of such a bare CR MUST consider that element to be invalid or replace
            // each bare CR with SP before processing the element or forwarding the message."
            content = content.map { $0 == HTTPSyntax.cr ? HTTPSyntax.space : $0 }
            warnings.append(
                HTTPHeadWarning(line: number, message: "bare CR replaced by SP", rfcSection: "RFC 9112 2.2")
            )
        }
        if let first = content.first, HTTPSyntax.isWhitespace(first) {
            guard !fields.isEmpty else {
                // RFC 9112 2.2: "A recipient that receives whitespace between the start-line and the first
                // header field MUST either reject the message as invalid or consume each whitespace-preceded
                // line without further processing of it".
                warnings.append(
                    HTTPHeadWarning(
                        line: number,
                        message: "whitespace-preceded line before the first header field ignored",
                        rfcSection: "RFC 9112 2.2"
                    )
                )
                return
            }
            // RFC 9112 5.2: "A user agent that receives an obs-fold in a response message ... MUST replace each
            // received obs-fold with one or more SP octets prior to interpreting the field value." (A server
            // may do the same for a request.)
            let continuation = HTTPSyntax.trimmingWhitespace(content[...])
            var value = Array(HTTPSyntax.trimmingWhitespace(fields[fields.count - 1].value[...]))
            if !continuation.isEmpty {
                if !value.isEmpty {
                    value.append(HTTPSyntax.space)
                }
                value.append(contentsOf: continuation)
            }
            fields[fields.count - 1].value = value
            warnings.append(
                HTTPHeadWarning(
                    line: number,
                    message: "obsolete line folding joined to \(fields[fields.count - 1].name)",
                    rfcSection: "RFC 9112 5.2"
                )
            )
            return
        }
        guard let colon = content.firstIndex(of: UInt8(ascii: ":")) else {
            warnings.append(
                HTTPHeadWarning(
                    line: number,
                    message: "line \(Self.quoted(content)) has no colon; ignored",
                    rfcSection: "RFC 9112 5"
                )
            )
            return
        }
        var nameBytes = content[..<colon]
        if let last = nameBytes.last, HTTPSyntax.isWhitespace(last) {
            // RFC 9112 5.1: "No whitespace is allowed between the field name and colon. ... A server MUST
            // reject, with a response status code of 400 (Bad Request), any received request message that
            // contains whitespace between a header field name and colon."
            nameBytes = HTTPSyntax.trimmingWhitespace(nameBytes)
            warnings.append(
                HTTPHeadWarning(
                    line: number,
                    message: "whitespace between the field name and the colon",
                    rfcSection: "RFC 9112 5.1"
                )
            )
        }
        let name = HTTPSyntax.decodeLeniently(nameBytes)
        guard !nameBytes.isEmpty else {
            warnings.append(
                HTTPHeadWarning(
                    line: number,
                    message: "empty field name; line ignored",
                    rfcSection: "RFC 9110 5.1"
                )
            )
            return
        }
        if !nameBytes.allSatisfy(HTTPSyntax.isTokenCharacter) {
            // RFC 9110 5.1: "field-name = token".
            warnings.append(
                HTTPHeadWarning(
                    line: number,
                    message: "field name \(Self.quoted(nameBytes)) is not a token",
                    rfcSection: "RFC 9110 5.1"
                )
            )
        }
        let value = content[(colon + 1)...]
        if value.contains(0) {
            // RFC 9110 5.5: "Field values containing CR, LF, or NUL characters are invalid and dangerous".
            warnings.append(
                HTTPHeadWarning(
                    line: number,
                    message: "NUL byte in the value of \(name)",
                    rfcSection: "RFC 9110 5.5"
                )
            )
        }
        // RFC 9112 5.1: "A field line value might be preceded and/or followed by optional whitespace (OWS) ...
        // a parser ... excludes such whitespace prior to evaluating the field value."
        fields.append((name, Array(HTTPSyntax.trimmingWhitespace(value))))
    }

    /// The request or response head from its parsed start line and fields.
    private func head(fields: [(name: String, value: [UInt8])], warnings: [HTTPHeadWarning]) -> HTTPHead {
        var headers = HTTPHeaders()
        for field in fields {
            headers.append(name: field.name, value: HTTPSyntax.decodeLeniently(field.value))
        }
        let byteCount = self.consumedCount
        switch self.startLine {
        case .request(let method, let target, let version):
            return .request(
                HTTPRequestHead(
                    method: method,
                    target: target,
                    version: version,
                    headers: headers,
                    warnings: warnings,
                    byteCount: byteCount
                )
            )
        case .response(let version, let status, let reason):
            var warnings = warnings
            if !(100...599).contains(status) {
                // RFC 9110 15: "Values outside the range 100..599 are invalid."
                warnings.insert(
                    HTTPHeadWarning(
                        line: 1,
                        message: "status code \(status) is outside 100-599",
                        rfcSection: "RFC 9110 15"
                    ),
                    at: 0
                )
            }
            return .response(
                HTTPResponseHead(
                    version: version,
                    status: status,
                    reason: reason,
                    headers: headers,
                    warnings: warnings,
                    byteCount: byteCount
                )
            )
        case nil:
            // Unreachable: the start line is parsed before any header line is looked at.
            return .request(HTTPRequestHead(method: "", target: "", version: "", headers: headers, warnings: warnings))
        }
    }

    // MARK: Helpers

    private struct Line {
        /// The line without its line ending.
        var content: ArraySlice<UInt8>
        /// Offset of the LF that ends it.
        var lfOffset: Int
    }

    private static func lines(of buffer: [UInt8]) -> [Line] {
        var lines: [Line] = []
        var start = 0
        for (offset, byte) in buffer.enumerated() where byte == HTTPSyntax.lf {
            var end = offset
            if end > start, buffer[end - 1] == HTTPSyntax.cr {
                end -= 1
            }
            lines.append(Line(content: buffer[start..<end], lfOffset: offset))
            start = offset + 1
        }
        return lines
    }

    private static func endsWithCRLF(_ line: Line, in buffer: [UInt8]) -> Bool {
        line.lfOffset > 0 && buffer[line.lfOffset - 1] == HTTPSyntax.cr
    }

    private static func hasIrregularSeparators(_ line: ArraySlice<UInt8>) -> Bool {
        var previousWasSpace = true
        for byte in line {
            let isSpace = Self.isLineWhitespace(byte)
            if isSpace && (previousWasSpace || byte != HTTPSyntax.space) {
                return true
            }
            previousWasSpace = isSpace
        }
        return previousWasSpace
    }

    /// SP, HTAB, VT, FF and CR (a bare CR already replaced): the whitespace RFC 9112 3 lets a recipient split on.
    private static func isLineWhitespace(_ byte: UInt8) -> Bool {
        byte == HTTPSyntax.space || byte == HTTPSyntax.tab || byte == 0x0B || byte == 0x0C || byte == HTTPSyntax.cr
    }

    /// `bytes` as a quoted, shortened string for a message.
    private static func quoted(_ bytes: some Collection<UInt8>) -> String {
        let limit = 80
        var text = ""
        for byte in bytes.prefix(limit) {
            if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                text.append(Character(Unicode.Scalar(byte)))
            } else {
                text += "\\x" + Self.hex(byte)
            }
        }
        return "\"" + text + (bytes.count > limit ? "...\"" : "\"")
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
