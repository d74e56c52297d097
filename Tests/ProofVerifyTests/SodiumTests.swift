import ProofVerify
import Testing

@Suite struct SodiumTests {
    @Test func initializes() {
        #expect(Sodium.isAvailable)
        #expect(Sodium.version.hasPrefix("1."))
    }

    /// FIPS 180-2 appendix B test vectors.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func sha256MatchesFIPSVectors(input: String, expected: String) {
        #expect(Sodium.sha256(Array(input.utf8)).hexString == expected)
    }

    @Test func incrementalHashEqualsOneShot() {
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var hasher = SHA256Hasher()
        var offset = 0
        for size in [1, 63, 64, 65, 4096, 100_000] where offset < bytes.count {
            let end = min(bytes.count, offset + size)
            let chunk = Array(bytes[offset..<end])
            hasher.update(chunk.span.bytes)
            offset = end
        }
        #expect(hasher.finalize() == Sodium.sha256(bytes))
    }
}
