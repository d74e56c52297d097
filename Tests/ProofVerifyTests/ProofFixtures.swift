import ProofVerify
import WireBytes

/// Shared fixtures: the RFC 8032 TEST 1 key and a builder for signed connect params.
enum ProofFixtures {
    /// RFC 8032 7.1 TEST 1 seed.
    static let seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    static let publicKey = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    static let wirePublicKey = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    static let deviceId = "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9"
    static let challengeNonce = "6f9c2d6e-8a4b-4f1e-9c3d-2b7a5e1f0c8d"
    static let challengeTs: Int64 = 1_773_460_000_000

    static var key: SigningKey {
        try! SigningKey(seed: Self.seed)
    }

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        Base64.encode(bytes, alphabet: .urlSafe, padded: false)
    }

    /// A connect's params as JSON text pieces, signed over what `payload` makes of the gateway's fields.
    struct Connect {
        var clientId = "cli"
        var clientMode = "cli"
        var platform = "linux"
        var deviceFamily: String?
        /// JSON text of `role`, or nil for absent.
        var roleJSON: String?
        /// JSON text of `scopes`, or nil for absent.
        var scopesJSON: String? = #"["operator.admin","operator.read"]"#
        /// JSON text of `auth`, or nil for absent.
        var authJSON: String?
        var nonceJSON = "\"\(ProofFixtures.challengeNonce)\""
        var signedAt: Int64 = ProofFixtures.challengeTs + 412
        var minProtocol = 3
        var maxProtocol = 3
        var deviceId = ProofFixtures.deviceId
        var publicKey = ProofFixtures.wirePublicKey
        var includeDevice = true
        /// The signature as sent; nil signs the payload below.
        var signature: String?

        func json(signature: String) -> String {
            var client =
                #""id":"\#(self.clientId)","version":"2026.3.13","platform":\#(JSONValue.string(self.platform).jsonText),"mode":"\#(self.clientMode)""#
            if let deviceFamily = self.deviceFamily {
                client += #","deviceFamily":\#(JSONValue.string(deviceFamily).jsonText)"#
            }
            var members = [
                #""minProtocol":\#(self.minProtocol)"#, #""maxProtocol":\#(self.maxProtocol)"#,
                #""client":{\#(client)}"#,
            ]
            if let roleJSON = self.roleJSON {
                members.append(#""role":\#(roleJSON)"#)
            }
            if let scopesJSON = self.scopesJSON {
                members.append(#""scopes":\#(scopesJSON)"#)
            }
            if let authJSON = self.authJSON {
                members.append(#""auth":\#(authJSON)"#)
            }
            if self.includeDevice {
                members.append(
                    #""device":{"id":"\#(self.deviceId)","publicKey":"\#(self.publicKey)","signature":"\#(signature)","signedAt":\#(self.signedAt),"nonce":\#(self.nonceJSON)}"#
                )
            }
            return "{" + members.joined(separator: ",") + "}"
        }

        /// The params, signed over `payload(fields)` (default: the gateway's v3) unless a signature is set.
        func params(
            challengeTs: Int64? = ProofFixtures.challengeTs,
            signing payload: (PayloadFields) -> PayloadText? = { ProofCandidates.payload(.v3, $0) }
        ) -> ConnectParams {
            if let signature = self.signature {
                return ConnectParams(try! JSONParser.parse(self.json(signature: signature)))
            }
            let unsigned = ConnectParams(try! JSONParser.parse(self.json(signature: "x")))
            let fields = PayloadFields(params: unsigned, challengeTs: challengeTs)
            let signature = try! ProofFixtures.key.sign(payload(fields)!)
            return ConnectParams(try! JSONParser.parse(self.json(signature: ProofFixtures.base64url(signature))))
        }

        /// The whole `req` frame text.
        func request(
            id: String = "c1",
            signing payload: (PayloadFields) -> PayloadText? = { ProofCandidates.payload(.v3, $0) }
        ) -> String {
            let params = self.params(signing: payload)
            return #"{"type":"req","id":"\#(id)","method":"connect","params":\#(params.raw!.jsonText)}"#
        }
    }

    static var challenge: ConnectChallenge {
        ConnectChallenge(nonce: Self.challengeNonce, ts: Self.challengeTs)
    }

    static func analyze(
        _ params: ConnectParams,
        challenge: ConnectChallenge? = ProofFixtures.challenge,
        earlierNonces: [String] = [],
        showSecrets: Bool = false,
        gatewayProtocol: Int64 = 3
    ) -> ProofAnalysis {
        ProofAnalysis.analyze(
            ProofAnalysis.Input(
                params: params,
                challenge: challenge,
                gatewayProtocol: gatewayProtocol,
                earlierNonces: earlierNonces,
                showSecrets: showSecrets
            )
        )!
    }
}
