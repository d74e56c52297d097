import ArgumentParser
import Glibc
import ProofVerify
import WSSniff

/// `wssniff verify`: checks a device proof offline, from a connect frame copied out of a log.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify the device proof of a connect frame offline, as the gateway would.",
        usage: "wssniff verify [<options>] <connect-file> --nonce <nonce>",
        discussion: """
            For a user who has only logs: CONNECT_FILE (or - for stdin) holds the connect frame, either the whole \
            {"type":"req","method":"connect",...} or just its params object. With the challenge nonce it prints the \
            candidate payloads the gateway builds and which one verifies, the gateway's checks, and the verdict \
            the gateway would give (predicted: its answer is not in the input). See docs/proof-format.md.

            Examples:
              wssniff verify connect.json --nonce 5b2c0f9e-8a1d-4c3e-9f7a-2d6b1e0c4a88
              pbpaste | wssniff verify - --nonce NONCE --challenge-ts 1773446400000 \\
                  --format json
              wssniff verify connect.json --nonce NONCE \\
                  --identity ~/.openclaw/identity/device.json
              wssniff verify connect.json --nonce NONCE \\
                  --earlier-nonce NONCE_OF_AN_EARLIER_CONNECTION

            --identity reads only the public key and deviceId of the file; the private key is never read.

            Exit codes: 0 the proof was analyzed (whatever the verdict), 64 bad usage, 65 the connect or the \
            identity file cannot be parsed, 66 a file cannot be read.
            """
    )

    @Argument(help: ArgumentHelp("The connect frame or its params, as JSON; - reads stdin.", valueName: "connect-file"))
    var connectFile: String

    @Option(help: "The nonce of the gateway's connect.challenge.")
    var nonce: String

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "The challenge's ts (ms since the epoch): the gateway's clock for the signedAt check.",
            valueName: "ms"
        )
    )
    var challengeTs: Int64?

    @Option(
        help: ArgumentHelp(
            "A device.json whose public key and deviceId to compare with the connect's device.",
            valueName: "file"
        )
    )
    var identity: String?

    @Option(
        name: .customLong("earlier-nonce"),
        help: ArgumentHelp(
            "The nonce of an earlier connect.challenge on another connection (repeatable): a connect that answers "
                + "it is named as answering that connection's challenge.",
            valueName: "nonce"
        )
    )
    var earlierNonces: [String] = []

    @OptionGroup var gateway: GatewayVersionOptions

    @Option(help: "The output format.")
    var format: OfflineFormat = .text

    @Flag(help: "Show the token in payload strings instead of a redacted digest. The output then says so.")
    var showSecrets = false

    func validate() throws {
        try NumberChecks.epochMilliseconds(self.challengeTs, option: "--challenge-ts")
        if self.nonce.isEmpty {
            throw ValidationError("--nonce is empty: pass the nonce of the gateway's connect.challenge event")
        }
    }

    /// The profile `--gateway-version` or `--gateway-protocol` names (2026.3.13 when neither is given), and the
    /// protocol; `validate()` has checked both.
    var gatewaySetting: (choice: GatewayProfile.Choice, protocolVersion: Int64) {
        let (choice, protocolVersion) =
            self.gateway.resolved
        let assumed = GatewayProfile.Choice(
            profile: .v2026_3_13,
            basis: .assumed,
            reason: "no `--gateway-version` given; 2026.3.13 assumed"
        )
        return (choice ?? assumed, protocolVersion)
    }

    func run() throws {
        let bytes: [UInt8]
        do {
            bytes = try readInput(self.connectFile, what: "connect file")
        } catch {
            throw fail(error)
        }
        let request: GatewayMessage
        let connect: ConnectParams
        do {
            (request, connect) = try Self.connect(from: bytes, source: self.connectFile)
        } catch {
            throw fail(error)
        }
        if self.showSecrets {
            Diagnostics.warning("--show-secrets: tokens are shown unredacted in this output")
        }

        let challenge = ConnectChallenge(nonce: self.nonce, ts: self.challengeTs)
        let sent = connect.device?.nonce?.stringValue.map(JavaScript.trim)
        let stale = self.earlierNonces.lastIndex { $0 == sent && $0 != self.nonce }.map { index in
            EarlierChallenge(
                nonce: self.earlierNonces[index],
                connection: "the earlier connection given as --earlier-nonce #\(index + 1)",
                time: nil
            )
        }
        let proof = ProofAnalysis.analyze(
            ProofAnalysis.Input(
                params: connect,
                challenge: challenge,
                gatewayProtocol: self.gatewaySetting.protocolVersion,
                earlierNonces: self.earlierNonces.filter { $0 != self.nonce },
                staleChallenge: stale,
                showSecrets: self.showSecrets
            )
        )
        let verdict = GatewayVerdict.decide(
            HandshakeFacts(
                challenge: challenge,
                firstClientMessage: request,
                proof: proof,
                gatewayProtocol: self.gatewaySetting.protocolVersion,
                profileChoice: self.gatewaySetting.choice,
                source: .pastedConnect,
                handshakeTimeoutMilliseconds: self.gatewaySetting.choice.profile.handshakeTimeoutMilliseconds
            )
        )
        var comparison: IdentityComparison?
        if let path = self.identity {
            do {
                comparison = try Self.compare(identity: path, with: connect, proof: proof)
            } catch {
                throw fail(error)
            }
        }

        switch self.format {
        case .json:
            let document = JSONRenderer.offlineVerify(
                proof: proof,
                verdict: verdict,
                identity: comparison,
                showSecrets: self.showSecrets
            )
            print(document.serialized(indent: 2))
        case .text:
            print(
                self.text(
                    request: request,
                    connect: connect,
                    challenge: challenge,
                    proof: proof,
                    verdict: verdict,
                    identity: comparison
                )
            )
        }
    }

    private func text(
        request: GatewayMessage,
        connect: ConnectParams,
        challenge: ConnectChallenge,
        proof: ProofAnalysis?,
        verdict: GatewayVerdict,
        identity: IdentityComparison?
    ) -> String {
        var lines: [String] = []
        lines.append(
            TextRenderer.offlineProof(
                challenge: challenge,
                request: request,
                connect: connect,
                proof: proof,
                gatewayProtocol: self.gatewaySetting.protocolVersion,
                verdict: verdict
            )
        )
        if proof == nil {
            lines.append("    proof: the connect has no `device`, so there is nothing to verify")
        }
        if let proof, let signed = proof.signedForm {
            lines.append("    signed form: \(signed)")
        }
        if let explanation = proof?.explanation {
            lines.append("    explanation: \(explanation)")
        }
        if let identity {
            var facts = ["identity file (\(identity.form)): device id \(identity.deviceId)"]
            facts.append(Self.matchPhrase(identity.publicKeyMatches, "public key", "`device.publicKey`"))
            facts.append(Self.matchPhrase(identity.deviceIdMatches, "device id", "`device.id`"))
            if !identity.fileConsistent {
                facts.append("the file's own deviceId DOES NOT match its key")
            }
            lines.append("    " + facts.joined(separator: "; "))
        }
        let kind = verdict.observed ? "observed" : "predicted"
        lines.append("verdict (\(kind)): \(verdict.cause.rawValue)")
        lines.append("    \(verdict.summary)")
        if let reason = verdict.predictionReason {
            lines.append("    (\(reason))")
        }
        return lines.joined(separator: "\n")
    }

    private static func matchPhrase(_ match: Bool?, _ what: String, _ field: String) -> String {
        switch match {
        case true?: return "its \(what) matches \(field)"
        case false?: return "its \(what) DOES NOT match \(field)"
        case nil: return "its \(what) cannot be compared (\(field) unusable)"
        }
    }

    /// The connect request in `bytes`: a whole `req` frame, or a bare params object wrapped in one.
    static func connect(from bytes: [UInt8], source: String) throws(WSSniffError) -> (GatewayMessage, ConnectParams) {
        let name = source == "-" ? "stdin" : source
        switch GatewayMessage.classify(bytes, limits: JSONParser.Limits(maxDepth: 64, maxInputBytes: 1 << 22)) {
        case .notJSON(let error):
            throw WSSniffError(.invalidCapture, "\(name) is not JSON: \(error.message)")
        case .request(let request):
            guard request.method == "connect" else {
                throw WSSniffError(
                    .invalidCapture,
                    "\(name) holds a \"\(request.method ?? "?")\" request, not a connect; pass the connect frame or "
                        + "its params"
                )
            }
            guard let params = request.connectParams else {
                throw WSSniffError(.invalidCapture, "\(name): the connect request has no params")
            }
            return (.request(request), params)
        case .response:
            throw WSSniffError(.invalidCapture, "\(name) holds a res frame, not the client's connect request")
        case .event:
            throw WSSniffError(.invalidCapture, "\(name) holds an event frame, not the client's connect request")
        case .notFrame(let value, _):
            guard let object = value.objectValue, object["type"] == nil else {
                throw WSSniffError(
                    .invalidCapture,
                    "\(name) holds a JSON \(value.typeName) that is neither a connect frame nor connect params"
                )
            }
            let frame = JSONValue.object(
                JSONObject([
                    ("type", .string("req")),
                    ("id", .string("verify")),
                    ("method", .string("connect")),
                    ("params", value),
                ])
            )
            guard case .request(let request) = GatewayMessage.classify(value: frame),
                let params = request.connectParams
            else {
                throw WSSniffError(.invalidCapture, "\(name): the params object cannot be read as connect params")
            }
            return (.request(request), params)
        }
    }

    /// Compares the public part of an identity file (the private key is not read) with the connect's `device`.
    static func compare(
        identity path: String,
        with connect: ConnectParams,
        proof: ProofAnalysis?
    ) throws(WSSniffError) -> IdentityComparison {
        let bytes = try readInput(path, what: "identity file")
        let part: IdentityFile.PublicPart
        do {
            part = try IdentityFile.publicPart(from: bytes)
        } catch {
            throw WSSniffError(.invalidCapture, "\(path): \(error.message)")
        }
        return IdentityComparison.compare(part, connect: connect, proof: proof)
    }
}

/// Output formats of the offline commands.
enum OfflineFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

/// Reads a whole file, or stdin for `-`.
///
/// - Throws: ``WSSniffError`` `cannotOpenInput` (exit 66) when it cannot be opened or read.
func readInput(_ path: String, what: String) throws(WSSniffError) -> [UInt8] {
    let descriptor = path == "-" ? STDIN_FILENO : open(path, O_RDONLY)
    guard descriptor >= 0 else {
        throw WSSniffError(.cannotOpenInput, "cannot open the \(what) \(path): \(String(cString: strerror(errno)))")
    }
    defer {
        if descriptor != STDIN_FILENO { close(descriptor) }
    }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            let name = path == "-" ? "stdin" : "the \(what) \(path)"
            throw WSSniffError(.cannotOpenInput, "cannot read \(name): \(String(cString: strerror(errno)))")
        }
        if count == 0 { break }
        bytes.append(contentsOf: buffer[0..<count])
        if bytes.count > 1 << 24 {
            throw WSSniffError(.invalidCapture, "the \(what) \(path) is larger than 16 MiB; it cannot be one frame")
        }
    }
    return bytes
}
