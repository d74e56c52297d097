/// Fixed-width integer loads from packet and file bytes.
///
/// Every caller checks that `offset + size <= count` first: these helpers do no bounds checking of their own in
/// release builds, because they run several times per packet. `loadUnaligned` is used throughout since neither
/// capture records nor protocol headers are aligned.
extension UnsafeRawBufferPointer {
    /// The byte at `offset`.
    @inline(__always)
    func u8(_ offset: Int) -> UInt8 {
        self.loadUnaligned(fromByteOffset: offset, as: UInt8.self)
    }

    /// A big-endian (network order) `UInt16` at `offset`.
    @inline(__always)
    func be16(_ offset: Int) -> UInt16 {
        UInt16(bigEndian: self.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    /// A big-endian (network order) `UInt32` at `offset`.
    @inline(__always)
    func be32(_ offset: Int) -> UInt32 {
        UInt32(bigEndian: self.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// A big-endian (network order) `UInt64` at `offset`.
    @inline(__always)
    func be64(_ offset: Int) -> UInt64 {
        UInt64(bigEndian: self.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// A little-endian `UInt32` at `offset`.
    @inline(__always)
    func le32(_ offset: Int) -> UInt32 {
        UInt32(littleEndian: self.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// A sub-buffer of `count` bytes at `offset`, without bounds checking in release builds.
    @inline(__always)
    func slice(_ offset: Int, _ count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[offset..<(offset + count)])
    }

    /// The bytes from `offset` to the end, without bounds checking in release builds.
    @inline(__always)
    func dropping(_ offset: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[offset...])
    }
}

/// The byte order of a capture file section, decided by its magic number.
enum CaptureByteOrder: Sendable {
    case little
    case big

    /// A `UInt16` in this byte order at `offset` of `bytes`.
    @inline(__always)
    func u16(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        return self == .little ? UInt16(littleEndian: raw) : UInt16(bigEndian: raw)
    }

    /// A `UInt32` in this byte order at `offset` of `bytes`.
    @inline(__always)
    func u32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        return self == .little ? UInt32(littleEndian: raw) : UInt32(bigEndian: raw)
    }

    /// A `UInt64` in this byte order at `offset` of `bytes`.
    @inline(__always)
    func u64(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        return self == .little ? UInt64(littleEndian: raw) : UInt64(bigEndian: raw)
    }
}
