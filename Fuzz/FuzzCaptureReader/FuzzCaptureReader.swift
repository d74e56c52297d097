import Dissect
import FuzzDriver
import Glibc

/// The file each input is written to: created once per process and unlinked at once, then reopened by the reader
/// through `/proc/self/fd`, so nothing is left behind however the run ends.
private let scratchFD: Int32 = {
    let path = "/dev/shm/wssniff-fuzz-\(getpid()).pcap"
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    precondition(fd >= 0, "cannot create \(path)")
    unlink(path)
    return fd
}()

/// libFuzzer entry point: the input is a whole capture file.
///
/// It is read with `CaptureFileReader` through a one-page mapping window (so records straddle window moves) and
/// every record goes through the pipeline's `WebSocketDissector`: link, IP and fragments, TCP reassembly, the HTTP
/// upgrade and WebSocket frames.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let fd = scratchFD
    precondition(ftruncate(fd, 0) == 0 && pwrite(fd, data, size, 0) == size, "cannot write the scratch file")
    guard let reader = try? CaptureFileReader(path: "/proc/self/fd/\(fd)", windowSize: 4_096) else { return 0 }
    var dissector = WebSocketDissector(options: WebSocketAnalysisOptions())
    var connections = 0
    do {
        while try reader.next({ info, bytes in
            precondition(bytes.count == info.capturedLength, "record \(info.number): \(bytes.count) bytes")
            _ = dissector.ingest(info, bytes.bytes) { _ in connections += 1 }
        }) {}
    } catch {
        // A mapping failure ends the reading, as in the pipeline; what was read so far is still finished below.
    }
    _ = reader.warnings
    dissector.finish { _ in connections += 1 }
    return 0
}

/// The executable's entry point (SwiftPM links `main` to `<module>_main`): runs libFuzzer's driver on `fuzz`.
@_cdecl("FuzzCaptureReader_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzz(data!, size) }
}
