/// Where one direction's layers lie in its TCP stream, as the analysis read them: the HTTP bytes before the upgrade
/// (kept, with their stream offsets) and the offset where WebSocket frames begin. With the TCP provenance it maps any
/// byte the analysis read (a header value, a frame's payload byte) back to the records that carried it.
package struct WebSocketStreamMap: Hashable, Sendable {
    /// One run of HTTP bytes the conversation read, at its stream offset (a gap ends a run).
    package struct HTTPRun: Hashable, Sendable {
        package var streamOffset: Int
        package var bytes: [UInt8]
    }

    /// The most HTTP bytes kept per direction; the rest are counted in ``httpBytesNotKept``.
    package static let httpBytesLimit = 256 << 10

    /// The stream offset of the direction's first WebSocket byte (frame offsets count from it); nil when the
    /// direction never switched to WebSocket.
    package var webSocketStart: Int?
    /// The HTTP bytes the conversation read, in stream order.
    package var httpRuns: [HTTPRun] = []
    /// HTTP bytes read past ``httpBytesLimit``: not kept, so not searched for secrets.
    package var httpBytesNotKept = 0
    /// Where the HTTP bytes not kept begin (the stream offset of the first one).
    package var httpBytesNotKeptFrom: Int?

    package init() {}

    /// Keeps `bytes`, read by the HTTP conversation at `offset`.
    mutating func noteHTTP(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        guard !bytes.isEmpty else { return }
        let kept = self.httpRuns.reduce(0) { $0 + $1.bytes.count }
        let room = max(0, Self.httpBytesLimit - kept)
        if room < bytes.count {
            if self.httpBytesNotKeptFrom == nil { self.httpBytesNotKeptFrom = offset + room }
            self.httpBytesNotKept += bytes.count - room
        }
        guard room > 0 else { return }
        let taken = UnsafeRawBufferPointer(rebasing: bytes.prefix(room))
        if let last = self.httpRuns.last, last.streamOffset + last.bytes.count == offset {
            self.httpRuns[self.httpRuns.count - 1].bytes.append(contentsOf: taken)
        } else {
            self.httpRuns.append(HTTPRun(streamOffset: offset, bytes: Array(taken)))
        }
    }
}
