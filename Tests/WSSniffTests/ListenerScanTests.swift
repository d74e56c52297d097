import Foundation
import Testing
import WSSniff

/// Where a gateway port listens: the `/proc/net/tcp` tables read as the kernel writes them, and one real listener in
/// a network namespace of its own.
@Suite struct ListenerScanTests {
    /// Lines as Linux prints them: a LISTEN socket on 127.0.0.1:42919, one on 0.0.0.0:18789, an established one on
    /// 18789 (state 01, not a listener) and a LISTEN on 100.101.102.103:18789.
    static let table = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0100007F:A7A7 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0 100 0 0 10 0
           1: 00000000:4965 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002 1 0 100 0 0 10 0
           2: 0100007F:4965 0100007F:B80E 01 00000000:00000000 00:00000000 00000000     0        0 1003 1 0 20 4 30 10 -1
           3: 67666564:4965 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1004 1 0 100 0 0 10 0
        """

    @Test func listenersOnTheGatewayPortsAreRead() {
        let found = ListenerScan.listening(procNetTCP: Self.table, ipv6: false, ports: [42919, 18789])
        #expect(found.map(\.0) == ["127.0.0.1", "0.0.0.0", "100.101.102.103"])
        #expect(found.map(\.1) == [42919, 18789, 18789])
        #expect(ListenerScan.listening(procNetTCP: Self.table, ipv6: false, ports: [80]).isEmpty)
    }

    @Test func ipv6TablesAreRead() {
        let table = """
              sl  local_address                         remote_address                        st
               0: 00000000000000000000000000000000:4965 00000000000000000000000000000000:0000 0A
               1: 00000000000000000000000001000000:A7A7 00000000000000000000000000000000:0000 0A
               2: 0000000000000000FFFF00000100007F:4965 00000000000000000000000000000000:0000 0A
            """
        let found = ListenerScan.listening(procNetTCP: table, ipv6: true, ports: [42919, 18789])
        #expect(found.map(\.0) == ["::", "::1", "127.0.0.1"])
    }

    @Test func theHintSaysWhereToCapture() {
        let container = GatewayListener(
            address: "0.0.0.0",
            port: 18789,
            otherNamespace: true,
            pid: 4242,
            command: "node"
        )
        let containerHint = ListenerScan.hint([container], interface: "lo", ports: [42919, 18789])
        #expect(containerHint?.contains("in another network namespace (process 4242 `node`)") == true)
        #expect(containerHint?.contains("`nsenter -t 4242 -n wssniff capture -i lo --port 18789`") == true)

        let tailnet = GatewayListener(address: "100.101.102.103", port: 18789, otherNamespace: false)
        let tailnetHint = ListenerScan.hint([tailnet], interface: "lo", ports: [18789]) { _ in "tailscale0" }
        #expect(tailnetHint?.contains("`wssniff capture -i tailscale0 --port 18789`") == true)

        let everywhere = GatewayListener(address: "::", port: 42919, otherNamespace: false)
        #expect(ListenerScan.hint([everywhere], interface: "lo", ports: [42919])?.contains("`-i any`") == true)

        // A gateway on loopback where the capture looked: nothing to add.
        let loopback = GatewayListener(address: "127.0.0.1", port: 42919, otherNamespace: false)
        #expect(ListenerScan.hint([loopback], interface: "lo", ports: [42919]) == nil)

        #expect(
            ListenerScan.hint([], interface: "lo", ports: [42919, 18789])?.contains(
                "nothing listens on port 42919 or 18789"
            ) == true
        )
    }

    /// A listener in a network namespace of its own (`unshare -n`, as a container has) is found, with its process.
    @Test(
        .enabled(
            if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/node"),
            "needs root, unshare and node"
        )
    )
    func aListenerInAnotherNamespaceIsFound() throws {
        let port = UInt16.random(in: 40_000...60_000)
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        listener.arguments = [
            "-n", "/usr/bin/node", "-e",
            "require('net').createServer().listen(\(port), '0.0.0.0'); setTimeout(() => process.exit(0), 15000)",
        ]
        listener.standardOutput = FileHandle.nullDevice
        listener.standardError = FileHandle.nullDevice
        try listener.run()
        defer {
            listener.terminate()
            listener.waitUntilExit()
        }
        var found: [GatewayListener] = []
        for _ in 0..<100 where found.isEmpty {
            usleep(50_000)
            found = ListenerScan.scan(ports: [port])
        }
        let other = try #require(found.first { $0.otherNamespace }, "\(found)")
        #expect(other.address == "0.0.0.0")
        #expect(other.command == "node")
        #expect(other.pid != nil)
        #expect(!found.contains { !$0.otherNamespace }, "nothing listens on \(port) in wssniff's own namespace")
    }
}
