/// A growable byte buffer for writers that append many small pieces (the JSON writer): an append is a capacity check
/// and a copy, with none of an array's uniqueness checks. Owns its memory.
struct ByteSink: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes written so far.
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        self.base = .allocate(capacity: self.capacity)
    }

    deinit {
        self.base.deallocate()
    }

    /// Makes room for `extra` more bytes, at least doubling the capacity when it grows.
    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if self.count + extra > self.capacity {
            self.grow(to: self.count + extra)
        }
    }

    private mutating func grow(to needed: Int) {
        let capacity = max(needed, self.capacity * 2)
        let base = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        base.update(from: self.base, count: self.count)
        self.base.deallocate()
        self.base = base
        self.capacity = capacity
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        self.reserve(1)
        self.base[self.count] = byte
        self.count += 1
    }

    /// Appends `byte` `count` times (nothing when `count` <= 0).
    mutating func append(_ byte: UInt8, repeating count: Int) {
        guard count > 0 else { return }
        self.reserve(count)
        (self.base + self.count).initialize(repeating: byte, count: count)
        self.count += count
    }

    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        self.reserve(bytes.count)
        (self.base + self.count).update(from: source, count: bytes.count)
        self.count += bytes.count
    }

    mutating func append(contentsOf bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        self.reserve(bytes.count)
        UnsafeMutableRawPointer(self.base + self.count).copyMemory(from: source, byteCount: bytes.count)
        self.count += bytes.count
    }

    /// Appends the UTF-8 of `text`.
    mutating func append(utf8 text: String) {
        var text = text
        text.withUTF8 { self.append(contentsOf: $0) }
    }

    /// Calls `body` with the bytes written so far (valid only during the call).
    func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try body(UnsafeBufferPointer(start: self.base, count: self.count))
    }
}
