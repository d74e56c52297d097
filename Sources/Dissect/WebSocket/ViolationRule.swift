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
