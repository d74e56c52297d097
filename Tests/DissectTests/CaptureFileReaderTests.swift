import Dissect
import Foundation
import Testing

private typealias Bytes = CaptureTestBytes

@Suite("CaptureFileReader")
struct CaptureFileReaderTests {
    private static let frameA = Bytes.ethernet(
        type: 0x0800,
        payload: Bytes.ipv4(payload: Bytes.tcp(payload: [1, 2, 3]))
    )
    private static let frameB = Array(0..<97).map { UInt8($0) }

    // MARK: - pcap

    @Test("pcap in both byte orders and both resolutions", arguments: [false, true], [false, true])
    func pcapVariants(bigEndian: Bool, nanosecond: Bool) throws {
        let fraction: UInt32 = nanosecond ? 123_456_789 : 123_456
        let file = Bytes.pcap(
            bigEndian: bigEndian,
            nanosecond: nanosecond,
            linkType: 1,
            snaplen: 262_144,
            records: [
                .init(seconds: 1_700_000_000, fraction: fraction, data: Self.frameA),
                .init(seconds: 1_700_000_001, fraction: 0, data: Self.frameB, originalLength: 1_500),
            ]
        )
        let (records, reader) = try Bytes.readAll(try Bytes.write(file))
        #expect(reader.format == .pcap(nanosecond: nanosecond))
        #expect(reader.linkTypes == [.ethernet])
        #expect(reader.warnings.isEmpty)
        #expect(reader.fileSize == file.count)
        try #require(records.count == 2)
        let expectedNanoseconds: Int64 = nanosecond ? 123_456_789 : 123_456_000
        #expect(records[0].info.timestamp == Timestamp(seconds: 1_700_000_000, nanoseconds: expectedNanoseconds))
        #expect(records[0].info.number == 1)
        #expect(records[0].info.linkType == .ethernet)
        #expect(records[0].bytes == Self.frameA)
        #expect(records[1].info.number == 2)
        #expect(records[1].bytes == Self.frameB)
        #expect(records[1].info.capturedLength == 97)
        #expect(records[1].info.originalLength == 1_500)
        #expect(records[1].info.isTruncated)
    }

    @Test("FCS bits in the upper half of the link type field are not part of the link type")
    func pcapLinkTypeWithFCSBits() throws {
        let file = Bytes.pcap(linkType: 0x2400_0001, records: [.init(seconds: 1, fraction: 0, data: Self.frameA)])
        let (records, reader) = try Bytes.readAll(try Bytes.write(file))
        #expect(reader.linkTypes == [.ethernet])
        #expect(records.first?.info.linkType == .ethernet)
    }

    @Test("record numbers start at firstNumber")
    func firstNumber() throws {
        let file = Bytes.pcap(records: [.init(seconds: 1, fraction: 0, data: Self.frameA)])
        let reader = try CaptureFileReader(path: try Bytes.write(file), firstNumber: 42)
        var numbers: [Int] = []
        while try reader.next({ info, _ in numbers.append(info.number) }) {}
        #expect(numbers == [42])
        #expect(reader.recordCount == 1)
        #expect(try reader.next { _, _ in Issue.record("no record expected") } == false)
    }

    @Test("a pcap cut in the middle of a record keeps the earlier records and warns")
    func pcapCutMidRecord() throws {
        let file = Bytes.pcap(
            records: [
                .init(seconds: 1, fraction: 0, data: Self.frameA),
                .init(seconds: 2, fraction: 0, data: Self.frameB),
            ]
        )
        let cutAt = 24 + 16 + Self.frameA.count + 16 + 37 - 16
        let (records, reader) = try Bytes.readAll(try Bytes.write(Array(file.prefix(cutAt))))
        #expect(records.count == 1)
        let recordOffset = 24 + 16 + Self.frameA.count
        #expect(reader.warnings.map(\.kind) == [.truncatedRecord(record: 2, offset: recordOffset, present: 37)])
        #expect(
            reader.warnings.first?.description
                == "file ends 37 bytes into record 2 at offset \(recordOffset): the capture was cut"
        )
    }

    @Test("a pcap cut inside a record header warns too")
    func pcapCutInRecordHeader() throws {
        let file = Bytes.pcap(records: [.init(seconds: 1, fraction: 0, data: Self.frameA)])
        let (records, reader) = try Bytes.readAll(try Bytes.write(file + [1, 2, 3, 4, 5]))
        #expect(records.count == 1)
        #expect(reader.warnings.map(\.kind) == [.truncatedRecord(record: 2, offset: file.count, present: 5)])
    }

    @Test("an absurd captured length stops reading with a warning")
    func pcapAbsurdLength() throws {
        var file = Bytes.pcap(records: [.init(seconds: 1, fraction: 0, data: Self.frameA)])
        var header = Bytes.Writer()
        header.u32(2)
        header.u32(0)
        header.u32(10_000_000)
        header.u32(10_000_000)
        file += header.bytes + [UInt8](repeating: 0, count: 64)
        let (records, reader) = try Bytes.readAll(try Bytes.write(file))
        #expect(records.count == 1)
        #expect(
            reader.warnings.map(\.kind) == [
                .absurdCapturedLength(record: 2, offset: 24 + 16 + Self.frameA.count, length: 10_000_000)
            ]
        )
    }

    @Test("records larger than the snaplen are read and counted in one warning")
    func pcapSnaplenExceeded() throws {
        let file = Bytes.pcap(
            snaplen: 50,
            records: [
                .init(seconds: 1, fraction: 0, data: Self.frameA),
                .init(seconds: 1, fraction: 0, data: Array(Self.frameA.prefix(40))),
                .init(seconds: 1, fraction: 0, data: Self.frameB),
            ]
        )
        let (records, reader) = try Bytes.readAll(try Bytes.write(file))
        #expect(records.count == 3)
        #expect(reader.warnings.map(\.kind) == [.capturedLengthExceedsSnaplen(firstRecord: 1, count: 2)])
    }

    @Test("an unsupported link type is reported once")
    func pcapUnsupportedLinkType() throws {
        let file = Bytes.pcap(linkType: 105, records: [.init(seconds: 1, fraction: 0, data: Self.frameB)])
        let (records, reader) = try Bytes.readAll(try Bytes.write(file))
        #expect(records.count == 1)
        #expect(reader.warnings.map(\.kind) == [.unsupportedLinkType(LinkType(rawValue: 105))])
    }

    // MARK: - Errors

    @Test("bad magic is an error that shows the first bytes")
    func badMagic() throws {
        let path = try Bytes.write(Array("GET / HTTP/1.1\r\n".utf8) + [UInt8](repeating: 0, count: 20))
        #expect {
            _ = try CaptureFileReader(path: path)
        } throws: { error in
            guard let error = error as? CaptureError else { return false }
            return error.code == .notACaptureFile && error.message.contains("47 45 54 20 2f 20 48 54")
        }
    }

    @Test("gzip input gets a hint")
    func gzipMagic() throws {
        let path = try Bytes.write([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])
        let error = #expect(throws: CaptureError.self) { _ = try CaptureFileReader(path: path) }
        #expect(error?.code == .notACaptureFile)
        #expect(error?.message.contains("gzip") == true)
    }

    @Test("empty, missing, directory and short files are errors")
    func unreadableFiles() throws {
        let empty = try Bytes.write([])
        #expect(throws: CaptureError(code: .emptyFile, message: "")) { _ = try CaptureFileReader(path: empty) }
        let missing = Bytes.temporaryDirectory.appendingPathComponent("does-not-exist.pcap").path
        let error = #expect(throws: CaptureError.self) { _ = try CaptureFileReader(path: missing) }
        #expect(error?.code == .cannotOpen)
        #expect(error?.message.contains("No such file") == true)
        #expect(throws: CaptureError(code: .cannotOpen, message: "")) {
            _ = try CaptureFileReader(path: Bytes.temporaryDirectory.path)
        }
        let short = try Bytes.write([0xd4, 0xc3, 0xb2, 0xa1, 2, 0])
        #expect(throws: CaptureError(code: .truncatedHeader, message: "")) { _ = try CaptureFileReader(path: short) }
        let tiny = try Bytes.write([0xd4, 0xc3])
        #expect(throws: CaptureError(code: .notACaptureFile, message: "")) { _ = try CaptureFileReader(path: tiny) }
    }

    @Test("a header-only pcap has no records and no warnings")
    func headerOnly() throws {
        let (records, reader) = try Bytes.readAll(try Bytes.write(Bytes.pcap(records: [])))
        #expect(records.isEmpty)
        #expect(reader.warnings.isEmpty)
    }

    // MARK: - pcapng

    @Test("pcapng with two interfaces of different link types and snaplens")
    func pcapngTwoInterfaces() throws {
        let raw = Bytes.ipv4(payload: Bytes.tcp())
        var file = Bytes.sectionHeader()
        file += Bytes.interfaceDescription(linkType: 1, snaplen: 65_535)
        file += Bytes.interfaceDescription(linkType: 101, snaplen: 40, tsresol: 9)
        file += Bytes.enhancedPacket(interface: 0, ticks: 1_700_000_000_123_456, data: Self.frameA)
        file += Bytes.enhancedPacket(
            interface: 1,
            ticks: 1_700_000_000_987_654_321,
            data: Array(raw.prefix(40)),
            originalLength: raw.count
        )
        file += Bytes.enhancedPacket(interface: 0, ticks: 1_700_000_001_000_000, data: Self.frameB)
        let (records, reader) = try Bytes.readAll(try Bytes.write(file))
        #expect(reader.format == .pcapng)
        #expect(reader.linkTypes == [.ethernet, .raw])
        #expect(reader.warnings.isEmpty)
        try #require(records.count == 3)
        #expect(records.map(\.info.number) == [1, 2, 3])
        #expect(records.map(\.info.interface) == [0, 1, 0])
        #expect(records.map(\.info.linkType) == [.ethernet, .raw, .ethernet])
        #expect(records[0].info.timestamp == Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456_000))
        #expect(records[1].info.timestamp == Timestamp(seconds: 1_700_000_000, nanoseconds: 987_654_321))
        #expect(records[1].bytes == Array(raw.prefix(40)))
        #expect(records[1].info.originalLength == raw.count)
        #expect(records[2].bytes == Self.frameB)
    }

    @Test("two sections with different byte orders each have their own interfaces")
    func pcapngTwoSections() throws {
        var file = Bytes.sectionHeader(bigEndian: false)
        file += Bytes.interfaceDescription(bigEndian: false, linkType: 1, snaplen: 0)
        file += Bytes.enhancedPacket(bigEndian: false, interface: 0, ticks: 5_000_001, data: Self.frameA)
        file += Bytes.sectionHeader(bigEndian: true)
        file += Bytes.interfaceDescription(bigEndian: true, linkType: 113, snaplen: 0)
        file += Bytes.interfaceDescription(bigEndian: true, linkType: 1, snaplen: 0, tsresol: 3)
        file += Bytes.enhancedPacket(bigEndian: true, interface: 0, ticks: 7_000_002, data: Self.frameB)
        file += Bytes.enhancedPacket(bigEndian: true, interface: 1, ticks: 9_003, data: Self.frameA)
        let (records, reader) = try Bytes.readAll(try Bytes.write(file))
        #expect(reader.warnings.isEmpty)
        #expect(reader.linkTypes == [.ethernet, .linuxSLL])
        try #require(records.count == 3)
        #expect(records.map(\.info.linkType) == [.ethernet, .linuxSLL, .ethernet])
        #expect(records.map(\.info.interface) == [0, 1, 2])
        #expect(records[0].info.timestamp == Timestamp(seconds: 5, nanoseconds: 1_000))
        #expect(records[1].info.timestamp == Timestamp(seconds: 7, nanoseconds: 2_000))
        #expect(records[2].info.timestamp == Timestamp(seconds: 9, nanoseconds: 3_000_000))
        #expect(records[1].bytes == Self.frameB)
    }

    @Test("if_tsresol as a power of 2 and if_tsoffset")
    func pcapngBinaryResolutionAndOffset() throws {
        var file = Bytes.sectionHeader()
        file += Bytes.interfaceDescription(linkType: 1, snaplen: 0, tsresol: 0x80 | 10, tsoffset: 1_000)
        // 3.5 seconds in 1/1024 s ticks, plus 1 tick (976562.5 ns, rounded down).
        file += Bytes.enhancedPacket(interface: 0, ticks: 3 * 1_024 + 512 + 1, data: Self.frameA)
        let (records, _) = try Bytes.readAll(try Bytes.write(file))
        #expect(records.first?.info.timestamp == Timestamp(seconds: 1_003, nanoseconds: 500_976_562))
    }

    @Test("simple packet blocks take min(original, snaplen, block) and the previous timestamp")
    func pcapngSimplePacket() throws {
        var file = Bytes.sectionHeader()
        file += Bytes.interfaceDescription(linkType: 1, snaplen: 60)
        file += Bytes.enhancedPacket(interface: 0, ticks: 2_000_000, data: Self.frameA)
        file += Bytes.simplePacket(originalLength: 1_000, data: Self.frameB)  // snaplen 60 < 97 bytes present
        file += Bytes.simplePacket(originalLength: 10, data: Self.frameB)  // original 10 < everything
        file += Bytes.simplePacket(originalLength: 50, data: Array(Self.frameB.prefix(50)))
        let (records, reader) = try Bytes.readAll(try Bytes.write(file))
        #expect(reader.warnings.isEmpty)
        try #require(records.count == 4)
        #expect(records[1].bytes == Array(Self.frameB.prefix(60)))
        #expect(records[1].info.originalLength == 1_000)
        #expect(records[1].info.timestamp == Timestamp(seconds: 2, nanoseconds: 0))
        #expect(records[2].bytes == Array(Self.frameB.prefix(10)))
        #expect(records[3].bytes == Array(Self.frameB.prefix(50)))
    }

    @Test("obsolete packet blocks are read")
    func pcapngObsoletePacket() throws {
        var file = Bytes.sectionHeader(bigEndian: true)
        file += Bytes.interfaceDescription(bigEndian: true, linkType: 1, snaplen: 0)
        file += Bytes.obsoletePacket(bigEndian: true, interface: 0, ticks: 4_000_005, data: Self.frameB)
        let (records, reader) = try Bytes.readAll(try Bytes.write(file))
        #expect(reader.warnings.isEmpty)
        #expect(records.map(\.bytes) == [Self.frameB])
        #expect(records.first?.info.timestamp == Timestamp(seconds: 4, nanoseconds: 5_000))
    }

    @Test("unknown blocks are skipped and counted per type; known non-packet blocks are skipped silently")
    func pcapngUnknownBlocks() throws {
        var file = Bytes.sectionHeader()
        file += Bytes.block(0x7777, bigEndian: false) { $0.append([1, 2, 3, 4, 5]) }
        file += Bytes.interfaceDescription(linkType: 1, snaplen: 0)
        file += Bytes.block(5, bigEndian: false) { $0.append([UInt8](repeating: 0, count: 12)) }  // statistics
        file += Bytes.block(0x7777, bigEndian: false) { _ in }
        file += Bytes.enhancedPacket(interface: 0, ticks: 1, data: Self.frameA)
        file += Bytes.block(0x8888, bigEndian: false) { $0.u32(1) }
        let (records, reader) = try Bytes.readAll(try Bytes.write(file))
        #expect(records.count == 1)
        #expect(
            reader.warnings.map(\.kind) == [
                .unknownBlockType(type: 0x7777, count: 2), .unknownBlockType(type: 0x8888, count: 1),
            ]
        )
    }

    @Test("a pcapng cut in the middle of a packet block keeps the earlier records")
    func pcapngCut() throws {
        var file = Bytes.sectionHeader()
        file += Bytes.interfaceDescription(linkType: 1, snaplen: 0)
        file += Bytes.enhancedPacket(interface: 0, ticks: 1, data: Self.frameA)
        let offset = file.count
        file += Bytes.enhancedPacket(interface: 0, ticks: 2, data: Self.frameB)
        let (records, reader) = try Bytes.readAll(try Bytes.write(Array(file.prefix(offset + 37))))
        #expect(records.count == 1)
        #expect(reader.warnings.map(\.kind) == [.truncatedRecord(record: 2, offset: offset, present: 37)])
    }

    @Test("corrupt block lengths stop reading with a warning", arguments: [0, 8, 13, 0x7fff_fff0])
    func pcapngCorruptLength(length: UInt32) throws {
        var file = Bytes.sectionHeader()
        file += Bytes.interfaceDescription(linkType: 1, snaplen: 0)
        file += Bytes.enhancedPacket(interface: 0, ticks: 1, data: Self.frameA)
        let offset = file.count
        var bad = Bytes.enhancedPacket(interface: 0, ticks: 2, data: Self.frameB)
        withUnsafeBytes(of: length.littleEndian) { bad.replaceSubrange(4..<8, with: $0) }
        file += bad + Bytes.enhancedPacket(interface: 0, ticks: 3, data: Self.frameA)
        let (records, reader) = try Bytes.readAll(try Bytes.write(file))
        #expect(records.count == 1)
        #expect(reader.warnings.count == 1)
        switch reader.warnings.first?.kind {
        case .corruptBlock(let at, _): #expect(at == offset)
        case .truncatedRecord(let record, let at, _): #expect(record == 2 && at == offset)
        default: Issue.record("unexpected \(reader.warnings)")
        }
    }

    @Test("a packet block for an undeclared interface is skipped with a warning")
    func pcapngUnknownInterface() throws {
        var file = Bytes.sectionHeader()
        file += Bytes.interfaceDescription(linkType: 1, snaplen: 0)
        file += Bytes.enhancedPacket(interface: 3, ticks: 1, data: Self.frameA)
        file += Bytes.enhancedPacket(interface: 0, ticks: 1, data: Self.frameA)
        let (records, reader) = try Bytes.readAll(try Bytes.write(file))
        #expect(records.map(\.info.number) == [1])
        #expect(reader.warnings.count == 1)
    }

    @Test("a pcapng whose first section header is broken is an error")
    func pcapngBadSectionHeader() throws {
        var shb = Bytes.sectionHeader()
        shb[8] = 0x99
        #expect(throws: CaptureError(code: .corruptHeader, message: "")) {
            _ = try CaptureFileReader(path: try Bytes.write(shb))
        }
        var version = Bytes.sectionHeader()
        version[12] = 2
        #expect(throws: CaptureError(code: .corruptHeader, message: "")) {
            _ = try CaptureFileReader(path: try Bytes.write(version))
        }
    }

    // MARK: - Sliding window

    @Test("records straddling window boundaries are read whole", arguments: [false, true])
    func slidingWindow(pcapng: Bool) throws {
        var generator = SystemRandomNumberGenerator()
        var frames: [[UInt8]] = []
        for index in 0..<600 {
            let count = Int.random(in: 1...3_000, using: &generator)
            frames.append((0..<count).map { UInt8(truncatingIfNeeded: $0 &+ index) })
        }
        let file: [UInt8]
        if pcapng {
            var bytes = Bytes.sectionHeader() + Bytes.interfaceDescription(linkType: 1, snaplen: 0)
            for (index, frame) in frames.enumerated() {
                bytes += Bytes.enhancedPacket(interface: 0, ticks: UInt64(index), data: frame)
            }
            file = bytes
        } else {
            file = Bytes.pcap(records: frames.map { .init(seconds: 1, fraction: 0, data: $0) })
        }
        let reader = try CaptureFileReader(path: try Bytes.write(file), windowSize: 8_192)
        var index = 0
        while try reader.next({ info, bytes in
            #expect(index < frames.count && Array(bytes) == frames[index], "record \(info.number)")
            index += 1
        }) {}
        #expect(index == frames.count)
        #expect(reader.warnings.isEmpty)
        #expect(reader.bytesRead == file.count)
    }

    // MARK: - Robustness

    @Test("mutated and cut files never crash the reader")
    func fuzzFiles() throws {
        var base = Bytes.sectionHeader()
        base += Bytes.interfaceDescription(linkType: 1, snaplen: 100, tsresol: 0x80 | 20)
        base += Bytes.enhancedPacket(interface: 0, ticks: 1, data: Self.frameA)
        base += Bytes.simplePacket(originalLength: 200, data: Self.frameB)
        base += Bytes.obsoletePacket(interface: 0, ticks: 1, data: Self.frameA)
        let pcapBase = Bytes.pcap(records: [.init(seconds: 1, fraction: 0, data: Self.frameA)])
        var generator = SystemRandomNumberGenerator()
        for round in 0..<400 {
            var file = round % 2 == 0 ? base : pcapBase
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                let index = Int.random(in: 0..<file.count, using: &generator)
                file[index] = UInt8.random(in: 0...255, using: &generator)
            }
            if round % 3 == 0 {
                file = Array(file.prefix(Int.random(in: 0...file.count, using: &generator)))
            }
            guard let reader = try? CaptureFileReader(path: try Bytes.write(file, name: "fuzz")) else { continue }
            var decoder = PacketDecoder()
            var count = 0
            while try reader.next({ info, bytes in
                _ = decoder.decode(info, bytes) { _ in }
                count += 1
            }) {
                #expect(count < 100)
            }
            _ = reader.warnings.map(\.description)
        }
    }
}
