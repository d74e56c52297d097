import Dispatch
import Dissect
import Glibc
import ProofVerify

/// Reads capture files in order through the pipeline, as one continuous capture (rotated files continue each other).
package enum FileInput {
    /// Feeds every record of every file to `pipeline`, numbering records continuously across files.
    package static func run(
        paths: [String],
        hash: Bool = true,
        progress: Bool = false,
        pipeline: inout Pipeline,
        finished: (ConnectionReport) -> Void
    ) throws(WSSniffError) {
        var nextNumber = 1
        for path in paths {
            let reader: CaptureFileReader
            do {
                reader = try CaptureFileReader(path: path, firstNumber: nextNumber)
            } catch {
                throw Self.translate(error, path: path)
            }
            // The file's SHA-256 is computed on the other core while this one analyzes it.
            let digest = hash ? BackgroundHash(path: path, limit: reader.fileSize) : nil
            var packets = 0
            var meter = progress ? ProgressMeter(path: path, size: reader.fileSize) : nil
            do {
                while try reader.next({ info, bytes in
                    packets += 1
                    pipeline.ingest(info, bytes.bytes, finished: finished)
                    if packets & 0x3fff == 0 { meter?.update(bytes: reader.bytesRead, packets: packets) }
                }) {}
                meter?.finish()
            } catch let error as CaptureError {
                throw Self.translate(error, path: path)
            } catch {
                throw WSSniffError(.invalidCapture, "\(path): \(error)")
            }
            nextNumber += packets
            pipeline.addFile(
                InputSummary.File(
                    path: path,
                    sha256: try digest?.wait(),
                    size: reader.fileSize,
                    packets: packets,
                    warnings: reader.warnings.map { "\($0)" }
                )
            )
        }
    }

    /// Opens each file as a capture and reads its header, so a command that streams its output can fail before it
    /// prints anything.
    package static func check(paths: [String]) throws(WSSniffError) {
        for path in paths {
            do {
                _ = try CaptureFileReader(path: path)
            } catch {
                throw Self.translate(error, path: path)
            }
        }
    }

    private static func translate(_ error: CaptureError, path: String) -> WSSniffError {
        switch error.code {
        case .cannotOpen:
            return WSSniffError(.cannotOpenInput, "\(error)")
        default:
            return WSSniffError(.invalidCapture, "\(path): \(error)")
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
