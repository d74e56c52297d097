import Testing
import WSSniff

/// The JSON5 subset of OpenClaw configs: comments, trailing commas, unquoted keys, single quotes; and what the
/// config findings make of it (never the token itself).
@Suite struct JSON5ReaderTests {
    static let config = """
        // ~/.openclaw/openclaw.json
        {
          gateway: {
            port: 18789, /* the default */
            auth: { mode: 'token', token: 'wssniff-reference-token', },
            controlUi: {
              allowInsecureAuth: true,
              "dangerouslyDisableDeviceAuth": false,
            },
          },
          agents: [ 'a', "b", ],
          ratio: .5, hex: 0x1F, big: +3,
        }
        """

    @Test func readsCommentsTrailingCommasUnquotedKeysAndSingleQuotes() throws {
        let findings = ConfigFindings.findings(try JSON5Reader.parse(Self.config), path: "openclaw.json")
        #expect(findings.port == 18789)
        #expect(findings.authMode == "token")
        #expect(findings.tokenSet)
        #expect(findings.tokenFingerprint == Redactor.placeholder(for: "wssniff-reference-token"))
        #expect(findings.allowInsecureAuth == true)
        #expect(findings.dangerouslyDisableDeviceAuth == false)
        #expect(findings.notes.contains(ConfigFindings.controlUiScope))
        #expect(!"\(findings)".contains("wssniff-reference-token"))
    }

    @Test(arguments: ["{a:1", "{a 1}", "[1,,2]", "{'a':'b}", "/* open", "{a:1} x"])
    func rejectsBrokenText(_ text: String) {
        #expect(throws: JSON5Reader.Failure.self) { try JSON5Reader.parse(text) }
    }

    @Test func plainJSONStillReads() throws {
        let findings = ConfigFindings.findings(
            try JSON5Reader.parse(#"{"gateway":{"port":42919,"auth":{"mode":"none"}}}"#),
            path: "x"
        )
        #expect(findings.port == 42919)
        #expect(findings.authMode == "none")
        #expect(!findings.tokenSet)
        #expect(findings.tokenFingerprint == nil)
    }
}
