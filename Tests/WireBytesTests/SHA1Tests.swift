import Testing

@testable import WireBytes

struct SHA1Tests {
    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// RFC 3174 7.3 test suite and the FIPS 180 examples.
    @Test(
        arguments: [
            ("", 1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            ("abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
                "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
            ),
            ("a", 1_000_000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"),
            (
                "0123456701234567012345670123456701234567012345670123456701234567", 10,
                "dea356a2cddd90c7a7ecedc5ebb563934f460452"
            ),
        ]
    )
    func rfc3174Vectors(text: String, repeats: Int, expected: String) {
        var hasher = SHA1()
        for _ in 0..<repeats {
            hasher.update(text.utf8)
        }
        #expect(Self.hex(hasher.finalize()) == expected)
    }

    /// Lengths around the 56- and 64-byte padding boundaries (expected values from Python's hashlib).
    @Test(
        arguments: [
            (55, "8ae2d46729cfe68ff927af5eec9c7d1b66d65ac2"),
            (56, "636e2ec698dac903498e648bd2f3af641d3c88cb"),
            (63, "6d942da0c4392b123528f2905c713a3ce28364bd"),
            (64, "c6138d514ffa2135bfce0ed0b8fac65669917ec7"),
            (65, "69bd728ad6e13cd76ff19751fde427b00e395746"),
            (119, "41c89d06001bab4ab78736b44efe7ce18ce6ae08"),
            (120, "d3dbd653bd8597b7475321b60a36891278e6a04a"),
        ]
    )
    func paddingBoundaries(length: Int, expected: String) {
        let bytes = (0..<length).map { UInt8($0 % 251) }
        #expect(Self.hex(SHA1.hash(bytes)) == expected)
    }

    @Test func incrementalUpdatesMatchOneShot() {
        let bytes = (0..<300).map { UInt8($0 % 256) }
        for split in [0, 1, 63, 64, 65, 200, 300] {
            var hasher = SHA1()
            hasher.update(bytes[..<split])
            hasher.update(bytes[split...])
            #expect(hasher.finalize() == SHA1.hash(bytes))
        }
    }

    /// Contiguous bytes go in a block at a time, other sequences byte by byte: the digests agree, mixed too.
    @Test func contiguousAndOtherSequencesAgree() {
        let bytes = (0..<300).map { UInt8($0 % 256) }
        let lazy = (0..<300).lazy.map { UInt8($0 % 256) }
        #expect(SHA1.hash(lazy) == SHA1.hash(bytes))
        for split in [0, 1, 63, 64, 65, 200] {
            var hasher = SHA1()
            hasher.update(lazy.prefix(split))
            hasher.update(bytes[split...])
            #expect(hasher.finalize() == SHA1.hash(bytes))
        }
    }

    /// RFC 6455 1.3: the Sec-WebSocket-Accept worked example.
    @Test func webSocketAcceptExample() {
        let digest = SHA1.hash("dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
        #expect(Self.hex(digest) == "b37a4f2cc0624f1690f64606cf385945b2bec4ea")
        #expect(Base64.encode(digest) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }
}
