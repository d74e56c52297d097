import ArgumentParser
import Glibc
import ProofVerify
import WSSniff

/// `wssniff sign`: builds and signs a device proof as a client must, to show the exact bytes.
struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a device proof for a challenge nonce and print the payload and the device object.",
        discussion: """
            Builds the payload string exactly as the gateway rebuilds it (docs/proof-format.md), signs it with the \
            identity's Ed25519 key and prints the payload and a `device` object ready to send in the connect \
            params. The other connect fields must be sent as given here: client.id, client.mode, role, the scopes \
            in the same order, client.platform and client.deviceFamily (v3), and the token as auth.token.

            The token appears in the printed payload only with --show-secrets; the private key never does. Give the \
            token with --token-file or the OPENCLAW_GATEWAY_TOKEN environment variable rather than --token: a \
            command-line argument shows in `ps` and in the shell's history.

            Examples:
              wssniff sign --identity ~/.openclaw/identity/device.json --nonce NONCE \\
                  --scope operator.read --token-file ~/.openclaw/token
              wssniff sign --identity device.json --nonce NONCE \\
                  --client-id openclaw-macos --client-mode ui --platform macOS \\
                  --form v3 --format json

            Exit codes: 0 signed, 64 bad usage, 65 the identity file cannot be used, 66 it cannot be read.
            """
    )

    @Option(help: ArgumentHelp("The device.json to sign with (Node, Apple or Android form).", valueName: "file"))
    var identity: String

    @Option(help: "The nonce of the gateway's connect.challenge.")
    var nonce: String

    @Option(help: "client.id as it will be sent.")
    var clientId: String = "cli"

    @Option(help: "client.mode as it will be sent.")
    var clientMode: String = "cli"

    @Option(help: "role as it will be sent (the gateway signs operator when role is absent).")
    var role: String = "operator"

    @Option(name: .customLong("scope"), help: "A scope, repeated in the order the connect sends them.")
    var scopes: [String] = []

    @Option(
        help: ArgumentHelp(
            "The token the gateway will sign: auth.token, else auth.deviceToken, else auth.bootstrapToken.",
            discussion: "Visible to other users in `ps` and kept in the shell's history: prefer --token-file or "
                + "OPENCLAW_GATEWAY_TOKEN.",
            valueName: "token"
        )
    )
    var token: String?

    @Option(
        help: ArgumentHelp(
            "Read the token from this file (its first line; - reads standard input).",
            valueName: "file"
        )
    )
    var tokenFile: String?

    @Option(help: "client.platform as it will be sent (v3 signs it trimmed and ASCII-lowercased).")
    var platform: String = ""

    @Option(help: "client.deviceFamily as it will be sent (v3 signs it trimmed and ASCII-lowercased).")
    var deviceFamily: String = ""

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("device.signedAt, ms since the epoch (default: now).", valueName: "ms")
    )
    var signedAt: Int64?

    @Option(help: "The payload form.")
    var form: SignForm = .v3

    @OptionGroup var gateway: GatewayVersionOptions

    @Option(help: "The output format.")
    var format: OfflineFormat = .text

    @Flag(help: "Show the token in the printed payload instead of a redacted digest.")
    var showSecrets = false

    /// The environment variable the token is taken from when neither --token nor --token-file is given (the name the
    /// gateway itself reads its token from).

    func validate() throws {
        try NumberChecks.epochMilliseconds(self.signedAt, option: "--signed-at")
        if self.token != nil && self.tokenFile != nil {
            throw ValidationError("--token and --token-file both give the token: use one")
        }
        if self.tokenFile == "-" && self.identity == "-" {
            throw ValidationError("--token-file - and --identity - would both read standard input: use a file for one")
        }
        if self.nonce.allSatisfy({ $0.isWhitespace }) {
            throw ValidationError("--nonce is empty: pass the nonce of the gateway's connect.challenge event")
        }
    }

    func run() throws {
        let key: SigningKey
        let token: String
        do {
            key = try Self.signingKey(self.identity)
            token = try self.resolvedToken()
        } catch {
            throw fail(error)
        }
        let request = Signer.Request(
            nonce: self.nonce,
            clientId: self.clientId,
            clientMode: self.clientMode,
            role: self.role,
            scopes: self.scopes,
            token: token,
            platform: self.platform,
            deviceFamily: self.deviceFamily,
            signedAtMs: self.signedAt ?? Self.nowMs(),
            form: self.form.proofForm
        )
        let proof: Signer.SignedProof
        do {
            proof = try Signer.sign(request, with: key)
        } catch {
            throw fail(WSSniffError(error.code == .invalidArgument ? .usage : .invalidCapture, error.message))
        }
        if self.showSecrets && !token.isEmpty {
            Diagnostics.warning("--show-secrets: the token is shown unredacted in this output")
        }
        switch self.format {
        case .json:
            var document = JSONRenderer.signedProof(proof, showSecrets: self.showSecrets)
            if case .object(var members) = document {
                members.append(("minProtocol", .int(self.protocolVersion)))
                members.append(("maxProtocol", .int(self.protocolVersion)))
                members.append(("gatewayProfile", .string(self.profile.label)))
                document = .object(members)
            }
            print(document.serialized(indent: 2))
        case .text:
            let device = JSONRenderer.signedProof(proof, showSecrets: false)
            var lines = ["payload (\(self.form.rawValue)): \(proof.payload.text(showSecrets: self.showSecrets))"]
            if case .object(let members) = device, let object = members.first(where: { $0.0 == "device" })?.1 {
                lines.append("device: \(object.serialized())")
            }
            var send = [
                "client.id \"\(self.clientId)\"", "client.mode \"\(self.clientMode)\"", "role \"\(self.role)\"",
            ]
            send.append("scopes [\(self.scopes.map { "\"\($0)\"" }.joined(separator: ","))]")
            if self.form == .v3 {
                send.append("client.platform \"\(self.platform)\"")
                if !self.deviceFamily.isEmpty { send.append("client.deviceFamily \"\(self.deviceFamily)\"") }
            }
            if !token.isEmpty { send.append("auth.token (the token signed above)") }
            send.append("minProtocol \(self.protocolVersion), maxProtocol \(self.protocolVersion)")
            lines.append("send with: " + send.joined(separator: ", "))
            lines.append(
                "gateway profile: \(self.profile.label) (\(self.gateway.resolved.choice?.reason ?? "no --gateway-version given; 2026.3.13 assumed"))"
            )
            print(lines.joined(separator: "\n"))
        }
    }

    /// The gateway profile `--gateway-version` names (2026.3.13 when none is given): the protocol the connect must
    /// offer. Every known profile verifies v3 and v2 alike, so the form is the user's choice.
    private var profile: GatewayProfile { self.gateway.resolved.choice?.profile ?? .v2026_3_13 }

    /// The protocol to offer: `--gateway-protocol` when given, else the profile's.
    private var protocolVersion: Int64 {
        self.gateway.gatewayProtocol ?? self.profile.protocolVersion
    }

    /// The token to sign: --token, else the first line of --token-file, else `OPENCLAW_GATEWAY_TOKEN`, else none.
    private func resolvedToken() throws(WSSniffError) -> String {
        try TokenSource.resolve(token: self.token, tokenFile: self.tokenFile, use: "signing")
    }

    /// Reads the identity file, private key included; errors never quote key material. Warns when the file's
    /// `deviceId` is not the one its key gives.
    private static func signingKey(_ path: String) throws(WSSniffError) -> SigningKey {
        let bytes = try readInput(path, what: "identity file")
        do {
            let key = try IdentityFile.signingKey(from: bytes)
            let publicPart = try IdentityFile.publicPart(from: bytes)
            if let stated = publicPart.fileDeviceId, !publicPart.deviceIdMatches {
                Diagnostics.warning(
                    "\(path): its deviceId \(stated) is not the SHA-256 of its public key (\(key.deviceId)); the proof "
                        + "is signed for \(key.deviceId), which is what the gateway derives from the key. A client "
                        + "that sends the file's deviceId is refused (device-id-mismatch)."
                )
            }
            return key
        } catch {
            throw WSSniffError(.invalidCapture, "\(path): \(error.message)")
        }
    }

    private static func nowMs() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

/// The forms `sign` produces: the ones the gateway accepts.
enum SignForm: String, ExpressibleByArgument, CaseIterable {
    case v3
    case v2

    var proofForm: ProofForm {
        switch self {
        case .v3: return .v3
        case .v2: return .v2
        }
    }
}
