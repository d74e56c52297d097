package import ProofVerify

/// What `wssniff verify` found about an identity file's public part, compared with the connect's `device`.
package struct IdentityComparison: Sendable {
    /// The identity file's form (`node`, `apple`, `android`).
    package var form: String
    /// The device id derived from the file's public key.
    package var deviceId: String
    /// The file's public key as the gateway expects it on the wire (unpadded base64url).
    package var wirePublicKey: String
    /// Whether the file's stated `deviceId` matches its own key (`true` when it states none).
    package var fileConsistent: Bool
    /// Whether the file's public key equals the decoded `device.publicKey` (`nil`: that key does not decode).
    package var publicKeyMatches: Bool?
    /// Whether the file's device id equals `device.id` as sent (`nil`: no string `device.id`).
    package var deviceIdMatches: Bool?

    package init(
        form: String,
        deviceId: String,
        wirePublicKey: String,
        fileConsistent: Bool,
        publicKeyMatches: Bool?,
        deviceIdMatches: Bool?
    ) {
        self.form = form
        self.deviceId = deviceId
        self.wirePublicKey = wirePublicKey
        self.fileConsistent = fileConsistent
        self.publicKeyMatches = publicKeyMatches
        self.deviceIdMatches = deviceIdMatches
    }
}

extension IdentityComparison {
    /// Compares an identity file's public part (its private key is never read) with a connect's `device`.
    package static func compare(
        _ part: IdentityFile.PublicPart,
        connect: ConnectParams,
        proof: ProofAnalysis?
    ) -> IdentityComparison {
        var publicKeyMatches: Bool?
        if let key = proof?.publicKey {
            publicKeyMatches = key.raw == part.publicKey
        }
        var deviceIdMatches: Bool?
        if let id = connect.device?.id?.stringValue {
            deviceIdMatches = id == part.deviceId
        }
        return IdentityComparison(
            form: part.form.rawValue,
            deviceId: part.deviceId,
            wirePublicKey: part.wirePublicKey,
            fileConsistent: part.deviceIdMatches,
            publicKeyMatches: publicKeyMatches,
            deviceIdMatches: deviceIdMatches
        )
    }
}

/// The offline outputs of `wssniff verify` and `wssniff sign`, in the shapes `analyze` uses.
extension JSONRenderer {
    /// `{"schema","secretsRedacted","proof","verdict","identity"?}`: `proof` and `verdict` as in `analyze`.
    package static func offlineVerify(
        proof: ProofAnalysis?,
        verdict: GatewayVerdict,
        identity: IdentityComparison?,
        showSecrets: Bool
    ) -> JSON {
        var members: [(String, JSON)] = [
            ("schema", .string(Self.schema)),
            ("secretsRedacted", .bool(!showSecrets)),
            ("proof", Self.proof(proof)),
            ("verdict", Self.verdict(verdict)),
        ]
        if let identity {
            members.append(("identity", Self.identity(identity)))
        }
        return .object(members)
    }

    /// An identity file compared with the connect's `device`.
    package static func identity(_ identity: IdentityComparison) -> JSON {
        .object([
            ("form", .string(identity.form)),
            ("deviceId", .string(identity.deviceId)),
            ("publicKey", .string(identity.wirePublicKey)),
            ("fileDeviceIdMatchesKey", .bool(identity.fileConsistent)),
            ("publicKeyMatchesDevice", identity.publicKeyMatches.map { .bool($0) } ?? .null),
            ("deviceIdMatchesDevice", identity.deviceIdMatches.map { .bool($0) } ?? .null),
        ])
    }

    /// `{"payload": ..., "device": {"id","publicKey","signature","signedAt","nonce"}}`.
    package static func signedProof(_ proof: Signer.SignedProof, showSecrets: Bool) -> JSON {
        Self.convert(proof.json(showSecrets: showSecrets))
    }
}

extension TextRenderer {
    /// The connect, the candidate table and the checks, as `analyze` prints them for one connection.
    package static func offlineProof(
        challenge: ConnectChallenge?,
        request: GatewayMessage,
        connect: ConnectParams?,
        proof: ProofAnalysis?,
        gatewayProtocol: Int64,
        verdict: GatewayVerdict
    ) -> String {
        let analysis = GatewayAnalysis(
            challenge: challenge,
            challengeTime: nil,
            firstClientMessage: request,
            firstClientMessageTime: nil,
            connect: connect,
            requestId: nil,
            response: nil,
            laterEvents: [],
            challengeToConnectMs: nil,
            proof: proof,
            gatewayProtocol: gatewayProtocol,
            verdict: verdict
        )
        return Self.gateway(analysis)
    }
}
