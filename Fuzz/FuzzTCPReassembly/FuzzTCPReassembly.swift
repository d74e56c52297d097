import Dissect
import FuzzDriver

/// The byte every synthetic segment carries at sequence number `sequence`. Since every copy of a sequence number
/// carries the same byte, a correct reassembly delivers consecutive values (modulo 256), whatever the order,
/// duplicates, overlaps and losses of the segments, and a gap of `n` bytes advances the next value by `n`.
@inline(__always)
private func streamByte(_ sequence: UInt32) -> UInt8 {
    UInt8(truncatingIfNeeded: sequence)
}

/// The layer above TCP for the fuzzer: checks that each direction's stream is delivered in sequence order.
private struct CheckingAnalyzer: StreamAnalyzer {
    private var next: [Direction: UInt8] = [:]
    private var ended: Set<Direction> = []

    init(client: Endpoint, server: Endpoint, options: Void = ()) {}

    mutating func receive(_ bytes: UnsafeRawBufferPointer, from direction: Direction, packet: PacketRef) {
        precondition(!self.ended.contains(direction), "bytes delivered after the \(direction) stream ended")
        var expected = self.next[direction]
        for byte in bytes {
            if let value = expected {
                precondition(byte == value, "stream byte \(byte) where \(value) belongs (packet \(packet.number))")
            }
            expected = byte &+ 1
        }
        self.next[direction] = expected
    }

    mutating func gap(_ length: Int, in direction: Direction, packet: PacketRef) {
        precondition(length > 0, "a gap of \(length) bytes")
        precondition(!self.ended.contains(direction), "a gap after the \(direction) stream ended")
        if let value = self.next[direction] {
            self.next[direction] = value &+ UInt8(truncatingIfNeeded: length)
        }
    }

    mutating func end(_ end: StreamEnd, from direction: Direction, packet: PacketRef) {
        self.ended.insert(direction)
    }
}

/// libFuzzer entry point: the input describes TCP segments between two hosts, fed to `TCPConnectionTable`.
///
/// Byte 0 picks the limits (2 bits each: buffered bytes per direction, buffered segments, connections, closed
/// tuples remembered); bytes 1-4 the client's initial sequence number (the server's is derived from it). Then
/// every 7 bytes are one segment: flags (bits 0-4 FIN SYN RST PSH ACK, bit 5 from the server, bits 6-7 which of
/// four client ports), the sequence and acknowledgment numbers as signed 16-bit offsets from the sender's and the
/// receiver's initial numbers, the payload length (bits 0-6; bit 7: the capture kept only its first half) and the
/// window.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 5 else { return 0 }
    let limitsByte = Int(data[0])
    let limits = ReassemblyLimits(
        maxBufferedBytesPerDirection: [64, 512, 4_096, 4 << 20][limitsByte & 3],
        maxBufferedSegmentsPerDirection: [1, 4, 64, 16_384][(limitsByte >> 2) & 3],
        maxConnections: [1, 2, 8, 100_000][(limitsByte >> 4) & 3],
        closedTupleMemory: [0, 1, 4, 65_536][(limitsByte >> 6) & 3]
    )
    let clientISN = UInt32(data[1]) | UInt32(data[2]) << 8 | UInt32(data[3]) << 16 | UInt32(data[4]) << 24
    let serverISN = clientISN ^ 0x8000_5a5a
    var table = TCPConnectionTable<CheckingAnalyzer>(limits: limits, serverPorts: [42_919], options: ())
    let server = Endpoint(ip: .v4(0x7f00_0001), port: 42_919)
    let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: 128, alignment: 1)
    defer { payload.deallocate() }

    var offset = 5
    var number = 1
    while offset + 7 <= size {
        let field = { (index: Int) in data[offset + index] }
        let word = { (index: Int) in Int16(bitPattern: UInt16(field(index)) | UInt16(field(index + 1)) << 8) }
        let flags = TCPFlags(rawValue: field(0) & 0x1f)
        let fromServer = field(0) & 0x20 != 0
        let client = Endpoint(ip: .v4(0x7f00_0001), port: 50_000 + UInt16(field(0) >> 6))
        let (senderISN, receiverISN) = fromServer ? (serverISN, clientISN) : (clientISN, serverISN)
        let sequence = senderISN &+ UInt32(bitPattern: Int32(word(1)))
        let acknowledgment = receiverISN &+ UInt32(bitPattern: Int32(word(3)))
        let length = Int(field(5) & 0x7f)
        let missing = field(5) & 0x80 != 0 ? length / 2 : 0
        let dataStart = flags.contains(.syn) ? sequence &+ 1 : sequence
        for index in 0..<(length - missing) {
            payload[index] = streamByte(dataStart &+ UInt32(index))
        }
        let segment = TCPSegment(
            source: fromServer ? server : client,
            destination: fromServer ? client : server,
            sequence: sequence,
            acknowledgment: acknowledgment,
            flags: flags,
            window: UInt16(field(6)),
            payload: UnsafeRawBufferPointer(rebasing: payload[0..<(length - missing)]),
            missingPayloadLength: missing
        )
        table.process(segment, packet: PacketRef(number: number, timestamp: Timestamp(nanoseconds: 0))) { _ in }
        offset += 7
        number += 1
    }
    table.finish { _ in }
    return 0
}

/// The executable's entry point (SwiftPM links `main` to `<module>_main`): runs libFuzzer's driver on `fuzz`.
@_cdecl("FuzzTCPReassembly_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzz(data!, size) }
}
