/// SHA-1 (RFC 3174, FIPS 180-4), in pure Swift.
///
/// wssniff uses it for one thing: recomputing `Sec-WebSocket-Accept` (RFC 6455 4.2.2), which is defined as
/// base64(SHA-1(key + GUID)). SHA-1 is broken for collision resistance; never use this type for security.
///
/// Incremental: ``update(_:)`` any number of times, then ``finalize()`` once.
package struct SHA1: Sendable {
    /// The length of a digest in bytes.
    package static let digestLength = 20

    /// FIPS 180-4 5.3.1: the initial hash value H(0).
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0
    )
    /// Bytes not yet processed: always fewer than 64.
    private var pending: [UInt8] = []
    /// Total message length in bytes so far.
    private var length: UInt64 = 0

    package init() {
        self.pending.reserveCapacity(64)
    }

    /// The SHA-1 digest of `bytes` (20 bytes).
    package static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = SHA1()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The SHA-1 digest of the UTF-8 bytes of `text` (20 bytes).
    package static func hash(_ text: String) -> [UInt8] {
        Self.hash(text.utf8)
    }

    /// Appends `bytes` to the message.
    package mutating func update(_ bytes: some Sequence<UInt8>) {
        // Contiguous bytes (arrays, native strings' UTF-8) go in up to a block at a time.
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            var offset = 0
            while offset < buffer.count {
                let take = min(64 - self.pending.count, buffer.count - offset)
                self.pending.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[offset..<offset + take]))
                offset += take
                if self.pending.count == 64 {
                    self.processBlock()
                    self.pending.removeAll(keepingCapacity: true)
                }
            }
            self.length &+= UInt64(buffer.count)
        }
        if done != nil { return }
        for byte in bytes {
            self.pending.append(byte)
            if self.pending.count == 64 {
                self.processBlock()
                self.pending.removeAll(keepingCapacity: true)
            }
            self.length &+= 1
        }
    }

    /// Pads the message and returns its digest (20 bytes, big-endian words). The hasher must not be used again.
    package mutating func finalize() -> [UInt8] {
        // FIPS 180-4 5.1.1: "append the bit "1" to the end of the message, followed by k zero bits, where k is the
        // smallest, non-negative solution to the equation l + 1 + k = 448 mod 512. Then append the 64-bit block
        // that is equal to the number l expressed using a binary representation."
        let bitLength = self.length &* 8
        self.pending.append(0x80)
        if self.pending.count > 56 {
            self.pending.append(contentsOf: repeatElement(0, count: 64 - self.pending.count))
            self.processBlock()
            self.pending.removeAll(keepingCapacity: true)
        }
        self.pending.append(contentsOf: repeatElement(0, count: 56 - self.pending.count))
        for shift in stride(from: 56, through: 0, by: -8) {
            self.pending.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        self.processBlock()
        self.pending.removeAll()

        var digest: [UInt8] = []
        digest.reserveCapacity(Self.digestLength)
        for word in [self.state.0, self.state.1, self.state.2, self.state.3, self.state.4] {
            digest.append(UInt8(truncatingIfNeeded: word >> 24))
            digest.append(UInt8(truncatingIfNeeded: word >> 16))
            digest.append(UInt8(truncatingIfNeeded: word >> 8))
            digest.append(UInt8(truncatingIfNeeded: word))
        }
        return digest
    }

    /// FIPS 180-4 6.1.2: processes the 64 bytes in `pending`.
    private mutating func processBlock() {
        // The message schedule on the stack: a heap array per block cost more than the block itself.
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { schedule in
            self.pending.withUnsafeBufferPointer { block in
                for index in 0..<16 {
                    schedule[index] =
                        UInt32(block[index * 4]) << 24 | UInt32(block[index * 4 + 1]) << 16
                        | UInt32(block[index * 4 + 2]) << 8 | UInt32(block[index * 4 + 3])
                }
            }
            for index in 16..<80 {
                schedule[index] = Self.rotateLeft(
                    schedule[index - 3] ^ schedule[index - 8] ^ schedule[index - 14] ^ schedule[index - 16],
                    by: 1
                )
            }
            self.compress(UnsafeBufferPointer(schedule))
        }
    }

    /// FIPS 180-4 6.1.2 step 3-4: the 80 rounds over one block's message schedule.
    private mutating func compress(_ schedule: UnsafeBufferPointer<UInt32>) {
        var (a, b, c, d, e) = self.state
        for index in 0..<80 {
            let f: UInt32
            let k: UInt32
            switch index {
            case 0..<20:
                f = (b & c) | (~b & d)
                k = 0x5A82_7999
            case 20..<40:
                f = b ^ c ^ d
                k = 0x6ED9_EBA1
            case 40..<60:
                f = (b & c) | (b & d) | (c & d)
                k = 0x8F1B_BCDC
            default:
                f = b ^ c ^ d
                k = 0xCA62_C1D6
            }
            let temp = Self.rotateLeft(a, by: 5) &+ f &+ e &+ k &+ schedule[index]
            e = d
            d = c
            c = Self.rotateLeft(b, by: 30)
            b = a
            a = temp
        }
        self.state = (
            self.state.0 &+ a, self.state.1 &+ b, self.state.2 &+ c, self.state.3 &+ d, self.state.4 &+ e
        )
    }

    private static func rotateLeft(_ value: UInt32, by count: UInt32) -> UInt32 {
        (value << count) | (value >> (32 - count))
    }
}
