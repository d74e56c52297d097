/// The HTTP phase of one connection, both directions: it parses requests and responses as bytes arrive, pairs
/// them (keep-alive requests may come before the upgrade), and decides where each direction switches to
/// WebSocket.
///
/// - The client direction switches right after the head of a request that asks for a WebSocket upgrade
///   (`Upgrade: websocket`), or after its body if it announces one: the following bytes are frames.
/// - The server direction switches right after the head of a `101` response. The first frame often arrives in
///   the same TCP segment as the 101: ``feed(_:from:)`` does not consume the bytes after the head, and the caller
///   hands them to the frame parser.
/// - A final answer other than 101 to the upgrade request ends the conversation as ``Outcome/upgradeRejected``,
///   with the status, reason phrase and (the first 4 KiB of) the body kept in ``rejection``.
///
/// Responses pair with requests by position (the nth final response answers the nth request, RFC 9112 9.3.2),
/// so the two directions may be fed in any interleaving; a response fed before its request is held until the
/// request arrives. The conversation keeps few heads: the first request and response, the upgrade request and its
/// response; it counts the others.
package struct HTTPConversation: Sendable {
    /// Where one direction stands.
    package enum DirectionState: Hashable, Sendable {
        /// Still HTTP: the conversation consumes this direction's bytes.
        case http
        /// Bytes from here on are WebSocket frames; the conversation consumes no more of them.
        case webSocket
        /// The HTTP phase ended without WebSocket (the reason says why); the conversation consumes no more.
        case ended(String)
    }

    /// How the upgrade went so far.
    package enum Outcome: Hashable, Sendable {
        /// No answer to an upgrade request yet (or no upgrade request yet).
        case pending
        /// The server answered 101.
        case upgraded
        /// The server answered the upgrade request with another final status; see ``rejection``.
        case upgradeRejected
        /// Both directions ended without any upgrade request.
        case noUpgrade
        /// A direction's bytes are not HTTP/1.x; see ``findings``.
        case notHTTP
    }

    /// The answer to a refused upgrade.
    package struct Rejection: Hashable, Sendable {
        package var status: Int
        package var reason: String
        /// The start of the body as text (`ws` puts the reason there, e.g. "Missing or invalid Sec-WebSocket-Key
        /// header").
        package var bodyText: String
        /// Body bytes seen (may exceed what ``bodyText`` holds).
        package var bodyLength: Int
        /// Whether the whole body was seen.
        package var isBodyComplete: Bool
    }

    package private(set) var clientState: DirectionState = .http
    package private(set) var serverState: DirectionState = .http
    /// The first request of the connection.
    package private(set) var firstRequest: HTTPRequestHead?
    /// The first final (or 101) response of the connection.
    package private(set) var firstResponse: HTTPResponseHead?
    /// The first request asking for a WebSocket upgrade.
    package private(set) var upgradeRequest: HTTPRequestHead?
    /// The answer to ``upgradeRequest`` (or a 101 whose request was not seen).
    package private(set) var upgradeResponse: HTTPResponseHead?
    package private(set) var rejection: Rejection?
    /// Requests seen.
    package private(set) var requestCount = 0
    /// Final responses seen, 101 included.
    package private(set) var responseCount = 0
    /// 1xx responses other than 101 seen (RFC 9110 15.2: a client "MUST be able to parse one or more 1xx
    /// responses received prior to a final response").
    package private(set) var interimResponseCount = 0
    /// What went wrong or was odd, for people: malformed heads, framing problems, unpaired responses, warnings of
    /// the upgrade heads.
    package private(set) var findings: [String] = []

    private let maxHeadBytes: Int
    private let bodyTextLimit: Int
    private var clientParser: HTTPHeadParser
    private var serverParser: HTTPHeadParser
    private var clientBody: HTTPBodyReader?
    private var serverBody: HTTPBodyReader?
    /// Requests not answered yet, by position: (index, method). Bounded by what a client pipelines.
    private var unanswered: [(index: Int, method: String)] = []
    /// Position of ``upgradeRequest``.
    private var upgradeIndex: Int?
    /// Final responses fed before their request, by position (at most a few kept).
    private var early: [Int: HTTPResponseHead] = [:]
    /// Whether the client switches once the current request body ends.
    private var switchClientAfterBody = false
    /// Whether the server direction ends once the current response body ends.
    private var endServerAfterBody = false
    private var sawNotHTTP = false

    /// - Parameters:
    ///   - maxHeadBytes: the largest head accepted in either direction.
    ///   - bodyTextLimit: how much of a rejection body to keep as text.
    package init(maxHeadBytes: Int = 65_536, bodyTextLimit: Int = 4_096) {
        self.maxHeadBytes = maxHeadBytes
        self.bodyTextLimit = bodyTextLimit
        self.clientParser = HTTPHeadParser(kind: .request, maxHeadBytes: maxHeadBytes)
        self.serverParser = HTTPHeadParser(kind: .response, maxHeadBytes: maxHeadBytes)
    }

    /// How the upgrade went so far.
    package var outcome: Outcome {
        if self.upgradeResponse?.status == 101 {
            return .upgraded
        }
        if self.rejection != nil {
            return .upgradeRejected
        }
        if self.sawNotHTTP {
            return .notHTTP
        }
        if self.upgradeRequest == nil, case .ended = self.clientState, case .ended = self.serverState {
            return .noUpgrade
        }
        return .pending
    }

    /// The permessage-deflate parameters the upgrade negotiated (`handshake?.perMessageDeflate`, without the other
    /// checks).
    package var negotiatedDeflate: PerMessageDeflateParameters? {
        WebSocketHandshake.negotiatedDeflate(response: self.upgradeResponse)
    }

    /// The WebSocket handshake checks of the upgrade request and its response; nil when neither was seen.
    package var handshake: WebSocketHandshake? {
        guard self.upgradeRequest != nil || self.upgradeResponse != nil else {
            return nil
        }
        return WebSocketHandshake(request: self.upgradeRequest, response: self.upgradeResponse)
    }

    /// The state of one direction.
    package func state(_ direction: Direction) -> DirectionState {
        direction == .client ? self.clientState : self.serverState
    }

    /// Feeds bytes of one direction; returns how many the HTTP phase consumed. While that direction is still
    /// ``DirectionState/http`` every byte is consumed; once it is not, the bytes not consumed are WebSocket frames
    /// (``DirectionState/webSocket``) or are left alone (``DirectionState/ended(_:)``).
    package mutating func feed(_ bytes: UnsafeRawBufferPointer, from direction: Direction) -> Int {
        switch direction {
        case .client: self.feedClient(bytes)
        case .server: self.feedServer(bytes)
        }
    }

    /// Feeds the bytes of an array (a convenience for tests and small inputs).
    package mutating func feed(_ bytes: [UInt8], from direction: Direction) -> Int {
        bytes.withUnsafeBytes { self.feed($0, from: direction) }
    }

    /// Feeds client-to-server bytes; returns how many were consumed.
    package mutating func feedClient(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < bytes.count, self.clientState == .http {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            if var body = self.clientBody {
                let (used, complete) = body.feed(rest)
                offset += used
                self.clientBody = body
                if let problem = body.problem {
                    self.endClient("request body unreadable: \(problem)")
                } else if complete {
                    self.clientBody = nil
                    if self.switchClientAfterBody {
                        self.clientState = .webSocket
                    }
                }
                continue
            }
            let (used, result) = self.clientParser.feed(rest)
            offset += used
            switch result {
            case nil:
                break
            case .malformed(let reason):
                self.noteNotHTTP("client", reason, isFirst: self.requestCount == 0)
                self.endClient("not HTTP: \(reason)")
            case .tooLarge:
                self.endClient("request head larger than \(self.maxHeadBytes) bytes")
                self.findings.append("client: request head larger than \(self.maxHeadBytes) bytes")
            case .head(.request(let head)):
                self.clientParser.reset()
                self.handleRequest(head)
            case .head(.response):
                // A request parser only returns requests.
                self.endClient("unexpected response head from the client")
            }
        }
        return offset
    }

    /// Feeds server-to-client bytes; returns how many were consumed.
    package mutating func feedServer(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < bytes.count, self.serverState == .http {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            if var body = self.serverBody {
                let (used, complete) = body.feed(rest)
                offset += used
                self.serverBody = body
                self.updateRejectionBody(body)
                if let problem = body.problem {
                    self.endServer("response body unreadable: \(problem)")
                } else if complete {
                    self.serverBody = nil
                    if self.endServerAfterBody {
                        self.endServer("upgrade rejected")
                    }
                }
                continue
            }
            let (used, result) = self.serverParser.feed(rest)
            offset += used
            switch result {
            case nil:
                break
            case .malformed(let reason):
                self.noteNotHTTP("server", reason, isFirst: self.responseCount + self.interimResponseCount == 0)
                self.endServer("not HTTP: \(reason)")
            case .tooLarge:
                self.endServer("response head larger than \(self.maxHeadBytes) bytes")
                self.findings.append("server: response head larger than \(self.maxHeadBytes) bytes")
            case .head(.response(let head)):
                self.serverParser.reset()
                self.handleResponse(head)
            case .head(.request):
                self.endServer("unexpected request head from the server")
            }
        }
        return offset
    }

    /// Feeds client bytes from an array.
    package mutating func feedClient(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { self.feedClient($0) }
    }

    /// Feeds server bytes from an array.
    package mutating func feedServer(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { self.feedServer($0) }
    }

    /// The sender of `direction` closed its side (FIN or RST) or the capture ended: a response body read until
    /// close is complete, and a direction still in HTTP ends.
    package mutating func finish(_ direction: Direction) {
        switch direction {
        case .client:
            if self.clientState == .http {
                self.endClient(self.clientBody == nil ? "closed" : "closed inside a request body")
            }
        case .server:
            if var body = self.serverBody {
                body.finish()
                self.serverBody = nil
                self.updateRejectionBody(body)
            }
            if self.serverState == .http {
                self.endServer("closed")
            }
        }
    }

    // MARK: Requests

    private mutating func handleRequest(_ head: HTTPRequestHead) {
        let index = self.requestCount
        self.requestCount += 1
        if self.firstRequest == nil {
            self.firstRequest = head
        }
        let asksForWebSocket = head.headers.tokens("upgrade").contains("websocket")
        if asksForWebSocket, self.upgradeRequest == nil {
            self.upgradeRequest = head
            self.upgradeIndex = index
            for warning in head.warnings {
                self.findings.append("upgrade request: \(warning)")
            }
        }
        if let response = self.early.removeValue(forKey: index) {
            self.pair(response, withRequestAt: index, method: head.method)
        } else {
            self.unanswered.append((index, head.method))
        }

        let (framing, problem) = HTTPBodyFraming.of(head)
        if let problem {
            self.findings.append("request \(index + 1): \(problem)")
        }
        if framing == .none {
            if asksForWebSocket {
                self.clientState = .webSocket
            }
        } else {
            self.clientBody = HTTPBodyReader(framing: framing, textLimit: 0)
            self.switchClientAfterBody = asksForWebSocket
        }
    }

    // MARK: Responses

    private mutating func handleResponse(_ head: HTTPResponseHead) {
        if head.isInformational, head.status != 101 {
            // RFC 9110 15.2: "A client MUST be able to parse one or more 1xx responses received prior to a final
            // response, even if the client does not expect one."
            self.interimResponseCount += 1
            return
        }
        let index = self.responseCount
        self.responseCount += 1
        if self.firstResponse == nil {
            self.firstResponse = head
        }
        var method: String?
        if let position = self.unanswered.firstIndex(where: { $0.index == index }) {
            method = self.unanswered[position].method
            self.unanswered.remove(at: position)
            self.pair(head, withRequestAt: index, method: method)
        } else {
            self.findings.append("response \(index + 1) (\(head.status)) arrived before its request was seen")
            if self.early.count < 4 {
                self.early[index] = head
            }
        }

        if head.status == 101 {
            if self.upgradeResponse == nil {
                // A 101 to a request that did not ask for websocket, or whose request was not captured.
                self.upgradeResponse = head
            }
            // RFC 9110 15.2.2: "the server will switch protocols to those defined by the response's Upgrade header
            // field immediately after the empty line that terminates the 101 (Switching Protocols) response."
            self.serverState = .webSocket
            return
        }
        let (framing, problem) = HTTPBodyFraming.of(head, requestMethod: method)
        if let problem {
            self.findings.append("response \(index + 1): \(problem)")
        }
        let isRejection = self.upgradeIndex == index
        if framing == .none {
            if isRejection {
                self.endServer("upgrade rejected")
            }
        } else {
            self.serverBody = HTTPBodyReader(framing: framing, textLimit: isRejection ? self.bodyTextLimit : 0)
            self.endServerAfterBody = isRejection
        }
    }

    /// Records `response` as the answer to request `index`.
    private mutating func pair(_ response: HTTPResponseHead, withRequestAt index: Int, method: String?) {
        guard index == self.upgradeIndex else {
            return
        }
        self.upgradeResponse = response
        for warning in response.warnings {
            self.findings.append("upgrade response: \(warning)")
        }
        if response.status != 101 {
            self.rejection = Rejection(
                status: response.status,
                reason: response.reason,
                bodyText: "",
                bodyLength: 0,
                isBodyComplete: HTTPBodyFraming.of(response, requestMethod: method).framing == .none
            )
        }
    }

    private mutating func updateRejectionBody(_ body: HTTPBodyReader) {
        guard self.endServerAfterBody, self.rejection != nil else {
            return
        }
        self.rejection?.bodyText = body.text
        self.rejection?.bodyLength = body.bodyLength
        self.rejection?.isBodyComplete = body.isComplete
    }

    // MARK: Ending

    private mutating func noteNotHTTP(_ side: String, _ reason: String, isFirst: Bool) {
        self.findings.append("\(side): \(reason)")
        if isFirst {
            self.sawNotHTTP = true
        }
    }

    private mutating func endClient(_ reason: String) {
        self.clientState = .ended(reason)
        self.clientBody = nil
    }

    private mutating func endServer(_ reason: String) {
        self.serverState = .ended(reason)
        self.serverBody = nil
    }
}
