import WireBytes

/// One problem with a WebSocket opening handshake, against RFC 6455 section 4 (or RFC 7692 for
/// permessage-deflate). Equality compares every property; tests usually match on ``code``.
package struct HandshakeFinding: Hashable, Sendable, CustomStringConvertible {
    /// The rule broken, stable for scripts.
    package enum Code: String, Hashable, Sendable {
        case methodNotGet = "method-not-get"
        case httpVersionTooOld = "http-version-too-old"
        case targetInvalid = "target-invalid"
        case hostMissing = "host-missing"
        case hostRepeated = "host-repeated"
        case upgradeMissing = "upgrade-missing"
        case connectionMissingUpgrade = "connection-missing-upgrade"
        case keyMissing = "key-missing"
        case keyRepeated = "key-repeated"
        case keyInvalid = "key-invalid"
        case versionMissing = "version-missing"
        case versionNot13 = "version-not-13"
        case protocolListInvalid = "protocol-list-invalid"
        case extensionSyntax = "extension-syntax"
        case deflateOfferInvalid = "deflate-offer-invalid"
        case upgradeRejected = "upgrade-rejected"
        case responseUpgradeInvalid = "response-upgrade-invalid"
        case responseConnectionInvalid = "response-connection-invalid"
        case acceptMissing = "accept-missing"
        case badAccept = "bad-accept"
        case protocolNotOffered = "protocol-not-offered"
        case extensionNotOffered = "extension-not-offered"
        case deflateResponseInvalid = "deflate-response-invalid"
    }

    package var code: Code
    /// The header field (or `method`, `request-target`, `status`) the finding is about.
    package var field: String
    package var message: String
    /// Where the rule is, e.g. `RFC 6455 4.1`.
    package var rfcSection: String

    package init(code: Code, field: String, message: String, rfcSection: String) {
        self.code = code
        self.field = field
        self.message = message
        self.rfcSection = rfcSection
    }

    package var description: String {
        "\(self.field): \(self.message) (\(self.rfcSection))"
    }
}

/// One extension of a `Sec-WebSocket-Extensions` list (RFC 6455 9.1), with its parameters in order.
package struct WebSocketExtension: Hashable, Sendable, CustomStringConvertible {
    /// One `name[=value]` parameter; a quoted value is unquoted.
    package struct Parameter: Hashable, Sendable {
        package var name: String
        package var value: String?

        package init(name: String, value: String? = nil) {
            self.name = name
            self.value = value
        }
    }

    /// The extension token, lowercased.
    package var name: String
    package var parameters: [Parameter]

    package init(name: String, parameters: [Parameter] = []) {
        self.name = name
        self.parameters = parameters
    }

    package var description: String {
        let parameters = self.parameters.map { parameter in
            parameter.value.map { "\(parameter.name)=\($0)" } ?? parameter.name
        }
        return ([self.name] + parameters).joined(separator: "; ")
    }
}

/// The permessage-deflate configuration a server accepted (RFC 7692 7.1).
package struct PerMessageDeflateParameters: Hashable, Sendable {
    /// RFC 7692 7.1.1.1: the server will not reuse its LZ77 window between messages.
    package var serverNoContextTakeover: Bool
    /// RFC 7692 7.1.1.2: the client will not reuse its LZ77 window between messages.
    package var clientNoContextTakeover: Bool
    /// RFC 7692 7.1.2.1: base-2 logarithm of the server's window (8...15); nil: 15.
    package var serverMaxWindowBits: Int?
    /// RFC 7692 7.1.2.2: base-2 logarithm of the client's window (8...15); nil: 15.
    package var clientMaxWindowBits: Int?

    package init(
        serverNoContextTakeover: Bool = false,
        clientNoContextTakeover: Bool = false,
        serverMaxWindowBits: Int? = nil,
        clientMaxWindowBits: Int? = nil
    ) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
    }
}

/// A WebSocket opening handshake (RFC 6455 section 4) as seen on the wire: the fields of the upgrade request and
/// of its response, the `Sec-WebSocket-Accept` the server should have sent, the negotiated permessage-deflate
/// parameters, and every rule either side broke.
package struct WebSocketHandshake: Hashable, Sendable {
    /// RFC 6455 1.3: "the server has to ... concatenate this with the Globally Unique Identifier (GUID, [RFC4122])
    /// "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" in string form".
    package static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    // Request.
    package var method: String?
    /// The request target as sent.
    package var target: String?
    /// The resource name: the target's path and query (from an absolute-form target too).
    package var path: String?
    package var httpVersion: String?
    package var host: String?
    package var origin: String?
    /// `User-Agent` as sent (RFC 9110 10.1.5), which names the client software when the client sends one.
    package var userAgent: String?
    /// The first forwarding header the request carries (`Forwarded`, RFC 7239, or the de facto `X-Forwarded-For`
    /// and `X-Real-IP`), as `name: value`; nil when none: a proxy relayed the request.
    package var forwarded: String?
    package var upgrade: String?
    package var connection: String?
    package var key: String?
    /// `Sec-WebSocket-Version` as sent.
    package var version: String?
    package var protocolsOffered: [String] = []
    package var extensionsOffered: [WebSocketExtension] = []

    // Response.
    package var status: Int?
    package var reason: String?
    package var responseUpgrade: String?
    package var responseConnection: String?
    package var accept: String?
    /// base64(SHA-1(key + GUID)), when the request had a key.
    package var expectedAccept: String?
    /// Whether ``accept`` equals ``expectedAccept``; nil without a 101 response or without a key to check against.
    package var acceptValid: Bool?
    /// The `Sec-WebSocket-Protocol` the server selected.
    package var selectedProtocol: String?
    /// The extensions the server accepted.
    package var acceptedExtensions: [WebSocketExtension] = []
    /// The response's `Sec-WebSocket-Extensions` values as sent, joined with ", "; nil when absent.
    package var extensionsHeader: String?

    /// Every rule broken, request first.
    package var findings: [HandshakeFinding] = []
    /// The permessage-deflate parameters of the response; nil when the server did not accept the extension.
    package var perMessageDeflate: PerMessageDeflateParameters?

    /// The accept value a server must send for `key`: base64(SHA-1(key + GUID)) (RFC 6455 4.2.2).
    package static func expectedAccept(forKey key: String) -> String {
        var hasher = SHA1()
        hasher.update(key.utf8)
        hasher.update(Self.acceptGUID.utf8)
        return Base64.encode(hasher.finalize())
    }

    /// Reads and checks a handshake. Either half may be missing (a capture that starts late or ends early): its
    /// fields stay nil and its checks are skipped.
    package init(request: HTTPRequestHead?, response: HTTPResponseHead?) {
        if let request {
            self.checkRequest(request)
        }
        if let response {
            self.checkResponse(response)
        }
    }

    private mutating func add(_ code: HandshakeFinding.Code, _ field: String, _ message: String, _ rfcSection: String) {
        self.findings.append(HandshakeFinding(code: code, field: field, message: message, rfcSection: rfcSection))
    }

    // MARK: Request

    private mutating func checkRequest(_ request: HTTPRequestHead) {
        let headers = request.headers
        self.method = request.method
        self.target = request.target
        self.httpVersion = request.version
        self.host = headers.first("host")
        self.origin = headers.first("origin")
        self.userAgent = headers.first("user-agent")
        for name in ["forwarded", "x-forwarded-for", "x-real-ip"] where self.forwarded == nil {
            self.forwarded = headers.first(name).map { "\(name): \($0)" }
        }
        self.upgrade = headers.first("upgrade")
        self.connection =
            headers.values("connection").isEmpty ? nil : headers.values("connection").joined(separator: ", ")
        self.key = headers.first("sec-websocket-key")
        self.version = headers.first("sec-websocket-version")
        self.protocolsOffered = headers.elements("sec-websocket-protocol")

        // RFC 6455 4.1: "The method of the request MUST be GET, and the HTTP version MUST be at least 1.1."
        if request.method != "GET" {
            self.add(.methodNotGet, "method", "method is \(request.method), not GET", "RFC 6455 4.1")
        }
        if let version = request.versionNumber, version < .http11 {
            self.add(.httpVersionTooOld, "version", "\(request.version) is older than HTTP/1.1", "RFC 6455 4.1")
        }
        self.checkTarget(request.target)

        // RFC 6455 4.1: "The request MUST contain a |Host| header field whose value contains /host/ plus optionally
        // ":" followed by /port/ (when not using the default port)."
        let hosts = headers.values("host")
        if hosts.isEmpty || hosts.allSatisfy(\.isEmpty) {
            self.add(.hostMissing, "Host", "no Host header field", "RFC 6455 4.1")
        } else if hosts.count > 1 {
            // RFC 9112 3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request
            // message that lacks a Host header field and to any request message that contains more than one Host
            // header field line".
            self.add(.hostRepeated, "Host", "\(hosts.count) Host header fields", "RFC 9112 3.2")
        }

        // RFC 6455 4.1: "The request MUST contain an |Upgrade| header field whose value MUST include the
        // "websocket" keyword."
        if !headers.tokens("upgrade").contains("websocket") {
            let shown = self.upgrade.map { "Upgrade is \"\($0)\"" } ?? "no Upgrade header field"
            self.add(.upgradeMissing, "Upgrade", "\(shown), without the token websocket", "RFC 6455 4.1")
        }
        // RFC 6455 4.1: "The request MUST contain a |Connection| header field whose value MUST include the
        // "Upgrade" token."
        if !headers.tokens("connection").contains("upgrade") {
            let shown = self.connection.map { "Connection is \"\($0)\"" } ?? "no Connection header field"
            self.add(.connectionMissingUpgrade, "Connection", "\(shown), without the token Upgrade", "RFC 6455 4.1")
        }
        self.checkKey(headers.values("sec-websocket-key"))

        // RFC 6455 4.1: "The request MUST include a header field with the name |Sec-WebSocket-Version|. The value of
        // this header field MUST be 13."
        if let version = self.version {
            if version != "13" || headers.values("sec-websocket-version").count > 1 {
                let all = headers.values("sec-websocket-version").joined(separator: ", ")
                self.add(.versionNot13, "Sec-WebSocket-Version", "version is \"\(all)\", not 13", "RFC 6455 4.1")
            }
        } else {
            self.add(.versionMissing, "Sec-WebSocket-Version", "no Sec-WebSocket-Version header field", "RFC 6455 4.1")
        }

        // RFC 6455 4.1: "The elements that comprise this value MUST be non-empty strings with characters in the range
        // U+0021 to U+007E not including separator characters as defined in [RFC2616] and MUST all be unique
        // strings."
        if headers.contains("sec-websocket-protocol") {
            if let index = self.protocolsOffered.firstIndex(where: { !HTTPSyntax.isToken($0) }) {
                // The value itself may be a credential (bearer subprotocols): say which one, not what it is.
                self.add(
                    .protocolListInvalid,
                    "Sec-WebSocket-Protocol",
                    "offered subprotocol \(index + 1) (\(self.protocolsOffered[index].utf8.count) bytes) is not a token",
                    "RFC 6455 4.1"
                )
            } else if Set(self.protocolsOffered).count != self.protocolsOffered.count {
                self.add(
                    .protocolListInvalid,
                    "Sec-WebSocket-Protocol",
                    "a subprotocol is offered twice",
                    "RFC 6455 4.1"
                )
            } else if self.protocolsOffered.isEmpty {
                self.add(.protocolListInvalid, "Sec-WebSocket-Protocol", "empty subprotocol list", "RFC 6455 4.1")
            }
        }

        let (offered, problems) = Self.parseExtensions(headers.values("sec-websocket-extensions"))
        self.extensionsOffered = offered
        for problem in problems {
            self.add(.extensionSyntax, "Sec-WebSocket-Extensions", problem, "RFC 6455 9.1")
        }
        for offer in offered where offer.name == "permessage-deflate" {
            let (_, problems) = Self.deflateParameters(offer, isOffer: true, clientWindowOffered: true)
            for problem in problems {
                // RFC 7692 7: "A server MUST decline an extension negotiation offer for this extension if any of
                // the following conditions are met: ..." (an offer the server cannot accept).
                self.add(.deflateOfferInvalid, "Sec-WebSocket-Extensions", problem, "RFC 7692 7")
            }
        }
    }

    private mutating func checkTarget(_ target: String) {
        // RFC 6455 4.1: "The "Request-URI" part of the request MUST match the /resource name/ defined in Section 3
        // (a relative URI) or be an absolute http/https URI that, when parsed, has a /resource name/, /host/, and
        // /port/ that match the corresponding ws/wss URI."
        let lowered = target.lowercased()
        if target.hasPrefix("/") {
            self.path = target
        } else if let scheme = ["http://", "https://"].first(where: { lowered.hasPrefix($0) }) {
            let afterScheme = target.dropFirst(scheme.count)
            let pathStart = afterScheme.firstIndex { $0 == "/" || $0 == "?" }
            let rest = pathStart.map { String(afterScheme[$0...]) } ?? ""
            self.path = rest.isEmpty ? "/" : (rest.hasPrefix("?") ? "/" + rest : rest)
        } else {
            self.path = target
            self.add(
                .targetInvalid,
                "request-target",
                "\"\(target)\" is neither a path nor an absolute http/https URI",
                "RFC 6455 4.1"
            )
            return
        }
        // RFC 6455 3: "Fragment identifiers are meaningless in the context of WebSocket URIs and MUST NOT be used on
        // these URIs."
        if target.contains("#") {
            self.add(.targetInvalid, "request-target", "\"\(target)\" has a fragment", "RFC 6455 3")
        }
    }

    private mutating func checkKey(_ keys: [String]) {
        guard let key = keys.first else {
            // RFC 6455 4.1: "The request MUST include a header field with the name |Sec-WebSocket-Key|."
            self.add(.keyMissing, "Sec-WebSocket-Key", "no Sec-WebSocket-Key header field", "RFC 6455 4.1")
            return
        }
        if keys.count > 1 {
            // RFC 6455 11.3.1: "The |Sec-WebSocket-Key| header field MUST NOT appear more than once in an HTTP
            // request."
            self.add(
                .keyRepeated,
                "Sec-WebSocket-Key",
                "\(keys.count) Sec-WebSocket-Key header fields",
                "RFC 6455 11.3.1"
            )
        }
        // RFC 6455 4.1: "The value of this header field MUST be a nonce consisting of a randomly selected 16-byte
        // value that has been base64-encoded (see Section 4 of [RFC4648])."
        do {
            let nonce = try Base64.decode(key, requirePadding: true)
            if nonce.count != 16 {
                self.add(
                    .keyInvalid,
                    "Sec-WebSocket-Key",
                    "\"\(key)\" decodes to \(nonce.count) bytes, not 16",
                    "RFC 6455 4.1"
                )
            }
        } catch {
            self.add(.keyInvalid, "Sec-WebSocket-Key", "\"\(key)\" is not base64: \(error.message)", "RFC 6455 4.1")
        }
    }

    // MARK: Response

    private mutating func checkResponse(_ response: HTTPResponseHead) {
        let headers = response.headers
        self.status = response.status
        self.reason = response.reason
        self.responseUpgrade = headers.first("upgrade")
        self.responseConnection =
            headers.values("connection").isEmpty ? nil : headers.values("connection").joined(separator: ", ")
        self.accept = headers.first("sec-websocket-accept")
        self.selectedProtocol = headers.first("sec-websocket-protocol")
        let extensionValues = headers.values("sec-websocket-extensions")
        self.extensionsHeader = extensionValues.isEmpty ? nil : extensionValues.joined(separator: ", ")
        if let key = self.key {
            self.expectedAccept = Self.expectedAccept(forKey: key)
        }

        // RFC 6455 4.1: "If the status code received from the server is not 101, the client handles the response
        // per HTTP [RFC2616] procedures." The upgrade failed; the other response checks do not apply.
        guard response.status == 101 else {
            self.add(
                .upgradeRejected,
                "status",
                "the server answered \(response.status) \(response.reason) instead of 101",
                "RFC 6455 4.1"
            )
            return
        }
        // RFC 6455 4.1: "If the response lacks an |Upgrade| header field or the |Upgrade| header field contains a
        // value that is not an ASCII case-insensitive match for the value "websocket", the client MUST _Fail the
        // WebSocket Connection_."
        if headers.tokens("upgrade") != ["websocket"] {
            let shown = self.responseUpgrade.map { "Upgrade is \"\($0)\"" } ?? "no Upgrade header field"
            self.add(.responseUpgradeInvalid, "Upgrade", "\(shown), not websocket", "RFC 6455 4.1")
        }
        // RFC 6455 4.1: "If the response lacks a |Connection| header field or the |Connection| header field doesn't
        // contain a token that is an ASCII case-insensitive match for the value "Upgrade", the client MUST _Fail the
        // WebSocket Connection_."
        if !headers.tokens("connection").contains("upgrade") {
            let shown = self.responseConnection.map { "Connection is \"\($0)\"" } ?? "no Connection header field"
            self.add(.responseConnectionInvalid, "Connection", "\(shown), without the token Upgrade", "RFC 6455 4.1")
        }
        self.checkAccept()
        self.checkSelectedProtocol(headers)
        self.checkAcceptedExtensions(extensionValues)
    }

    private mutating func checkAccept() {
        // RFC 6455 4.1: "If the response lacks a |Sec-WebSocket-Accept| header field or the |Sec-WebSocket-Accept|
        // contains a value other than the base64-encoded SHA-1 of the concatenation of the |Sec-WebSocket-Key| (as
        // a string, not base64-decoded) with the string "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" but ignoring any
        // leading and trailing whitespace, the client MUST _Fail the WebSocket Connection_."
        guard let accept = self.accept else {
            self.add(.acceptMissing, "Sec-WebSocket-Accept", "no Sec-WebSocket-Accept header field", "RFC 6455 4.1")
            self.acceptValid = self.expectedAccept == nil ? nil : false
            return
        }
        guard let expected = self.expectedAccept else {
            return
        }
        self.acceptValid = accept == expected
        if accept != expected {
            self.add(
                .badAccept,
                "Sec-WebSocket-Accept",
                "\"\(accept)\" should be \"\(expected)\" = base64(SHA-1(\"\(self.key ?? "")\" + GUID))",
                "RFC 6455 4.1"
            )
        }
    }

    private mutating func checkSelectedProtocol(_ headers: HTTPHeaders) {
        let selected = headers.elements("sec-websocket-protocol")
        guard headers.contains("sec-websocket-protocol") else {
            return
        }
        // RFC 6455 4.2.2: the server sends "A |Sec-WebSocket-Protocol| header field with a value /subprotocol/" (one
        // value); RFC 6455 11.3.4: "The |Sec-WebSocket-Protocol| header field MUST NOT appear more than once in an
        // HTTP response."
        if selected.count != 1 || headers.values("sec-websocket-protocol").count != 1 {
            self.add(
                .protocolNotOffered,
                "Sec-WebSocket-Protocol",
                "the server must select exactly one subprotocol, it sent \"\(selected.joined(separator: ", "))\"",
                "RFC 6455 4.2.2"
            )
            return
        }
        // RFC 6455 4.1: "If the response includes a |Sec-WebSocket-Protocol| header field and this header field
        // indicates the use of a subprotocol that was not present in the client's handshake (the server has
        // indicated a subprotocol not requested by the client), the client MUST _Fail the WebSocket Connection_."
        if !self.protocolsOffered.contains(selected[0]) {
            let offered = self.protocolsOffered.isEmpty ? "none" : self.protocolsOffered.joined(separator: ", ")
            self.add(
                .protocolNotOffered,
                "Sec-WebSocket-Protocol",
                "the server selected \"\(selected[0])\", the client offered \(offered)",
                "RFC 6455 4.1"
            )
        }
    }

    private mutating func checkAcceptedExtensions(_ values: [String]) {
        let (accepted, syntaxProblems) = Self.parseExtensions(values)
        self.acceptedExtensions = accepted
        for problem in syntaxProblems {
            self.add(.extensionSyntax, "Sec-WebSocket-Extensions", problem, "RFC 6455 9.1")
        }
        // RFC 6455 4.1: "If the response includes a |Sec-WebSocket-Extensions| header field and this header field
        // indicates the use of an extension that was not present in the client's handshake (the server has
        // indicated an extension not requested by the client), the client MUST _Fail the WebSocket Connection_."
        let offeredNames = Set(self.extensionsOffered.map(\.name))
        for accepted in accepted where !offeredNames.contains(accepted.name) {
            self.add(
                .extensionNotOffered,
                "Sec-WebSocket-Extensions",
                "the server accepted \(accepted.name), which the client did not offer",
                "RFC 6455 4.1"
            )
        }
        let deflates = accepted.filter { $0.name == "permessage-deflate" }
        guard let deflate = deflates.first else {
            return
        }
        if deflates.count > 1 {
            // RFC 7692 5: "the server MUST NOT accept the PMCE extension negotiation offer together with another
            // extension if the PMCEs use the same RSV1 bit" — two permessage-deflate would both claim RSV1.
            self.add(
                .deflateResponseInvalid,
                "Sec-WebSocket-Extensions",
                "permessage-deflate accepted \(deflates.count) times; only the first counts",
                "RFC 7692 5"
            )
        }
        let clientWindowOffered = self.extensionsOffered.contains { offer in
            offer.name == "permessage-deflate" && offer.parameters.contains { $0.name == "client_max_window_bits" }
        }
        let (parameters, problems) = Self.deflateParameters(
            deflate,
            isOffer: false,
            clientWindowOffered: clientWindowOffered
        )
        self.perMessageDeflate = parameters
        for problem in problems {
            // RFC 7692 7.1: "A client MUST _Fail the WebSocket Connection_ if the peer server accepted an extension
            // negotiation offer for this extension with an extension negotiation response meeting any of the
            // following conditions: ..."
            self.add(.deflateResponseInvalid, "Sec-WebSocket-Extensions", problem, "RFC 7692 7.1")
        }
    }

    /// The permessage-deflate parameters a handshake with `response` negotiated (its ``perMessageDeflate``) without
    /// the other checks: what the frame parsers need the moment the server answers 101, at a small part of the cost
    /// of every check. The offer only adds findings, never changes the parameters.
    package static func negotiatedDeflate(response: HTTPResponseHead?) -> PerMessageDeflateParameters? {
        guard let response, response.status == 101 else { return nil }
        let accepted = Self.parseExtensions(response.headers.values("sec-websocket-extensions")).extensions
        guard let deflate = accepted.first(where: { $0.name == "permessage-deflate" }) else { return nil }
        return Self.deflateParameters(deflate, isOffer: false, clientWindowOffered: true).parameters
    }

    // MARK: Extensions

    /// Parses `Sec-WebSocket-Extensions` values (RFC 6455 9.1):
    ///
    /// ```
    /// extension-list = 1#extension
    /// extension = extension-token *( ";" extension-param )
    /// extension-token = registered-token
    /// registered-token = token
    /// extension-param = token [ "=" (token | quoted-string) ]
    /// ```
    ///
    /// "When using the quoted-string syntax variant, the value after quoted-string unescaping MUST conform to the
    /// 'token' ABNF." Best effort: a malformed part is reported and skipped.
    static func parseExtensions(_ values: [String]) -> (extensions: [WebSocketExtension], problems: [String]) {
        var extensions: [WebSocketExtension] = []
        var problems: [String] = []
        for element in values.flatMap({ HTTPHeaders.splitList($0) }) {
            let parts = Self.splitOutsideQuotes(element, separator: ";")
            let name = parts.first ?? ""
            guard HTTPSyntax.isToken(name) else {
                problems.append("extension name \"\(name)\" is not a token in \"\(element)\"")
                continue
            }
            var parameters: [WebSocketExtension.Parameter] = []
            for part in parts.dropFirst() {
                let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let parameterName = String(pieces[0]).trimmingHTTPWhitespace()
                guard HTTPSyntax.isToken(parameterName) else {
                    problems.append("parameter \"\(part)\" of \(name) is not a token")
                    continue
                }
                var value: String?
                if pieces.count == 2 {
                    var raw = String(pieces[1]).trimmingHTTPWhitespace()
                    if raw.hasPrefix("\""), raw.hasSuffix("\""), raw.count >= 2 {
                        raw = Self.unquote(String(raw.dropFirst().dropLast()))
                    }
                    guard HTTPSyntax.isToken(raw) else {
                        problems.append("value of \(parameterName) in \(name) is not a token: \"\(pieces[1])\"")
                        continue
                    }
                    value = raw
                }
                parameters.append(WebSocketExtension.Parameter(name: parameterName.lowercased(), value: value))
            }
            extensions.append(WebSocketExtension(name: name.lowercased(), parameters: parameters))
        }
        return (extensions, problems)
    }

    /// Reads permessage-deflate parameters (RFC 7692 7.1), reporting unknown, repeated and invalid ones.
    static func deflateParameters(
        _ deflate: WebSocketExtension,
        isOffer: Bool,
        clientWindowOffered: Bool
    ) -> (parameters: PerMessageDeflateParameters, problems: [String]) {
        var parameters = PerMessageDeflateParameters()
        var problems: [String] = []
        var seen: Set<String> = []
        let side = isOffer ? "offer" : "response"
        for parameter in deflate.parameters {
            // RFC 7692 7: "The negotiation offer contains multiple extension parameters with the same name." and
            // RFC 7692 7.1: "The negotiation response contains multiple extension parameters with the same name."
            guard seen.insert(parameter.name).inserted else {
                problems.append("\(parameter.name) appears twice in the \(side)")
                continue
            }
            switch parameter.name {
            case "server_no_context_takeover", "client_no_context_takeover":
                // RFC 7692 7.1.1.1 and 7.1.1.2: these parameters have no value.
                if let value = parameter.value {
                    problems.append("\(parameter.name) must have no value, has \"\(value)\"")
                } else if parameter.name == "server_no_context_takeover" {
                    parameters.serverNoContextTakeover = true
                } else {
                    parameters.clientNoContextTakeover = true
                }
            case "server_max_window_bits":
                // RFC 7692 7.1.2.1: "This parameter has a decimal integer value without leading zeroes between 8 to
                // 15, inclusive, indicating the base-2 logarithm of the LZ77 sliding window size".
                if let bits = Self.windowBits(parameter.value) {
                    parameters.serverMaxWindowBits = bits
                } else {
                    problems.append("server_max_window_bits must be 8 to 15, is \(Self.shown(parameter.value))")
                }
            case "client_max_window_bits":
                // RFC 7692 7.1.2.2: "This parameter has no value or a decimal integer value without leading zeroes
                // between 8 to 15 inclusive" in an offer. "If a received extension negotiation offer doesn't have
                // the "client_max_window_bits" extension parameter, the corresponding extension negotiation
                // response to the offer MUST NOT include the "client_max_window_bits" extension parameter."
                // In a response the parameter carries the window size the client must use, so it needs a value.
                if isOffer, parameter.value == nil {
                    continue
                }
                if let bits = Self.windowBits(parameter.value) {
                    parameters.clientMaxWindowBits = bits
                } else {
                    problems.append("client_max_window_bits must be 8 to 15, is \(Self.shown(parameter.value))")
                }
                if !isOffer, !clientWindowOffered {
                    problems.append("client_max_window_bits in the response but not in the offer")
                }
            default:
                // RFC 7692 7: "The negotiation offer contains an extension parameter not defined for use in an
                // offer." and RFC 7692 7.1: "The negotiation response contains an extension parameter not defined
                // for use in a response."
                problems.append("unknown parameter \(parameter.name) in the \(side)")
            }
        }
        return (parameters, problems)
    }

    private static func windowBits(_ value: String?) -> Int? {
        guard let value, let first = value.utf8.first, first != UInt8(ascii: "0"),
            value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), value.utf8.count <= 2,
            let bits = Int(value), (8...15).contains(bits)
        else {
            return nil
        }
        return bits
    }

    private static func shown(_ value: String?) -> String {
        value.map { "\"\($0)\"" } ?? "missing"
    }

    private static func splitOutsideQuotes(_ text: String, separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var inQuotes = false
        var escaped = false
        for character in text {
            if inQuotes {
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inQuotes = false
                }
                current.append(character)
            } else if character == separator {
                parts.append(current.trimmingHTTPWhitespace())
                current = ""
            } else {
                if character == "\"" {
                    inQuotes = true
                }
                current.append(character)
            }
        }
        parts.append(current.trimmingHTTPWhitespace())
        return parts
    }

    /// RFC 9110 5.6.4: "quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )".
    private static func unquote(_ text: String) -> String {
        var result = ""
        var escaped = false
        for character in text {
            if !escaped, character == "\\" {
                escaped = true
            } else {
                result.append(character)
                escaped = false
            }
        }
        return result
    }
}

extension String {
    /// The string without leading and trailing SP and HTAB.
    fileprivate func trimmingHTTPWhitespace() -> String {
        String(decoding: HTTPSyntax.trimmingWhitespace(Array(self.utf8)[...]), as: UTF8.self)
    }
}
