import Dissect
import ProofVerify

/// The `gateway`, `proof` and `verdict` parts of the JSON contract.
extension JSONRenderer {
    static func gateway(_ analysis: GatewayAnalysis, options: RenderOptions) -> JSON {
        guard analysis.isGateway else { return .null }
        var members: [(String, JSON)] = [
            (
                "challenge",
                analysis.challenge.map { challenge in
                    .object([
                        ("nonce", .optional(challenge.nonce)),
                        ("ts", challenge.ts.map { .int($0) } ?? .null),
                        ("time", .optional(analysis.challengeTime?.rfc3339)),
                    ])
                } ?? .null
            ),
            ("connect", analysis.connect.map { Self.connect($0, id: analysis.requestId, options: options) } ?? .null),
            ("response", analysis.response.map { Self.response($0, options: options) } ?? .null),
        ]
        if analysis.connect == nil, let first = analysis.firstClientMessage {
            members.append(("firstClientMessage", .string(Self.messageKind(first))))
        }
        members.append(("challengeToConnectMs", analysis.challengeToConnectMs.map { .int($0) } ?? .null))
        members.append(("gatewayProtocol", .int(analysis.gatewayProtocol)))
        let choice = analysis.profileChoice
        members.append(
            (
                "profile",
                .object([
                    ("name", .string(choice.profile.label)),
                    ("describes", .string(choice.profile.describes)),
                    ("basis", .string(choice.basis.rawValue)),
                    ("reason", .string(choice.reason)),
                    ("handshakeTimeoutMs", .int(Int64(analysis.handshakeTimeoutMilliseconds))),
                ])
            )
        )
        members.append(("laterEvents", .array(analysis.laterEvents.map { .string($0) })))
        if let identity = analysis.identity {
            members.append(("identity", Self.identity(identity)))
        }
        return .object(members)
    }

    static func messageKind(_ message: GatewayMessage) -> String {
        switch message {
        case .request(let request): return "req \(request.method ?? "?")"
        case .response: return "res"
        case .event(let event): return "event \(event.event ?? "?")"
        case .notFrame: return "JSON that is not a gateway frame"
        case .notJSON: return "not JSON"
        }
    }

    static func connect(_ params: ConnectParams, id: String?, options: RenderOptions) -> JSON {
        func value(_ json: JSONValue?) -> JSON {
            guard let json else { return .null }
            return Self.convert(json)
        }
        var members: [(String, JSON)] = [
            ("id", .optional(id)),
            ("minProtocol", params.minProtocol.map { .int($0) } ?? .null),
            ("maxProtocol", params.maxProtocol.map { .int($0) } ?? .null),
        ]
        if let client = params.client {
            members.append(
                (
                    "client",
                    .object([
                        ("id", value(client.id)),
                        ("mode", value(client.mode)),
                        ("platform", value(client.platform)),
                        ("version", value(client.version)),
                        ("deviceFamily", value(client.deviceFamily)),
                    ])
                )
            )
        } else {
            members.append(("client", .null))
        }
        members.append(("role", value(params.role)))
        members.append(("scopes", value(params.scopes)))
        if let auth = params.auth {
            var slots: [(String, JSON)] = []
            for (name, slot) in [
                ("token", auth.token), ("deviceToken", auth.deviceToken), ("bootstrapToken", auth.bootstrapToken),
                ("password", auth.password),
            ] {
                guard let slot else { continue }
                if let text = slot.stringValue, options.redactor.enabled, !text.isEmpty {
                    slots.append((name, .string(Redactor.placeholder(for: text))))
                } else if options.redactor.enabled, slot.stringValue == nil, !slot.isNull {
                    // A secret that is not a string (a numeric password) is still a secret.
                    slots.append((name, .string(Redactor.placeholder(for: slot.jsonText))))
                } else {
                    slots.append((name, Self.convert(slot)))
                }
            }
            members.append(("auth", .object(slots)))
        } else {
            members.append(("auth", .null))
        }
        if let device = params.device {
            members.append(
                (
                    "device",
                    .object([
                        ("id", value(device.id)),
                        ("publicKey", value(device.publicKey)),
                        ("signature", value(device.signature)),
                        ("signedAt", value(device.signedAt)),
                        ("nonce", value(device.nonce)),
                    ])
                )
            )
        } else {
            members.append(("device", .null))
        }
        members.append(("findings", .array(params.findings.map { .string($0.description) })))
        return .object(members)
    }

    static func response(_ response: GatewayResponse, options: RenderOptions) -> JSON {
        var members: [(String, JSON)] = [("ok", response.ok.map { .bool($0) } ?? .null)]
        if let error = response.error {
            members.append(
                (
                    "error",
                    .object([
                        ("code", .optional(error.code)),
                        ("message", .optional(error.message)),
                        ("details", error.details.map { Self.redacted($0, options: options) } ?? .null),
                    ])
                )
            )
        }
        if let hello = response.helloOK {
            members.append(
                (
                    "helloOk",
                    .object([
                        ("protocol", hello.protocolVersion.map { .int($0) } ?? .null),
                        ("serverVersion", .optional(hello.serverVersion)),
                        ("connId", .optional(hello.connId)),
                        ("deviceTokenIssued", .bool(hello.hasDeviceToken)),
                        ("maxPayload", hello.policy?.maxPayload.map { .int($0) } ?? .null),
                    ])
                )
            )
        }
        return .object(members)
    }

    static func proof(_ proof: ProofAnalysis?) -> JSON {
        guard let proof else { return .null }
        var members: [(String, JSON)] = [
            (
                "candidates",
                .array(
                    proof.candidates.map {
                        .object([
                            ("form", .string($0.form)), ("payload", .string($0.payload)),
                            ("verifies", .bool($0.verifies)),
                        ])
                    }
                )
            ),
            ("signedForm", .optional(proof.signedForm)),
            ("acceptedForms", .array(proof.acceptedForms.map { .string($0) })),
            (
                "checks",
                .object([
                    ("deviceIdMatchesPublicKey", proof.checks.deviceIdMatchesPublicKey.map { .bool($0) } ?? .null),
                    ("nonceMatchesChallenge", proof.checks.nonceMatchesChallenge.map { .bool($0) } ?? .null),
                    ("signedAtSkewMs", proof.checks.signedAtSkewMs.map { .int($0) } ?? .null),
                    ("protocolInRange", proof.checks.protocolInRange.map { .bool($0) } ?? .null),
                ])
            ),
        ]
        if let nearMiss = proof.nearMiss {
            members.append(
                (
                    "nearMiss",
                    .object([
                        ("name", .string(nearMiss.name)),
                        ("explanation", .string(nearMiss.explanation)),
                        ("payload", .string(nearMiss.payload)),
                    ])
                )
            )
        }
        if let explanation = proof.explanation {
            members.append(("explanation", .string(explanation)))
        }
        return .object(members)
    }

    static func verdict(_ verdict: GatewayVerdict) -> JSON {
        var members: [(String, JSON)] = [
            ("cause", .string(verdict.cause.rawValue)),
            ("observed", .bool(verdict.observed)),
            ("summary", .string(verdict.summary)),
        ]
        if let reason = verdict.predictionReason {
            members.append(("predictionReason", .string(reason)))
        }
        return .object(members)
    }

    /// A parsed JSON value as output JSON, strings under secret-naming keys redacted.
    static func redacted(_ value: JSONValue, options: RenderOptions) -> JSON {
        let text = options.redactor.jsonText(value.jsonText)
        if let parsed = try? JSONParser.parse(Array(text.utf8)) {
            return Self.convert(parsed)
        }
        return .string(text)
    }

    static func convert(_ value: JSONValue) -> JSON {
        switch value {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .string(let text): return .string(text)
        case .number(let number): return number.int64.map { .int($0) } ?? .double(number.double)
        case .array(let items): return .array(items.map(Self.convert))
        case .object(let object): return .object(object.members.map { ($0.key, Self.convert($0.value)) })
        }
    }
}
