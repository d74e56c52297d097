import Foundation
import Testing

/// `wssniff analyze` as a user runs it: exit codes, messages, and the JSON contract's `input` part.
@Suite struct AnalyzeCommandTests {
    @Test func missingFileExits66WithItsName() throws {
        let output = try TestSupport.wssniff("analyze", "/nonexistent/capture.pcap")
        #expect(output.status == 66)
        #expect(output.stderr.contains("/nonexistent/capture.pcap"))
        #expect(output.stdout.isEmpty)
    }

    @Test func fileThatIsNotACaptureExits65() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("notes.txt").path
        try Data("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8).write(to: URL(fileURLWithPath: path))
        let output = try TestSupport.wssniff("analyze", path)
        #expect(output.status == 65)
        #expect(output.stderr.contains("notes.txt"))
        #expect(!output.stderr.contains("Fatal"))
    }

    @Test func emptyFileExits65() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("empty.pcap").path
        FileManager.default.createFile(atPath: path, contents: Data())
        let output = try TestSupport.wssniff("analyze", path)
        #expect(output.status == 65)
    }

    @Test func badUsageExits64() throws {
        #expect(try TestSupport.wssniff("analyze").status == 64)
        #expect(try TestSupport.wssniff("analyze", "--format", "yaml", "x.pcap").status == 64)
        #expect(try TestSupport.wssniff("frobnicate").status == 64)
    }

    @Test func versionAndHelp() throws {
        let version = try TestSupport.wssniff("--version")
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("wssniff "))
        let help = try TestSupport.wssniff("analyze", "--help")
        #expect(help.status == 0)
        #expect(help.stdout.contains("Examples:"))
    }

    @Test func cutFileIsAnalyzedAndReportedIncomplete() throws {
        let source = try #require(
            TestSupport.corpusFiles().first { $0.lastPathComponent == "suricata-basic-websockets.pcap" }
        )
        let data = try Data(contentsOf: source)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cut = directory.appendingPathComponent("cut.pcap")
        try data.prefix(data.count - 40).write(to: cut)
        let full = try TestSupport.analyzeJSON([source.path])
        let partial = try TestSupport.analyzeJSON([cut.path])
        let fullInput = try #require(full["input"] as? [String: Any])
        let partialInput = try #require(partial["input"] as? [String: Any])
        #expect(partialInput["packets"] as? Int == (fullInput["packets"] as? Int ?? 0) - 1)
        #expect(partialInput["complete"] as? Bool == false)
        let warnings = try #require(partialInput["warnings"] as? [String])
        #expect(!warnings.isEmpty)
    }

    @Test func severalFilesAreOneContinuousCapture() throws {
        let files = TestSupport.corpusFiles().prefix(3).map(\.path)
        let together = try TestSupport.analyzeJSON(Array(files))
        var packets = 0
        var connections = 0
        for file in files {
            let alone = try TestSupport.analyzeJSON([file])
            packets += (alone["input"] as? [String: Any])?["packets"] as? Int ?? 0
            connections += (alone["connections"] as? [Any])?.count ?? 0
        }
        let input = try #require(together["input"] as? [String: Any])
        #expect(input["packets"] as? Int == packets)
        #expect((input["files"] as? [Any])?.count == files.count)
        #expect((together["connections"] as? [Any])?.count == connections)
    }

    @Test func identityFileIsComparedWithTheConnectUsingOnlyItsPublicKey() throws {
        let sample = TestSupport.samplesDirectory.appendingPathComponent("good-v3.pcap").path
        let identities = TestSupport.packageRoot.appendingPathComponent("tools/gateway/identities")
        func identity(_ file: String) throws -> [String: Any]? {
            let document = try TestSupport.analyzeJSON([sample], extra: ["--identity", file])
            let connection = (document["connections"] as? [[String: Any]])?.first
            return (connection?["gateway"] as? [String: Any])?["identity"] as? [String: Any]
        }
        let same = try #require(try identity(identities.appendingPathComponent("cli.json").path))
        #expect(same["publicKeyMatchesDevice"] as? Bool == true)
        #expect(same["deviceIdMatchesDevice"] as? Bool == true)
        let other = try #require(try identity(identities.appendingPathComponent("control-ui.json").path))
        #expect(other["publicKeyMatchesDevice"] as? Bool == false)

        // A file whose private key is garbage still gives its public part: analyze never reads the private key.
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = try Data(contentsOf: identities.appendingPathComponent("cli.json"))
        var object = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
        object["privateKeyPem"] = "not a key at all"
        let broken = directory.appendingPathComponent("device.json")
        try JSONSerialization.data(withJSONObject: object).write(to: broken)
        let stillSame = try #require(try identity(broken.path))
        #expect(stillSame["publicKeyMatchesDevice"] as? Bool == true)
        let text = try TestSupport.wssniff("analyze", "--identity", broken.path, sample)
        #expect(!text.stdout.contains("not a key at all") && !text.stderr.contains("not a key at all"))
    }
}
