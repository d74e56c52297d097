internal import Glibc

/// Finding a run of bytes in bytes: libc's vectorized `memchr` finds each candidate first byte, `memcmp` checks the
/// rest. One search for every layer that looks for a literal in raw bytes (gateway announcements in messages,
/// secret-naming parts in keys, HTTP head ends, PEM armor).
package enum ByteSearch {
    /// The offset of the first `needle` in `haystack` at or after `start`; nil when there is none (or `needle` is
    /// empty).
    package static func offset(
        of needle: UnsafeRawBufferPointer,
        in haystack: UnsafeRawBufferPointer,
        from start: Int = 0
    ) -> Int? {
        guard let base = haystack.baseAddress, let first = needle.first, let pattern = needle.baseAddress,
            start >= 0, haystack.count - start >= needle.count
        else { return nil }
        let last = haystack.count - needle.count
        var offset = start
        while offset <= last {
            guard let hit = memchr(base + offset, Int32(first), last - offset + 1) else { return nil }
            let position = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(base + position, pattern, needle.count) == 0 { return position }
            offset = position + 1
        }
        return nil
    }

    /// The offset of the first `needle` in `haystack` at or after `start`.
    package static func offset(of needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
        needle.withUnsafeBytes { needle in
            haystack.withUnsafeBytes { Self.offset(of: needle, in: $0, from: start) }
        }
    }
}
