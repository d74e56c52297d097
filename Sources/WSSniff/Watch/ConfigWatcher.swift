package import Dissect
package import Glibc
import ProofVerify

/// Watches config files with inotify, on their directories, so that a file written in place (`modified`), renamed
/// over (`replaced`), deleted and created again are each seen, and turns each change into a ``HostEvent`` with the
/// structural, redacted diff against the version seen before.
///
/// Reads only the named files (and stats their directories). Owns a descriptor, so it is a class.
package final class ConfigWatcher {
    /// What is known of one watched file.
    private struct Watched {
        var path: String
        var directory: String
        var name: String
        var watch: Int32 = -1
        /// The last version seen: nil when there was no file.
        var present: Bool = false
        var device: UInt64 = 0
        var inode: UInt64 = 0
        var value: JSONValue?
        /// An `IN_MODIFY` came since the last event: the next `IN_CLOSE_WRITE` is a write.
        var written = false
    }

    /// The largest config read: a bigger file is reported, not parsed.
    package static let maximumBytes = 16 << 20

    private let descriptor: Int32
    private var files: [Watched]

    /// The inotify descriptor, to poll for readability.
    package var fileDescriptor: Int32 { self.descriptor }

    /// Starts watching the directories of `paths`. Throws when inotify is unavailable or a directory cannot be
    /// watched (it does not exist, or cannot be read).
    package init(paths: [String]) throws(WSSniffError) {
        let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else {
            throw WSSniffError(.captureUnavailable, "--watch-config: inotify: \(String(cString: strerror(errno)))")
        }
        self.descriptor = descriptor
        self.files = paths.map { path in
            let (directory, name) = ReportFiles.location(of: path)
            return Watched(path: path, directory: directory, name: name)
        }
        let mask =
            UInt32(IN_MODIFY) | UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_MOVED_FROM)
            | UInt32(IN_DELETE) | UInt32(IN_CREATE) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF)
        for index in self.files.indices {
            let watch = inotify_add_watch(descriptor, self.files[index].directory, mask)
            guard watch >= 0 else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                throw WSSniffError(
                    .usage,
                    "--watch-config \(self.files[index].path): cannot watch its directory "
                        + "\(self.files[index].directory): \(reason)"
                )
            }
            self.files[index].watch = watch
        }
    }

    deinit {
        close(self.descriptor)
    }

    /// One `config-watch` event per file: what it is when the watch starts (the version later changes are compared
    /// with).
    package func baseline(now: Timestamp) -> [HostEvent] {
        self.files.indices.map { index in
            var event = HostEvent(kind: .configWatch, time: now)
            event.path = self.files[index].path
            self.look(at: index, into: &event)
            if !self.files[index].present && event.error == nil { event.error = "no such file" }
            return event
        }
    }

    /// Reads the inotify events waiting (never blocks) and returns the changes they show, in order.
    package func poll(now: () -> Timestamp) -> [HostEvent] {
        var events: [HostEvent] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1_024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(self.descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            var offset = 0
            while offset + 16 <= count {
                let (watch, mask, length) = buffer.withUnsafeBytes { raw in
                    (
                        raw.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                        raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                        Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    )
                }
                let nameBytes = buffer[(offset + 16)..<min(count, offset + 16 + length)]
                let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                offset += 16 + length
                for index in self.files.indices where self.files[index].watch == watch && self.files[index].name == name
                {
                    if let event = self.handle(mask: mask, index: index, now: now()) { events.append(event) }
                }
            }
        }
        return events
    }

    private func handle(mask: UInt32, index: Int, now: Timestamp) -> HostEvent? {
        if mask & UInt32(IN_MODIFY) != 0 {
            self.files[index].written = true
            return nil
        }
        var event = HostEvent(kind: .configChange, time: now)
        event.path = self.files[index].path
        let before = self.files[index]
        if mask & (UInt32(IN_DELETE) | UInt32(IN_MOVED_FROM)) != 0 {
            guard before.present else { return nil }
            event.change = .deleted
            event.diff = before.value.map { ConfigDiff.compare($0, nil) } ?? []
            self.files[index].present = false
            self.files[index].value = nil
            self.files[index].written = false
            return event
        }
        guard mask & (UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO)) != 0 else { return nil }
        if mask & UInt32(IN_CLOSE_WRITE) != 0 && before.present && !before.written {
            // Opened for writing and closed without a write: nothing changed.
            return nil
        }
        self.look(at: index, into: &event)
        let after = self.files[index]
        guard after.present else { return nil }
        if !before.present {
            event.change = .created
        } else if mask & UInt32(IN_MOVED_TO) != 0 || before.inode != after.inode || before.device != after.device {
            event.change = .replaced
        } else {
            event.change = .modified
        }
        if event.parsed == true {
            event.diff = ConfigDiff.compare(before.present ? before.value : nil, after.value)
        }
        self.files[index].written = false
        return event
    }

    /// Stats and reads file `index` now, filling the event's file fields and the remembered version.
    private func look(at index: Int, into event: inout HostEvent) {
        let path = self.files[index].path
        var status = stat()
        guard stat(path, &status) == 0 else {
            let reason = errno
            self.files[index].present = false
            self.files[index].value = nil
            if reason != ENOENT { event.error = String(cString: strerror(reason)) }
            return
        }
        self.files[index].present = true
        self.files[index].device = UInt64(status.st_dev)
        self.files[index].inode = UInt64(status.st_ino)
        event.size = Int64(status.st_size)
        event.mode = Self.octal(status.st_mode & 0o7777)
        event.uid = status.st_uid
        event.owner = Self.userName(status.st_uid)
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            event.error = "not a regular file"
            self.files[index].value = nil
            return
        }
        let bytes: [UInt8]
        switch Self.read(path) {
        case .success(let read):
            bytes = read
        case .failure(let reason):
            event.error = reason
            self.files[index].value = nil
            return
        }
        do {
            self.files[index].value = try JSON5Reader.parse(bytes)
            event.parsed = true
        } catch {
            event.parsed = false
            event.error = "not JSON5: \(error)"
            self.files[index].value = nil
        }
    }

    private enum ReadResult {
        case success([UInt8])
        case failure(String)
    }

    private static func read(_ path: String) -> ReadResult {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else { return .failure(String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(String(cString: strerror(errno)))
            }
            if count == 0 { break }
            bytes += chunk[..<count]
            if bytes.count > Self.maximumBytes {
                return .failure("larger than \(Self.maximumBytes) bytes: not read")
            }
        }
        return .success(bytes)
    }

    /// `0600`.
    package static func octal(_ mode: mode_t) -> String {
        let digits = String(UInt32(mode), radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// The name of a uid, or nil when the password database has none.
    package static func userName(_ uid: uid_t) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return String(cString: entry.pw_name)
    }
}
