import ArgumentParser
import Glibc
import ProofVerify
import WSSniff

/// `wssniff probe`: asks a running gateway which protocol versions and proof forms it accepts from a device.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Ask a running gateway which protocol and device-proof forms it accepts from this device.",
        discussion: """
            Connects to the gateway as a client, one connection per question. First one connect without a device \
            per --protocols version finds the protocols the gateway admits (its protocol check comes before any \
            device check). Then, at the highest admitted protocol, one connection per --forms form: the upgrade, \
            the connect.challenge, a connect signed in that form, the gateway's answer, a clean close. A refusal \
            that comes after the signature check (pairing required, unauthorized) proves the form verified. \
            Stops at the first accepted form unless --all.

            Probing can change the gateway's state: a local unpaired device may be paired silently, or leave a \
            pending pairing request, and failed attempts may count towards its auth rate limit. The probe asks \
            first (or needs --yes), paces its connections, and stops on AUTH_RATE_LIMITED. --dry-run prints the \
            frames without connecting. ws:// only (no TLS). The token (--token-file or OPENCLAW_GATEWAY_TOKEN \
            rather than --token) is sent as auth.token and signed; it is never printed, nor is the private key.

            Examples:
              wssniff probe --identity ~/.openclaw/identity/device.json --token-file ~/.openclaw/token --yes
              wssniff probe --url ws://127.0.0.1:18789 --identity device.json --all --format json --yes
              sudo wssniff probe --identity device.json --yes --capture probe.pcap && wssniff report probe.pcap

            Exit codes: 0 probed, 64 bad usage or not confirmed, 65 the identity file cannot be used, 66 it cannot \
            be read, 69 the gateway cannot be reached or is not an OpenClaw gateway, 75 the gateway rate-limited \
            the probe or is unavailable (retry later), 77 --capture not permitted.
            """
    )

    @Option(help: ArgumentHelp("The gateway's WebSocket URL (ws:// only).", valueName: "url"))
    var url = "ws://127.0.0.1:\(ProbeTarget.defaultPort)"

    @Option(help: ArgumentHelp("The device.json to sign with (Node, Apple or Android form).", valueName: "file"))
    var identity: String

    @Option(
        help: ArgumentHelp(
            "The shared token, sent as auth.token and signed.",
            discussion: "Visible to other users in `ps`: prefer --token-file or OPENCLAW_GATEWAY_TOKEN.",
            valueName: "token"
        )
    )
    var token: String?

    @Option(help: ArgumentHelp("Read the token from this file (its first line).", valueName: "file"))
    var tokenFile: String?

    @Option(help: ArgumentHelp("The forms to try, in order: v3, v2, v1, nonce, nonce:ts.", valueName: "list"))
    var forms = "v3,v2,v1,nonce,nonce:ts"

    @Option(help: ArgumentHelp("The protocol versions to offer, one connection each.", valueName: "list"))
    var protocols = "3,4"

    @Option(help: "client.id as sent.")
    var clientId = "cli"

    @Option(help: "client.mode as sent.")
    var clientMode = "cli"

    @Option(help: "role as sent.")
    var role = "operator"

    @Option(name: .customLong("scope"), help: "A scope, repeated in the order to send them.")
    var scopes: [String] = []

    @Option(help: "client.platform as sent (v3 signs it normalized).")
    var platform = "linux"

    @Option(help: "client.deviceFamily as sent (none by default).")
    var deviceFamily = ""

    @Flag(help: "Try every form, not only up to the first the proof check accepts.")
    var all = false

    @Flag(help: "Print the frames the probe would send, without connecting.")
    var dryRun = false

    @Flag(help: "Do not ask before connecting (needed when standard input is not a terminal).")
    var yes = false

    @Option(help: ArgumentHelp("The limit on each step, in seconds.", valueName: "seconds"))
    var timeout = 5.0

    @Option(help: ArgumentHelp("The pause between two connections, in milliseconds.", valueName: "ms"))
    var pace = 500

    @Option(help: ArgumentHelp("Capture the probe's own traffic into this pcap file (root).", valueName: "file"))
    var capture: String?

    @Option(help: "The output format.")
    var format: OfflineFormat = .text

    func validate() throws {
        if self.token != nil && self.tokenFile != nil {
            throw ValidationError("--token and --token-file both give the token: use one")
        }
        guard self.timeout > 0, self.timeout <= 300 else {
            throw ValidationError("--timeout must be more than 0 and at most 300 seconds")
        }
        guard self.pace >= 0, self.pace <= 60_000 else {
            throw ValidationError("--pace must be from 0 to 60000 ms")
        }
        _ = try self.parsedForms()
        _ = try self.parsedProtocols()
        if self.capture != nil && self.dryRun {
            throw ValidationError("--capture and --dry-run: a dry run makes no traffic to capture")
        }
    }

    func run() throws {
        let target: ProbeTarget
        do {
            target = try ProbeTarget(self.url)
        } catch {
            throw fail(WSSniffError(.usage, error.message))
        }
        var request = ProbeRequest(target: target)
        request.forms = try self.parsedForms()
        request.protocols = try self.parsedProtocols()
        request.clientId = self.clientId
        request.clientMode = self.clientMode
        request.role = self.role
        request.scopes = self.scopes
        request.platform = self.platform
        request.deviceFamily = self.deviceFamily
        request.all = self.all
        request.timeout = self.timeout
        request.paceMilliseconds = self.pace
        let key: SigningKey
        do {
            request.token = try TokenSource.resolve(token: self.token, tokenFile: self.tokenFile)
            key = try Self.signingKey(self.identity)
        } catch {
            throw fail(error)
        }
        if self.dryRun {
            print(self.dryRunText(request, deviceId: key.deviceId, publicKey: key.wirePublicKey))
            return
        }
        try self.confirm(request, deviceId: key.deviceId)
        var capture: ProbeCapture?
        if let path = self.capture {
            do {
                capture = try ProbeCapture(
                    path: path,
                    interface: target.isLoopback ? "lo" : "any",
                    port: target.port,
                    owner: nil
                )
            } catch {
                throw fail(error)
            }
            capture?.start()
        }
        let result: ProbeRun.Result
        do {
            result = try ProbeRun.run(request, key: key) { attempt in
                let step = attempt.form.map { "form \($0.rawValue)" } ?? "protocol check"
                Diagnostics.note("\(step) at protocol \(attempt.protocolVersion): \(attempt.answer)")
            }
        } catch {
            Self.finish(capture)
            throw fail(WSSniffError(.captureUnavailable, error.message))
        }
        Self.finish(capture)
        switch self.format {
        case .text: print(ProbeReport.text(result))
        case .json: print(ProbeReport.json(result).serialized(indent: 2))
        }
        switch result.stop {
        case .failed: throw ExitCode(69)
        case .rateLimited, .unavailable: throw ExitCode(75)
        case nil: break
        }
    }

    /// Stops the capture, after a moment for the last packets to reach the capture ring, and says what it wrote.
    private static func finish(_ capture: ProbeCapture?) {
        guard let capture else { return }
        usleep(200_000)
        let statistics = capture.stop()
        if let failure = statistics.failure {
            Diagnostics.error("the capture failed: \(failure.message)")
        } else {
            Diagnostics.note(
                "captured \(statistics.captured) packets (\(statistics.kernelDropped) dropped) to "
                    + statistics.files.joined(separator: ", ")
            )
        }
    }

    /// Says what probing may change and asks on a terminal; without one, `--yes` is required.
    private func confirm(_ request: ProbeRequest, deviceId: String) throws {
        let upTo = request.all ? "" : "up to "
        let warning =
            "wssniff probe will open \(upTo)\(request.protocols.count + request.forms.count) connections to "
            + "\(request.target.url) as device \(deviceId). This can change the gateway's state: an unpaired local "
            + "device may be paired silently or leave a pending pairing request (openclaw devices list), and "
            + "failed attempts may count towards its auth rate limit."
        if self.yes {
            return
        }
        guard isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1 else {
            throw fail(WSSniffError(.usage, warning + " Pass --yes to probe (or --dry-run to see the frames)."))
        }
        Diagnostics.text(warning + "\nProbe? [y/N] ")
        let answer = readLine(strippingNewline: true)?.lowercased() ?? ""
        guard answer == "y" || answer == "yes" else {
            throw fail(WSSniffError(.usage, "not confirmed: nothing was sent"))
        }
    }

    /// The identity's signing key; errors never quote key material.
    private static func signingKey(_ path: String) throws(WSSniffError) -> SigningKey {
        let bytes = try readInput(path, what: "identity file")
        do {
            return try IdentityFile.signingKey(from: bytes)
        } catch {
            throw WSSniffError(.invalidCapture, "\(path): \(error.message)")
        }
    }

    private func parsedForms() throws -> [ProofForm] {
        let names = self.forms.split(separator: ",").map { $0.filter { $0 != " " } }
        var forms: [ProofForm] = []
        for name in names where !name.isEmpty {
            guard let form = ProofForm(rawValue: name), form != .nonceSignedAt else {
                throw ValidationError("--forms: unknown form \"\(name)\" (the forms are v3, v2, v1, nonce, nonce:ts)")
            }
            if !forms.contains(form) { forms.append(form) }
        }
        guard !forms.isEmpty else { throw ValidationError("--forms is empty: name at least one form") }
        return forms
    }

    private func parsedProtocols() throws -> [Int] {
        var versions: [Int] = []
        for name in self.protocols.split(separator: ",").map({ $0.filter { $0 != " " } }) where !name.isEmpty {
            guard let version = Int(name), version > 0, version < 1000 else {
                throw ValidationError("--protocols: \"\(name)\" is not a protocol version (e.g. 3,4)")
            }
            if !versions.contains(version) { versions.append(version) }
        }
        guard !versions.isEmpty else { throw ValidationError("--protocols is empty: name at least one version") }
        return versions
    }

    /// The upgrade and every connect the probe would send, the token redacted and the signatures left out.
    private func dryRunText(_ request: ProbeRequest, deviceId: String, publicKey: String) -> String {
        let challenge = ConnectChallenge(nonce: "<nonce of connect.challenge>", ts: 0)
        let now = Int64(time(nil)) * 1000
        var lines = ["dry run: nothing is sent; each connection would be:", ""]
        lines.append(
            request.target.upgradeRequest(key: "<16 random bytes, base64>").split(separator: "\r\n")
                .map { "  " + $0 }.joined(separator: "\n")
        )
        lines.append("  then wait for the connect.challenge event, send the connect, read the answer, close 1000")
        for version in request.protocols {
            lines.append("")
            lines.append("protocol check \(version) (no device):")
            if let frame = try? ProbeConnect.frame(
                request,
                purpose: .protocolCheck,
                protocolVersion: version,
                challenge: challenge,
                signedAtMs: now,
                key: nil,
                deviceId: deviceId,
                publicKey: publicKey
            ) {
                lines.append("  " + frame.serialized())
            }
        }
        for form in request.forms {
            lines.append("")
            lines.append("form \(form.rawValue) (at the highest protocol admitted):")
            if let payload = ProbeConnect.payload(
                request,
                form: form,
                challenge: challenge,
                signedAtMs: now,
                deviceId: deviceId
            ) {
                let text =
                    form == .nonceTs
                    ? "<nonce of connect.challenge>:<ts of connect.challenge>" : payload.text(showSecrets: false)
                lines.append("  signs: \(text)")
            }
            if let frame = try? ProbeConnect.frame(
                request,
                purpose: .form(form),
                protocolVersion: request.protocols.max() ?? 3,
                challenge: challenge,
                signedAtMs: now,
                key: nil,
                deviceId: deviceId,
                publicKey: publicKey
            ) {
                lines.append("  " + frame.serialized())
            }
        }
        if !request.all {
            lines.append("")
            lines.append("(the forms stop at the first one the proof check accepts; --all tries every one)")
        }
        return lines.joined(separator: "\n")
    }
}
