import Glibc
package import ProofVerify

/// What an OpenClaw config file (`openclaw.json`, JSON5) says about the gateway a connection met. Secrets are never
/// kept: a token or password is reported as set, with its `Redactor.placeholder` fingerprint.
package struct ConfigFindings: Sendable {
    package var path: String
    package var port: Int64?
    package var authMode: String?
    package var tokenSet: Bool
    /// `<redacted sha256:xxxxxxxx>`: compare it with the token slot of the capture's connect.
    package var tokenFingerprint: String?
    package var passwordSet: Bool
    package var passwordFingerprint: String?
    package var allowInsecureAuth: Bool?
    package var dangerouslyDisableDeviceAuth: Bool?
    /// `gateway.handshakeTimeoutMs`, when the gateway uses it: 1000 to 120000 ms (upstream
    /// `src/gateway/handshake-timeouts.ts`, `validateConfigTimeout`; outside that the gateway ignores it).
    package var handshakeTimeoutMs: Int64?
    /// Sentences for the report.
    package var notes: [String]

    /// The sentence every report carries next to the Control UI flags.
    package static let controlUiScope =
        "`gateway.controlUi.allowInsecureAuth` and `gateway.controlUi.dangerouslyDisableDeviceAuth` apply only to the "
        + "Control UI (client.id `openclaw-control-ui`), not to CLI, cron or agent clients: those still need a "
        + "paired device and a valid signature."

    /// Reads the config file at `path`.
    package static func read(path: String) throws(WSSniffError) -> ConfigFindings {
        let bytes = try ReportFiles.readAll(path)
        let value: JSONValue
        do {
            value = try JSON5Reader.parse(bytes)
        } catch {
            throw WSSniffError(.invalidCapture, "\(path): not JSON5: \(error)")
        }
        return Self.findings(value, path: path)
    }

    /// The findings for a parsed config.
    package static func findings(_ config: JSONValue, path: String) -> ConfigFindings {
        let gateway = config["gateway"]
        let auth = gateway?["auth"]
        let controlUi = gateway?["controlUi"]
        let token = auth?["token"]?.stringValue ?? gateway?["token"]?.stringValue
        let password = auth?["password"]?.stringValue
        var findings = ConfigFindings(
            path: path,
            port: gateway?["port"]?.int64Value,
            authMode: auth?["mode"]?.stringValue,
            tokenSet: !(token ?? "").isEmpty,
            tokenFingerprint: token.flatMap { $0.isEmpty ? nil : Redactor.placeholder(for: $0) },
            passwordSet: !(password ?? "").isEmpty,
            passwordFingerprint: password.flatMap { $0.isEmpty ? nil : Redactor.placeholder(for: $0) },
            allowInsecureAuth: controlUi?["allowInsecureAuth"]?.boolValue,
            dangerouslyDisableDeviceAuth: controlUi?["dangerouslyDisableDeviceAuth"]?.boolValue,
            notes: []
        )
        if let timeout = gateway?["handshakeTimeoutMs"]?.int64Value {
            if (1_000...120_000).contains(timeout) {
                findings.handshakeTimeoutMs = timeout
            } else {
                findings.notes.append(
                    "`gateway.handshakeTimeoutMs` is \(timeout), outside 1000..120000: the gateway ignores it and "
                        + "keeps its default."
                )
            }
        }
        if findings.authMode == nil {
            findings.notes.append(
                findings.tokenSet
                    ? "No `gateway.auth.mode`: with a token set, the gateway uses token auth."
                    : "No `gateway.auth.mode` and no token: see whether the gateway generated one at start."
            )
        }
        if findings.allowInsecureAuth == true || findings.dangerouslyDisableDeviceAuth == true {
            findings.notes.append(Self.controlUiScope)
        }
        return findings
    }

    /// The capture's token slots, compared with the configured token: one sentence per connection that carries one.
    package func tokenComparison(_ connections: [ConnectionReport]) -> [String] {
        guard let fingerprint = self.tokenFingerprint else { return [] }
        var sentences: [String] = []
        for report in connections {
            guard let slot = report.gateway.connect?.auth?.token?.stringValue, !slot.isEmpty else { continue }
            let captured = Redactor.placeholder(for: slot)
            sentences.append(
                captured == fingerprint
                    ? "Connection \(report.index) sends the configured token (\(captured))."
                    : "Connection \(report.index) sends a different token (\(captured)) from the configured one (\(fingerprint))."
            )
        }
        return sentences
    }
}
