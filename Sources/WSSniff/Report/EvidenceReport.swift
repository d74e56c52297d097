package import Dissect
import ProofVerify

/// Everything `wssniff report` writes, gathered once: the analysis, the environment, the config findings, the
/// identity comparison, and what the sanitizer did.
package struct EvidenceReport: Sendable {
    package var input: InputSummary
    package var connections: [ConnectionReport]
    package var environment: ReportEnvironment
    package var config: ConfigFindings?
    /// Sentences comparing `--identity` with the captured connects.
    package var identity: [String] = []
    /// Sentences from the sanitizer (blanked messages, ...).
    package var sanitizerNotes: [String] = []
    /// Where the sanitized capture went, when one was written.
    package var sanitizedPath: String?
    package var redactor: Redactor
    /// Secret strings found in the capture, scrubbed from every rendered text as a last guard.
    package var secrets: Set<String> = []

    package init(
        input: InputSummary,
        connections: [ConnectionReport],
        environment: ReportEnvironment,
        config: ConfigFindings?,
        redactor: Redactor
    ) {
        self.input = input
        self.connections = connections
        self.environment = environment
        self.config = config
        self.redactor = redactor
    }

    /// How many frames a connection's section lists.
    package static let framesListed = 64

    /// The connections that did not end well, or all when none failed.
    package var failing: [ConnectionReport] {
        self.connections.filter { $0.gateway.verdict.cause != .accepted }
    }

    /// The connection the report is about: the first failing gateway connection, else the first failing, else the
    /// first.
    package var primary: ConnectionReport? {
        self.failing.first { $0.gateway.isGateway } ?? self.failing.first ?? self.connections.first
    }

    /// Compares the identity file's device with each connect's device.
    package mutating func compareIdentity(path: String) throws(WSSniffError) {
        let bytes = try ReportFiles.readAll(path)
        let identity: IdentityFile.PublicPart
        do {
            identity = try IdentityFile.publicPart(from: bytes)
        } catch {
            throw WSSniffError(.invalidCapture, "\(path): \(error)")
        }
        var sentences = ["The identity file holds device `\(identity.deviceId)` (\(identity.form.rawValue) form)."]
        for report in self.connections {
            guard let device = report.gateway.connect?.device else { continue }
            let id = device.id?.stringValue ?? "(none)"
            let key = device.publicKey?.stringValue ?? "(none)"
            let idMatches = id == identity.deviceId
            let keyMatches = key == identity.wirePublicKey
            sentences.append(
                "Connection \(report.index): device id \(idMatches ? "matches" : "differs (`\(id)`)"), public key "
                    + (keyMatches ? "matches." : "differs.")
            )
        }
        self.identity = sentences
    }

    /// The cause in one sentence, for the title line.
    package var verdictSentence: String {
        guard let primary else { return "The capture holds no TCP connection." }
        let verdict = primary.gateway.verdict
        return "Connection \(primary.index) (\(primary.client) to \(primary.server)): **\(verdict.cause.rawValue)**"
            + (verdict.observed ? "" : " (predicted)") + ". " + verdict.summary
    }

    /// What to do next for a connection's cause.
    package func nextSteps(_ report: ConnectionReport) -> [String] {
        let gateway = report.gateway
        let verdict = gateway.verdict
        switch verdict.cause {
        case .accepted:
            return ["Nothing: the gateway accepted the connection."]
        case .protocolMismatch:
            let minimum = gateway.connect?.minProtocol.map(String.init) ?? "?"
            let maximum = gateway.connect?.maxProtocol.map(String.init) ?? "?"
            let expected = gateway.response?.error?.expectedProtocol ?? gateway.gatewayProtocol
            return [
                "The client offers protocol \(minimum)..\(maximum); the gateway speaks protocol \(expected). "
                    + "Make the ranges meet: run a client whose range includes \(expected) "
                    + "(minProtocol <= \(expected) <= maxProtocol), or a gateway version that speaks a protocol in "
                    + "\(minimum)..\(maximum).",
                "Compare `openclaw --version` on both ends: the client and the gateway come from releases with "
                    + "different protocol versions.",
            ]
        case .pairingRequired:
            let requestId = gateway.response?.error?.details?["requestId"]?.stringValue
            return [
                "The device is not paired with this gateway. On the gateway host, list the pending requests: "
                    + "`openclaw devices list`",
                "Approve this one: `openclaw devices approve \(requestId ?? "<requestId>")`"
                    + (requestId == nil ? " (the capture holds no request id: take it from the list)" : "")
                    + ", then connect again.",
            ]
        case .deviceSignatureInvalid:
            if let nearMiss = gateway.proof?.nearMiss {
                return [
                    "The signature verifies over a near miss, `\(nearMiss.name)` (\(nearMiss.form.rawValue) form): "
                        + nearMiss.explanation,
                    "Sign exactly the payload the gateway rebuilds (the `v3` row of the candidate table); the field "
                        + "that differs is named above.",
                ]
            }
            return [
                "No payload form the gateway accepts verifies, and no near miss does either: the key that signed is "
                    + "not the device's key, or the payload differs in more than one field. See the candidate table."
            ]
        case .frameViolation, .invalidUTF8, .messageTooBig:
            guard let violation = report.websocket.violations.first else { return [verdict.summary] }
            let who = violation.direction == .client ? "client" : "gateway"
            return [
                "Frame \(violation.frame.map(String.init) ?? "?") from the \(who) (packet "
                    + "\(violation.packet.map { String($0.number) } ?? "?")) breaks `\(violation.rule.rawValue)`: "
                    + "\(violation.detail)",
                "Fix the \(who)'s WebSocket framing (RFC 6455 section 5); the `ws` library closes on this rule.",
            ]
        case .unauthorized:
            var steps = [
                "The gateway refused the shared secret. Compare the token fingerprints below: the "
                    + "connect's `auth` slot against the configured one (`--config`)."
            ]
            if let config { steps += config.tokenComparison([report]) }
            return steps
        default:
            return [verdict.summary]
        }
    }
}
