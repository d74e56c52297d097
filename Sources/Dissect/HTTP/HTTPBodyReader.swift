/// How the body of an HTTP/1.x message is delimited (RFC 9112 6.3).
package enum HTTPBodyFraming: Hashable, Sendable {
    /// No body: the message ends with its head.
    case none
    /// Exactly this many bytes.
    case contentLength(Int)
    /// The chunked transfer coding (RFC 9112 7.1).
    case chunked
    /// Everything until the sender closes the connection.
    case untilClose

    /// The framing of a request's body, and a problem with its framing headers, if any.
    ///
    /// RFC 9112 6.3: "If this is a request message and none of the above are true, then the message body length
    /// is zero (no message body is present)."
    package static func of(_ request: HTTPRequestHead) -> (framing: HTTPBodyFraming, problem: String?) {
        Self.fromHeaders(request.headers, isRequest: true)
    }

    /// The framing of a response's body, and a problem with its framing headers, if any.
    ///
    /// - Parameter requestMethod: the method of the request it answers, when known (`HEAD` and `CONNECT` matter).
    package static func of(
        _ response: HTTPResponseHead,
        requestMethod: String?
    ) -> (framing: HTTPBodyFraming, problem: String?) {
        // RFC 9112 6.3: "1. Any response to a HEAD request and any response with a 1xx (Informational), 204 (No
        // Content), or 304 (Not Modified) status code is always terminated by the first empty line after the header
        // fields, regardless of the header fields present in the message, and thus cannot contain a message body or
        // trailer section."
        if requestMethod == "HEAD" || response.isInformational || response.status == 204 || response.status == 304 {
            return (.none, nil)
        }
        // RFC 9112 6.3: "2. Any 2xx (Successful) response to a CONNECT request implies that the connection will
        // become a tunnel immediately after the empty line that concludes the header fields."
        if requestMethod == "CONNECT", (200...299).contains(response.status) {
            return (.none, nil)
        }
        return Self.fromHeaders(response.headers, isRequest: false)
    }

    private static func fromHeaders(
        _ headers: HTTPHeaders,
        isRequest: Bool
    ) -> (framing: HTTPBodyFraming, problem: String?) {
        let codings = headers.tokens("transfer-encoding")
        if headers.contains("transfer-encoding") {
            // RFC 9112 6.3: "3. If a message is received with both a Transfer-Encoding and a Content-Length header
            // field, the Transfer-Encoding overrides the Content-Length. Such a message might indicate an attempt to
            // perform request smuggling (Section 11.2) or response splitting (Section 11.1) and ought to be handled
            // as an error."
            let both = headers.contains("content-length")
            let smuggling = both ? "both Transfer-Encoding and Content-Length (RFC 9112 6.3)" : nil
            let final = codings.last.map { String($0.prefix { $0 != ";" && $0 != " " && $0 != "\t" }) }
            if final == "chunked" {
                return (.chunked, smuggling)
            }
            // RFC 9112 6.3: "4. ... If a Transfer-Encoding header field is present in a response and the chunked
            // transfer coding is not the final encoding, the message body length is determined by reading the
            // connection until it is closed by the server. If a Transfer-Encoding header field is present in a
            // request and the chunked transfer coding is not the final encoding, the message body length cannot be
            // determined reliably; the server MUST respond with the 400 (Bad Request) status code and then close
            // the connection."
            let problem =
                isRequest
                ? "request Transfer-Encoding does not end in chunked: body length unknown (RFC 9112 6.3)"
                : smuggling
            return (.untilClose, problem)
        }
        let lengths = headers.elements("content-length")
        guard let first = lengths.first else {
            return (isRequest ? .none : .untilClose, nil)
        }
        // RFC 9110 8.6: "Content-Length = 1*DIGIT" ... "a recipient of a Content-Length header field value consisting
        // of the same decimal value repeated as a list ... MAY ... treat that value as a single value".
        // RFC 9112 6.3: "5. If a message is received without Transfer-Encoding and with an invalid Content-Length
        // header field, then the message framing is invalid and the recipient MUST treat it as an unrecoverable
        // error".
        guard lengths.allSatisfy({ $0 == first }), let length = Self.decimal(first) else {
            return (.untilClose, "invalid Content-Length \(headers.values("content-length")) (RFC 9112 6.3)")
        }
        return (length == 0 ? .none : .contentLength(length), nil)
    }

    private static func decimal(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 18,
            text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else {
            return nil
        }
        return Int(text)
    }
}

/// Reads one HTTP/1.x message body incrementally, keeping its first bytes as text for display.
///
/// `ws` answers a failed upgrade with `HTTP/1.1 400 Bad Request` and a short text body that states the reason;
/// the reader keeps up to `textLimit` decoded bytes of it. Chunked bodies are decoded (chunk sizes, extensions
/// and trailers are consumed but not kept). Like the head parser, the reader never traps: a chunked body it
/// cannot read sets ``problem`` and stops consuming.
package struct HTTPBodyReader: Sendable {
    package let framing: HTTPBodyFraming
    package let textLimit: Int
    /// Body bytes seen so far, after chunked decoding.
    package private(set) var bodyLength = 0
    /// The first ``textLimit`` body bytes.
    package private(set) var keptBytes: [UInt8] = []
    /// Whether the body has ended.
    package private(set) var isComplete = false
    /// Why a chunked body could not be read; the reader consumes nothing more.
    package private(set) var problem: String?

    private var state: State

    private enum State: Sendable {
        case done
        case remaining(Int)
        case untilClose
        /// Reading the hex size of a chunk (RFC 9112 7.1: `chunk-size = 1*HEXDIG`).
        case chunkSize(value: Int, digits: Int)
        /// After the size: whitespace and chunk extensions up to the line end.
        case chunkExtension(value: Int, length: Int)
        case chunkData(remaining: Int)
        /// Expecting the CRLF after chunk data; `sawCR` once its CR arrived.
        case chunkDataEnd(sawCR: Bool)
        /// In the trailer section; `lineLength` counts non-CR bytes of the current line.
        case trailer(lineLength: Int, total: Int)
    }

    /// The longest chunk extension or trailer section accepted.
    private static let maxChunkMetadata = 16_384

    package init(framing: HTTPBodyFraming, textLimit: Int = 4_096) {
        self.framing = framing
        self.textLimit = max(0, textLimit)
        switch framing {
        case .none:
            self.state = .done
            self.isComplete = true
        case .contentLength(let length):
            self.state = length > 0 ? .remaining(length) : .done
            self.isComplete = length <= 0
        case .chunked:
            self.state = .chunkSize(value: 0, digits: 0)
        case .untilClose:
            self.state = .untilClose
        }
    }

    /// The kept bytes as text (UTF-8, or ISO-8859-1 when not valid UTF-8).
    package var text: String {
        HTTPSyntax.decodeLeniently(self.keptBytes)
    }

    /// Whether the body is longer than what was kept.
    package var isTruncated: Bool {
        self.bodyLength > self.keptBytes.count
    }

    /// Consumes body bytes; returns how many were consumed and whether the body has ended. Bytes after the end of
    /// the body are not consumed: they belong to the next message or to WebSocket frames.
    package mutating func feed(_ bytes: UnsafeRawBufferPointer) -> (consumed: Int, complete: Bool) {
        var index = 0
        while index < bytes.count, !self.isComplete, self.problem == nil {
            switch self.state {
            case .done:
                self.isComplete = true
            case .remaining(let remaining):
                let count = min(remaining, bytes.count - index)
                self.keep(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + count)]))
                index += count
                if count == remaining {
                    self.state = .done
                    self.isComplete = true
                } else {
                    self.state = .remaining(remaining - count)
                }
            case .untilClose:
                self.keep(UnsafeRawBufferPointer(rebasing: bytes[index...]))
                index = bytes.count
            case .chunkData(let remaining):
                let count = min(remaining, bytes.count - index)
                self.keep(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + count)]))
                index += count
                self.state = count == remaining ? .chunkDataEnd(sawCR: false) : .chunkData(remaining: remaining - count)
            case .chunkSize, .chunkExtension, .chunkDataEnd, .trailer:
                self.chunkMetadataByte(bytes[index])
                index += 1
            }
        }
        return (index, self.isComplete)
    }

    /// Feeds the bytes of an array (a convenience for tests and small inputs).
    package mutating func feed(_ bytes: [UInt8]) -> (consumed: Int, complete: Bool) {
        bytes.withUnsafeBytes { self.feed($0) }
    }

    /// The sender closed the connection: a body read until close is complete; any other unfinished body stays
    /// incomplete (the capture or the connection was cut).
    package mutating func finish() {
        if case .untilClose = self.state {
            self.state = .done
            self.isComplete = true
        }
    }

    private mutating func keep(_ bytes: UnsafeRawBufferPointer) {
        self.bodyLength += bytes.count
        let room = self.textLimit - self.keptBytes.count
        if room > 0 {
            self.keptBytes.append(contentsOf: bytes.prefix(room))
        }
    }

    /// One byte of chunked framing (RFC 9112 7.1):
    ///
    /// ```
    /// chunked-body   = *chunk last-chunk trailer-section CRLF
    /// chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
    /// last-chunk     = 1*("0") [ chunk-ext ] CRLF
    /// chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
    /// ```
    private mutating func chunkMetadataByte(_ byte: UInt8) {
        switch self.state {
        case .chunkSize(let value, let digits):
            if let digit = Self.hexValue(byte) {
                // RFC 9112 7.1: "Recipients MUST anticipate potentially large hexadecimal numerals and prevent
                // parsing errors due to integer conversion overflows or precision loss due to integer
                // representation."
                guard value <= (Int.max - 15) / 16 else {
                    self.problem = "chunk size overflows (RFC 9112 7.1)"
                    return
                }
                self.state = .chunkSize(value: value * 16 + digit, digits: digits + 1)
            } else if digits == 0 {
                self.problem = "chunk size missing before byte 0x\(String(byte, radix: 16)) (RFC 9112 7.1)"
            } else if byte == HTTPSyntax.lf {
                self.endOfChunkSizeLine(value)
            } else {
                self.state = .chunkExtension(value: value, length: 1)
            }
        case .chunkExtension(let value, let length):
            if byte == HTTPSyntax.lf {
                self.endOfChunkSizeLine(value)
            } else if length >= Self.maxChunkMetadata {
                self.problem = "chunk extension longer than \(Self.maxChunkMetadata) bytes"
            } else {
                self.state = .chunkExtension(value: value, length: length + 1)
            }
        case .chunkDataEnd(let sawCR):
            if byte == HTTPSyntax.lf {
                self.state = .chunkSize(value: 0, digits: 0)
            } else if byte == HTTPSyntax.cr && !sawCR {
                self.state = .chunkDataEnd(sawCR: true)
            } else {
                self.problem = "chunk data not followed by CRLF (RFC 9112 7.1)"
            }
        case .trailer(let lineLength, let total):
            // RFC 9112 7.1.2: "A recipient that removes the chunked coding from a message MAY selectively retain or
            // discard the received trailer fields." They are discarded.
            if byte == HTTPSyntax.lf {
                if lineLength == 0 {
                    self.state = .done
                    self.isComplete = true
                } else {
                    self.state = .trailer(lineLength: 0, total: total + 1)
                }
            } else if total >= Self.maxChunkMetadata {
                self.problem = "trailer section longer than \(Self.maxChunkMetadata) bytes"
            } else {
                self.state = .trailer(lineLength: byte == HTTPSyntax.cr ? lineLength : lineLength + 1, total: total + 1)
            }
        case .done, .remaining, .untilClose, .chunkData:
            break
        }
    }

    private mutating func endOfChunkSizeLine(_ size: Int) {
        // RFC 9112 7.1: "The chunked transfer coding is complete when a chunk with a chunk-size of zero is
        // received, possibly followed by a trailer section, and finally terminated by an empty line."
        self.state = size == 0 ? .trailer(lineLength: 0, total: 0) : .chunkData(remaining: size)
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }
}
