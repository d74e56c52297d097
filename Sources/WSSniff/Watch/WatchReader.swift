import CPcap
import Dissect
import Glibc
import ProofVerify

/// The privilege-separated reader behind `capture --watch-config` and `--watch-process`, as tcpdump and OpenSSH
/// separate privileges: forked before the capture drops root, it keeps only what reading the named config files
/// needs, reads nothing else, and sends each event (config diffs already redacted) to the capture over a pipe, one
/// JSON line each. The capture process then drops as it would without it.
///
/// What the reader keeps, started as root: the uid of the files' owner (no groups, no capabilities) when every named
/// file (or, for a file that does not exist yet, its directory) has one owner that is not root; otherwise the user the
/// capture drops to with `CAP_DAC_READ_SEARCH` alone. Started without root, it clears its capabilities and reads
/// what its user can; a file it cannot read is reported as such in its events.
package final class WatchReader {
    /// The reader's process id.
    package let pid: Int32
    /// The read end of the pipe.
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    /// What the reader runs as, for the capture's opening note.
    package private(set) var identity = ""
    /// Events that arrived before ``identity`` (the baseline), handed out by the first ``take()``.
    private var early: [HostEvent] = []

    private init(pid: Int32, descriptor: Int32) {
        self.pid = pid
        self.descriptor = descriptor
    }

    deinit {
        self.finish()
    }

    /// The line the reader writes once its watches are set and its baseline sent.
    private static let readyEvent = "watch-ready"

    /// Forks the reader and waits (up to 5 seconds) until its watches are in place, so no change after this returns
    /// is missed. `dropTo`: the user the capture drops to (the reader's user when it keeps a capability instead).
    package static func start(
        configs: [String],
        processes: [String],
        dropTo: CaptureUser?
    ) throws(WSSniffError) -> WatchReader {
        for path in configs {
            let (directory, _) = ReportFiles.location(of: path)
            var status = stat()
            guard stat(directory, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
                throw WSSniffError(
                    .usage,
                    "--watch-config \(path): its directory \(directory) does not exist (a file may be absent at the "
                        + "start, its directory may not)"
                )
            }
        }
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else {
            throw WSSniffError(.captureUnavailable, "--watch-config: pipe: \(String(cString: strerror(errno)))")
        }
        fflush(nil)
        let pid = fork()
        if pid < 0 {
            close(ends[0])
            close(ends[1])
            throw WSSniffError(.captureUnavailable, "--watch-config: fork: \(String(cString: strerror(errno)))")
        }
        if pid == 0 {
            close(ends[0])
            Self.child(configs: configs, processes: processes, dropTo: dropTo, output: ends[1])
        }
        close(ends[1])
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        let reader = WatchReader(pid: pid, descriptor: ends[0])
        _ = fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK)
        var ready = false
        let deadline = Self.monotonic() + 5
        while !ready && Self.monotonic() < deadline {
            var wait = pollfd(fd: ends[0], events: Int16(POLLIN), revents: 0)
            _ = poll(&wait, 1, 100)
            for line in reader.lines() {
                if let event = HostEvent.parse(line: line) {
                    reader.early.append(event)
                } else if line.contains("\"\(Self.readyEvent)\"") {
                    ready = true
                    reader.identity = Self.field("as", in: line) ?? ""
                } else if let message = Self.field("error", in: line) {
                    reader.finish()
                    throw WSSniffError(.captureUnavailable, message)
                }
            }
            if reader.closed { break }
        }
        guard ready else {
            reader.finish()
            throw WSSniffError(.captureUnavailable, "--watch-config: the config reader did not start")
        }
        return reader
    }

    /// Events that arrived since the last call (never blocks).
    package func take() -> [HostEvent] {
        guard !self.finished else { return [] }
        var events = self.early
        self.early = []
        events += self.lines().compactMap(HostEvent.parse(line:))
        return events
    }

    /// Takes what the reader sent until now, then stops it and waits for it (SIGTERM; SIGKILL after a second).
    @discardableResult
    package func finish() -> [HostEvent] {
        guard !self.finished else { return [] }
        var wait = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&wait, 1, 50)
        let events = self.take()
        self.finished = true
        // The reader also leaves when its pipe closes.
        close(self.descriptor)
        kill(self.pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<100 {
            let done = waitpid(self.pid, &status, WNOHANG)
            if done == self.pid || (done < 0 && errno != EINTR) { return events }
            usleep(10_000)
        }
        kill(self.pid, SIGKILL)
        while waitpid(self.pid, &status, 0) < 0 && errno == EINTR {}
        return events
    }

    private var finished = false
    private var closed = false

    /// The whole lines read so far.
    private func lines() -> [String] {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(self.descriptor, $0.baseAddress, $0.count) }
            if count == 0 { self.closed = true }
            guard count > 0 else { break }
            self.buffer += chunk[..<count]
        }
        var lines: [String] = []
        while let newline = self.buffer.firstIndex(of: 0x0A) {
            lines.append(String(decoding: self.buffer[..<newline], as: UTF8.self))
            self.buffer.removeSubrange(...newline)
        }
        return lines
    }

    private static func field(_ name: String, in line: String) -> String? {
        (try? JSON5Reader.parse(line))?[name]?.stringValue
    }

    private static func monotonic() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    private static func now() -> Timestamp {
        var clock = timespec()
        clock_gettime(CLOCK_REALTIME, &clock)
        return Timestamp(seconds: Int64(clock.tv_sec), nanoseconds: Int64(clock.tv_nsec))
    }

    // MARK: - The reader process

    /// The reader: never returns.
    private static func child(configs: [String], processes: [String], dropTo: CaptureUser?, output: Int32) -> Never {
        signal(SIGINT, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        signal(SIGTERM, SIG_DFL)
        // A blocked SIGTERM (inherited from whoever started wssniff) would keep the reader from stopping.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &unblock, nil)
        _ = wssniff_parent_death_signal(SIGTERM)
        // Nothing of the capture's: standard output may be the pcap (-w -), other descriptors the device and files.
        let null = open("/dev/null", O_RDWR)
        if null >= 0 {
            dup2(null, 0)
            dup2(null, 1)
        }
        let limit = min(Int32(clamping: sysconf(Int32(_SC_OPEN_MAX))), 65_536)
        for descriptor in 3..<max(limit, 4) where descriptor != output { close(descriptor) }

        func send(_ line: String) {
            var bytes = Array((line + "\n").utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeMutableBytes {
                    write(output, $0.baseAddress! + offset, $0.count - offset)
                }
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { _exit(0) }
                offset += written
            }
        }
        func fail(_ message: String) -> Never {
            send(JSON.object([("event", .string("watch-error")), ("error", .string(message))]).serialized())
            _exit(1)
        }

        let identity: String
        switch Self.dropPrivileges(configs: configs, dropTo: dropTo) {
        case .success(let description): identity = description
        case .failure(let message): fail(message)
        }
        var watcher: ConfigWatcher?
        if !configs.isEmpty {
            do {
                watcher = try ConfigWatcher(paths: configs)
            } catch {
                fail(error.message)
            }
        }
        var processWatcher = ProcessWatcher(names: processes)
        for event in watcher?.baseline(now: Self.now()) ?? [] { send(event.json().serialized()) }
        send(JSON.object([("event", .string(Self.readyEvent)), ("as", .string(identity))]).serialized())
        while true {
            var waits = [
                pollfd(fd: watcher?.fileDescriptor ?? -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: output, events: 0, revents: 0),
            ]
            _ = poll(&waits, 2, 200)
            if waits[1].revents & Int16(POLLERR | POLLHUP) != 0 { _exit(0) }
            for event in watcher?.poll(now: Self.now) ?? [] { send(event.json().serialized()) }
            for event in processWatcher.poll(now: Self.now()) { send(event.json().serialized()) }
        }
    }

    private enum DropResult {
        case success(String)
        case failure(String)
    }

    /// `CAP_DAC_READ_SEARCH` (linux/capability.h).
    private static let dacReadSearch: Int32 = 2

    private static func dropPrivileges(configs: [String], dropTo: CaptureUser?) -> DropResult {
        guard geteuid() == 0 else {
            if wssniff_has_capabilities() != 0 && wssniff_clear_capabilities() != 0 {
                return .failure("the config reader cannot clear its capabilities")
            }
            return .success("uid \(geteuid()), no capabilities")
        }
        // The owner of each file, or of its directory when the file is not there yet.
        var owners = Set<uid_t>()
        var groups: [uid_t: gid_t] = [:]
        for path in configs {
            var status = stat()
            if stat(path, &status) != 0 {
                _ = stat(ReportFiles.location(of: path).directory, &status)
            }
            owners.insert(status.st_uid)
            groups[status.st_uid] = status.st_gid
        }
        func failure(_ step: String) -> DropResult {
            .failure("the config reader cannot give up root: \(step): \(String(cString: strerror(errno)))")
        }
        if owners.count == 1, let owner = owners.first, owner != 0 {
            let group = groups[owner] ?? owner
            if setgroups(0, nil) != 0 { return failure("setgroups") }
            if setgid(group) != 0 { return failure("setgid") }
            if setuid(owner) != 0 { return failure("setuid") }
            if setuid(0) == 0 || wssniff_has_capabilities() != 0 { return .failure("the config reader kept root") }
            return .success("uid \(owner)\(ConfigWatcher.userName(owner).map { " (\($0))" } ?? ""), the files' owner")
        }
        let user = dropTo ?? (try? CaptureUser.lookup(CaptureUser.defaultName))
        guard let user else { return .failure("the config reader has no user to run as") }
        if wssniff_keep_capabilities_across_setuid(1) != 0 { return failure("PR_SET_KEEPCAPS") }
        if setgroups(0, nil) != 0 { return failure("setgroups") }
        if setgid(user.gid) != 0 { return failure("setgid") }
        if setuid(user.uid) != 0 { return failure("setuid") }
        if wssniff_keep_only_capability(Self.dacReadSearch) != 0 { return failure("capset") }
        _ = wssniff_keep_capabilities_across_setuid(0)
        guard setuid(0) != 0, wssniff_holds_only_capability(Self.dacReadSearch) == 1 else {
            return .failure("the config reader kept more than CAP_DAC_READ_SEARCH")
        }
        return .success("user \(user.name) (uid \(user.uid)) with CAP_DAC_READ_SEARCH only")
    }
}
