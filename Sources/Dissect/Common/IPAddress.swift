/// An IPv4 or IPv6 address, stored inline.
package enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    /// The 128 bits as two big-endian halves.
    case v6(UInt64, UInt64)

    package var description: String {
        switch self {
        case .v4(let value):
            return "\(value >> 24).\((value >> 16) & 0xff).\((value >> 8) & 0xff).\(value & 0xff)"
        case .v6(let high, let low):
            return Self.formatIPv6(high: high, low: low)
        }
    }

    /// RFC 5952 text form: lowercase, leading zeros dropped, the longest run of two or more zero groups as `::`.
    private static func formatIPv6(high: UInt64, low: UInt64) -> String {
        var groups = [UInt16](repeating: 0, count: 8)
        for index in 0..<4 {
            groups[index] = UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64(index)))
            groups[index + 4] = UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64(index)))
        }
        var bestStart = -1
        var bestLength = 0
        var index = 0
        while index < 8 {
            if groups[index] == 0 {
                var end = index
                while end < 8 && groups[end] == 0 { end += 1 }
                if end - index > bestLength && end - index >= 2 {
                    bestStart = index
                    bestLength = end - index
                }
                index = end
            } else {
                index += 1
            }
        }
        if bestStart == 0 && bestLength == 5 && groups[5] == 0xffff {
            let v4 = UInt32(truncatingIfNeeded: low)
            return "::ffff:" + IPAddress.v4(v4).description
        }
        var text = ""
        index = 0
        while index < 8 {
            if index == bestStart {
                text += "::"
                index += bestLength
                continue
            }
            if !text.isEmpty && !text.hasSuffix(":") { text += ":" }
            text += String(groups[index], radix: 16)
            index += 1
        }
        return text
    }
}

/// One end of a TCP connection.
package struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    package var ip: IPAddress
    package var port: UInt16

    package init(ip: IPAddress, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    package var description: String {
        switch self.ip {
        case .v4: return "\(self.ip):\(self.port)"
        case .v6: return "[\(self.ip)]:\(self.port)"
        }
    }
}

/// Which way bytes travel on a connection.
package enum Direction: Hashable, Sendable {
    /// From the client (the side that opened the connection) to the server.
    case client
    /// From the server to the client.
    case server

    package var opposite: Direction {
        self == .client ? .server : .client
    }
}
