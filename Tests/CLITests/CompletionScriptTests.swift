import Foundation
import Testing

/// The shell completions and the command description the man page is generated from (scripts/package.sh runs
/// swift-argument-parser's generate-manual on `--experimental-dump-help`), from the built binary.
@Suite struct CompletionScriptTests {
    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptNamesEverySubcommandAndTheTcpdumpAliases(shell: String) throws {
        let output = try TestSupport.wssniff("--generate-completion-script", shell)
        #expect(output.status == 0)
        #expect(output.stderr.isEmpty)
        for subcommand in ["analyze", "capture", "verify", "sign", "report", "version"] {
            #expect(output.stdout.contains(subcommand), "\(shell): \(subcommand)")
        }
        let longForms =
            shell == "fish" ? ["-l 'format'", "-l 'count'", "-l 'write'"] : ["--format", "--count", "--write"]
        for option in longForms {
            #expect(output.stdout.contains(option), "\(shell): \(option)")
        }
        // The short options tcpdump users type: -r (analyze), -c (capture), -V (the version).
        let shortForms = shell == "fish" ? ["-s 'r'", "-s 'c'", "-s 'V'"] : ["-r", "-c", "-V"]
        for option in shortForms {
            #expect(output.stdout.contains(option), "\(shell): \(option)")
        }
    }

    @Test func bashCompletionScriptIsValidBash() throws {
        let bash = try #require(TestSupport.which("bash"))
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = directory.appendingPathComponent("wssniff.bash")
        let output = try TestSupport.wssniff("--generate-completion-script", "bash")
        try Data(output.stdout.utf8).write(to: script)
        let check = try TestSupport.run(bash, ["-n", script.path])
        #expect(check.status == 0, "\(check.stderr)")
    }

    @Test func manualSourceDescribesEveryCommandAndAlias() throws {
        let output = try TestSupport.wssniff("--experimental-dump-help")
        #expect(output.status == 0)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
        )
        let command = try #require(json["command"] as? [String: Any])
        #expect(command["commandName"] as? String == "wssniff")
        let subcommands = try #require(command["subcommands"] as? [[String: Any]])
        let names = Set(subcommands.compactMap { $0["commandName"] as? String })
        #expect(names.isSuperset(of: ["analyze", "capture", "verify", "sign", "report", "version"]))
        func shortNames(_ command: [String: Any]) -> Set<String> {
            let arguments = command["arguments"] as? [[String: Any]] ?? []
            return Set(
                arguments.flatMap { argument in
                    (argument["names"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "short" }
                        .compactMap { $0["name"] as? String }
                }
            )
        }
        #expect(shortNames(command).contains("V"))
        let analyze = try #require(subcommands.first { $0["commandName"] as? String == "analyze" })
        let capture = try #require(subcommands.first { $0["commandName"] as? String == "capture" })
        #expect(shortNames(analyze).contains("r"))
        #expect(shortNames(capture).isSuperset(of: ["c", "w", "i"]))
    }
}
