/// A running 64-bit fingerprint of one direction's byte stream, holes included, for telling whether two captured
/// copies of a connection carried the same bytes.
///
/// The value depends only on the stream (its bytes, and the position and length of each hole), never on how the
/// bytes were cut into pieces on the way, so two capture points that stored the same segments in another order still
/// agree. It is not a cryptographic hash: it tells copies apart from different traffic, not from a forger.
package struct StreamDigest: Hashable, Sendable {
    /// Four independent lanes: the stream's 8-byte word number `i` goes to lane `i % 4`, so that the multiplications
    /// of neighbouring words do not wait for each other.
    private var lanes: (UInt64, UInt64, UInt64, UInt64) = (
        0x243F_6A88_85A3_08D3, 0x1319_8A2E_0370_7344, 0xA409_3822_299F_31D0, 0x082E_FA98_EC4E_6C89
    )
    /// Complete words mixed in so far (their lane is this modulo 4).
    private var words: UInt64 = 0
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
        while self.words & 3 != 0 && count - offset >= 8 {
            self.mixWord(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            offset += 8
        }
        if count - offset >= 32 {
            var (a, b, c, d) = self.lanes
            var pointer = base + offset
            let blocks = (count - offset) / 32
            let end = pointer + blocks * 32
            while pointer < end {
                a = Self.mix(a, UInt64(littleEndian: pointer.loadUnaligned(as: UInt64.self)))
                b = Self.mix(b, UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
                c = Self.mix(c, UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
                d = Self.mix(d, UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
                pointer += 32
            }
            self.lanes = (a, b, c, d)
            self.words &+= UInt64(blocks) &* 4
            offset += blocks * 32
        }
        while count - offset >= 8 {
            self.mixWord(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            offset += 8
        }
        while offset < count {
            self.take(byte: base.load(fromByteOffset: offset, as: UInt8.self))
            offset += 1
        }
    }

    /// `count` bytes of the stream that were never captured: the hole's place and length enter the fingerprint.
    package mutating func addHole(_ count: Int) {
        guard count > 0 else { return }
        self.flushPartial()
        self.mixWord(0x9E37_79B9_7F4A_7C15 ^ self.length)
        self.mixWord(UInt64(count))
        self.length &+= UInt64(count)
    }

    /// The fingerprint of everything added so far.
    package var value: UInt64 {
        var copy = self
        copy.flushPartial()
        let (a, b, c, d) = copy.lanes
        return Self.mix(Self.mix(Self.mix(Self.mix(Self.mix(a, b), c), d), copy.words), copy.length)
    }

    package static func == (lhs: StreamDigest, rhs: StreamDigest) -> Bool {
        lhs.value == rhs.value
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(self.value)
    }

    private mutating func mixWord(_ word: UInt64) {
        switch self.words & 3 {
        case 0: self.lanes.0 = Self.mix(self.lanes.0, word)
        case 1: self.lanes.1 = Self.mix(self.lanes.1, word)
        case 2: self.lanes.2 = Self.mix(self.lanes.2, word)
        default: self.lanes.3 = Self.mix(self.lanes.3, word)
        }
        self.words &+= 1
    }

    private mutating func take(byte: UInt8) {
        self.partial |= UInt64(byte) &<< (8 &* UInt64(self.partialCount))
        self.partialCount += 1
        if self.partialCount == 8 {
            self.mixWord(self.partial)
            self.partial = 0
            self.partialCount = 0
        }
    }

    /// A word that is not complete is mixed in with its length, so that it cannot pass for a full one.
    private mutating func flushPartial() {
        guard self.partialCount > 0 else { return }
        self.mixWord(self.partial ^ (UInt64(self.partialCount) << 59))
        self.partial = 0
        self.partialCount = 0
    }

    @inline(__always)
    private static func mix(_ state: UInt64, _ word: UInt64) -> UInt64 {
        let mixed = (state ^ word) &* 0xFF51_AFD7_ED55_8CCD
        return (mixed &<< 31 | mixed &>> 33) &+ 0x94D0_49BB_1331_11EB
    }
}
