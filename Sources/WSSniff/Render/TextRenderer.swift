import Dissect

/// Renders results for people: a short header about the input, then one block per connection.
package enum TextRenderer {
    package static func header(_ input: InputSummary) -> String {
        var lines: [String] = []
        if let interface = input.interface {
            lines.append("interface \(interface)")
        }
        for file in input.files {
            lines.append("file \(file.path) (\(file.size) bytes, \(file.packets) packets)")
        }
        var summary = "\(input.packets) packets, \(input.bytes) bytes"
        if !input.linkTypes.isEmpty {
            summary += ", link type \(input.linkTypes.map(\.description).joined(separator: ", "))"
        }
        if let first = input.firstTime, let last = input.lastTime {
            summary += ", \(first.rfc3339) to \(last.rfc3339)"
        }
        lines.append(summary)
        if input.truncatedPackets > 0 {
            lines.append("\(input.truncatedPackets) packets were cut short by the snaplen: their missing bytes are gaps")
        }
        for warning in input.warnings {
            lines.append("warning: \(warning)")
        }
        return lines.joined(separator: "\n")
    }

    package static func connection(_ report: ConnectionReport) -> String {
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
        if tcp.gaps > 0 { notes.append("\(tcp.gaps) gaps (\(tcp.gapBytes) bytes never captured)") }
        if tcp.retransmissions > 0 { notes.append("\(tcp.retransmissions) retransmissions") }
        if tcp.outOfOrder > 0 { notes.append("\(tcp.outOfOrder) out-of-order segments") }
        if tcp.conflictingOverlaps > 0 { notes.append("\(tcp.conflictingOverlaps) overlaps with different bytes") }
        if !notes.isEmpty { line += "\n    " + notes.joined(separator: ", ") }
        return line
    }

    package static func footer(connections: Int) -> String {
        connections == 1 ? "1 TCP connection" : "\(connections) TCP connections"
    }
}
