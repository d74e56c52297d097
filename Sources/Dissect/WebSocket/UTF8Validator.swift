/// An incremental UTF-8 validator (RFC 3629 section 4), fed bytes as they arrive.
///
/// It accepts exactly the well-formed sequences of RFC 3629's `UTF8-octets` grammar, so it rejects overlong
/// encodings, the surrogates U+D800-U+DFFF and anything above U+10FFFF, like `ws`'s `isValidUTF8`. A sequence may be
/// split across any number of `feed` calls (WebSocket fragments, TCP segments, inflater output chunks).
///
/// ```
/// UTF8-1      = %x00-7F
/// UTF8-2      = %xC2-DF UTF8-tail
/// UTF8-3      = %xE0 %xA0-BF UTF8-tail / %xE1-EC 2( UTF8-tail ) /
///               %xED %x80-9F UTF8-tail / %xEE-EF 2( UTF8-tail )
/// UTF8-4      = %xF0 %x90-BF 2( UTF8-tail ) / %xF1-F3 3( UTF8-tail ) /
///               %xF4 %x80-8F 2( UTF8-tail )
/// UTF8-tail   = %x80-BF
/// ```
package struct UTF8Validator: Sendable {
    /// Continuation bytes still expected for the sequence in progress.
    private var pending: UInt8 = 0
    /// The range the next continuation byte must fall in (narrower than 80-BF right after E0, ED, F0, F4).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF
    /// Bytes fed so far.
    package private(set) var count: Int = 0
    /// The offset (from the first byte fed) of the first byte that broke the grammar; nil while none did.
    package private(set) var errorOffset: Int?

    package init() {}

    /// True while no byte broke the grammar (a sequence may still be open).
    package var isValidSoFar: Bool { self.errorOffset == nil }

    /// True when everything fed is well-formed and no multi-byte sequence is left open.
    package var isComplete: Bool { self.errorOffset == nil && self.pending == 0 }

    /// True when the input so far is well-formed but ends inside a multi-byte sequence.
    package var endsInsideSequence: Bool { self.errorOffset == nil && self.pending != 0 }

    /// Validates `bytes` as the continuation of everything fed before; returns `isValidSoFar`.
    @discardableResult
    package mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard self.errorOffset == nil else {
            self.count += bytes.count
            return false
        }
        let start = self.count
        self.count += bytes.count
        guard let base = bytes.baseAddress else { return true }
        let end = bytes.count
        var index = 0
        while index < end {
            if self.pending == 0 {
                // Fast path: ASCII, thirty-two bytes at a time, then eight.
                while index + 32 <= end {
                    let any =
                        base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                        | base.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self)
                        | base.loadUnaligned(fromByteOffset: index + 16, as: UInt64.self)
                        | base.loadUnaligned(fromByteOffset: index + 24, as: UInt64.self)
                    if any & 0x8080_8080_8080_8080 != 0 { break }
                    index += 32
                }
                while index + 8 <= end {
                    let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                    if word & 0x8080_8080_8080_8080 != 0 { break }
                    index += 8
                }
                guard index < end else { break }
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                index += 1
                switch byte {
                case 0x00...0x7F:
                    continue
                case 0xC2...0xDF:
                    self.expect(1, 0x80, 0xBF)
                case 0xE0:
                    self.expect(2, 0xA0, 0xBF)  // no overlong 3-byte forms
                case 0xE1...0xEC, 0xEE...0xEF:
                    self.expect(2, 0x80, 0xBF)
                case 0xED:
                    self.expect(2, 0x80, 0x9F)  // no surrogates U+D800-U+DFFF
                case 0xF0:
                    self.expect(3, 0x90, 0xBF)  // no overlong 4-byte forms
                case 0xF1...0xF3:
                    self.expect(3, 0x80, 0xBF)
                case 0xF4:
                    self.expect(3, 0x80, 0x8F)  // nothing above U+10FFFF
                default:
                    // 80-BF without a lead byte, C0-C1 (overlong 2-byte forms), F5-FF.
                    self.errorOffset = start + index - 1
                    return false
                }
            } else {
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                guard byte >= self.lower && byte <= self.upper else {
                    self.errorOffset = start + index
                    return false
                }
                index += 1
                self.pending -= 1
                self.lower = 0x80
                self.upper = 0xBF
            }
        }
        return true
    }

    /// Validates the bytes of an array (a convenience for tests and small payloads).
    @discardableResult
    package mutating func feed(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { self.feed($0) }
    }

    /// Validates a whole buffer at once.
    package static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var validator = UTF8Validator()
        validator.feed(bytes)
        return validator.isComplete
    }

    /// Validates a whole array at once.
    package static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Self.isValid($0) }
    }

    private mutating func expect(_ continuationBytes: UInt8, _ lower: UInt8, _ upper: UInt8) {
        self.pending = continuationBytes
        self.lower = lower
        self.upper = upper
    }
}
