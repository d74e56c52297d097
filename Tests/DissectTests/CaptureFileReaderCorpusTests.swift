import Dissect
import Foundation
import Testing

private typealias Bytes = CaptureTestBytes

/// Compares ``CaptureFileReader`` and ``PacketDecoder`` with tshark, record by record, on real captures: the
/// third-party corpus and files that Wireshark's own tools write at test time.
@Suite(
    "CaptureFileReader against tshark",
    .enabled(if: TShark.isInstalled, "tshark is not installed at /usr/bin/tshark")
)
struct CaptureFileReaderCorpusTests {
    /// `../shared/corpus/third-party/` next to the package root, found from this file's path.
    static let corpusDirectory: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent()  // DissectTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .deletingLastPathComponent()
        .appendingPathComponent("shared/corpus/third-party")

    static func corpusFiles() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Self.corpusDirectory.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }

    @Test("the corpus is there")
    func corpusExists() {
        #expect(Self.corpusFiles().count >= 13, "no corpus at \(Self.corpusDirectory.path)")
    }

    @Test("every record of every corpus file matches tshark", arguments: Self.corpusFiles())
    func corpusFile(name: String) throws {
        let path = Self.corpusDirectory.appendingPathComponent(name).path
        let reader = try TShark.compare(path)
        #expect(reader.warnings.isEmpty, "\(reader.warnings)")
    }

    @Test("a nanosecond pcap written by editcap matches tshark")
    func nanosecondPcap() throws {
        let source = Self.corpusDirectory.appendingPathComponent("zeek-broker-websocket.pcap").path
        let output = try Self.outputPath("ns.pcap")
        try TShark.run("/usr/bin/editcap", ["-F", "nsecpcap", source, output])
        let reader = try TShark.compare(output)
        #expect(reader.format == .pcap(nanosecond: true))
        #expect(reader.recordCount == 22)
    }

    @Test("a pcapng merged from an Ethernet nanosecond pcap and a raw-IP microsecond pcap matches tshark")
    func mergedPcapng() throws {
        let ethernet = Self.corpusDirectory.appendingPathComponent("zeek-broker-websocket.pcap").path
        let raw = Self.corpusDirectory.appendingPathComponent("zeek-jupyter-websocket.pcap").path
        let nanosecond = try Self.outputPath("a-ns.pcap")
        let rawIP = try Self.outputPath("b-raw.pcap")
        let merged = try Self.outputPath("merged.pcapng")
        try TShark.run("/usr/bin/editcap", ["-F", "nsecpcap", ethernet, nanosecond])
        // Chop the 14-byte Ethernet header and relabel: real LINKTYPE_RAW frames.
        try TShark.run("/usr/bin/editcap", ["-C", "14", "-T", "rawip", raw, rawIP])
        try TShark.run("/usr/bin/mergecap", ["-w", merged, nanosecond, rawIP])
        let reader = try TShark.compare(merged)
        #expect(reader.format == .pcapng)
        #expect(reader.linkTypes == [.ethernet, .raw])
        #expect(reader.recordCount == 42)
    }

    @Test("pcapng files built byte by byte read the same in tshark")
    func syntheticPcapng() throws {
        let frame = Bytes.ethernet(type: 0x0800, payload: Bytes.ipv4(payload: Bytes.tcp(payload: [1, 2, 3])))
        let raw = Bytes.ipv4(payload: Bytes.tcp(sourcePort: 5_000, payload: Array(repeating: 7, count: 40)))
        // Two sections of opposite byte order, three interfaces, millisecond resolution on one.
        var sections = Bytes.sectionHeader(bigEndian: false)
        sections += Bytes.interfaceDescription(linkType: 1, snaplen: 0)
        sections += Bytes.enhancedPacket(interface: 0, ticks: 1_700_000_000_000_001, data: frame)
        sections += Bytes.sectionHeader(bigEndian: true)
        sections += Bytes.interfaceDescription(bigEndian: true, linkType: 101, snaplen: 60)
        sections += Bytes.interfaceDescription(bigEndian: true, linkType: 1, snaplen: 0, tsresol: 3)
        sections += Bytes.enhancedPacket(
            bigEndian: true,
            interface: 0,
            ticks: 1_700_000_000_000_002,
            data: Array(raw.prefix(60)),
            originalLength: raw.count
        )
        sections += Bytes.enhancedPacket(bigEndian: true, interface: 1, ticks: 1_700_000_000_003, data: frame)
        // Binary resolution with an offset, an obsolete packet block and unknown blocks.
        var binary = Bytes.sectionHeader()
        binary += Bytes.block(0x7777, bigEndian: false) { $0.u32(9) }
        binary += Bytes.interfaceDescription(linkType: 1, snaplen: 0, tsresol: 0x80 | 10, tsoffset: 1_600_000_000)
        binary += Bytes.enhancedPacket(interface: 0, ticks: 3 * 1_024 + 512 + 1, data: frame)
        binary += Bytes.obsoletePacket(interface: 0, ticks: 5 * 1_024, data: frame)
        binary += Bytes.block(0x7777, bigEndian: false) { _ in }
        // tshark 4.0 numbers frame.interface_id within each section; we number interfaces across the file.
        let sectionsReader = try TShark.compare(try Bytes.write(sections), compareInterfaces: false)
        #expect(sectionsReader.recordCount == 3)
        let binaryReader = try TShark.compare(try Bytes.write(binary))
        #expect(binaryReader.recordCount == 2)
        #expect(binaryReader.warnings.map(\.kind) == [.unknownBlockType(type: 0x7777, count: 2)])
    }

    @Test(
        "a live two-interface capture by dumpcap (lo and any, different snaplens) matches tshark",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/dumpcap"), "dumpcap is not installed")
    )
    func liveTwoInterfaces() throws {
        let output = try Self.outputPath("live.pcapng")
        let dumpcap = Process()
        dumpcap.executableURL = URL(fileURLWithPath: "/usr/bin/dumpcap")
        dumpcap.arguments = [
            "-q", "-i", "lo", "-s", "128", "-i", "any", "-s", "2000", "-a", "duration:2", "-w", output,
        ]
        dumpcap.standardOutput = FileHandle.nullDevice
        dumpcap.standardError = FileHandle.nullDevice
        try dumpcap.run()
        Thread.sleep(forTimeInterval: 0.7)
        // Connection attempts to a closed port on lo: a SYN and a RST each, seen on both interfaces.
        for port in [9, 13, 17] {
            Self.knock(port: UInt16(port))
        }
        dumpcap.waitUntilExit()
        guard dumpcap.terminationStatus == 0, FileManager.default.fileExists(atPath: output) else {
            try Test.cancel("dumpcap cannot capture here (status \(dumpcap.terminationStatus))")
        }
        let reader = try TShark.compare(output)
        #expect(reader.linkTypes.first == .ethernet)
        #expect(reader.linkTypes.count == 2)
        #expect(reader.recordCount >= 2)
    }

    /// Tries a TCP connection to `port` on 127.0.0.1 and closes it.
    private static func knock(port: UInt16) {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { return }
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    private static func outputPath(_ name: String) throws -> String {
        let directory = Bytes.temporaryDirectory.appendingPathComponent("tools-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }
}

/// Runs tshark and compares its view of a capture with ours.
enum TShark {
    static let path = "/usr/bin/tshark"
    static let isInstalled = FileManager.default.isExecutableFile(atPath: Self.path)

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `tool` and returns its standard output; throws when it fails.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                description: "\(tool) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)"
            )
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// `frame.time_epoch` text (`1705079732.690675000`) as nanoseconds.
    static func nanoseconds(_ text: Substring) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let seconds = Int64(parts[0]) else { return nil }
        let fraction = String(parts[1].prefix(9)).padding(toLength: 9, withPad: "0", startingAt: 0)
        guard let nanoseconds = Int64(fraction) else { return nil }
        return seconds * 1_000_000_000 + nanoseconds
    }

    /// Reads `path` with ``CaptureFileReader`` and ``PacketDecoder`` and expects every record to match tshark:
    /// number, timestamp, lengths, interface (unless `compareInterfaces` is false) and, for TCP, ports, raw
    /// sequence number and segment length.
    static func compare(
        _ path: String,
        compareInterfaces: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> CaptureFileReader {
        let fields = [
            "frame.number", "frame.time_epoch", "frame.cap_len", "frame.len", "frame.interface_id",
            "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.len",
        ]
        let text = try Self.run(Self.path, ["-r", path, "-T", "fields"] + fields.flatMap { ["-e", $0] })
        let expected = text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        let reader = try CaptureFileReader(path: path)
        var decoder = PacketDecoder()
        var index = 0
        while try reader.next({ info, bytes in
            defer { index += 1 }
            guard index < expected.count else {
                Issue.record("record \(info.number) beyond tshark's \(expected.count)", sourceLocation: sourceLocation)
                return
            }
            let row = expected[index]
            let where_ = "\(path) record \(info.number)"
            #expect(row.count == fields.count, "\(where_): \(row)", sourceLocation: sourceLocation)
            guard row.count == fields.count else { return }
            #expect(Int(row[0]) == info.number, "\(where_)", sourceLocation: sourceLocation)
            #expect(
                Self.nanoseconds(row[1]) == info.timestamp.nanoseconds,
                "\(where_): tshark \(row[1]), ours \(info.timestamp.rfc3339)",
                sourceLocation: sourceLocation
            )
            #expect(Int(row[2]) == info.capturedLength, "\(where_)", sourceLocation: sourceLocation)
            #expect(Int(row[3]) == info.originalLength, "\(where_)", sourceLocation: sourceLocation)
            if compareInterfaces && !row[4].isEmpty {
                #expect(Int(row[4]) == info.interface, "\(where_)", sourceLocation: sourceLocation)
            }
            var segment: Bytes.DecodedSegment?
            let outcome = decoder.decode(info, bytes) { segment = Bytes.DecodedSegment($0) }
            // tshark lists several values for TCP inside ICMP errors; compare only simple rows.
            guard !row[5].contains(",") else { return }
            if row[5].isEmpty {
                #expect(segment == nil, "\(where_): we decoded TCP, tshark did not", sourceLocation: sourceLocation)
                return
            }
            guard let segment else {
                Issue.record("\(where_): tshark decoded TCP, we said \(outcome)", sourceLocation: sourceLocation)
                return
            }
            #expect(Int(row[5]) == Int(segment.source.port), "\(where_)", sourceLocation: sourceLocation)
            #expect(Int(row[6]) == Int(segment.destination.port), "\(where_)", sourceLocation: sourceLocation)
            #expect(UInt32(row[7]) == segment.sequence, "\(where_)", sourceLocation: sourceLocation)
            #expect(
                Int(row[8]) == segment.payload.count + segment.missingPayloadLength,
                "\(where_)",
                sourceLocation: sourceLocation
            )
        }) {}
        #expect(
            index == expected.count,
            "\(path): \(index) records, tshark \(expected.count)",
            sourceLocation: sourceLocation
        )
        return reader
    }
}
