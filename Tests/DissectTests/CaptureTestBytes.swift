import Dissect
import Foundation

/// Builders for packets and capture files used by the capture, link, IP and decoder tests.
enum CaptureTestBytes {
    /// Appends integers in one byte order.
    struct Writer {
        var bytes: [UInt8] = []
        var bigEndian: Bool

        init(bigEndian: Bool = false) {
            self.bigEndian = bigEndian
        }

        mutating func u8(_ value: UInt8) {
            self.bytes.append(value)
        }

        mutating func u16(_ value: UInt16) {
            let ordered = self.bigEndian ? value.bigEndian : value.littleEndian
            withUnsafeBytes(of: ordered) { self.bytes.append(contentsOf: $0) }
        }

        mutating func u32(_ value: UInt32) {
            let ordered = self.bigEndian ? value.bigEndian : value.littleEndian
            withUnsafeBytes(of: ordered) { self.bytes.append(contentsOf: $0) }
        }

        mutating func u64(_ value: UInt64) {
            let ordered = self.bigEndian ? value.bigEndian : value.littleEndian
            withUnsafeBytes(of: ordered) { self.bytes.append(contentsOf: $0) }
        }

        mutating func append(_ data: [UInt8]) {
            self.bytes.append(contentsOf: data)
        }

        mutating func pad4() {
            while self.bytes.count % 4 != 0 { self.bytes.append(0) }
        }
    }

    // MARK: - Packets

    /// A TCP header (20 bytes plus `options`, padded) followed by `payload`; checksum left 0.
    static func tcp(
        sourcePort: UInt16 = 40_000,
        destinationPort: UInt16 = 80,
        sequence: UInt32 = 1_000,
        acknowledgment: UInt32 = 2_000,
        flags: UInt8 = 0x18,
        window: UInt16 = 512,
        options: [UInt8] = [],
        payload: [UInt8] = []
    ) -> [UInt8] {
        var writer = Writer(bigEndian: true)
        writer.u16(sourcePort)
        writer.u16(destinationPort)
        writer.u32(sequence)
        writer.u32(acknowledgment)
        let headerLength = 20 + (options.count + 3) / 4 * 4
        writer.u8(UInt8(headerLength / 4) << 4)
        writer.u8(flags)
        writer.u16(window)
        writer.u16(0xdead)  // checksum: deliberately wrong
        writer.u16(0)
        writer.append(options)
        writer.pad4()
        writer.append(payload)
        return writer.bytes
    }

    /// An IPv4 header (with `options`, padded) and `payload`; the checksum is deliberately wrong.
    static func ipv4(
        source: UInt32 = 0x0a00_0001,
        destination: UInt32 = 0x0a00_0002,
        protocolNumber: UInt8 = 6,
        identification: UInt16 = 0x1234,
        moreFragments: Bool = false,
        fragmentOffset: Int = 0,
        options: [UInt8] = [],
        totalLength: Int? = nil,
        payload: [UInt8]
    ) -> [UInt8] {
        var writer = Writer(bigEndian: true)
        let headerLength = 20 + (options.count + 3) / 4 * 4
        writer.u8(0x40 | UInt8(headerLength / 4))
        writer.u8(0)
        writer.u16(UInt16(totalLength ?? (headerLength + payload.count)))
        writer.u16(identification)
        writer.u16((moreFragments ? 0x2000 : 0) | UInt16(fragmentOffset / 8))
        writer.u8(64)
        writer.u8(protocolNumber)
        writer.u16(0xbeef)
        writer.u32(source)
        writer.u32(destination)
        writer.append(options)
        writer.pad4()
        writer.append(payload)
        return writer.bytes
    }

    /// `2001:db8::<last>` as the two halves of ``IPAddress/v6(_:_:)``.
    static func v6Address(_ last: UInt64) -> (UInt64, UInt64) {
        (0x2001_0db8_0000_0000, last)
    }

    /// An IPv6 header and `payload` (extension headers included in it); `nextHeader` names its first header.
    static func ipv6(
        source: UInt64 = 1,
        destination: UInt64 = 2,
        nextHeader: UInt8 = 6,
        payloadLength: Int? = nil,
        payload: [UInt8]
    ) -> [UInt8] {
        var writer = Writer(bigEndian: true)
        writer.u32(0x6000_0000)
        writer.u16(UInt16(payloadLength ?? payload.count))
        writer.u8(nextHeader)
        writer.u8(64)
        let (sourceHigh, sourceLow) = Self.v6Address(source)
        let (destinationHigh, destinationLow) = Self.v6Address(destination)
        writer.u64(sourceHigh)
        writer.u64(sourceLow)
        writer.u64(destinationHigh)
        writer.u64(destinationLow)
        writer.append(payload)
        return writer.bytes
    }

    /// An IPv6 extension header in the 8-octet-unit format (hop-by-hop, routing, destination options).
    static func ipv6Extension(nextHeader: UInt8, units: Int = 0) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: (units + 1) * 8)
        bytes[0] = nextHeader
        bytes[1] = UInt8(units)
        if units == 0 {
            bytes[2] = 1  // PadN option covering the rest
            bytes[3] = 4
        }
        return bytes
    }

    /// An IPv6 fragment header.
    static func ipv6Fragment(nextHeader: UInt8, offset: Int, more: Bool, identification: UInt32) -> [UInt8] {
        var writer = Writer(bigEndian: true)
        writer.u8(nextHeader)
        writer.u8(0)
        writer.u16(UInt16(offset / 8) << 3 | (more ? 1 : 0))
        writer.u32(identification)
        return writer.bytes
    }

    /// An Ethernet frame; Linux `lo` writes zero MACs, so those are the default.
    static func ethernet(
        type: UInt16,
        destination: [UInt8] = [0, 0, 0, 0, 0, 0],
        source: [UInt8] = [0, 0, 0, 0, 0, 0],
        vlanTags: [UInt16] = [],
        payload: [UInt8]
    ) -> [UInt8] {
        var writer = Writer(bigEndian: true)
        writer.append(destination)
        writer.append(source)
        for (index, tpid) in vlanTags.enumerated() {
            writer.u16(tpid)
            writer.u16(UInt16(100 + index))
        }
        writer.u16(type)
        writer.append(payload)
        return writer.bytes
    }

    // MARK: - pcap files

    /// One record of a test capture.
    struct Record {
        var seconds: UInt32
        var fraction: UInt32
        var data: [UInt8]
        var originalLength: Int?
    }

    /// A classic pcap file.
    static func pcap(
        bigEndian: Bool = false,
        nanosecond: Bool = false,
        linkType: UInt32 = 1,
        snaplen: UInt32 = 65_535,
        records: [Record]
    ) -> [UInt8] {
        var writer = Writer(bigEndian: bigEndian)
        writer.u32(nanosecond ? 0xa1b2_3c4d : 0xa1b2_c3d4)
        writer.u16(2)
        writer.u16(4)
        writer.u32(0)
        writer.u32(0)
        writer.u32(snaplen)
        writer.u32(linkType)
        for record in records {
            writer.u32(record.seconds)
            writer.u32(record.fraction)
            writer.u32(UInt32(record.data.count))
            writer.u32(UInt32(record.originalLength ?? record.data.count))
            writer.append(record.data)
        }
        return writer.bytes
    }

    // MARK: - pcapng blocks

    /// A block: type, length, body padded to 4, length.
    static func block(_ type: UInt32, bigEndian: Bool, _ body: (inout Writer) -> Void) -> [UInt8] {
        var bodyWriter = Writer(bigEndian: bigEndian)
        body(&bodyWriter)
        bodyWriter.pad4()
        var writer = Writer(bigEndian: bigEndian)
        writer.u32(type)
        writer.u32(UInt32(bodyWriter.bytes.count + 12))
        writer.append(bodyWriter.bytes)
        writer.u32(UInt32(bodyWriter.bytes.count + 12))
        return writer.bytes
    }

    static func sectionHeader(bigEndian: Bool = false) -> [UInt8] {
        Self.block(0x0A0D_0D0A, bigEndian: bigEndian) { writer in
            writer.u32(0x1A2B_3C4D)
            writer.u16(1)
            writer.u16(0)
            writer.u64(UInt64.max)  // section length unknown
        }
    }

    /// An interface description block; `tsresol` and `tsoffset` become options when given.
    static func interfaceDescription(
        bigEndian: Bool = false,
        linkType: UInt16,
        snaplen: UInt32,
        tsresol: UInt8? = nil,
        tsoffset: Int64? = nil
    ) -> [UInt8] {
        Self.block(1, bigEndian: bigEndian) { writer in
            writer.u16(linkType)
            writer.u16(0)
            writer.u32(snaplen)
            // if_name, to check that unrelated options are skipped.
            writer.u16(2)
            writer.u16(3)
            writer.append(Array("lo0".utf8))
            writer.pad4()
            if let tsresol {
                writer.u16(9)
                writer.u16(1)
                writer.u8(tsresol)
                writer.pad4()
            }
            if let tsoffset {
                writer.u16(14)
                writer.u16(8)
                writer.u64(UInt64(bitPattern: tsoffset))
            }
            writer.u16(0)
            writer.u16(0)
        }
    }

    static func enhancedPacket(
        bigEndian: Bool = false,
        interface: UInt32,
        ticks: UInt64,
        data: [UInt8],
        originalLength: Int? = nil
    ) -> [UInt8] {
        Self.block(6, bigEndian: bigEndian) { writer in
            writer.u32(interface)
            writer.u32(UInt32(ticks >> 32))
            writer.u32(UInt32(truncatingIfNeeded: ticks))
            writer.u32(UInt32(data.count))
            writer.u32(UInt32(originalLength ?? data.count))
            writer.append(data)
            writer.pad4()
            // opt_comment, then end of options.
            writer.u16(1)
            writer.u16(2)
            writer.append([0x68, 0x69])
            writer.pad4()
            writer.u16(0)
            writer.u16(0)
        }
    }

    static func simplePacket(bigEndian: Bool = false, originalLength: Int, data: [UInt8]) -> [UInt8] {
        Self.block(3, bigEndian: bigEndian) { writer in
            writer.u32(UInt32(originalLength))
            writer.append(data)
        }
    }

    static func obsoletePacket(bigEndian: Bool = false, interface: UInt16, ticks: UInt64, data: [UInt8]) -> [UInt8] {
        Self.block(2, bigEndian: bigEndian) { writer in
            writer.u16(interface)
            writer.u16(0)
            writer.u32(UInt32(ticks >> 32))
            writer.u32(UInt32(truncatingIfNeeded: ticks))
            writer.u32(UInt32(data.count))
            writer.u32(UInt32(data.count))
            writer.append(data)
        }
    }

    // MARK: - Files

    /// A directory unique to this test run.
    static let temporaryDirectory: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("wssniff-capture-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// Writes `bytes` to a new file in the temporary directory and returns its path.
    static func write(_ bytes: [UInt8], name: String = #function) throws -> String {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let url = Self.temporaryDirectory.appendingPathComponent("\(safe)-\(UInt32.random(in: 0...UInt32.max)).cap")
        try Data(bytes).write(to: url)
        return url.path
    }

    /// A record as read back: its description and a copy of its bytes.
    struct ReadRecord {
        var info: CaptureRecordInfo
        var bytes: [UInt8]
    }

    /// Reads every record of the file at `path`.
    static func readAll(_ path: String) throws -> (records: [ReadRecord], reader: CaptureFileReader) {
        let reader = try CaptureFileReader(path: path)
        var records: [ReadRecord] = []
        while try reader.next({ info, bytes in records.append(ReadRecord(info: info, bytes: Array(bytes))) }) {}
        return (records, reader)
    }

    /// Decodes `frame` of `linkType` and returns the outcome and a copy of the segment's fields.
    static func decode(
        _ frame: [UInt8],
        linkType: LinkType,
        decoder: inout PacketDecoder,
        time: Int64 = 0
    ) -> (PacketDecodeOutcome, DecodedSegment?) {
        var decoded: DecodedSegment?
        let info = CaptureRecordInfo(
            number: 1,
            linkType: linkType,
            timestamp: Timestamp(nanoseconds: time),
            capturedLength: frame.count,
            originalLength: frame.count
        )
        let outcome = frame.withUnsafeBytes { bytes in
            decoder.decode(info, bytes) { segment in
                decoded = DecodedSegment(segment)
            }
        }
        return (outcome, decoded)
    }

    /// Decodes with a fresh decoder.
    static func decode(_ frame: [UInt8], linkType: LinkType) -> (PacketDecodeOutcome, DecodedSegment?) {
        var decoder = PacketDecoder()
        return Self.decode(frame, linkType: linkType, decoder: &decoder)
    }

    /// A copy of a ``TCPSegment`` that outlives the packet.
    struct DecodedSegment: Equatable {
        var source: Endpoint
        var destination: Endpoint
        var sequence: UInt32
        var acknowledgment: UInt32
        var flags: TCPFlags
        var window: UInt16
        var payload: [UInt8]
        var missingPayloadLength: Int

        init(_ segment: TCPSegment) {
            self.source = segment.source
            self.destination = segment.destination
            self.sequence = segment.sequence
            self.acknowledgment = segment.acknowledgment
            self.flags = segment.flags
            self.window = segment.window
            self.payload = Array(segment.payload)
            self.missingPayloadLength = segment.missingPayloadLength
        }
    }
}
