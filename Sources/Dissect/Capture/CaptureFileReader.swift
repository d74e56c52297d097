/// The format of a capture file.
package enum CaptureFileFormat: Hashable, Sendable {
    /// Classic pcap; `nanosecond` for magic a1b23c4d.
    case pcap(nanosecond: Bool)
    case pcapng
}

/// Reads the records of a pcap or pcapng file, one at a time, straight from a sliding memory mapping, or from a pipe.
///
/// Pull-based like `pcap_next_ex`: each ``next(_:)`` call hands one record's bytes to a closure; the bytes are
/// borrowed from the mapping (or the read buffer) and valid only during the call. A regular file is mapped, about
/// 4 MiB at a time, and no bytes are copied; anything else (standard input as `-`, a FIFO, `/dev/stdin` on a pipe)
/// is read into a buffer that holds about one record, and a record is handed out as soon as it has arrived whole.
/// Either way the resident size stays flat for inputs of any size, and the same parser reads the records, so the
/// records, warnings and errors are the same.
///
/// Damage is handled like this: a file that is not a capture at all throws a ``CaptureError`` from `init`; a file
/// cut in the middle of a record, a corrupt block length or an absurd record length ends the reading with a
/// ``CaptureWarning`` and everything before it stays usable.
///
/// Owns a file descriptor and a mapping, so it is a class; it is not `Sendable`.
package final class CaptureFileReader {
    /// The largest captured length believed: libpcap's `MAXIMUM_SNAPLEN` (262144).
    package static let maximumCapturedLength = 256 * 1_024
    /// How much of the file is mapped at a time, unless one record needs more.
    package static let defaultWindowSize = 4 << 20
    /// The largest non-packet block (section or interface description) read into memory.
    static let maximumMetadataBlockLength = 16 << 20

    private enum State {
        case pcap(PcapFormat)
        /// The section and interface state lives in ``pcapng`` so it is updated in place.
        case pcapng
    }

    package let path: String
    package let format: CaptureFileFormat
    private var window: FileWindow
    private var state: State
    private var pcapng = PcapngFormat(byteOrder: .little)
    private var offset: Int
    private var nextNumber: Int
    private var finished = false
    private var lastTimestamp = Timestamp(nanoseconds: 0)

    /// Problems met so far, in the order they were first seen; repeated ones are counted in place.
    package private(set) var warnings: [CaptureWarning] = []
    /// The distinct link types of all interfaces seen so far, in order of appearance.
    package private(set) var linkTypes: [LinkType] = []
    /// Records handed out so far.
    package private(set) var recordCount = 0

    private var unknownBlockWarning: [UInt32: Int] = [:]
    private var snaplenWarning: Int?
    private var unknownInterfaceWarning: Int?

    /// Opens `path` (`-`: standard input) and reads its file header; a streamed input is read up to it.
    ///
    /// - Parameters:
    ///   - firstNumber: the number of the first record, so that several files can be numbered as one input.
    ///   - windowSize: how many bytes to map (or read) at a time (rounded up to a page); tests make it small.
    ///   - observer: for an input that is read rather than mapped, sees every byte read, in order, once: the whole
    ///     input by the time ``next(_:)`` returns false.
    package init(
        path: String,
        firstNumber: Int = 1,
        windowSize: Int = CaptureFileReader.defaultWindowSize,
        observer: ((UnsafeRawBufferPointer) -> Void)? = nil
    ) throws(CaptureError) {
        var window = try FileWindow(path: path, windowSize: windowSize, observer: observer)
        let name = path == "-" ? "standard input" : path
        let present = try window.available(from: 0, upTo: 12)
        if present == 0 {
            throw .emptyFile(name)
        }
        let head = try window.bytes(at: 0, count: present)
        guard head.count >= 4 else {
            throw .notACaptureFile(name, firstBytes: head)
        }
        if head.le32(0) == PcapngFormat.BlockType.sectionHeader {
            let minimum = PcapngFormat.minimumSectionHeaderLength
            let size = try window.available(from: 0, upTo: minimum)
            guard size >= minimum, head.count >= 12 else {
                throw .truncatedHeader(name, size: size, needed: minimum, format: "pcapng")
            }
            guard let order = PcapngFormat.sectionByteOrder(head) else {
                throw .corruptHeader(name, "the pcapng section header has no byte-order magic 1a2b3c4d at offset 8")
            }
            let length = Int(order.u32(head, 4))
            guard length >= minimum, length % 4 == 0, length <= Self.maximumMetadataBlockLength,
                try window.available(from: 0, upTo: length) == length
            else {
                throw .corruptHeader(name, "the first pcapng section header claims \(length) bytes")
            }
            let block = try window.bytes(at: 0, count: length)
            if let problem = PcapngFormat.sectionHeaderProblem(block, byteOrder: order) {
                throw .corruptHeader(name, problem)
            }
            self.state = .pcapng
            self.pcapng = PcapngFormat(byteOrder: order)
            self.format = .pcapng
            self.offset = 0
        } else if PcapFormat.recognize(magic: head.le32(0)) != nil {
            let size = try window.available(from: 0, upTo: PcapFormat.fileHeaderLength)
            guard size >= PcapFormat.fileHeaderLength else {
                throw .truncatedHeader(name, size: size, needed: PcapFormat.fileHeaderLength, format: "pcap")
            }
            let header = try window.bytes(at: 0, count: PcapFormat.fileHeaderLength)
            guard let pcap = PcapFormat(fileHeader: header) else {
                throw .corruptHeader(name, "unreadable pcap file header")
            }
            self.state = .pcap(pcap)
            self.format = .pcap(nanosecond: pcap.nanosecond)
            self.offset = PcapFormat.fileHeaderLength
        } else {
            throw .notACaptureFile(name, firstBytes: head)
        }
        self.path = path
        self.window = window
        self.nextNumber = firstNumber
        if case .pcap(let pcap) = self.state {
            self.noteLinkType(pcap.linkType)
        }
    }

    /// The size of the file in bytes when it was opened; for an input that is read rather than mapped, the bytes read
    /// so far (all of them once ``next(_:)`` has returned false).
    package var fileSize: Int {
        self.window.size
    }

    /// Numbers the records from `number` on, for an input opened before the files ahead of it were read; only before
    /// the first record.
    package func numberRecords(from number: Int) {
        precondition(self.recordCount == 0, "records already handed out")
        self.nextNumber = number
    }

    /// Whether the input is read as a stream (a pipe, a FIFO) rather than mapped: its size is known only at the end.
    package var isStream: Bool {
        self.window.isStream
    }

    /// A stream only: called before the reader waits for its writer (nothing is there to read yet).
    package var stallHandler: (() -> Void)? {
        get { self.window.stallHandler }
        set { self.window.stallHandler = newValue }
    }

    /// How far the reader has got, in bytes from the start of the file.
    package var bytesRead: Int {
        self.offset
    }

    /// Calls `body` with the next record's description and bytes; returns false, without calling it, at the end.
    ///
    /// The buffer is borrowed from the file mapping and valid only during the call. Throws a ``CaptureError`` when
    /// the file cannot be mapped, or whatever `body` throws (the record then counts as read).
    package func next(_ body: (CaptureRecordInfo, UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        if self.finished {
            return false
        }
        switch self.state {
        case .pcap(let pcap):
            return try self.nextPcap(pcap, body)
        case .pcapng:
            return try self.nextPcapng(body)
        }
    }

    // MARK: - pcap

    private func nextPcap(
        _ pcap: PcapFormat,
        _ body: (CaptureRecordInfo, UnsafeRawBufferPointer) throws -> Void
    ) throws -> Bool {
        let offset = self.offset
        self.window.release(before: offset)
        let headerLength = pcap.recordHeaderLength
        let present = try self.window.available(from: offset, upTo: headerLength)
        if present == 0 {
            return self.finish()
        }
        if present < headerLength {
            return self.finish(.truncatedRecord(record: self.nextNumber, offset: offset, present: present))
        }
        let header = pcap.recordHeader(try self.window.bytes(at: offset, count: headerLength))
        let captured = header.capturedLength
        if captured > Self.maximumCapturedLength {
            return self.finish(.absurdCapturedLength(record: self.nextNumber, offset: offset, length: captured))
        }
        if try self.window.available(from: offset, upTo: headerLength + captured) < headerLength + captured {
            let present = try self.window.remaining(from: offset)
            return self.finish(.truncatedRecord(record: self.nextNumber, offset: offset, present: present))
        }
        if pcap.snaplen > 0 && captured > pcap.snaplen {
            self.noteSnaplenExceeded()
        }
        let record = try self.window.bytes(at: offset, count: headerLength + captured)
        let info = CaptureRecordInfo(
            number: self.nextNumber,
            linkType: pcap.linkType,
            timestamp: header.timestamp,
            capturedLength: captured,
            originalLength: header.originalLength
        )
        self.advance(to: offset + headerLength + captured, timestamp: header.timestamp)
        try body(info, record.dropping(headerLength))
        return true
    }

    // MARK: - pcapng

    private func nextPcapng(_ body: (CaptureRecordInfo, UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        typealias Block = PcapngFormat.BlockType
        while true {
            let offset = self.offset
            self.window.release(before: offset)
            let present = try self.window.available(from: offset, upTo: 12)
            if present == 0 {
                return self.finish()
            }
            if present < 12 {
                let type =
                    present >= 4 ? self.pcapng.byteOrder.u32(try self.window.bytes(at: offset, count: 4), 0) : nil
                return self.finish(self.cutBlockWarning(offset: offset, remaining: present, type: type))
            }
            let head = try self.window.bytes(at: offset, count: 12)
            var order = self.pcapng.byteOrder
            let type = order.u32(head, 0)
            if type == Block.sectionHeader {
                guard let sectionOrder = PcapngFormat.sectionByteOrder(head) else {
                    return self.finish(.corruptBlock(offset: offset, reason: "section header without byte-order magic"))
                }
                order = sectionOrder
            }
            let length = Int(order.u32(head, 4))
            // pcapng 3.1: "Block Total Length: total size of this block ... multiple of 4"; the smallest block
            // (no body) is 12 bytes.
            guard length >= 12, length % 4 == 0 else {
                return self.finish(.corruptBlock(offset: offset, reason: "block length \(length) is invalid"))
            }
            if try self.window.available(from: offset, upTo: length) < length {
                let remaining = try self.window.remaining(from: offset)
                return self.finish(self.cutBlockWarning(offset: offset, remaining: remaining, type: type))
            }
            let trailer = try self.window.bytes(at: offset + length - 4, count: 4)
            guard Int(order.u32(trailer, 0)) == length else {
                return self.finish(
                    .corruptBlock(
                        offset: offset,
                        reason: "block length \(length) differs from its trailing copy \(order.u32(trailer, 0))"
                    )
                )
            }
            let isPacket = type == Block.enhancedPacket || type == Block.simplePacket || type == Block.packet
            if isPacket || type == Block.sectionHeader || type == Block.interfaceDescription {
                if length > Self.maximumMetadataBlockLength {
                    return self.finish(.corruptBlock(offset: offset, reason: "block of \(length) bytes is too large"))
                }
            } else {
                if !Block.isKnownNonPacket(type) {
                    self.noteUnknownBlock(type)
                }
                self.offset = offset + length
                continue
            }
            let block = try self.window.bytes(at: offset, count: length)
            switch type {
            case Block.sectionHeader:
                if let problem = PcapngFormat.sectionHeaderProblem(block, byteOrder: order) {
                    return self.finish(.corruptBlock(offset: offset, reason: problem))
                }
                self.pcapng.beginSection(byteOrder: order)
                self.offset = offset + length
            case Block.interfaceDescription:
                guard length >= 20 else {
                    return self.finish(
                        .corruptBlock(offset: offset, reason: "interface description of \(length) bytes")
                    )
                }
                let interface = self.pcapng.addInterface(block)
                self.noteLinkType(interface.linkType)
                self.offset = offset + length
            default:
                guard let packet = self.packet(in: block, type: type, offset: offset) else {
                    if self.finished {
                        return false
                    }
                    self.offset = offset + length
                    continue
                }
                self.advance(to: offset + length, timestamp: packet.info.timestamp)
                try body(packet.info, packet.bytes)
                return true
            }
        }
    }

    /// Decodes a packet block (EPB, SPB or PB); nil when it is skipped, or when reading must stop (then `finished`).
    private func packet(
        in block: UnsafeRawBufferPointer,
        type: UInt32,
        offset: Int
    ) -> (info: CaptureRecordInfo, bytes: UnsafeRawBufferPointer)? {
        typealias Block = PcapngFormat.BlockType
        let order = self.pcapng.byteOrder
        let length = block.count
        let interfaceID: Int
        let dataOffset: Int
        var captured: Int
        let original: Int
        var ticks: UInt64 = 0
        switch type {
        case Block.simplePacket:
            guard length >= 16 else {
                _ = self.finish(.corruptBlock(offset: offset, reason: "simple packet block of \(length) bytes"))
                return nil
            }
            // pcapng 4.4: "the Captured Packet Length ... is the minimum value among the Original Packet Length
            // and the value of the SnapLen field in the Interface Description Block" (interface 0).
            interfaceID = 0
            dataOffset = 12
            original = Int(order.u32(block, 8))
            captured = min(original, length - 16)
            if let interface = self.pcapng.interfaces.first, interface.snaplen > 0 {
                captured = min(captured, interface.snaplen)
            }
        default:
            guard length >= 32 else {
                _ = self.finish(.corruptBlock(offset: offset, reason: "packet block of \(length) bytes"))
                return nil
            }
            if type == Block.enhancedPacket {
                interfaceID = Int(order.u32(block, 8))
            } else {
                interfaceID = Int(order.u16(block, 8))
            }
            ticks = UInt64(order.u32(block, 12)) << 32 | UInt64(order.u32(block, 16))
            captured = Int(order.u32(block, 20))
            original = Int(order.u32(block, 24))
            dataOffset = 28
            if captured > Self.maximumCapturedLength {
                _ = self.finish(.absurdCapturedLength(record: self.nextNumber, offset: offset, length: captured))
                return nil
            }
            guard dataOffset + captured <= length - 4 else {
                _ = self.finish(
                    .corruptBlock(
                        offset: offset,
                        reason: "\(captured) captured bytes do not fit a \(length)-byte block"
                    )
                )
                return nil
            }
        }
        guard interfaceID < self.pcapng.interfaces.count else {
            self.noteUnknownInterface(offset: offset)
            return nil
        }
        let interface = self.pcapng.interfaces[interfaceID]
        if type != Block.simplePacket && interface.snaplen > 0 && captured > interface.snaplen {
            self.noteSnaplenExceeded()
        }
        // A simple packet block has no timestamp: it gets the previous record's, so time never jumps back to 1970.
        let timestamp = type == Block.simplePacket ? self.lastTimestamp : interface.timestamp(ticks)
        let info = CaptureRecordInfo(
            number: self.nextNumber,
            linkType: interface.linkType,
            timestamp: timestamp,
            capturedLength: captured,
            originalLength: original,
            interface: interface.fileIndex
        )
        return (info, block.slice(dataOffset, captured))
    }

    /// The warning for a block cut by the end of the input; `type`: its block type, when at least 4 bytes remain.
    private func cutBlockWarning(offset: Int, remaining: Int, type: UInt32?) -> CaptureWarning.Kind {
        typealias Block = PcapngFormat.BlockType
        if type == Block.enhancedPacket || type == Block.simplePacket || type == Block.packet {
            return .truncatedRecord(record: self.nextNumber, offset: offset, present: remaining)
        }
        return .trailingBytes(offset: offset, count: remaining)
    }

    // MARK: - Bookkeeping

    @inline(__always)
    private func advance(to offset: Int, timestamp: Timestamp) {
        self.offset = offset
        self.nextNumber += 1
        self.recordCount += 1
        self.lastTimestamp = timestamp
    }

    private func finish(_ warning: CaptureWarning.Kind? = nil) -> Bool {
        if let warning {
            self.warnings.append(CaptureWarning(warning))
        }
        self.finished = true
        // A streamed input is read to its end, so its size and digest cover every byte, as a mapped file's do.
        self.window.drain()
        return false
    }

    private func noteLinkType(_ linkType: LinkType) {
        if !self.linkTypes.contains(linkType) {
            self.linkTypes.append(linkType)
            if !linkType.isSupported {
                self.warnings.append(CaptureWarning(.unsupportedLinkType(linkType)))
            }
        }
    }

    private func noteUnknownBlock(_ type: UInt32) {
        if let index = self.unknownBlockWarning[type],
            case .unknownBlockType(_, let count) = self.warnings[index].kind
        {
            self.warnings[index].kind = .unknownBlockType(type: type, count: count + 1)
        } else {
            self.unknownBlockWarning[type] = self.warnings.count
            self.warnings.append(CaptureWarning(.unknownBlockType(type: type, count: 1)))
        }
    }

    private func noteSnaplenExceeded() {
        if let index = self.snaplenWarning,
            case .capturedLengthExceedsSnaplen(let first, let count) = self.warnings[index].kind
        {
            self.warnings[index].kind = .capturedLengthExceedsSnaplen(firstRecord: first, count: count + 1)
        } else {
            self.snaplenWarning = self.warnings.count
            self.warnings.append(CaptureWarning(.capturedLengthExceedsSnaplen(firstRecord: self.nextNumber, count: 1)))
        }
    }

    private func noteUnknownInterface(offset: Int) {
        if let index = self.unknownInterfaceWarning,
            case .unknownInterface(let first, let count) = self.warnings[index].kind
        {
            self.warnings[index].kind = .unknownInterface(firstOffset: first, count: count + 1)
        } else {
            self.unknownInterfaceWarning = self.warnings.count
            self.warnings.append(CaptureWarning(.unknownInterface(firstOffset: offset, count: 1)))
        }
    }
}
