import Foundation
import Glibc
import Testing

/// `report --config-history`: saved copies of the config, ordered, and the redacted diff between consecutive ones.
@Suite struct ConfigHistoryTests {
    @Test func consecutiveVersionsAreDiffedWithSecretsAsFingerprints() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let history = directory.appendingPathComponent("history")
        try FileManager.default.createDirectory(at: history, withIntermediateDirectories: true)
        let token = "history-token-\(getpid())"
        // Named against their order: the directory is ordered by modification time.
        let versions = [
            ("c.json", "{ gateway: { auth: { token: '\(token)' }, controlUi: { allowInsecureAuth: false } } }"),
            ("b.json", "{ gateway: { controlUi: { allowInsecureAuth: false, dangerouslyDisableDeviceAuth: true } } }"),
            ("a.json", "{ gateway: { auth: { token: '\(token)' }, controlUi: { allowInsecureAuth: false } } }"),
        ]
        for (number, (name, text)) in versions.enumerated() {
            let path = history.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            var times = [
                timespec(tv_sec: 1_700_000_000 + number * 60, tv_nsec: 0),
                timespec(tv_sec: 1_700_000_000 + number * 60, tv_nsec: 0),
            ]
            #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        }
        let markdown = directory.appendingPathComponent("report.md").path
        let json = directory.appendingPathComponent("report.json").path
        let output = try TestSupport.wssniff(
            arguments: [
                "report", TestSupport.samplesDirectory.appendingPathComponent("good-v3.pcap").path,
                "-o", markdown, "--json", json, "--config-history", history.path,
            ]
        )
        #expect(output.status == 0, "\(output.stderr)")
        let text = try String(contentsOfFile: markdown, encoding: .utf8)
        let section = try #require(text.components(separatedBy: "## Config history (`--config-history`)").last)
        let c = history.appendingPathComponent("c.json").path
        let b = history.appendingPathComponent("b.json").path
        let a = history.appendingPathComponent("a.json").path
        #expect(section.contains("| 1 | `\(c)` | 2023-11-14T22:13:20.000000000Z |"))
        #expect(section.contains("### `\(c)` -> `\(b)`"))
        #expect(section.contains("- `gateway.auth.token removed (was <redacted sha256:"))
        #expect(section.contains("- `gateway.controlUi.dangerouslyDisableDeviceAuth added true`"))
        #expect(section.contains("### `\(b)` -> `\(a)`"))
        #expect(section.contains("- `gateway.controlUi.dangerouslyDisableDeviceAuth removed (was true)`"))
        #expect(section.contains("- `gateway.auth.token added <redacted sha256:"))
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json)))
        let report = (document as? [String: Any])?["report"] as? [String: Any]
        let steps = (report?["configHistory"] as? [String: Any])?["steps"] as? [[String: Any]]
        #expect(steps?.map { $0["to"] as? String } == [b, a])
        for file in [markdown, json] {
            #expect(!(try String(contentsOfFile: file, encoding: .utf8)).contains(token))
        }
    }

    @Test func aMissingHistoryFileExits66() throws {
        let output = try TestSupport.wssniff(
            arguments: [
                "report", TestSupport.samplesDirectory.appendingPathComponent("good-v3.pcap").path,
                "--config-history", "/nonexistent-wssniff-history.json",
            ]
        )
        #expect(output.status == 66)
        #expect(output.stderr.contains("--config-history /nonexistent-wssniff-history.json"))
    }
}
