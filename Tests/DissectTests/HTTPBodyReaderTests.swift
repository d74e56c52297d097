import Testing

@testable import Dissect

struct HTTPBodyReaderTests {
    typealias Samples = HTTPUpgradeSamples

    /// Feeds `bytes` in pieces of `pieceSize`; returns the total consumed.
    private static func read(_ reader: inout HTTPBodyReader, _ bytes: [UInt8], pieceSize: Int) -> Int {
        var consumed = 0
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + pieceSize)
            let (used, complete) = reader.feed(Array(bytes[offset..<end]))
            consumed += used
            if complete || reader.problem != nil {
                return consumed
            }
            offset = end
        }
        return consumed
    }

    @Test func theWSRejectionBodyIsKeptAsText() throws {
        let bytes = Samples.bytes(Samples.wsRejection)
        var parser = HTTPHeadParser(kind: .response)
        let (headLength, result) = parser.feed(bytes)
        guard case .head(.response(let head)) = result else {
            Issue.record("expected a response")
            return
        }
        #expect(head.status == 400)
        #expect(head.reason == "Bad Request")
        // The real length of ws's message.
        #expect(Samples.wsRejectionBody.utf8.count == 43)
        #expect(head.headers.first("content-length") == "43")
        let (framing, problem) = HTTPBodyFraming.of(head, requestMethod: "GET")
        #expect(framing == .contentLength(43))
        #expect(problem == nil)
        for pieceSize in [1, 5, 100] {
            var reader = HTTPBodyReader(framing: framing)
            let consumed = Self.read(&reader, Array(bytes[headLength...]), pieceSize: pieceSize)
            #expect(consumed == 43)
            #expect(reader.isComplete)
            #expect(reader.text == Samples.wsRejectionBody)
            #expect(!reader.isTruncated)
        }
    }

    @Test func bytesAfterAContentLengthBodyAreNotConsumed() {
        var reader = HTTPBodyReader(framing: .contentLength(3))
        let (consumed, complete) = reader.feed(Samples.bytes("abcGET /next"))
        #expect(consumed == 3)
        #expect(complete)
        #expect(reader.text == "abc")
        #expect(reader.feed(Samples.bytes("more")).consumed == 0)
    }

    @Test func keepsOnlyUpToTheTextLimit() {
        var reader = HTTPBodyReader(framing: .contentLength(10_000), textLimit: 4_096)
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 10_000)
        #expect(Self.read(&reader, body, pieceSize: 999) == 10_000)
        #expect(reader.isComplete)
        #expect(reader.bodyLength == 10_000)
        #expect(reader.keptBytes.count == 4_096)
        #expect(reader.isTruncated)
    }

    @Test(arguments: [1, 2, 7, 1_000])
    func decodesChunkedBodies(pieceSize: Int) {
        let body = Samples.bytes(
            "4\r\nMiss\r\n1b;ext=\"a;b\"\r\ning or invalid Sec-WebSocke\r\nc\nt-Key header\n0\r\nX-Trailer: 1\r\n\r\nNEXT"
        )
        var reader = HTTPBodyReader(framing: .chunked)
        let consumed = Self.read(&reader, body, pieceSize: pieceSize)
        #expect(reader.problem == nil)
        #expect(reader.isComplete)
        #expect(consumed == body.count - 4)
        #expect(reader.text == Samples.wsRejectionBody)
        #expect(reader.bodyLength == 43)
    }

    @Test(
        arguments: [
            "x\r\n",
            "5\r\nabcdeXY",
            "FFFFFFFFFFFFFFFFFF\r\n",
        ]
    )
    func badChunkedFramingStopsWithAProblem(text: String) {
        var reader = HTTPBodyReader(framing: .chunked)
        let bytes = Samples.bytes(text)
        let consumed = Self.read(&reader, bytes, pieceSize: 1)
        #expect(reader.problem != nil)
        #expect(!reader.isComplete)
        #expect(consumed <= bytes.count)
        #expect(reader.feed(bytes).consumed == 0)
    }

    @Test func untilCloseCompletesOnFinish() {
        var reader = HTTPBodyReader(framing: .untilClose)
        #expect(reader.feed(Samples.bytes("Bad things")) == (10, false))
        #expect(!reader.isComplete)
        reader.finish()
        #expect(reader.isComplete)
        #expect(reader.text == "Bad things")
        var cut = HTTPBodyReader(framing: .contentLength(5))
        _ = cut.feed(Samples.bytes("ab"))
        cut.finish()
        #expect(!cut.isComplete)
    }

    @Test func noBodyIsCompleteAtOnce() {
        var reader = HTTPBodyReader(framing: .none)
        #expect(reader.isComplete)
        #expect(reader.feed(Samples.bytes("GET")) == (0, true))
    }

    @Test func requestFraming() {
        func framing(_ headers: [(String, String)]) -> (HTTPBodyFraming, String?) {
            let result = HTTPBodyFraming.of(
                HTTPRequestHead(method: "POST", target: "/", headers: HTTPHeaders(headers))
            )
            return (result.framing, result.problem)
        }
        // RFC 9112 6.3: no Content-Length or Transfer-Encoding means no body in a request.
        #expect(framing([("Host", "a")]) == (.none, nil))
        #expect(framing([("Content-Length", "12")]) == (.contentLength(12), nil))
        #expect(framing([("Content-Length", "12, 12")]) == (.contentLength(12), nil))
        #expect(framing([("Content-Length", "0")]) == (.none, nil))
        #expect(framing([("Transfer-Encoding", "gzip, Chunked")]) == (.chunked, nil))
        #expect(framing([("Content-Length", "12"), ("Content-Length", "13")]).1 != nil)
        #expect(framing([("Content-Length", "-1")]).1 != nil)
        #expect(framing([("Content-Length", "1e3")]).1 != nil)
        #expect(framing([("Transfer-Encoding", "gzip")]).1 != nil)
        let smuggled = framing([("Transfer-Encoding", "chunked"), ("Content-Length", "5")])
        #expect(smuggled.0 == .chunked)
        #expect(smuggled.1 != nil)
    }

    @Test func responseFraming() {
        func framing(_ status: Int, _ headers: [(String, String)], method: String? = "GET") -> HTTPBodyFraming {
            let head = HTTPResponseHead(status: status, reason: "", headers: HTTPHeaders(headers))
            return HTTPBodyFraming.of(head, requestMethod: method).framing
        }
        #expect(framing(101, [("Content-Length", "5")]) == .none)
        #expect(framing(100, []) == .none)
        #expect(framing(204, [("Content-Length", "5")]) == .none)
        #expect(framing(304, []) == .none)
        #expect(framing(200, [("Content-Length", "5")], method: "HEAD") == .none)
        #expect(framing(200, [], method: "CONNECT") == .none)
        #expect(framing(200, []) == .untilClose)
        #expect(framing(200, [], method: nil) == .untilClose)
        #expect(framing(400, [("Content-Length", "43")]) == .contentLength(43))
        #expect(framing(200, [("Transfer-Encoding", "chunked")]) == .chunked)
        #expect(framing(200, [("Transfer-Encoding", "gzip")]) == .untilClose)
        #expect(framing(200, [("Content-Length", "x")]) == .untilClose)
    }
}
