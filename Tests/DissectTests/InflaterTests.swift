import CZlib
import Dissect
import Testing

@Suite("Inflater")
struct InflaterTests {
    /// RFC 7692 7.2.3.1: "Hello" as one DEFLATE block with BFINAL=0, without the 00 00 ff ff tail.
    static let hello: [UInt8] = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]
    static let tail: [UInt8] = [0x00, 0x00, 0xff, 0xff]

    @Test("RFC 7692 7.2.3.1: the compressed payload plus 00 00 ff ff inflates to Hello")
    func inflatesHello() {
        let inflater = Inflater()
        let (output, outcome) = inflater.inflate(Self.hello + Self.tail)
        #expect(output == Array("Hello".utf8))
        #expect(outcome == .consumedAll)
        #expect(!inflater.needsReset)
    }

    @Test("RFC 7692 7.2.3.2: the context is kept across messages until reset")
    func keepsContext() {
        let inflater = Inflater()
        #expect(inflater.inflate(Self.hello + Self.tail).output == Array("Hello".utf8))
        #expect(inflater.inflate([0xf2, 0x00, 0x11, 0x00, 0x00] + Self.tail).output == Array("Hello".utf8))
        inflater.reset()
        // Without the context the back-reference points before the start of the window.
        let (_, outcome) = inflater.inflate([0xf2, 0x00, 0x11, 0x00, 0x00] + Self.tail)
        guard case .failed = outcome else {
            Issue.record("expected a failure, got \(outcome)")
            return
        }
        #expect(inflater.needsReset)
    }

    @Test("RFC 7692 7.2.3.3: a BFINAL=1 block ends the stream and leaves the rest unread")
    func streamEnd() {
        let inflater = Inflater()
        let (output, outcome) = inflater.inflate([0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00] + Self.tail)
        #expect(output == Array("Hello".utf8))
        #expect(outcome == .streamEnd(consumed: 7))
        #expect(inflater.needsReset)
        // Used again without a reset it refuses (zlib would silently produce nothing).
        guard case .failed = inflater.inflate(Self.hello + Self.tail).outcome else {
            Issue.record("expected a failure before reset")
            return
        }
        inflater.reset()
        #expect(inflater.inflate(Self.hello + Self.tail).output == Array("Hello".utf8))
    }

    @Test("output arrives in chunks and input may come a byte at a time")
    func chunkedInputAndOutput() {
        let original = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 300) }
        let compressed = deflateRaw(original)
        let inflater = Inflater()
        var output: [UInt8] = []
        var largest = 0
        for byte in compressed + Self.tail {
            let outcome = [byte].withUnsafeBytes { buffer in
                inflater.inflate(buffer) { chunk in
                    largest = max(largest, chunk.count)
                    output.append(contentsOf: chunk)
                    return true
                }
            }
            #expect(outcome == .consumedAll)
        }
        #expect(output == original)
        #expect(largest <= Inflater.outputChunkSize)
    }

    @Test("a bomb stops at the caller's limit")
    func bombStops() {
        let compressed = deflateRaw([UInt8](repeating: 0, count: 20 << 20))
        #expect(compressed.count < 64 * 1024)
        let inflater = Inflater()
        let (output, outcome) = inflater.inflate(compressed + Self.tail, limit: 1 << 20)
        #expect(output.count == 1 << 20)
        #expect(outcome == .stopped)
        #expect(inflater.needsReset)
    }

    @Test("garbage is reported with zlib's message")
    func garbage() {
        let inflater = Inflater()
        let outcome = inflater.inflate([0xff, 0xff, 0xff, 0xff]).outcome
        guard case .failed(let message) = outcome else {
            Issue.record("expected a failure, got \(outcome)")
            return
        }
        #expect(!message.isEmpty)
    }
}

/// Raw DEFLATE (no zlib header) of `input`, ending with a sync flush: a permessage-deflate payload once its
/// trailing 00 00 ff ff is removed (RFC 7692 7.2.1).
func deflateRaw(_ input: [UInt8], level: Int32 = 9) -> [UInt8] {
    var stream = z_stream()
    guard wssniff_deflateInit2(&stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK else { return [] }
    defer { deflateEnd(&stream) }
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    var input = input
    input.withUnsafeMutableBufferPointer { source in
        stream.next_in = source.baseAddress
        stream.avail_in = uInt(source.count)
        repeat {
            buffer.withUnsafeMutableBufferPointer { destination in
                stream.next_out = destination.baseAddress
                stream.avail_out = uInt(destination.count)
                _ = deflate(&stream, Z_SYNC_FLUSH)
                output.append(contentsOf: destination[0..<(destination.count - Int(stream.avail_out))])
            }
        } while stream.avail_out == 0 || stream.avail_in > 0
    }
    if output.suffix(4) == [0x00, 0x00, 0xff, 0xff] {
        output.removeLast(4)
    }
    return output
}
