package import Dissect

/// What wssniff read: the files (or the live interface) and the packets in them.
package struct InputSummary: Sendable {
    /// One capture file, as read.
    package struct File: Sendable {
        package var path: String
        package var sha256: String?
        package var size: Int
        package var packets: Int
        package var warnings: [String]
    }

    package var files: [File] = []
    /// The live interface, when capturing.
    package var interface: String?
    package var linkTypes: [LinkType] = []
    package var packets: Int = 0
    /// Bytes of packet data present in the capture (the sum of captured lengths).
    package var bytes: Int = 0
    /// The largest record's captured length (the snapshot length a copy of the input needs).
    package var largestRecord: Int = 0
    package var firstTime: Timestamp?
    package var lastTime: Timestamp?
    /// Packets the snaplen cut short.
    package var truncatedPackets: Int = 0
    /// The snaplen in effect where packets were cut: the largest captured length of a cut packet.
    package var cutSnaplen: Int?
    /// Packets that carried TCP.
    package var tcpPackets: Int = 0
    /// Packets that were not TCP (ARP, UDP, ICMP, ...), skipped.
    package var otherPackets: Int = 0
    /// Packets whose headers could not be decoded, by reason.
    package var malformedPackets: Int = 0
    /// Packets of link types wssniff does not decode, by link type.
    package var unsupportedLinkTypes: [LinkType: Int] = [:]
    /// Diagnostics worth a user's attention (cut files, unknown link types, ...), in the order they arose.
    package var warnings: [String] = []

    package init() {}

    /// Whether something in the input kept wssniff from seeing every byte (cut file, snaplen, unknown links).
    package var isIncomplete: Bool {
        self.truncatedPackets > 0 || self.files.contains { !$0.warnings.isEmpty } || !self.unsupportedLinkTypes.isEmpty
    }

    mutating func count(_ info: CaptureRecordInfo) {
        self.packets += 1
        self.bytes += info.capturedLength
        self.largestRecord = max(self.largestRecord, info.capturedLength)
        if info.isTruncated {
            self.truncatedPackets += 1
            self.cutSnaplen = max(self.cutSnaplen ?? 0, info.capturedLength)
        }
        if self.firstTime == nil || info.timestamp < self.firstTime! { self.firstTime = info.timestamp }
        if self.lastTime == nil || self.lastTime! < info.timestamp { self.lastTime = info.timestamp }
        if self.linkTypes.last != info.linkType && !self.linkTypes.contains(info.linkType) {
            self.linkTypes.append(info.linkType)
        }
    }
}
