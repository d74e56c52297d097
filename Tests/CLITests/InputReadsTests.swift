import Foundation
import Testing

/// How many times each command opens its input for reading, counted by strace: one pass for the analysis, one for
/// the SHA-256 when it is computed, one for the sanitized copy when it is written; never more.
@Suite struct InputReadsTests {
    static let strace = TestSupport.which("strace")

    /// Runs wssniff under strace and counts the successful opens of `input` for reading.
    private static func opens(of input: URL, _ arguments: [String]) throws -> Int {
        let strace = try #require(Self.strace, "strace is needed (scripts/setup.sh --test installs it)")
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let trace = directory.appendingPathComponent("trace").path
        let output = try TestSupport.run(
            strace,
            ["-f", "-qq", "-e", "trace=open,openat,openat2", "-o", trace, TestSupport.binary.path] + arguments
        )
        #expect(output.status == 0, "\(output.stderr)")
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        return lines.filter { line in
            line.contains("\"\(input.path)\"") && !line.contains("O_WRONLY") && !line.contains("O_RDWR")
                && !line.contains("= -1")
        }.count
    }

    /// A sample copied under a name of its own, so no other open matches it.
    private static func input(_ sample: String, in directory: URL) throws -> URL {
        let copy = directory.appendingPathComponent("input-\(sample)")
        try FileManager.default.copyItem(at: TestSupport.samplesDirectory.appendingPathComponent(sample), to: copy)
        return copy
    }

    @Test func reportReadsItsInputAtMostThreeTimes() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try Self.input("good-v3.pcap", in: directory)
        let out = directory.path
        // Markdown, JSON and the sanitized copy: the analysis, the hash and the copy.
        let all = try Self.opens(
            of: input,
            [
                "report", "-o", "\(out)/r.md", "--json", "\(out)/r.json", "--sanitized-pcap", "\(out)/s.pcap",
                input.path,
            ]
        )
        #expect(all == 3)
        // Without the copy: the analysis and the hash.
        #expect(try Self.opens(of: input, ["report", "-o", "\(out)/r2.md", input.path]) == 2)
    }

    @Test func analyzeReadsItsInputOnceAndTwiceForTheHash() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try Self.input("good-v3.pcapng", in: directory)
        #expect(try Self.opens(of: input, ["analyze", "--format", "json", input.path]) == 1)
        #expect(try Self.opens(of: input, ["analyze", "--format", "json", "--sha256", input.path]) == 2)
        #expect(try Self.opens(of: input, ["analyze", input.path]) == 1)
    }
}
