/// The network-layer protocol a link-layer header announces.
package enum NetworkProtocol: Hashable, Sendable {
    case ipv4
    case ipv6
}

/// What the link-layer header of a packet says.
package enum LinkLayerResult: Hashable, Sendable {
    /// An IP packet starts at `offset`.
    case network(NetworkProtocol, offset: Int)
    /// A valid frame that carries something other than IP (ARP, LLC, ...): `ethertype` or address family.
    case notIP(UInt32)
    /// wssniff does not decode this link type.
    case unsupportedLinkType(LinkType)
    /// The frame is too short for its own link-layer header.
    case truncated
}

/// Decodes link-layer headers: finds where the IP packet starts.
package enum LinkLayer {
    /// EtherType of IPv4 (RFC 894).
    static let ethertypeIPv4: UInt16 = 0x0800
    /// EtherType of IPv6 (RFC 2464).
    static let ethertypeIPv6: UInt16 = 0x86DD
    /// How many stacked VLAN tags are followed before giving up.
    static let maximumVLANTags = 8

    /// Decodes the link-layer header of `bytes`, a frame of `linkType`.
    package static func decode(_ linkType: LinkType, _ bytes: UnsafeRawBufferPointer) -> LinkLayerResult {
        switch linkType.rawValue {
        case LinkType.ethernet.rawValue:
            // IEEE 802.3: destination (6), source (6), EtherType or length (2). Linux `lo` writes zero MACs.
            guard bytes.count >= 14 else { return .truncated }
            return self.ethertype(bytes.be16(12), at: 14, in: bytes)
        case LinkType.linuxSLL.rawValue:
            // LINKTYPE_LINUX_SLL: packet type (2), ARPHRD type (2), address length (2), address (8), protocol (2).
            guard bytes.count >= 16 else { return .truncated }
            return self.ethertype(bytes.be16(14), at: 16, in: bytes)
        case LinkType.linuxSLL2.rawValue:
            // LINKTYPE_LINUX_SLL2: protocol (2), reserved (2), interface index (4), ARPHRD type (2), packet type
            // (1), address length (1), address (8).
            guard bytes.count >= 20 else { return .truncated }
            return self.ethertype(bytes.be16(0), at: 20, in: bytes)
        case LinkType.null.rawValue:
            // LINKTYPE_NULL: a 4-byte address family "in the host byte order of the machine on which the packets
            // are captured", so both orders occur; family values fit in 16 bits, which tells them apart.
            guard bytes.count >= 4 else { return .truncated }
            var family = bytes.le32(0)
            if family > 0xffff {
                family = family.byteSwapped
            }
            return self.addressFamily(family)
        case LinkType.loop.rawValue:
            // LINKTYPE_LOOP: like NULL, but the family is always in network byte order.
            guard bytes.count >= 4 else { return .truncated }
            return self.addressFamily(bytes.be32(0))
        case LinkType.raw.rawValue:
            // LINKTYPE_RAW: "the packet begins with an IPv4 or IPv6 header, with the version field of the header
            // indicating whether it's an IPv4 or IPv6 header".
            guard bytes.count >= 1 else { return .truncated }
            switch bytes.u8(0) >> 4 {
            case 4: return .network(.ipv4, offset: 0)
            case 6: return .network(.ipv6, offset: 0)
            default: return .notIP(UInt32(bytes.u8(0) >> 4))
            }
        case LinkType.ipv4.rawValue:
            return .network(.ipv4, offset: 0)
        case LinkType.ipv6.rawValue:
            return .network(.ipv6, offset: 0)
        default:
            return .unsupportedLinkType(linkType)
        }
    }

    /// Follows an EtherType at `offset - 2`, skipping 802.1Q / 802.1ad VLAN tags, to the network header.
    @inline(__always)
    private static func ethertype(
        _ first: UInt16,
        at offset: Int,
        in bytes: UnsafeRawBufferPointer
    ) -> LinkLayerResult {
        var type = first
        var offset = offset
        var tags = 0
        // IEEE 802.1Q: a tag is TPID (0x8100; 0x88a8 for an 802.1ad service tag; 0x9100 pre-standard QinQ) then
        // 2 bytes of TCI, then the real EtherType.
        while type == 0x8100 || type == 0x88a8 || type == 0x9100 {
            guard tags < self.maximumVLANTags else { return .notIP(UInt32(type)) }
            guard bytes.count >= offset + 4 else { return .truncated }
            type = bytes.be16(offset + 2)
            offset += 4
            tags += 1
        }
        switch type {
        case self.ethertypeIPv4: return .network(.ipv4, offset: offset)
        case self.ethertypeIPv6: return .network(.ipv6, offset: offset)
        default: return .notIP(UInt32(type))
        }
    }

    /// Maps a BSD/Linux/Windows socket address family to the network protocol.
    @inline(__always)
    private static func addressFamily(_ family: UInt32) -> LinkLayerResult {
        switch family {
        // AF_INET is 2 everywhere.
        case 2: return .network(.ipv4, offset: 4)
        // AF_INET6: 10 Linux, 23 Windows, 24 NetBSD/OpenBSD/BSD/OS, 26 Solaris, 28 FreeBSD/DragonFly, 30 Darwin.
        case 10, 23, 24, 26, 28, 30: return .network(.ipv6, offset: 4)
        default: return .notIP(family)
        }
    }
}
