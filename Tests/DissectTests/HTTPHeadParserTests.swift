import Testing

@testable import Dissect

struct HTTPHeadParserTests {
    typealias Samples = HTTPUpgradeSamples

    /// Feeds `bytes` in pieces of `pieceSize` until a result; returns the total consumed and the result.
    private static func feed(
        _ bytes: [UInt8],
        kind: HTTPHeadParser.Kind,
        pieceSize: Int,
        maxHeadBytes: Int = 65_536
    ) -> (consumed: Int, result: HTTPHeadResult?) {
        var parser = HTTPHeadParser(kind: kind, maxHeadBytes: maxHeadBytes)
        var consumed = 0
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + pieceSize)
            let (used, result) = parser.feed(Array(bytes[offset..<end]))
            #expect(used <= end - offset)
            consumed += used
            if let result {
                #expect(parser.feed(Array(bytes[end...])).consumed == 0)
                return (consumed, result)
            }
            #expect(used == end - offset)
            offset = end
        }
        return (consumed, nil)
    }

    @Test func parsesTheWSClientUpgradeRequest() throws {
        let bytes = Samples.bytes(Samples.wsClientRequest)
        let (consumed, result) = Self.feed(bytes, kind: .request, pieceSize: bytes.count)
        #expect(consumed == bytes.count)
        guard case .head(.request(let head)) = result else {
            Issue.record("expected a request head, got \(String(describing: result))")
            return
        }
        #expect(head.method == "GET")
        #expect(head.target == "/path")
        #expect(head.version == "HTTP/1.1")
        #expect(head.versionNumber == HTTPVersionNumber(major: 1, minor: 1))
        #expect(head.byteCount == bytes.count)
        #expect(head.warnings.isEmpty)
        #expect(head.headers.count == 6)
        #expect(head.headers.map(\.name).first == "Sec-WebSocket-Version")
        #expect(head.headers.first("host") == "127.0.0.1:42919")
        #expect(head.headers.first("SEC-WEBSOCKET-KEY") == "qahP4HKA9p47jHXBgcoaKg==")
        #expect(head.headers.tokens("connection") == ["upgrade"])
        #expect(head.headers.first("sec-websocket-extensions") == "permessage-deflate; client_max_window_bits")
        #expect(head.headers.first("origin") == nil)
    }

    @Test(arguments: [Samples.wsClientRequest, Samples.rfcClientRequest, Samples.pythonClientRequest])
    func oneByteAtATimeGivesTheSameResult(text: String) {
        let bytes = Samples.bytes(text)
        let whole = Self.feed(bytes, kind: .request, pieceSize: bytes.count)
        let byByte = Self.feed(bytes, kind: .request, pieceSize: 1)
        #expect(whole.consumed == bytes.count)
        #expect(byByte.consumed == whole.consumed)
        #expect(byByte.result == whole.result)
        #expect(whole.result != nil)
    }

    @Test func everyTwoPieceSplitGivesTheSameResult() {
        let bytes = Samples.bytes(Samples.pythonServerResponse)
        let whole = Self.feed(bytes, kind: .response, pieceSize: bytes.count)
        for split in 1..<bytes.count {
            var parser = HTTPHeadParser(kind: .response)
            let first = parser.feed(Array(bytes[..<split]))
            #expect(first.consumed == split && first.result == nil)
            let second = parser.feed(Array(bytes[split...]))
            #expect(first.consumed + second.consumed == bytes.count)
            #expect(second.result == whole.result)
        }
    }

    @Test func bytesAfterTheHeadAreNotConsumed() {
        let head = Samples.bytes(Samples.wsServerResponse)
        let bytes = head + Samples.unmaskedHelloFrame
        var parser = HTTPHeadParser(kind: .response)
        let (consumed, result) = parser.feed(bytes)
        #expect(consumed == head.count)
        guard case .head(.response(let response)) = result else {
            Issue.record("expected a response head")
            return
        }
        #expect(response.status == 101)
        #expect(response.reason == "Switching Protocols")
        #expect(response.headers.first("sec-websocket-accept") == "csijM8sNFtKBM2xeBxZVLhfk2Hk=")
        #expect(Array(bytes[consumed...]) == Samples.unmaskedHelloFrame)
        // Done: nothing more is consumed until reset.
        #expect(parser.feed(Samples.unmaskedHelloFrame).consumed == 0)
    }

    @Test func resetParsesTheNextHead() {
        let first = Samples.bytes("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        let second = Samples.bytes("GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        var parser = HTTPHeadParser(kind: .request)
        let bytes = first + second
        let one = parser.feed(bytes)
        #expect(one.consumed == first.count)
        parser.reset()
        let two = parser.feed(Array(bytes[one.consumed...]))
        #expect(two.consumed == second.count)
        guard case .head(.request(let head)) = two.result else {
            Issue.record("expected a second request")
            return
        }
        #expect(head.target == "/b")
    }

    @Test func toleratesBareLFAndWhitespaceAroundValues() {
        let text = "GET /x HTTP/1.1\nHost:   example.com  \n\tUpgrade :websocket\nUpgrade:\t websocket \t\n\n"
        guard let head = Samples.request(text) else {
            Issue.record("expected a request")
            return
        }
        // The tab-led line is an obs-fold: it continues Host.
        #expect(head.headers.first("host") == "example.com Upgrade :websocket")
        #expect(head.headers.first("upgrade") == "websocket")
        #expect(head.headers.count == 2)
        #expect(head.warnings.contains { $0.rfcSection == "RFC 9112 2.2" && $0.message.contains("bare LF") })
        #expect(head.warnings.contains { $0.rfcSection == "RFC 9112 5.2" })
    }

    @Test func joinsObsoleteLineFolding() {
        let text = "HTTP/1.1 400 Bad Request\r\nX-Reason: first part\r\n  second part\r\n\tthird\r\nB: 1\r\n\r\n"
        guard let head = Samples.response(text) else {
            Issue.record("expected a response")
            return
        }
        #expect(head.headers.first("x-reason") == "first part second part third")
        #expect(head.headers.first("b") == "1")
        #expect(head.warnings.filter { $0.rfcSection == "RFC 9112 5.2" }.count == 2)
    }

    @Test func recordsWhitespaceBeforeColonAndBadNames() {
        let text = "GET / HTTP/1.1\r\nHost : a\r\nBad Name: b\r\nno colon here\r\n: empty\r\n\r\n"
        guard let head = Samples.request(text) else {
            Issue.record("expected a request")
            return
        }
        #expect(head.headers.first("host") == "a")
        #expect(head.headers.first("bad name") == "b")
        #expect(head.headers.count == 2)
        #expect(head.warnings.contains { $0.rfcSection == "RFC 9112 5.1" && $0.line == 2 })
        #expect(head.warnings.contains { $0.message.contains("not a token") && $0.line == 3 })
        #expect(head.warnings.contains { $0.message.contains("no colon") && $0.line == 4 })
        #expect(head.warnings.contains { $0.message.contains("empty field name") && $0.line == 5 })
    }

    @Test func ignoresEmptyLinesBeforeTheRequestLine() {
        let bytes = Samples.bytes("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        let (consumed, result) = Self.feed(bytes, kind: .request, pieceSize: 1)
        #expect(consumed == bytes.count)
        guard case .head(.request(let head)) = result else {
            Issue.record("expected a request")
            return
        }
        #expect(head.byteCount == bytes.count)
        #expect(head.warnings.contains { $0.message.contains("before the start line") })
    }

    @Test func toleratesIrregularRequestLineSpacing() {
        guard let head = Samples.request("GET  /x\tHTTP/1.1 \r\n\r\n") else {
            Issue.record("expected a request")
            return
        }
        #expect(head.target == "/x")
        #expect(head.warnings.contains { $0.rfcSection == "RFC 9112 3" })
    }

    @Test func statusLineVariants() {
        #expect(Samples.response("HTTP/1.1 200\r\n\r\n")?.reason == "")
        #expect(Samples.response("HTTP/1.1 200 \r\n\r\n")?.reason == "")
        #expect(Samples.response("HTTP/1.0 404 Not  Found\r\n\r\n")?.reason == "Not  Found")
        #expect(
            Samples.response("HTTP/1.0 404 Not Found\r\n\r\n")?.versionNumber == HTTPVersionNumber(major: 1, minor: 0)
        )
        let odd = Samples.response("HTTP/1.1 600 Odd\r\n\r\n")
        #expect(odd?.status == 600)
        #expect(odd?.warnings.first?.rfcSection == "RFC 9110 15")
    }

    @Test func decodesHeaderBytesLeniently() {
        // UTF-8 "é", then a lone latin-1 0xE9.
        var bytes = Samples.bytes("HTTP/1.1 200 OK\r\nA: caf")
        bytes += [0xC3, 0xA9]
        bytes += Samples.bytes("\r\nB: caf")
        bytes += [0xE9]
        bytes += Samples.bytes("\r\n\r\n")
        var parser = HTTPHeadParser(kind: .response)
        guard case .head(.response(let head)) = parser.feed(bytes).result else {
            Issue.record("expected a response")
            return
        }
        #expect(head.headers.first("a") == "café")
        #expect(head.headers.first("b") == "café")
    }

    @Test(
        arguments: [
            ("GET /\r\n\r\n", HTTPHeadParser.Kind.request),
            ("GET / HTTP/1.1 extra\r\n\r\n", .request),
            ("GET / HTTP/1\r\n\r\n", .request),
            ("GET / http/1.1\r\n\r\n", .request),
            ("G(T / HTTP/1.1\r\n\r\n", .request),
            ("HTTP/1.1 20 OK\r\n\r\n", .response),
            ("HTTP/1.1 2000 OK\r\n\r\n", .response),
            ("HTTP/1.1\r\n\r\n", .response),
            ("HTTP/11 200 OK\r\n\r\n", .response),
            ("http/1.1 200 OK\r\n\r\n", .response),
            ("GET / HTTP/1.1\r\n\r\n", .response),
        ]
    )
    func rejectsBadStartLines(text: String, kind: HTTPHeadParser.Kind) {
        let bytes = Samples.bytes(text)
        let whole = Self.feed(bytes, kind: kind, pieceSize: bytes.count)
        let byByte = Self.feed(bytes, kind: kind, pieceSize: 1)
        guard case .malformed(let reason) = whole.result else {
            Issue.record("expected malformed for \(text.debugDescription), got \(String(describing: whole.result))")
            return
        }
        #expect(!reason.isEmpty)
        #expect(byByte.result == whole.result)
        #expect(byByte.consumed == whole.consumed)
    }

    @Test func rejectsNonHTTPFromTheFirstByte() {
        // A TLS ClientHello and a WebSocket frame: no need to wait for a line.
        let tls: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC]
        var request = HTTPHeadParser(kind: .request)
        let (consumed, result) = request.feed(tls)
        #expect(consumed == 1)
        if case .malformed(let reason) = result {
            #expect(reason.contains("0x16"))
        } else {
            Issue.record("expected malformed")
        }
        var response = HTTPHeadParser(kind: .response)
        #expect(response.feed(Samples.unmaskedHelloFrame).consumed == 1)
    }

    /// Header lines are taken up to their LF at once: the size limit must still fall on the same byte, wherever it
    /// lands (in the start line, inside a header line, on a CR or LF, at the empty line), for any piece size.
    @Test func theSizeLimitFallsOnTheSameByteForEveryPieceSize() {
        let bytes = Samples.bytes(Samples.wsClientRequest)
        for limit in 1...bytes.count + 1 {
            let byByte = Self.feed(bytes, kind: .request, pieceSize: 1, maxHeadBytes: limit)
            for pieceSize in [2, 3, 7, 64, bytes.count] {
                let pieces = Self.feed(bytes, kind: .request, pieceSize: pieceSize, maxHeadBytes: limit)
                #expect(pieces.consumed == byByte.consumed, "limit \(limit), pieces of \(pieceSize)")
                #expect(pieces.result == byByte.result, "limit \(limit), pieces of \(pieceSize)")
            }
            #expect((byByte.result == .tooLarge) == (limit < bytes.count), "limit \(limit)")
        }
    }

    /// The start line is checked byte by byte but kept in runs: a byte refused in the method (a request) or in
    /// "HTTP/" (a response) is refused at that byte; anywhere in the line, every piece size gives the same result.
    @Test func aRefusedStartLineByteIsTheSameForEveryPieceSize() {
        let request = Samples.bytes("GET /chat HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = Samples.bytes("HTTP/1.1 101 Switching Protocols\r\n\r\n")
        for (kind, good, checked) in [(HTTPHeadParser.Kind.request, request, 3), (.response, response, 5)] {
            for offset in 0..<12 {
                var bytes = good
                bytes[offset] = 0x01
                let byByte = Self.feed(bytes, kind: kind, pieceSize: 1)
                if offset < checked {
                    guard case .malformed(let reason) = byByte.result else {
                        Issue.record("\(kind) with 0x01 at \(offset) was not refused")
                        continue
                    }
                    #expect(byByte.consumed == offset + 1)
                    #expect(reason.contains("offset \(offset)"), "\(reason)")
                }
                for pieceSize in [2, 3, 5, bytes.count] {
                    let pieces = Self.feed(bytes, kind: kind, pieceSize: pieceSize)
                    #expect(pieces.consumed == byByte.consumed && pieces.result == byByte.result)
                }
            }
        }
    }

    @Test func oversizedHeadIsTooLarge() {
        let bytes = Samples.bytes("GET / HTTP/1.1\r\nX-Padding: " + String(repeating: "a", count: 200) + "\r\n\r\n")
        let whole = Self.feed(bytes, kind: .request, pieceSize: bytes.count, maxHeadBytes: 64)
        let byByte = Self.feed(bytes, kind: .request, pieceSize: 1, maxHeadBytes: 64)
        #expect(whole.result == .tooLarge)
        #expect(whole.consumed == 64)
        #expect(byByte.result == .tooLarge)
        #expect(byByte.consumed == 64)
        // Endless empty lines count too.
        let empty = Self.feed([UInt8](repeating: 0x0A, count: 100), kind: .request, pieceSize: 7, maxHeadBytes: 64)
        #expect(empty.result == .tooLarge)
        // A head of exactly the limit fits.
        let exact = Samples.bytes("GET / HTTP/1.1\r\n\r\n")
        #expect(Self.feed(exact, kind: .request, pieceSize: 1, maxHeadBytes: exact.count).consumed == exact.count)
    }

    @Test func randomBytesNeverCrash() {
        var generator = SplitMix64(seed: 0x5EED)
        let alphabet = Samples.bytes("GET HTTP/1.1 200 :\r\n\t a") + [0x00, 0xFF, 0xC3, 0x0B]
        for round in 0..<3_000 {
            let length = Int(generator.next() % 200)
            let bytes = (0..<length).map { _ in
                round % 2 == 0
                    ? alphabet[Int(generator.next() % UInt64(alphabet.count))]
                    : UInt8(truncatingIfNeeded: generator.next())
            }
            let piece = 1 + Int(generator.next() % 16)
            for kind in [HTTPHeadParser.Kind.request, .response] {
                let result = Self.feed(bytes, kind: kind, pieceSize: piece, maxHeadBytes: 150)
                #expect(result.consumed <= bytes.count)
            }
        }
    }

    @Test func headersLookups() {
        let headers = HTTPHeaders([
            ("Connection", "keep-alive, Upgrade"),
            ("X-List", "a, \"b, c\", ,d"),
            ("connection", "close"),
        ])
        #expect(headers.values("CONNECTION") == ["keep-alive, Upgrade", "close"])
        #expect(headers.tokens("Connection") == ["keep-alive", "upgrade", "close"])
        #expect(headers.elements("x-list") == ["a", "\"b, c\"", "d"])
        #expect(headers.contains("x-LIST"))
        #expect(!headers.contains("x-list-2"))
        #expect(headers.first("missing") == nil)
    }

    /// Lists without a quotation mark take a faster path: the same elements as splitting on every comma, trimming
    /// spaces and tabs and dropping empty ones (RFC 9110 5.6.1), whatever the spacing; with a quoted comma the
    /// general path keeps the quoted string whole.
    @Test(arguments: [
        "", ",", " , ,", "websocket", " Upgrade ", "keep-alive, Upgrade", "a,b", "a ,\tb\t, c ,",
        "permessage-deflate; client_max_window_bits, x-webkit-deflate-frame", ",,a,,b,,", "\t", "é, ü ,€",
    ])
    func listsSplitOnCommasOutsideQuotes(value: String) {
        func trimmed(_ part: Substring) -> String {
            var part = part
            while let first = part.first, first == " " || first == "\t" { part.removeFirst() }
            while let last = part.last, last == " " || last == "\t" { part.removeLast() }
            return String(part)
        }
        let expected = value.split(separator: ",", omittingEmptySubsequences: false).map(trimmed).filter { !$0.isEmpty }
        #expect(HTTPHeaders.splitList(value) == expected)
        #expect(HTTPHeaders.splitList(value + ", \"x, y\"") == expected + ["\"x, y\""])
    }
}

/// A small deterministic generator for the random-input tests.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
