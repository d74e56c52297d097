import Foundation
import Testing

/// `wssniff --version`, `-V` and `wssniff version`: one text, naming the commit and the libraries as they report
/// themselves at run time.
@Suite struct VersionCommandTests {
    /// The `--version` lines, keyed by what comes before the first ": " (the first line by "wssniff").
    private func fields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            if line.hasPrefix("wssniff ") {
                fields["wssniff"] = String(line.dropFirst("wssniff ".count))
            } else if let colon = line.range(of: ": ") {
                fields[String(line[..<colon.lowerBound])] = String(line[colon.upperBound...])
            }
        }
        return fields
    }

    /// What pkg-config says of the library the test build links, or nil without pkg-config.
    private func packageVersion(_ module: String) throws -> String? {
        guard let pkgConfig = TestSupport.which("pkg-config") else { return nil }
        let output = try TestSupport.run(pkgConfig, ["--modversion", module])
        guard output.status == 0 else { return nil }
        return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func versionNamesTheCommitAndEachLibrary() throws {
        let output = try TestSupport.wssniff("--version")
        #expect(output.status == 0)
        #expect(output.stderr.isEmpty)
        let lines = output.stdout.split(separator: "\n")
        #expect(lines.count == 6, "version, commit, four libraries: \(output.stdout)")
        let fields = self.fields(output.stdout)
        let version = try #require(fields["wssniff"])
        #expect(version.split(separator: ".").count == 3 && version.allSatisfy { $0.isNumber || $0 == "." })
        let commit = try #require(fields["commit"])
        let hex = commit.hasSuffix("-dirty") ? String(commit.dropLast("-dirty".count)) : commit
        #expect(commit == "unknown" || (hex.count == 40 && hex.allSatisfy(\.isHexDigit)), "\(commit)")
        for library in ["libpcap", "libsodium", "zlib", "libcrypto"] {
            let line = try #require(fields[library], "no \(library) line in \(output.stdout)")
            // "VERSION (static)" or "VERSION (/path/of/the/shared/object.so.N)": the path must be a real file.
            let linkage = try #require(line.split(separator: "(").last.map { String($0.dropLast()) })
            #expect(linkage == "static" || FileManager.default.fileExists(atPath: linkage), "\(library): \(line)")
        }
        // The versions are the libraries' own answers: the ones the system's -dev packages describe.
        if let sodium = try self.packageVersion("libsodium") {
            #expect(fields["libsodium"]?.hasPrefix(sodium + " (") == true)
        }
        if let zlib = try self.packageVersion("zlib") {
            #expect(fields["zlib"]?.hasPrefix(zlib + " (") == true)
        }
        if let pcap = try self.packageVersion("libpcap") {
            #expect(fields["libpcap"]?.contains("libpcap version \(pcap)") == true)
        }
        if let crypto = try self.packageVersion("libcrypto") {
            #expect(fields["libcrypto"]?.contains("OpenSSL \(crypto)") == true)
        }
    }

    @Test func dashCapitalVAndVersionCommandPrintTheSameText() throws {
        let reference = try TestSupport.wssniff("--version")
        for arguments in [["-V"], ["version"]] {
            let output = try TestSupport.wssniff(arguments: arguments)
            #expect(output.status == 0, "\(arguments)")
            #expect(output.stdout == reference.stdout, "\(arguments)")
        }
    }

    @Test func noArgumentsStillPrintsTheHelp() throws {
        let output = try TestSupport.wssniff(arguments: [])
        #expect(output.status == 0)
        #expect(output.stdout.contains("SUBCOMMANDS:"))
        #expect(!output.stdout.contains("commit:"))
    }
}
