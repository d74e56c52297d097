import FuzzDriver
import Glibc
import WSSniff

/// The input file and the sanitized copy: created once per process and unlinked at once, then reached through
/// `/proc/self/fd`, so nothing is left behind however the run ends.
private func scratch(_ name: String) -> Int32 {
    let path = "/dev/shm/wssniff-fuzz-\(getpid())-\(name)"
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    precondition(fd >= 0, "cannot create \(path)")
    unlink(path)
    return fd
}

private let inputFD = scratch("input.pcap")
private let outputFD = scratch("sanitized.pcap")

/// libFuzzer entry point: the input is a whole capture file, run through `wssniff report --sanitized-pcap`'s work:
/// the analysis with every frame and message kept, each connection's secrets found as it ends, the sanitizer's
/// passes over the file (uses of each flow, HTTP heads per use, retransmitted copies) and the sanitized copy.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    precondition(ftruncate(inputFD, 0) == 0 && pwrite(inputFD, data, size, 0) == size, "cannot write the input")
    precondition(ftruncate(outputFD, 0) == 0, "cannot empty the output")
    var request = ReportRequest()
    request.captures = ["/proc/self/fd/\(inputFD)"]
    request.sanitizedPath = "/proc/self/fd/\(outputFD)"
    if let report = try? EvidenceReport.make(request) {
        _ = report.markdown()
        _ = report.jsonText()
    }
    return 0
}

/// The executable's entry point (SwiftPM links `main` to `<module>_main`): runs libFuzzer's driver on `fuzz`.
@_cdecl("FuzzReportSanitizer_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzz(data!, size) }
}
