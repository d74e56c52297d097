/// The TCP ports OpenClaw gateways listen on by default: the one place they are written.
package enum GatewayPorts {
    /// The port of the NAS package (which ships 2026.3.13) and wssniff's default `--port`.
    package static let nasDefault: UInt16 = 42919
    /// Upstream's default gateway port (docs/gateway/protocol.md, `openclaw gateway --port 18789`), also read
    /// mid-stream by default.
    package static let upstreamDefault: UInt16 = 18789
}
