import Testing
import WSSniff

/// `--url` parsing: what the probe connects to, and the URLs it refuses.
struct ProbeTargetTests {
    @Test func hostPortAndPath() throws {
        let plain = try ProbeTarget("ws://127.0.0.1:18789")
        #expect(plain.host == "127.0.0.1" && plain.port == 18789 && plain.path == "/")
        #expect(plain.hostHeader == "127.0.0.1:18789" && plain.isLoopback)
        let pathed = try ProbeTarget("ws://localhost/gateway?x=1")
        #expect(pathed.host == "localhost" && pathed.port == ProbeTarget.defaultPort && pathed.path == "/gateway?x=1")
        let v6 = try ProbeTarget("ws://[::1]:42919")
        #expect(v6.host == "::1" && v6.port == 42919 && v6.hostHeader == "[::1]:42919" && v6.isLoopback)
        #expect(try !ProbeTarget("ws://192.0.2.1:1").isLoopback)
    }

    @Test(arguments: ["wss://127.0.0.1:42919", "WSS://gateway.example", "https://127.0.0.1:42919"])
    func tlsIsRefusedWithTheReason(url: String) {
        #expect {
            try ProbeTarget(url)
        } throws: { error in
            guard let error = error as? ProbeTargetError else { return false }
            return error.message.contains("wss:// is not supported") && error.message.contains("ws://127.0.0.1")
        }
    }

    @Test(arguments: [
        ("http://127.0.0.1:1", "not a ws:// URL"), ("ws://:80", "no host"), ("ws://127.0.0.1:0", "the port"),
        ("ws://127.0.0.1:70000", "the port"), ("ws://[::1", "closing ]"), ("ws://user:pw@127.0.0.1:1", "credentials"),
    ])
    func malformedURLsSayWhatIsWrong(url: String, expected: String) {
        #expect {
            try ProbeTarget(url)
        } throws: { error in
            (error as? ProbeTargetError)?.message.contains(expected) == true
        }
    }

    @Test func upgradeRequestHasTheHeadersRFC6455Requires() throws {
        let request = try ProbeTarget("ws://127.0.0.1:42919/x").upgradeRequest(key: "dGhlIHNhbXBsZSBub25jZQ==")
        let lines = request.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "GET /x HTTP/1.1")
        for header in [
            "Host: 127.0.0.1:42919", "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
        ] {
            #expect(lines.contains(header))
        }
        #expect(!request.contains("Sec-WebSocket-Extensions"), "no extension offered: frames stay uncompressed")
        #expect(request.hasSuffix("\r\n\r\n"))
    }
}
