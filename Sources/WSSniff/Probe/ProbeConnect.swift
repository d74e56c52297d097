import Dissect
package import ProofVerify
import WireBytes

/// The connect request the probe sends (docs/gateway-protocol.md sections 2-3): the fields a CLI sends, exactly
/// one protocol version, `auth.token` when a token is given, and for a form attempt the `device` object signed in
/// that form.
package enum ProbeConnect {
    /// The request id of every probe connect (one request per connection).
    package static let requestId = "wssniff-probe-connect"

    /// The payload a form signs over `challenge`, or nil when the form needs what the challenge lacks (`nonce:ts`
    /// without `ts`).
    package static func payload(
        _ request: ProbeRequest,
        form: ProofForm,
        challenge: ConnectChallenge,
        signedAtMs: Int64,
        deviceId: String
    ) -> PayloadText? {
        let fields = PayloadFields(
            deviceId: deviceId,
            clientId: request.clientId,
            clientMode: request.clientMode,
            role: request.role,
            scopes: request.scopes,
            signedAtMs: signedAtMs,
            token: request.token,
            nonce: challenge.nonce ?? "",
            platform: request.platform,
            deviceFamily: request.deviceFamily,
            challengeTs: challenge.ts
        )
        return ProofCandidates.payload(form, fields)
    }

    /// The whole `req` frame. With `key` nil (a dry run) the signature is a placeholder, the device is `deviceId`
    /// and `publicKey`, and the token is shown redacted; with a key the frame is the one sent.
    package static func frame(
        _ request: ProbeRequest,
        purpose: ProbeAttempt.Purpose,
        protocolVersion: Int,
        challenge: ConnectChallenge,
        signedAtMs: Int64,
        key: SigningKey?,
        deviceId: String? = nil,
        publicKey: String? = nil
    ) throws(ProofVerifyError) -> JSON {
        var client: [(String, JSON)] = [
            ("id", .string(request.clientId)),
            ("version", .string(WSSniffVersion.string)),
            ("platform", .string(request.platform)),
            ("mode", .string(request.clientMode)),
        ]
        if !request.deviceFamily.isEmpty {
            client.append(("deviceFamily", .string(request.deviceFamily)))
        }
        var params: [(String, JSON)] = [
            ("minProtocol", .integer(protocolVersion)),
            ("maxProtocol", .integer(protocolVersion)),
            ("client", .object(client)),
            ("role", .string(request.role)),
            ("scopes", .array(request.scopes.map { .string($0) })),
        ]
        if !request.token.isEmpty {
            let token = key == nil ? ProofCandidates.redacted(request.token) : request.token
            params.append(("auth", .object([("token", .string(token))])))
        }
        if case .form(let form) = purpose {
            let id = key?.deviceId ?? deviceId ?? ""
            let nonce = JavaScript.trim(challenge.nonce ?? "")
            guard
                let payload = Self.payload(
                    request,
                    form: form,
                    challenge: challenge,
                    signedAtMs: signedAtMs,
                    deviceId: id
                )
            else {
                throw ProofVerifyError(
                    code: .invalidArgument,
                    message: "the \(form.rawValue) form needs the challenge's ts, which this challenge lacks"
                )
            }
            var signature: String?
            if let key {
                signature = Base64.encode(try key.sign(payload), alphabet: .urlSafe, padded: false)
            }
            params.append(
                (
                    "device",
                    .object([
                        ("id", .string(id)),
                        ("publicKey", .string(key?.wirePublicKey ?? publicKey ?? "<the identity's public key>")),
                        ("signature", .string(signature ?? "<signature of the \(form.rawValue) payload>")),
                        ("signedAt", .int(signedAtMs)),
                        ("nonce", .string(nonce)),
                    ])
                )
            )
        }
        return .object([
            ("type", .string("req")),
            ("id", .string(Self.requestId)),
            ("method", .string("connect")),
            ("params", .object(params)),
        ])
    }
}
