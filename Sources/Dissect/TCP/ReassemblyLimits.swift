/// Bounds on the memory TCP reassembly may hold, whatever the capture contains.
package struct ReassemblyLimits: Hashable, Sendable {
    /// Out-of-order payload bytes one direction of a connection may buffer while it waits for a hole to be filled.
    /// Past it, the first hole is declared a gap and the stream resumes after it.
    package var maxBufferedBytesPerDirection: Int = 4 << 20

    /// Out-of-order segments one direction may buffer (each costs an allocation of its own), for the same purpose:
    /// a flood of tiny segments past a hole stays bounded too.
    package var maxBufferedSegmentsPerDirection: Int = 16_384

    /// Connections tracked at once. When a new connection would exceed it, the least recently active one is
    /// reported (with its end `open`) and freed.
    package var maxConnections: Int = 100_000

    /// How many recently closed 4-tuples are remembered, so that late ACKs and retransmissions after a FIN or RST
    /// do not start ghost connections. 0 remembers none.
    package var closedTupleMemory: Int = 65_536

    /// Whether each connection records where its stream bytes were captured (`StreamProvenance`, handed over in
    /// `TCPConnectionResult.provenance`): one range per data segment, held while the connection is open. Off unless
    /// a sanitized copy is asked for.
    package var recordsProvenance = false

    package init() {}

    package init(
        maxBufferedBytesPerDirection: Int = 4 << 20,
        maxBufferedSegmentsPerDirection: Int = 16_384,
        maxConnections: Int = 100_000,
        closedTupleMemory: Int = 65_536
    ) {
        self.maxBufferedBytesPerDirection = maxBufferedBytesPerDirection
        self.maxBufferedSegmentsPerDirection = maxBufferedSegmentsPerDirection
        self.maxConnections = maxConnections
        self.closedTupleMemory = closedTupleMemory
    }
}
