/// A payload string made of literal text and, in one place, the token: it can be shown with the token
/// redacted while verification and signing use the real bytes.
package struct PayloadText: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private enum Part: Hashable, Sendable {
        case text(String)
        case token(String)
    }

    private var parts: [Part]

    private init(parts: [Part]) {
        self.parts = parts
    }

    /// Joins `fields` with `|`, the token (when `tokenIndex` is given) marked as secret.
    init(fields: [String], tokenIndex: Int?) {
        var parts: [Part] = []
        for (index, field) in fields.enumerated() {
            if index > 0 {
                parts.append(.text("|"))
            }
            parts.append(index == tokenIndex ? .token(field) : .text(field))
        }
        self.parts = parts
    }

    /// A payload with no secret in it.
    init(plain text: String) {
        self.parts = [.text(text)]
    }

    /// The string, the token replaced by `<redacted sha256:xxxxxxxx>` unless `showSecrets`. An empty token has
    /// nothing to hide and stays empty.
    package func text(showSecrets: Bool) -> String {
        var output = ""
        for part in self.parts {
            switch part {
            case .text(let text): output += text
            case .token(let token): output += showSecrets ? token : ProofCandidates.redacted(token)
            }
        }
        return output
    }

    /// The string with the token redacted.
    package var description: String {
        self.text(showSecrets: false)
    }

    /// The string with the token redacted: a debugger or `dump` never shows the token either.
    package var debugDescription: String {
        self.text(showSecrets: false)
    }

    package var customMirror: Mirror {
        Mirror(self, children: ["redacted": self.text(showSecrets: false)])
    }

    /// The UTF-8 bytes that are signed: the real token.
    var signedBytes: [UInt8] {
        Array(self.text(showSecrets: true).utf8)
    }
}

/// The signed payload forms.
package enum ProofForm: String, Hashable, Sendable, CaseIterable {
    /// `v3|deviceId|clientId|clientMode|role|scopes|signedAtMs|token|nonce|platform|deviceFamily`.
    case v3
    /// `v2|deviceId|clientId|clientMode|role|scopes|signedAtMs|token|nonce`.
    case v2
    /// `v1|deviceId|clientId|clientMode|role|scopes|signedAtMs|token` (removed 2026-02-22).
    case v1
    /// The bare nonce, as hand-written clients sign it.
    case nonce
    /// `nonce:ts` with the challenge's `ts`.
    case nonceTs = "nonce:ts"
    /// `nonce:signedAt` with `device.signedAt`.
    case nonceSignedAt = "nonce:signedAt"
    /// `v4|` v3's fields `|instanceId` (trimmed): built by upstream's client package
    /// (`packages/gateway-client/src/device-auth.ts`, `buildDeviceAuthPayloadV4`), verified by no gateway of the known
    /// profiles, which try v3 then v2.
    case v4

    /// Whether the form is one of the gateway's envelope forms (v1-v3), as opposed to a hand-written one.
    package var isEnvelope: Bool {
        self == .v3 || self == .v2 || self == .v1
    }
}

/// Where the gateway takes the token it signs from: `auth.token ?? auth.deviceToken ?? auth.bootstrapToken ?? ""`.
package enum TokenSlot: String, Hashable, Sendable {
    case token
    case deviceToken
    case bootstrapToken
    /// Never signed by the gateway; a near miss only.
    case password
    /// No slot: the empty string.
    case none

    /// `auth.token`, ..., or `no token`.
    package var fieldName: String {
        self == .none ? "no token" : "`auth.\(self.rawValue)`"
    }

    /// "the device token", for a sentence.
    package var phrase: String {
        switch self {
        case .token: "the shared token (`auth.token`)"
        case .deviceToken: "the device token"
        case .bootstrapToken: "the bootstrap token"
        case .password: "the password (`auth.password`, which is never signed)"
        case .none: "no token"
        }
    }
}

/// The fields of a payload, each already as the gateway puts it in the string, except `platform` and
/// `deviceFamily`, which are kept as sent and normalized by ``ProofCandidates/payload(_:_:)`` for v3.
package struct PayloadFields: Hashable, Sendable {
    package var deviceId: String
    package var clientId: String
    package var clientMode: String
    /// `params.role ?? "operator"`.
    package var role: String
    /// The sent scopes joined with `,`.
    package var scopes: String
    /// `String(device.signedAt)`.
    package var signedAtMs: String
    /// The token the gateway signs (a secret).
    package var token: String
    /// `device.nonce`, trimmed.
    package var nonce: String
    /// `client.platform` as sent (`""` when absent).
    package var platform: String
    /// `client.deviceFamily` as sent (`""` when absent).
    package var deviceFamily: String
    /// `client.instanceId` as sent (`""` when absent), for the v4 form.
    package var instanceId = ""
    /// The challenge `ts`, for the `nonce:ts` form.
    package var challengeTs: String?
    /// Whether v3 normalizes `platform` and `deviceFamily` (the gateway always does; near misses turn it off).
    package var normalizePlatform = true
    package var normalizeDeviceFamily = true

    package init(
        deviceId: String,
        clientId: String,
        clientMode: String,
        role: String = "operator",
        scopes: [String] = [],
        signedAtMs: Int64,
        token: String = "",
        nonce: String,
        platform: String = "",
        deviceFamily: String = "",
        challengeTs: Int64? = nil
    ) {
        self.deviceId = deviceId
        self.clientId = clientId
        self.clientMode = clientMode
        self.role = role
        self.scopes = scopes.joined(separator: ",")
        self.signedAtMs = String(signedAtMs)
        self.token = token
        self.nonce = JavaScript.trim(nonce)
        self.platform = platform
        self.deviceFamily = deviceFamily
        self.challengeTs = challengeTs.map { String($0) }
    }

    /// The fields exactly as the gateway takes them from connect params (section 3).
    package init(params: ConnectParams, challengeTs: Int64? = nil) {
        let device = params.device
        self.deviceId = Self.text(device?.id)
        self.clientId = Self.text(params.client?.id)
        self.clientMode = Self.text(params.client?.mode)
        self.role = params.effectiveRole
        self.scopes = params.scopeList?.joined(separator: ",") ?? ""
        self.signedAtMs = Self.text(device?.signedAt)
        self.token = ProofCandidates.gatewayToken(params.auth).value
        self.nonce = device?.nonce?.stringValue.map(JavaScript.trim) ?? ""
        self.platform = params.client?.platform?.stringValue ?? ""
        self.deviceFamily = params.client?.deviceFamily?.stringValue ?? ""
        self.instanceId = params.client?.instanceId?.stringValue ?? ""
        self.challengeTs = challengeTs.map { String($0) }
    }

    private static func text(_ value: JSONValue?) -> String {
        guard let value = JavaScript.coalesce(value) else { return "" }
        return value.javaScriptString
    }
}

/// Rebuilds the payload strings exactly as the gateway does (section 3).
package enum ProofCandidates {
    /// The v3 normalization of `platform` and `deviceFamily`: `trim()`, then lowercase ASCII `A`-`Z` only.
    package static func normalizeMetadata(_ value: String) -> String {
        JavaScript.lowercaseASCII(JavaScript.trim(value))
    }

    /// The token the gateway signs and the slot it came from: `auth.token ?? auth.deviceToken ??
    /// auth.bootstrapToken ?? ""` (null and absent fall through; `""` is present and wins).
    package static func gatewayToken(_ auth: ConnectParams.Auth?) -> (value: String, slot: TokenSlot) {
        if let token = JavaScript.coalesce(auth?.token) {
            return (token.javaScriptString, .token)
        }
        if let token = JavaScript.coalesce(auth?.deviceToken) {
            return (token.javaScriptString, .deviceToken)
        }
        if let token = JavaScript.coalesce(auth?.bootstrapToken) {
            return (token.javaScriptString, .bootstrapToken)
        }
        return ("", .none)
    }

    /// The value in a slot, when it is a string.
    package static func token(in slot: TokenSlot, of auth: ConnectParams.Auth?) -> String? {
        switch slot {
        case .token: auth?.token?.stringValue
        case .deviceToken: auth?.deviceToken?.stringValue
        case .bootstrapToken: auth?.bootstrapToken?.stringValue
        case .password: auth?.password?.stringValue
        case .none: ""
        }
    }

    /// `<redacted sha256:xxxxxxxx>` (the first 8 hex digits of the token's SHA-256), or `""` for an empty token.
    package static func redacted(_ token: String) -> String {
        if token.isEmpty {
            return ""
        }
        let digest = Sodium.sha256(Array(token.utf8)).hexString
        return "<redacted sha256:\(digest.prefix(8))>"
    }

    /// The payload of `form` over `fields`; `nil` for `nonce:ts` when the challenge ts is unknown.
    package static func payload(_ form: ProofForm, _ fields: PayloadFields) -> PayloadText? {
        let common = [
            fields.deviceId, fields.clientId, fields.clientMode, fields.role, fields.scopes, fields.signedAtMs,
            fields.token,
        ]
        switch form {
        case .v3:
            let platform = fields.normalizePlatform ? Self.normalizeMetadata(fields.platform) : fields.platform
            let deviceFamily =
                fields.normalizeDeviceFamily ? Self.normalizeMetadata(fields.deviceFamily) : fields.deviceFamily
            return PayloadText(fields: ["v3"] + common + [fields.nonce, platform, deviceFamily], tokenIndex: 7)
        case .v4:
            let v3 = [
                fields.nonce, Self.normalizeMetadata(fields.platform), Self.normalizeMetadata(fields.deviceFamily),
            ]
            return PayloadText(fields: ["v4"] + common + v3 + [JavaScript.trim(fields.instanceId)], tokenIndex: 7)
        case .v2:
            return PayloadText(fields: ["v2"] + common + [fields.nonce], tokenIndex: 7)
        case .v1:
            return PayloadText(fields: ["v1"] + common, tokenIndex: 7)
        case .nonce:
            return PayloadText(plain: fields.nonce)
        case .nonceTs:
            return fields.challengeTs.map { PayloadText(plain: fields.nonce + ":" + $0) }
        case .nonceSignedAt:
            return PayloadText(plain: fields.nonce + ":" + fields.signedAtMs)
        }
    }
}
