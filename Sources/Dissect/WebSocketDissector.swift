/// The dissector the pipeline runs: TCP connections analyzed up to WebSocket.
///
/// A concrete, non-generic entry point, so the compiler specializes the generic reassembly code for this analyzer
/// inside `Dissect` (generic code called from another module runs unspecialized, several times slower).
package struct WebSocketDissector {
    package typealias Result = TCPConnectionResult<WebSocketConnectionAnalyzer>

    private var inner: Dissector<WebSocketConnectionAnalyzer>

    package init(limits: ReassemblyLimits = ReassemblyLimits(), options: WebSocketAnalysisOptions) {
        self.inner = Dissector(
            limits: limits,
            serverPorts: Set(options.gatewayPort == 0 ? [] : [options.gatewayPort]).union(
                options.additionalGatewayPorts
            ),
            options: options
        )
    }

    package var openConnections: Int { self.inner.openConnections }

    /// The record number that started the oldest connection still open (nil: none is open).
    package var oldestOpenFirstPacket: Int? { self.inner.oldestOpenFirstPacket }

    /// Connections reported before they ended because the connection table was full.
    package var evictions: Int { self.inner.evictions }

    /// Captured TCP payload no connection took since the last call (see `Dissector.takeStrayPayloads()`).
    package mutating func takeStrayPayloads() -> [ProvenanceRange] {
        self.inner.takeStrayPayloads()
    }

    /// The head of the TCP segment the last packet carried (nil: it carried none).
    package var lastSegment: TCPSegmentHead? { self.inner.lastSegment }

    /// Decodes one captured packet; connections it finishes are handed to `finished`.
    package mutating func ingest(
        _ info: CaptureRecordInfo,
        _ bytes: RawSpan,
        finished: (inout Result) -> Void
    ) -> PacketDecodeOutcome {
        self.inner.ingest(info, bytes) { result in
            var result = result
            finished(&result)
        }
    }

    /// Ends the input: every open connection is handed to `finished`.
    package mutating func finish(_ finished: (inout Result) -> Void) {
        self.inner.finish { result in
            var result = result
            finished(&result)
        }
    }
}
