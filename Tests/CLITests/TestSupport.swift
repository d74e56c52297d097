import Foundation

/// Paths and process helpers shared by the tests that run the built `wssniff` binary.
enum TestSupport {
    /// The package root, found from this file's path (`Tests/CLITests/TestSupport.swift`).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The third-party captures, read in place from `../shared/corpus/third-party/`.
    static let corpusDirectory = packageRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/corpus/third-party")

    static let samplesDirectory = packageRoot.appendingPathComponent("samples")

    static func corpusFiles() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: corpusDirectory.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
            .map { corpusDirectory.appendingPathComponent($0) }
    }

    /// The `wssniff` binary built beside this test bundle.
    static let binary: URL = {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("wssniff")
    }()

    static var isRoot: Bool { geteuid() == 0 }

    static func which(_ tool: String) -> String? {
        for directory in ["/usr/bin", "/usr/sbin", "/bin", "/usr/local/bin"] {
            let path = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a program to completion and collects its output.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 120) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let outPipe = Pipe()
        let errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Drain both pipes while the process runs, so a large output cannot block it.
        let outData = Box(Data())
        let errData = Box(Data())
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            outData.value = outPipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            errData.value = errPipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) did not finish in \(timeout) s")
        }
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            stdout: String(decoding: outData.value, as: UTF8.self),
            stderr: String(decoding: errData.value, as: UTF8.self)
        )
    }

    static func wssniff(_ arguments: String...) throws -> Output {
        try Self.run(Self.binary.path, arguments)
    }

    static func wssniff(arguments: [String]) throws -> Output {
        try Self.run(Self.binary.path, arguments)
    }

    /// Runs `wssniff analyze --format json` and parses the document.
    static func analyzeJSON(_ paths: [String], extra: [String] = []) throws -> [String: Any] {
        let output = try Self.wssniff(arguments: ["analyze", "--format", "json"] + extra + paths)
        guard output.status == 0 else {
            throw TestFailure("wssniff analyze failed (\(output.status)): \(output.stderr)")
        }
        guard let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("wssniff analyze did not print a JSON object")
        }
        return object
    }

    /// A fresh directory, removed when the test process exits (tests that are done with it earlier remove it
    /// themselves).
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wssniff-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        Self.removeAtExit(url)
        return url
    }

    /// Directories to remove when the process exits: a test run otherwise leaves hundreds in /tmp.
    private static let leftovers: Box<[String]> = {
        atexit {
            for path in TestSupport.leftovers.value {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        return Box([])
    }()

    private static func removeAtExit(_ url: URL) {
        Self.leftovers.update { $0.append(url.path) }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A value shared with a background thread; the lock makes the hand-over safe.
final class Box<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { self.stored = value }

    var value: Value {
        get { self.lock.withLock { self.stored } }
        set { self.lock.withLock { self.stored = newValue } }
    }

    /// Changes the value in place under the lock (a read then a write would race).
    func update(_ change: (inout Value) -> Void) {
        self.lock.withLock { change(&self.stored) }
    }
}
