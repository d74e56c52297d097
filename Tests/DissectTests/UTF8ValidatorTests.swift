import Dissect
import Testing

@Suite("UTF8Validator")
struct UTF8ValidatorTests {
    @Test(
        "well-formed sequences (RFC 3629 section 4) are accepted",
        arguments: [
            [],
            [0x48, 0x65, 0x6c, 0x6c, 0x6f],
            [0x00, 0x7f],
            [0xc2, 0x80],  // U+0080, the first 2-byte code point
            [0xdf, 0xbf],  // U+07FF
            [0xe0, 0xa0, 0x80],  // U+0800, the first 3-byte code point
            [0xed, 0x9f, 0xbf],  // U+D7FF, just below the surrogates
            [0xee, 0x80, 0x80],  // U+E000, just above them
            [0xef, 0xbf, 0xbf],  // U+FFFF
            [0xf0, 0x90, 0x80, 0x80],  // U+10000, the first 4-byte code point
            [0xf4, 0x8f, 0xbf, 0xbf],  // U+10FFFF, the last code point
            [0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5],  // "κόσμε"
        ] as [[UInt8]]
    )
    func accepts(_ bytes: [UInt8]) {
        #expect(UTF8Validator.isValid(bytes))
    }

    @Test(
        "overlongs, surrogates, code points above U+10FFFF and stray bytes are rejected",
        arguments: [
            ([0xc0, 0x80], 0),  // overlong U+0000
            ([0xc1, 0xbf], 0),  // overlong U+007F
            ([0xe0, 0x80, 0x80], 1),  // overlong U+0000 in 3 bytes
            ([0xe0, 0x9f, 0xbf], 1),  // overlong U+07FF
            ([0xf0, 0x80, 0x80, 0x80], 1),  // overlong U+0000 in 4 bytes
            ([0xf0, 0x8f, 0xbf, 0xbf], 1),  // overlong U+FFFF
            ([0xed, 0xa0, 0x80], 1),  // U+D800, a high surrogate
            ([0xed, 0xbf, 0xbf], 1),  // U+DFFF, a low surrogate
            ([0xf4, 0x90, 0x80, 0x80], 1),  // U+110000
            ([0xf5, 0x80, 0x80, 0x80], 0),  // lead byte above F4
            ([0xff], 0),
            ([0x41, 0x80], 1),  // a continuation byte without a lead
            ([0xc2, 0x41], 1),  // a lead byte without its continuation
            ([0xe1, 0x80, 0x41], 2),
        ] as [([UInt8], Int)]
    )
    func rejects(_ bytes: [UInt8], errorOffset: Int) {
        var validator = UTF8Validator()
        let valid = validator.feed(bytes)
        #expect(!valid)
        #expect(!validator.isComplete)
        #expect(validator.errorOffset == errorOffset)
    }

    @Test(
        "a sequence cut at the end is not complete",
        arguments: [[0xc2], [0xe2, 0x82], [0xf0, 0x9f, 0x98]] as [[UInt8]]
    )
    func incompleteAtEnd(_ bytes: [UInt8]) {
        var validator = UTF8Validator()
        let valid = validator.feed(bytes)
        #expect(valid)
        #expect(validator.isValidSoFar)
        #expect(validator.endsInsideSequence)
        #expect(!validator.isComplete)
    }

    @Test("a sequence may be split across feeds at every position")
    func splitAcrossFeeds() {
        let text: [UInt8] = Array("aé€😀z — ascii run long enough for the fast path 12345678".utf8)
        for cut in 0...text.count {
            var validator = UTF8Validator()
            validator.feed(Array(text[..<cut]))
            validator.feed(Array(text[cut...]))
            #expect(validator.isComplete, "cut at \(cut)")
        }
        // One byte at a time.
        var validator = UTF8Validator()
        for byte in text {
            validator.feed([byte])
        }
        #expect(validator.isComplete)
        #expect(validator.count == text.count)
    }

    @Test("an error offset counts from the first byte fed, across feeds")
    func errorOffsetAcrossFeeds() {
        var validator = UTF8Validator()
        validator.feed(Array("0123456789".utf8))
        validator.feed([0xe2, 0x82])
        validator.feed([0x28])  // not a continuation byte
        #expect(validator.errorOffset == 12)
        validator.feed(Array("more".utf8))
        #expect(!validator.isValidSoFar)
        #expect(validator.count == 17)
    }

    @Test("the ASCII fast path stops at the first non-ASCII byte in a word")
    func fastPathBoundary() {
        for position in 0..<24 {
            var bytes = [UInt8](repeating: 0x61, count: 24)
            bytes[position] = 0x80
            var validator = UTF8Validator()
            validator.feed(bytes)
            #expect(validator.errorOffset == position)
        }
    }

    @Test("it agrees with Swift's own decoder on every 2-byte input")
    func agreesWithStandardLibraryOnPairs() {
        for first in 0...255 {
            for second in 0...255 {
                let bytes: [UInt8] = [UInt8(first), UInt8(second)]
                let expected = String(validating: bytes, as: UTF8.self) != nil
                #expect(UTF8Validator.isValid(bytes) == expected, "\(bytes)")
            }
        }
    }
}
