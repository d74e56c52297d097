/// The facts of the gateway handshake that differ between OpenClaw gateway versions: which protocol it speaks and
/// whom it admits, its pre-auth timeout, which connect fields its closed schema knows, how it words its refusals.
///
/// Two profiles are known (docs/gateway-versions.md has the table, with the upstream file behind each row):
/// - ``v2026_3_13``: OpenClaw 2026.3.13, the NAS release (../shared/docs/gateway-protocol.md).
/// - ``current``: openclaw/openclaw as read at the commits pinned in ``currentPin``.
package struct GatewayProfile: Hashable, Sendable {
    /// Which profile.
    package enum Name: String, Hashable, Sendable, CaseIterable {
        case v2026_3_13 = "2026.3.13"
        case current
    }

    /// Which profile.
    package var name: Name
    /// The protocol the gateway speaks (`PROTOCOL_VERSION`).
    package var protocolVersion: Int64
    /// The lowest `maxProtocol` a probe-mode client (`client.mode` "probe") may offer and still be let in
    /// (`MIN_PROBE_PROTOCOL_VERSION`); `nil`: probes get no exception.
    package var minimumProbeProtocol: Int64?
    /// The protocol one version back that a legacy node (role and mode `node`) may still speak
    /// (`MIN_NODE_PROTOCOL_VERSION`); `nil`: nodes get no exception.
    package var minimumNodeProtocol: Int64?
    /// The pre-auth handshake timeout, ms.
    package var handshakeTimeoutMilliseconds: Int
    /// Connect fields the profile's schema knows beyond 2026.3.13's, as JSON pointers (`/auth/approvalRuntimeToken`).
    package var extraConnectFields: Set<String>

    /// OpenClaw 2026.3.13: protocol 3 only, a 3 s pre-auth timeout, the connect schema of section 5 row 5.
    package static let v2026_3_13 = GatewayProfile(
        name: .v2026_3_13,
        protocolVersion: 3,
        minimumProbeProtocol: nil,
        minimumNodeProtocol: nil,
        handshakeTimeoutMilliseconds: 3_000,
        extraConnectFields: []
    )

    /// Today's upstream. Protocol 4 with probe and legacy-node admission one version back
    /// (`src/gateway/server/ws-connection/connect-admission.ts`, `packages/gateway-protocol/src/version.ts`);
    /// a 15 s pre-auth timeout (`src/gateway/handshake-timeouts.ts`, `DEFAULT_PREAUTH_HANDSHAKE_TIMEOUT_MS`);
    /// the runtime-token auth fields (`packages/gateway-protocol/src/schema/frames.ts`).
    package static let current = GatewayProfile(
        name: .current,
        protocolVersion: 4,
        minimumProbeProtocol: 3,
        minimumNodeProtocol: 3,
        handshakeTimeoutMilliseconds: 15_000,
        extraConnectFields: ["/auth/approvalRuntimeToken", "/auth/agentRuntimeIdentityToken"]
    )

    /// What the current profile describes: the upstream files and the commits they were read at.
    package static let currentPin =
        "openclaw/openclaw main as of 2026-12 (connect-admission.ts at 0186e586, connect-error-details.ts at "
        + "0711ee47, docs/gateway/protocol.md at 0056424d)"

    /// The profile by name.
    package static func named(_ name: Name) -> GatewayProfile {
        switch name {
        case .v2026_3_13: .v2026_3_13
        case .current: .current
        }
    }

    /// "2026.3.13" or "current".
    package var label: String { self.name.rawValue }

    /// What the profile describes, for the summary and the JSON.
    package var describes: String {
        switch self.name {
        case .v2026_3_13: "OpenClaw 2026.3.13"
        case .current: Self.currentPin
        }
    }

    /// The pre-auth timeout as text: "3 s", "15 s", "2.5 s".
    package static func secondsText(_ milliseconds: Int) -> String {
        if milliseconds % 1_000 == 0 {
            return "\(milliseconds / 1_000) s"
        }
        return "\(Double(milliseconds) / 1_000) s"
    }

    /// Whether the gateway's admission lets a connect with this range, role and client mode in (2026.3.13:
    /// `minProtocol <= 3 <= maxProtocol`; current: that for 4, or a probe reaching the probe minimum, or a node one
    /// version back).
    package func admits(minProtocol: Int64, maxProtocol: Int64, role: String?, clientMode: String?) -> Bool {
        if minProtocol <= self.protocolVersion && self.protocolVersion <= maxProtocol {
            return true
        }
        if let probe = self.minimumProbeProtocol, clientMode == "probe", maxProtocol >= probe,
            minProtocol <= self.protocolVersion
        {
            return true
        }
        if let node = self.minimumNodeProtocol, role == "node", clientMode == "node", maxProtocol >= node,
            minProtocol <= node
        {
            return true
        }
        return false
    }
}

extension GatewayProfile {
    /// The profile chosen for one connection, and why.
    package struct Choice: Hashable, Sendable {
        /// What the choice rests on.
        package enum Basis: String, Hashable, Sendable {
            /// `hello-ok`'s `server.version`.
            case serverVersion = "server-version"
            /// The error response's details or wording, or the close reason, only one profile sends.
            case gatewayAnswer = "gateway-answer"
            /// `--gateway-version` (or `--gateway-protocol`).
            case option
            /// The gateway's port: 42919, the port of the NAS package that ships 2026.3.13.
            case gatewayPort = "gateway-port"
            /// Nothing in the capture says: the default.
            case assumed
        }

        package var profile: GatewayProfile
        package var basis: Basis
        /// Why, as a clause ("hello-ok says server 2026.4.2, newer than every profile: the newest, current").
        package var reason: String

        package init(profile: GatewayProfile, basis: Basis, reason: String) {
            self.profile = profile
            self.basis = basis
            self.reason = reason
        }

        /// The 2026.3.13 profile, assumed.
        package static let assumed = Choice(
            profile: .v2026_3_13,
            basis: .assumed,
            reason: "nothing in the capture names the gateway's version; 2026.3.13 assumed"
        )

        /// Whether the gateway's version is known (from the capture or the user), not assumed.
        package var isKnown: Bool { self.basis != .assumed }

        /// The NAS package's port, 42919: its gateway is 2026.3.13.
        package static let nasPort = Choice(
            profile: .v2026_3_13,
            basis: .gatewayPort,
            reason:
                "the gateway listens on \(GatewayPorts.nasDefault), the port of the NAS package, which ships 2026.3.13"
        )
    }

    /// The profile for a version string (`--gateway-version`, `server.version`): "current" or an exact profile name;
    /// a release newer than 2026.3.13 gets the newest profile, an older one 2026.3.13, each said so. `nil` when the
    /// text is not a version.
    package static func forVersion(_ text: String, basis: Choice.Basis, source: String) -> Choice? {
        let trimmed = JavaScript.trim(text)
        if trimmed == "current" || trimmed == "latest" {
            return Choice(profile: .current, basis: basis, reason: "\(source) current")
        }
        if let number = Int64(trimmed), basis == .option {
            // `--gateway-protocol N`: the profile that speaks N.
            switch number {
            case 3: return Choice(profile: .v2026_3_13, basis: basis, reason: "\(source) protocol 3: 2026.3.13")
            case 4: return Choice(profile: .current, basis: basis, reason: "\(source) protocol 4: current")
            default: return nil
            }
        }
        guard let release = Self.release(trimmed) else { return nil }
        let known = Self.release("2026.3.13")!
        if release == known {
            return Choice(profile: .v2026_3_13, basis: basis, reason: "\(source) \(trimmed)")
        }
        if release.lexicographicallyPrecedes(known) {
            return Choice(
                profile: .v2026_3_13,
                basis: basis,
                reason: "\(source) \(trimmed), older than every profile: the oldest, 2026.3.13"
            )
        }
        return Choice(
            profile: .current,
            basis: basis,
            reason: "\(source) \(trimmed), newer than 2026.3.13: the newest profile, current"
        )
    }

    /// `[2026, 3, 13]` of "2026.3.13", "v2026.3.13-beta.1" or "2026.3.13-2"; `nil` when it is not such a version.
    static func release(_ text: String) -> [Int]? {
        var body = Substring(text)
        if body.hasPrefix("v") { body = body.dropFirst() }
        let core = body.prefix { $0.isNumber || $0 == "." }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 3, parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.map { $0! }
    }

    /// Chooses the profile of one connection: `hello-ok`'s `server.version` first, then what only one profile's
    /// answer carries (its error details, its close reasons), then `option` (`--gateway-version`), else 2026.3.13.
    package static func choose(
        helloOK: HelloOK?,
        error: GatewayError?,
        closeReasons: [String],
        option: Choice?
    ) -> Choice {
        if let version = helloOK?.serverVersion,
            let choice = Self.forVersion(version, basis: .serverVersion, source: "`hello-ok` says server")
        {
            return choice
        }
        if let clue = Self.currentClue(error: error, closeReasons: closeReasons) {
            return Choice(profile: .current, basis: .gatewayAnswer, reason: clue)
        }
        if let error, error.expectedProtocol == 3, error.details?["clientMinProtocol"] == nil {
            return Choice(
                profile: .v2026_3_13,
                basis: .gatewayAnswer,
                reason: "the error details carry only `expectedProtocol` 3, as 2026.3.13 sends them"
            )
        }
        if let option {
            return option
        }
        if let hello = helloOK, hello.protocolVersion == 4 {
            return Choice(profile: .current, basis: .gatewayAnswer, reason: "`hello-ok` says protocol 4")
        }
        return .assumed
    }

    /// What in the gateway's answer only the current profile sends, as a clause; `nil` when nothing does.
    static func currentClue(error: GatewayError?, closeReasons: [String]) -> String? {
        let details = error?.details
        if details?["clientMinProtocol"] != nil || details?["minimumProbeProtocol"] != nil {
            return "the `protocol mismatch` details carry both ranges, as gateways after 2026.3.13 send them"
        }
        if let expected = error?.expectedProtocol, expected >= 4 {
            return "the gateway expects protocol \(expected)"
        }
        if details?["reason"]?.stringValue == "startup-sidecars"
            || closeReasons.contains(where: { $0.hasPrefix("gateway starting") })
        {
            return "the gateway answers \"gateway starting\", which 2026.3.13 never sends"
        }
        if closeReasons.contains(where: { $0.hasPrefix("pairing required: ") })
            || error?.message?.hasPrefix("pairing required: ") == true
        {
            return "the pairing refusal names its requirement (`pairing required: ...`), as gateways after 2026.3.13 do"
        }
        if let message = error?.message, message.contains("unexpected property \"") {
            return "the schema error quotes the property with double quotes, as gateways after 2026.3.13 do"
        }
        // 2026.3.13's only detail code is PAIRING_REQUIRED (../shared/docs/gateway-protocol.md section 5).
        if let code = details?["code"]?.stringValue, code != "PAIRING_REQUIRED" {
            return "the error's `details.code` is \(code), which 2026.3.13 never sends"
        }
        return nil
    }
}

extension GatewayProfile {
    /// The connect's schema findings under this profile: 2026.3.13's, less the fields this profile knows.
    package func schemaFindings(_ params: ConnectParams) -> [SchemaFinding] {
        params.schemaFindings.filter { !self.extraConnectFields.contains($0.path) }
    }

    /// Whether the admission lets the connect in, when the gateway speaks `gatewayProtocol`: this profile's rules
    /// when it speaks the profile's protocol, the plain range check otherwise (`--gateway-protocol N`).
    package func admits(_ params: ConnectParams, _ minimum: Int64, _ maximum: Int64, gatewayProtocol: Int64) -> Bool {
        guard gatewayProtocol == self.protocolVersion else {
            return minimum <= gatewayProtocol && gatewayProtocol <= maximum
        }
        return self.admits(
            minProtocol: minimum,
            maxProtocol: maximum,
            role: JavaScript.coalesce(params.role)?.javaScriptString ?? "operator",
            clientMode: params.client?.mode?.stringValue
        )
    }
}
