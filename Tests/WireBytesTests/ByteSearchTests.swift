import Testing

@testable import WireBytes

/// `ByteSearch` finds the first needle at or after a start, as the obvious byte-by-byte search does: at every offset,
/// with partial matches and repeated first bytes before it, and not past the end.
@Suite struct ByteSearchTests {
    private func naive(_ needle: [UInt8], _ haystack: [UInt8], _ start: Int) -> Int? {
        guard !needle.isEmpty, start >= 0, haystack.count - start >= needle.count else { return nil }
        return (start...(haystack.count - needle.count)).first {
            haystack[$0..<($0 + needle.count)].elementsEqual(needle)
        }
    }

    @Test func agreesWithTheObviousSearch() {
        let needles: [[UInt8]] = [Array("\r\n\r\n".utf8), Array("ab".utf8), Array("a".utf8), Array("aab".utf8), []]
        for length in 0..<24 {
            // A haystack of a, b, \r, \n in a fixed pattern: partial matches everywhere.
            let haystack = (0..<length).map { Array("aabab\r\n\ra\r\n\r\nb".utf8)[($0 * 5) % 14] }
            for needle in needles {
                for start in 0...(length + 1) {
                    #expect(
                        ByteSearch.offset(of: needle, in: haystack, from: start) == self.naive(needle, haystack, start),
                        "\(needle) in \(haystack) from \(start)"
                    )
                }
            }
        }
    }
}
