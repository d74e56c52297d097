/// Where a piece of a stream came from: the capture record that carried it.
package struct PacketRef: Hashable, Sendable {
    /// 1-based record number across the whole input.
    package var number: Int
    package var timestamp: Timestamp

    package init(number: Int, timestamp: Timestamp) {
        self.number = number
        self.timestamp = timestamp
    }
}

/// How one direction of a TCP connection ended.
package enum StreamEnd: String, Hashable, Sendable {
    case fin
    case rst
}

/// The layer above TCP: receives each direction's bytes in order, as they become contiguous.
///
/// The TCP layer owns one analyzer per connection and calls it synchronously; the buffers it passes are valid
/// only for the duration of the call.
package protocol StreamAnalyzer {
    /// Settings every connection's analyzer starts with (the connection table holds one copy).
    associatedtype Options: Sendable = Void

    /// Starts the analysis of a new connection. `client` opened it (or is the best guess when no SYN was seen).
    init(client: Endpoint, server: Endpoint, options: Options)

    /// The next contiguous bytes of one direction.
    mutating func receive(_ bytes: UnsafeRawBufferPointer, from direction: Direction, packet: PacketRef)

    /// Bytes of one direction that were never captured; the stream resumes after them.
    mutating func gap(_ length: Int, in direction: Direction, packet: PacketRef)

    /// One direction ended with a FIN (after all its bytes were delivered) or the connection was reset.
    mutating func end(_ end: StreamEnd, from direction: Direction, packet: PacketRef)
}

/// An analyzer that only counts: the TCP layer's own statistics say everything it needs.
package struct NullStreamAnalyzer: StreamAnalyzer {
    package init(client: Endpoint, server: Endpoint, options: Void = ()) {}
    package mutating func receive(_ bytes: UnsafeRawBufferPointer, from direction: Direction, packet: PacketRef) {}
    package mutating func gap(_ length: Int, in direction: Direction, packet: PacketRef) {}
    package mutating func end(_ end: StreamEnd, from direction: Direction, packet: PacketRef) {}
}
