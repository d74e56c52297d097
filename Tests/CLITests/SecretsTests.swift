import Foundation
import Glibc
import Testing

/// No secret reaches `analyze`, `capture`, `verify` or `sign` output unless `--show-secrets` is given: shared tokens,
/// passwords, device and bootstrap tokens, and never a private key. (`report` has its own in ReportCommandTests.)
@Suite(.serialized) struct SecretsTests {
    static let token = "wssniff-secret-token-7f3a"
    static let password = "wssniff-secret-password-91c2"

    /// Where each secret shows in `texts` (named), as "secret-prefix... in name".
    static func leaks(_ secrets: [String], in texts: [(String, String)]) -> [String] {
        var places: [String] = []
        for (name, text) in texts {
            for secret in secrets where text.contains(secret) {
                places.append("\(secret.prefix(10))... in \(name)")
            }
        }
        return places
    }

    /// The device tokens in an unredacted output: the one the gateway issues in hello-ok, and any a client sends.
    static func deviceTokens(in text: String) throws -> Set<String> {
        let pattern = try Regex(#"deviceToken\\?"\s*:\s*\\?"([A-Za-z0-9_-]{16,})"#)
        return Set(text.matches(of: pattern).compactMap { $0.output[1].substring.map(String.init) })
    }

    /// Live: the reference gateway in token mode and another in password mode, real clients sending a shared token,
    /// a password and a device token and receiving an issued device token. Three captures watch at once: text with
    /// a report, jsonl, and jsonl with --show-secrets. Then `analyze` reads the written file, text and json.
    @Test(.enabled(if: TestSupport.isRoot && ReferenceGateway.available, "needs root and node with node-ws"))
    func liveCaptureAndAnalyzeShowNoSecret() throws {
        let tokenGateway = try ReferenceGateway(["--token", Self.token])
        let passwordGateway = try ReferenceGateway(["--password", Self.password])
        let filter = "tcp port \(tokenGateway.port) or tcp port \(passwordGateway.port)"
        let reportDirectory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: reportDirectory) }
        let report = reportDirectory.appendingPathComponent("report.md")
        let common = ["--filter", filter, "--frames", "--messages"]
        let text = try CaptureCommandTests.BackgroundCapture(
            port: tokenGateway.port,
            extra: common + ["--format", "text", "--report", report.path]
        )
        let jsonl = try CaptureCommandTests.BackgroundCapture(port: tokenGateway.port, extra: common)
        let shown = try CaptureCommandTests.BackgroundCapture(
            port: tokenGateway.port,
            extra: common + ["--show-secrets"]
        )
        for scenario in ["good-v3", "wrong-token-slot"] {
            try tokenGateway.client(["--scenario", scenario, "--token", Self.token])
        }
        try passwordGateway.client(["--scenario", "good-v3", "--password", Self.password])
        usleep(500_000)
        for capture in [text, jsonl, shown] {
            #expect(capture.stop() == 0, "\(capture.stderr)")
        }
        #expect(tokenGateway.causes.contains("accepted"))
        #expect(passwordGateway.causes == ["accepted"])

        // With --show-secrets every secret is there: the token, the password, the device tokens.
        let deviceTokens = try Self.deviceTokens(in: shown.stdout)
        #expect(deviceTokens.count >= 2, "an issued device token and a sent one: \(deviceTokens)")
        #expect(shown.stdout.contains(Self.token))
        #expect(shown.stdout.contains(Self.password))
        #expect(shown.stderr.contains("--show-secrets"))
        let secrets = [Self.token, Self.password] + deviceTokens.sorted()

        // Without it, none is anywhere: live text and jsonl, their diagnostics, the report written at the end.
        let markdown = try String(contentsOf: report, encoding: .utf8)
        #expect(markdown.contains("```mermaid"), "the report was written after the drop to nobody")
        #expect(text.stdout.contains("<redacted sha256:"))
        #expect(jsonl.stdout.contains("<redacted sha256:"))
        let live = [
            ("capture text stdout", text.stdout), ("capture text stderr", text.stderr),
            ("capture jsonl stdout", jsonl.stdout), ("capture jsonl stderr", jsonl.stderr),
            ("capture --report", markdown),
        ]
        #expect(Self.leaks(secrets, in: live) == [])

        // analyze on the written capture, text and json, every frame and message.
        var offline: [(String, String)] = []
        for format in ["text", "json"] {
            let output = try TestSupport.wssniff(
                arguments: ["analyze", "--format", format, "--frames", "--messages", jsonl.pcap.path]
            )
            #expect(output.status == 0)
            #expect(output.stdout.contains("<redacted sha256:"))
            offline += [("analyze \(format) stdout", output.stdout), ("analyze \(format) stderr", output.stderr)]
            let unredacted = try TestSupport.wssniff(
                arguments: ["analyze", "--format", format, "--messages", "--show-secrets", jsonl.pcap.path]
            )
            // json carries every message whole; text prints the candidate payloads, where the signed token is.
            for secret in format == "json" ? secrets : [Self.token] {
                #expect(unredacted.stdout.contains(secret), "analyze \(format) --show-secrets: \(secret.prefix(10))")
            }
        }
        #expect(Self.leaks(secrets, in: offline) == [])
    }

    static let identities = ["mobile-node.json", "mobile-android.json", "mobile-apple.json"].map {
        TestSupport.packageRoot.appendingPathComponent("tools/gateway/identities/\($0)").path
    }

    /// Every spelling of the three identities' private key (they hold the same one): the PKCS#8 body, the seed in
    /// base64, base64url and hex.
    static func privateKeyForms() throws -> [String] {
        let seedBase64 = "61J2sQ34nTEQKXYIIbKOhM/cY+rHmDkowSN0/RjJkOk="
        let seed = try #require(Data(base64Encoded: seedBase64))
        let base64URL = seedBase64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return [
            "MC4CAQAwBQYDK2VwBCIEIOtSdrEN+J0xECl2CCGyjoTP3GPqx5g5KMEjdP0YyZDp",
            String(seedBase64.dropLast()),
            base64URL,
            seed.map { String(format: "%02x", $0) }.joined(),
            "PRIVATE KEY",
        ]
    }

    /// `sign` reads the private key and prints none of it, in any format, even with --show-secrets; `verify` and
    /// `analyze` take the same identity files and print none of it either.
    @Test(arguments: Self.identities)
    func privateKeyNeverPrinted(identity: String) throws {
        let forms = try Self.privateKeyForms()
        var outputs: [(String, String)] = []
        for extra in [["--format", "text"], ["--format", "json"]] {
            for shown in [[], ["--show-secrets"]] {
                let arguments = ["sign", "--identity", identity, "--nonce", "n-1", "--token", "t"] + extra + shown
                let sign = try TestSupport.wssniff(arguments: arguments)
                #expect(sign.status == 0, "\(sign.stderr)")
                #expect(sign.stdout.contains("signature"))
                outputs += [("\(arguments)", sign.stdout + sign.stderr)]
            }
        }
        let connect = try VerifyCommandTests.signedConnect(nonce: "n-1", token: Self.token)
        let sample = TestSupport.samplesDirectory.appendingPathComponent("good-v3.pcap").path
        for format in ["text", "json"] {
            for shown in [[], ["--show-secrets"]] {
                let verify = ["verify", connect.path, "--nonce", "n-1", "--identity", identity, "--format", format]
                let analyze = ["analyze", "--identity", identity, "--format", format, "--messages", sample]
                for arguments in [verify + shown, analyze + shown] {
                    let output = try TestSupport.wssniff(arguments: arguments)
                    #expect(output.status == 0, "\(arguments): \(output.stderr)")
                    outputs += [("\(arguments)", output.stdout + output.stderr)]
                }
            }
        }
        #expect(Self.leaks(forms, in: outputs) == [])
    }

    /// `verify` on a connect that carries every kind of auth secret: none shows without --show-secrets; with it,
    /// the signed token shows in the payloads (the only secret verify prints).
    @Test(arguments: ["text", "json"])
    func verifyShowsNoAuthSecret(format: String) throws {
        let file = try VerifyCommandTests.signedConnect(nonce: "n-1", token: Self.token)
        var frame = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        var params = try #require(frame["params"] as? [String: Any])
        let deviceToken = "dt-secret-device-token-5e1b"
        let bootstrapToken = "bt-secret-bootstrap-token-0d9c"
        params["auth"] = [
            "token": Self.token, "password": Self.password, "deviceToken": deviceToken,
            "bootstrapToken": bootstrapToken,
        ]
        frame["params"] = params
        try JSONSerialization.data(withJSONObject: frame).write(to: file)
        let secrets = [Self.token, Self.password, deviceToken, bootstrapToken]

        let output = try TestSupport.wssniff("verify", file.path, "--nonce", "n-1", "--format", format)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stdout.contains("<redacted sha256:"))
        #expect(Self.leaks(secrets, in: [("stdout", output.stdout), ("stderr", output.stderr)]) == [])
        let shown = try TestSupport.wssniff("verify", file.path, "--nonce", "n-1", "--format", format, "--show-secrets")
        #expect(shown.stdout.contains(Self.token))
        #expect(shown.stderr.contains("--show-secrets"))
    }
}
