import ProofVerify
import Testing

/// Which profile a version names, what the gateway's answer gives away, and each profile's admission.
@Suite struct GatewayProfileTests {
    @Test func versionsMapToProfiles() throws {
        let exact = try #require(GatewayProfile.forVersion("2026.3.13", basis: .option, source: "given"))
        #expect(exact.profile.name == .v2026_3_13)
        let newer = try #require(GatewayProfile.forVersion("v2026.4.2-beta.1", basis: .serverVersion, source: "s"))
        #expect(newer.profile.name == .current)
        #expect(newer.reason.contains("newer than 2026.3.13"))
        let older = try #require(GatewayProfile.forVersion("2026.2.19-2", basis: .option, source: "given"))
        #expect(older.profile.name == .v2026_3_13)
        #expect(older.reason.contains("older than every profile"))
        #expect(GatewayProfile.forVersion("current", basis: .option, source: "given")?.profile.name == .current)
        #expect(GatewayProfile.forVersion("4", basis: .option, source: "given")?.profile.name == .current)
        #expect(GatewayProfile.forVersion("tomorrow", basis: .option, source: "given") == nil)
        #expect(GatewayProfile.forVersion("2026.3", basis: .option, source: "given") == nil)
    }

    static func error(_ json: String) throws -> GatewayError {
        var response: GatewayResponse?
        if case .response(let parsed) = GatewayMessage.classify(json) {
            response = parsed
        }
        return try #require(response?.error, "not an error response: \(json)")
    }

    @Test func theAnswerNamesTheProfile() throws {
        let old = try Self.error(
            #"{"type":"res","id":"1","ok":false,"error":{"code":"INVALID_REQUEST","message":"protocol mismatch","details":{"expectedProtocol":3}}}"#
        )
        let chosenOld = GatewayProfile.choose(helloOK: nil, error: old, closeReasons: [], option: nil)
        #expect(chosenOld.profile.name == .v2026_3_13)
        #expect(chosenOld.basis == .gatewayAnswer)

        let new = try Self.error(
            #"{"type":"res","id":"1","ok":false,"error":{"code":"INVALID_REQUEST","message":"protocol mismatch","details":{"code":"PROTOCOL_MISMATCH","clientMinProtocol":3,"clientMaxProtocol":3,"expectedProtocol":4,"minimumProbeProtocol":3}}}"#
        )
        #expect(GatewayProfile.choose(helloOK: nil, error: new, closeReasons: [], option: nil).profile.name == .current)

        let pairing = GatewayProfile.choose(
            helloOK: nil,
            error: nil,
            closeReasons: ["pairing required: device is not approved yet (requestId: r-1)"],
            option: nil
        )
        #expect(pairing.profile.name == .current)
        #expect(
            GatewayProfile.choose(helloOK: nil, error: nil, closeReasons: ["pairing required"], option: nil) == .assumed
        )

        let option = GatewayProfile.forVersion("current", basis: .option, source: "given")
        #expect(GatewayProfile.choose(helloOK: nil, error: nil, closeReasons: [], option: option) == option)
        // What the gateway said wins over the option.
        #expect(GatewayProfile.choose(helloOK: nil, error: old, closeReasons: [], option: option) == chosenOld)
    }

    @Test func admission() {
        let old = GatewayProfile.v2026_3_13
        #expect(old.admits(minProtocol: 3, maxProtocol: 3, role: "operator", clientMode: "cli"))
        #expect(!old.admits(minProtocol: 4, maxProtocol: 4, role: "operator", clientMode: "cli"))
        #expect(!old.admits(minProtocol: 2, maxProtocol: 2, role: "node", clientMode: "node"))

        let current = GatewayProfile.current
        #expect(current.admits(minProtocol: 4, maxProtocol: 4, role: "operator", clientMode: "cli"))
        #expect(current.admits(minProtocol: 3, maxProtocol: 5, role: "operator", clientMode: "ui"))
        #expect(!current.admits(minProtocol: 3, maxProtocol: 3, role: "operator", clientMode: "cli"))
        // Probes from the minimum probe protocol; nodes (role and mode) one version back; no one else.
        #expect(current.admits(minProtocol: 3, maxProtocol: 3, role: "operator", clientMode: "probe"))
        #expect(!current.admits(minProtocol: 2, maxProtocol: 2, role: "operator", clientMode: "probe"))
        #expect(current.admits(minProtocol: 3, maxProtocol: 3, role: "node", clientMode: "node"))
        #expect(!current.admits(minProtocol: 3, maxProtocol: 3, role: "node", clientMode: "cli"))
        #expect(!current.admits(minProtocol: 3, maxProtocol: 3, role: "operator", clientMode: "node"))
    }

    @Test func timeoutsAndSchema() {
        #expect(GatewayProfile.v2026_3_13.handshakeTimeoutMilliseconds == 3_000)
        #expect(GatewayProfile.current.handshakeTimeoutMilliseconds == 15_000)
        #expect(GatewayProfile.secondsText(15_000) == "15 s")
        #expect(GatewayProfile.secondsText(2_500) == "2.5 s")
        #expect(GatewayProfile.v2026_3_13.extraConnectFields.isEmpty)
        #expect(GatewayProfile.current.extraConnectFields.contains("/auth/approvalRuntimeToken"))
        #expect(GatewayProfile.current.describes.contains("0186e586"))
    }
}
