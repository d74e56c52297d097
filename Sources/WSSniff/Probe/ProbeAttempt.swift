package import ProofVerify

/// One connection the probe made and what the gateway answered.
package struct ProbeAttempt: Sendable {
    /// What the connection asked.
    package enum Purpose: Sendable, Equatable {
        /// A connect without a device (the proof not yet the question), offering exactly this protocol.
        case protocolCheck
        /// A connect signed in this form.
        case form(ProofForm)
    }

    /// How the gateway judged the proof, read from where its answer comes in its order of checks.
    package enum ProofJudgement: String, Sendable {
        /// hello-ok, or a refusal that comes after the signature check (shared auth, pairing).
        case verified
        /// `device signature invalid`.
        case rejected
        /// The gateway stopped before the signature check (protocol, schema, nonce, clock) or did not answer.
        case undecided
    }

    package var purpose: Purpose
    package var protocolVersion: Int
    /// The probe's port on this connection (the gateway logs it as the remote port).
    package var localPort: UInt16?
    /// `hello-ok` came back.
    package var helloOK = false
    /// The gateway's error response.
    package var error: GatewayError?
    /// The close the gateway sent (or, after hello-ok, the one it echoed to the probe's 1000).
    package var close: (code: UInt16?, reason: String)?
    /// Who closed: `gateway` or `client` (the probe, after hello-ok or on a timeout).
    package var closedBy: String?
    /// The cause in wssniff's vocabulary (docs/verdicts.md): `accepted`, `pairing-required`, ...
    package var cause: String?
    /// `hello-ok`'s `server.version`.
    package var serverVersion: String?
    /// `hello-ok`'s `protocol`.
    package var helloProtocol: Int64?
    /// What went wrong on the probe's side (no answer in time, connection lost).
    package var failure: String?

    package init(purpose: Purpose, protocolVersion: Int) {
        self.purpose = purpose
        self.protocolVersion = protocolVersion
    }

    /// The form, for a form attempt.
    package var form: ProofForm? {
        if case .form(let form) = self.purpose { form } else { nil }
    }

    /// Whether the gateway refused for the protocol (`protocol mismatch`, before any other check).
    package var protocolRefused: Bool {
        self.cause == GatewayVerdict.Cause.protocolMismatch.rawValue
    }

    /// Whether a protocol check's answer admits its protocol: the gateway answered (a response, or a close that names
    /// a later check) with anything but `protocol mismatch`, a rate limit or `UNAVAILABLE`.
    package var admitsProtocol: Bool {
        (self.helloOK || self.error != nil || self.cause != nil) && !self.protocolRefused && !self.rateLimited
            && !self.unavailable
    }

    /// A rate-limit answer (`AUTH_RATE_LIMITED` as the error code or its details code).
    package var rateLimited: Bool {
        self.error?.code == Self.rateLimitCode || self.error?.detailsCode == Self.rateLimitCode
    }

    /// `UNAVAILABLE` (a gateway that is still starting answers so, before the protocol check, and asks to retry).
    package var unavailable: Bool {
        self.error?.code == "UNAVAILABLE"
    }

    /// `details.retryAfterMs` of a rate-limit or `UNAVAILABLE` answer.
    package var retryAfterMs: Int64? {
        self.error?.details?["retryAfterMs"]?.int64Value
    }

    /// The error code the gateway uses for too many failed auth attempts (upstream `AUTH_RATE_LIMITED`, a
    /// connect-error detail code of later releases: openclaw/openclaw `src/gateway/protocol/connect-error-details.ts`).
    package static let rateLimitCode = "AUTH_RATE_LIMITED"

    /// Where the answer puts the proof: hello-ok and refusals the gateway makes only after the signature verified
    /// (`unauthorized`, `pairing required`; docs/gateway-protocol.md section 5, rows 15-16) prove it verified.
    package var judgement: ProofJudgement {
        if self.helloOK { return .verified }
        // A rate limit or a gateway still starting says nothing of the proof, whatever its message starts with.
        if self.rateLimited || self.unavailable { return .undecided }
        switch self.cause {
        case GatewayVerdict.Cause.unauthorized.rawValue, GatewayVerdict.Cause.pairingRequired.rawValue:
            return .verified
        case GatewayVerdict.Cause.deviceSignatureInvalid.rawValue:
            return .rejected
        default:
            return .undecided
        }
    }

    /// What blocked a verified proof: `pairing-required`, `unauthorized`; nil for hello-ok or an unverified proof.
    package var blockedBy: String? {
        self.judgement == .verified && !self.helloOK ? self.cause : nil
    }

    /// The gateway's answer in a few words: `hello-ok`, `pairing required`, `no answer`, ...
    package var answer: String {
        if self.helloOK { return "hello-ok" }
        if let error = self.error {
            return "\(error.code ?? "error") \(error.message ?? "")".trimmingSpaces
        }
        if let failure = self.failure { return failure }
        if let close = self.close {
            return "closed \(close.code.map(String.init) ?? "(no code)") \(close.reason)".trimmingSpaces
        }
        return "no answer"
    }
}

extension String {
    /// The string without leading and trailing spaces.
    fileprivate var trimmingSpaces: String {
        String(self.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
