import Dissect
package import ProofVerify

/// `wssniff probe`: connects to a running gateway as a client and measures which protocol versions and proof forms
/// it accepts from this device, one connection per question.
package enum ProbeRun {
    /// What stopped the probe before it asked everything.
    package enum Stop: Sendable {
        /// `AUTH_RATE_LIMITED`: the gateway refuses further attempts for a while.
        case rateLimited(retryAfterMs: Int64?)
        /// `UNAVAILABLE` (a gateway still starting): retry later.
        case unavailable(message: String, retryAfterMs: Int64?)
        /// A connection failed after earlier ones were answered (the gateway went away, or stopped answering).
        case failed(message: String)
    }

    /// Everything the probe learned.
    package struct Result: Sendable {
        package var target: ProbeTarget
        package var deviceId: String
        /// One connection per offered protocol, without a device.
        package var protocolChecks: [ProbeAttempt] = []
        /// One connection per form tried, at ``protocolVersion``.
        package var attempts: [ProbeAttempt] = []
        /// The protocol the forms were tried at: the highest one the gateway admitted.
        package var protocolVersion: Int?
        package var stop: Stop?
        /// Whether forms were left untried because one was accepted (no `--all`).
        package var stoppedAtFirstAccepted = false

        /// The protocols the gateway admitted (it answered something other than `protocol mismatch`).
        package var admittedProtocols: [Int] {
            self.protocolChecks.filter(\.admitsProtocol).map(\.protocolVersion)
        }

        /// The forms whose proof the gateway verified, in the order tried.
        package var acceptedForms: [ProofForm] {
            self.attempts.filter { $0.judgement == .verified }.compactMap(\.form)
        }

        /// `server.version` from any hello-ok.
        package var serverVersion: String? {
            (self.protocolChecks + self.attempts).lazy.compactMap(\.serverVersion).first
        }

        /// `details.expectedProtocol` of a protocol mismatch: the gateway's own protocol.
        package var expectedProtocol: Int64? {
            self.protocolChecks.lazy.compactMap { $0.error?.expectedProtocol }.first
        }
    }

    /// Runs the probe: the protocol checks, then the forms. `progress` sees each attempt as it ends.
    ///
    /// - Throws: ``ProbeError`` when the gateway cannot be reached or is not an OpenClaw gateway (no
    ///   `connect.challenge` after the upgrade).
    package static func run(
        _ request: ProbeRequest,
        key: SigningKey,
        progress: (ProbeAttempt) -> Void = { _ in }
    ) throws(ProbeError) -> Result {
        var result = Result(target: request.target, deviceId: key.deviceId)
        var connections = 0
        func pace() {
            if connections > 0 {
                ProbeClock.sleep(milliseconds: request.paceMilliseconds)
            }
            connections += 1
        }
        for version in request.protocols {
            pace()
            let attempt: ProbeAttempt
            do {
                attempt = try Self.connection(request, purpose: .protocolCheck, protocolVersion: version, key: key)
            } catch {
                // The first connection's failure is the answer (not reachable, not a gateway); a later one ends
                // the probe with what it has.
                guard connections > 1 else { throw error }
                result.stop = .failed(message: error.message)
                return result
            }
            result.protocolChecks.append(attempt)
            progress(attempt)
            if let stop = Self.stop(attempt) {
                result.stop = stop
                return result
            }
        }
        guard let chosen = result.admittedProtocols.max() else { return result }
        result.protocolVersion = chosen
        for (index, form) in request.forms.enumerated() {
            pace()
            let attempt: ProbeAttempt
            do {
                attempt = try Self.connection(request, purpose: .form(form), protocolVersion: chosen, key: key)
            } catch {
                result.stop = .failed(message: error.message)
                return result
            }
            result.attempts.append(attempt)
            progress(attempt)
            if let stop = Self.stop(attempt) {
                result.stop = stop
                return result
            }
            if attempt.judgement == .verified && !request.all {
                result.stoppedAtFirstAccepted = index < request.forms.count - 1
                break
            }
        }
        return result
    }

    private static func stop(_ attempt: ProbeAttempt) -> Stop? {
        if attempt.rateLimited {
            return .rateLimited(retryAfterMs: attempt.retryAfterMs)
        }
        if attempt.unavailable {
            return .unavailable(message: attempt.error?.message ?? "", retryAfterMs: attempt.retryAfterMs)
        }
        return nil
    }

    // MARK: - One connection

    /// Upgrade, challenge, connect, answer, close.
    private static func connection(
        _ request: ProbeRequest,
        purpose: ProbeAttempt.Purpose,
        protocolVersion: Int,
        key: SigningKey
    ) throws(ProbeError) -> ProbeAttempt {
        var attempt = ProbeAttempt(purpose: purpose, protocolVersion: protocolVersion)
        let timeout = request.timeout
        let socket = try ProbeWebSocket(target: request.target, timeout: timeout)
        attempt.localPort = socket.localPort
        let challenge = try Self.challenge(socket, request: request)
        let connect: String
        do {
            connect = try ProbeConnect.frame(
                request,
                purpose: purpose,
                protocolVersion: protocolVersion,
                challenge: challenge,
                signedAtMs: ProbeClock.wallMilliseconds,
                key: key
            ).serialized()
        } catch {
            attempt.failure = "not sent: \(error.message)"
            attempt.close = socket.close(code: 1000, timeout: timeout)
            attempt.closedBy = "client"
            return attempt
        }
        try socket.send(text: connect, timeout: timeout)
        let deadline = ProbeClock.after(seconds: timeout)
        reading: while true {
            guard let incoming = try socket.next(deadline: deadline) else {
                attempt.failure =
                    attempt.error == nil
                    ? "no answer within \(Self.seconds(timeout)) s"
                    : "no close within \(Self.seconds(timeout)) s after the error"
                attempt.close = socket.close(code: 1000, timeout: timeout)
                attempt.closedBy = "client"
                break
            }
            switch incoming {
            case .text(let bytes):
                guard case .response(let response) = GatewayMessage.classify(bytes),
                    response.id == ProbeConnect.requestId
                else { continue }
                if response.ok == true {
                    attempt.helloOK = true
                    attempt.cause = GatewayVerdict.Cause.accepted.rawValue
                    attempt.serverVersion = response.helloOK?.serverVersion
                    attempt.helloProtocol = response.helloOK?.protocolVersion
                    attempt.close = socket.close(code: 1000, timeout: timeout)
                    attempt.closedBy = "client"
                    break reading
                }
                attempt.error = response.error ?? GatewayError(code: nil, message: nil)
                attempt.cause = GatewayVerdict.cause(forMessage: response.error?.message ?? "")?.rawValue
            case .binary:
                continue
            case .close(let code, let reason):
                attempt.close = (code, reason)
                attempt.closedBy = "gateway"
                if attempt.cause == nil {
                    attempt.cause = GatewayVerdict.cause(forMessage: reason)?.rawValue
                }
                socket.answerClose(code: code, timeout: timeout)
                break reading
            case .ended:
                attempt.closedBy = "gateway"
                if attempt.error == nil {
                    attempt.failure = "the gateway ended the connection without an answer"
                }
                break reading
            case .violation(let detail):
                attempt.failure = "the gateway broke RFC 6455: \(detail)"
                attempt.close = socket.close(code: 1002, timeout: timeout)
                attempt.closedBy = "client"
                break reading
            }
        }
        return attempt
    }

    /// The `connect.challenge` that opens every gateway connection; anything else means this is not a gateway.
    private static func challenge(
        _ socket: ProbeWebSocket,
        request: ProbeRequest
    ) throws(ProbeError) -> ConnectChallenge {
        let url = request.target.url
        let timeout = request.timeout
        let first = try socket.next(deadline: ProbeClock.after(seconds: timeout))
        switch first {
        case nil:
            socket.close(code: 1000, timeout: 1)
            throw ProbeError(
                .notGateway,
                "\(url) upgraded to WebSocket but sent no connect.challenge event within \(Self.seconds(timeout)) s: "
                    + "not an OpenClaw gateway (a gateway sends it as soon as the connection opens)"
            )
        case .text(let bytes):
            if case .event(let event) = GatewayMessage.classify(bytes), let challenge = event.challenge,
                let nonce = challenge.nonce, !nonce.isEmpty
            {
                return challenge
            }
            socket.close(code: 1000, timeout: 1)
            throw ProbeError(
                .notGateway,
                "\(url) sent a first message that is not a connect.challenge event: not an OpenClaw gateway"
            )
        case .binary:
            socket.close(code: 1000, timeout: 1)
            throw ProbeError(.notGateway, "\(url) sent a binary message first: not an OpenClaw gateway")
        case .close(let code, let reason):
            socket.answerClose(code: code, timeout: 1)
            throw ProbeError(
                .notGateway,
                "\(url) closed the WebSocket (\(code.map(String.init) ?? "no code") \(reason)) before any "
                    + "connect.challenge: not an OpenClaw gateway, or one refusing this client"
            )
        case .ended:
            throw ProbeError(.notGateway, "\(url) ended the connection before any connect.challenge event")
        case .violation(let detail):
            socket.close(code: 1002, timeout: 1)
            throw ProbeError(.notGateway, "\(url) broke RFC 6455 before any challenge: \(detail)")
        }
    }

    static func seconds(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : String(value)
    }
}
