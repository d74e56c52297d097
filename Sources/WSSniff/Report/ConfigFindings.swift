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

/// Reading inputs and writing outputs that may hold evidence: files are created with mode 0600 from the start.
package enum ReportFiles {
    package static func readAll(_ path: String) throws(WSSniffError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw WSSniffError(.cannotOpenInput, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw WSSniffError(.cannotOpenInput, "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { return output }
            output.append(contentsOf: chunk[0..<count])
        }
    }

    /// Writes `bytes` to a new or truncated file created with mode 0600 (an existing file keeps its mode, so it is
    /// refused unless it is already private).
    package static func writePrivate(_ bytes: [UInt8], to path: String) throws(WSSniffError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw WSSniffError(.cannotWrite, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var status = stat()
        if fstat(fd, &status) == 0, status.st_mode & 0o077 != 0 {
            // An existing file kept a wider mode: narrow it before writing anything into it.
            _ = fchmod(fd, 0o600)
        }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                throw WSSniffError(.cannotWrite, "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            written += count
        }
    }

    package static func writePrivate(_ text: String, to path: String) throws(WSSniffError) {
        try Self.writePrivate(Array(text.utf8), to: path)
    }
}
