import Testing

@testable import Dissect

struct WebSocketHandshakeTests {
    typealias Samples = HTTPUpgradeSamples
    typealias Code = HandshakeFinding.Code

    static let key = "qahP4HKA9p47jHXBgcoaKg=="
    static let accept = "csijM8sNFtKBM2xeBxZVLhfk2Hk="

    static let goodRequestHeaders: [(String, String)] = [
        ("Host", "127.0.0.1:42919"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", Self.key),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Protocol", "chat, superchat"),
        ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
    ]

    static let goodResponseHeaders: [(String, String)] = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", Self.accept),
    ]

    /// `headers` with `name` replaced by `value` (nil removes it; a missing name is appended).
    static func editing(_ headers: [(String, String)], _ name: String, _ value: String?) -> [(String, String)] {
        var result = headers.filter { $0.0.lowercased() != name.lowercased() }
        if let value {
            result.append((name, value))
        }
        return result
    }

    static func request(
        _ headers: [(String, String)] = Self.goodRequestHeaders,
        method: String = "GET",
        target: String = "/path",
        version: String = "HTTP/1.1"
    ) -> HTTPRequestHead {
        HTTPRequestHead(method: method, target: target, version: version, headers: HTTPHeaders(headers))
    }

    static func response(
        _ headers: [(String, String)] = Self.goodResponseHeaders,
        status: Int = 101
    ) -> HTTPResponseHead {
        HTTPResponseHead(
            status: status,
            reason: status == 101 ? "Switching Protocols" : "Bad Request",
            headers: HTTPHeaders(headers)
        )
    }

    static func codes(_ handshake: WebSocketHandshake) -> [Code] {
        handshake.findings.map(\.code)
    }

    // MARK: Real exchanges

    @Test func acceptValuesForKnownKeys() {
        // RFC 6455 1.3's example, and a key from a capture.
        #expect(WebSocketHandshake.expectedAccept(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(WebSocketHandshake.expectedAccept(forKey: "qahP4HKA9p47jHXBgcoaKg==") == "csijM8sNFtKBM2xeBxZVLhfk2Hk=")
    }

    @Test func theWSExchangeIsClean() throws {
        let request: HTTPRequestHead = try #require(Samples.request(Samples.wsClientRequest))
        let response: HTTPResponseHead = try #require(Samples.response(Samples.wsServerResponse))
        let handshake = WebSocketHandshake(request: request, response: response)
        #expect(handshake.findings == [])
        #expect(handshake.method == "GET")
        #expect(handshake.path == "/path")
        #expect(handshake.host == "127.0.0.1:42919")
        #expect(handshake.origin == nil)
        #expect(handshake.upgrade == "websocket")
        #expect(handshake.connection == "Upgrade")
        #expect(handshake.key == Self.key)
        #expect(handshake.version == "13")
        #expect(handshake.protocolsOffered == [])
        #expect(
            handshake.extensionsOffered == [
                WebSocketExtension(name: "permessage-deflate", parameters: [.init(name: "client_max_window_bits")])
            ]
        )
        #expect(handshake.status == 101)
        #expect(handshake.reason == "Switching Protocols")
        #expect(handshake.accept == Self.accept)
        #expect(handshake.expectedAccept == Self.accept)
        #expect(handshake.acceptValid == true)
        #expect(handshake.selectedProtocol == nil)
        #expect(handshake.extensionsHeader == "permessage-deflate")
        #expect(handshake.perMessageDeflate == PerMessageDeflateParameters())
    }

    @Test func theRFCExampleSelectsChat() throws {
        let request: HTTPRequestHead = try #require(Samples.request(Samples.rfcClientRequest))
        let response: HTTPResponseHead = try #require(Samples.response(Samples.rfcServerResponse))
        let handshake = WebSocketHandshake(request: request, response: response)
        #expect(handshake.findings == [])
        #expect(handshake.origin == "http://example.com")
        #expect(handshake.protocolsOffered == ["chat", "superchat"])
        #expect(handshake.selectedProtocol == "chat")
        #expect(handshake.acceptValid == true)
        #expect(handshake.perMessageDeflate == nil)
        #expect(handshake.extensionsHeader == nil)
    }

    @Test func pythonWebsocketsNegotiatesTwelveBitWindows() throws {
        let request: HTTPRequestHead = try #require(Samples.request(Samples.pythonClientRequest))
        let response: HTTPResponseHead = try #require(Samples.response(Samples.pythonServerResponse))
        let handshake = WebSocketHandshake(request: request, response: response)
        #expect(handshake.findings == [])
        #expect(
            handshake.perMessageDeflate
                == PerMessageDeflateParameters(serverMaxWindowBits: 12, clientMaxWindowBits: 12)
        )
        #expect(
            handshake.extensionsHeader == "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"
        )
    }

    @Test func aWrongAcceptIsFlaggedWithTheExpectedValue() {
        let headers = Self.editing(Self.goodResponseHeaders, "Sec-WebSocket-Accept", Self.accept + "-wrong")
        let handshake = WebSocketHandshake(request: Self.request(), response: Self.response(headers))
        #expect(Self.codes(handshake) == [.badAccept])
        #expect(handshake.acceptValid == false)
        #expect(handshake.accept == Self.accept + "-wrong")
        #expect(handshake.expectedAccept == Self.accept)
        #expect(handshake.findings.first?.message.contains(Self.accept) == true)
        #expect(handshake.findings.first?.rfcSection == "RFC 6455 4.1")
        #expect(handshake.findings.first?.field == "Sec-WebSocket-Accept")
    }

    @Test func halvesMayBeMissing() {
        let requestOnly = WebSocketHandshake(request: Self.request(), response: nil)
        #expect(requestOnly.findings == [])
        #expect(requestOnly.acceptValid == nil)
        #expect(requestOnly.status == nil)
        let responseOnly = WebSocketHandshake(request: nil, response: Self.response())
        #expect(responseOnly.findings == [])
        #expect(responseOnly.acceptValid == nil)
        #expect(responseOnly.expectedAccept == nil)
    }

    // MARK: Request findings

    @Test(
        arguments: [
            ("Host", "a", [Code]()),
            ("Host", nil, [.hostMissing]),
            ("Upgrade", nil, [.upgradeMissing]),
            ("Upgrade", "h2c", [.upgradeMissing]),
            ("Upgrade", "WebSocket", []),
            ("Connection", nil, [.connectionMissingUpgrade]),
            ("Connection", "keep-alive", [.connectionMissingUpgrade]),
            ("Connection", "keep-alive, Upgrade", []),
            ("Connection", "upgrade", []),
            ("Sec-WebSocket-Key", nil, [.keyMissing]),
            ("Sec-WebSocket-Key", "short", [.keyInvalid]),
            ("Sec-WebSocket-Key", "not base64!!", [.keyInvalid]),
            ("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAA", [.keyInvalid]),
            ("Sec-WebSocket-Key", "qahP4HKA9p47jHXBgcoaKg", [.keyInvalid]),
            ("Sec-WebSocket-Key", "qahP4HKA9p47jHXBgcoaKgAA", [.keyInvalid]),
            ("Sec-WebSocket-Version", nil, [.versionMissing]),
            ("Sec-WebSocket-Version", "8", [.versionNot13]),
            ("Sec-WebSocket-Version", "13", []),
            ("Sec-WebSocket-Protocol", nil, []),
            ("Sec-WebSocket-Protocol", "chat, chat", [.protocolListInvalid]),
            ("Sec-WebSocket-Protocol", "ch@t", [.protocolListInvalid]),
            ("Sec-WebSocket-Protocol", ", ,", [.protocolListInvalid]),
            ("Sec-WebSocket-Extensions", nil, []),
            ("Sec-WebSocket-Extensions", "permessage-deflate", []),
            ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits=10", []),
            ("Sec-WebSocket-Extensions", "permessage-deflate; server_max_window_bits=\"10\"", []),
            ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits, permessage-deflate", []),
            ("Sec-WebSocket-Extensions", "bad name; x", [.extensionSyntax]),
            ("Sec-WebSocket-Extensions", "permessage-deflate; a=\"b c\"", [.extensionSyntax]),
            ("Sec-WebSocket-Extensions", "permessage-deflate; server_max_window_bits", [.deflateOfferInvalid]),
            ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits=16", [.deflateOfferInvalid]),
            ("Sec-WebSocket-Extensions", "permessage-deflate; foo", [.deflateOfferInvalid]),
            ("Sec-WebSocket-Extensions", "permessage-deflate; server_no_context_takeover=1", [.deflateOfferInvalid]),
            (
                "Sec-WebSocket-Extensions",
                "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                [.deflateOfferInvalid]
            ),
        ] as [(String, String?, [Code])]
    )
    func requestHeaderChecks(name: String, value: String?, expected: [Code]) {
        let request = Self.request(Self.editing(Self.goodRequestHeaders, name, value))
        let handshake = WebSocketHandshake(request: request, response: nil)
        #expect(Self.codes(handshake) == expected)
        for finding in handshake.findings {
            #expect(finding.rfcSection.hasPrefix("RFC "))
            #expect(!finding.message.isEmpty)
        }
    }

    @Test func repeatedHostAndKey() {
        var headers = Self.goodRequestHeaders
        headers.append(("Host", "b"))
        headers.append(("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="))
        let handshake = WebSocketHandshake(request: Self.request(headers), response: Self.response())
        #expect(Self.codes(handshake) == [.hostRepeated, .keyRepeated])
        // The first key counts.
        #expect(handshake.acceptValid == true)
    }

    @Test(
        arguments: [
            ("GET", "/chat?x=1", "HTTP/1.1", [Code](), "/chat?x=1"),
            ("POST", "/chat", "HTTP/1.1", [.methodNotGet], "/chat"),
            ("get", "/chat", "HTTP/1.1", [.methodNotGet], "/chat"),
            ("GET", "/chat", "HTTP/1.0", [.httpVersionTooOld], "/chat"),
            ("GET", "/chat", "HTTP/2.0", [], "/chat"),
            ("GET", "chat", "HTTP/1.1", [.targetInvalid], "chat"),
            ("GET", "/chat#top", "HTTP/1.1", [.targetInvalid], "/chat#top"),
            ("GET", "http://gw:18789/ws?a=b", "HTTP/1.1", [], "/ws?a=b"),
            ("GET", "HTTPS://gw", "HTTP/1.1", [], "/"),
            ("GET", "ws://gw/ws", "HTTP/1.1", [.targetInvalid], "ws://gw/ws"),
        ] as [(String, String, String, [Code], String)]
    )
    func requestLineChecks(method: String, target: String, version: String, expected: [Code], path: String) {
        let handshake = WebSocketHandshake(
            request: Self.request(method: method, target: target, version: version),
            response: nil
        )
        #expect(Self.codes(handshake) == expected)
        #expect(handshake.path == path)
    }

    // MARK: Response findings

    @Test(
        arguments: [
            ("Upgrade", nil, [Code.responseUpgradeInvalid]),
            ("Upgrade", "WebSocket", []),
            ("Upgrade", "websocket, h2c", [.responseUpgradeInvalid]),
            ("Connection", nil, [.responseConnectionInvalid]),
            ("Connection", "close", [.responseConnectionInvalid]),
            ("Connection", "UPGRADE", []),
            ("Sec-WebSocket-Accept", nil, [.acceptMissing]),
            ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", [.badAccept]),
            ("Sec-WebSocket-Protocol", "chat", []),
            ("Sec-WebSocket-Protocol", "superchat", []),
            ("Sec-WebSocket-Protocol", "Chat", [.protocolNotOffered]),
            ("Sec-WebSocket-Protocol", "mqtt", [.protocolNotOffered]),
            ("Sec-WebSocket-Protocol", "chat, superchat", [.protocolNotOffered]),
            ("Sec-WebSocket-Extensions", "permessage-deflate", []),
            ("Sec-WebSocket-Extensions", "x-webkit-deflate-frame", [.extensionNotOffered]),
            ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits", [.deflateResponseInvalid]),
            ("Sec-WebSocket-Extensions", "permessage-deflate; server_max_window_bits=7", [.deflateResponseInvalid]),
            ("Sec-WebSocket-Extensions", "permessage-deflate; server_max_window_bits=015", [.deflateResponseInvalid]),
            ("Sec-WebSocket-Extensions", "permessage-deflate; server_max_window_bits", [.deflateResponseInvalid]),
            ("Sec-WebSocket-Extensions", "permessage-deflate; mystery=1", [.deflateResponseInvalid]),
            (
                "Sec-WebSocket-Extensions",
                "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
                [.deflateResponseInvalid]
            ),
            ("Sec-WebSocket-Extensions", "permessage-deflate, permessage-deflate", [.deflateResponseInvalid]),
            ("Sec-WebSocket-Extensions", "permessage-deflate; =", [.extensionSyntax]),
        ] as [(String, String?, [Code])]
    )
    func responseHeaderChecks(name: String, value: String?, expected: [Code]) {
        let response = Self.response(Self.editing(Self.goodResponseHeaders, name, value))
        let handshake = WebSocketHandshake(request: Self.request(), response: response)
        #expect(Self.codes(handshake) == expected)
    }

    @Test func aNon101AnswerIsOneFindingOnly() {
        let response = Self.response([("Connection", "close"), ("Content-Length", "43")], status: 400)
        let handshake = WebSocketHandshake(request: Self.request(), response: response)
        #expect(Self.codes(handshake) == [.upgradeRejected])
        #expect(handshake.acceptValid == nil)
        #expect(handshake.expectedAccept == Self.accept)
        #expect(handshake.findings.first?.message.contains("400 Bad Request") == true)
    }

    @Test func clientMaxWindowBitsInAResponseNeedsAnOffer() {
        let request = Self.request(
            Self.editing(Self.goodRequestHeaders, "Sec-WebSocket-Extensions", "permessage-deflate")
        )
        let headers = Self.editing(
            Self.goodResponseHeaders,
            "Sec-WebSocket-Extensions",
            "permessage-deflate; client_max_window_bits=10"
        )
        let handshake = WebSocketHandshake(request: request, response: Self.response(headers))
        #expect(Self.codes(handshake) == [.deflateResponseInvalid])
        #expect(handshake.findings.first?.rfcSection == "RFC 7692 7.1")
    }

    /// The frame parsers take the negotiated permessage-deflate parameters at the 101 from `negotiatedDeflate`, the
    /// handshake's checks run once at the end: both must agree on every offer and answer, good or broken.
    @Test func negotiatedDeflateIsTheHandshakesOwn() {
        let offers: [String?] = [
            nil, "permessage-deflate", "permessage-deflate; client_max_window_bits",
            "permessage-deflate; client_max_window_bits=10, permessage-deflate", "x-webkit-deflate-frame",
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10", "permessage-deflate;;",
        ]
        let answers: [String?] = [
            nil, "permessage-deflate", "permessage-deflate; client_max_window_bits=12",
            "permessage-deflate; client_max_window_bits", "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            "permessage-deflate; server_max_window_bits=\"9\"", "permessage-deflate, permessage-deflate",
            "x-webkit-deflate-frame, permessage-deflate; client_max_window_bits=15", "permessage-deflate; bogus=1",
            "PerMessage-Deflate; SERVER_MAX_WINDOW_BITS=11", "permessage-deflate; client_max_window_bits=16",
        ]
        for offer in offers {
            let request = Self.request(Self.editing(Self.goodRequestHeaders, "Sec-WebSocket-Extensions", offer))
            for answer in answers {
                for status in [101, 400] {
                    let response = Self.response(
                        Self.editing(Self.goodResponseHeaders, "Sec-WebSocket-Extensions", answer),
                        status: status
                    )
                    for (request, response) in [(request, response), (nil, response), (request, nil)] {
                        let full = WebSocketHandshake(request: request, response: response).perMessageDeflate
                        let quick = WebSocketHandshake.negotiatedDeflate(response: response)
                        #expect(quick == full, "offer \(offer ?? "none"), answer \(answer ?? "none"), \(status)")
                    }
                }
            }
        }
    }

    @Test func deflateParametersAreParsed() {
        let headers = Self.editing(
            Self.goodResponseHeaders,
            "Sec-WebSocket-Extensions",
            "Permessage-Deflate; server_no_context_takeover; client_no_context_takeover; "
                + "server_max_window_bits=\"9\"; client_max_window_bits=15"
        )
        let handshake = WebSocketHandshake(request: Self.request(), response: Self.response(headers))
        #expect(handshake.findings == [])
        #expect(
            handshake.perMessageDeflate
                == PerMessageDeflateParameters(
                    serverNoContextTakeover: true,
                    clientNoContextTakeover: true,
                    serverMaxWindowBits: 9,
                    clientMaxWindowBits: 15
                )
        )
        #expect(
            handshake.acceptedExtensions.first?.description.hasPrefix("permessage-deflate; server_no_context") == true
        )
    }
}
