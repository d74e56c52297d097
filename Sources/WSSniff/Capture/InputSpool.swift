import Glibc

/// A streamed input (standard input, a FIFO) copied once to a private temporary file, for a command that reads its
/// input more than once (`report` reads it for the analysis, the secret scan and the sanitized copy).
///
/// The file is created with mode 0600 by `mkstemp(3)` in `$TMPDIR` (else `/tmp`), and removed when the process
/// exits: normally, through `exit(3)`, and on SIGINT, SIGTERM, SIGHUP and SIGPIPE.
package enum InputSpool {
    /// The most spooled files at once (each names a distinct FIFO or standard input).
    private static let capacity = 16

    /// Copies `path` (`-`: standard input) to a new private temporary file and returns that file's path. Says so on
    /// standard error.
    package static func spool(_ path: String, because reason: String) throws(WSSniffError) -> String {
        let name = path == "-" ? "standard input" : path
        let source = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else {
            throw WSSniffError(.cannotOpenInput, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { if path != "-" { close(source) } }
        let directory = Self.temporaryDirectory()
        var template = Array("\(directory)/wssniff-input-XXXXXX".utf8CString)
        // mkstemp creates the file with mode 0600, opened O_EXCL.
        let target = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard target >= 0 else {
            throw WSSniffError(.cannotWrite, "cannot create a temporary file in \(directory): \(Self.errnoText())")
        }
        defer { close(target) }
        let spooled = String(cString: template)
        Self.register(template)
        Diagnostics.note(
            "copying \(name) to \(spooled) (mode 0600, removed at exit): \(reason)"
        )
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw WSSniffError(.cannotOpenInput, "cannot read \(name): \(Self.errnoText())")
            }
            if count == 0 { break }
            var offset = 0
            while offset < count {
                let written = chunk.withUnsafeBytes { write(target, $0.baseAddress! + offset, count - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw WSSniffError(.cannotWrite, "cannot write \(spooled): \(Self.errnoText())")
                }
                offset += written
            }
        }
        return spooled
    }

    /// Removes every spooled file now.
    package static func removeAll() {
        removeSpooledFiles()
    }

    private static func temporaryDirectory() -> String {
        if let value = getenv("TMPDIR"), value.pointee != 0 {
            var directory = String(cString: value)
            while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
            return directory
        }
        return "/tmp"
    }

    /// Notes the file for removal at exit and on signals; the handlers are installed with the first file.
    private static func register(_ path: [CChar]) {
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: path.count)
        copy.initialize(from: path, count: path.count)
        for slot in 0..<Self.capacity where spoolTable[slot] == nil {
            spoolTable[slot] = copy
            if slot == 0 {
                atexit { removeSpooledFiles() }
                var unblock = sigset_t()
                sigemptyset(&unblock)
                for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] {
                    Glibc.signal(signal) { number in
                        // Only async-signal-safe calls here: unlink, signal, raise.
                        removeSpooledFiles()
                        Glibc.signal(number, SIG_DFL)
                        raise(number)
                    }
                    sigaddset(&unblock, signal)
                }
                // A parent may have left them blocked (a thread pool's mask is inherited): they must arrive.
                pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
            }
            return
        }
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

/// The spooled files' paths as C strings, read by the signal handler: a fixed table allocated once, never moved.
nonisolated(unsafe) private let spoolTable: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
    let table = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: 16)
    table.initialize(repeating: nil, count: 16)
    return table
}()

/// Unlinks every spooled file (async-signal-safe: unlink only).
private func removeSpooledFiles() {
    for slot in 0..<16 {
        if let path = spoolTable[slot] {
            unlink(path)
        }
    }
}

extension InputSummary {
    /// Names a spooled input by what the user gave (`-`), in the file list and in the warnings that quote it.
    package mutating func rename(file spooled: String, to original: String) {
        for index in self.files.indices where self.files[index].path == spooled {
            self.files[index].path = original
        }
        self.warnings = self.warnings.map { warning in
            warning.hasPrefix(spooled + ": ") ? original + warning.dropFirst(spooled.count) : warning
        }
    }
}
