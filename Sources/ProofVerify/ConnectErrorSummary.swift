/// Precise summaries of the gateway's refusals from what its answer carries: the error's `details.code` (upstream
/// `packages/gateway-protocol/src/connect-error-details.ts`, `ConnectErrorDetailCodes`), its other details
/// (`reason`, `requestId`, `canRetryWithDeviceToken`, `retryAfterMs`, both protocol ranges), the message and close
/// reason words of 2026.3.13 and of later gateways, and who the client is. Each is filed under the cause it belongs to
/// (docs/verdicts.md lists them).
package enum ConnectErrorSummary {
    /// The cause a `details.code` belongs to, for a message wssniff does not map by its words.
    package static func cause(forDetailCode code: String?) -> GatewayVerdict.Cause? {
        guard let code else { return nil }
        switch code {
        case "PROTOCOL_MISMATCH", "CLIENT_VERSION_MISMATCH", "CONTROL_UI_BUILD_MISMATCH": return .protocolMismatch
        case "PAIRING_REQUIRED", "PAIRING_REJECTED", "PAIRING_EXPIRED": return .pairingRequired
        case "DEVICE_IDENTITY_REQUIRED": return .deviceIdentityRequired
        case "DEVICE_AUTH_DEVICE_ID_MISMATCH": return .deviceIdentityMismatch
        case "DEVICE_AUTH_SIGNATURE_EXPIRED": return .deviceSignatureExpired
        case "DEVICE_AUTH_NONCE_REQUIRED": return .deviceNonceRequired
        case "DEVICE_AUTH_NONCE_MISMATCH": return .deviceNonceMismatch
        case "DEVICE_AUTH_SIGNATURE_INVALID", "DEVICE_AUTH_INVALID": return .deviceSignatureInvalid
        case "DEVICE_AUTH_PUBLIC_KEY_INVALID": return .devicePublicKeyInvalid
        default: return code.hasPrefix("AUTH_") || code == "OPERATOR_ACCESS_DENIED" ? .unauthorized : nil
        }
    }

    /// The precise detail for `cause` on this connection, after "The gateway answered ...: ", or `nil` to keep the
    /// general one.
    package static func detail(_ cause: GatewayVerdict.Cause, _ facts: HandshakeFacts, observed: Bool) -> String? {
        switch cause {
        case .protocolMismatch: Self.protocolMismatch(facts, observed: observed)
        case .pairingRequired: observed ? Self.pairing(facts) : nil
        case .unauthorized: observed ? Self.unauthorized(facts) : nil
        case .gatewayStarting: Self.starting(facts)
        case .invalidConnectParams: Self.newerFields(facts)
        default: nil
        }
    }

    // MARK: Protocol

    /// What kind of client the connect names, for the advice: the Control UI (a browser tab), an app, or a CLI/other.
    enum ClientKind {
        case controlUI
        case app(String)
        case other

        init(_ params: ConnectParams?) {
            let id = params?.client?.id?.stringValue ?? ""
            switch id {
            case "openclaw-control-ui", "webchat-ui", "webchat": self = .controlUI
            case "openclaw-macos": self = .app("macOS app")
            case "openclaw-ios": self = .app("iOS app")
            case "openclaw-android": self = .app("Android app")
            default: self = .other
            }
        }
    }

    static func protocolMismatch(_ facts: HandshakeFacts, observed: Bool) -> String? {
        let error = facts.response?.error
        let details = error?.details
        let code = details?["code"]?.stringValue
        let message = error?.message ?? facts.serverClose?.reason ?? ""
        // A Control UI built for another gateway version (upstream's message and `reloadRequired`).
        if message.lowercased().contains("control ui updated") || details?["reloadRequired"]?.boolValue == true
            || code == "CONTROL_UI_BUILD_MISMATCH"
        {
            return "this Control UI page was built for another version of the gateway, which has been updated since "
                + "the page was loaded; reload the page (the gateway asks for it with `reloadRequired`). Nothing needs "
                + "changing on the gateway."
        }
        if code == "CLIENT_VERSION_MISMATCH" {
            return "the gateway refuses this client's version (`CLIENT_VERSION_MISMATCH`); update the client to the "
                + "gateway's release (or the gateway to the client's)."
        }
        let params = facts.connect
        let clientMin = details?["clientMinProtocol"]?.int64Value ?? params?.minProtocol
        let clientMax = details?["clientMaxProtocol"]?.int64Value ?? params?.maxProtocol
        let offered =
            "\(clientMin.map { String($0) } ?? "?")..\(clientMax.map { String($0) } ?? "?")"
        let choice = facts.profileChoice
        let gateway: Int64?
        let whence: String
        if let expected = error?.expectedProtocol {
            gateway = expected
            whence = ""
        } else if let hello = facts.response?.helloOK?.protocolVersion {
            gateway = hello
            whence = ""
        } else if choice.basis == .option || choice.basis == .serverVersion {
            gateway = choice.profile.protocolVersion
            whence = " (the \(choice.profile.label) profile: \(choice.reason))"
        } else if !observed {
            gateway = facts.gatewayProtocol
            whence = " (assumed: \(choice.reason))"
        } else {
            gateway = nil
            whence = ""
        }
        guard let gateway else {
            // A 1002 "protocol mismatch" whose error response is not in the capture: the gateway's protocol is
            // nowhere on the wire.
            return "the client offered protocol \(offered); the gateway's error response, which names the protocol "
                + "it speaks, is not in the capture, so which one it speaks is not known (2026.3.13 speaks 3, later "
                + "gateways 4; give it with `--gateway-version`). Update whichever side is older."
                + Self.proofNote(facts)
        }
        var text = "the client offered protocol \(offered) and the gateway speaks \(gateway)\(whence)"
        if let probe = details?["minimumProbeProtocol"]?.int64Value {
            text += " (probe clients get in from \(probe))"
        }
        let kind = ClientKind(params)
        if let clientMax, clientMax < gateway {
            let gap = gateway - clientMax == 1 ? "one version behind" : "older than the gateway"
            text += ": the client is \(gap). "
            switch kind {
            case .controlUI:
                text +=
                    "This is a Control UI page left open across a gateway update (or cached): reload the page; "
                    + "do not change the gateway."
            case .app(let name):
                text += "Update the \(name) to the gateway's release; do not change the gateway."
            case .other:
                text += "Update the client to the gateway's release (or run a gateway of the client's version)."
            }
        } else if let clientMin, clientMin > gateway {
            let gap = clientMin - gateway == 1 ? "one version ahead of" : "newer than"
            let release = gateway == 3 ? " (2026.3.13 speaks 3; later releases 4)" : ""
            text +=
                ": the client is \(gap) the gateway\(release). Update the gateway, or use a client of the "
                + "gateway's version."
        } else {
            text += "."
        }
        return text + Self.proofNote(facts)
    }

    static func proofNote(_ facts: HandshakeFacts) -> String {
        guard let proof = facts.proof else {
            return facts.connect != nil && facts.connect?.device == nil ? " The connect carried no device proof." : ""
        }
        return " The device proof was never checked; \(proof.signedFormClause)."
    }

    // MARK: Pairing

    /// Upstream's pairing reasons and their requirement texts (connect-error-details.ts,
    /// `PAIRING_CONNECT_REASON_METADATA`).
    static let pairingRequirements: [(reason: String, requirement: String)] = [
        ("not-paired", "device is not approved yet"),
        ("role-upgrade", "device is asking for a higher role than currently approved"),
        ("scope-upgrade", "device is asking for more scopes than currently approved"),
        ("metadata-upgrade", "device identity changed and must be re-approved"),
    ]

    static func pairing(_ facts: HandshakeFacts) -> String? {
        let details = facts.response?.error?.details
        let code = details?["code"]?.stringValue
        let closeReason = facts.serverClose?.reason ?? ""
        if code == "PAIRING_REJECTED" {
            return "an operator rejected this device's pairing request (`PAIRING_REJECTED`); it will not get in until "
                + "it is paired again: connect once more and have the new request approved with "
                + "`openclaw devices approve <requestId>` (see `openclaw devices list`)."
        }
        if code == "PAIRING_EXPIRED" {
            return "the device's pairing request expired before anyone approved it (`PAIRING_EXPIRED`); connect "
                + "again and approve the new request soon after (`openclaw devices list`, then "
                + "`openclaw devices approve <requestId>`)."
        }
        var reason = details?["reason"]?.stringValue
        if reason == nil {
            reason = Self.pairingRequirements.first { closeReason.contains($0.requirement) }?.reason
        }
        let requirement = Self.pairingRequirements.first { $0.reason == reason }?.requirement
        let fullId = details?["requestId"]?.stringValue
        let closeId = Self.requestIdInClose(closeReason)
        var text: String
        switch reason {
        case "not-paired": text = "the device is not paired yet"
        case "role-upgrade": text = "the paired device asks for a higher role than it was approved for"
        case "scope-upgrade": text = "the paired device asks for more scopes than it was approved for"
        case "metadata-upgrade": text = "the paired device's identity details changed and must be approved again"
        default: text = "the device is not paired, or asks for a role, scope or metadata upgrade"
        }
        if let reason, let requirement {
            text += " (`details.reason` \"\(reason)\": \"\(requirement)\")"
        }
        let id = fullId ?? closeId.map { $0.cut ? nil : $0.id } ?? nil
        let approve = "`openclaw devices approve \(id ?? "<requestId>")`"
        if facts.clientIsLocal == false {
            let why = facts.clientLocality ?? "not a loopback address, or forwarding headers in its upgrade"
            text +=
                ". The client is not local to the gateway (\(why)), so the silent approval local clients get "
                + "does not apply, as with a Docker bridge, the LAN, a tailnet or a proxy: approve it with \(approve), "
                + "run where the gateway runs (inside its container, e.g. `docker exec <container> openclaw devices "
                + "approve ...`, or on its host)"
        } else {
            text += "; approve it with \(approve) (see `openclaw devices list`)"
        }
        if reason == "role-upgrade" || reason == "metadata-upgrade" {
            // 2026.3.13 approves only not-paired and scope-upgrade silently; later gateways also role upgrades and
            // some metadata upgrades of local clients (upstream src/gateway/server/ws-connection/).
            text +=
                facts.profileChoice.profile.name == .v2026_3_13
                ? "; 2026.3.13 never approves role and metadata upgrades silently, local or not"
                : "; a local client's role upgrade (and some metadata upgrades) would be approved silently"
        }
        text += "."
        if let closeId, closeId.cut {
            text +=
                fullId != nil
                ? " The close reason cuts the request id at 120 bytes; the full id is the error's `details.requestId`."
                : " The close reason cuts the request id at 120 bytes and the error response is not in the capture; "
                    + "take the full id from `openclaw devices list`."
        }
        return text
    }

    /// The request id in a close reason "pairing required: ... (requestId: ID)", and whether the 120-byte cut
    /// took its tail (no closing parenthesis).
    static func requestIdInClose(_ reason: String) -> (id: String, cut: Bool)? {
        guard let range = reason.firstRange(of: "(requestId: ") else { return nil }
        let rest = reason[range.upperBound...]
        if rest.hasSuffix(")") {
            return (String(rest.dropLast()), false)
        }
        return (String(rest), true)
    }

    // MARK: Shared auth

    static func unauthorized(_ facts: HandshakeFacts) -> String? {
        let error = facts.response?.error
        let details = error?.details
        let code = details?["code"]?.stringValue
        let message = (error?.message ?? facts.serverClose?.reason ?? "").lowercased()
        if code == "AUTH_RATE_LIMITED" || message.contains("too many failed authentication attempts") {
            let retry =
                (error?.retryAfterMs ?? details?["retryAfterMs"]?.int64Value).map {
                    " The gateway asks for \($0) ms before the next attempt."
                } ?? ""
            return "the gateway's authentication rate limiter has locked this client address out after repeated "
                + "failed attempts; this refusal says nothing about the credentials just sent. Stop the "
                + "client that keeps failing (fix its token), wait for the lockout to pass, then retry.\(retry) The "
                + "lockout is per address: every client behind one address (a Docker bridge's gateway address, a "
                + "reverse proxy) shares it, so one misconfigured client locks the others out too."
        }
        if code == "AUTH_DEVICE_TOKEN_MISMATCH" || message.contains("device token mismatch") {
            var text =
                "the device token the client sent is not the one the gateway holds for this device: the "
                + "client kept a stale token (the device was paired again, its token rotated or revoked, or the "
                + "gateway's state was reset). Rotate or reissue it (`device.token.rotate`), or drop the stored token "
                + "on the client (the CLI keeps it in `~/.openclaw/identity/device-auth.json`) so it connects with "
                + "the shared token and gets a new one."
            switch details?["canRetryWithDeviceToken"]?.boolValue {
            case true?:
                text += " The details allow one retry with the device token (`canRetryWithDeviceToken`)."
            case false?:
                text +=
                    " The details say a retry with the device token will not help (`canRetryWithDeviceToken` "
                    + "false)."
            case nil:
                text +=
                    " The answer does not say whether a retry with the device token could work (no "
                    + "`canRetryWithDeviceToken`; 2026.3.13 sends none)."
            }
            return text + Self.nextStep(details)
        }
        let fix: String?
        switch code {
        case "AUTH_TOKEN_MISSING":
            fix =
                "the client sent no shared token; send `gateway.auth.token` (or `OPENCLAW_GATEWAY_TOKEN`) as "
                + "`auth.token`."
        case "AUTH_TOKEN_MISMATCH":
            fix = "the shared token the client sent is not `gateway.auth.token`; check the client's token against it."
        case "AUTH_TOKEN_NOT_CONFIGURED":
            fix = "the gateway is in token mode but has no token configured; set `gateway.auth.token` on the gateway."
        case "AUTH_PASSWORD_MISSING":
            fix = "the client sent no password; the gateway is in password mode (`gateway.auth.password`)."
        case "AUTH_PASSWORD_MISMATCH":
            fix = "the password the client sent is not `gateway.auth.password`; check it."
        case "AUTH_PASSWORD_NOT_CONFIGURED":
            fix = "the gateway is in password mode but has no password configured; set `gateway.auth.password`."
        case "AUTH_BOOTSTRAP_TOKEN_INVALID":
            fix = "the bootstrap (setup) token is invalid or used up; create a new one on the gateway."
        case "AUTH_SCOPE_MISMATCH":
            fix =
                "the scopes asked for are not the ones approved for this device's token; ask for the approved "
                + "scopes, or have the scope upgrade approved (`openclaw devices list`)."
        case "AUTH_TAILSCALE_IDENTITY_MISSING", "AUTH_TAILSCALE_PROXY_MISSING", "AUTH_TAILSCALE_WHOIS_FAILED",
            "AUTH_TAILSCALE_IDENTITY_MISMATCH":
            fix =
                "the gateway's Tailscale identity check failed (`\(code ?? "")`); connect through Tailscale Serve "
                + "as the tailnet user the gateway expects, or use the shared token."
        case "AUTH_IDENTITY_HEADER_REQUIRED", "AUTH_VERIFIED_USER_REQUIRED":
            fix =
                "the gateway is behind a trusted proxy and the proxy's identity header is missing; send the "
                + "connection through the proxy that sets it."
        case "OPERATOR_ACCESS_DENIED":
            fix = "the gateway denies operator access to this identity; use an operator it allows."
        default:
            fix = nil
        }
        guard let fix else { return nil }
        return fix + Self.nextStep(details)
    }

    /// " The gateway recommends: retry with the device token." from `details.recommendedNextStep`, or "".
    static func nextStep(_ details: JSONValue?) -> String {
        guard let step = details?["recommendedNextStep"]?.stringValue else { return "" }
        let words: [String: String] = [
            "retry_with_device_token": "retry with the device token",
            "update_auth_configuration": "fix the gateway's auth configuration",
            "update_auth_credentials": "fix the client's credentials",
            "wait_then_retry": "wait, then retry",
            "review_auth_configuration": "review the auth configuration",
        ]
        return " The gateway recommends: \(words[step] ?? step) (`\(step)`)."
    }

    // MARK: Starting

    static func starting(_ facts: HandshakeFacts) -> String {
        let error = facts.response?.error
        let retry = error?.retryAfterMs ?? error?.details?["retryAfterMs"]?.int64Value
        let why = error?.details?["reason"]?.stringValue.map { " (`details.reason` \"\($0)\")" } ?? ""
        let wait = retry.map { "retry after \($0) ms, as it asks (`retryAfterMs`)" } ?? "retry shortly"
        return "the gateway is starting (or restarting, or resuming) and refuses connects until it is ready\(why); "
            + "nothing is wrong with the client: \(wait). If it keeps answering this, the gateway's startup is "
            + "stuck: look at its log."
    }

    // MARK: Newer connect fields

    /// A connect field the gateway's profile does not know but a newer one does: the version mix, named.
    static func newerFields(_ facts: HandshakeFacts) -> String? {
        let profile = facts.profileChoice.profile
        let newer = GatewayProfile.current.extraConnectFields.subtracting(profile.extraConnectFields)
        guard !newer.isEmpty else { return nil }
        var paths: [String] = []
        if let params = facts.connect {
            paths = params.schemaFindings.filter { $0.rule == .unexpectedProperty }.map(\.path)
                .filter { newer.contains($0) }
        }
        if paths.isEmpty, let message = facts.response?.error?.message ?? facts.serverClose?.reason {
            paths = newer.sorted().filter { path in
                let name = path.split(separator: "/").last.map(String.init) ?? path
                return message.contains("'\(name)'") || message.contains("\"\(name)\"")
            }
        }
        guard let path = paths.first else { return nil }
        let field = path.dropFirst().replacingSlashes()
        let more = paths.count > 1 ? " (and \(paths.count - 1) more such field)" : ""
        return "the client sent `\(field)`\(more), which \(profile.label) does not know: its connect schema refuses "
            + "unknown properties, and the field is from a newer release. The client is newer than the gateway: "
            + "update the gateway, or use a client of its version."
    }
}

extension Substring {
    /// "auth/approvalRuntimeToken" as "auth.approvalRuntimeToken".
    fileprivate func replacingSlashes() -> String {
        String(self.map { $0 == "/" ? "." : $0 })
    }
}
