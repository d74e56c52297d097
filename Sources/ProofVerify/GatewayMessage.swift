/// One problem the gateway's schema validation (TypeBox/AJV) would find in a frame or in connect params, at a
/// JSON-pointer-like path (`/client/id`; the empty path is the value itself).
package struct SchemaFinding: Hashable, Sendable, CustomStringConvertible {
    /// Which check failed.
    package enum Rule: String, Hashable, Sendable {
        /// A required member is absent.
        case required
        /// A value of the wrong JSON type (an integer that is not one included).
        case type
        /// An empty string where the schema says `NonEmptyString`.
        case notEmpty
        /// A value outside an enumeration (`client.id`, `client.mode`; exact and case-sensitive).
        case allowedValues
        /// A member the schema does not list (`additionalProperties: false`).
        case unexpectedProperty
        /// A number below the schema's minimum.
        case minimum
        /// A role other than `operator` or `node` (section 5 row 7: checked after the protocol, not by the schema).
        case invalidRole
    }

    /// Where: `/client/id`, `/device/signedAt`, `/scopes/2`; `""` for the value itself.
    package var path: String
    /// Which check failed.
    package var rule: Rule
    /// What is wrong, as AJV would put it ("must be equal to one of the allowed values: cli, ...").
    package var message: String

    package init(path: String, rule: Rule, message: String) {
        self.path = path
        self.rule = rule
        self.message = message
    }

    /// `at /client/id: must be ...`, the form of the gateway's `invalid connect params` message.
    package var description: String {
        "at \(self.path.isEmpty ? "root" : self.path): \(self.message)"
    }
}

/// A text message on a gateway connection, classified as the gateway's frames (section 1): `req`, `res`, `event`.
package enum GatewayMessage: Hashable, Sendable {
    /// `{"type":"req",...}`. Its ``GatewayRequest/findings`` say whether the gateway's `validateRequestFrame`
    /// would accept it.
    case request(GatewayRequest)
    /// `{"type":"res",...}`.
    case response(GatewayResponse)
    /// `{"type":"event",...}`.
    case event(GatewayEvent)
    /// JSON, but not an object with a known `type`: why not, in findings.
    case notFrame(JSONValue, findings: [SchemaFinding])
    /// Not JSON at all (the gateway closes 1000 on a first message like this).
    case notJSON(ProofVerifyError)

    /// Classifies one text message's bytes.
    package static func classify(_ bytes: [UInt8], limits: JSONParser.Limits = JSONParser.Limits()) -> GatewayMessage {
        do {
            return Self.classify(value: try JSONParser.parse(bytes, limits: limits))
        } catch {
            return .notJSON(error)
        }
    }

    /// The frame fields that route a message: `type`, `event` and `id` (each `nil` unless a string).
    package struct Head: Hashable, Sendable {
        package var type: String?
        package var event: String?
        package var id: String?

        package init(type: String?, event: String?, id: String?) {
            self.type = type
            self.event = event
            self.id = id
        }
    }

    private static let headNames = ["type", "event", "id"]

    /// Reads only `type`, `event` and `id` of a message, skipping the rest without building it: `nil` exactly when
    /// ``classify(_:limits:)`` would find no JSON object. Chat after the handshake is read this way.
    package static func head(_ bytes: [UInt8], limits: JSONParser.Limits = JSONParser.Limits()) -> Head? {
        guard let members = try? JSONParser.topLevelMembers(bytes, named: Self.headNames, limits: limits)
        else { return nil }
        return Head(
            type: members["type"]?.stringValue,
            event: members["event"]?.stringValue,
            id: members["id"]?.stringValue
        )
    }

    /// Classifies one text message.
    package static func classify(_ text: String) -> GatewayMessage {
        Self.classify(Array(text.utf8))
    }

    /// Classifies an already parsed value.
    package static func classify(value: JSONValue) -> GatewayMessage {
        guard let object = value.objectValue else {
            return .notFrame(value, findings: [SchemaFinding(path: "", rule: .type, message: "must be object")])
        }
        switch object["type"] {
        case .string("req"):
            return .request(GatewayRequest(object))
        case .string("res"):
            return .response(GatewayResponse(object))
        case .string("event"):
            return .event(GatewayEvent(object))
        case nil:
            return .notFrame(value, findings: [SchemaFinding(path: "/type", rule: .required, message: "is required")])
        case .some(let other):
            return .notFrame(
                value,
                findings: [
                    SchemaFinding(
                        path: "/type",
                        rule: .allowedValues,
                        message: "must be \"req\", \"res\" or \"event\", not \(other.jsonText)"
                    )
                ]
            )
        }
    }
}

/// A `req` frame: `{"type":"req","id":<non-empty string>,"method":<non-empty string>,"params":<any>}`.
package struct GatewayRequest: Hashable, Sendable {
    /// `id`, when a string.
    package var id: String?
    /// `method`, when a string.
    package var method: String?
    /// `params` (`nil` when absent).
    package var params: JSONValue?
    /// What `validateRequestFrame` would reject (empty: a valid frame).
    package var findings: [SchemaFinding]

    init(_ object: JSONObject) {
        self.id = object["id"]?.stringValue
        self.method = object["method"]?.stringValue
        self.params = object["params"]
        var findings: [SchemaFinding] = []
        SchemaCheck.nonEmptyString(object["id"], path: "/id", required: true, into: &findings)
        SchemaCheck.nonEmptyString(object["method"], path: "/method", required: true, into: &findings)
        SchemaCheck.noOtherKeys(object, allowed: ["type", "id", "method", "params"], path: "", into: &findings)
        self.findings = findings
    }

    /// Whether the gateway's frame validation accepts it.
    package var isValidFrame: Bool {
        self.findings.isEmpty
    }

    /// The connect params, when this is a `connect` request.
    package var connectParams: ConnectParams? {
        self.method == "connect" ? ConnectParams(self.params) : nil
    }
}

/// A `res` frame: `{"type":"res","id","ok","payload"?,"error"?}`.
package struct GatewayResponse: Hashable, Sendable {
    /// `id`, when a string.
    package var id: String?
    /// `ok`, when a boolean.
    package var ok: Bool?
    /// `payload` (`nil` when absent).
    package var payload: JSONValue?
    /// `error`, when an object.
    package var error: GatewayError?
    /// The `hello-ok` payload, when `payload.type` is `hello-ok`.
    package var helloOK: HelloOK?
    /// Findings against the response frame schema (informational: the client does not validate them).
    package var findings: [SchemaFinding]

    init(_ object: JSONObject) {
        self.id = object["id"]?.stringValue
        self.ok = object["ok"]?.boolValue
        self.payload = object["payload"]
        self.error = object["error"]?.objectValue.map(GatewayError.init)
        if let payload = object["payload"]?.objectValue, payload["type"] == .string("hello-ok") {
            self.helloOK = HelloOK(payload)
        }
        var findings: [SchemaFinding] = []
        SchemaCheck.nonEmptyString(object["id"], path: "/id", required: true, into: &findings)
        if object["ok"]?.boolValue == nil {
            findings.append(SchemaCheck.typeFinding(object["ok"], path: "/ok", expected: "boolean"))
        }
        SchemaCheck.noOtherKeys(object, allowed: ["type", "id", "ok", "payload", "error"], path: "", into: &findings)
        self.findings = findings
    }
}

/// A response's `error`: `{"code","message","details"?}`.
package struct GatewayError: Hashable, Sendable {
    /// `code` (`INVALID_REQUEST`, `NOT_PAIRED`, ...).
    package var code: String?
    /// `message` (`protocol mismatch`, `device signature invalid`, ...).
    package var message: String?
    /// `details` (`nil` when absent).
    package var details: JSONValue?
    /// `retryAfterMs`, when an integer: how long a retryable refusal asks the client to wait (gateways after
    /// 2026.3.13, `errorShape` in upstream's `packages/gateway-protocol/src/schema/error-codes.ts`).
    package var retryAfterMs: Int64?

    package init(code: String?, message: String?, details: JSONValue? = nil, retryAfterMs: Int64? = nil) {
        self.code = code
        self.message = message
        self.details = details
        self.retryAfterMs = retryAfterMs
    }

    init(_ object: JSONObject) {
        self.code = object["code"]?.stringValue
        self.message = object["message"]?.stringValue
        self.details = object["details"]
        self.retryAfterMs = object["retryAfterMs"]?.int64Value
    }

    /// `details.expectedProtocol`, sent with `protocol mismatch`.
    package var expectedProtocol: Int64? {
        self.details?["expectedProtocol"]?.int64Value
    }

    /// `details.code` (`PAIRING_REQUIRED`).
    package var detailsCode: String? {
        self.details?["code"]?.stringValue
    }
}

/// The `hello-ok` payload of an accepted connect.
package struct HelloOK: Hashable, Sendable {
    /// The gateway's limits.
    package struct Policy: Hashable, Sendable {
        package var maxPayload: Int64?
        package var maxBufferedBytes: Int64?
        package var tickIntervalMs: Int64?
    }

    /// `protocol`: the version the gateway speaks.
    package var protocolVersion: Int64?
    /// `server.version`.
    package var serverVersion: String?
    /// `server.connId`.
    package var connId: String?
    /// `policy`, when an object.
    package var policy: Policy?
    /// Whether `auth.deviceToken` is present (the token itself is a secret and is not kept).
    package var hasDeviceToken: Bool
    /// `auth.role`.
    package var authRole: String?
    /// `auth.scopes`, the strings of it.
    package var authScopes: [String]?

    init(_ object: JSONObject) {
        self.protocolVersion = object["protocol"]?.int64Value
        self.serverVersion = object["server"]?["version"]?.stringValue
        self.connId = object["server"]?["connId"]?.stringValue
        if let policy = object["policy"]?.objectValue {
            self.policy = Policy(
                maxPayload: policy["maxPayload"]?.int64Value,
                maxBufferedBytes: policy["maxBufferedBytes"]?.int64Value,
                tickIntervalMs: policy["tickIntervalMs"]?.int64Value
            )
        }
        let auth = object["auth"]?.objectValue
        self.hasDeviceToken = auth?["deviceToken"]?.stringValue != nil
        self.authRole = auth?["role"]?.stringValue
        self.authScopes = auth?["scopes"]?.arrayValue?.compactMap(\.stringValue)
    }
}

/// An `event` frame: `{"type":"event","event":<name>,"payload"?,"seq"?}`.
package struct GatewayEvent: Hashable, Sendable {
    /// `event`, when a string.
    package var event: String?
    /// `payload` (`nil` when absent).
    package var payload: JSONValue?
    /// `seq`, when an integer.
    package var seq: Int64?
    /// The challenge, when this is `connect.challenge`.
    package var challenge: ConnectChallenge?

    init(_ object: JSONObject) {
        self.event = object["event"]?.stringValue
        self.payload = object["payload"]
        self.seq = object["seq"]?.int64Value
        if self.event == "connect.challenge" {
            self.challenge = ConnectChallenge(
                nonce: object["payload"]?["nonce"]?.stringValue,
                ts: object["payload"]?["ts"]?.int64Value
            )
        }
    }
}

/// `connect.challenge`'s payload: `{"nonce":<UUID v4>,"ts":<epoch ms>}`.
package struct ConnectChallenge: Hashable, Sendable {
    /// `nonce`, when a string.
    package var nonce: String?
    /// `ts`, when an integer (the gateway's clock, ms since the epoch).
    package var ts: Int64?

    package init(nonce: String?, ts: Int64?) {
        self.nonce = nonce
        self.ts = ts
    }
}

/// The params of a `connect` request, each member kept as sent (`nil`: absent; `.null`: null), with the
/// gateway's schema checks (section 2 step 3, section 5 rows 5 and 7) as findings.
package struct ConnectParams: Hashable, Sendable {
    /// The client ids the schema allows (exact, case-sensitive).
    package static let allowedClientIds: [String] = [
        "webchat-ui", "openclaw-control-ui", "webchat", "cli", "gateway-client", "openclaw-macos", "openclaw-ios",
        "openclaw-android", "node-host", "test", "fingerprint", "openclaw-probe",
    ]
    /// The client modes the schema allows (exact, case-sensitive).
    package static let allowedClientModes: [String] = ["webchat", "cli", "ui", "backend", "node", "probe", "test"]
    /// The roles the gateway allows (section 5 row 7).
    package static let allowedRoles: [String] = ["operator", "node"]

    /// `client`.
    package struct Client: Hashable, Sendable {
        package var id: JSONValue?
        package var version: JSONValue?
        package var platform: JSONValue?
        package var mode: JSONValue?
        package var displayName: JSONValue?
        package var deviceFamily: JSONValue?
        package var modelIdentifier: JSONValue?
        package var instanceId: JSONValue?
    }

    /// `auth`: each slot absent (`nil`), `null` or a value. These are secrets: never show them unredacted.
    package struct Auth: Hashable, Sendable {
        package var token: JSONValue?
        package var bootstrapToken: JSONValue?
        package var deviceToken: JSONValue?
        package var password: JSONValue?
    }

    /// `device`: each field as sent.
    package struct Device: Hashable, Sendable {
        /// The whole `device` value as sent.
        package var raw: JSONValue
        package var id: JSONValue?
        package var publicKey: JSONValue?
        package var signature: JSONValue?
        package var signedAt: JSONValue?
        package var nonce: JSONValue?
    }

    /// The params as sent (`nil` when the request had none).
    package var raw: JSONValue?
    /// `minProtocol` as an integer, when it is one.
    package var minProtocol: Int64?
    /// `maxProtocol` as an integer, when it is one.
    package var maxProtocol: Int64?
    /// `client`, when an object.
    package var client: Client?
    /// `role` as sent (`nil`: absent, the gateway uses `operator`).
    package var role: JSONValue?
    /// `scopes` as sent: absent, not an array, or an array.
    package var scopes: JSONValue?
    /// `auth`, when an object.
    package var auth: Auth?
    /// `device`, when present (an object or not; a non-object has every field `nil`).
    package var device: Device?
    /// What the schema rejects (row 5), in schema order; the role check (row 7) comes last.
    package var findings: [SchemaFinding]

    /// Reads connect params, checking them as the gateway does.
    package init(_ params: JSONValue?) {
        self.raw = params
        var findings: [SchemaFinding] = []
        guard let object = params?.objectValue else {
            findings.append(SchemaCheck.typeFinding(params, path: "", expected: "object"))
            self.findings = findings
            return
        }
        self.minProtocol = object["minProtocol"]?.int64Value
        self.maxProtocol = object["maxProtocol"]?.int64Value
        SchemaCheck.integer(object["minProtocol"], path: "/minProtocol", minimum: 1, required: true, into: &findings)
        SchemaCheck.integer(object["maxProtocol"], path: "/maxProtocol", minimum: 1, required: true, into: &findings)

        if let client = object["client"]?.objectValue {
            self.client = Client(
                id: client["id"],
                version: client["version"],
                platform: client["platform"],
                mode: client["mode"],
                displayName: client["displayName"],
                deviceFamily: client["deviceFamily"],
                modelIdentifier: client["modelIdentifier"],
                instanceId: client["instanceId"]
            )
            SchemaCheck.oneOf(client["id"], path: "/client/id", allowed: Self.allowedClientIds, into: &findings)
            SchemaCheck.nonEmptyString(client["displayName"], path: "/client/displayName", into: &findings)
            SchemaCheck.nonEmptyString(client["version"], path: "/client/version", required: true, into: &findings)
            SchemaCheck.nonEmptyString(client["platform"], path: "/client/platform", required: true, into: &findings)
            SchemaCheck.nonEmptyString(client["deviceFamily"], path: "/client/deviceFamily", into: &findings)
            SchemaCheck.nonEmptyString(client["modelIdentifier"], path: "/client/modelIdentifier", into: &findings)
            SchemaCheck.oneOf(client["mode"], path: "/client/mode", allowed: Self.allowedClientModes, into: &findings)
            SchemaCheck.nonEmptyString(client["instanceId"], path: "/client/instanceId", into: &findings)
            SchemaCheck.noOtherKeys(
                client,
                allowed: [
                    "id", "displayName", "version", "platform", "deviceFamily", "modelIdentifier", "mode", "instanceId",
                ],
                path: "/client",
                into: &findings
            )
        } else {
            findings.append(SchemaCheck.typeFinding(object["client"], path: "/client", expected: "object"))
        }

        SchemaCheck.stringArray(object["caps"], path: "/caps", into: &findings)
        SchemaCheck.stringArray(object["commands"], path: "/commands", into: &findings)
        if let permissions = object["permissions"] {
            if let members = permissions.objectValue?.members {
                for member in members where member.value.boolValue == nil {
                    findings.append(
                        SchemaCheck.typeFinding(member.value, path: "/permissions/\(member.key)", expected: "boolean")
                    )
                }
            } else {
                findings.append(SchemaCheck.typeFinding(permissions, path: "/permissions", expected: "object"))
            }
        }
        SchemaCheck.string(object["pathEnv"], path: "/pathEnv", into: &findings)
        self.role = object["role"]
        SchemaCheck.nonEmptyString(object["role"], path: "/role", into: &findings)
        self.scopes = object["scopes"]
        SchemaCheck.stringArray(object["scopes"], path: "/scopes", into: &findings)

        if let device = object["device"] {
            let fields = device.objectValue
            self.device = Device(
                raw: device,
                id: fields?["id"],
                publicKey: fields?["publicKey"],
                signature: fields?["signature"],
                signedAt: fields?["signedAt"],
                nonce: fields?["nonce"]
            )
            if let fields {
                SchemaCheck.nonEmptyString(fields["id"], path: "/device/id", required: true, into: &findings)
                SchemaCheck.nonEmptyString(
                    fields["publicKey"],
                    path: "/device/publicKey",
                    required: true,
                    into: &findings
                )
                SchemaCheck.nonEmptyString(
                    fields["signature"],
                    path: "/device/signature",
                    required: true,
                    into: &findings
                )
                SchemaCheck.integer(
                    fields["signedAt"],
                    path: "/device/signedAt",
                    minimum: 0,
                    required: true,
                    into: &findings
                )
                SchemaCheck.nonEmptyString(fields["nonce"], path: "/device/nonce", required: true, into: &findings)
                SchemaCheck.noOtherKeys(
                    fields,
                    allowed: ["id", "publicKey", "signature", "signedAt", "nonce"],
                    path: "/device",
                    into: &findings
                )
            } else {
                findings.append(SchemaCheck.typeFinding(device, path: "/device", expected: "object"))
            }
        }

        if let auth = object["auth"] {
            if let slots = auth.objectValue {
                self.auth = Auth(
                    token: slots["token"],
                    bootstrapToken: slots["bootstrapToken"],
                    deviceToken: slots["deviceToken"],
                    password: slots["password"]
                )
                for key in ["token", "bootstrapToken", "deviceToken", "password"] {
                    SchemaCheck.string(slots[key], path: "/auth/\(key)", into: &findings)
                }
                SchemaCheck.noOtherKeys(
                    slots,
                    allowed: ["token", "bootstrapToken", "deviceToken", "password"],
                    path: "/auth",
                    into: &findings
                )
            } else {
                findings.append(SchemaCheck.typeFinding(auth, path: "/auth", expected: "object"))
            }
        }
        SchemaCheck.string(object["locale"], path: "/locale", into: &findings)
        SchemaCheck.string(object["userAgent"], path: "/userAgent", into: &findings)
        SchemaCheck.noOtherKeys(
            object,
            allowed: [
                "minProtocol", "maxProtocol", "client", "caps", "commands", "permissions", "pathEnv", "role", "scopes",
                "device", "auth", "locale", "userAgent",
            ],
            path: "",
            into: &findings
        )
        self.findings = findings

        // Section 5 row 7: checked after the protocol range, outside the schema.
        if !self.roleIsAllowed {
            self.findings.append(
                SchemaFinding(
                    path: "/role",
                    rule: .invalidRole,
                    message: "invalid role \(self.role?.jsonText ?? "absent"): must be \"operator\" or \"node\""
                )
            )
        }
    }

    /// The schema findings (row 5), without the role check.
    package var schemaFindings: [SchemaFinding] {
        self.findings.filter { $0.rule != .invalidRole }
    }

    /// `params.role ?? "operator"`, as JavaScript converts it into the payload.
    package var effectiveRole: String {
        JavaScript.coalesce(self.role)?.javaScriptString ?? "operator"
    }

    /// Whether `role` (or its default) is `operator` or `node` (row 7).
    package var roleIsAllowed: Bool {
        guard let role = JavaScript.coalesce(self.role) else { return true }
        return role.stringValue.map(Self.allowedRoles.contains) ?? false
    }

    /// The scopes as strings, when `scopes` is an array.
    package var scopeList: [String]? {
        self.scopes?.arrayValue?.map { $0.isNull ? "" : $0.javaScriptString }
    }

    /// Whether the params carry a shared secret the gateway can check without a device (`auth.token` or
    /// `auth.password`, non-empty).
    package var hasSharedAuth: Bool {
        let token = self.auth?.token?.stringValue ?? ""
        let password = self.auth?.password?.stringValue ?? ""
        return !token.isEmpty || !password.isEmpty
    }

    /// `client.id` as a string, when it is one.
    package var clientId: String? { self.client?.id?.stringValue }
    /// `client.mode` as a string, when it is one.
    package var clientMode: String? { self.client?.mode?.stringValue }
}

/// JavaScript value semantics the gateway's code relies on.
package enum JavaScript {
    /// `a ?? b ?? ...`: the first value that is neither absent (`nil`) nor `null`.
    package static func coalesce(_ values: JSONValue?...) -> JSONValue? {
        for value in values {
            if let value, !value.isNull {
                return value
            }
        }
        return nil
    }

    /// The characters `String.prototype.trim()` removes (ECMA-262 WhiteSpace and LineTerminator): tab, VT, FF,
    /// space, U+00A0, U+FEFF, the Unicode `Zs` category (U+1680, U+2000-U+200A, U+202F, U+205F, U+3000), and
    /// LF, CR, U+2028, U+2029. U+180E and U+200B are not among them.
    package static func isTrimmed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F,
            0x3000, 0xFEFF:
            true
        default:
            false
        }
    }

    /// `String.prototype.trim()`.
    package static func trim(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !Self.isTrimmed($0) }),
            let last = scalars.lastIndex(where: { !Self.isTrimmed($0) })
        else {
            return ""
        }
        return String(scalars[first...last])
    }

    /// `text.toLowerCase()` limited to ASCII `A`-`Z`, as the gateway's metadata normalization does.
    package static func lowercaseASCII(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.value >= 0x41 && scalar.value <= 0x5A {
                scalars.append(Unicode.Scalar(scalar.value + 0x20)!)
            } else {
                scalars.append(scalar)
            }
        }
        return String(scalars)
    }
}

/// The schema checks, with AJV's wording.
enum SchemaCheck {
    static func typeFinding(_ value: JSONValue?, path: String, expected: String) -> SchemaFinding {
        guard let value else {
            return SchemaFinding(path: path, rule: .required, message: "is required")
        }
        return SchemaFinding(path: path, rule: .type, message: "must be \(expected), not \(value.typeName)")
    }

    static func string(_ value: JSONValue?, path: String, into findings: inout [SchemaFinding]) {
        guard let value else { return }
        if value.stringValue == nil {
            findings.append(Self.typeFinding(value, path: path, expected: "string"))
        }
    }

    static func nonEmptyString(
        _ value: JSONValue?,
        path: String,
        required: Bool = false,
        into findings: inout [SchemaFinding]
    ) {
        guard let value else {
            if required {
                findings.append(SchemaFinding(path: path, rule: .required, message: "is required"))
            }
            return
        }
        guard let text = value.stringValue else {
            findings.append(Self.typeFinding(value, path: path, expected: "string"))
            return
        }
        if text.isEmpty {
            findings.append(
                SchemaFinding(path: path, rule: .notEmpty, message: "must NOT have fewer than 1 characters")
            )
        }
    }

    static func integer(
        _ value: JSONValue?,
        path: String,
        minimum: Int64,
        required: Bool,
        into findings: inout [SchemaFinding]
    ) {
        guard let value else {
            if required {
                findings.append(SchemaFinding(path: path, rule: .required, message: "is required"))
            }
            return
        }
        guard let number = value.numberValue, number.isInteger else {
            findings.append(Self.typeFinding(value, path: path, expected: "integer"))
            return
        }
        if number.double < Double(minimum) {
            findings.append(SchemaFinding(path: path, rule: .minimum, message: "must be >= \(minimum)"))
        }
    }

    static func oneOf(_ value: JSONValue?, path: String, allowed: [String], into findings: inout [SchemaFinding]) {
        guard let value else {
            findings.append(SchemaFinding(path: path, rule: .required, message: "is required"))
            return
        }
        guard let text = value.stringValue, allowed.contains(text) else {
            findings.append(
                SchemaFinding(
                    path: path,
                    rule: .allowedValues,
                    message: "must be equal to one of the allowed values (\(allowed.joined(separator: ", "))), not "
                        + value.jsonText
                )
            )
            return
        }
    }

    static func stringArray(_ value: JSONValue?, path: String, into findings: inout [SchemaFinding]) {
        guard let value else { return }
        guard let elements = value.arrayValue else {
            findings.append(Self.typeFinding(value, path: path, expected: "array"))
            return
        }
        for (index, element) in elements.enumerated() {
            Self.nonEmptyString(element, path: "\(path)/\(index)", into: &findings)
        }
    }

    static func noOtherKeys(
        _ object: JSONObject,
        allowed: Set<String>,
        path: String,
        into findings: inout [SchemaFinding]
    ) {
        for key in object.keys where !allowed.contains(key) {
            findings.append(
                SchemaFinding(
                    path: "\(path)/\(key)",
                    rule: .unexpectedProperty,
                    message: "must NOT have additional properties"
                )
            )
        }
    }
}
