package import ProofVerify

/// What `wssniff probe` asks: where, as which client, which forms and protocols, how carefully.
package struct ProbeRequest: Sendable {
    package var target: ProbeTarget
    /// The forms to try, in order.
    package var forms: [ProofForm] = [.v3, .v2, .v1, .nonce, .nonceTs]
    /// The protocol versions to offer, one connection each (`minProtocol = maxProtocol`).
    package var protocols: [Int] = [3, 4]
    package var clientId = "cli"
    package var clientMode = "cli"
    package var role = "operator"
    /// The scopes, sent and signed in this order.
    package var scopes: [String] = []
    /// `client.platform` (required by the connect schema; v3 signs it normalized).
    package var platform = "linux"
    /// `client.deviceFamily`, or `""` (not sent).
    package var deviceFamily = ""
    /// The shared token, sent as `auth.token` and signed; `""` for none. A secret: never printed.
    package var token = ""
    /// Try every form, not only up to the first the proof check accepts.
    package var all = false
    /// The limit on each step (TCP connect, upgrade, challenge, answer, close), in seconds.
    package var timeout = 5.0
    /// The pause between two connections, in milliseconds.
    package var paceMilliseconds = 500

    package init(target: ProbeTarget) {
        self.target = target
    }
}
