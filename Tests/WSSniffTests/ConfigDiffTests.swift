import ProofVerify
import Testing
import WSSniff

/// The structural diff between two versions of a JSON5 config: key paths added, removed and changed, and secrets
/// only as fingerprints (two for a changed token, "rewritten" for one written again with the same value).
@Suite struct ConfigDiffTests {
    static let token = "wssniff-diff-token-4711"

    static func parse(_ text: String) throws -> JSONValue {
        try JSON5Reader.parse(text)
    }

    @Test func listsAddedRemovedAndChangedKeyPathsInDocumentOrder() throws {
        let before = try Self.parse(
            "{ gateway: { port: 18789, mode: 'local', controlUi: { dangerouslyDisableDeviceAuth: true } } }"
        )
        let after = try Self.parse("{ gateway: { port: 18790, controlUi: {}, bind: 'lan' }, agents: ['a', 'b'] }")
        let diff = ConfigDiff.compare(before, after)
        #expect(
            diff.map(\.path) == [
                "gateway.port", "gateway.mode", "gateway.controlUi.dangerouslyDisableDeviceAuth", "gateway.bind",
                "agents[0]", "agents[1]",
            ]
        )
        #expect(diff.map(\.change) == [.changed, .removed, .removed, .added, .added, .added])
        #expect(diff[0].before == "18789" && diff[0].after == "18790")
        #expect(diff[1].before == "\"local\"" && diff[1].after == nil)
        #expect(diff[2].before == "true")
        #expect(diff[3].after == "\"lan\"")
        #expect(diff.allSatisfy { !$0.secret })
    }

    @Test func identicalDocumentsWithoutSecretsHaveNoDifference() throws {
        let text = "{ gateway: { port: 1, list: [1, 2, {a: null}] } }"
        #expect(ConfigDiff.compare(try Self.parse(text), try Self.parse(text)).isEmpty)
    }

    @Test func aChangedTokenShowsTwoFingerprintsAndNeverItsValue() throws {
        let before = try Self.parse("{ gateway: { auth: { mode: 'token', token: '\(Self.token)' } } }")
        let after = try Self.parse("{ gateway: { auth: { mode: 'token', token: 'another-token' } } }")
        let diff = ConfigDiff.compare(before, after)
        #expect(diff.count == 1)
        #expect(diff.first?.path == "gateway.auth.token")
        #expect(diff.first?.change == .changed)
        #expect(diff.first?.secret == true)
        #expect(diff.first?.before == Redactor.placeholder(for: Self.token))
        #expect(diff.first?.after == Redactor.placeholder(for: "another-token"))
        #expect(diff.first?.before != diff.first?.after)
    }

    @Test func theSameTokenRewrittenIsListedAsRewrittenWithOneFingerprint() throws {
        let text = "{ gateway: { auth: { token: '\(Self.token)' }, port: 1 } }"
        let diff = ConfigDiff.compare(try Self.parse(text), try Self.parse(text.replacing("port: 1", with: "port: 2")))
        #expect(diff.map(\.path) == ["gateway.auth.token", "gateway.port"])
        #expect(diff.first?.change == .rewritten)
        #expect(diff.first?.before == Redactor.placeholder(for: Self.token))
        #expect(diff.first?.after == diff.first?.before)
    }

    @Test func secretsInsideAddedOrRemovedObjectsAreRedactedLeafByLeaf() throws {
        let before = try Self.parse("{ gateway: {} }")
        let after = try Self.parse(
            "{ gateway: { auth: { mode: 'password', password: 'pw-secret-1', tokens: ['t-1', 't-2'] } } }"
        )
        let added = ConfigDiff.compare(before, after)
        #expect(
            added.map(\.path) == [
                "gateway.auth.mode", "gateway.auth.password", "gateway.auth.tokens[0]", "gateway.auth.tokens[1]",
            ]
        )
        #expect(added.allSatisfy { $0.change == .added })
        #expect(added[0].after == "\"password\"" && !added[0].secret)
        #expect(added[1].after == Redactor.placeholder(for: "pw-secret-1"))
        #expect(added[2].after == Redactor.placeholder(for: "t-1"))
        let removed = ConfigDiff.compare(after, nil)
        #expect(removed.count == 4 && removed.allSatisfy { $0.change == .removed && $0.after == nil })
        let rendered = (added + removed).map { "\($0.before ?? "") \($0.after ?? "")" }.joined()
        for secret in ["pw-secret-1", "t-1", "t-2"] { #expect(!rendered.contains(secret)) }
    }

    @Test func aKeyThatChangesTypeLosesItsOldLeavesAndGainsTheNewOnes() throws {
        let diff = ConfigDiff.compare(try Self.parse("{ a: { b: 1 } }"), try Self.parse("{ a: 'flat' }"))
        #expect(diff.map(\.path) == ["a.b", "a"])
        #expect(diff.map(\.change) == [.removed, .added])
    }

    @Test func keysThatAreNotIdentifiersAreQuoted() throws {
        let diff = ConfigDiff.compare(try Self.parse("{}"), try Self.parse("{ 'a.b': { 'x y': 1 } }"))
        #expect(diff.first?.path == "[\"a.b\"][\"x y\"]")
    }
}
