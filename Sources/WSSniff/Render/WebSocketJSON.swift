import Dissect
import WireBytes

/// The `websocket` part of the JSON contract.
package struct RenderOptions: Sendable {
    /// List every frame (`--frames`).
    package var frames = false
    /// List every message with its payload (`--messages`).
    package var messages = false
    package var redactor = Redactor()

    package init() {}
}

extension JSONRenderer {
    static func direction(_ direction: Direction) -> JSON {
        .string(direction == .client ? "client" : "server")
    }

    static func websocket(_ summary: WebSocketConnectionSummary, options: RenderOptions) -> JSON {
        guard summary.isWebSocket || summary.handshake != nil else { return .null }
        var members: [(String, JSON)] = [
            ("upgrade", Self.upgrade(summary, options: options)),
            ("kind", .string(Self.kindName(summary.kind))),
            ("frameCount", .integer(summary.frameCount)),
            ("messageCount", .integer(summary.messageCount)),
            ("clientMessages", .integer(summary.clientMessageCount)),
            ("serverMessages", .integer(summary.serverMessageCount)),
            ("uncheckedMessages", .integer(summary.uncheckedMessages)),
        ]
        if options.frames {
            members.append(("frames", .array(summary.frames.map(Self.frame))))
            if summary.frames.count < summary.frameCount {
                members.append(("framesOmitted", .integer(summary.frameCount - summary.frames.count)))
            }
        }
        if options.messages {
            members.append(("messages", .array(summary.messages.map { Self.message($0, options: options) })))
        }
        members += [
            ("violations", .array(summary.violations.map(Self.violation))),
            ("closes", .array(summary.closes.map(Self.close))),
        ]
        if summary.violationsOmitted > 0 {
            members.append(("violationsOmitted", .integer(summary.violationsOmitted)))
        }
        if !summary.resynchronizations.isEmpty {
            members.append(
                (
                    "resynchronizations",
                    .array(
                        summary.resynchronizations.map {
                            .object([
                                ("direction", Self.direction($0.direction)),
                                ("skippedBytes", .integer($0.skippedBytes)),
                                ("packet", .integer($0.packet.number)),
                            ])
                        }
                    )
                )
            )
        }
        if let ending = summary.tcpEndings.first {
            members.append(
                (
                    "tcpEnd",
                    .object([
                        ("kind", .string(ending.end.rawValue)),
                        ("direction", Self.direction(ending.direction)),
                        ("packet", .integer(ending.packet.number)),
                    ])
                )
            )
        }
        return .object(members)
    }

    static func kindName(_ kind: WebSocketConnectionSummary.Kind) -> String {
        switch kind {
        case .upgraded: return "upgraded"
        case .midStream: return "mid-stream"
        case .upgradeRejected: return "upgrade-rejected"
        case .upgradeUnanswered: return "upgrade-unanswered"
        case .notWebSocket: return "not-websocket"
        }
    }

    static func upgrade(_ summary: WebSocketConnectionSummary, options: RenderOptions) -> JSON {
        guard let handshake = summary.handshake else {
            return .object([("seen", .bool(false)), ("status", .null), ("acceptValid", .null), ("extensions", .null)])
        }
        var members: [(String, JSON)] = [
            ("seen", .bool(handshake.method != nil)),
            ("status", handshake.status.map { .integer($0) } ?? .null),
            ("acceptValid", handshake.acceptValid.map { .bool($0) } ?? .null),
            ("extensions", .optional(handshake.extensionsHeader)),
            ("method", .optional(handshake.method)),
            ("path", .optional(handshake.target.map(options.redactor.target))),
            ("host", .optional(handshake.host)),
            ("origin", .optional(handshake.origin)),
            ("userAgent", .optional(handshake.userAgent)),
            ("key", .optional(handshake.key)),
            ("accept", .optional(handshake.accept)),
            ("expectedAccept", .optional(handshake.expectedAccept)),
            (
                "protocolsOffered",
                .array(
                    handshake.protocolsOffered.map {
                        .string(options.redactor.header(name: "sec-websocket-protocol", value: $0))
                    }
                )
            ),
            (
                "protocol",
                .optional(
                    handshake.selectedProtocol.map {
                        options.redactor.header(name: "sec-websocket-protocol", value: $0)
                    }
                )
            ),
            ("extensionsOffered", .array(handshake.extensionsOffered.map { .string($0.description) })),
        ]
        if let deflate = handshake.perMessageDeflate {
            members.append(
                (
                    "permessageDeflate",
                    .object([
                        ("serverNoContextTakeover", .bool(deflate.serverNoContextTakeover)),
                        ("clientNoContextTakeover", .bool(deflate.clientNoContextTakeover)),
                        ("serverMaxWindowBits", deflate.serverMaxWindowBits.map { .integer($0) } ?? .null),
                        ("clientMaxWindowBits", deflate.clientMaxWindowBits.map { .integer($0) } ?? .null),
                    ])
                )
            )
        }
        if let rejection = summary.rejection {
            members.append(
                (
                    "rejection",
                    .object([
                        ("status", .integer(rejection.status)),
                        ("reason", .string(rejection.reason)),
                        ("body", .string(options.redactor.jsonText(rejection.bodyText))),
                    ])
                )
            )
        }
        members.append(("findings", .array(handshake.findings.map { .string($0.message) })))
        return .object(members)
    }

    static func frame(_ frame: WebSocketFrameRecord) -> JSON {
        var members: [(String, JSON)] = [
            ("number", .integer(frame.number)),
            ("direction", Self.direction(frame.direction)),
            ("packet", .integer(frame.startPacket.number)),
            ("endPacket", .integer(frame.endPacket.number)),
            ("time", .string(frame.startPacket.timestamp.rfc3339)),
            ("fin", .bool(frame.fin)),
            ("rsv", .integer(frame.rsv)),
            ("opcode", .integer(frame.opcode.rawValue)),
            ("opcodeName", .string(frame.opcode.description)),
            ("masked", .bool(frame.masked)),
            ("length", .integer(Int64(clamping: frame.payloadLength))),
        ]
        if let key = frame.maskKey {
            members.append(("maskKey", .string(Self.hex32(key))))
        }
        if !frame.lengthEncodingMinimal {
            members.append(("lengthEncodingMinimal", .bool(false)))
        }
        if !frame.complete {
            members.append(("complete", .bool(false)))
            members.append(("lostBytes", .integer(frame.lostBytes)))
        }
        return .object(members)
    }

    static func hex32(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    static func message(_ message: WebSocketMessageRecord, options: RenderOptions) -> JSON {
        var members: [(String, JSON)] = [
            ("direction", Self.direction(message.direction)),
            ("opcode", .integer(message.opcode.rawValue)),
            ("length", .integer(Int64(clamping: message.length))),
            ("wireLength", .integer(Int64(clamping: message.wireLength))),
            ("compressed", .bool(message.compressed)),
            ("firstFrame", .integer(message.firstFrame)),
            ("lastFrame", .integer(message.lastFrame)),
            ("packet", .integer(message.startPacket.number)),
        ]
        if let payload = message.payload {
            if message.opcode == .text, message.utf8Valid != false {
                members.append(("text", .string(options.redactor.jsonText(String(decoding: payload, as: UTF8.self)))))
            } else {
                members.append(("base64", .string(Base64.encode(payload))))
            }
        }
        if message.payloadCut { members.append(("payloadCut", .bool(true))) }
        if let valid = message.utf8Valid, !valid { members.append(("utf8Valid", .bool(false))) }
        if let error = message.inflateError { members.append(("inflateError", .string(error))) }
        if message.decompressionLimitExceeded { members.append(("decompressionLimitExceeded", .bool(true))) }
        if !message.complete { members.append(("complete", .bool(false))) }
        return .object(members)
    }

    static func violation(_ violation: WebSocketViolation) -> JSON {
        .object([
            ("rule", .string(violation.rule.rawValue)),
            ("direction", Self.direction(violation.direction)),
            ("frame", violation.frame.map { .integer($0) } ?? .null),
            ("packet", violation.packet.map { .integer($0.number) } ?? .null),
            ("closeCode", violation.rule.closeCode.map { .integer($0) } ?? .null),
            ("rfc", .string(violation.rule.rfcSection)),
            ("detail", .string(violation.detail)),
        ])
    }

    static func close(_ close: WebSocketConnectionSummary.Close) -> JSON {
        var members: [(String, JSON)] = [
            ("direction", Self.direction(close.record.direction)),
            ("code", close.record.code.map { .integer($0) } ?? .null),
            ("reason", .string(close.record.reason)),
            ("name", .optional(close.record.code.flatMap(closeCodeName))),
            ("frame", .integer(close.record.frame)),
            ("packet", .integer(close.record.packet.number)),
            ("time", .string(close.record.packet.timestamp.rfc3339)),
            ("initiated", .bool(close.initiated)),
        ]
        if let echoed = close.echoed {
            members.append(("echoed", .bool(echoed)))
        }
        if let answers = close.answers {
            members.append(
                (
                    "answers",
                    .object([
                        ("rule", .string(answers.rule.rawValue)),
                        ("direction", Self.direction(answers.direction)),
                        ("frame", answers.frame.map { .integer($0) } ?? .null),
                    ])
                )
            )
        }
        return .object(members)
    }
}
