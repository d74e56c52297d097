/// Something tolerated while parsing an HTTP head: recorded, not fatal.
package struct HTTPHeadWarning: Hashable, Sendable, CustomStringConvertible {
    /// The 1-based line of the head it concerns (1 is the request or status line).
    package var line: Int
    package var message: String
    /// The RFC and section that the head breaks, e.g. `RFC 9112 5.2`.
    package var rfcSection: String

    package init(line: Int, message: String, rfcSection: String) {
        self.line = line
        self.message = message
        self.rfcSection = rfcSection
    }

    package var description: String {
        "line \(self.line): \(self.message) (\(self.rfcSection))"
    }
}

/// The head of an HTTP/1.x request: request line and header fields (RFC 9112 3).
package struct HTTPRequestHead: Hashable, Sendable {
    /// The method as sent (case-sensitive, RFC 9110 9.1), e.g. `GET`.
    package var method: String
    /// The request target as sent, e.g. `/path?query` or `http://host/path`.
    package var target: String
    /// The protocol version as sent, e.g. `HTTP/1.1`.
    package var version: String
    package var headers: HTTPHeaders
    /// What the parser tolerated.
    package var warnings: [HTTPHeadWarning]
    /// Bytes of the head on the wire, empty lines before it and the final empty line included.
    package var byteCount: Int

    package init(
        method: String,
        target: String,
        version: String = "HTTP/1.1",
        headers: HTTPHeaders = HTTPHeaders(),
        warnings: [HTTPHeadWarning] = [],
        byteCount: Int = 0
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.warnings = warnings
        self.byteCount = byteCount
    }

    /// The version's major and minor digits, nil if ``version`` is not `HTTP/d.d`.
    package var versionNumber: HTTPVersionNumber? {
        HTTPVersionNumber(self.version)
    }
}

/// The head of an HTTP/1.x response: status line and header fields (RFC 9112 4).
package struct HTTPResponseHead: Hashable, Sendable {
    /// The protocol version as sent, e.g. `HTTP/1.1`.
    package var version: String
    /// The three-digit status code.
    package var status: Int
    /// The reason phrase, possibly empty.
    package var reason: String
    package var headers: HTTPHeaders
    /// What the parser tolerated.
    package var warnings: [HTTPHeadWarning]
    /// Bytes of the head on the wire, the final empty line included.
    package var byteCount: Int

    package init(
        version: String = "HTTP/1.1",
        status: Int,
        reason: String,
        headers: HTTPHeaders = HTTPHeaders(),
        warnings: [HTTPHeadWarning] = [],
        byteCount: Int = 0
    ) {
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
        self.warnings = warnings
        self.byteCount = byteCount
    }

    /// The version's major and minor digits, nil if ``version`` is not `HTTP/d.d`.
    package var versionNumber: HTTPVersionNumber? {
        HTTPVersionNumber(self.version)
    }

    /// RFC 9110 15.2: "The 1xx (Informational) class of status code indicates an interim response". 101 is
    /// interim for HTTP but ends the HTTP phase of the connection.
    package var isInformational: Bool {
        (100...199).contains(self.status)
    }
}

/// A parsed HTTP/1.x head.
package enum HTTPHead: Hashable, Sendable {
    case request(HTTPRequestHead)
    case response(HTTPResponseHead)

    package var headers: HTTPHeaders {
        switch self {
        case .request(let head): head.headers
        case .response(let head): head.headers
        }
    }

    package var warnings: [HTTPHeadWarning] {
        switch self {
        case .request(let head): head.warnings
        case .response(let head): head.warnings
        }
    }
}

/// `HTTP/<major>.<minor>` as numbers, ordered (RFC 9112 2.3: `HTTP-version = HTTP-name "/" DIGIT "." DIGIT`).
package struct HTTPVersionNumber: Hashable, Comparable, Sendable, CustomStringConvertible {
    package var major: Int
    package var minor: Int

    package init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Parses `HTTP/d.d` exactly (RFC 9112 2.3: "HTTP-name is case-sensitive"); nil otherwise.
    package init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 8, bytes[0..<5].elementsEqual("HTTP/".utf8), bytes[6] == UInt8(ascii: "."),
            let major = Self.digit(bytes[5]), let minor = Self.digit(bytes[7])
        else {
            return nil
        }
        self.major = major
        self.minor = minor
    }

    package static let http11 = HTTPVersionNumber(major: 1, minor: 1)

    package static func < (lhs: HTTPVersionNumber, rhs: HTTPVersionNumber) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    package var description: String {
        "HTTP/\(self.major).\(self.minor)"
    }

    private static func digit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }
}
