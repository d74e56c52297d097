import Dispatch
import Dissect
import Glibc
import ProofVerify

/// Reads capture files in order through the pipeline, as one continuous capture (rotated files continue each other).
///
/// A path of `-` is standard input. An input that cannot be mapped (standard input, a FIFO, `/dev/stdin` on a pipe)
/// is read as a stream: its records reach the pipeline as they arrive, and its SHA-256 is computed over the bytes read.
package enum FileInput {
    /// Inputs already opened by ``check(paths:hash:)``, by their index in `paths`: a stream's header can be read only
    /// once, and a file checked ahead is not opened again for the analysis.
    package struct Opened {
        fileprivate var streams: [Int: OpenedStream] = [:]

        package init() {}
    }

    /// Files beyond this many are checked and closed again, then reopened for the analysis, so a long list of
    /// rotated files does not hold a descriptor each.
    static let filesKeptOpen = 64

    /// Feeds every record of every file to `pipeline`, numbering records continuously across files.
    ///
    /// - Parameter opened: what ``check(paths:hash:)`` opened ahead; streams among `paths` must be in it when it was
    ///   called (they are opened here otherwise).
    package static func run(
        paths: [String],
        hash: Bool = true,
        progress: Bool = false,
        opened: Opened = Opened(),
        pipeline: inout Pipeline,
        finished: (ConnectionReport) -> Void
    ) throws(WSSniffError) {
        var nextNumber = 1
        for (index, path) in paths.enumerated() {
            let stream: OpenedStream
            if let ahead = opened.streams[index] {
                stream = ahead
                stream.reader.numberRecords(from: nextNumber)
            } else {
                stream = try OpenedStream(path: path, hash: hash, firstNumber: nextNumber)
            }
            let reader = stream.reader
            // A mapped file's SHA-256 is computed on the other core while this one analyzes it; a stream's, as it is
            // read.
            let digest =
                hash && !reader.isStream ? BackgroundHash(path: Self.hashPath(path), limit: reader.fileSize) : nil
            var packets = 0
            var meter = progress && !reader.isStream ? ProgressMeter(path: path, size: reader.fileSize) : nil
            do {
                // While a stream's writer is quiet, connections held for another capture point's copy of them go
                // on: their copy would have come with them.
                let releaseWaiting = { pipeline.releaseWaiting(finished) }
                try withoutActuallyEscaping(releaseWaiting) { stalled in
                    if reader.isStream { reader.stallHandler = stalled }
                    defer { reader.stallHandler = nil }
                    while try reader.next({ info, bytes in
                        packets += 1
                        pipeline.ingest(info, bytes.bytes, finished: finished)
                        if packets & 0x3fff == 0 { meter?.update(bytes: reader.bytesRead, packets: packets) }
                    }) {}
                }
                meter?.finish()
            } catch let error as CaptureError {
                throw Self.translate(error, path: path)
            } catch {
                throw WSSniffError(.invalidCapture, "\(path): \(error)")
            }
            nextNumber += packets
            let sha256: String?
            if let digest {
                sha256 = try digest.wait()
            } else if hash {
                sha256 = try stream.streamDigest()
            } else {
                sha256 = nil
            }
            pipeline.addFile(
                InputSummary.File(
                    path: path,
                    sha256: sha256,
                    size: reader.fileSize,
                    packets: packets,
                    warnings: reader.warnings.map { "\($0)" }
                )
            )
        }
    }

    /// Opens each file as a capture and reads its header, so a command that streams its output can fail before it
    /// prints anything. Streams stay open (their header cannot be read twice), and so do the first
    /// ``filesKeptOpen`` files (not opened twice): pass the result to
    /// ``run(paths:hash:progress:opened:pipeline:finished:)``.
    @discardableResult
    package static func check(paths: [String], hash: Bool = true) throws(WSSniffError) -> Opened {
        try Self.checkStandardInput(paths)
        var opened = Opened()
        for (index, path) in paths.enumerated() {
            let stream = try OpenedStream(path: path, hash: hash, firstNumber: 1)
            if stream.reader.isStream || index < Self.filesKeptOpen {
                opened.streams[index] = stream
            }
        }
        return opened
    }

    /// Refuses `-` twice: standard input can be read only once.
    package static func checkStandardInput(_ paths: [String]) throws(WSSniffError) {
        if paths.filter({ $0 == "-" }).count > 1 {
            throw WSSniffError(.usage, "- (standard input) can be read only once: name it once")
        }
    }

    /// Whether `path` must be read as a stream: standard input, or anything that is not a regular file.
    package static func isStream(_ path: String) -> Bool {
        var status = stat()
        let result = path == "-" ? fstat(STDIN_FILENO, &status) : stat(path, &status)
        return result == 0 && (status.st_mode & S_IFMT) != S_IFREG
    }

    /// The path a mapped input is hashed through: standard input redirected from a file has no name of its own.
    private static func hashPath(_ path: String) -> String {
        path == "-" ? "/dev/stdin" : path
    }

    fileprivate static func translateError(_ error: CaptureError, path: String) -> WSSniffError {
        Self.translate(error, path: path)
    }

    private static func translate(_ error: CaptureError, path: String) -> WSSniffError {
        switch error.code {
        case .cannotOpen:
            return WSSniffError(.cannotOpenInput, "\(error)")
        default:
            // The message names the file already; standard input is named so in it.
            return WSSniffError(.invalidCapture, path == "-" ? "\(error)" : "\(path): \(error)")
        }
    }

    /// SHA-256 of a file's bytes, read in 1 MiB chunks, as lowercase hex.
    /// `limit`: hash at most this many bytes (the size analyzed, for a file still being written).
    package static func sha256(ofFileAt path: String, limit: Int = .max) throws(WSSniffError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw WSSniffError(.cannotOpenInput, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var hasher = FileDigest()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var remaining = limit
        while remaining > 0 {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, remaining)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw WSSniffError(.cannotOpenInput, "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            remaining -= count
            chunk.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        guard let digest = hasher.finalize() else {
            throw WSSniffError(.cannotOpenInput, "cannot hash \(path): libcrypto could not set up SHA-256")
        }
        return digest
    }
}

/// An opened input, with the SHA-256 of a streamed one computed as its bytes are read.
private final class OpenedStream {
    let reader: CaptureFileReader
    private let hasher: StreamHasher?

    init(path: String, hash: Bool, firstNumber: Int) throws(WSSniffError) {
        let hasher = hash ? StreamHasher() : nil
        do {
            self.reader = try CaptureFileReader(
                path: path,
                firstNumber: firstNumber,
                observer: hasher.map { hasher in { bytes in hasher.update(bytes) } }
            )
        } catch {
            throw FileInput.translateError(error, path: path)
        }
        self.hasher = self.reader.isStream ? hasher : nil
    }

    /// The SHA-256 of every byte read from the stream; call once the reader has returned false.
    func streamDigest() throws(WSSniffError) -> String? {
        guard let hasher = self.hasher else { return nil }
        guard let digest = hasher.finalize() else {
            throw WSSniffError(.cannotOpenInput, "cannot hash \(self.reader.path): libcrypto could not set up SHA-256")
        }
        return digest
    }
}

/// A SHA-256 fed by the stream reader as it reads.
private final class StreamHasher {
    private var digest: FileDigest? = FileDigest()

    func update(_ bytes: UnsafeRawBufferPointer) {
        self.digest?.update(bytes)
    }

    func finalize() -> String? {
        self.digest.take()?.finalize()
    }
}

/// A file's SHA-256 computed on a background thread; `wait()` gives it (or the read error).
private final class BackgroundHash: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    /// Written once by the background thread before it signals `done`; read only after `wait()`.
    private var result: Result<String, WSSniffError> = .success("")

    init(path: String, limit: Int) {
        DispatchQueue.global(qos: .utility).async {
            do throws(WSSniffError) {
                self.result = .success(try FileInput.sha256(ofFileAt: path, limit: limit))
            } catch {
                self.result = .failure(error)
            }
            self.done.signal()
        }
    }

    func wait() throws(WSSniffError) -> String {
        self.done.wait()
        return try self.result.get()
    }
}

/// A progress line on standard error for a large file read from a terminal: bytes, packets per second, time left.
/// Shown only when standard error is a terminal and the file is over 50 MB.
private struct ProgressMeter {
    static let threshold = 50_000_000

    private let name: String
    private let size: Int
    private let start: Double
    private var lastDraw = 0.0

    init?(path: String, size: Int) {
        guard size >= Self.threshold, isatty(2) != 0 else { return nil }
        self.name = String(path.split(separator: "/").last ?? Substring(path))
        self.size = size
        self.start = Self.now()
    }

    mutating func update(bytes: Int, packets: Int) {
        let now = Self.now()
        guard now - self.lastDraw >= 0.25 else { return }
        self.lastDraw = now
        let elapsed = max(now - self.start, 0.001)
        let fraction = min(1, Double(bytes) / Double(max(self.size, 1)))
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        let rate = Double(packets) / elapsed
        let left = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
        let line =
            "\r\(self.name) [\(bar)] \(Int(fraction * 100))% \(bytes / 1_000_000)/\(self.size / 1_000_000) MB, "
            + "\(Int(rate / 1_000)) k packets/s, \(Int(left.rounded())) s left "
        Self.write(line)
    }

    func finish() {
        Self.write("\r" + String(repeating: " ", count: 100) + "\r")
    }

    private static func write(_ text: String) {
        var text = text
        text.withUTF8 { buffer in _ = Glibc.write(2, buffer.baseAddress, buffer.count) }
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
