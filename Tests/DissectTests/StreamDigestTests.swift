import Dissect
import Foundation
import Testing

/// Two capture points that stored the same stream must agree on its fingerprint however the bytes were cut into
/// deliveries; any other stream, or the same bytes with a hole elsewhere, must not.
@Suite struct StreamDigestTests {
    /// Real bytes: a bundled capture file read as one stream.
    static let stream: [UInt8] = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        let data = FileManager.default.contents(atPath: path + "/samples/interleaved.pcap") ?? Data()
        return [UInt8](data)
    }()

    static func digest(_ bytes: [UInt8], cuts: [Int], hole: (at: Int, length: Int)? = nil) -> UInt64 {
        var digest = StreamDigest()
        var start = 0
        for end in (cuts + [bytes.count]).sorted() where end >= start {
            if let hole, hole.at >= start && hole.at < end {
                bytes[start..<hole.at].withUnsafeBytes { digest.add($0) }
                digest.addHole(hole.length)
                bytes[hole.at..<end].withUnsafeBytes { digest.add($0) }
            } else {
                bytes[start..<end].withUnsafeBytes { digest.add($0) }
            }
            start = end
        }
        return digest.value
    }

    @Test func theCutsDoNotMatter() {
        let bytes = Self.stream
        #expect(bytes.count > 4_000)
        let whole = Self.digest(bytes, cuts: [])
        for step in [1, 3, 7, 8, 9, 31, 32, 33, 100, 1_447] {
            let cuts = Array(stride(from: step, to: bytes.count, by: step))
            #expect(Self.digest(bytes, cuts: cuts) == whole, "pieces of \(step) bytes")
        }
        #expect(Self.digest(bytes, cuts: [5, 6, 40, 41, 1_000]) == whole)
        let withHole = Self.digest(bytes, cuts: [], hole: (1_001, 100))
        #expect(Self.digest(bytes, cuts: [13, 500, 2_000], hole: (1_001, 100)) == withHole)
    }

    @Test func otherBytesOrHolesDiffer() {
        let bytes = Self.stream
        let whole = Self.digest(bytes, cuts: [])
        for position in [0, 7, 8, 31, 32, bytes.count / 2, bytes.count - 1] {
            var changed = bytes
            changed[position] ^= 0x01
            #expect(Self.digest(changed, cuts: []) != whole, "byte \(position) changed")
        }
        #expect(Self.digest(Array(bytes.dropLast()), cuts: []) != whole, "one byte less")
        #expect(Self.digest(bytes + [0], cuts: []) != whole, "one zero byte more")
        let hole = Self.digest(bytes, cuts: [], hole: (1_001, 100))
        #expect(hole != whole)
        #expect(Self.digest(bytes, cuts: [], hole: (1_002, 100)) != hole, "the hole elsewhere")
        #expect(Self.digest(bytes, cuts: [], hole: (1_001, 101)) != hole, "a longer hole")
    }
}
