import CZlib
import Dissect
import Testing

/// Skipping the gateway's chat by length, and the handshake checks made once at the 101, on inline bytes (cases found
/// in review).
@Suite struct ChatSkipTests {
    /// The client's request can complete after the 101 in capture order (the request's last segment filed after
    /// it); `HTTPConversation` still pairs them, and the summary's handshake must see the request.
    @Test func handshakeCompletedAfterThe101KeepsTheRequest() {
        let request = WebSocketConnectionAnalyzerTests.request
        let split = 30  // inside the request head
        let summary = WebSocketConnectionAnalyzerTests.analyze([
            (.client, Array(request[..<split])),
            (.server, WebSocketConnectionAnalyzerTests.response),
            (.client, Array(request[split...])),
            (.server, wsFrame(0x1, Array("hi".utf8))),
        ])
        #expect(summary.kind == .upgraded)
        #expect(summary.handshake?.key == "dGhlIHNhbXBsZSBub25jZQ==")
        #expect(summary.handshake?.acceptValid == true)
        #expect(summary.handshake?.method == "GET")
    }
}

/// A deflater that keeps its context across messages (RFC 7692 context takeover).
final class ContextDeflater {
    var stream = z_stream()
    init() { _ = wssniff_deflateInit2(&self.stream, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) }
    deinit { deflateEnd(&self.stream) }
    func compress(_ input: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var input = input
        input.withUnsafeMutableBufferPointer { source in
            self.stream.next_in = source.baseAddress
            self.stream.avail_in = uInt(source.count)
            repeat {
                buffer.withUnsafeMutableBufferPointer { destination in
                    self.stream.next_out = destination.baseAddress
                    self.stream.avail_out = uInt(destination.count)
                    _ = deflate(&self.stream, Z_SYNC_FLUSH)
                    output.append(contentsOf: destination[0..<(destination.count - Int(self.stream.avail_out))])
                }
            } while self.stream.avail_out == 0 || self.stream.avail_in > 0
        }
        if output.suffix(4) == [0x00, 0x00, 0xff, 0xff] { output.removeLast(4) }
        return output
    }
}

extension ChatSkipTests {
    /// Context takeover both ways; server messages 3...17 and the first fragment of 17 arrive in the packet of
    /// hello-ok (message 2), so 17 is opened before the skip turns on and must be inflated whole with the live
    /// context; 18 on are skipped; a ping between fragments of a skipped message; then a close. No violation
    /// either way, and with --check-payloads every message inflates (the context was followed throughout).
    @Test(arguments: [false, true])
    func compressedMessageSpanningHelloOk(checkPayloads: Bool) {
        var options = WebSocketAnalysisOptions()
        options.checkPayloadsAfterHandshake = checkPayloads
        let deflate = "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
        let request =
            Array(
                String(decoding: WebSocketConnectionAnalyzerTests.request.dropLast(2), as: UTF8.self).utf8
            ) + Array(deflate.utf8)
        let response =
            Array(
                String(decoding: WebSocketConnectionAnalyzerTests.response.dropLast(2), as: UTF8.self).utf8
            ) + Array(deflate.utf8)
        let server = ContextDeflater()
        let client = ContextDeflater()
        func event(_ n: Int) -> [UInt8] {
            Array(#"{"type":"event","event":"tick","seq":\#(n),"pad":"abcabcabc"}"#.utf8)
        }
        let challenge = wsFrame(
            0x1,
            server.compress(Array(#"{"type":"event","event":"connect.challenge"}"#.utf8)),
            rsv: 0b100
        )
        var burst: [UInt8] = wsFrame(
            0x1,
            server.compress(Array(#"{"type":"res","id":"c1","ok":true,"payload":{"type":"hello-ok"}}"#.utf8)),
            rsv: 0b100
        )
        for n in 3...16 { burst += wsFrame(0x1, server.compress(event(n)), rsv: 0b100) }
        let seventeen = server.compress(event(17) + event(17))
        let cut = seventeen.count / 2
        burst += wsFrame(0x1, Array(seventeen[..<cut]), fin: false, rsv: 0b100)
        var pieces: [(Direction, [UInt8])] = [
            (.client, request),
            (.server, response),
            (.server, challenge),
            (
                .client,
                wsFrame(
                    0x1,
                    client.compress(Array(#"{"type":"req","id":"c1","method":"connect"}"#.utf8)),
                    rsv: 0b100,
                    mask: 0x0102_0304
                )
            ),
            (.server, burst),
            (.server, wsFrame(0x9, Array("p".utf8))),
            (.server, wsFrame(0x0, Array(seventeen[cut...]))),
        ]
        for n in 18...30 {
            let body = server.compress(event(n))
            let half = body.count / 2
            pieces.append((.server, wsFrame(0x1, Array(body[..<half]), fin: false, rsv: 0b100)))
            pieces.append((.server, wsFrame(0xA, [])))
            pieces.append((.server, wsFrame(0x0, Array(body[half...]))))
            pieces.append((.client, wsFrame(0x1, client.compress(event(100 + n)), rsv: 0b100, mask: UInt32(n))))
        }
        pieces.append((.server, wsFrame(0x1, server.compress(event(31)), rsv: 0b100)))
        pieces.append((.client, wsFrame(0x8, [0x03, 0xE8], mask: 7)))
        pieces.append((.server, wsFrame(0x8, [0x03, 0xE8])))
        let summary = WebSocketConnectionAnalyzerTests.analyze(pieces, options: options)
        #expect(summary.violations.isEmpty, "\(summary.violations.map(\.detail))")
        #expect(summary.serverMessageCount == 31)
        #expect(summary.uncheckedMessages == (checkPayloads ? 0 : 14))
        #expect(summary.closes.count == 2)
    }
}
