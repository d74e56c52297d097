import ProofVerify

/// The gateway the probe talks to, from a `ws://host:port/path` URL.
package struct ProbeTarget: Hashable, Sendable {
    /// The URL as given.
    package var url: String
    /// The host, without the brackets of an IPv6 literal.
    package var host: String
    package var port: UInt16
    /// The request target: `/` when the URL has no path.
    package var path: String

    /// The gateway's default port (the one `wssniff capture` watches by default).
    package static let defaultPort: UInt16 = GatewayPorts.nasDefault

    /// `Host:` as RFC 7230 5.4 wants it: the host (bracketed when IPv6) and the port.
    package var hostHeader: String {
        (self.host.contains(":") ? "[\(self.host)]" : self.host) + ":\(self.port)"
    }

    /// Whether the host is a loopback address or `localhost` (where `--capture` can see the traffic on `lo`).
    package var isLoopback: Bool {
        self.host == "localhost" || self.host == "::1" || self.host.hasPrefix("127.")
    }

    /// The upgrade request (RFC 6455 4.1) with `key` as `Sec-WebSocket-Key`: the required headers, no extensions
    /// offered (so the gateway's frames are never compressed), no `Origin` (a CLI sends none).
    package func upgradeRequest(key: String) -> String {
        [
            "GET \(self.path) HTTP/1.1",
            "Host: \(self.hostHeader)",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: \(key)",
            "Sec-WebSocket-Version: 13",
            "User-Agent: wssniff-probe/\(WSSniffVersion.string)",
            "",
            "",
        ].joined(separator: "\r\n")
    }

    /// Parses `ws://host[:port][/path]`.
    ///
    /// - Throws: a message for `wss://` (the probe speaks no TLS), for any other scheme, and for a malformed
    ///   host or port.
    package init(_ url: String) throws(ProbeTargetError) {
        self.url = url
        let lower = url.lowercased()
        if lower.hasPrefix("wss://") || lower.hasPrefix("https://") {
            throw ProbeTargetError(
                "\(url): wss:// is not supported: the probe speaks plain ws:// only (no TLS). Probe the gateway on "
                    + "loopback, ws://127.0.0.1:PORT, on the machine it runs on (an SSH tunnel works: "
                    + "ssh -L PORT:127.0.0.1:PORT host)"
            )
        }
        guard lower.hasPrefix("ws://") else {
            throw ProbeTargetError("\(url): not a ws:// URL (expected ws://host:port, e.g. ws://127.0.0.1:42919)")
        }
        var rest = Substring(url.dropFirst("ws://".count))
        var path = "/"
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) {
            path = String(rest[slash...])
            if path.hasPrefix("?") { path = "/" + path }
            rest = rest[..<slash]
        }
        if rest.contains("@") {
            throw ProbeTargetError("\(url): credentials in the URL are not supported; give the token with --token-file")
        }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                throw ProbeTargetError("\(url): an IPv6 address needs its closing ]")
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else if !after.isEmpty {
                throw ProbeTargetError("\(url): unexpected text after the IPv6 address")
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else {
            throw ProbeTargetError("\(url): no host (expected ws://host:port)")
        }
        var port = Self.defaultPort
        if let portText {
            guard let value = UInt16(portText), value > 0 else {
                throw ProbeTargetError("\(url): the port must be a number from 1 to 65535")
            }
            port = value
        }
        self.host = String(host)
        self.port = port
        self.path = path
    }
}

/// Why a probe URL cannot be used.
package struct ProbeTargetError: Error, Sendable {
    package var message: String

    init(_ message: String) {
        self.message = message
    }
}
