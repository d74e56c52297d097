package import Dissect
import Glibc

/// What a live capture watches besides the packets (`--watch-config`, `--watch-process`, gateway restarts on the
/// wire), and the `FILE.events.jsonl` side file it keeps of it.
///
/// Set up before the capture drops root (the reader process is forked then, and the side file opened); afterwards
/// only polled. Owns descriptors, so it is a class.
package final class HostWatch {
    private var detector: GatewayRestartDetector
    private let reader: WatchReader?
    private var log: Int32 = -1
    /// The side file's path, when one is written.
    package let eventsPath: String?
    /// Every event so far, for `--report`.
    package private(set) var events: [HostEvent] = []

    /// The side file beside `-w FILE`.
    package static func eventsPath(for write: String) -> String {
        write + ".events.jsonl"
    }

    /// Forks the reader (when configs or processes are named) and creates the side file (mode 0600, given to
    /// `owner`) when `write` names a file.
    package init(
        configs: [String],
        processes: [String],
        port: UInt16,
        write: String?,
        owner: CaptureUser?
    ) throws(WSSniffError) {
        self.detector = GatewayRestartDetector(port: port)
        let watching = !configs.isEmpty || !processes.isEmpty
        if watching, let write, write != "-" {
            let path = Self.eventsPath(for: write)
            let (descriptor, created) = try ReportFiles.createReplacing(path)
            self.log = descriptor
            self.eventsPath = path
            if created, let owner { try owner.own(descriptor: descriptor, path: path) }
        } else {
            self.eventsPath = nil
        }
        if watching {
            do throws(WSSniffError) {
                self.reader = try WatchReader.start(configs: configs, processes: processes, dropTo: owner)
            } catch {
                if self.log >= 0 { close(self.log) }
                throw error
            }
        } else {
            self.reader = nil
        }
    }

    deinit {
        if self.log >= 0 { close(self.log) }
    }

    /// What the config reader runs as, for the opening note (nil without one).
    package var readerIdentity: String? { self.reader?.identity }

    /// The restart events one packet's TCP segment shows (its head, as the pipeline decoded it).
    package func segment(_ head: TCPSegmentHead, time: Timestamp) -> [HostEvent] {
        let event = self.detector.ingest(head, time: time)
        return event.map { self.record([$0]) } ?? []
    }

    /// The events the reader sent since the last call.
    package func poll() -> [HostEvent] {
        guard let reader else { return [] }
        let events = reader.take()
        return events.isEmpty ? [] : self.record(events)
    }

    /// The last events, then stops the reader.
    package func finish() -> [HostEvent] {
        guard let reader else { return [] }
        return self.record(reader.finish())
    }

    private func record(_ events: [HostEvent]) -> [HostEvent] {
        self.events += events
        if self.log >= 0 {
            for event in events {
                let bytes = Array((event.json().serialized() + "\n").utf8)
                _ = bytes.withUnsafeBytes { write(self.log, $0.baseAddress, $0.count) }
            }
        }
        return events
    }

    /// Reads a side file: its events in order; lines that are not host events are skipped.
    package static func read(path: String) throws(WSSniffError) -> [HostEvent] {
        let bytes = try ReportFiles.readAll(path)
        return bytes.split(separator: 0x0A).compactMap { HostEvent.parse(line: String(decoding: $0, as: UTF8.self)) }
    }
}
