/// A `connect.challenge` another connection of the same capture received before this connection's connect.
package struct EarlierChallenge: Hashable, Sendable {
    /// Its nonce.
    package var nonce: String
    /// Which connection, for a sentence: "the connection from 127.0.0.1:44206 to 127.0.0.1:18789".
    package var connection: String
    /// When the gateway sent it, for a sentence ("18:42:03.412 UTC"), when known.
    package var time: String?

    package init(nonce: String, connection: String, time: String?) {
        self.nonce = nonce
        self.connection = connection
        self.time = time
    }

    /// "this is the challenge of the connection from 127.0.0.1:44206 to ..., sent at 18:42:03.412 UTC".
    package var phrase: String {
        "this is the challenge of \(self.connection)" + (self.time.map { ", sent at \($0)" } ?? "")
    }
}

/// The device proof of one connect, analyzed as the gateway would check it: every candidate payload rebuilt
/// and verified, the form the client signed (or the near miss it made), and the checks of section 5 rows 10-14.
package struct ProofAnalysis: Hashable, Sendable {
    /// What the analysis needs.
    package struct Input: Hashable, Sendable {
        /// The connect params.
        package var params: ConnectParams
        /// The `connect.challenge` of this connection, when seen.
        package var challenge: ConnectChallenge?
        /// The capture time of the connect (or the challenge), ms since the epoch: the gateway's clock when the
        /// challenge `ts` is unknown.
        package var captureTimeMs: Int64?
        /// The protocol version the gateway speaks (see ``ProofAnalysis/gatewayProtocol(helloOK:error:configured:)``).
        package var gatewayProtocol: Int64
        /// The forms the gateway accepts, in the order it tries them (2026.3.13: v3, then v2).
        package var acceptedForms: [ProofForm]
        /// Nonces of earlier challenges in the same capture, oldest first.
        package var earlierNonces: [String]
        /// The earlier challenge whose nonce `device.nonce` is, when it is not this connection's own.
        package var staleChallenge: EarlierChallenge?
        /// Whether payload strings show the token; otherwise it is redacted.
        package var showSecrets: Bool
        /// The signedAt window (2026.3.13: 120 s).
        package var maxSkewMs: Int64

        package init(
            params: ConnectParams,
            challenge: ConnectChallenge? = nil,
            captureTimeMs: Int64? = nil,
            gatewayProtocol: Int64 = 3,
            acceptedForms: [ProofForm] = [.v3, .v2],
            earlierNonces: [String] = [],
            staleChallenge: EarlierChallenge? = nil,
            showSecrets: Bool = false,
            maxSkewMs: Int64 = 120_000
        ) {
            self.params = params
            self.challenge = challenge
            self.captureTimeMs = captureTimeMs
            self.gatewayProtocol = gatewayProtocol
            self.acceptedForms = acceptedForms
            self.earlierNonces = earlierNonces
            self.staleChallenge = staleChallenge
            self.showSecrets = showSecrets
            self.maxSkewMs = maxSkewMs
        }
    }

    /// One row of the candidate table.
    package struct Candidate: Hashable, Sendable {
        /// `v3`, `v2`, `v1`, `nonce`, `nonce:ts`, `nonce:signedAt`.
        package var form: String
        /// The payload string, the token redacted unless secrets are shown.
        package var payload: String
        /// Whether the signature verifies over it.
        package var verifies: Bool
    }

    /// A payload the client evidently signed instead of the gateway's.
    package struct NearMiss: Hashable, Sendable {
        /// Stable name: `v3:token=deviceToken`, `v2:scopes-sorted+role=empty`.
        package var name: String
        /// The form the variation applies to.
        package var form: ProofForm
        /// The variation names, in the name's order.
        package var variations: [String]
        /// One sentence a user can act on.
        package var explanation: String
        /// The payload that verifies (token redacted unless secrets are shown).
        package var payload: String
    }

    /// Which clock the skew was measured against.
    package enum ClockReference: String, Hashable, Sendable {
        /// The challenge's `ts` (the gateway's clock).
        case challengeTs
        /// The capture time.
        case captureTime
    }

    /// The gateway's checks, as far as the capture allows them (`nil`: cannot be checked).
    package struct Checks: Hashable, Sendable {
        /// SHA-256 of the public key (as the gateway decodes it) equals `device.id` (row 10).
        package var deviceIdMatchesPublicKey: Bool?
        /// `device.nonce`, trimmed, equals the challenge nonce (row 13); `nil` without a challenge.
        package var nonceMatchesChallenge: Bool?
        /// Whether `device.nonce` is empty after trimming (row 12).
        package var nonceIsEmpty: Bool
        /// `device.signedAt` minus the reference clock, ms (positive: signed after the reference).
        package var signedAtSkewMs: Int64?
        /// The clock `signedAtSkewMs` is measured against.
        package var skewReference: ClockReference?
        /// Whether the skew is within the gateway's window (row 11).
        package var signedAtWithinWindow: Bool?
        /// `minProtocol <= gatewayProtocol <= maxProtocol` (row 6); `nil` when either bound is not an integer.
        package var protocolInRange: Bool?
    }

    /// The candidate table, in the gateway's order.
    package var candidates: [Candidate]
    /// The form that verifies (first in table order), else the matching near miss's name, else `nil`.
    package var signedForm: String?
    /// The near miss, when only a variation verifies.
    package var nearMiss: NearMiss?
    /// The forms the gateway accepts.
    package var acceptedForms: [String]
    /// The checks.
    package var checks: Checks
    /// The decoded public key, when it decodes.
    package var publicKey: Ed25519.PublicKey?
    /// Why 2026.3.13 cannot verify with the public key, naming the client's mistake, when it cannot.
    package var publicKeyProblem: String?
    /// How 2026.3.13 reads the public key (`nil`: `device.publicKey` is not a string).
    package var gatewayKey: Ed25519.GatewayKey?
    /// For a key sent as its SPKI DER: the accepted form that verifies with the raw key inside it (the signing was
    /// right, only the key's encoding is wrong).
    package var intendedKeyVerifiesAs: String?
    /// Why libsodium refuses the decoded key, when it does.
    package var keyRejection: Ed25519.KeyRejection?
    /// Why the signature does not decode, when it does not.
    package var signatureProblem: String?
    /// The device id the gateway derives from `device.publicKey`.
    package var derivedDeviceId: String?
    /// The protocol the gateway speaks, as used for `protocolInRange`.
    package var gatewayProtocol: Int64
    /// How many near-miss payloads were tried.
    package var nearMissesTried: Int
    /// The earlier challenge `device.nonce` repeats, when it is not this connection's (a stale nonce).
    package var staleChallenge: EarlierChallenge?

    /// Whether a form the gateway accepts verifies (row 14 passes).
    package var verifiesInAcceptedForm: Bool {
        self.candidates.contains { $0.verifies && self.acceptedForms.contains($0.form) }
    }

    /// Whether the key and signature decode and libsodium accepts the key: anything else makes every candidate
    /// fail.
    package var keyAndSignatureUsable: Bool {
        self.publicKey != nil && self.publicKeyProblem == nil && self.keyRejection == nil
            && self.signatureProblem == nil
    }

    /// One sentence on what the client signed, for a verdict: "it verifies as v3, a form this gateway accepts".
    package var signedFormClause: String {
        if let problem = self.publicKeyProblem {
            return "its public key is unusable (\(problem))"
        }
        if let note = self.gatewayKey?.note, self.verifiesInAcceptedForm {
            let form = self.candidates.first(where: \.verifies)?.form ?? "?"
            return "it verifies as \(form), a form this gateway accepts; but \(note)"
        }
        if let rejection = self.keyRejection {
            return "its public key is \(rejection.phrase)"
        }
        if let problem = self.signatureProblem {
            return "its signature is unusable (\(problem))"
        }
        if let verifying = self.candidates.first(where: \.verifies) {
            if self.acceptedForms.contains(verifying.form) {
                return "it verifies as \(verifying.form), a form this gateway accepts"
            }
            return "it verifies as \(verifying.form), a form this gateway does not accept"
        }
        if let nearMiss = self.nearMiss {
            return "it verifies only as the near miss \(nearMiss.name)"
        }
        return "it does not verify in any form or near miss wssniff knows"
    }

    /// A sentence a user can act on about the signed form, when it is not one the gateway accepts; `nil` when an
    /// accepted form verifies.
    package var explanation: String? {
        if self.verifiesInAcceptedForm {
            return nil
        }
        if let problem = self.publicKeyProblem {
            var text =
                "The device public key cannot be used: \(problem); send the raw 32-byte key as unpadded base64url"
            if self.gatewayKey?.intendedKey != nil {
                text += " (the DER minus its 12-byte prefix), with `device.id` the SHA-256 of those 32 bytes"
                if let form = self.intendedKeyVerifiesAs {
                    text +=
                        "; the signature does verify as \(form) with the key inside the DER, so only the key's "
                        + "encoding is wrong"
                }
            }
            return text + "."
        }
        if let rejection = self.keyRejection {
            return "The device public key is \(rejection.phrase); generate a real Ed25519 key pair."
        }
        if let problem = self.signatureProblem {
            return "The device signature cannot be used: \(problem); send the 64-byte signature as unpadded base64url."
        }
        if let nearMiss = self.nearMiss {
            return nearMiss.explanation
        }
        if let verifying = self.candidates.first(where: \.verifies) {
            switch verifying.form {
            case ProofForm.v1.rawValue:
                return "The client signed the v1 form, which has no nonce and which this gateway no longer accepts; "
                    + "sign the v3 payload (or v2) over the challenge nonce."
            case ProofForm.nonce.rawValue:
                return "The client signed the bare nonce, which no gateway release accepts; sign the v3 payload string "
                    + "(see docs/proof-format.md)."
            case ProofForm.v4.rawValue:
                return "The client signed the v4 payload (v3's fields, then `|instanceId`), which upstream's client "
                    + "package builds but no gateway of the known profiles (2026.3.13, current) verifies: they try v3, "
                    + "then v2; sign v3."
            case ProofForm.nonceTs.rawValue, ProofForm.nonceSignedAt.rawValue:
                return "The client signed \"\(verifying.form)\", which no gateway release accepts; sign the v3 "
                    + "payload string (see docs/proof-format.md)."
            default:
                return "The client signed \(verifying.form), which this gateway does not accept; sign "
                    + "\(self.acceptedForms.first ?? "v3")."
            }
        }
        return "The signature verifies over none of the payloads the gateway builds nor any near miss wssniff "
            + "knows: the client signed other bytes, or with another key than `device.publicKey`."
    }

    /// The protocol the gateway speaks: `hello-ok`'s `protocol`, else the error details' `expectedProtocol`,
    /// else `configured` (`--gateway-protocol`, default 3).
    package static func gatewayProtocol(helloOK: HelloOK?, error: GatewayError?, configured: Int64 = 3) -> Int64 {
        helloOK?.protocolVersion ?? error?.expectedProtocol ?? configured
    }

    /// Analyzes the proof; `nil` when the connect has no `device` (nothing to verify).
    package static func analyze(_ input: Input) -> ProofAnalysis? {
        guard let device = input.params.device else { return nil }
        var analysis = ProofAnalysis(
            candidates: [],
            signedForm: nil,
            nearMiss: nil,
            acceptedForms: input.acceptedForms.map(\.rawValue),
            checks: Self.checks(input),
            publicKey: nil,
            publicKeyProblem: nil,
            gatewayKey: nil,
            intendedKeyVerifiesAs: nil,
            keyRejection: nil,
            signatureProblem: nil,
            derivedDeviceId: nil,
            gatewayProtocol: input.gatewayProtocol,
            nearMissesTried: 0,
            staleChallenge: nil
        )
        if let stale = input.staleChallenge, analysis.checks.nonceMatchesChallenge != true,
            device.nonce?.stringValue.map(JavaScript.trim) == stale.nonce
        {
            analysis.staleChallenge = stale
        }
        if let publicKeyText = device.publicKey?.stringValue {
            let key = Ed25519.gatewayKey(publicKeyText)
            analysis.gatewayKey = key
            analysis.derivedDeviceId = key.deviceId
            if let problem = key.problem {
                analysis.publicKeyProblem = problem
            } else if let raw = key.verificationKey {
                analysis.publicKey = Ed25519.PublicKey(raw: raw, encoding: key.encoding)
            }
        } else {
            analysis.publicKeyProblem = "`device.publicKey` is \(device.publicKey?.typeName ?? "absent"), not a string"
        }
        var signature: [UInt8]?
        if let signatureText = device.signature?.stringValue {
            do {
                signature = try Ed25519.decodeSignature(signatureText)
            } catch {
                analysis.signatureProblem = error.message
            }
        } else {
            analysis.signatureProblem = "`device.signature` is \(device.signature?.typeName ?? "absent"), not a string"
        }
        if let id = device.id?.stringValue, let derived = analysis.derivedDeviceId {
            analysis.checks.deviceIdMatchesPublicKey = id == derived
        } else {
            analysis.checks.deviceIdMatchesPublicKey = false
        }

        let fields = PayloadFields(params: input.params, challengeTs: input.challenge?.ts)
        // libsodium refuses a non-canonical, small-order or off-curve key before any arithmetic, so the key is
        // only examined (`Ed25519.keyRejection`, six point decodings: more than a verification) when no candidate
        // verifies; a key that verified a signature has nothing to report.
        var verifier = Verifier(publicKey: analysis.publicKey?.raw, signature: signature)
        // An Ed25519 signature (strictly verified, as libsodium does) holds for one message only: once a candidate
        // verifies, every other candidate with different bytes does not, so it is not checked again. A gateway
        // capture with thousands of good handshakes then costs one signature check per connection, not six.
        var verifiedBytes: [UInt8]?
        for form in [ProofForm.v3, .v2, .v1, .nonce, .nonceTs, .nonceSignedAt, .v4] {
            guard let payload = ProofCandidates.payload(form, fields) else { continue }
            let bytes = payload.signedBytes
            let verifies: Bool
            if let verifiedBytes {
                verifies = bytes == verifiedBytes
            } else {
                verifies = verifier.verifies(bytes)
                if verifies { verifiedBytes = bytes }
            }
            analysis.candidates.append(
                Candidate(
                    form: form.rawValue,
                    payload: payload.text(showSecrets: input.showSecrets),
                    verifies: verifies
                )
            )
        }
        if let verifying = analysis.candidates.first(where: \.verifies) {
            analysis.signedForm = verifying.form
            return analysis
        }
        if let intended = analysis.gatewayKey?.intendedKey, let signature {
            let intendedVerifier = Verifier(publicKey: intended, signature: signature)
            analysis.intendedKeyVerifiesAs =
                input.acceptedForms.first { form in
                    ProofCandidates.payload(form, fields).map { intendedVerifier.verifies($0) } ?? false
                }?.rawValue
        }
        if let key = analysis.publicKey {
            analysis.keyRejection = Ed25519.keyRejection(key.raw)
            if analysis.keyRejection != nil { verifier.publicKey = nil }
        }
        if verifier.isUsable {
            var search = NearMissSearch(input: input, fields: fields, verifier: verifier)
            analysis.nearMiss = search.run()
            analysis.nearMissesTried = search.tried
            analysis.signedForm = analysis.nearMiss?.name
        }
        return analysis
    }

    private static func checks(_ input: Input) -> Checks {
        let params = input.params
        let device = params.device
        let nonce = device?.nonce?.stringValue.map(JavaScript.trim) ?? ""
        var checks = Checks(nonceIsEmpty: nonce.isEmpty)
        if let challengeNonce = input.challenge?.nonce {
            checks.nonceMatchesChallenge = !nonce.isEmpty && nonce == challengeNonce
        }
        if let signedAt = device?.signedAt?.int64Value {
            if let ts = input.challenge?.ts {
                checks.signedAtSkewMs = signedAt &- ts
                checks.skewReference = .challengeTs
            } else if let captureTime = input.captureTimeMs {
                checks.signedAtSkewMs = signedAt &- captureTime
                checks.skewReference = .captureTime
            }
            if let skew = checks.signedAtSkewMs {
                checks.signedAtWithinWindow = skew.magnitude <= UInt64(input.maxSkewMs)
            }
        }
        if let minimum = params.minProtocol, let maximum = params.maxProtocol {
            checks.protocolInRange = minimum <= input.gatewayProtocol && input.gatewayProtocol <= maximum
        }
        return checks
    }
}

/// Verifies payloads against one decoded key and signature: each payload costs one signature check.
private struct Verifier {
    var publicKey: [UInt8]?
    var signature: [UInt8]?

    var isUsable: Bool {
        self.publicKey != nil && self.signature != nil
    }

    func verifies(_ payload: PayloadText) -> Bool {
        self.verifies(payload.signedBytes)
    }

    func verifies(_ message: [UInt8]) -> Bool {
        guard let publicKey = self.publicKey, let signature = self.signature else { return false }
        return Sodium.ed25519Verify(signature: signature, message: message, publicKey: publicKey) == .valid
    }
}

/// One way a real client gets a payload field wrong.
private struct Variation {
    var name: String
    /// What the client did, after "The client signed v3 ".
    var did: String
    /// What the gateway does instead, after "but ".
    var gateway: String
    var apply: @Sendable (inout PayloadFields) -> Void
}

/// Tries the near misses: every form × one variation, then v3/v2 × two variations.
private struct NearMissSearch {
    let input: ProofAnalysis.Input
    let fields: PayloadFields
    let verifier: Verifier
    var tried = 0

    init(input: ProofAnalysis.Input, fields: PayloadFields, verifier: Verifier) {
        self.input = input
        self.fields = fields
        self.verifier = verifier
    }

    mutating func run() -> ProofAnalysis.NearMiss? {
        let variations = self.variations()
        let forms: [ProofForm] = [.v3, .v2, .v1]
        for form in forms {
            for variation in variations {
                if let found = self.attempt(form, [variation]) {
                    return found
                }
            }
        }
        for form in [ProofForm.v3, .v2] {
            for first in variations.indices {
                for second in variations.indices where second > first {
                    let pair = [variations[first], variations[second]]
                    if Self.conflict(pair) {
                        continue
                    }
                    if let found = self.attempt(form, pair) {
                        return found
                    }
                }
            }
        }
        return nil
    }

    /// Two variations of the same field cannot combine.
    private static func conflict(_ pair: [Variation]) -> Bool {
        func field(_ name: String) -> String {
            if name.hasPrefix("platform") || name.hasPrefix("deviceFamily") || name.hasPrefix("metadata") {
                return "metadata"
            }
            return String(name.prefix { $0 != "=" && $0 != "-" })
        }
        return field(pair[0].name) == field(pair[1].name)
    }

    private mutating func attempt(_ form: ProofForm, _ variations: [Variation]) -> ProofAnalysis.NearMiss? {
        var fields = self.fields
        for variation in variations {
            variation.apply(&fields)
        }
        if fields == self.fields && form != .v1 {
            return nil
        }
        guard let payload = ProofCandidates.payload(form, fields),
            payload != ProofCandidates.payload(form, self.fields)
        else {
            return nil
        }
        self.tried += 1
        guard self.verifier.verifies(payload) else { return nil }
        let accepted = self.input.acceptedForms.contains(form)
        let formPhrase = accepted ? form.rawValue : "\(form.rawValue) (a form this gateway does not accept)"
        let explanation =
            "The client signed \(formPhrase) "
            + variations.map(\.did).joined(separator: " and ")
            + ", but "
            + variations.map(\.gateway).joined(separator: "; and ")
            + "."
        return ProofAnalysis.NearMiss(
            name: form.rawValue + ":" + variations.map(\.name).joined(separator: "+"),
            form: form,
            variations: variations.map(\.name),
            explanation: explanation,
            payload: payload.text(showSecrets: self.input.showSecrets)
        )
    }

    private func variations() -> [Variation] {
        var variations: [Variation] = []
        let params = self.input.params
        let gateway = ProofCandidates.gatewayToken(params.auth)
        let gatewaySide: String
        switch gateway.slot {
        case .token where gateway.value.isEmpty:
            gatewaySide =
                "the gateway signs `auth.token`, which is sent as an empty string and still takes precedence "
                + "(JavaScript `??` skips only null and absent)"
        case .token:
            gatewaySide = "the gateway signs with `auth.token`, which takes precedence"
        case .deviceToken, .bootstrapToken:
            gatewaySide =
                "the gateway signs with `auth.\(gateway.slot.rawValue)` (`auth.token ?? auth.deviceToken ?? "
                + "auth.bootstrapToken`)"
        case .password, .none:
            gatewaySide =
                "the gateway signs an empty token slot, since no `auth.token`, `auth.deviceToken` or "
                + "`auth.bootstrapToken` is sent"
        }
        for slot in [TokenSlot.deviceToken, .bootstrapToken, .password, .none] {
            guard let value = ProofCandidates.token(in: slot, of: params.auth), value != gateway.value else {
                continue
            }
            variations.append(
                Variation(
                    name: "token=\(slot == .none ? "none" : slot.rawValue)",
                    did: "with \(slot.phrase)",
                    gateway: gatewaySide
                ) {
                    $0.token = value
                }
            )
        }

        let platform = self.fields.platform
        let deviceFamily = self.fields.deviceFamily
        let platformDiffers = ProofCandidates.normalizeMetadata(platform) != platform
        let familyDiffers = ProofCandidates.normalizeMetadata(deviceFamily) != deviceFamily
        if platformDiffers {
            variations.append(
                Variation(
                    name: "platform-unnormalized",
                    did: "with `client.platform` as sent (\(Self.quoted(platform)))",
                    gateway: "the gateway signs it normalized (trimmed, ASCII lowercased: "
                        + "\(Self.quoted(ProofCandidates.normalizeMetadata(platform))))"
                ) { $0.normalizePlatform = false }
            )
        }
        if familyDiffers {
            variations.append(
                Variation(
                    name: "deviceFamily-unnormalized",
                    did: "with `client.deviceFamily` as sent (\(Self.quoted(deviceFamily)))",
                    gateway: "the gateway signs it normalized (trimmed, ASCII lowercased: "
                        + "\(Self.quoted(ProofCandidates.normalizeMetadata(deviceFamily))))"
                ) { $0.normalizeDeviceFamily = false }
            )
        }
        if platformDiffers && familyDiffers {
            variations.append(
                Variation(
                    name: "metadata-unnormalized",
                    did: "with `client.platform` and `client.deviceFamily` as sent",
                    gateway: "the gateway signs both normalized (trimmed, then ASCII A-Z lowercased)"
                ) {
                    $0.normalizePlatform = false
                    $0.normalizeDeviceFamily = false
                }
            )
        }
        let unicodePlatform = JavaScript.trim(platform).lowercased()
        let unicodeFamily = JavaScript.trim(deviceFamily).lowercased()
        if unicodePlatform != ProofCandidates.normalizeMetadata(platform)
            || unicodeFamily != ProofCandidates.normalizeMetadata(deviceFamily)
        {
            variations.append(
                Variation(
                    name: "metadata-unicode-lowercased",
                    did: "with platform and deviceFamily lowercased by full Unicode rules",
                    gateway: "the gateway lowercases only ASCII A-Z"
                ) {
                    $0.platform = unicodePlatform
                    $0.deviceFamily = unicodeFamily
                }
            )
        }

        if let scopes = params.scopeList, scopes.count > 1 {
            let sent = scopes.joined(separator: ",")
            let sorted = scopes.sorted().joined(separator: ",")
            let reversed = scopes.reversed().joined(separator: ",")
            if sorted != sent {
                variations.append(
                    Variation(
                        name: "scopes-sorted",
                        did: "with the scopes sorted (\(sorted))",
                        gateway: "the gateway joins them in the order sent (\(sent)); sign them in the order you send"
                    ) { $0.scopes = sorted }
                )
            }
            if reversed != sent && reversed != sorted {
                variations.append(
                    Variation(
                        name: "scopes-reversed",
                        did: "with the scopes in reverse order (\(reversed))",
                        gateway: "the gateway joins them in the order sent (\(sent)); sign them in the order you send"
                    ) { $0.scopes = reversed }
                )
            }
        }
        if !self.fields.scopes.isEmpty {
            variations.append(
                Variation(
                    name: "scopes-empty",
                    did: "with an empty scopes field",
                    gateway: "the gateway signs the scopes sent (\(self.fields.scopes))"
                ) { $0.scopes = "" }
            )
        }

        let role = self.fields.role
        let roleSource =
            params.role == nil || params.role == .null
            ? "`operator`, the default when `role` is absent" : "the role sent (`\(role)`)"
        for (name, value, did) in [
            ("role=empty", "", "with an empty role"),
            ("role=operator", "operator", "with role `operator`"),
            ("role=node", "node", "with role `node`"),
        ] where value != role {
            variations.append(
                Variation(name: name, did: did, gateway: "the gateway signs \(roleSource)") { $0.role = value }
            )
        }

        if let ts = self.input.challenge?.ts, String(ts) != self.fields.signedAtMs {
            let signedAt = self.fields.signedAtMs
            variations.append(
                Variation(
                    name: "signedAt=challengeTs",
                    did: "with the challenge's ts (\(ts)) as signedAt",
                    gateway: "the gateway signs `device.signedAt` as sent (\(signedAt)); sign the value you send"
                ) { $0.signedAtMs = String(ts) }
            )
        }

        if let rawNonce = params.device?.nonce?.stringValue, rawNonce != self.fields.nonce {
            variations.append(
                Variation(
                    name: "nonce-untrimmed",
                    did: "with `device.nonce` untrimmed",
                    gateway: "the gateway trims it (JavaScript `trim()`) before building the payload"
                ) { $0.nonce = rawNonce }
            )
        }
        if let challengeNonce = self.input.challenge?.nonce, challengeNonce != self.fields.nonce {
            variations.append(
                Variation(
                    name: "nonce=challenge",
                    did: "over the challenge nonce",
                    gateway: "the gateway signs `device.nonce`, which the client sent different; send the nonce you "
                        + "signed"
                ) { $0.nonce = challengeNonce }
            )
        }
        var seen: Set<String> = [self.fields.nonce]
        for (index, earlier) in self.input.earlierNonces.enumerated().reversed() where !seen.contains(earlier) {
            seen.insert(earlier)
            let count = self.input.earlierNonces.count - index
            variations.append(
                Variation(
                    name: "nonce=earlier-challenge",
                    did: "over the nonce of an earlier challenge in this capture (\(count) back: \(earlier))",
                    gateway: "the gateway signs this connection's challenge nonce; sign the nonce of the challenge you "
                        + "answer"
                ) { $0.nonce = earlier }
            )
        }
        return variations
    }

    private static func quoted(_ text: String) -> String {
        JSONValue.string(text).jsonText
    }
}
