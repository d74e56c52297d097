package import Dissect
import ProofVerify

/// Renders results as the `wssniff/1` JSON contract (`docs/json-output.md`).
package enum JSONRenderer {
    package static let schema = "wssniff/1"

    /// The whole document for `analyze`.
    package static func document(input: InputSummary, connections: [ConnectionReport], options: RenderOptions) -> JSON {
        .object([
            ("schema", .string(Self.schema)),
            ("secretsRedacted", .bool(options.redactor.enabled)),
            ("input", Self.input(input)),
            ("connections", .array(connections.map { Self.connection($0, options: options) })),
        ])
    }

    package static func input(_ input: InputSummary) -> JSON {
        var members: [(String, JSON)] = []
        if let interface = input.interface {
            members.append(("interface", .string(interface)))
        }
        members += [
            ("path", .optional(input.files.first?.path)),
            ("sha256", .optional(input.files.first?.sha256)),
            ("linkTypes", .array(input.linkTypes.map { .string($0.description) })),
            ("packets", .integer(input.packets)),
            ("bytes", .integer(input.bytes)),
            ("firstTime", .optional(input.firstTime?.rfc3339)),
            ("lastTime", .optional(input.lastTime?.rfc3339)),
            ("truncatedPackets", .integer(input.truncatedPackets)),
            ("tcpPackets", .integer(input.tcpPackets)),
            ("otherPackets", .integer(input.otherPackets)),
            ("malformedPackets", .integer(input.malformedPackets)),
            ("complete", .bool(!input.isIncomplete)),
            (
                "files",
                .array(
                    input.files.map { file in
                        .object([
                            ("path", .string(file.path)),
                            ("sha256", .optional(file.sha256)),
                            ("size", .integer(file.size)),
                            ("packets", .integer(file.packets)),
                        ])
                    }
                )
            ),
            ("warnings", .array(input.warnings.map { .string($0) })),
        ]
        return .object(members)
    }

    package static func endpoint(_ endpoint: Endpoint) -> JSON {
        .object([("ip", .string(endpoint.ip.description)), ("port", .integer(endpoint.port))])
    }

    package static func connection(_ report: ConnectionReport, options: RenderOptions) -> JSON {
        let tcp = report.tcp
        var members: [(String, JSON)] = [
            ("index", .integer(report.index)),
            ("client", Self.endpoint(report.client)),
            ("server", Self.endpoint(report.server)),
            (
                "tcp",
                .object([
                    ("handshakeSeen", .bool(tcp.handshakeSeen)),
                    ("end", .string(tcp.end.rawValue)),
                    ("clientBytes", .integer(tcp.clientBytes)),
                    ("serverBytes", .integer(tcp.serverBytes)),
                    ("gaps", .integer(tcp.gaps)),
                    ("gapBytes", .integer(tcp.gapBytes)),
                    ("retransmissions", .integer(tcp.retransmissions)),
                    ("outOfOrder", .integer(tcp.outOfOrder)),
                    ("conflictingOverlaps", .integer(tcp.conflictingOverlaps)),
                    ("packets", .integer(tcp.packets)),
                    ("firstPacket", .integer(tcp.firstPacket.number)),
                    ("lastPacket", .integer(tcp.lastPacket.number)),
                    ("startTime", .string(tcp.firstPacket.timestamp.rfc3339)),
                    ("endTime", .string(tcp.lastPacket.timestamp.rfc3339)),
                ])
            ),
            ("websocket", Self.websocket(report.websocket, options: options)),
            ("gateway", Self.gateway(report.gateway, options: options)),
            ("proof", Self.proof(report.gateway.proof)),
            ("verdict", Self.verdict(report.gateway.verdict)),
        ]
        if !report.views.isEmpty {
            // Only for a connection captured more than once: every other document stays as it was.
            members.append(("views", .array(report.views.map { Self.view($0, of: report) })))
        }
        return .object(members)
    }

    /// One address pair the connection was captured under; `reported` marks the one `client` and `server` show.
    static func view(_ view: ConnectionView, of report: ConnectionReport) -> JSON {
        .object([
            ("client", Self.endpoint(view.client)),
            ("server", Self.endpoint(view.server)),
            ("packets", .integer(view.packets)),
            ("firstPacket", .integer(view.firstPacket.number)),
            ("lastPacket", .integer(view.lastPacket.number)),
            ("startTime", .string(view.firstPacket.timestamp.rfc3339)),
            ("reported", .bool(view.client == report.client && view.server == report.server)),
        ])
    }
}
