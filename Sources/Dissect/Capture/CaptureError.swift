/// Why a capture file cannot be read at all.
///
/// Equality compares only the `code`, so tests can match `CaptureError.Code.notACaptureFile` without the message.
/// Damage after the first record is not an error: the reader stops there and records a ``CaptureWarning``.
package struct CaptureError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    package enum Code: Hashable, Sendable {
        /// The file could not be opened, inspected or mapped.
        case cannotOpen
        /// The file has no bytes.
        case emptyFile
        /// The first bytes are neither a pcap nor a pcapng magic number.
        case notACaptureFile
        /// The file is shorter than its own file header.
        case truncatedHeader
        /// The file header or first section header block is not valid.
        case corruptHeader
        /// Mapping a part of the file into memory failed while reading.
        case readFailed
    }

    /// The kind of failure.
    package var code: Code
    /// What went wrong, for a person, naming the file.
    package var message: String

    package init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    package var description: String {
        self.message
    }

    package static func == (lhs: CaptureError, rhs: CaptureError) -> Bool {
        lhs.code == rhs.code
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
    }

    static func cannotOpen(_ path: String, _ reason: String) -> CaptureError {
        CaptureError(code: .cannotOpen, message: "cannot open \(path): \(reason)")
    }

    static func emptyFile(_ path: String) -> CaptureError {
        CaptureError(code: .emptyFile, message: "\(path) is empty: it holds no capture")
    }

    static func notACaptureFile(_ path: String, firstBytes: UnsafeRawBufferPointer) -> CaptureError {
        let shown = firstBytes.prefix(8).map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }
        var message =
            "\(path) is not a pcap or pcapng file: it starts with \(shown.joined(separator: " ")), "
            + "not a pcap magic (a1b2c3d4, a1b23c4d, either byte order) or a pcapng section header (0a0d0d0a)"
        if firstBytes.count >= 2 && firstBytes[0] == 0x1f && firstBytes[1] == 0x8b {
            message += "; it looks gzip-compressed, so decompress it first"
        }
        return CaptureError(code: .notACaptureFile, message: message)
    }

    static func truncatedHeader(_ path: String, size: Int, needed: Int, format: String) -> CaptureError {
        CaptureError(
            code: .truncatedHeader,
            message: "\(path) has only \(size) bytes, fewer than the \(needed) of a \(format) file header"
        )
    }

    static func corruptHeader(_ path: String, _ reason: String) -> CaptureError {
        CaptureError(code: .corruptHeader, message: "\(path): \(reason)")
    }

    static func readFailed(_ path: String, offset: Int, _ reason: String) -> CaptureError {
        CaptureError(code: .readFailed, message: "cannot read \(path) at offset \(offset): \(reason)")
    }
}

/// Something wrong or unusual in a capture file that does not stop the analysis of what came before it.
package struct CaptureWarning: Hashable, Sendable, CustomStringConvertible {
    /// What was seen, with the numbers a test or a report needs.
    package enum Kind: Hashable, Sendable {
        /// The file ends inside a record: `present` of its bytes (header included) exist. Reading stopped.
        case truncatedRecord(record: Int, offset: Int, present: Int)
        /// A block or record header makes no sense (bad length, bad trailer). Reading stopped.
        case corruptBlock(offset: Int, reason: String)
        /// A record claims more captured bytes than any real capture holds. Reading stopped.
        case absurdCapturedLength(record: Int, offset: Int, length: Int)
        /// Blocks of a pcapng type this reader does not know were skipped.
        case unknownBlockType(type: UInt32, count: Int)
        /// Records whose captured length exceeds their interface's snaplen (they are still read).
        case capturedLengthExceedsSnaplen(firstRecord: Int, count: Int)
        /// An interface uses a link type that wssniff does not decode.
        case unsupportedLinkType(LinkType)
        /// Packet blocks that name an interface no description block declared were skipped.
        case unknownInterface(firstOffset: Int, count: Int)
        /// Bytes after the last complete record that do not form a record.
        case trailingBytes(offset: Int, count: Int)
    }

    package var kind: Kind

    package init(_ kind: Kind) {
        self.kind = kind
    }

    package var description: String {
        switch self.kind {
        case .truncatedRecord(let record, let offset, let present):
            return "file ends \(present) bytes into record \(record) at offset \(offset): the capture was cut"
        case .corruptBlock(let offset, let reason):
            return "corrupt block at offset \(offset): \(reason); records after it are not read"
        case .absurdCapturedLength(let record, let offset, let length):
            return "record \(record) at offset \(offset) claims \(length) captured bytes; records after it are not read"
        case .unknownBlockType(let type, let count):
            let hex = String(type, radix: 16)
            return "skipped \(count) pcapng block\(count == 1 ? "" : "s") of unknown type 0x\(hex)"
        case .capturedLengthExceedsSnaplen(let firstRecord, let count):
            return "\(count) record\(count == 1 ? "" : "s") (first: \(firstRecord)) hold more bytes than the snaplen"
        case .unsupportedLinkType(let linkType):
            return "link type \(linkType) (\(linkType.rawValue)) is not decoded; its packets are counted only"
        case .unknownInterface(let firstOffset, let count):
            return "skipped \(count) packet block\(count == 1 ? "" : "s") for undeclared interfaces "
                + "(first at offset \(firstOffset))"
        case .trailingBytes(let offset, let count):
            return "\(count) bytes at offset \(offset) after the last record are not a record"
        }
    }
}
