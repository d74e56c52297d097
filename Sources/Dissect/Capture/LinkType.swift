/// A capture's link-layer header type (the LINKTYPE_ registry shared by pcap and pcapng).
package struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    package var rawValue: UInt32

    package init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    package static let null = LinkType(rawValue: 0)
    package static let ethernet = LinkType(rawValue: 1)
    package static let raw = LinkType(rawValue: 101)
    package static let loop = LinkType(rawValue: 108)
    package static let linuxSLL = LinkType(rawValue: 113)
    package static let ipv4 = LinkType(rawValue: 228)
    package static let ipv6 = LinkType(rawValue: 229)
    package static let linuxSLL2 = LinkType(rawValue: 276)

    /// The name libpcap and tshark use (`pcap_datalink_val_to_name`), or `LINKTYPE_<n>` when unknown.
    package var description: String {
        switch self.rawValue {
        case 0: return "NULL"
        case 1: return "EN10MB"
        case 101: return "RAW"
        case 108: return "LOOP"
        case 113: return "LINUX_SLL"
        case 228: return "IPV4"
        case 229: return "IPV6"
        case 276: return "LINUX_SLL2"
        default: return "LINKTYPE_\(self.rawValue)"
        }
    }

    /// Whether wssniff decodes this link type.
    package var isSupported: Bool {
        switch self.rawValue {
        case 0, 1, 101, 108, 113, 228, 229, 276: return true
        default: return false
        }
    }
}

/// What a capture says about one packet, beside its bytes.
package struct CaptureRecordInfo: Sendable {
    /// 1-based number of the record across the whole input, as tshark counts frames.
    package var number: Int
    package var linkType: LinkType
    package var timestamp: Timestamp
    /// Bytes present in the capture.
    package var capturedLength: Int
    /// Bytes the packet had on the wire; more than `capturedLength` when the snaplen cut it.
    package var originalLength: Int
    /// The pcapng interface index (0 for pcap files and live capture).
    package var interface: Int

    package init(
        number: Int,
        linkType: LinkType,
        timestamp: Timestamp,
        capturedLength: Int,
        originalLength: Int,
        interface: Int = 0
    ) {
        self.number = number
        self.linkType = linkType
        self.timestamp = timestamp
        self.capturedLength = capturedLength
        self.originalLength = originalLength
        self.interface = interface
    }

    package var isTruncated: Bool {
        self.capturedLength < self.originalLength
    }
}
