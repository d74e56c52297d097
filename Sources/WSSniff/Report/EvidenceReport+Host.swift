package import Dissect
import ProofVerify

/// The report's host section: one timeline of connections and host events, the findings that connect them, and a
/// sequence diagram with each restart as a note.
extension EvidenceReport {
    /// How many timeline rows the Markdown lists.
    package static let timelineRows = 200

    /// The host findings, when the capture has host events or refused connects.
    package var hostFindings: HostFindings? {
        let findings = HostFindings(events: self.hostEvents, connections: self.connections)
        return self.hostEvents.isEmpty && findings.restarts.isEmpty && findings.cut.isEmpty ? nil : findings
    }

    /// One row of the timeline: when, and what.
    package struct TimelineRow: Sendable {
        package var time: Timestamp
        package var text: String
        /// The connection, for a connection's row.
        package var connection: Int?
        package var event: HostEvent?
    }

    /// Connections (at their first packet) and host events, in time order.
    package var timeline: [TimelineRow] {
        var rows = self.hostEvents.map { event in
            TimelineRow(time: event.time, text: event.sentence, connection: nil, event: event)
        }
        for report in self.connections {
            let text: String
            if HostFindings.isRefused(report) {
                text = "connection \(report.index) \(report.client) -> \(report.server): refused (SYN answered by RST)"
            } else {
                var ended = "`\(report.gateway.verdict.cause.rawValue)`"
                if HostFindings.isCut(report), let ending = report.websocket.tcpEndings.first {
                    ended +=
                        "; cut by the gateway (\(ending.end.rawValue.uppercased()) at "
                        + "\(HostEvent.clock(ending.packet.timestamp)), no close frame)"
                }
                text = "connection \(report.index) \(report.client) -> \(report.server): \(ended)"
            }
            rows.append(TimelineRow(time: report.tcp.firstPacket.timestamp, text: text, connection: report.index))
        }
        // Stable: a connection and an event at the same instant keep connection-then-event order of the input.
        return rows.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }

    /// The Markdown section: timeline, findings, diagram. Empty without host events or restarts.
    package func hostSection() -> [String] {
        guard let findings = self.hostFindings else { return [] }
        var out = ["## Host timeline", ""]
        if self.hostEvents.isEmpty {
            out.append(
                "No host events file (`FILE.events.jsonl`, `--events`): the restarts below are found from the wire "
                    + "alone (connects refused with RST)."
            )
            out.append("")
        }
        if !findings.sentences.isEmpty {
            out.append("### Findings")
            out.append("")
            for sentence in findings.sentences { out.append("- \(sentence)") }
            out.append("")
        }
        let rows = self.timeline
        out.append("### Timeline (UTC)")
        out.append("")
        out.append("| time | what |")
        out.append("|---|---|")
        for row in rows.prefix(Self.timelineRows) {
            out.append("| \(HostEvent.clock(row.time)) | \(Self.cell(row.text)) |")
        }
        if rows.count > Self.timelineRows {
            out.append("| | \(rows.count - Self.timelineRows) more rows not listed |")
        }
        out.append("")
        out.append("```mermaid")
        out.append(self.hostDiagram(rows, findings: findings))
        out.append("```")
        out.append("")
        return out
    }

    /// A sequence diagram of the timeline: connections as messages, config changes as notes over the host, each
    /// restart as a note over the gateway.
    private func hostDiagram(_ rows: [TimelineRow], findings: HostFindings) -> String {
        var lines = [
            "sequenceDiagram", "    participant C as Clients", "    participant G as Gateway",
            "    participant H as Host",
        ]
        var noted = Set<Int>()
        let byIndex = Dictionary(self.connections.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
        for row in rows.prefix(Self.timelineRows) {
            for (number, restart) in findings.restarts.enumerated()
            where !noted.contains(number) && row.time >= restart.down {
                noted.insert(number)
                let until = restart.up.map { " to \(HostEvent.clock($0))" } ?? ""
                lines.append(
                    "    Note over G: "
                        + MermaidDiagram.text(
                            "restart \(number + 1), down from \(HostEvent.clock(restart.down))\(until), "
                                + "\(restart.refused) refused"
                        )
                )
            }
            if let index = row.connection, let report = byIndex[index] {
                if HostFindings.isRefused(report) {
                    lines.append("    C->>G: connection \(index) SYN")
                    lines.append("    G->>C: RST, refused")
                } else {
                    lines.append("    C->>G: connection \(index)")
                    let cut = HostFindings.isCut(report) ? ", cut without close frame" : ""
                    lines.append("    G->>C: \(MermaidDiagram.text(report.gateway.verdict.cause.rawValue + cut))")
                }
            } else if let event = row.event {
                switch event.kind {
                case .configChange:
                    let keys = event.diff.prefix(3).map { "\($0.path) \($0.change.rawValue)" }
                    let more = event.diff.count > 3 ? " and \(event.diff.count - 3) more" : ""
                    lines.append(
                        "    Note over H: "
                            + MermaidDiagram.text(
                                "\(HostEvent.clock(event.time)) config \(event.change?.rawValue ?? "changed")"
                                    + (keys.isEmpty ? "" : ", " + keys.joined(separator: ", ") + more)
                            )
                    )
                case .processRestart:
                    lines.append("    Note over H,G: " + MermaidDiagram.text(event.sentence))
                case .configWatch, .gatewayDown, .gatewayUp:
                    continue
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The JSON twin's `host` object: the events, the restarts and the findings.
    package func hostJSON() -> JSON {
        guard let findings = self.hostFindings else { return .null }
        return .object([
            ("events", .array(self.hostEvents.map { $0.json() })),
            (
                "restarts",
                .array(
                    findings.restarts.map { restart in
                        .object([
                            ("down", .string(restart.down.rfc3339)),
                            ("up", .optional(restart.up?.rfc3339)),
                            ("refused", .integer(restart.refused)),
                            ("refusedConnections", .array(restart.refusedConnections.map { .integer($0) })),
                            ("cutConnections", .array(restart.cutConnections.map { .integer($0) })),
                            ("firstConnectionAfter", restart.firstAfter.map { .integer($0) } ?? .null),
                        ])
                    }
                )
            ),
            ("cutConnections", .array(findings.cut.map { .integer($0) })),
            ("findings", .array(findings.sentences.map { .string($0) })),
        ])
    }
}
