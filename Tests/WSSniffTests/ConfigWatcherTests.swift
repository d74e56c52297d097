import Dissect
import Foundation
import Glibc
import Testing
import WSSniff

/// inotify on the config's directory: a write in place, a rename over, a delete and a create again are each one
/// event of their own kind, with the redacted diff against the version before; nothing else in the directory counts.
@Suite(.serialized) struct ConfigWatcherTests {
    static let token = "watcher-token-value-0815"

    final class Directory {
        let url: URL
        var config: String { self.url.appendingPathComponent("openclaw.json").path }

        init() throws {
            self.url = FileManager.default.temporaryDirectory.appendingPathComponent("wssniff-watch-\(UUID())")
            try FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
        }

        /// Writes `text` through an existing file (O_TRUNC, same inode), or creates it.
        func writeInPlace(_ text: String, to path: String? = nil) throws {
            let descriptor = open(path ?? self.config, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
        }

        deinit {
            try? FileManager.default.removeItem(at: self.url)
        }
    }

    /// Polls until `count` events came (or 3 seconds passed), then 200 ms more for any extra one.
    static func events(_ watcher: ConfigWatcher, count: Int) -> [HostEvent] {
        var events: [HostEvent] = []
        let now = { Timestamp(nanoseconds: Int64(Date().timeIntervalSince1970 * 1e9)) }
        let deadline = Date().addingTimeInterval(3)
        while events.count < count && Date() < deadline {
            events += watcher.poll(now: now)
            usleep(20_000)
        }
        usleep(200_000)
        return events + watcher.poll(now: now)
    }

    static func config(port: Int, token: String?, flag: Bool?) -> String {
        var gateway = "port: \(port)"
        if let token { gateway += ", auth: { mode: 'token', token: '\(token)' }" }
        if let flag { gateway += ", controlUi: { dangerouslyDisableDeviceAuth: \(flag) }" }
        return "// test\n{ gateway: { \(gateway) } }\n"
    }

    @Test func inPlaceRenameOverAndDeleteRecreateAreEachOneEvent() throws {
        let directory = try Directory()
        try directory.writeInPlace(Self.config(port: 1, token: Self.token, flag: nil))
        let watcher = try ConfigWatcher(paths: [directory.config])
        let baseline = watcher.baseline(now: Timestamp(nanoseconds: 0))
        #expect(baseline.count == 1)
        #expect(baseline.first?.kind == .configWatch)
        #expect(baseline.first?.parsed == true && baseline.first?.mode == "0600")

        // In place: the user removes the auth and sets a Control UI flag.
        try directory.writeInPlace(Self.config(port: 1, token: nil, flag: true))
        let modified = Self.events(watcher, count: 1)
        #expect(modified.map(\.change) == [.modified])
        #expect(
            modified.first?.diff.map(\.path) == [
                "gateway.auth.mode", "gateway.auth.token", "gateway.controlUi.dangerouslyDisableDeviceAuth",
            ]
        )
        #expect(modified.first?.diff.map(\.change) == [.removed, .removed, .added])

        // Renamed over: the app manager writes a temporary and renames it.
        let temporary = directory.url.appendingPathComponent("openclaw.json.tmp").path
        try directory.writeInPlace(Self.config(port: 1, token: Self.token, flag: nil), to: temporary)
        #expect(rename(temporary, directory.config) == 0)
        let replaced = Self.events(watcher, count: 1)
        #expect(replaced.map(\.change) == [.replaced])
        #expect(replaced.first?.diff.map(\.change) == [.removed, .added, .added])
        #expect(replaced.first?.diff.last?.after == Redactor.placeholder(for: Self.token))

        // Deleted, then written anew with the same token.
        #expect(unlink(directory.config) == 0)
        let deleted = Self.events(watcher, count: 1)
        #expect(deleted.map(\.change) == [.deleted])
        #expect(deleted.first?.size == nil)
        try directory.writeInPlace(Self.config(port: 2, token: Self.token, flag: nil))
        let created = Self.events(watcher, count: 1)
        #expect(created.map(\.change) == [.created])
        #expect(created.first?.diff.allSatisfy { $0.change == .added } == true)

        // Opened for writing and closed unchanged, and other files of the directory: nothing.
        close(open(directory.config, O_WRONLY))
        try directory.writeInPlace("{}", to: directory.url.appendingPathComponent("other.json").path)
        #expect(Self.events(watcher, count: 1).isEmpty)

        // Written in place with the same token: the token is listed as rewritten, same value.
        try directory.writeInPlace(Self.config(port: 3, token: Self.token, flag: nil))
        let rewritten = Self.events(watcher, count: 1)
        #expect(rewritten.first?.diff.map(\.change) == [.changed, .rewritten])

        let lines = (baseline + modified + replaced + deleted + created + rewritten).map {
            $0.json().serialized() + $0.textLine
        }
        #expect(!lines.joined().contains(Self.token))
    }

    @Test func aFileThatIsNotJSON5OrNotThereIsSaidSo() throws {
        let directory = try Directory()
        let watcher = try ConfigWatcher(paths: [directory.config])
        #expect(watcher.baseline(now: Timestamp(nanoseconds: 0)).first?.error == "no such file")
        try directory.writeInPlace("{ gateway: ")
        let events = Self.events(watcher, count: 1)
        #expect(events.map(\.change) == [.created])
        #expect(events.first?.parsed == false)
        #expect(events.first?.error?.hasPrefix("not JSON5") == true)
        #expect(events.first?.diff.isEmpty == true)
    }

    @Test func aDirectoryThatDoesNotExistCannotBeWatched() throws {
        #expect(throws: WSSniffError.self) {
            _ = try ConfigWatcher(paths: ["/nonexistent-wssniff-\(UUID())/openclaw.json"])
        }
    }
}
