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
