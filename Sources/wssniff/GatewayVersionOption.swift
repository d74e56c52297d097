import ArgumentParser
import ProofVerify

/// `--gateway-version` (a release such as 2026.3.13, or `current`) and its older alias `--gateway-protocol N`, as
/// `analyze`, `capture` and `verify` take them.
struct GatewayVersionOptions: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "The gateway's OpenClaw release (2026.3.13, current, or another release: newer ones read as current).",
            discussion: "Picks the gateway profile when the capture does not show the version (hello-ok's "
                + "server.version, the error details and close reasons do).",
            valueName: "release"
        )
    )
    var gatewayVersion: String?

    @Option(
        parsing: .unconditional,
        help: "The protocol version the gateway speaks (older spelling of --gateway-version)."
    )
    var gatewayProtocol: Int64?

    func validate() throws {
        _ = try GatewayVersionOption.resolve(version: self.gatewayVersion, protocolVersion: self.gatewayProtocol)
    }

    /// The profile choice (`nil` when neither option is given) and the protocol; `validate()` has checked both.
    var resolved: (choice: GatewayProfile.Choice?, protocolVersion: Int64) {
        (try? GatewayVersionOption.resolve(version: self.gatewayVersion, protocolVersion: self.gatewayProtocol))
            ?? (nil, 3)
    }
}

/// Reads `--gateway-version` and `--gateway-protocol` into the gateway profile they name and the protocol the
/// gateway speaks.
enum GatewayVersionOption {
    /// The profile choice (`nil` when neither option is given: each connection's capture decides) and the protocol.
    static func resolve(version: String?, protocolVersion: Int64?) throws -> (GatewayProfile.Choice?, Int64) {
        if let protocolVersion {
            try NumberChecks.protocolVersion(protocolVersion)
        }
        if let version {
            guard let choice = GatewayProfile.forVersion(version, basis: .option, source: "`--gateway-version`")
            else {
                throw ValidationError(
                    "--gateway-version must be an OpenClaw release such as 2026.3.13, or current, not \"\(version)\""
                )
            }
            return (choice, protocolVersion ?? choice.profile.protocolVersion)
        }
        guard let protocolVersion else { return (nil, 3) }
        let profile: GatewayProfile = protocolVersion >= 4 ? .current : .v2026_3_13
        let choice = GatewayProfile.Choice(
            profile: profile,
            basis: .option,
            reason: "`--gateway-protocol` \(protocolVersion): the \(profile.label) profile"
        )
        return (choice, protocolVersion)
    }
}
