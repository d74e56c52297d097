import Glibc

/// Reading inputs and writing outputs that may hold evidence.
///
/// An output never destroys anything but the file it names: an output that is the same file as an input or as
/// another output is refused before anything is written (`refuseSameFile`). A report's files are staged: each is
/// written to a temporary file (mode 0600) in its directory, and all of them are renamed into place together once
/// every one is complete (`Outputs`), so a failure half-way, or a signal, leaves no half-written file and no existing
/// file clobbered. An existing output is replaced, not written through: the new file is 0600 and belongs to the user
/// running wssniff. Only an output that is not a regular file (a terminal, a pipe, `/dev/null`) is written through.
package enum ReportFiles {
    package static func readAll(_ path: String) throws(WSSniffError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw WSSniffError(.cannotOpenInput, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw WSSniffError(.cannotOpenInput, "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { return output }
            output.append(contentsOf: chunk[0..<count])
        }
    }

    // MARK: - The same file twice

    /// A file as the same-file check sees it: its device and inode when it exists (links followed), else the
    /// directory it would be created in (resolved) and its name.
    package struct Identity: Equatable, Sendable {
        package var device: UInt64 = 0
        package var inode: UInt64 = 0
        /// The resolved name of a file that does not exist yet; empty for an existing file.
        package var plannedName = ""
        /// A character device (`/dev/null`, a terminal): two outputs may share it.
        package var isCharacterDevice = false

        package init(of path: String) {
            var status = stat()
            if stat(path, &status) == 0 {
                self.device = UInt64(status.st_dev)
                self.inode = UInt64(status.st_ino)
                self.isCharacterDevice = status.st_mode & S_IFMT == S_IFCHR
            } else {
                let (directory, name) = ReportFiles.location(of: path)
                self.plannedName = directory + "/" + name
            }
        }

        package static func == (lhs: Identity, rhs: Identity) -> Bool {
            lhs.device == rhs.device && lhs.inode == rhs.inode && lhs.plannedName == rhs.plannedName
        }
    }

    /// Refuses (exit 64), before anything is opened for writing, an output that is the same file as an input or as
    /// another output, compared by device and inode (so `./cap.pcap`, a symlink and a hard link are the same file
    /// as `cap.pcap`), or for a file not created yet by its resolved directory and name. Labels name the option
    /// (`--json`) or the input (`the capture`). Outputs that are the same character device (`/dev/null`) may repeat.
    package static func refuseSameFile(
        inputs: [(label: String, path: String)],
        outputs: [(label: String, path: String)]
    ) throws(WSSniffError) {
        let inputIdentities = inputs.map { Identity(of: $0.path) }
        var seen: [(label: String, path: String, identity: Identity)] = []
        for output in outputs {
            let identity = Identity(of: output.path)
            for (input, inputIdentity) in zip(inputs, inputIdentities) where inputIdentity == identity {
                throw WSSniffError(
                    .usage,
                    "\(output.label) \(output.path) is the same file as \(input.label) \(input.path): refusing to "
                        + "overwrite an input; write the output elsewhere"
                )
            }
            if let earlier = seen.first(where: { $0.identity == identity }), !identity.isCharacterDevice {
                throw WSSniffError(
                    .usage,
                    "\(output.label) \(output.path) and \(earlier.label) \(earlier.path) are the same file: "
                        + "give each output its own path"
                )
            }
            seen.append((output.label, output.path, identity))
        }
    }

    // MARK: - Staged outputs

    /// One output being written: a temporary file (mode 0600) beside where it goes, renamed into place by
    /// `Outputs.commit`; or, for an output that is not a regular file (a terminal, a pipe, `/dev/null`), the file
    /// itself, opened without creating or truncating anything.
    package final class Staged {
        /// The path as given.
        package let path: String
        /// Where the temporary file is renamed to: `path`, or the file it links to.
        let target: String
        /// The temporary file; nil when `path` is written through.
        let temporary: String?
        /// The open file to write.
        package private(set) var descriptor: Int32
        /// This file's slot in the list of temporaries a signal removes.
        private var slot: Int?

        /// Creates the temporary file for `path` (or opens `path` itself when it is not a regular file).
        init(_ path: String, verb: String = "create") throws(WSSniffError) {
            self.path = path
            func failure(_ reason: String) -> WSSniffError {
                WSSniffError(.cannotWrite, "cannot \(verb) \(path): \(reason)")
            }
            var status = stat()
            if stat(path, &status) == 0 {
                let kind = status.st_mode & S_IFMT
                if kind == S_IFDIR { throw failure("it is a directory") }
                // A descriptor already open (`/dev/stdout` redirected to a file) is written as before: replacing
                // the file it names would leave the shell's redirection pointing at nothing.
                if kind != S_IFREG || ReportFiles.namesOpenDescriptor(path) {
                    let fd = open(path, O_WRONLY | O_CLOEXEC | (kind == S_IFREG ? O_TRUNC : 0))
                    guard fd >= 0 else { throw failure(String(cString: strerror(errno))) }
                    self.target = path
                    self.temporary = nil
                    self.descriptor = fd
                    return
                }
                self.target = ReportFiles.realPath(path) ?? path
            } else {
                self.target = ReportFiles.linkTarget(path)
            }
            let (directory, name) = ReportFiles.split(self.target)
            let (fd, temporary, slot) = TemporaryFiles.create("\(directory)/.\(name).wssniff-XXXXXX")
            guard fd >= 0 else { throw failure(String(cString: strerror(errno))) }
            // mkstemp creates 0600 less the umask: exactly 0600, whatever the umask.
            _ = fchmod(fd, 0o600)
            self.temporary = temporary
            self.descriptor = fd
            self.slot = slot
        }

        /// Appends `bytes`.
        package func write(_ bytes: [UInt8]) throws(WSSniffError) {
            var written = 0
            while written < bytes.count {
                let count = bytes.withUnsafeBytes {
                    Glibc.write(self.descriptor, $0.baseAddress! + written, $0.count - written)
                }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw WSSniffError(.cannotWrite, "cannot write \(self.path): \(String(cString: strerror(errno)))")
                }
                written += count
            }
        }

        package func write(_ text: String) throws(WSSniffError) {
            try self.write(Array(text.utf8))
        }

        /// Pushes the file to disk and closes it: a full disk that the writes did not show shows here.
        func finish() throws(WSSniffError) {
            guard self.descriptor >= 0 else { return }
            defer { self.descriptor = -1 }
            if self.temporary != nil, fsync(self.descriptor) != 0 {
                let reason = String(cString: strerror(errno))
                _ = close(self.descriptor)
                throw WSSniffError(.cannotWrite, "cannot write \(self.path): \(reason)")
            }
            if close(self.descriptor) != 0, self.temporary != nil {
                throw WSSniffError(.cannotWrite, "cannot write \(self.path): \(String(cString: strerror(errno)))")
            }
        }

        /// Closes the file and removes the temporary.
        func discard() {
            if self.descriptor >= 0 {
                _ = close(self.descriptor)
                self.descriptor = -1
            }
            if let temporary = self.temporary { _ = unlink(temporary) }
            self.forget()
        }

        /// The temporary is renamed or removed: a signal no longer needs to remove it.
        func forget() {
            if let slot = self.slot { TemporaryFiles.remove(slot) }
            self.slot = nil
        }
    }

    /// The outputs of one run, committed together: every file is written to its temporary first, then all are
    /// renamed into place (`commit`); on any failure, or if the process ends first, the temporaries are removed
    /// (`discard`, or the signal handler) and no output is touched.
    package final class Outputs {
        private var files: [Staged] = []
        /// The process that renames the files once this one has given root up (`delegateCommit`).
        private var committer: (pid: pid_t, request: Int32, reply: Int32)?
        private var settled = false

        /// Stages every path (nil ones skipped): a path that cannot be created fails here, before anything is
        /// analyzed or captured, and nothing is left behind.
        package init(_ paths: [String?]) throws(WSSniffError) {
            do throws(WSSniffError) {
                for case let path? in paths { self.files.append(try Staged(path)) }
            } catch {
                self.discard()
                throw error
            }
        }

        /// The staged file for `path`, if it is one of the outputs.
        package func file(_ path: String?) -> Staged? {
            guard let path else { return nil }
            return self.files.first { $0.path == path }
        }

        /// Writes `text` to the staged file for `path` (nothing when `path` is nil).
        package func write(_ text: String, to path: String?) throws(WSSniffError) {
            try self.file(path)?.write(text)
        }

        /// For a capture started as root: hands the final renames to a process that keeps root, started now, before
        /// the drop, because the user the capture drops to may not write the outputs' directories. The files are
        /// still written by this process, through descriptors opened as root. If this process ends without
        /// committing, that process removes the temporaries.
        package func delegateCommit() throws(WSSniffError) {
            let renamed = self.files.filter { $0.temporary != nil }
            guard self.committer == nil, !renamed.isEmpty else { return }
            // Everything the child uses is made before the fork: it then calls only async-signal-safe functions.
            let temps = renamed.map { strdup($0.temporary!)! }
            let targets = renamed.map { strdup($0.target)! }
            defer {
                for name in temps + targets { free(name) }
            }
            var down: [Int32] = [-1, -1]
            var up: [Int32] = [-1, -1]
            guard pipe(&down) == 0 else { throw Self.spawnFailure(renamed) }
            guard pipe(&up) == 0 else {
                let saved = errno
                _ = close(down[0])
                _ = close(down[1])
                errno = saved
                throw Self.spawnFailure(renamed)
            }
            for fd in down + up { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            // No signal between the fork and the child's own dispositions: Ctrl-C reaches the whole process group,
            // and the capture, not the committer, decides what it means.
            var all = sigset_t()
            var previous = sigset_t()
            sigfillset(&all)
            pthread_sigmask(SIG_BLOCK, &all, &previous)
            let pid = fork()
            if pid == 0 {
                for number in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE] { signal(number, SIG_IGN) }
                pthread_sigmask(SIG_SETMASK, &previous, nil)
                _ = close(down[1])
                _ = close(up[0])
                var command: UInt8 = 0
                var got = 0
                repeat { got = read(down[0], &command, 1) } while got < 0 && errno == EINTR
                var result: Int32 = 0
                for index in 0..<temps.count {
                    if got == 1 && command == UInt8(ascii: "c") && result == 0 {
                        if rename(temps[index], targets[index]) != 0 {
                            result = errno
                            _ = unlink(temps[index])
                        }
                    } else {
                        _ = unlink(temps[index])
                    }
                }
                var sent = 0
                repeat { sent = Glibc.write(up[1], &result, MemoryLayout<Int32>.size) } while sent < 0 && errno == EINTR
                _exit(0)
            }
            let saved = errno
            pthread_sigmask(SIG_SETMASK, &previous, nil)
            _ = close(down[0])
            _ = close(up[1])
            guard pid > 0 else {
                _ = close(down[1])
                _ = close(up[0])
                errno = saved
                throw Self.spawnFailure(renamed)
            }
            let (request, reply) = (down[1], up[0])
            self.committer = (pid, request, reply)
        }

        /// Completes every file, then renames each into place.
        package func commit() throws(WSSniffError) {
            guard !self.settled else { return }
            do throws(WSSniffError) {
                for file in self.files { try file.finish() }
            } catch {
                self.discard()
                throw error
            }
            self.settled = true
            if let committer = self.committer {
                self.committer = nil
                try Self.ask(committer, for: self.files)
                for file in self.files { file.forget() }
                return
            }
            var failure: WSSniffError?
            for file in self.files {
                guard let temporary = file.temporary else { continue }
                if failure == nil, rename(temporary, file.target) != 0 {
                    failure = WSSniffError(
                        .cannotWrite,
                        "cannot put \(file.path) in place: \(String(cString: strerror(errno)))"
                    )
                }
                if failure != nil { _ = unlink(temporary) }
                file.forget()
            }
            if let failure { throw failure }
            for directory in Set(self.files.compactMap { $0.temporary == nil ? nil : ReportFiles.split($0.target).0 }) {
                // The renames themselves reach the disk with the directory.
                let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                if fd >= 0 {
                    _ = fsync(fd)
                    _ = close(fd)
                }
            }
        }

        /// Removes every temporary; outputs already in place are left as they are. Nothing once committed.
        package func discard() {
            guard !self.settled else { return }
            self.settled = true
            for file in self.files { file.discard() }
            if let committer = self.committer {
                self.committer = nil
                // Closing the request without a word tells the committer to remove the temporaries.
                _ = close(committer.request)
                var result: Int32 = 0
                _ = read(committer.reply, &result, MemoryLayout<Int32>.size)
                _ = close(committer.reply)
                var status: Int32 = 0
                _ = waitpid(committer.pid, &status, 0)
            }
        }

        deinit {
            self.discard()
        }

        private static func spawnFailure(_ files: [Staged]) -> WSSniffError {
            WSSniffError(
                .cannotWrite,
                "cannot start the process that puts \(files.map(\.path).joined(separator: ", ")) in place: "
                    + String(cString: strerror(errno))
            )
        }

        private static func ask(
            _ committer: (pid: pid_t, request: Int32, reply: Int32),
            for files: [Staged]
        ) throws(WSSniffError) {
            defer {
                _ = close(committer.request)
                _ = close(committer.reply)
                var status: Int32 = 0
                _ = waitpid(committer.pid, &status, 0)
            }
            // The committer only exits after answering; should it be gone, a write must fail, not kill with SIGPIPE.
            signal(SIGPIPE, SIG_IGN)
            var command = UInt8(ascii: "c")
            var result: Int32 = 0
            if Glibc.write(committer.request, &command, 1) != 1 {
                result = errno
            } else if read(committer.reply, &result, MemoryLayout<Int32>.size) != MemoryLayout<Int32>.size {
                result = EPIPE
            }
            guard result == 0 else {
                throw WSSniffError(
                    .cannotWrite,
                    "cannot put \(files.map(\.path).joined(separator: ", ")) in place: "
                        + String(cString: strerror(result))
                )
            }
        }
    }

    // MARK: - Capture files

    /// Creates the file a capture writes packets to as it goes (`-w`, and each rotated file), mode 0600 whatever the
    /// umask: a new file, renamed over an existing one at once (never an existing file truncated and written
    /// through, which would keep its owner and mode). Returns the open descriptor and whether wssniff created the
    /// file: an output that is not a regular file (`/dev/stdout` on a pipe, `/dev/full`) is opened as it is.
    package static func createReplacing(_ path: String) throws(WSSniffError) -> (descriptor: Int32, created: Bool) {
        let staged = try Staged(path, verb: "write")
        guard let temporary = staged.temporary else { return (staged.descriptor, false) }
        if rename(temporary, staged.target) != 0 {
            let reason = String(cString: strerror(errno))
            staged.discard()
            throw WSSniffError(.cannotWrite, "cannot write \(path): \(reason)")
        }
        staged.forget()
        return (staged.descriptor, true)
    }

    // MARK: - Paths

    /// `path` split at its last slash: the directory (`.` for a bare name) and the name.
    static func split(_ path: String) -> (String, String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = slash == path.startIndex ? "/" : String(path[..<slash])
        return (directory, String(path[path.index(after: slash)...]))
    }

    /// The resolved directory and the name of the file `path` names (links followed), existing or not.
    package static func location(of path: String) -> (directory: String, name: String) {
        let target = Self.realPath(path) ?? Self.linkTarget(path)
        let (directory, name) = Self.split(target)
        return (Self.realPath(directory) ?? directory, name)
    }

    /// Whether `path` names an already open descriptor (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`): one of the
    /// links it goes through lies in a `/proc/PID/fd` directory.
    static func namesOpenDescriptor(_ path: String) -> Bool {
        var current = path
        for _ in 0..<40 {
            let directory = Self.realPath(Self.split(current).0) ?? ""
            let parts = directory.split(separator: "/")
            if parts.count == 3, parts[0] == "proc", parts[2] == "fd" { return true }
            var status = stat()
            guard lstat(current, &status) == 0, status.st_mode & S_IFMT == S_IFLNK else { return false }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(current, &buffer, buffer.count - 1)
            guard count > 0 else { return false }
            let link = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = link.hasPrefix("/") ? link : Self.split(current).0 + "/" + link
        }
        return false
    }

    /// `realpath(3)` of an existing path.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Where a path that does not exist would be created: through a dangling symbolic link (or a chain of them), the
    /// file it names; otherwise the path itself.
    static func linkTarget(_ path: String) -> String {
        var current = path
        for _ in 0..<40 {
            var status = stat()
            guard lstat(current, &status) == 0, status.st_mode & S_IFMT == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(current, &buffer, buffer.count - 1)
            guard count > 0 else { return current }
            let link = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = link.hasPrefix("/") ? link : Self.split(current).0 + "/" + link
        }
        return current
    }
}

/// Temporary files that a signal ending the process must remove: C strings in a fixed table that the handler reads
/// (it may only call async-signal-safe functions, so nothing in it allocates or locks). SIGINT, SIGTERM, SIGHUP and
/// SIGQUIT remove them and then end the process as the signal would have. A live capture routes SIGINT and SIGTERM
/// to a clean stop instead, which then writes or removes them itself.
private enum TemporaryFiles {
    static let capacity = 16

    nonisolated(unsafe) static let slots: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
        let slots = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: 16)
        slots.initialize(repeating: nil, count: 16)
        return slots
    }()

    nonisolated(unsafe) static var installed = false

    /// Creates a file from `template` (ending in `XXXXXX`) with `mkstemp(3)` and lists it, with the signals blocked
    /// in between so none can come after it exists and before it is listed. Returns its descriptor (-1 with `errno`
    /// set on failure), its name and its slot (nil when the table is full: never, for one run's outputs).
    static func create(_ template: String) -> (descriptor: Int32, name: String, slot: Int?) {
        Self.install()
        return Self.withSignalsBlocked {
            var name = Array(template.utf8CString)
            let fd = name.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else { return (fd, template, nil) }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            let path = name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            for index in 0..<Self.capacity where Self.slots[index] == nil {
                Self.slots[index] = strdup(path)
                return (fd, path, index)
            }
            return (fd, path, nil)
        }
    }

    static func remove(_ slot: Int) {
        Self.withSignalsBlocked {
            free(Self.slots[slot])
            Self.slots[slot] = nil
        }
    }

    private static let signals = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    private static func withSignalsBlocked<T>(_ body: () -> T) -> T {
        var blocked = sigset_t()
        var previous = sigset_t()
        sigemptyset(&blocked)
        for number in Self.signals { sigaddset(&blocked, number) }
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        return body()
    }

    private static func install() {
        guard !Self.installed else { return }
        Self.installed = true
        _ = Self.slots
        let handler: @convention(c) (Int32) -> Void = { number in
            let slots = TemporaryFiles.slots
            for index in 0..<16 {
                if let path = slots[index] { _ = unlink(path) }
            }
            signal(number, SIG_DFL)
            raise(number)
        }
        SignalHandlers.install(Self.signals, keepIgnored: true, handler)
    }
}
