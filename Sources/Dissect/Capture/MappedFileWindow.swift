import Glibc

/// A read-only, sliding memory mapping of one open file.
///
/// Only one window of about ``defaultWindowSize`` bytes is mapped at a time. Asking for bytes outside it unmaps it
/// and maps a new window that starts at the page holding the requested offset, so a sequential reader keeps a flat
/// resident size however large the file is, and a record straddling the old window's end is simply seen whole in the
/// new one. Owns the file descriptor and the mapping.
struct MappedFileWindow: ~Copyable {
    /// How much of the file one window maps, unless a single request needs more.
    static let defaultWindowSize = 4 << 20

    private let fd: Int32
    private let path: String
    /// The size of the file when it was opened; bytes beyond it are never mapped.
    let fileSize: Int
    private let windowSize: Int
    private let pageMask: Int
    private var base: UnsafeRawPointer?
    private var windowStart = 0
    private var windowLength = 0

    /// Opens `path` read-only and learns its size; maps nothing yet.
    init(path: String, windowSize: Int = MappedFileWindow.defaultWindowSize) throws(CaptureError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            throw .cannotOpen(path, Self.errnoText())
        }
        var info = stat()
        if fstat(fd, &info) != 0 {
            let reason = Self.errnoText()
            close(fd)
            throw .cannotOpen(path, reason)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw .cannotOpen(path, "it is a directory")
        }
        let pageSize = max(Int(sysconf(Int32(_SC_PAGESIZE))), 4096)
        self.fd = fd
        self.path = path
        self.fileSize = Int(info.st_size)
        self.pageMask = pageSize - 1
        self.windowSize = max(windowSize, pageSize)
    }

    deinit {
        if let base = self.base {
            munmap(UnsafeMutableRawPointer(mutating: base), self.windowLength)
        }
        close(self.fd)
    }

    /// The `count` bytes at `offset`, valid until the next call. The caller ensures `offset + count <= fileSize`.
    mutating func bytes(at offset: Int, count: Int) throws(CaptureError) -> UnsafeRawBufferPointer {
        if count == 0 {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        if let base = self.base, offset >= self.windowStart,
            offset + count <= self.windowStart + self.windowLength
        {
            return UnsafeRawBufferPointer(start: base + (offset - self.windowStart), count: count)
        }
        try self.remap(at: offset, count: count)
        guard let base = self.base else {
            throw .readFailed(self.path, offset: offset, "no mapping")
        }
        return UnsafeRawBufferPointer(start: base + (offset - self.windowStart), count: count)
    }

    /// Unmaps the current window and maps one that starts at the page holding `offset` and covers `count` bytes.
    private mutating func remap(at offset: Int, count: Int) throws(CaptureError) {
        guard offset >= 0, count >= 0, offset + count <= self.fileSize else {
            throw .readFailed(self.path, offset: offset, "\(count) bytes requested beyond the end of the file")
        }
        if let base = self.base {
            munmap(UnsafeMutableRawPointer(mutating: base), self.windowLength)
            self.base = nil
            self.windowLength = 0
        }
        let start = offset & ~self.pageMask
        let length = min(self.fileSize - start, max(self.windowSize, offset - start + count))
        let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE, self.fd, off_t(start))
        guard let mapped, mapped != MAP_FAILED else {
            throw .readFailed(self.path, offset: offset, Self.errnoText())
        }
        _ = madvise(mapped, length, MADV_SEQUENTIAL)
        self.base = UnsafeRawPointer(mapped)
        self.windowStart = start
        self.windowLength = length
    }

    private static func errnoText() -> String {
        guard let text = strerror(errno) else {
            return "error \(errno)"
        }
        return String(cString: text)
    }
}
