import Dissect
import ProofVerify

/// The GitHub-flavored Markdown report: verdict, next steps, environment, a sequence diagram per failing connection,
/// the frame, candidate and check tables, and the config findings.
extension EvidenceReport {
    package func markdown() -> String {
        var out: [String] = []
        let groups = self.causeGroups
        if groups.count > 1 {
            out.append("# wssniff report: " + groups.map(\.cause.rawValue).joined(separator: ", "))
            out.append("")
            out.append(self.causesSentence)
        } else {
            out.append("# wssniff report: \(self.primary?.gateway.verdict.cause.rawValue ?? "no connections")")
            out.append("")
            out.append(groups.first.map { self.headline($0) } ?? self.verdictSentence)
        }
        out.append("")
        if !self.redactor.enabled {
            out.append("> **Secrets are shown unredacted (`--show-secrets`).** Do not post this report publicly.")
        } else {
            out.append(
                "> Secrets (tokens, passwords, `Authorization`/`Cookie` headers, bearer subprotocols) are shown as "
                    + "`<redacted sha256:xxxxxxxx>`: the first 8 hex digits of the secret's SHA-256."
            )
        }
        out.append("")
        if groups.count > 1 {
            out.append("## What to do next")
            out.append("")
            for (number, group) in groups.enumerated() {
                let covered = Self.connectionList(group.connections.map(\.index))
                out.append("### \(number + 1). `\(group.cause.rawValue)` (\(covered))")
                out.append("")
                out.append(self.headline(group))
                out.append("")
                for step in self.nextSteps(group) { out.append("- \(step)") }
                out.append("")
            }
        } else if let group = groups.first {
            out.append("## What to do next")
            out.append("")
            for step in self.nextSteps(group) { out.append("- \(step)") }
            out.append("")
        } else if let primary {
            out.append("## What to do next")
            out.append("")
            for step in self.nextSteps(primary) { out.append("- \(step)") }
            out.append("")
        }
        if self.connections.count > 1 {
            out.append("## Connections")
            out.append("")
            out.append("| # | client | server | cause | observed | summary |")
            out.append("|---|---|---|---|---|---|")
            for report in self.connections {
                let verdict = report.gateway.verdict
                out.append(
                    "| \(report.index) | \(report.client) | \(report.server) | `\(verdict.cause.rawValue)` | "
                        + "\(verdict.observed) | \(Self.cell(verdict.summary)) |"
                )
            }
            out.append("")
        }
        out += self.peersSection()
        out += self.environmentSection()
        for report in self.failing.prefix(16) {
            out += self.connectionSection(report)
        }
        if self.failing.isEmpty, let primary {
            out += self.connectionSection(primary)
        }
        if let config {
            out += Self.configSection(config, connections: self.connections)
        }
        out += self.hostSection()
        out += self.configHistory?.markdown() ?? []
        if !self.identity.isEmpty {
            out.append("## Identity (`--identity`)")
            out.append("")
            for sentence in self.identity { out.append("- \(sentence)") }
            out.append("")
        }
        if self.sanitizedPath != nil || !self.sanitizerNotes.isEmpty {
            out.append("## Sanitized capture")
            out.append("")
            if let path = self.sanitizedPath {
                out.append(
                    "- `\(path)`: every packet kept; secret bytes overwritten in place with the same length "
                        + "(re-masked in client frames), so the framing stays valid."
                )
            }
            for note in self.sanitizerNotes { out.append("- \(note)") }
            out.append("")
        }
        out.append("---")
        out.append("Written by wssniff \(self.environment.wssniffVersion) (`wssniff report`).")
        return self.redactor.scrub(out.joined(separator: "\n") + "\n", secrets: self.secrets)
    }

    private func environmentSection() -> [String] {
        let env = self.environment
        var rows: [(String, String)] = [
            ("wssniff", env.wssniffVersion),
            ("libpcap", env.libpcapVersion),
            ("OS", env.operatingSystem),
            ("kernel build", env.kernelBuild),
        ]
        if let interface = self.input.interface { rows.append(("capture interface", interface)) }
        for file in self.input.files {
            let counts = "\(TextRenderer.count(file.size, "byte")), \(TextRenderer.count(file.packets, "packet"))"
            rows.append(("input file", "\(file.path == "-" ? "standard input" : file.path) (\(counts))"))
            rows.append(("SHA-256", file.sha256 ?? "not computed"))
        }
        rows.append(("link types", self.input.linkTypes.map(\.description).joined(separator: ", ")))
        rows.append(("packets", "\(self.input.packets) (\(self.input.tcpPackets) TCP)"))
        if let first = self.input.firstTime, let last = self.input.lastTime {
            let span = Double(last.nanoseconds - first.nanoseconds) / 1e9
            rows.append(("time span", "\(first.rfc3339) to \(last.rfc3339) (\(span) s)"))
        }
        rows.append(
            ("complete", self.input.isIncomplete ? "no: " + self.input.warnings.joined(separator: "; ") : "yes")
        )
        var out = ["## Environment", "", self.environmentScope, "", "| | |", "|---|---|"]
        out += rows.map { "| \($0.0) | \(Self.cell($0.1)) |" }
        out.append("")
        return out
    }

    /// The peers table: what identifies the client and the gateway on the wire, per connection.
    private func peersSection() -> [String] {
        let peers = self.peers
        guard !peers.isEmpty else { return [] }
        var out = [
            "## Peers",
            "",
            "What the wire says of each side, as sent: the connect's `client` fields (what the client claims), the "
                + "upgrade's `User-Agent` and `Origin`, and the gateway's version from `hello-ok`.",
            "",
            "| # | client id | mode | version | platform | device family | User-Agent | Origin | gateway version |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for peer in peers {
            let cells = peer.fields.map { $0.1.map { "`\(Self.cell($0))`" } ?? "-" }
            out.append("| \(peer.connection) | " + cells.joined(separator: " | ") + " |")
        }
        out.append("")
        return out
    }

    private func connectionSection(_ report: ConnectionReport) -> [String] {
        var out: [String] = []
        let verdict = report.gateway.verdict
        out.append("## Connection \(report.index): \(verdict.cause.rawValue)")
        out.append("")
        out.append(
            "\(report.client) to \(report.server), packets \(report.tcp.firstPacket.number) to "
                + "\(report.tcp.lastPacket.number), TCP end `\(report.tcp.end.rawValue)`. \(verdict.summary)"
        )
        if let views = report.otherViewsSentence {
            out.append("")
            out.append(Self.cell(views.prefix(1).uppercased() + views.dropFirst() + "."))
        }
        out.append("")
        out.append("```mermaid")
        out.append(MermaidDiagram.sequence(report, redactor: self.redactor))
        out.append("```")
        out.append("")
        let frames = report.websocket.frames
        if !frames.isEmpty {
            out.append("### Frames")
            out.append("")
            out.append("| frame | from | packet | opcode | fin | rsv | masked | length | note |")
            out.append("|---|---|---|---|---|---|---|---|---|")
            for frame in frames.prefix(Self.framesListed) {
                let notes = report.websocket.violations.filter { $0.frame == frame.number }.map {
                    "`\($0.rule.rawValue)`"
                }
                out.append(
                    "| \(frame.number) | \(frame.direction == .client ? "client" : "gateway") | "
                        + "\(frame.startPacket.number) | \(frame.opcode) | \(frame.fin) | \(frame.rsv) | "
                        + "\(frame.masked) | \(frame.payloadLength) | \(notes.joined(separator: " ")) |"
                )
            }
            if frames.count > Self.framesListed || report.websocket.frameCount > frames.count {
                out.append("")
                out.append("(\(report.websocket.frameCount) frames in all; the first \(Self.framesListed) listed.)")
            }
            out.append("")
        }
        if let response = report.gateway.response, let error = response.error {
            out.append("### Gateway error")
            out.append("")
            let details = error.details.map { self.redactor.jsonText($0.jsonText) } ?? "null"
            out.append("`\(error.code ?? "?")` \(Self.cell(error.message ?? "")); details: `\(Self.cell(details))`")
            out.append("")
        }
        if let proof = report.gateway.proof {
            out.append("### Proof candidates")
            out.append("")
            out.append("| form | payload | verifies |")
            out.append("|---|---|---|")
            for candidate in proof.candidates {
                out.append(
                    "| \(candidate.form) | `\(Self.cell(self.redactor.jsonText(candidate.payload)))` | "
                        + "\(candidate.verifies ? "yes" : "no") |"
                )
            }
            out.append("")
            if let nearMiss = proof.nearMiss {
                out.append("Near miss `\(nearMiss.name)`: \(nearMiss.explanation)")
                out.append("")
            }
            out.append("### Checks")
            out.append("")
            let checks = proof.checks
            func show(_ value: Bool?) -> String { value.map { $0 ? "yes" : "no" } ?? "n/a" }
            out.append("- deviceId matches public key: \(show(checks.deviceIdMatchesPublicKey))")
            out.append("- nonce matches challenge: \(show(checks.nonceMatchesChallenge))")
            out.append("- signedAt skew: \(checks.signedAtSkewMs.map { "\($0) ms" } ?? "n/a")")
            out.append("- protocol in range: \(show(checks.protocolInRange))")
            out.append("- signed form: \(proof.signedForm.map { "`\($0)`" } ?? "none")")
            if let explanation = proof.explanation { out.append("- \(explanation)") }
            out.append("")
        }
        return out
    }

    private static func configSection(_ config: ConfigFindings, connections: [ConnectionReport]) -> [String] {
        func flag(_ value: Bool?) -> String { value.map { $0 ? "true" : "false" } ?? "not set" }
        var out = ["## Config (`\(config.path)`)", "", "| setting | value |", "|---|---|"]
        out.append("| gateway.port | \(config.port.map(String.init) ?? "not set") |")
        out.append("| gateway.auth.mode | \(config.authMode ?? "not set") |")
        out.append("| token | \(config.tokenSet ? "set, `\(config.tokenFingerprint ?? "")`" : "not set") |")
        out.append("| password | \(config.passwordSet ? "set, `\(config.passwordFingerprint ?? "")`" : "not set") |")
        out.append("| gateway.controlUi.allowInsecureAuth | \(flag(config.allowInsecureAuth)) |")
        out.append("| gateway.controlUi.dangerouslyDisableDeviceAuth | \(flag(config.dangerouslyDisableDeviceAuth)) |")
        out.append("")
        for note in config.notes { out.append("- \(note)") }
        if !config.notes.contains(ConfigFindings.controlUiScope) { out.append("- \(ConfigFindings.controlUiScope)") }
        for sentence in config.tokenComparison(connections) { out.append("- \(sentence)") }
        if let port = config.port, let server = connections.first?.server, Int64(server.port) != port {
            out.append("- The capture's gateway port is \(server.port), the config's is \(port).")
        }
        out.append("")
        return out
    }

    /// Text safe in a Markdown table cell.
    static func cell(_ text: String) -> String {
        text.replacing("|", with: "\\|").replacing("\n", with: " ").replacing("`", with: "'")
    }
}

/// The JSON twin: the `analyze --format json` document plus a `report` object.
extension EvidenceReport {
    package func json() -> JSON {
        var render = RenderOptions()
        render.redactor = self.redactor
        guard
            case .object(var members) = JSONRenderer.document(
                input: self.input,
                connections: self.connections,
                options: render
            )
        else { return .null }
        var report: [(String, JSON)] = [
            ("cause", .optional(self.primary?.gateway.verdict.cause.rawValue)),
            ("connection", self.primary.map { .int(Int64($0.index)) } ?? .null),
            ("verdict", .string(self.verdictSentence.replacing("**", with: ""))),
            ("nextSteps", .array(self.primary.map { self.nextSteps($0).map { .string($0) } } ?? [])),
            (
                "causes",
                .array(
                    self.causeGroups.map { group in
                        .object([
                            ("cause", .string(group.cause.rawValue)),
                            ("connections", .array(group.connections.map { .int(Int64($0.index)) })),
                            ("headline", .string(self.headline(group).replacing("**", with: ""))),
                            ("nextSteps", .array(self.nextSteps(group).map { .string($0) })),
                        ])
                    }
                )
            ),
            (
                "environment",
                .object([
                    ("wssniffVersion", .string(self.environment.wssniffVersion)),
                    ("libpcapVersion", .string(self.environment.libpcapVersion)),
                    ("os", .string(self.environment.operatingSystem)),
                    ("kernel", .string(self.environment.kernel)),
                    ("interface", .optional(self.input.interface)),
                    ("files", .array(self.input.files.map { .string($0.path) })),
                    ("linkTypes", .array(self.input.linkTypes.map { .string($0.description) })),
                    ("sha256", .optional(self.input.files.first?.sha256)),
                    ("packets", .integer(self.input.packets)),
                    ("firstTime", .optional(self.input.firstTime?.rfc3339)),
                    ("lastTime", .optional(self.input.lastTime?.rfc3339)),
                    ("describes", .string(self.environmentScope)),
                ])
            ),
            (
                "peers",
                .array(
                    self.peers.map { peer in
                        .object(
                            [("connection", .int(Int64(peer.connection)))] + peer.fields.map { ($0.0, .optional($0.1)) }
                        )
                    }
                )
            ),
        ]
        if let config {
            report.append(
                (
                    "config",
                    .object([
                        ("path", .string(config.path)),
                        ("port", config.port.map { .int($0) } ?? .null),
                        ("authMode", .optional(config.authMode)),
                        ("tokenSet", .bool(config.tokenSet)),
                        ("tokenFingerprint", .optional(config.tokenFingerprint)),
                        ("passwordSet", .bool(config.passwordSet)),
                        ("allowInsecureAuth", config.allowInsecureAuth.map { .bool($0) } ?? .null),
                        (
                            "dangerouslyDisableDeviceAuth",
                            config.dangerouslyDisableDeviceAuth.map { .bool($0) } ?? .null
                        ),
                        ("controlUiScope", .string(ConfigFindings.controlUiScope)),
                        (
                            "findings",
                            .array((config.notes + config.tokenComparison(self.connections)).map { .string($0) })
                        ),
                    ])
                )
            )
        } else {
            report.append(("config", .null))
        }
        report.append(("host", self.hostJSON()))
        report.append(("configHistory", self.configHistory?.json() ?? .null))
        report.append(("identity", .array(self.identity.map { .string($0) })))
        report.append(("sanitizedCapture", .optional(self.sanitizedPath)))
        report.append(("sanitizerNotes", .array(self.sanitizerNotes.map { .string($0) })))
        members.append(("report", .object(report)))
        return .object(members)
    }

    package func jsonText() -> String {
        self.redactor.scrub(self.json().serialized(indent: 2) + "\n", secrets: self.secrets)
    }
}
