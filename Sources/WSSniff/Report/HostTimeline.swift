import Glibc

/// Where a report finds the host events of its capture.
package enum HostTimeline {
    /// `--events PATH`, else `FILE.events.jsonl` beside the first capture that has one (for a rotated `FILE.N`,
    /// beside `FILE`); empty when there is none.
    package static func events(for request: ReportRequest) throws(WSSniffError) -> [HostEvent] {
        if let path = request.eventsPath { return try HostWatch.read(path: path) }
        for capture in request.captures {
            var candidates = [HostWatch.eventsPath(for: capture)]
            if let dot = capture.lastIndex(of: "."), Int(capture[capture.index(after: dot)...]) != nil {
                candidates.append(HostWatch.eventsPath(for: String(capture[..<dot])))
            }
            for candidate in candidates where access(candidate, F_OK) == 0 {
                return try HostWatch.read(path: candidate)
            }
        }
        return []
    }
}
