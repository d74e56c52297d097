import Foundation
import Testing

@testable import WSSniff

/// The sanitized copy of every bundled sample and every third-party capture holds none of the secrets the analysis
/// found (and, for the samples, none of the reference gateway's token): not in its bytes, not in tshark's decoding
/// of it (every data source `tshark -x` prints: reassembled, unmasked, decompressed), not in `wssniff analyze
/// --show-secrets` of it; and the verdicts stay the same unless the report says what it blanked.
@Suite(.serialized) struct SanitizedCopyLeakTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let samples = packageRoot.appendingPathComponent("samples")
    static let corpus = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus/third-party")
    /// The token the reference gateway ran with when the samples were recorded (tools/gateway/run-scenarios.sh).
    static let referenceToken = "wssniff-reference-token"

    static func captures(in directory: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
            .map { directory.appendingPathComponent($0).path }
    }

    static let allCaptures = Self.captures(in: Self.samples) + Self.captures(in: Self.corpus)

    /// The built `wssniff`, beside this test bundle.
    static let binary: String = {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("wssniff").path
    }()

    static func which(_ tool: String) -> String? {
        ["/usr/bin", "/usr/local/bin", "/bin"].map { "\($0)/\(tool)" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// Runs a program and gives its standard output (standard error is discarded) and exit status.
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data)
    }

    /// Every data source of every packet as tshark decodes the capture (`-x` with TCP reassembly, out-of-order too): the frame, and
    /// each reassembled, unmasked or decompressed buffer, as bytes.
    static func tsharkSources(_ path: String) throws -> [[UInt8]] {
        guard let tshark = Self.which("tshark") else { return [] }
        let output = try Self.run(
            tshark,
            [
                "-r", path, "-o", "tcp.desegment_tcp_streams:TRUE", "-o", "tcp.reassemble_out_of_order:TRUE", "-x",
            ]
        )
        var sources: [[UInt8]] = []
        var current: [UInt8] = []
        for line in String(decoding: output.stdout, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let offset = fields.first, offset.count == 4, Int(offset, radix: 16) != nil else { continue }
            if offset == "0000", !current.isEmpty {
                sources.append(current)
                current = []
            }
            // The hex columns, up to 16 two-digit fields; the ASCII column follows after two spaces.
            let hex = line.dropFirst(6).prefix(16 * 3)
            for field in hex.split(separator: " ") where field.count == 2 {
                if let byte = UInt8(field, radix: 16) { current.append(byte) }
            }
        }
        if !current.isEmpty { sources.append(current) }
        return sources
    }

    static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let needle = Array(needle.utf8)
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains {
            haystack[$0] == needle[0] && haystack[$0..<($0 + needle.count)].elementsEqual(needle)
        }
    }

    /// The verdict causes `wssniff analyze --format json` gives the capture, one per connection.
    static func causes(_ path: String) throws -> [String] {
        let output = try Self.run(Self.binary, ["analyze", "--format", "json", path])
        let document = try JSONSerialization.jsonObject(with: output.stdout) as? [String: Any]
        return (document?["connections"] as? [[String: Any]] ?? []).map {
            ($0["verdict"] as? [String: Any])?["cause"] as? String ?? "?"
        }
    }

    struct Sanitized {
        var report: EvidenceReport
        var copy: String
        var secrets: [String]
    }

    /// Runs `wssniff report --sanitized-pcap` on the capture (in process) and gives the report, the copy's path
    /// (removed when `body` returns) and the secrets to look for.
    static func sanitize<T>(_ capture: String, _ body: (Sanitized) throws -> T) throws -> T {
        let copy = FileManager.default.temporaryDirectory
            .appendingPathComponent("wssniff-leak-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: copy) }
        var request = ReportRequest()
        request.captures = [capture]
        request.sanitizedPath = copy
        let report = try EvidenceReport.make(request)
        var secrets = report.secrets.filter { $0.utf8.count >= 6 }
        if capture.hasPrefix(Self.samples.path) { secrets.insert(Self.referenceToken) }
        return try body(Sanitized(report: report, copy: copy, secrets: secrets.sorted()))
    }

    /// Where any of `secrets` is found in the capture at `path`: its bytes, tshark's decoding, and (when
    /// `analyze`) `wssniff analyze --show-secrets` of it.
    static func places(of secrets: [String], in path: String, analyze: Bool) throws -> [String] {
        var places: [String] = []
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let sources = try Self.tsharkSources(path)
        let shown = analyze ? Array(try Self.run(Self.binary, ["analyze", "--show-secrets", path]).stdout) : []
        for secret in secrets {
            if Self.contains(bytes, secret) { places.append("\(secret.prefix(10))... in the bytes") }
            if sources.contains(where: { Self.contains($0, secret) }) {
                places.append("\(secret.prefix(10))... in tshark's decoding")
            }
            if Self.contains(shown, secret) { places.append("\(secret.prefix(10))... in analyze --show-secrets") }
        }
        return places
    }

    @Test(arguments: Self.allCaptures)
    func theSanitizedCopyHoldsNoSecret(_ capture: String) throws {
        try Self.sanitize(capture) { sanitized in
            let notes = sanitized.report.sanitizerNotes
            if sanitized.report.secrets.isEmpty {
                #expect(notes.first?.hasPrefix("0 secret values found") == true)
            } else {
                #expect(notes.first?.hasPrefix("0 secret values found") == false)
            }
            // The control: the capture does carry a secret wherever one was found (so the search below can fail).
            let original = try Self.places(of: sanitized.secrets, in: capture, analyze: true)
            if !sanitized.report.secrets.isEmpty {
                #expect(!original.isEmpty, "the control: \(capture) carries its secrets")
            }
            let leaks = try Self.places(of: sanitized.secrets, in: sanitized.copy, analyze: true)
            #expect(leaks == [], "\(capture)")
            // The verdicts stay, unless the report says what was blanked (which may change them).
            if !notes.contains(where: { $0.contains("blanked") }) {
                let before = try Self.causes(capture)
                let after = try Self.causes(sanitized.copy)
                #expect(after == before, "\(capture)")
            }
        }
    }

    /// The sample whose connect is a fragmented message with a data frame inside it (a framing breach): the token
    /// sits in the second message, which the sanitizer's own reading used to miss ("0 secret values found", the
    /// token in clear in the copy). The message is read joined to the unfinished one before it, and its token is
    /// rewritten where the analysis found it.
    @Test func aConnectCutByADataFrameHasItsTokenRewritten() throws {
        let capture = Self.samples.appendingPathComponent("raw-data-frame-inside-fragmented-message.pcap").path
        if Self.which("tshark") != nil {
            let control = try Self.places(of: [Self.referenceToken], in: capture, analyze: false)
            #expect(control == ["\(Self.referenceToken.prefix(10))... in tshark's decoding"], "the control")
        }
        try Self.sanitize(capture) { sanitized in
            #expect(sanitized.report.secrets.contains(Self.referenceToken))
            #expect(
                sanitized.report.sanitizerNotes.first?.hasPrefix("1 secret value found; 23 bytes rewritten") == true
            )
            let leaks = try Self.places(of: [Self.referenceToken], in: sanitized.copy, analyze: true)
            #expect(leaks == [])
            let before = try Self.causes(capture)
            let after = try Self.causes(sanitized.copy)
            #expect(after == before)
        }
    }

    /// Samples whose connect carries the reference token, in the shapes that matter for mapping: one segment, a
    /// fragmented message, 1-3 byte segments, a compressed message, the Linux cooked link type.
    static let rewrittenSamples = [
        "good-v3.pcap", "fragmented-connect.pcap", "tiny-frames.pcap", "good-v3-deflate.pcap", "cooked-any.pcap",
    ]

    /// The same samples as real capture setups store them (tools/rewrite): each peer ACK ahead of the data it
    /// acknowledges, adjacent records of the two directions swapped, every packet stored twice (once NATed). The
    /// reassembler holds and reorders these records, and the provenance must follow every copy of every byte to
    /// its own record: the copy holds no secret, and its verdict is the one of the sanitized original.
    @Test(arguments: Self.rewrittenSamples, ["ack-ahead", "swap", "duplicate"])
    func aRewrittenCaptureIsSanitizedInEveryCopy(_ sample: String, _ rewrite: String) throws {
        guard let python = Self.which("python3") else { return }
        let tool = Self.packageRoot.appendingPathComponent("tools/rewrite/rewrite_capture.py").path
        let rewritten = FileManager.default.temporaryDirectory
            .appendingPathComponent("wssniff-leak-\(rewrite)-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: rewritten) }
        let source = Self.samples.appendingPathComponent(sample).path
        let status = try Self.run(python, [tool, rewrite, source, rewritten]).status
        try #require(status == 0, "the rewrite")
        let original = try Self.sanitize(source) { sanitized in try Self.causes(sanitized.copy) }
        try Self.sanitize(rewritten) { sanitized in
            #expect(sanitized.secrets.contains(Self.referenceToken))
            let control = try Self.places(of: [Self.referenceToken], in: rewritten, analyze: true)
            #expect(control.count >= 2, "the control: tshark and wssniff read the token in the rewritten capture")
            let leaks = try Self.places(of: sanitized.secrets, in: sanitized.copy, analyze: true)
            #expect(leaks == [], "\(sample) \(rewrite)")
            #expect(try Self.causes(sanitized.copy) == original, "\(sample) \(rewrite)")
        }
    }
}
