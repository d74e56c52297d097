import Foundation
import Glibc
import Testing

/// Captures read from standard input, a FIFO and `/dev/stdin`: the same analysis as the file, verdicts printed as
/// connections end while the writer is still writing, and `report -` spooled once to a private temporary file.
@Suite struct StandardInputTests {
    static func inputs() -> [String] {
        let samples = (try? FileManager.default.contentsOfDirectory(atPath: TestSupport.samplesDirectory.path)) ?? []
        return samples.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
            .map { TestSupport.samplesDirectory.appendingPathComponent($0).path }
            + TestSupport.corpusFiles().map(\.path)
    }

    /// Runs a shell command line and returns its output.
    static func shell(_ script: String) throws -> TestSupport.Output {
        try TestSupport.run("/bin/sh", ["-c", script])
    }

    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static var wssniff: String { Self.quoted(TestSupport.binary.path) }

    /// The connection blocks of a text output (from a `#N ` line to the next) without their numbers, and the lines
    /// after the last block (the input summary and the tally).
    static func blocks(_ text: String) -> (blocks: [String], tail: [String]) {
        var blocks: [[Substring]] = []
        var tail: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.first == "#", let space = line.firstIndex(of: " ") {
                blocks.append([line[space...]])
            } else if line.hasPrefix("    "), !blocks.isEmpty, tail.isEmpty {
                blocks[blocks.count - 1].append(line)
            } else {
                tail.append(line)
            }
        }
        return (blocks.map { $0.joined(separator: "\n") }, tail.map(String.init))
    }

    static func json(_ text: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw TestFailure("not a JSON object")
        }
        return object
    }

    /// A JSON value as canonical text (sorted keys), to compare two documents whole.
    static func canonical(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test(arguments: Self.inputs())
    func pipedJSONEqualsTheFile(path: String) throws {
        let file = try TestSupport.wssniff("analyze", "--format", "json", path)
        let piped = try Self.shell("cat \(Self.quoted(path)) | \(Self.wssniff) analyze --format json -")
        #expect(file.status == 0 && piped.status == 0, "\(piped.stderr)")
        var document = try Self.json(piped.stdout)
        // Standard input is named `-`; everything else, the SHA-256 and the size included, is the file's.
        var input = try #require(document["input"] as? [String: Any])
        #expect(input["path"] as? String == "-")
        var files = try #require(input["files"] as? [[String: Any]])
        #expect(files.count == 1 && files[0]["path"] as? String == "-")
        input["path"] = path
        files[0]["path"] = path
        input["files"] = files
        document["input"] = input
        #expect(try Self.canonical(document) == Self.canonical(try Self.json(file.stdout)))
        #expect(piped.stderr == file.stderr.replacingOccurrences(of: path + ": ", with: "-: "))
    }

    @Test(arguments: Self.inputs())
    func pipedTextEqualsTheFile(path: String) throws {
        let file = try TestSupport.wssniff("analyze", path)
        let piped = try Self.shell("cat \(Self.quoted(path)) | \(Self.wssniff) analyze -")
        #expect(file.status == 0 && piped.status == 0, "\(piped.stderr)")
        let expected = file.stdout.replacingOccurrences(of: "file \(path) (", with: "standard input (")
        let document = try TestSupport.analyzeJSON([path])
        let connections = try #require(document["connections"] as? [[String: Any]])
        let ends = connections.compactMap { ($0["tcp"] as? [String: Any])?["lastPacket"] as? Int }
        if ends == ends.sorted() {
            // Connections end in the order they start: the output is the file's, byte for byte.
            #expect(piped.stdout == expected)
        } else {
            // A pipe prints each connection as it ends (numbered in that order); a file lists them in start order.
            let (pipedBlocks, pipedTail) = Self.blocks(piped.stdout)
            let (fileBlocks, fileTail) = Self.blocks(expected)
            #expect(pipedBlocks.sorted() == fileBlocks.sorted())
            #expect(pipedTail == fileTail)
            let printedEnds = pipedBlocks.compactMap { block -> Int? in
                guard let range = block.range(of: "packets ") else { return nil }
                let numbers = block[range.upperBound...].prefix { $0.isNumber || $0 == "-" }
                return Int(numbers.split(separator: "-").last ?? "")
            }
            #expect(printedEnds == ends.sorted())
        }
    }

    @Test func devStdinAndNoHash() throws {
        let path = TestSupport.samplesDirectory.appendingPathComponent("good-v3.pcapng").path
        let file = try Self.json(try TestSupport.wssniff("analyze", "--format", "json", "--no-hash", path).stdout)
        let piped = try Self.shell(
            "cat \(Self.quoted(path)) | \(Self.wssniff) analyze --format json --no-hash /dev/stdin"
        )
        #expect(piped.status == 0, "\(piped.stderr)")
        let input = try #require(try Self.json(piped.stdout)["input"] as? [String: Any])
        let expected = try #require(file["input"] as? [String: Any])
        #expect(input["sha256"] as? String == nil && expected["sha256"] as? String == nil)
        #expect(input["packets"] as? Int == expected["packets"] as? Int)
        // Standard input redirected from a file is mapped, and hashed, like the file.
        let redirected = try Self.shell("\(Self.wssniff) analyze --format json --sha256 - < \(Self.quoted(path))")
        let hashed = try #require(try Self.json(redirected.stdout)["input"] as? [String: Any])
        let full = try Self.json(try TestSupport.wssniff("analyze", "--format", "json", "--sha256", path).stdout)
        #expect(hashed["sha256"] as? String == (full["input"] as? [String: Any])?["sha256"] as? String)
        #expect(hashed["sha256"] as? String != nil)
    }

    @Test func emptyAndCutStandardInput() throws {
        let empty = try Self.shell("\(Self.wssniff) analyze - < /dev/null")
        #expect(empty.status == 65)
        #expect(empty.stderr.contains("standard input is empty"))
        let path = TestSupport.samplesDirectory.appendingPathComponent("good-v3.pcap").path
        let short = try Self.shell("head -c 10 \(Self.quoted(path)) | \(Self.wssniff) analyze -")
        #expect(short.status == 65)
        #expect(short.stderr.contains("standard input has only 10 bytes"))
        // A pipe cut inside a record: the same warning as the file cut at the same byte.
        let directory = try TestSupport.temporaryDirectory()
        let cut = directory.appendingPathComponent("cut.pcap").path
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 7).write(to: URL(fileURLWithPath: cut))
        let fromFile = try TestSupport.wssniff("analyze", "--format", "json", cut)
        let fromPipe = try Self.shell("cat \(Self.quoted(cut)) | \(Self.wssniff) analyze --format json -")
        let warnings = try #require(try Self.json(fromFile.stdout)["input"] as? [String: Any])["warnings"] as? [String]
        let pipedWarnings = try #require(try Self.json(fromPipe.stdout)["input"] as? [String: Any])["warnings"]
        #expect(warnings?.count == 1)
        #expect((pipedWarnings as? [String]) == warnings?.map { $0.replacingOccurrences(of: cut + ": ", with: "-: ") })
        #expect(try TestSupport.wssniff("analyze", "-", "-").status == 64)
        try? FileManager.default.removeItem(at: directory)
    }

    /// The records of a classic little-endian pcap file: its 24-byte header, then each record with its header.
    static func records(_ bytes: [UInt8]) -> (header: [UInt8], records: [[UInt8]]) {
        var records: [[UInt8]] = []
        var offset = 24
        while offset + 16 <= bytes.count {
            let captured =
                Int(bytes[offset + 8]) | Int(bytes[offset + 9]) << 8 | Int(bytes[offset + 10]) << 16
                | Int(bytes[offset + 11]) << 24
            records.append(Array(bytes[offset..<(offset + 16 + captured)]))
            offset += 16 + captured
        }
        return (Array(bytes.prefix(24)), records)
    }

    @Test func slowFIFOPrintsEachVerdictBeforeTheWriterCloses() throws {
        let sample = TestSupport.samplesDirectory.appendingPathComponent("interleaved.pcap").path
        let document = try TestSupport.analyzeJSON([sample])
        let connections = try #require(document["connections"] as? [[String: Any]])
        let ends = connections.compactMap { ($0["tcp"] as? [String: Any])?["lastPacket"] as? Int }.sorted()
        #expect(ends.count == 8)
        let (header, records) = Self.records(try [UInt8](Data(contentsOf: URL(fileURLWithPath: sample))))
        #expect(records.count == 719)

        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("capture.fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let process = Process()
        process.executableURL = TestSupport.binary
        process.arguments = ["analyze", fifo]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let printed = Box("")
        let reading = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            while true {
                let data = output.fileHandleForReading.availableData
                if data.isEmpty { break }
                printed.update { $0 += String(decoding: data, as: UTF8.self) }
            }
            reading.signal()
        }
        let writer = open(fifo, O_WRONLY)
        #expect(writer >= 0)
        func send(_ bytes: [UInt8]) {
            var offset = 0
            while offset < bytes.count {
                let count = bytes.withUnsafeBytes { write(writer, $0.baseAddress! + offset, bytes.count - offset) }
                if count <= 0 { return }
                offset += count
            }
        }
        func verdictsPrinted() -> Int {
            printed.value.split(separator: "\n").filter { $0.hasPrefix("#") }.count
        }
        send(header)
        var sent = 0
        for (index, end) in ends.enumerated() {
            // The records up to this connection's last packet, a few at a time with pauses.
            while sent < end {
                let next = min(end, sent + 50)
                for record in records[sent..<next] { send(record) }
                sent = next
                usleep(5_000)
            }
            let deadline = Date().addingTimeInterval(10)
            while verdictsPrinted() < index + 1 && Date() < deadline { usleep(10_000) }
            #expect(verdictsPrinted() == index + 1, "after packet \(end), the writer still open: \(printed.value)")
        }
        #expect(!printed.value.contains("8 connections:"), "the tally waits for the end of the input")
        for record in records[sent...] { send(record) }
        close(writer)
        process.waitUntilExit()
        reading.wait()
        #expect(process.terminationStatus == 0)
        #expect(printed.value.contains("8 connections: 3 accepted"))
    }

    @Test func reportFromStandardInputIsSpooledOnce() throws {
        let sample = TestSupport.samplesDirectory.appendingPathComponent("bad-params.pcap").path
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let spoolDirectory = directory.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: spoolDirectory, withIntermediateDirectories: true)
        let fromFile = directory.appendingPathComponent("file.pcap").path
        let fromPipe = directory.appendingPathComponent("pipe.pcap").path
        let file = try TestSupport.wssniff("report", sample, "--sanitized-pcap", fromFile)
        let piped = try Self.shell(
            "cat \(Self.quoted(sample)) | TMPDIR=\(Self.quoted(spoolDirectory.path)) \(Self.wssniff) report - "
                + "--sanitized-pcap \(Self.quoted(fromPipe))"
        )
        #expect(file.status == 0 && piped.status == 0, "\(piped.stderr)")
        #expect(
            piped.stdout
                == file.stdout.replacingOccurrences(of: "| \(sample) (", with: "| standard input (")
                .replacingOccurrences(of: fromFile, with: fromPipe)
        )
        #expect(piped.stdout.contains("| standard input (3153 bytes, 17 packets) |"))
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: fromPipe)) == Data(contentsOf: URL(fileURLWithPath: fromFile))
        )
        #expect(piped.stderr.contains("copying standard input to \(spoolDirectory.path)/wssniff-input-"))
        #expect(piped.stderr.contains("(mode 0600, removed at exit)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: spoolDirectory.path).isEmpty)
    }

    @Test func spooledInputIsRemovedOnSIGTERM() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let stderrPath = directory.appendingPathComponent("stderr").path
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let process = Process()
        process.executableURL = TestSupport.binary
        process.arguments = ["report", "-"]
        process.environment = ["TMPDIR": directory.path]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
        let sample = try Data(
            contentsOf: TestSupport.samplesDirectory.appendingPathComponent("good-v3.pcap")
        )
        input.fileHandleForWriting.write(sample.prefix(1_000))
        var spool: String?
        let deadline = Date().addingTimeInterval(10)
        while spool == nil && Date() < deadline {
            let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            if let range = text.range(of: "copying standard input to ") {
                spool = String(text[range.upperBound...].prefix { $0 != " " })
            }
            usleep(10_000)
        }
        let path = try #require(spool)
        var status = stat()
        #expect(stat(path, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)
        kill(process.processIdentifier, SIGTERM)
        let exitDeadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < exitDeadline { usleep(10_000) }
        if process.isRunning {
            Issue.record("wssniff report - did not stop on SIGTERM")
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(access(path, F_OK) != 0, "the spooled copy is removed on SIGTERM")
        try? input.fileHandleForWriting.close()
    }
}
