/// Finding, eight bytes at a time, where a run of bytes that need no special handling ends: the JSON reader's
/// strings (a quotation mark, a reverse solidus or a control character ends a plain run) and the JSON writer's
/// (those and DEL must be escaped).
package enum ByteScan {
    /// The offset of the first whole eight-byte word from `start` that holds a byte below 0x20 or one of `stops`, or
    /// where the whole words end: the caller goes on from there byte by byte. Each word is tested at once:
    /// `(x - 0x01…) & ~x & 0x80…` is non-zero exactly when some byte of x is zero, so `x = word ^ 0xbb…` finds the
    /// byte bb; `(word - 0x20…) & ~word & 0x80…` is non-zero exactly when some byte is below 0x20.
    @inlinable
    package static func plainRunEnd(
        _ bytes: UnsafeRawBufferPointer,
        from start: Int,
        stops: (UInt8, UInt8, UInt8)
    ) -> Int {
        guard let base = bytes.baseAddress else { return start }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let first = ones &* UInt64(stops.0)
        let second = ones &* UInt64(stops.1)
        let third = ones &* UInt64(stops.2)
        var position = start
        while position + 8 <= bytes.count {
            let word = base.loadUnaligned(fromByteOffset: position, as: UInt64.self)
            let a = word ^ first
            let b = word ^ second
            let c = word ^ third
            let stop =
                ((a &- ones) & ~a) | ((b &- ones) & ~b) | ((c &- ones) & ~c) | ((word &- ones &* 0x20) & ~word)
            if stop & (ones &* 0x80) != 0 { break }
            position += 8
        }
        return position
    }
}
