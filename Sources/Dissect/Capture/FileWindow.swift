import Glibc

/// A sliding window onto the bytes of one capture input, sequentially: a memory mapping for a regular file, a read()
/// buffer for anything that cannot be mapped (a pipe, a FIFO, a terminal, a socket).
///
/// The record parser asks both kinds the same questions (``available(from:upTo:)``, ``bytes(at:count:)``,
/// ``remaining(from:)``), so one parser serves both.
///
/// - Mapped: only one window of about ``defaultWindowSize`` bytes is mapped at a time. Asking for bytes outside it
///   unmaps it and maps a new window that starts at the page holding the requested offset, so a sequential reader
///   keeps a flat resident size however large the file is, and a record straddling the old window's end is simply
///   seen whole in the new one.
/// - Streamed: bytes are read into one buffer as they are asked for, and never before: a reader fed live by
///   `tcpdump -U -w -` sees each record as soon as it has arrived whole. Bytes before the point the parser last
///   marked with ``release(before:)`` are dropped when the buffer needs room, so the buffer holds about one record
///   (at least ``defaultWindowSize``, at most ``streamRetention`` plus one read).
///
/// Owns the file descriptor (unless it was standard input) and the mapping or buffer.
struct FileWindow: ~Copyable {
    /// How much of the file one window maps (or one read asks for), unless a single request needs more.
    static let defaultWindowSize = 4 << 20
    /// Streamed: the most bytes kept behind a request. Larger than any block the parser reads whole (16 MiB), so only
    /// a skipped block is ever read past without being kept.
    static let streamRetention = 32 << 20

    private let fd: Int32
    private let ownsDescriptor: Bool
    private let path: String
    /// Whether the input is read into a buffer instead of mapped.
    let isStream: Bool
    /// Mapped: the size of the file when it was opened; bytes beyond it are never mapped. Streamed: the bytes read so
    /// far (the whole input once the end was met).
    private(set) var size: Int
    private let windowSize: Int
    private let pageMask: Int
    /// The mapping or the buffer; it holds the input's bytes from `windowStart` for `windowLength` bytes.
    private var base: UnsafeRawPointer?
    private var windowStart = 0
    private var windowLength = 0
    /// Streamed: the buffer's capacity, whether the end of the input was met, the first offset still needed.
    private var capacity = 0
    private var atEnd = false
    private var keepFrom = 0
    /// Streamed: sees every byte read, in order, once (the input's SHA-256).
    private let observer: ((UnsafeRawBufferPointer) -> Void)?
    /// Streamed: called before a read() that would wait for the writer (nothing to read yet), so that what waits
    /// for more input (a finished connection held for a copy of it) can go on meanwhile.
    var stallHandler: (() -> Void)?

    /// Opens `path` read-only (`-` is standard input) and learns whether it can be mapped; reads or maps nothing yet.
    ///
    /// - Parameter observer: for a streamed input, called with every chunk read, in order.
    init(
        path: String,
        windowSize: Int = FileWindow.defaultWindowSize,
        observer: ((UnsafeRawBufferPointer) -> Void)? = nil
    ) throws(CaptureError) {
        let fd: Int32
        if path == "-" {
            fd = STDIN_FILENO
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                throw .cannotOpen(path, Self.errnoText())
            }
        }
        let owns = path != "-"
        var info = stat()
        if fstat(fd, &info) != 0 {
            let reason = Self.errnoText()
            if owns { close(fd) }
            throw .cannotOpen(path, reason)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            if owns { close(fd) }
            throw .cannotOpen(path, "it is a directory")
        }
        let pageSize = max(Int(sysconf(Int32(_SC_PAGESIZE))), 4096)
        self.fd = fd
        self.ownsDescriptor = owns
        self.path = path
        self.isStream = (info.st_mode & S_IFMT) != S_IFREG
        self.size = self.isStream ? 0 : Int(info.st_size)
        self.pageMask = pageSize - 1
        self.windowSize = max(windowSize, pageSize)
        self.observer = observer
    }

    deinit {
        if let base = self.base {
            if self.isStream {
                free(UnsafeMutableRawPointer(mutating: base))
            } else {
                munmap(UnsafeMutableRawPointer(mutating: base), self.windowLength)
            }
        }
        if self.ownsDescriptor {
            close(self.fd)
        }
    }

    /// How many of the `count` bytes at `offset` the input has: `count`, or fewer when it ends before. A streamed
    /// input is read (waiting for a writer) until it has them or ends.
    mutating func available(from offset: Int, upTo count: Int) throws(CaptureError) -> Int {
        if self.isStream && !self.atEnd && offset + count > self.size {
            try self.fill(through: offset + count)
        }
        return max(0, min(count, self.size - offset))
    }

    /// The bytes from `offset` to the end of the input; a streamed input is read to its end (and not kept).
    mutating func remaining(from offset: Int) throws(CaptureError) -> Int {
        if self.isStream {
            try self.readToEnd()
        }
        return max(0, self.size - offset)
    }

    /// Streamed: bytes before `offset` are no longer needed. Mapped: nothing to do.
    @inline(__always)
    mutating func release(before offset: Int) {
        self.keepFrom = offset
    }

    /// Streamed: reads and drops whatever is left, so the size (and the observer) cover the whole input; a read error
    /// ends it quietly, as the parser has already stopped. Mapped: nothing to do.
    mutating func drain() {
        if self.isStream {
            _ = try? self.readToEnd()
        }
    }

    /// The `count` bytes at `offset`, valid until the next call. The caller ensures they exist (``available(from:upTo:)``).
    mutating func bytes(at offset: Int, count: Int) throws(CaptureError) -> UnsafeRawBufferPointer {
        if count == 0 {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        if let base = self.base, offset >= self.windowStart,
            offset + count <= self.windowStart + self.windowLength
        {
            return UnsafeRawBufferPointer(start: base + (offset - self.windowStart), count: count)
        }
        if self.isStream {
            try self.fill(through: offset + count)
            guard offset >= self.windowStart, offset + count <= self.windowStart + self.windowLength else {
                throw .readFailed(
                    self.path,
                    offset: offset,
                    "\(count) bytes requested that were not kept or never came"
                )
            }
        } else {
            try self.remap(at: offset, count: count)
        }
        guard let base = self.base else {
            throw .readFailed(self.path, offset: offset, "no mapping")
        }
        return UnsafeRawBufferPointer(start: base + (offset - self.windowStart), count: count)
    }

    /// Unmaps the current window and maps one that starts at the page holding `offset` and covers `count` bytes.
    private mutating func remap(at offset: Int, count: Int) throws(CaptureError) {
        guard offset >= 0, count >= 0, offset + count <= self.size else {
            throw .readFailed(self.path, offset: offset, "\(count) bytes requested beyond the end of the file")
        }
        if let base = self.base {
            munmap(UnsafeMutableRawPointer(mutating: base), self.windowLength)
            self.base = nil
            self.windowLength = 0
        }
        let start = offset & ~self.pageMask
        let length = min(self.size - start, max(self.windowSize, offset - start + count))
        let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE, self.fd, off_t(start))
        guard let mapped, mapped != MAP_FAILED else {
            throw .readFailed(self.path, offset: offset, Self.errnoText())
        }
        _ = madvise(mapped, length, MADV_SEQUENTIAL)
        self.base = UnsafeRawPointer(mapped)
        self.windowStart = start
        self.windowLength = length
    }

    // MARK: - Streamed

    /// Reads until the buffer holds the input up to offset `end`, or the input ends.
    private mutating func fill(through end: Int) throws(CaptureError) {
        // Keep what the parser still needs, but never more than `streamRetention` behind the request: a block that
        // is only skipped is read past, not kept.
        let keep = max(min(self.keepFrom, self.size), end - Self.streamRetention)
        if keep > self.size {
            // Nothing buffered is needed: drop it and read (without keeping) up to `keep`.
            self.windowStart = self.size
            self.windowLength = 0
            while self.size < keep && !self.atEnd {
                try self.ensureCapacity(self.windowSize)
                _ = try self.readOnce(maximum: keep - self.size)
                self.windowStart = self.size
                self.windowLength = 0
            }
        } else if keep > self.windowStart && end - self.windowStart > self.capacity {
            // Move the bytes still needed to the front to make room.
            if let base = self.base {
                let mutable = UnsafeMutableRawPointer(mutating: base)
                mutable.copyMemory(from: base + (keep - self.windowStart), byteCount: self.size - keep)
            }
            self.windowLength = self.size - keep
            self.windowStart = keep
        }
        while self.size < end && !self.atEnd {
            try self.ensureCapacity(max(self.windowSize, end - self.windowStart))
            _ = try self.readOnce(maximum: self.capacity - self.windowLength)
        }
    }

    /// Reads and drops the rest of the input.
    private mutating func readToEnd() throws(CaptureError) {
        while !self.atEnd {
            self.windowStart = self.size
            self.windowLength = 0
            try self.ensureCapacity(self.windowSize)
            _ = try self.readOnce(maximum: self.capacity)
        }
        self.windowStart = self.size
        self.windowLength = 0
    }

    /// Grows the buffer to hold at least `needed` bytes.
    private mutating func ensureCapacity(_ needed: Int) throws(CaptureError) {
        guard needed > self.capacity else { return }
        guard let grown = realloc(self.base.map { UnsafeMutableRawPointer(mutating: $0) }, needed) else {
            throw .readFailed(self.path, offset: self.size, "cannot allocate \(needed) bytes")
        }
        self.base = UnsafeRawPointer(grown)
        self.capacity = needed
    }

    /// One read() into the free end of the buffer, of at most `maximum` bytes; notes the end of the input.
    private mutating func readOnce(maximum: Int) throws(CaptureError) -> Int {
        guard let base = self.base, maximum > 0 else { return 0 }
        let target = UnsafeMutableRawPointer(mutating: base) + self.windowLength
        if let stallHandler = self.stallHandler {
            var ready = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
            if poll(&ready, 1, 0) == 0 { stallHandler() }
        }
        while true {
            let count = read(self.fd, target, min(maximum, self.capacity - self.windowLength))
            if count < 0 {
                if errno == EINTR { continue }
                throw .readFailed(self.path, offset: self.size, Self.errnoText())
            }
            if count == 0 {
                self.atEnd = true
                return 0
            }
            self.observer?(UnsafeRawBufferPointer(start: target, count: count))
            self.windowLength += count
            self.size += count
            return count
        }
    }

    private static func errnoText() -> String {
        guard let text = strerror(errno) else {
            return "error \(errno)"
        }
        return String(cString: text)
    }
}
