import WireBytes

/// Builds and signs a device proof, as a client does: what `wssniff sign` prints.
package enum Signer {
    /// What goes into the payload.
    package struct Request: Hashable, Sendable {
        /// The challenge nonce (trimmed as the gateway trims it).
        package var nonce: String
        package var clientId: String
        package var clientMode: String
        package var role: String
        /// The scopes, in the order they will be sent.
        package var scopes: [String]
        /// The token the gateway will sign (`auth.token ?? auth.deviceToken ?? auth.bootstrapToken`), or `""`.
        package var token: String
        /// `client.platform` as it will be sent (v3 signs it normalized).
        package var platform: String
        /// `client.deviceFamily` as it will be sent, or `""`.
        package var deviceFamily: String
        /// `device.signedAt`, ms since the epoch.
        package var signedAtMs: Int64
        /// `v3` or `v2`.
        package var form: ProofForm

        package init(
            nonce: String,
            clientId: String = "cli",
            clientMode: String = "cli",
            role: String = "operator",
            scopes: [String] = [],
            token: String = "",
            platform: String = "",
            deviceFamily: String = "",
            signedAtMs: Int64,
            form: ProofForm = .v3
        ) {
            self.nonce = nonce
            self.clientId = clientId
            self.clientMode = clientMode
            self.role = role
            self.scopes = scopes
            self.token = token
            self.platform = platform
            self.deviceFamily = deviceFamily
            self.signedAtMs = signedAtMs
            self.form = form
        }
    }

    /// The `device` object of a connect.
    package struct DeviceObject: Hashable, Sendable {
        /// SHA-256 of the public key, lowercase hex.
        package var id: String
        /// Unpadded base64url of the raw public key.
        package var publicKey: String
        /// Unpadded base64url of the signature.
        package var signature: String
        package var signedAt: Int64
        package var nonce: String

        /// `{"id","publicKey","signature","signedAt","nonce"}` as JSON.
        package var json: JSONValue {
            .object(
                JSONObject([
                    ("id", .string(self.id)),
                    ("publicKey", .string(self.publicKey)),
                    ("signature", .string(self.signature)),
                    ("signedAt", .number(JSONNumber(self.signedAt))),
                    ("nonce", .string(self.nonce)),
                ])
            )
        }
    }

    /// A signed proof.
    package struct SignedProof: Hashable, Sendable {
        /// The payload (the token redacted by its description).
        package var payload: PayloadText
        /// The `device` object to send.
        package var device: DeviceObject

        /// `{"payload": ..., "device": {...}}`, the token redacted unless `showSecrets`.
        package func json(showSecrets: Bool) -> JSONValue {
            .object(
                JSONObject([
                    ("payload", .string(self.payload.text(showSecrets: showSecrets))),
                    ("device", self.device.json),
                ])
            )
        }
    }

    /// Builds the payload for `request` and signs it with `key`.
    ///
    /// - Throws: ``ProofVerifyError`` `invalidArgument` for a form other than v3/v2 or an empty nonce.
    package static func sign(_ request: Request, with key: SigningKey) throws(ProofVerifyError) -> SignedProof {
        guard request.form == .v3 || request.form == .v2 else {
            throw ProofVerifyError(
                code: .invalidArgument,
                message: "the gateway accepts only the v3 and v2 forms, not \(request.form.rawValue)"
            )
        }
        let nonce = JavaScript.trim(request.nonce)
        guard !nonce.isEmpty else {
            throw ProofVerifyError(code: .invalidArgument, message: "the nonce is empty; pass the challenge nonce")
        }
        let fields = PayloadFields(
            deviceId: key.deviceId,
            clientId: request.clientId,
            clientMode: request.clientMode,
            role: request.role,
            scopes: request.scopes,
            signedAtMs: request.signedAtMs,
            token: request.token,
            nonce: nonce,
            platform: request.platform,
            deviceFamily: request.deviceFamily
        )
        guard let payload = ProofCandidates.payload(request.form, fields) else {
            throw ProofVerifyError(code: .invalidArgument, message: "no payload for \(request.form.rawValue)")
        }
        let signature = try key.sign(payload)
        return SignedProof(
            payload: payload,
            device: DeviceObject(
                id: key.deviceId,
                publicKey: key.wirePublicKey,
                signature: Base64.encode(signature, alphabet: .urlSafe, padded: false),
                signedAt: request.signedAtMs,
                nonce: nonce
            )
        )
    }
}
