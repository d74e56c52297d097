import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A TCP socket listening on a gateway port on this machine, in this network namespace or another one (a container).
package struct GatewayListener: Hashable, Sendable {
    /// The local address it is bound to ("0.0.0.0", "127.0.0.1", "100.101.102.103", "::").
    package var address: String
    package var port: UInt16
    /// Whether it is in another network namespace than wssniff's.
    package var otherNamespace: Bool
    /// A process in that namespace and its command name, for `nsenter -t PID -n`.
    package var pid: Int32?
    package var command: String?

    package init(address: String, port: UInt16, otherNamespace: Bool, pid: Int32? = nil, command: String? = nil) {
        self.address = address
        self.port = port
        self.otherNamespace = otherNamespace
        self.pid = pid
        self.command = command
    }

    /// Whether it listens on a loopback address only.
    package var isLoopback: Bool {
        self.address.hasPrefix("127.") || self.address == "::1"
    }

    /// Whether it listens on every address of its namespace.
    package var isWildcard: Bool {
        self.address == "0.0.0.0" || self.address == "::"
    }
}

/// Finds where a gateway port listens, from `/proc/PID/net/tcp` and `tcp6` of one process per network namespace:
/// what `capture` says when it saw nothing on its interface (issue 18: a gateway in a container, on a tailnet, behind
/// a proxy). Reading other processes' namespaces needs root; without it only wssniff's own namespace is seen.
package enum ListenerScan {
    /// The listeners on `ports` in every network namespace readable under `procRoot`.
    package static func scan(ports: Set<UInt16>, procRoot: String = "/proc") -> [GatewayListener] {
        let files = FileManager.default
        let ownNamespace = try? files.destinationOfSymbolicLink(atPath: procRoot + "/self/ns/net")
        var seen: Set<String> = []
        var found: [GatewayListener] = []
        // wssniff's own namespace first, then one process of each other namespace.
        var pids: [String] = ["self"]
        let entries = (try? files.contentsOfDirectory(atPath: procRoot)) ?? []
        pids += entries.filter { !$0.isEmpty && $0.allSatisfy(\.isNumber) }.sorted {
            $0.count == $1.count ? $0 < $1 : $0.count < $1.count
        }
        for pid in pids {
            guard let namespace = try? files.destinationOfSymbolicLink(atPath: "\(procRoot)/\(pid)/ns/net"),
                seen.insert(namespace).inserted
            else { continue }
            let other = ownNamespace != nil && namespace != ownNamespace
            let command =
                other ? Self.read("\(procRoot)/\(pid)/comm")?.trimmingCharacters(in: .whitespacesAndNewlines) : nil
            for (file, ipv6) in [("tcp", false), ("tcp6", true)] {
                guard let text = Self.read("\(procRoot)/\(pid)/net/\(file)") else { continue }
                for (address, port) in Self.listening(procNetTCP: text, ipv6: ipv6, ports: ports) {
                    found.append(
                        GatewayListener(
                            address: address,
                            port: port,
                            otherNamespace: other,
                            pid: other ? Int32(pid) : nil,
                            command: command
                        )
                    )
                }
            }
        }
        return found
    }

    /// The LISTEN sockets (state `0A`) on `ports` in one `/proc/net/tcp` (or `tcp6`) table: address and port.
    package static func listening(procNetTCP text: String, ipv6: Bool, ports: Set<UInt16>) -> [(String, UInt16)] {
        var result: [(String, UInt16)] = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 3, fields[3] == "0A" else { continue }
            let local = fields[1].split(separator: ":")
            guard local.count == 2, let port = UInt16(local[1], radix: 16), ports.contains(port),
                let address = Self.address(hex: String(local[0]), ipv6: ipv6)
            else { continue }
            result.append((address, port))
        }
        return result
    }

    /// The kernel prints each 32-bit word of the address in host order (little-endian here): "0100007F" is
    /// 127.0.0.1.
    static func address(hex: String, ipv6: Bool) -> String? {
        guard hex.count == (ipv6 ? 32 : 8) else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 8)
            guard let word = UInt32(hex[index..<next], radix: 16) else { return nil }
            let host = UInt32(littleEndian: word.byteSwapped)
            bytes += [UInt8(host >> 24), UInt8((host >> 16) & 0xFF), UInt8((host >> 8) & 0xFF), UInt8(host & 0xFF)]
            index = next
        }
        if !ipv6 {
            return bytes.map(String.init).joined(separator: ".")
        }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        if bytes.allSatisfy({ $0 == 0 }) { return "::" }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return "::1" }
        var groups: [String] = []
        for group in stride(from: 0, to: 16, by: 2) {
            groups.append(String(UInt16(bytes[group]) << 8 | UInt16(bytes[group + 1]), radix: 16))
        }
        return groups.joined(separator: ":")
    }

    /// The interface that holds `address` in wssniff's namespace, when one does.
    static func interface(holding address: String) -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let socketAddress = entry.pointee.ifa_addr else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let family = Int32(socketAddress.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            guard getnameinfo(socketAddress, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0
            else { continue }
            let text = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text == address || text.hasPrefix(address + "%") {
                return String(cString: entry.pointee.ifa_name)
            }
        }
        return nil
    }

    /// Where to capture instead, when a capture on `interface` saw nothing: one sentence per listener found, or that
    /// none listens on `ports` at all. `nil` when a listener is where the capture looked (the traffic just did not
    /// come).
    package static func hint(
        _ listeners: [GatewayListener],
        interface: String,
        ports: [UInt16],
        interfaceOf: (String) -> String? = { Self.interface(holding: $0) }
    ) -> String? {
        let portList = ports.map(String.init).joined(separator: " or ")
        guard !listeners.isEmpty else {
            return "nothing listens on port \(portList) on this machine, in any network namespace wssniff can see: "
                + "the gateway runs on another host or another port (`ss -ltnp` lists the listeners)."
        }
        var advice: [String] = []
        for listener in listeners {
            let port = listener.port
            if listener.otherNamespace {
                let who =
                    listener.pid.map { pid in
                        " (process \(pid)" + (listener.command.map { " `\($0)`" } ?? "") + ")"
                    } ?? ""
                let enter = listener.pid.map { "`nsenter -t \($0) -n wssniff capture -i lo --port \(port)`" }
                advice.append(
                    "port \(port) listens on \(listener.address) in another network namespace\(who), a container's: "
                        + "`\(interface)` here does not carry its traffic. Capture inside it"
                        + (enter.map { " (\($0))" } ?? "")
                        + ", or on the bridge that leads to it (`docker0`, `br-...`), or with `-i any`."
                )
            } else if listener.isWildcard {
                guard interface == "lo" else { continue }
                advice.append(
                    "port \(port) listens on every address (\(listener.address)): clients on other hosts, in "
                        + "containers or on a tailnet come in on their own interface, not `lo`; `-i any` sees them all."
                )
            } else if !listener.isLoopback {
                let holder = interfaceOf(listener.address)
                guard holder != interface else { continue }
                advice.append(
                    "port \(port) listens on \(listener.address)"
                        + (holder.map { ", the address of `\($0)`" } ?? "") + ", not on `\(interface)`: capture there"
                        + (holder.map { " (`wssniff capture -i \($0) --port \(port)`)" } ?? " (or with `-i any`)") + "."
                )
            }
        }
        return advice.isEmpty ? nil : advice.joined(separator: " ")
    }

    /// A whole file read to its end (`/proc` files report a size of 0), at most 4 MiB.
    private static func read(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while bytes.count < 4 << 20 {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes += buffer.prefix(count)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
