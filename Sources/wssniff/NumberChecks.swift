import ArgumentParser

/// The checks of numeric options, with errors that say what is wrong.
///
/// Numeric options are declared with `parsing: .unconditional`, so `--duration -5` reaches these checks as -5
/// instead of failing as "missing value" (a leading `-` otherwise reads as the next option).
enum NumberChecks {
    /// A TCP port: 0 through 65535 (0 where "none" is allowed).
    static func port(_ value: Int, option: String = "--port") throws -> UInt16 {
        guard let port = UInt16(exactly: value) else {
            throw ValidationError("\(option) must be a TCP port number from 0 to 65535, not \(value)")
        }
        return port
    }

    /// A count of something, 1 or more: `--count must be a positive number of packets, not -1`.
    static func positive(_ value: Int?, option: String, of unit: String) throws {
        if let value, value < 1 {
            throw ValidationError("\(option) must be a positive number of \(unit), not \(value)")
        }
    }

    /// A protocol version, 1 or more.
    static func protocolVersion(_ value: Int64, option: String = "--gateway-protocol") throws {
        if value < 1 {
            throw ValidationError("\(option) must be a protocol version (1 or more), not \(value)")
        }
    }

    /// A time in milliseconds since the epoch, 0 or more.
    static func epochMilliseconds(_ value: Int64?, option: String) throws {
        if let value, value < 0 {
            throw ValidationError("\(option) must be a time in milliseconds since 1970 (0 or more), not \(value)")
        }
    }
}
