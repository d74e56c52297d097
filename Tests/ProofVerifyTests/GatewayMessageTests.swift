import ProofVerify
import Testing

@Suite struct GatewayMessageTests {
    @Test func classifiesTheChallenge() throws {
        let message = GatewayMessage.classify(
            #"{"type":"event","event":"connect.challenge","payload":{"nonce":"6f9c2d6e-8a4b-4f1e-9c3d-2b7a5e1f0c8d","ts":1773460000000}}"#
        )
        guard case .event(let event) = message else {
            Issue.record("not an event: \(message)")
            return
        }
        #expect(event.event == "connect.challenge")
        #expect(event.challenge == ProofFixtures.challenge)
    }

    @Test func classifiesTheConnectRequest() throws {
        var connect = ProofFixtures.Connect()
        connect.authJSON = #"{"token":"secret"}"#
        connect.deviceFamily = "iPhone"
        let message = GatewayMessage.classify(connect.request())
        guard case .request(let request) = message else {
            Issue.record("not a request: \(message)")
            return
        }
        #expect(request.isValidFrame)
        #expect(request.id == "c1")
        #expect(request.method == "connect")
        let params = try #require(request.connectParams)
        #expect(params.findings.isEmpty)
        #expect(params.minProtocol == 3)
        #expect(params.maxProtocol == 3)
        #expect(params.clientId == "cli")
        #expect(params.clientMode == "cli")
        #expect(params.client?.platform == .string("linux"))
        #expect(params.client?.deviceFamily == .string("iPhone"))
        #expect(params.client?.displayName == nil)
        #expect(params.role == nil)
        #expect(params.effectiveRole == "operator")
        #expect(params.scopeList == ["operator.admin", "operator.read"])
        #expect(params.auth?.token == .string("secret"))
        #expect(params.auth?.deviceToken == nil)
        #expect(params.auth?.bootstrapToken == nil)
        #expect(params.hasSharedAuth)
        let device = try #require(params.device)
        #expect(device.id == .string(ProofFixtures.deviceId))
        #expect(device.signedAt?.int64Value == ProofFixtures.challengeTs + 412)
        #expect(device.raw.objectValue?.keys == ["id", "publicKey", "signature", "signedAt", "nonce"])
    }

    @Test func classifiesResponses() throws {
        let error = GatewayMessage.classify(
            #"{"type":"res","id":"c1","ok":false,"error":{"code":"INVALID_REQUEST","message":"protocol mismatch","details":{"expectedProtocol":3}}}"#
        )
        guard case .response(let response) = error else {
            Issue.record("not a response: \(error)")
            return
        }
        #expect(response.ok == false)
        #expect(response.error?.code == "INVALID_REQUEST")
        #expect(response.error?.message == "protocol mismatch")
        #expect(response.error?.expectedProtocol == 3)
        #expect(response.findings.isEmpty)

        let hello = GatewayMessage.classify(
            #"{"type":"res","id":"c1","ok":true,"payload":{"type":"hello-ok","protocol":3,"server":{"version":"2026.3.13","connId":"k1"},"features":{},"snapshot":{},"auth":{"deviceToken":"dt","role":"operator","scopes":["operator.read"]},"policy":{"maxPayload":26214400,"maxBufferedBytes":52428800,"tickIntervalMs":30000}}}"#
        )
        guard case .response(let ok) = hello else {
            Issue.record("not a response: \(hello)")
            return
        }
        let payload = try #require(ok.helloOK)
        #expect(ok.ok == true)
        #expect(payload.protocolVersion == 3)
        #expect(payload.serverVersion == "2026.3.13")
        #expect(payload.connId == "k1")
        #expect(payload.policy?.maxPayload == 26_214_400)
        #expect(payload.policy?.maxBufferedBytes == 52_428_800)
        #expect(payload.policy?.tickIntervalMs == 30_000)
        #expect(payload.hasDeviceToken)
        #expect(payload.authScopes == ["operator.read"])
    }

    @Test func nonFrames() {
        guard case .notJSON(let error) = GatewayMessage.classify("hello") else {
            Issue.record("expected notJSON")
            return
        }
        #expect(error.code == .invalidJSON)
        guard case .notFrame(_, let findings) = GatewayMessage.classify(#"{"type":"hello"}"#) else {
            Issue.record("expected notFrame")
            return
        }
        #expect(findings.map(\.path) == ["/type"])
        guard case .notFrame(_, let arrayFindings) = GatewayMessage.classify("[1]") else {
            Issue.record("expected notFrame")
            return
        }
        #expect(arrayFindings.first?.rule == .type)
    }

    @Test func requestFrameValidation() throws {
        guard
            case .request(let request) = GatewayMessage.classify(
                #"{"type":"req","id":"","method":"connect","extra":1}"#
            )
        else {
            Issue.record("expected request")
            return
        }
        #expect(!request.isValidFrame)
        #expect(request.findings.map(\.path) == ["/id", "/extra"])
        #expect(request.findings.map(\.rule) == [.notEmpty, .unexpectedProperty])
    }

    private func findings(_ params: String) -> [SchemaFinding] {
        ConnectParams(try! JSONParser.parse(params)).findings
    }

    @Test func schemaFindingsCarryPaths() {
        let base = #""minProtocol":3,"maxProtocol":3"#
        let client = #""client":{"id":"cli","version":"1","platform":"linux","mode":"cli"}"#
        #expect(self.findings("{\(base),\(client)}").isEmpty)
        #expect(self.findings("{\(base)}").map(\.description) == ["at /client: is required"])
        #expect(self.findings(#"{"maxProtocol":3,\#(client)}"#).map(\.path) == ["/minProtocol"])
        #expect(self.findings(#"{"minProtocol":"3","maxProtocol":0,\#(client)}"#).map(\.rule) == [.type, .minimum])
        #expect(
            self.findings(#"{\#(base),"client":{"id":"CLI","version":"1","platform":"linux","mode":"cli"}}"#).map(
                \.path
            ) == ["/client/id"]
        )
        #expect(
            self.findings(#"{\#(base),"client":{"id":"cli","version":"1","platform":"linux","mode":"Cli"}}"#).map(
                \.rule
            ) == [.allowedValues]
        )
        #expect(
            self.findings(#"{\#(base),"client":{"id":"cli","version":"","platform":"linux","mode":"cli","x":1}}"#).map(
                \.path
            ) == ["/client/version", "/client/x"]
        )
        #expect(
            self.findings(#"{\#(base),\#(client),"device":{"id":"a","publicKey":"b","signature":"c","signedAt":1}}"#)
                .map(\.description) == ["at /device/nonce: is required"]
        )
        #expect(
            self.findings(
                #"{\#(base),\#(client),"device":{"id":"a","publicKey":"b","signature":"c","signedAt":1.5,"nonce":"n"}}"#
            ).map(\.path) == ["/device/signedAt"]
        )
        #expect(self.findings(#"{\#(base),\#(client),"scopes":"operator.read"}"#).map(\.path) == ["/scopes"])
        #expect(self.findings(#"{\#(base),\#(client),"scopes":["a",""]}"#).map(\.path) == ["/scopes/1"])
        #expect(
            self.findings(#"{\#(base),\#(client),"auth":{"token":1,"pin":"x"}}"#).map(\.path) == [
                "/auth/token", "/auth/pin",
            ]
        )
        #expect(self.findings(#"{\#(base),\#(client),"nonce":"x"}"#).map(\.path) == ["/nonce"])
        #expect(self.findings("null").map(\.rule) == [.type])
        // `Type.Optional(Type.String())`: absent is fine, `null` is not a string to AJV.
        #expect(
            self.findings(#"{\#(base),\#(client),"auth":{"token":null}}"#).map(\.description) == [
                "at /auth/token: must be string, not null"
            ]
        )
    }

    @Test func roleIsCheckedOutsideTheSchema() {
        let params = ConnectParams(
            try! JSONParser.parse(
                #"{"minProtocol":3,"maxProtocol":3,"client":{"id":"cli","version":"1","platform":"linux","mode":"cli"},"role":"admin"}"#
            )
        )
        #expect(!params.roleIsAllowed)
        #expect(params.schemaFindings.isEmpty)
        #expect(params.findings.map(\.rule) == [.invalidRole])
        #expect(params.findings.first?.path == "/role")
        let node = ConnectParams(try! JSONParser.parse(#"{"role":"node"}"#))
        #expect(node.roleIsAllowed)
        let null = ConnectParams(try! JSONParser.parse(#"{"role":null}"#))
        #expect(null.roleIsAllowed)
        #expect(null.effectiveRole == "operator")
    }

    @Test func javaScriptCoalesceAndTrim() {
        #expect(JavaScript.coalesce(nil, .null, .string(""), .string("x")) == .string(""))
        #expect(JavaScript.coalesce(nil, .null) == nil)
        #expect(
            JavaScript.trim(
                "\u{FEFF}\u{00A0}\u{1680}\u{2000}\u{200A}\u{2028}\u{2029}\u{202F}\u{205F}\u{3000}\u{0B}\u{0C} a b \r\n"
            ) == "a b"
        )
        #expect(JavaScript.trim("\u{200B}a\u{180E}") == "\u{200B}a\u{180E}")
        #expect(JavaScript.trim(" \t ") == "")
        #expect(JavaScript.lowercaseASCII("ÀBCİ") == "Àbcİ")
    }
}
