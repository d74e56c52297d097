@testable import Dissect

/// Real-shaped HTTP upgrade exchanges, written for these tests after what common libraries send.
enum HTTPUpgradeSamples {
    /// What Node's `ws` 8 client sends (header order and offer as `ws` writes them).
    static let wsClientRequest = """
        GET /path HTTP/1.1\r
        Sec-WebSocket-Version: 13\r
        Sec-WebSocket-Key: qahP4HKA9p47jHXBgcoaKg==\r
        Connection: Upgrade\r
        Upgrade: websocket\r
        Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r
        Host: 127.0.0.1:42919\r
        \r

        """

    /// `ws` 8 server's answer to ``wsClientRequest``.
    static let wsServerResponse = """
        HTTP/1.1 101 Switching Protocols\r
        Upgrade: websocket\r
        Connection: Upgrade\r
        Sec-WebSocket-Accept: csijM8sNFtKBM2xeBxZVLhfk2Hk=\r
        Sec-WebSocket-Extensions: permessage-deflate\r
        \r

        """

    /// RFC 6455 1.2's sample client handshake.
    static let rfcClientRequest = """
        GET /chat HTTP/1.1\r
        Host: server.example.com\r
        Upgrade: websocket\r
        Connection: Upgrade\r
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
        Origin: http://example.com\r
        Sec-WebSocket-Protocol: chat, superchat\r
        Sec-WebSocket-Version: 13\r
        \r

        """

    /// RFC 6455 1.2's sample server handshake.
    static let rfcServerResponse = """
        HTTP/1.1 101 Switching Protocols\r
        Upgrade: websocket\r
        Connection: Upgrade\r
        Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r
        Sec-WebSocket-Protocol: chat\r
        \r

        """

    /// What Python's `websockets` client sends.
    static let pythonClientRequest = """
        GET /ws HTTP/1.1\r
        Host: localhost:8765\r
        Upgrade: websocket\r
        Connection: Upgrade\r
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
        Sec-WebSocket-Version: 13\r
        Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r
        User-Agent: Python/3.12 websockets/13.1\r
        \r

        """

    /// Python `websockets` server's answer with a 4 KiB window each way.
    static let pythonServerResponse = """
        HTTP/1.1 101 Switching Protocols\r
        Date: Sat, 14 Mar 2026 10:00:00 GMT\r
        Upgrade: websocket\r
        Connection: Upgrade\r
        Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r
        Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=12; client_max_window_bits=12\r
        Server: Python/3.12 websockets/13.1\r
        \r

        """

    /// The reason `ws` gives when the key is missing or malformed (43 bytes).
    static let wsRejectionBody = "Missing or invalid Sec-WebSocket-Key header"

    /// `ws`'s `abortHandshake` answer to a bad upgrade: status line, three headers, the reason as the body.
    static let wsRejection = """
        HTTP/1.1 400 Bad Request\r
        Connection: close\r
        Content-Type: text/html\r
        Content-Length: 43\r
        \r
        Missing or invalid Sec-WebSocket-Key header
        """

    /// A masked client text frame "hello" and an unmasked server text frame "hello" (RFC 6455 5.7).
    static let maskedHelloFrame: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
    static let unmaskedHelloFrame: [UInt8] = [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]

    static func bytes(_ text: String) -> [UInt8] {
        Array(text.utf8)
    }

    static func request(_ text: String) -> HTTPRequestHead? {
        var parser = HTTPHeadParser(kind: .request)
        guard case .head(.request(let head)) = parser.feed(Self.bytes(text)).result else {
            return nil
        }
        return head
    }

    static func response(_ text: String) -> HTTPResponseHead? {
        var parser = HTTPHeadParser(kind: .response)
        guard case .head(.response(let head)) = parser.feed(Self.bytes(text)).result else {
            return nil
        }
        return head
    }
}
