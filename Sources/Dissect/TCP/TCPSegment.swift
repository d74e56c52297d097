/// TCP header flags (RFC 9293 3.1).
package struct TCPFlags: OptionSet, Hashable, Sendable {
    package var rawValue: UInt8

    package init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    package static let fin = TCPFlags(rawValue: 0x01)
    package static let syn = TCPFlags(rawValue: 0x02)
    package static let rst = TCPFlags(rawValue: 0x04)
    package static let psh = TCPFlags(rawValue: 0x08)
    package static let ack = TCPFlags(rawValue: 0x10)
    package static let urg = TCPFlags(rawValue: 0x20)
    package static let ece = TCPFlags(rawValue: 0x40)
    package static let cwr = TCPFlags(rawValue: 0x80)
}

/// Who sent a TCP segment to whom, with which flags: what a caller that watches connection attempts (SYN, SYN-ACK,
/// RST) needs of each packet, read by the one decoding of it.
package struct TCPSegmentHead: Hashable, Sendable {
    package var source: Endpoint
    package var destination: Endpoint
    package var flags: TCPFlags

    package init(source: Endpoint, destination: Endpoint, flags: TCPFlags) {
        self.source = source
        self.destination = destination
        self.flags = flags
    }
}

/// One decoded TCP segment. `payload` borrows the packet's bytes and is valid only while the packet is processed.
package struct TCPSegment {
    package var source: Endpoint
    package var destination: Endpoint
    package var sequence: UInt32
    package var acknowledgment: UInt32
    package var flags: TCPFlags
    package var window: UInt16
    /// The header's checksum field as captured (not verified): two captured copies of one packet carry the same.
    package var checksum: UInt16
    /// The payload bytes present in the capture.
    package var payload: UnsafeRawBufferPointer
    /// Payload bytes the segment carried on the wire but the capture did not keep (snaplen or a cut file).
    /// The TCP layer treats them as a gap, never as data.
    package var missingPayloadLength: Int

    package init(
        source: Endpoint,
        destination: Endpoint,
        sequence: UInt32,
        acknowledgment: UInt32,
        flags: TCPFlags,
        window: UInt16,
        payload: UnsafeRawBufferPointer,
        missingPayloadLength: Int = 0,
        checksum: UInt16 = 0
    ) {
        self.source = source
        self.destination = destination
        self.sequence = sequence
        self.acknowledgment = acknowledgment
        self.flags = flags
        self.window = window
        self.payload = payload
        self.missingPayloadLength = missingPayloadLength
        self.checksum = checksum
    }

    /// Sequence space the segment occupies on the wire: payload (captured or not) plus one each for SYN and FIN.
    package var sequenceLength: UInt32 {
        var length = UInt32(truncatingIfNeeded: self.payload.count + self.missingPayloadLength)
        if self.flags.contains(.syn) { length &+= 1 }
        if self.flags.contains(.fin) { length &+= 1 }
        return length
    }
}
