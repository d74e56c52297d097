package import Dissect
import ProofVerify

/// What a report concludes from the host events of its capture (`FILE.events.jsonl`) together with its connections:
/// the gateway's restarts, the connections they refused and cut, the config rewrites around them, and the first
/// connect after each.
package struct HostFindings: Sendable {
    /// One time the gateway was down: from the first refused connect to the first one answered again.
    package struct Restart: Sendable {
        package var down: Timestamp
        /// The first sign of the restart: a connection the gateway cut, the process gone, or the first refused
        /// connect.
        package var begin: Timestamp = Timestamp(nanoseconds: 0)
        /// nil: still down when the capture ended.
        package var up: Timestamp?
        package var refused: Int
        /// The refused connects (SYN answered by RST), by connection number.
        package var refusedConnections: [Int] = []
        /// Connections the gateway ended (FIN or RST) without a close frame, shortly before it went down.
        package var cutConnections: [Int] = []
        /// The first connection answered after the gateway came back.
        package var firstAfter: Int?
        /// Config changes and process restarts from shortly before the gateway went down to when it came back.
        package var events: [HostEvent] = []
    }

    /// How far back a restart's first sign may lie before its first refused connect: 5 minutes.
    package static let lookBack: Int64 = 300_000_000_000

    package var events: [HostEvent]
    package var restarts: [Restart] = []
    /// Connections the gateway ended without a close frame (cut), whether or not a restart followed.
    package var cut: [Int] = []
    /// The findings, one sentence each.
    package var sentences: [String] = []

    /// A connect refused outright: a SYN answered by RST, nothing else.
    package static func isRefused(_ report: ConnectionReport) -> Bool {
        report.tcp.end == .rst && report.tcp.clientBytes == 0 && report.tcp.serverBytes == 0
            && report.tcp.packets <= 2 && report.tcp.handshakeSeen
    }

    /// Whether the gateway ended the connection (FIN or RST first from it) and no close frame came before.
    package static func isCut(_ report: ConnectionReport) -> Bool {
        guard !Self.isRefused(report), let first = report.websocket.tcpEndings.first else { return false }
        return first.direction == .server && report.websocket.closes.isEmpty && report.websocket.handshake != nil
    }

    package init(events: [HostEvent], connections: [ConnectionReport]) {
        self.events = events.sorted { $0.time < $1.time }
        let ordered = connections.sorted { $0.tcp.firstPacket.timestamp < $1.tcp.firstPacket.timestamp }
        self.cut = ordered.filter(Self.isCut).map(\.index)
        self.restarts = Self.restarts(events: self.events, connections: ordered)
        self.sentences = self.findings(connections: ordered)
    }

    /// The restarts: from the `gateway-down`/`gateway-up` events when the capture recorded them, else from the
    /// refused connects themselves.
    private static func restarts(events: [HostEvent], connections: [ConnectionReport]) -> [Restart] {
        var restarts: [Restart] = []
        let wire = events.filter { $0.kind == .gatewayDown || $0.kind == .gatewayUp }
        if !wire.isEmpty {
            for event in wire {
                if event.kind == .gatewayDown {
                    restarts.append(Restart(down: event.time, up: nil, refused: 0))
                } else if let index = restarts.indices.last, restarts[index].up == nil {
                    restarts[index].up = event.time
                    restarts[index].refused = event.refused ?? 0
                } else if let since = event.downSince {
                    restarts.append(Restart(down: since, up: event.time, refused: event.refused ?? 0))
                }
            }
        } else {
            for report in connections {
                let start = report.tcp.firstPacket.timestamp
                if Self.isRefused(report) {
                    if restarts.last.map({ $0.up != nil }) ?? true {
                        restarts.append(Restart(down: start, up: nil, refused: 0))
                    }
                } else if let index = restarts.indices.last, restarts[index].up == nil {
                    restarts[index].up = start
                }
            }
        }
        for index in restarts.indices {
            let down = restarts[index].down
            let up = restarts[index].up
            let previousUp = index > 0 ? restarts[index - 1].up : nil
            // Cut connections and process exits count back to the last connect the gateway answered before it went
            // down (or the previous restart's end): the gateway was up then.
            let answered = connections.filter { !Self.isRefused($0) && $0.tcp.firstPacket.timestamp < down }
            var earliest = answered.map(\.tcp.firstPacket.timestamp).max() ?? Timestamp(nanoseconds: .min)
            if let previousUp, previousUp > earliest { earliest = previousUp }
            var begin = down
            for report in connections {
                let start = report.tcp.firstPacket.timestamp
                let end = report.tcp.lastPacket.timestamp
                if Self.isRefused(report) {
                    if end >= down && (up.map { start < $0 } ?? true) {
                        restarts[index].refusedConnections.append(report.index)
                    }
                } else if Self.isCut(report), end <= down, end >= earliest {
                    restarts[index].cutConnections.append(report.index)
                    if let ending = report.websocket.tcpEndings.first?.packet.timestamp, ending < begin {
                        begin = ending
                    }
                } else if up != nil, restarts[index].firstAfter == nil, start >= down {
                    restarts[index].firstAfter = report.index
                }
            }
            if restarts[index].refused == 0 { restarts[index].refused = restarts[index].refusedConnections.count }
            for event in events where event.kind == .processRestart && event.oldPid != nil {
                if event.time >= earliest && event.time < begin { begin = event.time }
            }
            if down.nanoseconds - begin.nanoseconds > Self.lookBack {
                // A sign a long time before (5 minutes): not the same restart.
                begin = down
            }
            // The restart runs from the first sign of it (a connection cut, the process gone, the first refused
            // connect) to the first connect answered again.
            restarts[index].begin = begin
            restarts[index].events = events.filter {
                ($0.kind == .configChange || $0.kind == .processRestart) && $0.time >= begin
                    && $0.time <= (up ?? Timestamp(nanoseconds: .max))
            }
        }
        return restarts
    }

    private static func clock(_ time: Timestamp) -> String {
        HostEvent.clock(time)
    }

    /// `1.234 s` or `40 ms`.
    private static func span(_ from: Timestamp, _ to: Timestamp) -> String {
        let nanoseconds = abs(to.nanoseconds - from.nanoseconds)
        if nanoseconds < 1_000_000_000 { return "\(nanoseconds / 1_000_000) ms" }
        let milliseconds = nanoseconds / 1_000_000
        let fraction = String(milliseconds % 1_000)
        return "\(milliseconds / 1_000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction) s"
    }

    private func findings(connections: [ConnectionReport]) -> [String] {
        var sentences: [String] = []
        let byIndex = Dictionary(connections.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
        for (number, restart) in self.restarts.enumerated() {
            var sentence = "Restart \(number + 1): the gateway was down from \(Self.clock(restart.down))"
            if let up = restart.up {
                sentence += " to \(Self.clock(up)) (\(Self.span(restart.down, up)))"
            } else {
                sentence += " to the end of the capture"
            }
            sentence += ", \(restart.refused) refused \(restart.refused == 1 ? "connect" : "connects")"
            if !restart.refusedConnections.isEmpty {
                sentence += " (\(EvidenceReport.connectionList(restart.refusedConnections)))"
            }
            sentence += "."
            if !restart.cutConnections.isEmpty {
                let cut = restart.cutConnections.map { index in
                    let ending = byIndex[index]?.websocket.tcpEndings.first
                    return "connection \(index) (\(ending?.end.rawValue.uppercased() ?? "?") from the gateway at "
                        + "\(ending.map { Self.clock($0.packet.timestamp) } ?? "?"), no close frame)"
                }
                sentence += " Cut by it: " + cut.joined(separator: ", ") + "."
            }
            for event in restart.events where event.kind == .processRestart {
                sentence +=
                    " " + event.sentence.prefix(1).uppercased() + event.sentence.dropFirst()
                    + " at \(Self.clock(event.time))."
            }
            sentences.append(sentence)
            for event in restart.events where event.kind == .configChange {
                var line =
                    "Restart \(number + 1): config \(event.path ?? "?") \(event.change?.rawValue ?? "changed") at "
                    + Self.clock(event.time)
                if let up = restart.up {
                    line +=
                        event.time <= up
                        ? ", \(Self.span(event.time, up)) before the gateway answered again"
                        : ", \(Self.span(up, event.time)) after the gateway answered again"
                }
                // For a file created again, the previous version is the one deleted before it.
                var previous: Set<String>?
                if event.change == .created {
                    previous = self.events.last(where: {
                        $0.kind == .configChange && $0.path == event.path && $0.change == .deleted
                            && $0.time <= event.time
                    }).map { Set($0.diff.map(\.path)) }
                }
                let restored = event.diff.filter { entry in
                    entry.change == .added && (previous.map { !$0.contains(entry.path) } ?? true)
                }
                if !restored.isEmpty && (event.change != .created || previous != nil) {
                    line +=
                        "; it puts back keys the previous version did not have: "
                        + restored.map { "`\($0.path)` = \($0.after ?? "")" }.joined(separator: ", ")
                } else if event.change == .created && previous != nil {
                    line += "; the same keys as the version deleted before it"
                }
                sentences.append(line + ".")
            }
            if let first = restart.firstAfter, let report = byIndex[first] {
                var line =
                    "Restart \(number + 1): the first connect after it, connection \(first) at "
                    + "\(Self.clock(report.tcp.firstPacket.timestamp)), ended `\(report.gateway.verdict.cause.rawValue)`"
                if let slot = report.gateway.connect?.auth?.token?.stringValue, !slot.isEmpty {
                    line += "; it sent token \(Redactor.placeholder(for: slot))"
                    if let configured = self.configuredToken(at: report.tcp.firstPacket.timestamp) {
                        line +=
                            configured.fingerprint == Redactor.placeholder(for: slot)
                            ? ", the token the config holds since \(Self.clock(configured.time))"
                            : "; the config holds \(configured.fingerprint) since \(Self.clock(configured.time))"
                    }
                }
                sentences.append(line + ".")
            }
        }
        // Settings the user had that a rewrite took away: a `true` that is gone or turned false.
        for event in self.events where event.kind == .configChange && event.change != .deleted {
            for entry in event.diff where !entry.secret && entry.before == "true" && entry.after != "true" {
                if entry.change == .removed && event.change == .created { continue }
                sentences.append(
                    "`\(entry.path): true` is gone after the rewrite of \(event.path ?? "?") at "
                        + "\(Self.clock(event.time)) (\(event.change?.rawValue ?? "changed")): now "
                        + "\(entry.after ?? "absent")."
                )
            }
        }
        // Across a delete and re-create, compare the versions on either side.
        for (index, event) in self.events.enumerated() where event.kind == .configChange && event.change == .created {
            guard
                let deleted = self.events[..<index].last(where: {
                    $0.kind == .configChange && $0.path == event.path && $0.change == .deleted
                })
            else { continue }
            let before = Dictionary(deleted.diff.map { ($0.path, $0.before) }, uniquingKeysWith: { first, _ in first })
            let after = Dictionary(event.diff.map { ($0.path, $0.after) }, uniquingKeysWith: { first, _ in first })
            let back = event.diff.filter { before[$0.path] == nil }.map(\.path)
            let gone = deleted.diff.filter { after[$0.path] == nil }
            if !back.isEmpty {
                sentences.append(
                    "The config deleted at \(Self.clock(deleted.time)) and created again at \(Self.clock(event.time)) "
                        + "has keys the deleted version did not: " + back.map { "`\($0)`" }.joined(separator: ", ")
                        + "."
                )
            }
            for entry in gone where !entry.secret && entry.before == "true" {
                sentences.append(
                    "`\(entry.path): true` is gone after the config was deleted and created again at "
                        + "\(Self.clock(event.time))."
                )
            }
            let same = event.diff.filter { $0.secret && before[$0.path] != nil && before[$0.path] == $0.after }
            for entry in same {
                sentences.append(
                    "`\(entry.path)` was written again with the same value (\(entry.after ?? "")) when the config was "
                        + "created again at \(Self.clock(event.time))."
                )
            }
        }
        if !self.cut.isEmpty {
            let inRestarts = Set(self.restarts.flatMap(\.cutConnections))
            let others = self.cut.filter { !inRestarts.contains($0) }
            if !others.isEmpty {
                sentences.append(
                    "The gateway ended \(EvidenceReport.connectionList(others)) (FIN or RST) without a close frame, "
                        + "with no refused connect after: a restart no connect ran into, or a crash of one connection."
                )
            }
        }
        return sentences
    }

    /// Whether the file of a `created` event existed earlier in the capture.
    private func hadVersion(before event: HostEvent) -> Bool {
        self.events.contains {
            $0.time < event.time && $0.path == event.path
                && ($0.kind == .configWatch ? $0.size != nil : $0.kind == .configChange)
        }
    }

    /// The fingerprint of `gateway.auth.token` in the config as of `time`, and when it was written.
    private func configuredToken(at time: Timestamp) -> (fingerprint: String, time: Timestamp)? {
        var found: (String, Timestamp)?
        for event in self.events where event.kind == .configChange && event.time <= time {
            for entry in event.diff where entry.path == "gateway.auth.token" || entry.path == "gateway.token" {
                if let after = entry.after {
                    found = (after, event.time)
                } else {
                    found = nil
                }
            }
        }
        return found
    }
}
