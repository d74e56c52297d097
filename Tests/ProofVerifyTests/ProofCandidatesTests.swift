import ProofVerify
import Testing

@Suite struct ProofCandidatesTests {
    static let v2Vector = PayloadFields(
        deviceId: "dev-1",
        clientId: "openclaw-macos",
        clientMode: "ui",
        role: "operator",
        scopes: ["operator.admin", "operator.read"],
        signedAtMs: 1_700_000_000_000,
        nonce: "nonce-abc"
    )

    static var v3Vector: PayloadFields {
        var fields = Self.v2Vector
        fields.token = "tok-123"
        fields.platform = "  IOS  "
        fields.deviceFamily = "  iPhone  "
        return fields
    }

    static let v3SecondVector = PayloadFields(
        deviceId: "dev-2",
        clientId: "openclaw-ios",
        clientMode: "ui",
        role: "operator",
        scopes: ["operator.read"],
        signedAtMs: 1_700_000_000_001,
        nonce: "nonce-def"
    )

    /// Section 3's payload vectors, byte for byte.
    @Test func payloadVectors() throws {
        let v2 = try #require(ProofCandidates.payload(.v2, Self.v2Vector))
        #expect(
            v2.text(showSecrets: true)
                == "v2|dev-1|openclaw-macos|ui|operator|operator.admin,operator.read|1700000000000||nonce-abc"
        )
        let v3 = try #require(ProofCandidates.payload(.v3, Self.v3Vector))
        #expect(
            v3.text(showSecrets: true)
                == "v3|dev-1|openclaw-macos|ui|operator|operator.admin,operator.read|1700000000000|tok-123|nonce-abc|ios|iphone"
        )
        let second = try #require(ProofCandidates.payload(.v3, Self.v3SecondVector))
        #expect(
            second.text(showSecrets: true)
                == "v3|dev-2|openclaw-ios|ui|operator|operator.read|1700000000001||nonce-def||"
        )
        let v1 = try #require(ProofCandidates.payload(.v1, Self.v3Vector))
        #expect(
            v1.text(showSecrets: true)
                == "v1|dev-1|openclaw-macos|ui|operator|operator.admin,operator.read|1700000000000|tok-123"
        )
    }

    /// The known-answer signatures of section 3 with the TEST 1 key.
    @Test(arguments: [
        (0, "62sp6Y8lj3w6nW1BRE0uqFHT17m29GvK6A1iKjOso5Mwq977I6VKX7qhxYuM5tHIfBV3iUMVHT7aMg6eHUoGBA"),
        (1, "Wrp1kv2UpRb5ODGAmIevAUA6UZ09pc4PtuMHAtwNLOl8wZqmb1KPDLYfiXRDi_Fscj1CLrj-3opHWPACZvrkDw"),
        (2, "n-RIJimESSf-pPq80ta1eDo54a3-dDmVrv_UzlECZ7e03T8kc0FlegeI8WfoMn85a00FhH_ibeB-MyXcCeg9BA"),
    ])
    func knownAnswerSignatures(vector: Int, expected: String) throws {
        let payload = try #require(
            [
                ProofCandidates.payload(.v2, Self.v2Vector),
                ProofCandidates.payload(.v3, Self.v3Vector),
                ProofCandidates.payload(.v3, Self.v3SecondVector),
            ][vector]
        )
        let signature = try ProofFixtures.key.sign(payload)
        #expect(ProofFixtures.base64url(signature) == expected)
        let decoded = try Ed25519.decodeSignature(expected)
        #expect(
            Ed25519.verify(
                signature: decoded,
                message: payload.text(showSecrets: true),
                publicKey: ProofFixtures.publicKey
            ) == .verifies
        )
    }

    @Test func tokenRedactionShowsAHashPrefixOnly() throws {
        let v3 = try #require(ProofCandidates.payload(.v3, Self.v3Vector))
        let redacted = ProofCandidates.redacted("tok-123")
        #expect(redacted.hasPrefix("<redacted sha256:"))
        #expect(redacted.count == "<redacted sha256:12345678>".count)
        #expect(v3.description.contains(redacted))
        #expect(!v3.description.contains("tok-123"))
        #expect(!v3.text(showSecrets: false).contains("tok-123"))
        #expect(ProofCandidates.redacted("") == "")
        // sha256("tok-123") starts with these 8 hex digits.
        #expect(redacted == "<redacted sha256:\(Sodium.sha256(Array("tok-123".utf8)).hexString.prefix(8))>")
    }

    /// `auth.token ?? auth.deviceToken ?? auth.bootstrapToken ?? ""`, with JavaScript `??`.
    @Test(arguments: [
        (#"{"token":"t","deviceToken":"d","bootstrapToken":"b"}"#, "t", TokenSlot.token),
        (#"{"token":"","deviceToken":"d"}"#, "", TokenSlot.token),
        (#"{"token":null,"deviceToken":"d"}"#, "d", TokenSlot.deviceToken),
        (#"{"deviceToken":"d","bootstrapToken":"b"}"#, "d", TokenSlot.deviceToken),
        (#"{"token":null,"deviceToken":null,"bootstrapToken":"b"}"#, "b", TokenSlot.bootstrapToken),
        (#"{"bootstrapToken":""}"#, "", TokenSlot.bootstrapToken),
        (#"{"password":"p"}"#, "", TokenSlot.none),
        (#"{}"#, "", TokenSlot.none),
    ])
    func tokenSlotUsesJavaScriptNullishCoalescing(auth: String, token: String, slot: TokenSlot) throws {
        var connect = ProofFixtures.Connect()
        connect.authJSON = auth
        let params = connect.params()
        let chosen = ProofCandidates.gatewayToken(params.auth)
        #expect(chosen.value == token)
        #expect(chosen.slot == slot)
        #expect(PayloadFields(params: params).token == token)
    }

    @Test func roleDefaultsToOperatorOnlyWhenAbsentOrNull() {
        var connect = ProofFixtures.Connect()
        #expect(PayloadFields(params: connect.params()).role == "operator")
        connect.roleJSON = "null"
        #expect(PayloadFields(params: connect.params()).role == "operator")
        connect.roleJSON = #""node""#
        #expect(PayloadFields(params: connect.params()).role == "node")
        connect.roleJSON = #""""#
        #expect(PayloadFields(params: connect.params()).role == "")
    }

    @Test(
        arguments: [
            (nil, ""),
            (#"["b","a","b"]"#, "b,a,b"),
            (#"[]"#, ""),
            (#""operator.read""#, ""),
            (#"{"0":"a"}"#, ""),
            (#"[" a "]"#, " a "),
        ] as [(String?, String)]
    )
    func scopesAreJoinedAsSent(scopes: String?, expected: String) {
        var connect = ProofFixtures.Connect()
        connect.scopesJSON = scopes
        #expect(PayloadFields(params: connect.params()).scopes == expected)
    }

    @Test func nonceIsTrimmedWithJavaScriptTrim() {
        var connect = ProofFixtures.Connect()
        connect.nonceJSON = #""\ufeff\u00a0 n-1\u2028\u3000\t""#
        #expect(PayloadFields(params: connect.params()).nonce == "n-1")
        // U+200B (zero width space) and U+180E are not whitespace to trim().
        connect.nonceJSON = #""\u200bn-1\u180e""#
        #expect(PayloadFields(params: connect.params()).nonce == "\u{200B}n-1\u{180E}")
    }

    @Test(arguments: [
        ("  IOS  ", "ios"),
        ("  İOS  ", "İos"),
        ("\u{FEFF}MacIntel\n", "macintel"),
        ("ÄBC", "Äbc"),
        ("", ""),
    ])
    func metadataNormalizationLowercasesASCIIOnly(input: String, expected: String) {
        #expect(ProofCandidates.normalizeMetadata(input) == expected)
    }

    @Test func absentDeviceFamilyLeavesAnEmptySlot() throws {
        let params = ProofFixtures.Connect().params()
        let v3 = try #require(ProofCandidates.payload(.v3, PayloadFields(params: params)))
        #expect(v3.text(showSecrets: true).hasSuffix("|\(ProofFixtures.challengeNonce)|linux|"))
    }

    @Test func handWrittenForms() throws {
        let fields = PayloadFields(params: ProofFixtures.Connect().params(), challengeTs: 1_773_460_000_000)
        #expect(ProofCandidates.payload(.nonce, fields)?.text(showSecrets: false) == ProofFixtures.challengeNonce)
        #expect(
            ProofCandidates.payload(.nonceTs, fields)?.text(showSecrets: false)
                == ProofFixtures.challengeNonce + ":1773460000000"
        )
        #expect(
            ProofCandidates.payload(.nonceSignedAt, fields)?.text(showSecrets: false)
                == ProofFixtures.challengeNonce + ":1773460000412"
        )
        let noChallenge = PayloadFields(params: ProofFixtures.Connect().params())
        #expect(ProofCandidates.payload(.nonceTs, noChallenge) == nil)
    }

    @Test func signedAtIsWrittenAsJavaScriptWouldPrintIt() {
        var connect = ProofFixtures.Connect()
        connect.signature = "x"
        let params = ConnectParams(
            try! JSONParser.parse(
                connect.json(signature: "x").replacingOccurrences("1773460000412", "1.773460000412e12")
            )
        )
        #expect(PayloadFields(params: params).signedAtMs == "1773460000412")
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        self.split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }

    /// The v4 payload string of upstream's client package (packages/gateway-client/src/device-auth.test.ts vector):
    /// v3's fields, then the trimmed `client.instanceId`.
    @Test func v4Vector() throws {
        var fields = PayloadFields(
            deviceId: "dev-1",
            clientId: "node-host",
            clientMode: "node",
            role: "node",
            scopes: [],
            signedAtMs: 1_700_000_000_002,
            token: "tok-456",
            nonce: "nonce-ghi",
            platform: "  macOS  ",
            deviceFamily: "  Mac  "
        )
        fields.instanceId = " custom-node-id "
        let payload = try #require(ProofCandidates.payload(.v4, fields))
        #expect(
            payload.text(showSecrets: true)
                == "v4|dev-1|node-host|node|node||1700000000002|tok-456|nonce-ghi|macos|mac|custom-node-id"
        )
        #expect(!payload.description.contains("tok-456"))
    }
}
