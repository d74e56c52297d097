internal import CZlib

/// A raw DEFLATE (RFC 1951) decompressor for permessage-deflate (RFC 7692): the one place that calls zlib.
///
/// It owns a `z_stream`, so it is a class; it is deliberately not `Sendable` (zlib state must not be shared). Output
/// is handed out in chunks of at most `outputChunkSize` bytes from a buffer on the stack, valid only for the duration
/// of the callback, so nothing is inflated into memory that the caller does not keep, and an idle inflater holds only
/// zlib's state and window.
package final class Inflater {
    /// What one call to `inflate` ended with.
    package enum Outcome: Equatable, Sendable {
        /// All input was consumed and all output it produces was delivered.
        case consumedAll
        /// The DEFLATE stream ended (a block with BFINAL=1, `Z_STREAM_END`) after `consumed` input bytes; the
        /// rest of the input was not read. The inflater accepts no more input until `reset()`.
        case streamEnd(consumed: Int)
        /// The output callback asked to stop; the stream is left mid-way (call `reset()` before reuse).
        case stopped
        /// zlib rejected the data (`Z_DATA_ERROR` and friends); the message is zlib's. Call `reset()` before reuse.
        case failed(String)
    }

    /// The size of the chunks handed to the output callback.
    package static let outputChunkSize = 16 * 1024

    private let stream: UnsafeMutablePointer<z_stream>
    private let windowBits: Int32
    private var initialized: Bool
    /// True once the stream ended (`Z_STREAM_END`) or failed, until `reset()`.
    package private(set) var needsReset: Bool = false

    /// Creates an inflater for raw DEFLATE with a window of 2^`windowBits` bytes (8...15; 15 is always safe).
    package init(windowBits: Int = 15) {
        self.windowBits = Int32(min(max(windowBits, 8), 15))
        self.stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        self.stream.initialize(to: z_stream())
        // A negative windowBits selects raw DEFLATE: no zlib header or trailer (RFC 7692 7.2.2).
        self.initialized = wssniff_inflateInit2(self.stream, -self.windowBits) == Z_OK
    }

    deinit {
        if self.initialized {
            inflateEnd(self.stream)
        }
        self.stream.deinitialize(count: 1)
        self.stream.deallocate()
    }

    /// Forgets the sliding window and any partial state, as if newly created.
    package func reset() {
        if self.initialized {
            self.initialized = inflateReset(self.stream) == Z_OK
        } else {
            self.stream.pointee = z_stream()
            self.initialized = wssniff_inflateInit2(self.stream, -self.windowBits) == Z_OK
        }
        self.needsReset = false
    }

    /// Inflates `input`, calling `body` with each chunk of output; `body` returns false to stop early.
    package func inflate(
        _ input: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) -> Bool
    ) -> Outcome {
        guard self.initialized else { return .failed("zlib could not be initialized") }
        guard !self.needsReset else { return .failed("inflater used after its stream ended") }
        guard let inputBase = input.baseAddress, input.count > 0 else { return .consumedAll }
        return withUnsafeTemporaryAllocation(byteCount: Self.outputChunkSize, alignment: 16) { output in
            guard let outputBase = output.baseAddress else { return .failed("no output buffer") }
            return self.inflate(inputBase, count: input.count, into: outputBase, body)
        }
    }

    private func inflate(
        _ inputBase: UnsafeRawPointer,
        count inputCount: Int,
        into outputBase: UnsafeMutableRawPointer,
        _ body: (UnsafeRawBufferPointer) -> Bool
    ) -> Outcome {
        var consumedBefore = 0
        while consumedBefore < inputCount {
            // avail_in is a 32-bit count: feed very large inputs in slices.
            let sliceLength = min(inputCount - consumedBefore, 1 << 30)
            self.stream.pointee.next_in = UnsafeMutablePointer(
                mutating: inputBase.advanced(by: consumedBefore).assumingMemoryBound(to: Bytef.self)
            )
            self.stream.pointee.avail_in = uInt(sliceLength)
            drain: while true {
                self.stream.pointee.next_out = outputBase.assumingMemoryBound(to: Bytef.self)
                self.stream.pointee.avail_out = uInt(Self.outputChunkSize)
                let status = CZlib.inflate(self.stream, Z_SYNC_FLUSH)
                let produced = Self.outputChunkSize - Int(self.stream.pointee.avail_out)
                if produced > 0 && !body(UnsafeRawBufferPointer(start: outputBase, count: produced)) {
                    self.needsReset = true
                    return .stopped
                }
                switch status {
                case Z_STREAM_END:
                    self.needsReset = true
                    let consumed = consumedBefore + sliceLength - Int(self.stream.pointee.avail_in)
                    return .streamEnd(consumed: consumed)
                case Z_OK:
                    // Go on while the output buffer came back full (more may be pending) or input remains.
                    if self.stream.pointee.avail_out == 0 || self.stream.pointee.avail_in > 0 {
                        continue drain
                    }
                    break drain
                case Z_BUF_ERROR:
                    // No progress possible: all input consumed and all pending output flushed.
                    break drain
                default:
                    self.needsReset = true
                    return .failed(self.errorMessage(status))
                }
            }
            consumedBefore += sliceLength
        }
        return .consumedAll
    }

    /// Inflates `input` into an array (for tests and small payloads), up to `limit` bytes.
    package func inflate(_ input: [UInt8], limit: Int = .max) -> (output: [UInt8], outcome: Outcome) {
        var result: [UInt8] = []
        let outcome = input.withUnsafeBytes { buffer in
            self.inflate(buffer) { chunk in
                let room = limit - result.count
                result.append(contentsOf: chunk.prefix(room))
                return chunk.count <= room
            }
        }
        return (result, outcome)
    }

    private func errorMessage(_ status: Int32) -> String {
        if let message = self.stream.pointee.msg {
            return String(cString: message)
        }
        switch status {
        case Z_DATA_ERROR: return "invalid deflate data"
        case Z_NEED_DICT: return "a preset dictionary is needed"
        case Z_MEM_ERROR: return "out of memory"
        case Z_STREAM_ERROR: return "inconsistent stream state"
        default: return "zlib error \(status)"
        }
    }
}
