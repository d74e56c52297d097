package import Dissect
import Glibc

/// Polls `/proc` for the processes of the names given (`--watch-process`): a name matches a process whose `comm`,
/// or the file name of its first or second command-line word (`node gateway.js`), is that name. A PID that goes away
/// and a new one that appears are one `process-restart` event.
package struct ProcessWatcher {
    private let names: [String]
    /// The PIDs of each name at the last poll.
    private var known: [String: Set<Int>] = [:]

    package init(names: [String]) {
        self.names = names
        let current = Self.scan(names)
        for name in names { self.known[name] = current[name] ?? [] }
    }

    /// The PIDs of each watched name now.
    package var pids: [String: Set<Int>] { self.known }

    /// Compares `/proc` with the last poll: one event per PID gone (paired with one that appeared, when one did) and
    /// per PID new.
    package mutating func poll(now: Timestamp) -> [HostEvent] {
        guard !self.names.isEmpty else { return [] }
        let current = Self.scan(self.names)
        var events: [HostEvent] = []
        for name in self.names {
            let before = self.known[name] ?? []
            let after = current[name] ?? []
            guard before != after else { continue }
            var gone = before.subtracting(after).sorted()
            var new = after.subtracting(before).sorted()
            while !gone.isEmpty || !new.isEmpty {
                var event = HostEvent(kind: .processRestart, time: now)
                event.process = name
                event.oldPid = gone.isEmpty ? nil : gone.removeFirst()
                event.newPid = new.isEmpty ? nil : new.removeFirst()
                events.append(event)
            }
            self.known[name] = after
        }
        return events
    }

    /// Every PID in `/proc` whose process matches one of `names`.
    private static func scan(_ names: [String]) -> [String: Set<Int>] {
        var found: [String: Set<Int>] = [:]
        guard !names.isEmpty, let directory = opendir("/proc") else { return found }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = Int(name) else { continue }
            let comm = Self.read("/proc/\(pid)/comm").split(separator: 10).first.map {
                String(decoding: $0, as: UTF8.self)
            }
            let words = Self.read("/proc/\(pid)/cmdline").split(separator: 0, omittingEmptySubsequences: false)
            let base = words.prefix(2).map { word in
                String(decoding: word.split(separator: UInt8(ascii: "/")).last ?? word, as: UTF8.self)
            }
            for wanted in names where comm == wanted || base.contains(wanted) {
                found[wanted, default: []].insert(pid)
            }
        }
        return found
    }

    private static func read(_ path: String) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return [] }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 4_096)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        return count > 0 ? Array(buffer[..<count]) : []
    }
}
