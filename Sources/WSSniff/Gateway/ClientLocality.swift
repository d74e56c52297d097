package import Dissect

/// Whether the gateway counts a client as local, which silent pairing needs: a loopback address, a loopback `Host`
/// and no forwarding headers (../shared/docs/gateway-protocol.md section 6; upstream `isLocalDirectRequest`,
/// `src/gateway/auth.ts`).
package struct ClientLocality: Hashable, Sendable {
    /// The client's address as the gateway saw it.
    package var address: String?
    /// Why the client is or is not local, as a clause; `nil` when not known.
    package var reason: String?
    /// Local (`true`), not local (`false`), or not known from the capture (`nil`).
    package var isLocal: Bool?

    /// The locality of `client` with the upgrade `handshake` (nil when the capture started after it).
    package init(client: Endpoint?, handshake: WebSocketHandshake?) {
        self.address = client.map { "\($0.ip)" }
        guard let client else {
            self.isLocal = nil
            return
        }
        if !Self.isLoopback(client.ip) {
            self.isLocal = false
            self.reason = "its address \(client.ip) is not loopback"
            return
        }
        guard let handshake else {
            self.isLocal = nil
            return
        }
        if let forwarded = handshake.forwarded {
            self.isLocal = false
            self.reason = "its upgrade carries `\(forwarded)`: it came through a proxy"
            return
        }
        guard let host = handshake.host, Self.isLoopbackHost(host) else {
            self.isLocal = false
            self.reason = "its upgrade's Host (\(handshake.host ?? "absent")) is not a loopback name"
            return
        }
        self.isLocal = true
        self.reason = "its address, its Host and its upgrade's headers are local"
    }

    static func isLoopback(_ ip: IPAddress) -> Bool {
        switch ip {
        case .v4(let value):
            return value >> 24 == 127
        case .v6(let high, let low):
            if high == 0 && low == 1 { return true }
            // ::ffff:127.x.x.x
            return high == 0 && low >> 32 == 0xffff && (low >> 24) & 0xff == 127
        }
    }

    /// Whether a `Host` header names loopback: `localhost`, `127.*`, `[::1]`, with or without a port.
    static func isLoopbackHost(_ host: String) -> Bool {
        var name = Substring(host.lowercased())
        if name.hasPrefix("[") {
            name = name.dropFirst().prefix { $0 != "]" }
        } else if let colon = name.firstIndex(of: ":") {
            name = name[..<colon]
        }
        return name == "localhost" || name == "::1" || name.hasPrefix("127.")
    }
}
