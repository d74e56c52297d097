import Foundation
import Glibc

/// A real TCP exchange on 127.0.0.1: a server and a client trade known bytes, then both close.
enum LoopbackExchange {
    /// A listening socket on a free loopback port.
    static func listen() throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, Glibc.listen(fd, 16) == 0 else {
            throw TestFailure("bind/listen: \(String(cString: strerror(errno)))")
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    /// A free loopback port (bound once and released).
    static func freePort() throws -> UInt16 {
        let (fd, port) = try Self.listen()
        close(fd)
        return port
    }

    static func connect(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else { throw TestFailure("connect: \(String(cString: strerror(errno)))") }
        return fd
    }

    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, 0) }
            guard sent > 0 else { throw TestFailure("send: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    static func receiveAll(_ fd: Int32) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            result += chunk[0..<count]
        }
        return result
    }

    /// Deterministic bytes that differ at every offset modulo 251, so misplaced bytes show.
    static func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: ($0 % 251) &+ Int(seed)) }
    }

    /// Runs one exchange on `port`: the client sends `clientBytes`, the server answers with `serverBytes` after reading
    /// everything, and both sides close. Returns what each side received.
    static func exchange(
        port: UInt16,
        listener: Int32,
        clientBytes: [UInt8],
        serverBytes: [UInt8]
    ) throws
        -> (serverReceived: [UInt8], clientReceived: [UInt8])
    {
        let serverReceived = Box<[UInt8]>([])
        let serverDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let connection = accept(listener, nil, nil)
            if connection >= 0 {
                serverReceived.value = Self.receiveAll(connection)
                try? Self.sendAll(connection, serverBytes)
                close(connection)
            }
            serverDone.signal()
        }
        let client = try Self.connect(port: port)
        try Self.sendAll(client, clientBytes)
        shutdown(client, Int32(SHUT_WR))
        let clientReceived = Self.receiveAll(client)
        close(client)
        serverDone.wait()
        return (serverReceived.value, clientReceived)
    }
}
