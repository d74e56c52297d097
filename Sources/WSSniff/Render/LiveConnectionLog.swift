package import Dissect
package import ProofVerify

/// The bookkeeping of live output (`capture`, or any reader that reports connections as they go): numbers each
/// connection when it is first reported (its handshake, or its end) and remembers the handshakes reported while
/// their connections were open, so each end says whether the verdict changed since. It holds one entry per open
/// connection whose handshake was reported.
package struct LiveConnectionLog {
    /// A handshake reported before its connection ended.
    package struct Reported: Sendable {
        package var index: Int
        package var packet: PacketRef
        package var verdict: GatewayVerdict
    }

    private struct Key: Hashable {
        var client: Endpoint
        var server: Endpoint
    }

    private var open: [Key: Reported] = [:]
    /// Connections reported so far.
    package private(set) var count = 0

    package init() {}

    /// Numbers a handshake report (a new connection) and remembers its verdict until the connection ends.
    package mutating func handshake(_ handshake: HandshakeReport) -> Int {
        self.count += 1
        let key = Key(client: handshake.client, server: handshake.server)
        self.open[key] = Reported(index: self.count, packet: handshake.packet, verdict: handshake.gateway.verdict)
        return self.count
    }

    /// Numbers a finished connection (as its handshake was, when it was reported) and gives its handshake report,
    /// if there was one, forgetting it.
    package mutating func ended(_ report: inout ConnectionReport) -> Reported? {
        let keys =
            [Key(client: report.client, server: report.server)]
            + report.views.map { Key(client: $0.client, server: $0.server) }
        for key in keys {
            if let reported = self.open.removeValue(forKey: key) {
                report.index = reported.index
                return reported
            }
        }
        self.count += 1
        report.index = self.count
        return nil
    }
}

extension LiveConnectionLog.Reported {
    /// Whether the connection's final verdict says something else than the one reported at its handshake: another
    /// cause, or a predicted one now observed (or the reverse). The sentence may read differently either way.
    package func changed(to verdict: GatewayVerdict) -> Bool {
        verdict.cause != self.verdict.cause || verdict.observed != self.verdict.observed
    }
}

extension TextRenderer {
    /// A handshake decided on an open connection: the connection's first line, its verdict, and the handshake.
    package static func handshake(
        _ handshake: HandshakeReport,
        index: Int,
        options: RenderOptions = RenderOptions()
    ) -> String {
        let answer = handshake.decidedBy == .response ? "the gateway answered the connect" : "a close frame"
        var text =
            "#\(index) \(handshake.client) -> \(handshake.server)  handshake decided at packet "
            + "\(handshake.packet.number) (\(answer)), connection still open"
        let verdict = handshake.gateway.verdict
        text +=
            "\n    verdict: \(verdict.cause.rawValue)" + (verdict.observed ? "" : " (predicted)")
            + ": \(verdict.summary)"
        let gateway = Self.gateway(handshake.gateway)
        if !gateway.isEmpty {
            text += "\n" + gateway
        }
        return text
    }

    /// The end of a connection whose handshake was reported before: one line, and the new verdict when it changed.
    package static func connectionEnd(_ report: ConnectionReport, handshake: LiveConnectionLog.Reported) -> String {
        let tcp = report.tcp
        let tenths =
            (max(0, tcp.lastPacket.timestamp.nanoseconds - tcp.firstPacket.timestamp.nanoseconds) + 50_000_000)
            / 100_000_000
        let end: String
        switch tcp.end {
        case .fin: end = "closed with FIN"
        case .rst: end = "reset (RST)"
        case .open: end = "still open at the end of the capture"
        }
        let duration = "\(tenths / 10).\(tenths % 10)"
        let messages = Self.count(report.websocket.messageCount, "message")
        var line = "#\(report.index) \(report.client) -> \(report.server)  ended: \(end), \(duration) s after its "
        line += "first packet, packets \(tcp.firstPacket.number)-\(tcp.lastPacket.number), \(messages)"
        let verdict = report.gateway.verdict
        guard handshake.changed(to: verdict) else {
            return line + "; verdict \(verdict.cause.rawValue) as reported"
        }
        line += "; verdict changed since the handshake (was \(handshake.verdict.cause.rawValue)"
        line += handshake.verdict.observed ? ")" : ", predicted)"
        line +=
            "\n    verdict: \(verdict.cause.rawValue)" + (verdict.observed ? "" : " (predicted)")
            + ": \(verdict.summary)"
        return line
    }
}

extension JSONRenderer {
    /// The event line of a handshake decided on an open connection (`capture --format jsonl`).
    package static func handshakeEvent(_ handshake: HandshakeReport, index: Int, options: RenderOptions) -> JSON {
        .object([
            ("event", .string("handshake")),
            ("index", .integer(index)),
            ("time", .string(handshake.packet.timestamp.rfc3339)),
            ("packet", .integer(handshake.packet.number)),
            ("decidedBy", .string(handshake.decidedBy.rawValue)),
            ("client", Self.endpoint(handshake.client)),
            ("server", Self.endpoint(handshake.server)),
            ("gateway", Self.gateway(handshake.gateway, options: options)),
            ("proof", Self.proof(handshake.gateway.proof)),
            ("verdict", Self.verdict(handshake.gateway.verdict)),
        ])
    }

    /// A connection's line when it ends, in live output: `connection(_:options:)` and, when its handshake was
    /// reported before, `handshakeEvent` with whether the verdict changed since.
    package static func endedConnection(
        _ report: ConnectionReport,
        handshake: LiveConnectionLog.Reported?,
        options: RenderOptions
    ) -> JSON {
        let line = Self.connection(report, options: options)
        guard let handshake, case .object(var members) = line else { return line }
        members.append(
            (
                "handshakeEvent",
                .object([
                    ("time", .string(handshake.packet.timestamp.rfc3339)),
                    ("packet", .integer(handshake.packet.number)),
                    ("cause", .string(handshake.verdict.cause.rawValue)),
                    ("observed", .bool(handshake.verdict.observed)),
                    ("verdictChanged", .bool(handshake.changed(to: report.gateway.verdict))),
                ])
            )
        )
        return .object(members)
    }
}
