/// The pcapng file format (draft-ietf-opsawg-pcapng): sections of blocks.
///
/// ```
/// block:   type (4), total length (4), body (padded to 4), total length again (4)
/// SHB 0x0A0D0D0A: byte-order magic 0x1A2B3C4D, version 1.0, section length (8), options
/// IDB 1:  link type (2), reserved (2), snaplen (4), options (if_tsresol 9, if_tsoffset 14, ...)
/// EPB 6:  interface (4), timestamp high (4), low (4), captured length (4), original length (4), data, options
/// SPB 3:  original length (4), data
/// PB 2 (obsolete): interface (2), drops count (2), timestamp high (4), low (4), captured (4), original (4), data
/// ```
/// Each section has its own byte order and its own interfaces; a new SHB forgets the interfaces of the previous one.
struct PcapngFormat: Sendable {
    /// Block types this reader acts on or knowingly skips.
    enum BlockType {
        static let sectionHeader: UInt32 = 0x0A0D_0D0A
        static let interfaceDescription: UInt32 = 1
        static let packet: UInt32 = 2
        static let simplePacket: UInt32 = 3
        static let nameResolution: UInt32 = 4
        static let interfaceStatistics: UInt32 = 5
        static let enhancedPacket: UInt32 = 6
        static let irigTimestamp: UInt32 = 7
        static let arincPayload: UInt32 = 8
        static let systemdJournal: UInt32 = 9
        static let decryptionSecrets: UInt32 = 10
        static let customCopiable: UInt32 = 0x0000_0BAD
        static let customNotCopiable: UInt32 = 0x4000_0BAD

        /// Types that carry no packets and are skipped without a warning.
        static func isKnownNonPacket(_ type: UInt32) -> Bool {
            switch type {
            case Self.nameResolution, Self.interfaceStatistics, Self.irigTimestamp, Self.arincPayload,
                Self.systemdJournal, Self.decryptionSecrets, Self.customCopiable, Self.customNotCopiable:
                return true
            default:
                return false
            }
        }
    }

    /// The byte-order magic of a section header block, read in the section's own byte order.
    static let byteOrderMagic: UInt32 = 0x1A2B_3C4D
    /// The smallest section header block: 12 bytes of framing, magic, version, section length.
    static let minimumSectionHeaderLength = 28

    /// One interface of the current section.
    struct Interface: Sendable {
        var linkType: LinkType
        /// 0 means no limit.
        var snaplen: Int
        /// Timestamp units per second (`if_tsresol`; 10^6 by default).
        var unitsPerSecond: UInt64
        /// Seconds added to every timestamp (`if_tsoffset`).
        var offsetSeconds: Int64
        /// Index of this interface across all sections of the file, as tshark numbers `frame.interface_id`.
        var fileIndex: Int

        /// Converts a 64-bit pcapng timestamp in this interface's units to nanoseconds since the epoch.
        @inline(__always)
        func timestamp(_ ticks: UInt64) -> Timestamp {
            let units = self.unitsPerSecond
            let seconds = ticks / units
            let remainder = ticks % units
            let nanoseconds: UInt64
            if units == 1_000_000 {
                nanoseconds = remainder &* 1_000
            } else if units == 1_000_000_000 {
                nanoseconds = remainder
            } else {
                // remainder < units, so the quotient is below 10^9 and fits.
                nanoseconds = units.dividingFullWidth(remainder.multipliedFullWidth(by: 1_000_000_000)).quotient
            }
            return Timestamp(
                seconds: Int64(truncatingIfNeeded: seconds) &+ self.offsetSeconds,
                nanoseconds: Int64(nanoseconds)
            )
        }
    }

    /// The byte order of the current section.
    var byteOrder: CaptureByteOrder
    /// The interfaces of the current section, by interface ID.
    var interfaces: [Interface] = []
    /// Interfaces declared in earlier sections.
    var interfacesBefore = 0

    /// Decides a section's byte order from the 4 bytes at offset 8 of its SHB, or nil when they are no magic.
    static func sectionByteOrder(_ block: UnsafeRawBufferPointer) -> CaptureByteOrder? {
        // pcapng 4.1: "Byte-Order Magic (32 bits): an unsigned magic number, whose value is the hexadecimal
        // number 0x1A2B3C4D. This number can be used to distinguish sections that have been saved on
        // little-endian machines from the ones saved on big-endian machines".
        let magic = block.le32(8)
        if magic == Self.byteOrderMagic { return .little }
        if magic == Self.byteOrderMagic.byteSwapped { return .big }
        return nil
    }

    /// Checks a whole section header block; returns why it is unusable, or nil.
    static func sectionHeaderProblem(_ block: UnsafeRawBufferPointer, byteOrder: CaptureByteOrder) -> String? {
        guard block.count >= Self.minimumSectionHeaderLength else {
            return "section header block of \(block.count) bytes is shorter than 28"
        }
        // pcapng 4.1: "Major Version (16 bits): ... If that field is not equal to 1, the section cannot be read".
        let major = byteOrder.u16(block, 12)
        guard major == 1 else {
            return "pcapng section version \(major).\(byteOrder.u16(block, 14)) is not 1.x"
        }
        return nil
    }

    /// Starts a new section: the interfaces of the previous one no longer apply.
    mutating func beginSection(byteOrder: CaptureByteOrder) {
        self.interfacesBefore += self.interfaces.count
        self.interfaces.removeAll(keepingCapacity: true)
        self.byteOrder = byteOrder
    }

    /// Reads an interface description block (the whole block, at least 20 bytes) and appends its interface.
    mutating func addInterface(_ block: UnsafeRawBufferPointer) -> Interface {
        let order = self.byteOrder
        var interface = Interface(
            linkType: LinkType(rawValue: UInt32(order.u16(block, 8))),
            snaplen: Int(order.u32(block, 12)),
            unitsPerSecond: 1_000_000,
            offsetSeconds: 0,
            fileIndex: self.interfacesBefore + self.interfaces.count
        )
        Self.forEachOption(block, from: 16, byteOrder: order) { code, value in
            switch code {
            case 9 where value.count >= 1:
                // pcapng 4.2: "if_tsresol ... If the Most Significant Bit is equal to zero, the remaining bits
                // indicates the resolution of the timestamp as a negative power of 10 ... If the Most Significant
                // Bit is equal to one, the remaining bits indicates the resolution as negative power of 2".
                let raw = value.u8(0)
                let exponent = Int(raw & 0x7f)
                if raw & 0x80 != 0 {
                    if exponent <= 63 { interface.unitsPerSecond = UInt64(1) << UInt64(exponent) }
                } else if exponent <= 19 {
                    var units: UInt64 = 1
                    for _ in 0..<exponent { units &*= 10 }
                    interface.unitsPerSecond = units
                }
            case 14 where value.count >= 8:
                // pcapng 4.2: "if_tsoffset ... a 64-bit signed integer value that specifies an offset (in
                // seconds) that must be added to the timestamp of each packet".
                interface.offsetSeconds = Int64(bitPattern: order.u64(value, 0))
            default:
                break
            }
        }
        self.interfaces.append(interface)
        return interface
    }

    /// Calls `body` with each option's code and value in `block` from `start` up to the trailing length field.
    private static func forEachOption(
        _ block: UnsafeRawBufferPointer,
        from start: Int,
        byteOrder: CaptureByteOrder,
        _ body: (UInt16, UnsafeRawBufferPointer) -> Void
    ) {
        let end = block.count - 4
        var position = start
        while position + 4 <= end {
            let code = byteOrder.u16(block, position)
            let length = Int(byteOrder.u16(block, position + 2))
            // pcapng 3.5: "opt_endofopt: ... delimits the end of the optional fields".
            if code == 0 || position + 4 + length > end {
                return
            }
            body(code, block.slice(position + 4, length))
            position += 4 + ((length + 3) & ~3)
        }
    }
}
