/// A running 64-bit fingerprint of one direction's byte stream, holes included, for telling whether two captured
/// copies of a connection carried the same bytes.
///
/// The value depends only on the stream (its bytes, and the position and length of each hole), never on how the
/// bytes were cut into pieces on the way, so two capture points that stored the same segments in another order still
/// agree. It is not a cryptographic hash: it tells copies apart from different traffic, not from a forger.
package struct StreamDigest: Hashable, Sendable {
    private var state: UInt64 = 0x243F_6A88_85A3_08D3
    /// Bytes of the word being filled, lowest first, and how many there are.
    private var partial: UInt64 = 0
    private var partialCount = 0
    /// Stream bytes and hole bytes seen, in order.
    private var length: UInt64 = 0

    package init() {}

    /// The next contiguous bytes of the stream.
    package mutating func add(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        var offset = 0
        let count = bytes.count
        self.length &+= UInt64(count)
        while self.partialCount != 0 && offset < count {
            self.take(byte: base.load(fromByteOffset: offset, as: UInt8.self))
            offset += 1
        }
        var state = self.state
        while count - offset >= 8 {
            state = Self.mix(state, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            offset += 8
        }
        self.state = state
        while offset < count {
            self.take(byte: base.load(fromByteOffset: offset, as: UInt8.self))
            offset += 1
        }
    }

    /// `count` bytes of the stream that were never captured: the hole's place and length enter the fingerprint.
    package mutating func addHole(_ count: Int) {
        guard count > 0 else { return }
        self.flushPartial()
        self.state = Self.mix(self.state, 0x9E37_79B9_7F4A_7C15 ^ self.length)
        self.state = Self.mix(self.state, UInt64(count))
        self.length &+= UInt64(count)
    }

    /// The fingerprint of everything added so far.
    package var value: UInt64 {
        var copy = self
        copy.flushPartial()
        return Self.mix(copy.state, copy.length)
    }

    private mutating func take(byte: UInt8) {
        self.partial |= UInt64(byte) << (8 * UInt64(self.partialCount))
        self.partialCount += 1
        if self.partialCount == 8 {
            self.state = Self.mix(self.state, self.partial)
            self.partial = 0
            self.partialCount = 0
        }
    }

    /// A word that is not complete is mixed in with its length, so that it cannot pass for a full one.
    private mutating func flushPartial() {
        guard self.partialCount > 0 else { return }
        self.state = Self.mix(self.state, self.partial ^ (UInt64(self.partialCount) << 59))
        self.partial = 0
        self.partialCount = 0
    }

    @inline(__always)
    private static func mix(_ state: UInt64, _ word: UInt64) -> UInt64 {
        let mixed = (state ^ word) &* 0xFF51_AFD7_ED55_8CCD
        return (mixed << 31 | mixed >> 33) &+ 0x94D0_49BB_1331_11EB
    }
}
