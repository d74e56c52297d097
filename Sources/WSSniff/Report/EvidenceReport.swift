package import Dissect
package import ProofVerify

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
    /// What the host did during the capture (`FILE.events.jsonl`): config changes, restarts.
    package var hostEvents: [HostEvent] = []
    /// `--config-history`: earlier copies of the config and the changes between them.
    package var configHistory: ConfigHistory?

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

    /// One failing cause and the connections that failed with it.
    package struct CauseGroup: Sendable {
        package var cause: GatewayVerdict.Cause
        /// In capture order; the first is the one the group's headline describes.
        package var connections: [ConnectionReport]
    }

    /// Each distinct failing cause with the connections it covers: the primary connection's cause first, then
    /// gateway connections' causes in capture order, then the others' (a connection that is not a gateway
    /// handshake). Empty when no connection failed.
    package var causeGroups: [CauseGroup] {
        let ordered = self.failing.filter { $0.gateway.isGateway } + self.failing.filter { !$0.gateway.isGateway }
        var groups: [CauseGroup] = []
        for report in ordered {
            let cause = report.gateway.verdict.cause
            if let index = groups.firstIndex(where: { $0.cause == cause }) {
                groups[index].connections.append(report)
            } else {
                groups.append(CauseGroup(cause: cause, connections: [report]))
            }
        }
        return groups
    }

    /// How many connections of a group contribute their own next steps; the rest share them.
    package static let stepsPerGroup = 8

    /// The next steps of a group: each connection's, in order and without repeats, from its first
    /// ``stepsPerGroup`` connections. A step that not every one of them shares names the connections it is for.
    package func nextSteps(_ group: CauseGroup) -> [String] {
        let reports = group.connections.prefix(Self.stepsPerGroup)
        var steps: [(text: String, connections: [Int])] = []
        for report in reports {
            for step in self.nextSteps(report) {
                if let index = steps.firstIndex(where: { $0.text == step }) {
                    if steps[index].connections.last != report.index { steps[index].connections.append(report.index) }
                } else {
                    steps.append((step, [report.index]))
                }
            }
        }
        var lines = steps.map { step in
            guard step.connections.count < reports.count else { return step.text }
            let named = Self.connectionList(step.connections)
            return named.prefix(1).uppercased() + named.dropFirst() + ": " + step.text
        }
        let more = group.connections.count - reports.count
        if more > 0 {
            lines.append(
                (more == 1 ? "1 more connection with this cause is" : "\(more) more connections with this cause are")
                    + " listed in the connection table."
            )
        }
        return lines
    }

    /// The headline of a group: the verdict sentence of its first connection, and the others it covers.
    package func headline(_ group: CauseGroup) -> String {
        guard let first = group.connections.first else { return "" }
        var sentence = self.verdictSentence(first)
        if group.connections.count > 1 {
            let others = Self.connectionList(group.connections.dropFirst().map(\.index))
            sentence += " The same cause ends \(others)."
        }
        return sentence
    }

    /// "connection 3", "connections 2 and 5", "connections 1, 4 and 6", at most 20 numbers then how many more.
    package static func connectionList(_ indices: [Int]) -> String {
        guard indices.count > 1 else { return "connection \(indices.first.map(String.init) ?? "?")" }
        var names = indices.prefix(20).map(String.init)
        if indices.count > 20 {
            names.append("\(indices.count - 20) more")
        }
        let last = names.removeLast()
        return "connections \(names.joined(separator: ", ")) and \(last)"
    }

    /// What the wire says identifies the peers of one connection: the connect's `client` fields, the upgrade's
    /// `User-Agent` and `Origin`, the gateway's version from `hello-ok`. Each is as sent, `nil` when absent.
    package struct Peers: Sendable {
        package var connection: Int
        package var clientId: String?
        package var clientMode: String?
        package var clientVersion: String?
        package var platform: String?
        package var deviceFamily: String?
        package var userAgent: String?
        package var origin: String?
        package var serverVersion: String?

        /// The fields in report order, with their names.
        package var fields: [(String, String?)] {
            [
                ("clientId", self.clientId), ("clientMode", self.clientMode), ("clientVersion", self.clientVersion),
                ("platform", self.platform), ("deviceFamily", self.deviceFamily), ("userAgent", self.userAgent),
                ("origin", self.origin), ("serverVersion", self.serverVersion),
            ]
        }
    }

    /// The peers of each connection whose wire names any of them, in connection order.
    package var peers: [Peers] {
        func text(_ value: JSONValue?) -> String? {
            guard let value else { return nil }
            return Self.cut(value.stringValue ?? value.jsonText)
        }
        return self.connections.compactMap { report in
            let client = report.gateway.connect?.client
            let handshake = report.websocket.handshake
            let peers = Peers(
                connection: report.index,
                clientId: text(client?.id),
                clientMode: text(client?.mode),
                clientVersion: text(client?.version),
                platform: text(client?.platform),
                deviceFamily: text(client?.deviceFamily),
                userAgent: handshake?.userAgent.map(Self.cut),
                origin: handshake?.origin.map(Self.cut),
                serverVersion: report.gateway.response?.helloOK?.serverVersion.map(Self.cut)
            )
            return peers.fields.contains { $0.1 != nil } ? peers : nil
        }
    }

    /// A value from the wire, cut to 200 characters for a table.
    private static func cut(_ text: String) -> String {
        text.count > 200 ? text.prefix(200) + "..." : text
    }

    /// What the environment rows describe: the machine that ran the analysis, which captured only when the
    /// capture was live.
    package var environmentScope: String {
        if let interface = self.input.interface {
            return "These rows describe the machine that captured (live, on `\(interface)`) and ran the analysis."
        }
        return "These rows describe the machine that ran the analysis (`wssniff report`), not the one that captured "
            + "the traffic, which may be another machine with other versions"
            + (self.peers.isEmpty ? "." : "; what the wire says of the client and the gateway is under Peers.")
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
        return self.verdictSentence(primary)
    }

    /// A connection's cause in one sentence.
    package func verdictSentence(_ report: ConnectionReport) -> String {
        let verdict = report.gateway.verdict
        return "Connection \(report.index) (\(report.client) to \(report.server)): **\(verdict.cause.rawValue)**"
            + (verdict.observed ? "" : " (predicted)") + ". " + verdict.summary
    }

    /// The opening sentence of a report whose connections failed with several causes.
    package var causesSentence: String {
        let groups = self.causeGroups
        let failed = groups.reduce(0) { $0 + $1.connections.count }
        let listed = groups.map { "`\($0.cause.rawValue)` (\(Self.connectionList($0.connections.map(\.index))))" }
        return "\(failed) of \(self.connections.count) connections failed, with \(groups.count) different causes: "
            + listed.joined(separator: ", ") + ". Each cause has its own headline and steps below."
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
