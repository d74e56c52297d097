import Dissect
import Foundation
import Testing

private typealias Bytes = CaptureTestBytes

/// `CaptureFileReader` on a pipe (read into a buffer) against the same bytes in a file (mapped): the same records,
/// warnings, errors and size, for every sample and third-party capture, whole, cut short and damaged.
@Suite("CaptureFileReader on a pipe")
struct CaptureStreamReaderTests {
    /// What a reader made of an input.
    struct Outcome: Equatable, CustomStringConvertible {
        var records: [String] = []
        var warnings: [String] = []
        var size = 0
        var error: String?

        var description: String {
            "\(self.records.count) records, size \(self.size), warnings \(self.warnings), error \(self.error ?? "none")"
        }
    }

    /// Reads the records of `path` (mapped) or of a pipe the bytes are written to (`pipe`), naming the input `name`
    /// in error messages either way so the two can be compared.
    static func read(_ bytes: [UInt8], viaPipe: Bool, windowSize: Int, chunk: Int = 65_536) throws -> Outcome {
        signal(SIGPIPE, SIG_IGN)
        var outcome = Outcome()
        let path: String
        var fds: [Int32] = [-1, -1]
        let written = DispatchSemaphore(value: 0)
        if viaPipe {
            try #require(pipe(&fds) == 0)
            path = "/proc/self/fd/\(fds[0])"
            let writeFD = fds[1]
            DispatchQueue.global().async {
                var offset = 0
                while offset < bytes.count {
                    let count = min(chunk, bytes.count - offset)
                    let result = bytes.withUnsafeBytes { write(writeFD, $0.baseAddress! + offset, count) }
                    if result <= 0 { break }
                    offset += result
                }
                close(writeFD)
                written.signal()
            }
        } else {
            path = try Bytes.write(bytes, name: "stream")
        }
        defer {
            if viaPipe {
                close(fds[0])
                written.wait()
            } else {
                unlink(path)
            }
        }
        do {
            let reader = try CaptureFileReader(path: path, windowSize: windowSize)
            while try reader.next({ info, record in
                outcome.records.append(
                    "\(info.number) \(info.linkType) \(info.timestamp.nanoseconds) \(info.capturedLength) "
                        + "\(info.originalLength) \(info.interface) \(Array(record).hashValue)"
                )
            }) {}
            outcome.warnings = reader.warnings.map(\.description)
            outcome.size = reader.fileSize
        } catch let error as CaptureError {
            outcome.error = "\(error.code): " + error.message.replacingOccurrences(of: path, with: "INPUT")
        }
        return outcome
    }

    static func inputs() -> [URL] {
        let samples = (try? FileManager.default.contentsOfDirectory(atPath: Self.samples.path)) ?? []
        let corpus = (try? FileManager.default.contentsOfDirectory(atPath: Self.corpus.path)) ?? []
        return samples.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
            .map { Self.samples.appendingPathComponent($0) }
            + corpus.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
            .map { Self.corpus.appendingPathComponent($0) }
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let samples = Self.root.appendingPathComponent("samples")
    static let corpus = Self.root.deletingLastPathComponent().appendingPathComponent("shared/corpus/third-party")

    @Test func inputsArePresent() {
        #expect(Self.inputs().count >= 55)
        #expect(Self.inputs().contains { $0.pathExtension == "pcapng" })
    }

    @Test("a whole capture reads the same through a pipe", arguments: Self.inputs())
    func wholeCapture(url: URL) throws {
        let bytes = try [UInt8](Data(contentsOf: url))
        let mapped = try Self.read(bytes, viaPipe: false, windowSize: 4_096)
        // A small window and small writes: records straddle reads, and the buffer is compacted often.
        let piped = try Self.read(bytes, viaPipe: true, windowSize: 4_096, chunk: 1_000)
        #expect(mapped.error == nil)
        #expect(!mapped.records.isEmpty)
        #expect(piped == mapped)
        #expect(piped.size == bytes.count)
    }

    @Test("a capture cut anywhere reads the same through a pipe", arguments: Self.inputs().prefix(12))
    func cutCapture(url: URL) throws {
        let bytes = try [UInt8](Data(contentsOf: url))
        // Cuts in the file header, in the first records and all along the file.
        var cuts = [0, 1, 4, 11, 12, 23, 24, 25, 30, 40, 60, 100]
        cuts += stride(from: 101, to: bytes.count, by: max(1, bytes.count / 40)).map { $0 }
        for cut in cuts where cut < bytes.count {
            let prefix = Array(bytes.prefix(cut))
            let mapped = try Self.read(prefix, viaPipe: false, windowSize: 4_096)
            let piped = try Self.read(prefix, viaPipe: true, windowSize: 4_096, chunk: 777)
            #expect(piped == mapped, "cut at \(cut)")
        }
    }

    @Test("damaged captures read the same through a pipe")
    func damagedCaptures() throws {
        // A fixed sequence of changes (a linear congruential generator), so a failure can be replayed.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let bases = try [
            Self.samples.appendingPathComponent("good-v3.pcapng"),
            Self.samples.appendingPathComponent("interleaved.pcap"),
        ].map { try [UInt8](Data(contentsOf: $0)) }
        for round in 0..<200 {
            var file = bases[round % 2]
            for _ in 0..<(1 + next(6)) {
                // Mostly in the headers, where the lengths are.
                let index = next(4) == 0 ? next(file.count) : next(min(file.count, 600))
                file[index] = UInt8(next(256))
            }
            if round % 3 == 0 { file = Array(file.prefix(next(file.count + 1))) }
            let mapped = try Self.read(file, viaPipe: false, windowSize: 4_096)
            let piped = try Self.read(file, viaPipe: true, windowSize: 4_096, chunk: 1_500)
            #expect(piped == mapped, "round \(round)")
        }
    }

    @Test("a block larger than the read buffer that is only skipped is read past, not kept")
    func skippedLargeBlock() throws {
        // A pcapng custom block (0x00000BAD) of 40 MiB between two packets: more than the stream keeps behind a
        // request, so it is dropped while read; the packet after it is still read.
        let frame = Array(repeating: UInt8(7), count: 60)
        var file = Bytes.sectionHeader() + Bytes.interfaceDescription(linkType: 1, snaplen: 0)
        file += Bytes.enhancedPacket(interface: 0, ticks: 1, data: frame)
        let length = 40 << 20
        var block = [UInt8](repeating: 0, count: length)
        withUnsafeBytes(of: UInt32(0x0000_0BAD).littleEndian) { block.replaceSubrange(0..<4, with: $0) }
        withUnsafeBytes(of: UInt32(length).littleEndian) {
            block.replaceSubrange(4..<8, with: $0)
            block.replaceSubrange((length - 4)..<length, with: $0)
        }
        file += block
        file += Bytes.enhancedPacket(interface: 0, ticks: 2, data: frame)
        let mapped = try Self.read(file, viaPipe: false, windowSize: 65_536)
        let piped = try Self.read(file, viaPipe: true, windowSize: 65_536)
        #expect(mapped.records.count == 2)
        #expect(piped == mapped)
    }
}
