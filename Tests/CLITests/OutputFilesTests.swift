import Foundation
import Glibc
import Testing

/// What `wssniff report` does with the files it is given: it never writes over an input or writes two outputs into
/// one file, puts all its outputs in place together or none (a failing output, a signal), replaces an existing
/// output with a new private file instead of writing through it, and exits with the documented status for an input
/// it cannot open.
@Suite struct OutputFilesTests {
    static let sample = TestSupport.samplesDirectory.appendingPathComponent("good-v3.pcap").path

    /// A fresh directory holding a copy of the sample as `cap.pcap`.
    static func directoryWithCapture() throws -> (directory: URL, capture: String) {
        let directory = try TestSupport.temporaryDirectory()
        let capture = directory.appendingPathComponent("cap.pcap").path
        try FileManager.default.copyItem(atPath: Self.sample, toPath: capture)
        return (directory, capture)
    }

    /// The names in `directory`, sorted.
    static func names(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    static func bytes(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// How an output names the capture (or another output) in `sameFileIsRefused`.
    enum Alias: String, CaseIterable, Sendable {
        case path, dotSlash, symlink, hardLink, throughParent
    }

    /// Every output option, given the capture itself under every name it has: refused with exit 64 and a message
    /// naming both, the capture's bytes unchanged, and nothing created.
    @Test(arguments: Alias.allCases, ["-o", "--json", "--sanitized-pcap"])
    func sameFileAsTheCaptureIsRefused(alias: Alias, option: String) throws {
        let (directory, capture) = try Self.directoryWithCapture()
        defer { try? FileManager.default.removeItem(at: directory) }
        let before = try Self.bytes(capture)
        let name: String
        switch alias {
        case .path:
            name = capture
        case .dotSlash:
            name = "./cap.pcap"
        case .symlink:
            name = directory.appendingPathComponent("link.pcap").path
            try FileManager.default.createSymbolicLink(atPath: name, withDestinationPath: "cap.pcap")
        case .hardLink:
            name = directory.appendingPathComponent("hard.pcap").path
            try FileManager.default.linkItem(atPath: capture, toPath: name)
        case .throughParent:
            let sub = directory.appendingPathComponent("sub")
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: false)
            name = sub.path + "/../cap.pcap"
        }
        let listed = try Self.names(directory)
        let output = try TestSupport.run(
            "/bin/sh",
            ["-c", "cd '\(directory.path)' && exec '\(TestSupport.binary.path)' report cap.pcap \(option) '\(name)'"]
        )
        #expect(output.status == 64, "\(output.stderr)")
        #expect(
            output.stderr.contains("\(option) \(name) is the same file as the capture cap.pcap"),
            "\(output.stderr)"
        )
        #expect(try Self.bytes(capture) == before, "the capture's bytes are unchanged")
        #expect(try Self.names(directory) == listed, "nothing is created")
    }

    /// The identity and config files are inputs too; and two outputs may not be one file.
    @Test func sameFileAsAnotherInputOrOutputIsRefused() throws {
        let (directory, capture) = try Self.directoryWithCapture()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("openclaw.json").path
        try Data(#"{ gateway: { port: 42919 } }"#.utf8).write(to: URL(fileURLWithPath: config))
        let configBefore = try Self.bytes(config)
        let captureBefore = try Self.bytes(capture)
        let listed = try Self.names(directory)

        let overConfig = try TestSupport.wssniff("report", capture, "--config", config, "--json", config)
        #expect(overConfig.status == 64, "\(overConfig.stderr)")
        #expect(overConfig.stderr.contains("--json \(config) is the same file as --config \(config)"))
        #expect(try Self.bytes(config) == configBefore)

        let report = directory.appendingPathComponent("report.md").path
        let twice = try TestSupport.wssniff("report", capture, "-o", report, "--sanitized-pcap", report)
        #expect(twice.status == 64, "\(twice.stderr)")
        #expect(twice.stderr.contains("--sanitized-pcap \(report) and -o \(report) are the same file"))
        let link = directory.appendingPathComponent("report-link.md").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "report.md")
        let dangling = try TestSupport.wssniff("report", capture, "-o", report, "--json", link)
        #expect(dangling.status == 64, "a link to an output not created yet is that output: \(dangling.stderr)")
        try FileManager.default.removeItem(atPath: link)
        #expect(try Self.names(directory) == listed)
        #expect(try Self.bytes(capture) == captureBefore)

        // The same character device twice is not a clash: both go to /dev/null.
        let discarded = try TestSupport.wssniff("report", capture, "-o", "/dev/null", "--json", "/dev/null")
        #expect(discarded.status == 0, "\(discarded.stderr)")
    }

    /// A later output that cannot be written (a directory, a missing directory, a path under a file) fails the run
    /// before any output is put in place: a new first output is not left behind, an existing one keeps its bytes and
    /// mode, and no temporary file remains.
    @Test(arguments: ["directory", "missing/report.json", "cap.pcap/report.json"])
    func aFailingOutputLeavesEveryOtherAsItWas(bad: String) throws {
        let (directory, capture) = try Self.directoryWithCapture()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("directory"),
            withIntermediateDirectories: false
        )
        let markdown = directory.appendingPathComponent("report.md").path
        let sanitized = directory.appendingPathComponent("sanitized.pcap").path
        let json = directory.appendingPathComponent(bad).path
        let listed = try Self.names(directory)

        let fresh = try TestSupport.wssniff(
            "report",
            capture,
            "-o",
            markdown,
            "--sanitized-pcap",
            sanitized,
            "--json",
            json
        )
        #expect(fresh.status == 74, "\(fresh.stderr)")
        #expect(fresh.stderr.contains(json), "\(fresh.stderr)")
        #expect(try Self.names(directory) == listed, "no report.md, no sanitized copy, no temporary")

        let old = Data("an earlier report\n".utf8)
        try old.write(to: URL(fileURLWithPath: markdown))
        chmod(markdown, 0o644)
        let existing = try TestSupport.wssniff("report", capture, "-o", markdown, "--json", json)
        #expect(existing.status == 74, "\(existing.stderr)")
        #expect(try Self.bytes(markdown) == old, "the existing report is untouched")
        let mode = try FileManager.default.attributesOfItem(atPath: markdown)[.posixPermissions] as? Int
        #expect(mode == 0o644)
        #expect(try Self.names(directory) == (listed + ["report.md"]).sorted())
    }

    /// An existing output is replaced by a new file (mode 0600, owned by the user running wssniff), not written
    /// through: a hard link to the old file keeps the old bytes, and the old owner and mode do not carry over.
    @Test func anExistingOutputIsReplacedNotWrittenThrough() throws {
        let (directory, capture) = try Self.directoryWithCapture()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outputs = ["report.md", "report.json", "sanitized.pcap"].map { directory.appendingPathComponent($0).path }
        let old = Data("kept by its other name\n".utf8)
        for path in outputs {
            try old.write(to: URL(fileURLWithPath: path))
            chmod(path, 0o644)
            if TestSupport.isRoot { chown(path, 65534, 65534) }
            try FileManager.default.linkItem(atPath: path, toPath: path + ".other")
        }
        let output = try TestSupport.wssniff(
            "report",
            capture,
            "-o",
            outputs[0],
            "--json",
            outputs[1],
            "--sanitized-pcap",
            outputs[2]
        )
        #expect(output.status == 0, "\(output.stderr)")
        for path in outputs {
            #expect(try Self.bytes(path + ".other") == old, "\(path): the old file is not written through")
            #expect(try Self.bytes(path) != old)
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect(attributes[.posixPermissions] as? Int == 0o600, "\(path)")
            #expect(attributes[.ownerAccountID] as? Int == Int(geteuid()), "\(path)")
        }
        let copied = try Self.bytes(outputs[2]).count
        #expect(copied == (try Self.bytes(capture).count))
    }

    /// Report files are 0600 whatever the umask (the umask only takes bits away; 0600 is set, not left to it).
    @Test func outputsArePrivateUnderAnyUmask() throws {
        let (directory, _) = try Self.directoryWithCapture()
        defer { try? FileManager.default.removeItem(at: directory) }
        for mask in ["000", "022", "077"] {
            let output = try TestSupport.run(
                "/bin/sh",
                [
                    "-c",
                    "cd '\(directory.path)' && umask \(mask) && exec '\(TestSupport.binary.path)' report cap.pcap "
                        + "-o r\(mask).md --json r\(mask).json --sanitized-pcap r\(mask).pcap",
                ]
            )
            #expect(output.status == 0, "\(output.stderr)")
            for name in ["r\(mask).md", "r\(mask).json", "r\(mask).pcap"] {
                let path = directory.appendingPathComponent(name).path
                let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
                #expect(mode == 0o600, "\(name) under umask \(mask)")
            }
        }
    }

    /// A capture large enough that the sanitized copy takes a while: the interleaved sample's records, repeated.
    static func largeCapture(in directory: URL) throws -> String {
        let sample = try Data(contentsOf: TestSupport.samplesDirectory.appendingPathComponent("interleaved.pcap"))
        var bytes = Data(sample.prefix(24))
        let records = sample.dropFirst(24)
        for _ in 0..<150 { bytes.append(records) }
        let path = directory.appendingPathComponent("large.pcap").path
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// SIGINT or SIGTERM while the sanitized copy is being written: no half-written copy, no temporary, and the
    /// existing report not clobbered.
    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalHalfWayLeavesNoPartialFile(signal: Int32) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let capture = try Self.largeCapture(in: directory)
        let markdown = directory.appendingPathComponent("report.md").path
        let old = Data("an earlier report\n".utf8)
        try old.write(to: URL(fileURLWithPath: markdown))
        let listed = try Self.names(directory)

        let process = Process()
        process.executableURL = TestSupport.binary
        process.arguments = [
            "report", capture, "-o", markdown, "--sanitized-pcap", directory.appendingPathComponent("copy.pcap").path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until the copy (under whatever name) has bytes on disk, then signal.
        let deadline = Date().addingTimeInterval(120)
        var writing = false
        while Date() < deadline, process.isRunning, !writing {
            for name in try Self.names(directory) where name.contains("copy.pcap") {
                let path = directory.appendingPathComponent(name).path
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                if size > 0 { writing = true }
            }
            if !writing { usleep(2_000) }
        }
        try #require(writing && process.isRunning, "the copy was not caught being written")
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == signal)
        #expect(try Self.names(directory) == listed, "no copy, no temporary")
        #expect(try Self.bytes(markdown) == old)
    }

    // MARK: - Exit codes

    /// An input that cannot be opened exits 66 in every command that reads one, as README documents, and nothing is
    /// written.
    @Test func anInputThatCannotBeOpenedExits66() throws {
        let (directory, capture) = try Self.directoryWithCapture()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("missing.pcap").path
        let report = directory.appendingPathComponent("report.md").path
        let runs: [[String]] = [
            ["report", missing],
            ["report", missing, "-o", report, "--json", report + ".json"],
            ["report", capture, missing, "-o", report],
            ["report", capture, "--identity", missing, "-o", report],
            ["report", capture, "--config", missing, "-o", report],
            ["analyze", missing],
            ["analyze", capture, missing],
            ["verify", missing, "--nonce", "n"],
            ["sign", "--identity", missing, "--nonce", "n"],
        ]
        for arguments in runs {
            let output = try TestSupport.wssniff(arguments: arguments)
            #expect(output.status == 66, "\(arguments.joined(separator: " ")): \(output.stderr)")
            #expect(output.stderr.contains("cannot open"), "\(output.stderr)")
        }
        #expect(try Self.names(directory) == ["cap.pcap"])
    }

    /// A capture readable only by its owner, read by another user (nobody through setpriv): 66 as well.
    @Test(.enabled(if: TestSupport.isRoot && TestSupport.which("setpriv") != nil, "needs root and setpriv"))
    func anUnreadableInputExits66() throws {
        let (directory, capture) = try Self.directoryWithCapture()
        defer { try? FileManager.default.removeItem(at: directory) }
        chmod(directory.path, 0o755)
        chmod(capture, 0o600)
        let setpriv = try #require(TestSupport.which("setpriv"))
        for command in ["report", "analyze"] {
            let output = try TestSupport.run(
                setpriv,
                ["--reuid=65534", "--regid=65534", "--clear-groups", TestSupport.binary.path, command, capture]
            )
            #expect(output.status == 66, "\(command): \(output.stderr)")
            #expect(output.stderr.contains("Permission denied"), "\(output.stderr)")
        }
    }
}
