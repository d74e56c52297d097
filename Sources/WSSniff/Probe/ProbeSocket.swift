import Glibc

/// A plain TCP connection for the probe: IPv4 or IPv6, every wait bounded by a deadline.
///
/// Blocking calls are never made without a `poll` first, so a peer that stops answering costs at most the
/// deadline. The descriptor is closed on `close()` or when the socket goes away.
final class ProbeSocket {
    private var descriptor: Int32
    /// The local port the kernel chose: what the gateway logs as `remotePort`.
    let localPort: UInt16

    /// Connects to `host` (a numeric address or a name) and `port` before `deadline`.
    init(host: String, port: UInt16, deadline: ProbeClock.Instant) throws(ProbeError) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw ProbeError(.unreachable, "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else {
                lastError = String(cString: strerror(errno))
                continue
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 && errno != EINPROGRESS {
                lastError = String(cString: strerror(errno))
                Glibc.close(fd)
                continue
            }
            guard Self.wait(fd, events: Int16(POLLOUT), until: deadline) else {
                lastError = "no answer within the timeout"
                Glibc.close(fd)
                continue
            }
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
            guard failure == 0 else {
                lastError = String(cString: strerror(failure))
                Glibc.close(fd)
                continue
            }
            self.descriptor = fd
            self.localPort = Self.localPort(of: fd)
            return
        }
        throw ProbeError(.unreachable, "cannot connect to \(host) port \(port): \(lastError)")
    }

    deinit {
        self.close()
    }

    /// Writes all of `bytes` before `deadline`.
    func send(_ bytes: [UInt8], deadline: ProbeClock.Instant) throws(ProbeError) {
        var offset = 0
        while offset < bytes.count {
            guard self.descriptor >= 0 else { throw ProbeError(.connectionLost, "the connection is closed") }
            let written = bytes.withUnsafeBytes { buffer in
                Glibc.send(self.descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                offset += written
                continue
            }
            if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                guard Self.wait(self.descriptor, events: Int16(POLLOUT), until: deadline) else {
                    throw ProbeError(.timedOut, "the peer stopped reading")
                }
                continue
            }
            throw ProbeError(.connectionLost, "the connection broke: \(String(cString: strerror(errno)))")
        }
    }

    /// The next bytes the peer sent: `[]` when it ended its side, `nil` when nothing came before `deadline`.
    func receive(deadline: ProbeClock.Instant) throws(ProbeError) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            guard self.descriptor >= 0 else { return [] }
            let count = buffer.withUnsafeMutableBytes { Glibc.recv(self.descriptor, $0.baseAddress!, $0.count, 0) }
            if count >= 0 {
                return Array(buffer.prefix(count))
            }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                guard Self.wait(self.descriptor, events: Int16(POLLIN), until: deadline) else { return nil }
                continue
            }
            if errno == ECONNRESET {
                return []
            }
            throw ProbeError(.connectionLost, "the connection broke: \(String(cString: strerror(errno)))")
        }
    }

    /// Ends this side (FIN) after the last write.
    func shutdownWrite() {
        if self.descriptor >= 0 {
            _ = Glibc.shutdown(self.descriptor, Int32(SHUT_WR))
        }
    }

    func close() {
        if self.descriptor >= 0 {
            Glibc.close(self.descriptor)
            self.descriptor = -1
        }
    }

    /// Waits until `fd` is ready for `events` or `deadline` passes; false on the deadline.
    private static func wait(_ fd: Int32, events: Int16, until deadline: ProbeClock.Instant) -> Bool {
        while true {
            let remaining = deadline.millisecondsLeft
            guard remaining > 0 else { return false }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let status = poll(&entry, 1, Int32(min(remaining, 60_000)))
            if status > 0 { return true }
            if status < 0 && errno != EINTR { return true }
        }
    }

    private static func localPort(of fd: Int32) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard status == 0 else { return 0 }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
        default:
            return 0
        }
    }
}
