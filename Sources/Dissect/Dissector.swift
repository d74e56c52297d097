/// Packets in, finished connections out: link, IP and TCP decoding joined to reassembly and the layer above.
///
/// The entry point of `Dissect` for both capture files and live capture. `ingest` takes each packet as a `RawSpan`,
/// but unsafe pointers still cross the module's `package` API elsewhere: `CaptureFileReader.next` hands its caller
/// each record as an `UnsafeRawBufferPointer`, and the layers' entry points (`StreamAnalyzer.receive`, the parsers'
/// `feed`) take one. Each is valid only for the duration of the call.
package struct Dissector<Analyzer: StreamAnalyzer> {
    private var decoder: PacketDecoder
    private var table: TCPConnectionTable<Analyzer>
    private let recordsProvenance: Bool
    /// The head of the TCP segment the last packet carried (nil: it carried none).
    package private(set) var lastSegment: TCPSegmentHead?

    package init(
        limits: ReassemblyLimits = ReassemblyLimits(),
        serverPorts: Set<UInt16> = [],
        options: Analyzer.Options
    ) {
        self.decoder = PacketDecoder(recordsFragmentPieces: limits.recordsProvenance)
        self.recordsProvenance = limits.recordsProvenance
        self.table = TCPConnectionTable(limits: limits, serverPorts: serverPorts, options: options)
    }

    /// Connections seen and not yet finished.
    package var openConnections: Int { self.table.openConnectionCount }

    /// The record number that started the oldest connection still open (nil: none is open).
    package var oldestOpenFirstPacket: Int? { self.table.oldestOpenFirstPacket }

    /// Connections reported before they ended because `maxConnections` were open.
    package var evictions: Int { self.table.evictions }

    /// Captured TCP payload no connection took since the last call (late segments after a close), when
    /// `ReassemblyLimits.recordsProvenance` asks for provenance: nothing read it.
    package mutating func takeStrayPayloads() -> [ProvenanceRange] {
        self.table.takeStrayPayloads()
    }

    /// Decodes one captured packet and feeds its TCP segment, if any, to the connection it belongs to.
    /// Connections that this packet finishes are handed to `finished` before it returns.
    package mutating func ingest(
        _ info: CaptureRecordInfo,
        _ bytes: RawSpan,
        finished: (TCPConnectionResult<Analyzer>) -> Void
    ) -> PacketDecodeOutcome {
        let packet = PacketRef(number: info.number, timestamp: info.timestamp)
        self.lastSegment = nil
        let outcome = bytes.withUnsafeBytes { buffer in
            Self.decode(info, buffer, packet, &self.decoder, &self.table, &self.lastSegment, finished)
        }
        if self.recordsProvenance {
            self.table.noteStray(fragments: self.decoder.takeDroppedFragmentPieces())
        }
        return outcome
    }

    /// Ends the input: every open connection is flushed and handed to `finished`.
    package mutating func finish(_ finished: (TCPConnectionResult<Analyzer>) -> Void) {
        if self.recordsProvenance {
            self.table.noteStray(fragments: self.decoder.takeDroppedFragmentPieces(endOfInput: true))
        }
        self.table.finish(finished)
    }

    private static func decode(
        _ info: CaptureRecordInfo,
        _ buffer: UnsafeRawBufferPointer,
        _ packet: PacketRef,
        _ decoder: inout PacketDecoder,
        _ table: inout TCPConnectionTable<Analyzer>,
        _ head: inout TCPSegmentHead?,
        _ finished: (TCPConnectionResult<Analyzer>) -> Void
    ) -> PacketDecodeOutcome {
        decoder.decode(info, buffer) { segment, pieces in
            head = TCPSegmentHead(source: segment.source, destination: segment.destination, flags: segment.flags)
            // Where the payload was captured, for the provenance: in this record, or in the IP fragments joined.
            var origin = PayloadOrigin.unknown
            if let pieces {
                origin = .fragments(pieces)
            } else if let start = segment.payload.baseAddress, let base = buffer.baseAddress {
                let offset = start - base
                if offset >= 0 && offset + segment.payload.count <= buffer.count { origin = .record(offset: offset) }
            }
            table.process(segment, packet: packet, origin: origin, finished: finished)
        }
    }
}

extension Dissector where Analyzer.Options == Void {
    package init(limits: ReassemblyLimits = ReassemblyLimits(), serverPorts: Set<UInt16> = []) {
        self.init(limits: limits, serverPorts: serverPorts, options: ())
    }
}
