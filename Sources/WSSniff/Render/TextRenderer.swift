package import Dissect
import ProofVerify

/// Renders results for people: a short header about the input, then one block per connection.
package enum TextRenderer {
    package static func header(_ input: InputSummary) -> String {
        var lines: [String] = []
        if let interface = input.interface {
            lines.append("interface \(interface)")
        }
        for file in input.files {
            let name = file.path == "-" ? "standard input" : "file \(file.path)"
            lines.append("\(name) (\(Self.count(file.size, "byte")), \(Self.count(file.packets, "packet")))")
        }
        var summary = "\(Self.count(input.packets, "packet")), \(Self.count(input.bytes, "byte"))"
        if !input.linkTypes.isEmpty {
            summary += ", link type \(input.linkTypes.map(\.description).joined(separator: ", "))"
        }
        if let first = input.firstTime, let last = input.lastTime {
            summary += ", \(first.rfc3339) to \(last.rfc3339)"
        }
        lines.append(summary)
        if input.truncatedPackets > 0 {
            lines.append(
                "\(Self.count(input.truncatedPackets, "packet")) \(input.truncatedPackets == 1 ? "was" : "were") cut "
                    + "short by the snaplen: their missing bytes are gaps"
            )
        }
        for warning in input.warnings {
            lines.append("warning: \(warning)")
        }
        return lines.joined(separator: "\n")
    }

    package static func connection(_ report: ConnectionReport, options: RenderOptions = RenderOptions()) -> String {
        var text = Self.tcpLine(report)
        text +=
            "\n    verdict: \(report.gateway.verdict.cause.rawValue)"
            + (report.gateway.verdict.observed ? "" : " (predicted)") + ": \(report.gateway.verdict.summary)"
        let websocket = Self.websocket(report, options: options)
        if !websocket.isEmpty {
            text += "\n" + websocket
        }
        let gateway = Self.gateway(report.gateway)
        if !gateway.isEmpty {
            text += "\n" + gateway
        }
        return text
    }

    static func tcpLine(_ report: ConnectionReport) -> String {
        let tcp = report.tcp
        var line = "#\(report.index) \(report.client) -> \(report.server)"
        line += "  packets \(tcp.firstPacket.number)-\(tcp.lastPacket.number)"
        line += "  client \(tcp.clientBytes) B, server \(tcp.serverBytes) B"
        line += "  " + (tcp.handshakeSeen ? "SYN seen" : "no SYN (capture started mid-connection)")
        switch tcp.end {
        case .fin: line += ", closed with FIN"
        case .rst: line += ", reset (RST)"
        case .open: line += ", still open at the end of the capture"
        }
        var notes: [String] = []
        if tcp.gaps > 0 {
            notes.append("\(Self.count(tcp.gaps, "gap")) (\(Self.count(tcp.gapBytes, "byte")) never captured)")
        }
        if tcp.retransmissions > 0 { notes.append(Self.count(tcp.retransmissions, "retransmission")) }
        if tcp.outOfOrder > 0 { notes.append(Self.count(tcp.outOfOrder, "out-of-order segment")) }
        if tcp.conflictingOverlaps > 0 {
            notes.append(Self.count(tcp.conflictingOverlaps, "overlap") + " with different bytes")
        }
        if !notes.isEmpty { line += "\n    " + notes.joined(separator: ", ") }
        if let views = report.otherViewsSentence { line += "\n    " + views }
        return line
    }

    /// The WebSocket part: the upgrade, counts, the frames that matter (all with `--frames`), violations, closes.
    static func websocket(_ report: ConnectionReport, options: RenderOptions) -> String {
        let summary = report.websocket
        var lines: [String] = []
        let indent = "    "
        switch summary.kind {
        case .notWebSocket(let reason):
            return indent + "not WebSocket (\(reason))"
        case .midStream where summary.upgradeGapBytes > 0:
            lines.append(
                indent + "WebSocket on the gateway port, upgrade not whole in the capture (bytes of it never "
                    + "captured); frames found by resynchronizing"
            )
        case .midStream:
            lines.append(indent + "WebSocket, upgrade not captured (the capture started mid-connection)")
        case .upgradeUnanswered:
            lines.append(indent + "upgrade requested, no answer captured")
        case .upgraded, .upgradeRejected:
            break
        }
        if let handshake = summary.handshake {
            var upgrade =
                indent + "upgrade: \(handshake.method ?? "?") \(handshake.target.map(options.redactor.target) ?? "?")"
            if let status = handshake.status {
                upgrade += " -> \(status) \(handshake.reason ?? "")"
            }
            if let valid = handshake.acceptValid {
                upgrade += valid ? ", accept valid" : ", ACCEPT INVALID (expected \(handshake.expectedAccept ?? "?"))"
            }
            if let extensions = handshake.extensionsHeader {
                upgrade += ", extensions: \(extensions)"
            }
            if let selected = handshake.selectedProtocol {
                upgrade += ", protocol: \(options.redactor.header(name: "sec-websocket-protocol", value: selected))"
            }
            lines.append(upgrade)
            for finding in handshake.findings {
                lines.append(indent + "  ! \(finding.message)")
            }
        }
        if let rejection = summary.rejection {
            let body = options.redactor.jsonText(rejection.bodyText)
            lines.append(
                indent + "upgrade rejected: \(rejection.status) \(rejection.reason)" + (body.isEmpty ? "" : ": \(body)")
            )
        }
        guard summary.isWebSocket else { return lines.joined(separator: "\n") }
        lines.append(
            indent + "\(Self.count(summary.frameCount, "frame")), \(Self.count(summary.messageCount, "message")) "
                + "(\(summary.clientMessageCount) from the client, \(summary.serverMessageCount) from the server)"
        )
        let messagesByLastFrame = Dictionary(
            summary.messages.map { ($0.lastFrame, $0) },
            uniquingKeysWith: { first, _ in first }
        )
        let violationsByFrame = Dictionary(grouping: summary.violations.filter { $0.frame != nil }) { $0.frame! }
        let start = report.tcp.firstPacket.timestamp
        var shown = 0
        for frame in summary.frames {
            let matters = shown < 6 || frame.opcode == .close || violationsByFrame[frame.number] != nil
            guard options.frames || matters else { continue }
            shown += 1
            lines.append(
                indent
                    + Self.frameLine(frame, start: start, message: messagesByLastFrame[frame.number], options: options)
            )
            for violation in violationsByFrame[frame.number] ?? [] {
                lines.append(
                    indent + "    ! \(violation.rule.rawValue) (\(violation.rule.rfcSection)): \(violation.detail)"
                )
            }
        }
        if shown < summary.frameCount {
            lines.append(indent + "(\(Self.count(summary.frameCount - shown, "more frame")); --frames lists them all)")
        }
        for violation in summary.violations where violation.frame == nil {
            lines.append(indent + "! \(violation.rule.rawValue) (\(violation.rule.rfcSection)): \(violation.detail)")
        }
        for resync in summary.resynchronizations {
            lines.append(
                indent + "framing found after skipping \(resync.skippedBytes) bytes of the "
                    + "\(resync.direction == .client ? "client" : "server") stream (packet \(resync.packet.number))"
            )
        }
        for close in summary.closes {
            lines.append(indent + Self.closeLine(close))
        }
        if let note = Self.uncheckedNote(summary) {
            lines.append(indent + note)
        }
        if let ending = summary.tcpEndings.first {
            lines.append(
                indent + "TCP: \(ending.end == .fin ? "FIN" : "RST") first from the "
                    + "\(ending.direction == .client ? "client" : "server") (packet \(ending.packet.number))"
            )
        }
        return lines.joined(separator: "\n")
    }

    static func frameLine(
        _ frame: WebSocketFrameRecord,
        start: Timestamp,
        message: WebSocketMessageRecord?,
        options: RenderOptions
    ) -> String {
        let seconds = Double(frame.startPacket.timestamp.nanoseconds - start.nanoseconds) / 1e9
        var line = String(format6: seconds) + " "
        line += frame.direction == .client ? "C->S " : "S->C "
        line += "#\(frame.number) \(frame.opcode)"
        var flags: [String] = []
        if frame.fin { flags.append("FIN") }
        if frame.rsv & 0b100 != 0 { flags.append("RSV1") }
        if frame.rsv & 0b010 != 0 { flags.append("RSV2") }
        if frame.rsv & 0b001 != 0 { flags.append("RSV3") }
        if !flags.isEmpty { line += " [" + flags.joined(separator: ",") + "]" }
        line += " \(frame.payloadLength) B"
        if frame.masked != (frame.direction == .client) { line += frame.masked ? " masked" : " unmasked" }
        line += " (packet \(frame.startPacket.number))"
        if let message, let payload = message.payload {
            if message.compressed { line += " inflated to \(message.length) B" }
            if message.opcode == .text {
                let text = options.redactor.jsonText(String(decoding: payload, as: UTF8.self))
                line += " " + Self.preview(text)
            } else {
                line += " binary"
            }
        }
        return line
    }

    static func preview(_ text: String, limit: Int = 72) -> String {
        var flat = text.replacingNewlines()
        if flat.count > limit {
            flat = String(flat.prefix(limit)) + "..."
        }
        return "\"" + flat + "\""
    }

    /// When the client closed first for a payload it refused (1007: not UTF-8 or not inflatable; 1009: too big once
    /// inflated), no breach found explains it, and gateway messages were skipped by length, the message it refused
    /// may be one of them.
    package static func uncheckedNote(_ summary: WebSocketConnectionSummary) -> String? {
        guard summary.uncheckedMessages > 0,
            let close = summary.closes.first(where: {
                $0.initiated && $0.answers == nil && $0.record.direction == .client
                    && ($0.record.code == 1007 || $0.record.code == 1009)
            }),
            let code = close.record.code
        else { return nil }
        let count = summary.uncheckedMessages
        return "\(count) server message\(count == 1 ? " was" : "s were") skipped by length after hello-ok (payloads "
            + "not UTF-8-checked or inflated); the client's \(code) may answer one of them: `--check-payloads` "
            + "checks them"
    }

    static func closeLine(_ close: WebSocketConnectionSummary.Close) -> String {
        let side = close.record.direction == .client ? "client" : "server"
        var line = "close from the \(side)"
        if let code = close.record.code {
            line += ": \(code)"
            if let name = closeCodeName(code) { line += " (\(name))" }
        } else {
            line += ": no status code"
        }
        line += close.record.reason.isEmpty ? ", empty reason" : ", reason \"\(close.record.reason)\""
        line += " (frame \(close.record.frame), packet \(close.record.packet.number))"
        if let echoed = close.echoed {
            line += echoed ? "; the other side echoed it" : "; not echoed"
        }
        if let answers = close.answers {
            let other = answers.direction == .client ? "client" : "server"
            line += "\n        answers \(other) frame \(answers.frame.map(String.init) ?? "?"): \(answers.detail)"
        }
        return line
    }

    /// The handshake: challenge, connect, response, and the candidate table.
    static func gateway(_ analysis: GatewayAnalysis) -> String {
        guard analysis.isGateway else { return "" }
        let indent = "    "
        var lines: [String] = []
        if let challenge = analysis.challenge {
            lines.append(
                indent + "challenge: nonce \(challenge.nonce ?? "?"), ts \(challenge.ts.map(String.init) ?? "?")"
            )
        }
        if let connect = analysis.connect {
            var line =
                indent
                + "connect: protocol \(connect.minProtocol.map(String.init) ?? "?")..\(connect.maxProtocol.map(String.init) ?? "?")"
            if let client = connect.client {
                line += ", client \(client.id?.javaScriptString ?? "?")/\(client.mode?.javaScriptString ?? "?")"
                if let platform = client.platform?.stringValue { line += " on \(platform)" }
            }
            line += connect.device == nil ? ", no device" : ", device proof"
            if let elapsed = analysis.challengeToConnectMs { line += ", \(elapsed) ms after the challenge" }
            lines.append(line)
            for finding in connect.findings {
                lines.append(indent + "  ! \(finding)")
            }
        }
        if let response = analysis.response {
            if let error = response.error {
                lines.append(indent + "response: error \(error.code ?? "?") \"\(error.message ?? "")\"")
            } else if let hello = response.helloOK {
                lines.append(
                    indent + "response: hello-ok, protocol \(hello.protocolVersion.map(String.init) ?? "?"), server "
                        + "\(hello.serverVersion ?? "?")" + (hello.hasDeviceToken ? ", device token issued" : "")
                )
            } else {
                lines.append(indent + "response: ok \(response.ok.map(String.init) ?? "?")")
            }
        }
        if analysis.isGateway {
            lines.append(
                indent + "gateway profile: \(analysis.profileChoice.profile.label) (\(analysis.profileChoice.reason))"
            )
        }
        if let proof = analysis.proof {
            lines.append(
                indent + "proof candidates (the gateway accepts \(proof.acceptedForms.joined(separator: ", "))):"
            )
            for candidate in proof.candidates {
                lines.append(
                    indent + "  \(candidate.verifies ? "VERIFIES" : "no      ") \(candidate.form): \(candidate.payload)"
                )
            }
            if let nearMiss = proof.nearMiss {
                lines.append(indent + "  near miss \(nearMiss.name): \(nearMiss.explanation)")
            }
            let checks = proof.checks
            var facts: [String] = []
            if let match = checks.deviceIdMatchesPublicKey {
                facts.append("device.id \(match ? "matches" : "DOES NOT match") the key")
            }
            if let match = checks.nonceMatchesChallenge {
                facts.append("nonce \(match ? "matches" : "DOES NOT match") the challenge")
            }
            if let skew = checks.signedAtSkewMs { facts.append("signedAt skew \(skew) ms") }
            if let inRange = checks.protocolInRange { facts.append("protocol \(inRange ? "in" : "NOT in") range") }
            if !facts.isEmpty { lines.append(indent + "checks: " + facts.joined(separator: ", ")) }
        }
        if let identity = analysis.identity {
            var line = indent + "identity file (\(identity.form)): device \(identity.deviceId.prefix(16))..."
            if let matches = identity.publicKeyMatches {
                line += matches ? ", its key is device.publicKey" : ", its key is NOT device.publicKey"
            }
            if let matches = identity.deviceIdMatches {
                line += matches ? ", its id is device.id" : ", its id is NOT device.id"
            }
            if !identity.fileConsistent { line += "; the file's deviceId does not match its own key" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// "1 frame", "2 frames".
    package static func count(_ value: Int, _ noun: String) -> String {
        value == 1 ? "1 \(noun)" : "\(value) \(noun)s"
    }
}

extension String {
    /// A number with six decimals, without Foundation.
    fileprivate init(format6 value: Double) {
        let micros = Int64((value * 1_000_000).rounded())
        let whole = micros / 1_000_000
        let fraction = String(abs(micros % 1_000_000))
        self = "\(whole)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    fileprivate func replacingNewlines() -> String {
        String(self.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
