import Dissect
import Foundation
import Glibc
import Testing
import WSSniff

/// `--watch-process`: PIDs of a named process from /proc, polled; a PID gone and a new one are one restart.
@Suite struct ProcessWatcherTests {
    @Test func aProcessKilledAndStartedAgainIsARestartWithItsPIDs() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wssniff-proc-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // A copy of sleep under a name no other process has.
        let name = "wssniff-sleep-\(getpid())"
        let binary = directory.appendingPathComponent(name)
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: binary.path)
        func start() throws -> Process {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["30"]
            try process.run()
            return process
        }
        let first = try start()
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        usleep(100_000)
        var watcher = ProcessWatcher(names: [name])
        #expect(watcher.pids[name] == [Int(first.processIdentifier)])
        #expect(watcher.poll(now: Timestamp(nanoseconds: 1)).isEmpty)

        // SIGKILL: the test runner's blocked signals are inherited, SIGTERM may not reach it.
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let second = try start()
        defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
        usleep(100_000)
        let events = watcher.poll(now: Timestamp(nanoseconds: 2))
        #expect(events.count == 1)
        #expect(events.first?.kind == .processRestart)
        #expect(events.first?.process == name)
        #expect(events.first?.oldPid == Int(first.processIdentifier))
        #expect(events.first?.newPid == Int(second.processIdentifier))

        kill(second.processIdentifier, SIGKILL)
        second.waitUntilExit()
        let gone = watcher.poll(now: Timestamp(nanoseconds: 3))
        #expect(gone.map(\.oldPid) == [Int(second.processIdentifier)])
        #expect(gone.first?.newPid == nil)
    }
}
