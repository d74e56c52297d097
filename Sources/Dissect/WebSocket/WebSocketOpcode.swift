/// A WebSocket frame opcode (RFC 6455 5.2), with a catch-all for the reserved values.
package enum WebSocketOpcode: Hashable, Sendable, CustomStringConvertible {
    case continuation
    case text
    case binary
    case close
    case ping
    case pong
    /// %x3-7 (reserved for further non-control frames) and %xB-F (reserved for further control frames).
    case reserved(UInt8)

    package init(rawValue: UInt8) {
        switch rawValue & 0x0f {
        case 0x0: self = .continuation
        case 0x1: self = .text
        case 0x2: self = .binary
        case 0x8: self = .close
        case 0x9: self = .ping
        case 0xA: self = .pong
        default: self = .reserved(rawValue & 0x0f)
        }
    }

    package var rawValue: UInt8 {
        switch self {
        case .continuation: return 0x0
        case .text: return 0x1
        case .binary: return 0x2
        case .close: return 0x8
        case .ping: return 0x9
        case .pong: return 0xA
        case .reserved(let value): return value
        }
    }

    /// RFC 6455 5.5: control frames are identified by opcodes where the most significant bit of the opcode is 1.
    package var isControl: Bool { self.rawValue & 0x08 != 0 }

    package var description: String {
        switch self {
        case .continuation: return "continuation"
        case .text: return "text"
        case .binary: return "binary"
        case .close: return "close"
        case .ping: return "ping"
        case .pong: return "pong"
        case .reserved(let value): return "reserved-0x\(String(value, radix: 16))"
        }
    }
}

/// A breach of RFC 6455 (or RFC 7692) that a conforming peer answers by failing the connection.
///
/// The raw values are the stable rule ids of the JSON contract (`violations[].rule`).
package enum ViolationRule: String, Hashable, Sendable, CaseIterable {
    case clientFrameUnmasked = "client-frame-unmasked"
    case serverFrameMasked = "server-frame-masked"
    case rsvWithoutExtension = "rsv-without-extension"
    case reservedOpcode = "reserved-opcode"
    case continuationWithoutStart = "continuation-without-start"
    case dataFrameInsideFragmentedMessage = "data-frame-inside-fragmented-message"
    case controlFrameFragmented = "control-frame-fragmented"
    case controlFrameTooLong = "control-frame-too-long"
    case closePayloadOneByte = "close-payload-one-byte"
    case invalidCloseCode = "invalid-close-code"
    case invalidUTF8 = "invalid-utf8"
    case nonMinimalLength = "non-minimal-length"
    case messageTooBig = "message-too-big"
    case badAccept = "bad-accept"
    case upgradeRejected = "upgrade-rejected"
    case frameAfterClose = "frame-after-close"

    /// The section of RFC 6455 that states the rule.
    package var rfcSection: String {
        switch self {
        case .clientFrameUnmasked, .serverFrameMasked: return "RFC 6455 5.1"
        case .rsvWithoutExtension, .reservedOpcode, .nonMinimalLength: return "RFC 6455 5.2"
        case .continuationWithoutStart, .dataFrameInsideFragmentedMessage, .controlFrameFragmented:
            return "RFC 6455 5.4"
        case .controlFrameTooLong: return "RFC 6455 5.5"
        case .closePayloadOneByte: return "RFC 6455 5.5.1"
        case .invalidCloseCode: return "RFC 6455 7.4"
        case .invalidUTF8: return "RFC 6455 8.1"
        case .messageTooBig: return "RFC 6455 7.4.1"
        case .badAccept: return "RFC 6455 4.1"
        case .upgradeRejected: return "RFC 6455 4.1"
        case .frameAfterClose: return "RFC 6455 5.5.1"
        }
    }

    /// The close code the `ws` library (the gateway's) answers the breach with; nil where no close follows.
    ///
    /// `ws` 8.x: 1002 with an empty reason for framing breaches, 1007 for invalid UTF-8, 1009 for a message over its
    /// `maxPayload`. It does not check the minimal length encoding, so that breach draws no close from it.
    package var closeCode: UInt16? {
        switch self {
        case .clientFrameUnmasked, .serverFrameMasked, .rsvWithoutExtension, .reservedOpcode,
            .continuationWithoutStart, .dataFrameInsideFragmentedMessage, .controlFrameFragmented,
            .controlFrameTooLong, .closePayloadOneByte, .invalidCloseCode:
            return 1002
        case .invalidUTF8: return 1007
        case .messageTooBig: return 1009
        case .nonMinimalLength, .badAccept, .upgradeRejected, .frameAfterClose: return nil
        }
    }
}

/// The registered name of a close code (RFC 6455 7.4.1 and the IANA registry), or nil.
package func closeCodeName(_ code: UInt16) -> String? {
    switch code {
    case 1000: return "normal closure"
    case 1001: return "going away"
    case 1002: return "protocol error"
    case 1003: return "unsupported data"
    case 1005: return "no status received"
    case 1006: return "abnormal closure"
    case 1007: return "invalid frame payload data"
    case 1008: return "policy violation"
    case 1009: return "message too big"
    case 1010: return "mandatory extension"
    case 1011: return "internal error"
    case 1012: return "service restart"
    case 1013: return "try again later"
    case 1014: return "bad gateway"
    case 1015: return "TLS handshake"
    default: return nil
    }
}

/// RFC 6455 7.4: whether a close frame may carry `code`, decided exactly as `ws` 8's `isValidStatusCode`.
///
/// RFC 6455 7.4.1: 1005 and 1006 "MUST NOT be set as a status code in a Close control frame by an endpoint";
/// 0-999 are "not used", 1004 and 1015 are reserved, 1016-2999 are for future revisions of the protocol and
/// extensions (ws accepts none of them), 3000-3999 are registered with IANA and 4000-4999 are private use.
package func isValidCloseCode(_ code: UInt16) -> Bool {
    (code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006) || (code >= 3000 && code <= 4999)
}
