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
            do {
                while try reader.next({ info, bytes in
                    packets += 1
                    pipeline.ingest(info, bytes.bytes, finished: finished)
                }) {}
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
        var hasher = SHA256Hasher()
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
            chunk.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count]).bytes) }
        }
        return hasher.finalize().hexString
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
