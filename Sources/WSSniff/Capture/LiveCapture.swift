import CPcap
package import Dissect
import Glibc
import ProofVerify
import Synchronization

/// Set by SIGINT and SIGTERM; polled by the capture loop between packets.
private let stopRequested = Atomic<Bool>(false)

/// Options for a live capture through libpcap.
package struct LiveCaptureOptions: Sendable {
    package var interface: String = "lo"
    /// A BPF expression (`tcp port 42919` by default, built by the CLI).
    package var filter: String = "tcp port \(GatewayPorts.nasDefault)"
    /// A pcap file to write every captured packet to, flushed as it goes.
    package var writePath: String?
    /// Start a new `-w` file once the current one holds this many bytes (as tcpdump's `-C`, in bytes here).
    package var rotateSize: Int?
    /// Keep at most this many rotated files, reusing their names in a ring (as tcpdump's `-W`).
    package var rotateCount: Int?
    /// Stop after this many packets.
    package var count: Int?
    /// Stop after this many seconds.
    package var duration: Double?
    package var snaplen: Int32 = 262_144
    /// The user the capture switches to once the device is open: each `-w` file wssniff creates as root is given to
    /// it (never an existing file it writes through, such as standard output).
    package var fileOwner: CaptureUser?

    package init() {}
}

/// What the capture loop saw, for the closing summary.
package struct LiveCaptureStatistics: Sendable {
    /// Packets handed to wssniff by libpcap.
    package var captured: Int = 0
    /// Packets written to the `-w` file(s).
    package var written: Int = 0
    /// The `-w` files written, in order (more than one when rotating).
    package var files: [String] = []
    /// The kernel's counters (`pcap_stats`): packets that passed the filter, and those dropped for lack of buffer.
    package var kernelReceived: UInt32 = 0
    package var kernelDropped: UInt32 = 0
    package var interfaceDropped: UInt32 = 0
    package var linkType: LinkType = .ethernet
    /// Why the loop ended: `signal`, `count`, `duration`, or `error`.
    package var stopReason: String = ""
    /// What stopped the capture when it is `error`: the `-w` file could not be written, or the device failed. The
    /// `-w` file still ends with the last whole packet written.
    package var failure: WSSniffError?
}

/// A libpcap capture handle, and the `-w` dump file it feeds. This is the only file that calls libpcap.
///
/// Owns C handles, so it is a class and not `Sendable`.
package final class LiveCapture {
    private let handle: OpaquePointer
    private var dumper: OpaquePointer?
    /// Bytes in the current `-w` file, and its number in the rotation.
    private var dumpedBytes = 0
    /// Bytes of the current `-w` file known to be on disk: its header and every whole packet flushed so far.
    private var committedBytes = 0
    private var fileIndex = 0
    private var filesWritten: [String] = []
    private let options: LiveCaptureOptions
    package let linkType: LinkType

    /// Opens and activates the device, installs the filter, and opens the `-w` file.
    package init(options: LiveCaptureOptions) throws(WSSniffError) {
        self.options = options
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let handle = pcap_create(options.interface, &errorBuffer) else {
            throw WSSniffError(
                .captureUnavailable,
                "cannot open interface \(options.interface): \(errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })"
            )
        }
        self.handle = handle
        pcap_set_snaplen(handle, options.snaplen)
        pcap_set_promisc(handle, 0)
        // Not immediate mode: on Linux that falls back to a ring of fixed slots as large as the interface MTU (64 KiB
        // on lo), so 32 MiB held only about 500 packets and bursts of small packets were dropped. With the default
        // TPACKET_V3 ring, packets are packed into blocks that the kernel hands over when full or after the read
        // timeout: 50 ms of latency at most, and the same 32 MiB holds hundreds of thousands of small packets.
        pcap_set_timeout(handle, 50)
        pcap_set_buffer_size(handle, 32 << 20)
        let status = pcap_activate(handle)
        if status < 0 {
            let detail = String(cString: pcap_geterr(handle))
            pcap_close(handle)
            switch status {
            case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
                throw WSSniffError(
                    .captureNotPermitted,
                    "not permitted to capture on \(options.interface) (\(detail)). Run as root (sudo wssniff capture ...), "
                        + "or grant the binary the capabilities once: "
                        + "sudo setcap cap_net_raw,cap_net_admin=eip \"$(command -v wssniff)\""
                )
            case PCAP_ERROR_NO_SUCH_DEVICE:
                throw WSSniffError(
                    .captureUnavailable,
                    "no such interface: \(options.interface) (\(detail)); list them with `ip link` or `tcpdump -D`"
                )
            default:
                throw WSSniffError(.captureUnavailable, "cannot start capture on \(options.interface): \(detail)")
            }
        }
        // From here on every stored property is set: a throw runs `deinit`, which closes the handle.
        self.linkType = LinkType(rawValue: UInt32(bitPattern: pcap_datalink(handle)))

        var program = bpf_program()
        if pcap_compile(handle, &program, options.filter, 1, PCAP_NETMASK_UNKNOWN) != 0 {
            let detail = String(cString: pcap_geterr(handle))
            throw WSSniffError(.usage, "invalid capture filter \"\(options.filter)\": \(detail)")
        }
        let filterStatus = pcap_setfilter(handle, &program)
        pcap_freecode(&program)
        if filterStatus != 0 {
            let detail = String(cString: pcap_geterr(handle))
            throw WSSniffError(.captureUnavailable, "cannot install capture filter: \(detail)")
        }

        if options.writePath != nil {
            try self.openDumpFile()
        }
    }

    /// The name of rotated file number `index`: the `-w` name itself first, then `NAME.1`, `NAME.2`, ...
    package static func rotatedName(_ path: String, index: Int) -> String {
        index == 0 ? path : "\(path).\(index)"
    }

    /// Opens the next `-w` file (the first one, or the next in the rotation): a new file, mode 0600 whatever the
    /// umask, replacing any file of that name (never written through, which would keep its owner and mode). `-`, or
    /// a path that is not a regular file (a pipe, a terminal, `/dev/full`), is written as it is.
    private func openDumpFile() throws(WSSniffError) {
        guard let base = self.options.writePath else { return }
        let path = Self.rotatedName(base, index: self.fileIndex)
        var created = false
        let opened: OpaquePointer?
        if path == "-" {
            opened = pcap_dump_open(self.handle, path)
        } else {
            let (descriptor, isNew) = try ReportFiles.createReplacing(path)
            created = isNew
            guard let stream = fdopen(descriptor, "w") else {
                let reason = String(cString: strerror(errno))
                _ = close(descriptor)
                throw WSSniffError(.cannotWrite, "cannot write \(path): \(reason)")
            }
            opened = pcap_dump_fopen(self.handle, stream)
            if opened == nil { fclose(stream) }
        }
        guard let dumper = opened else {
            let detail = String(cString: pcap_geterr(self.handle))
            throw WSSniffError(.cannotWrite, "cannot write \(path): \(detail)")
        }
        // pcap_dump_open writes the file header into stdio's buffer: push it out now, so even a capture that sees
        // no packet leaves a valid, empty pcap file, and a full disk (`-w /dev/full`) shows before any packet.
        let file = pcap_dump_file(dumper)
        if pcap_dump_flush(dumper) != 0 || file.map({ ferror($0) != 0 }) == true {
            let reason = String(cString: strerror(errno))
            pcap_dump_close(dumper)
            throw WSSniffError(.cannotWrite, "cannot write \(path): \(reason)")
        }
        // Only a file wssniff created is given to the user it drops to: never standard output, nor a device.
        if created, let owner = self.options.fileOwner, let file {
            do throws(WSSniffError) {
                try owner.own(descriptor: fileno(file), path: path)
            } catch {
                pcap_dump_close(dumper)
                throw error
            }
        }
        self.dumper = dumper
        self.dumpedBytes = 24
        self.committedBytes = 24
        if !self.filesWritten.contains(path) { self.filesWritten.append(path) }
    }

    /// Closes the current `-w` file after a failed write, cut back to its last whole packet: a short write (a full
    /// disk) may have left part of a record, which would make the file end in a truncated record.
    private func abandonDumper() {
        guard let dumper = self.dumper else { return }
        self.dumper = nil
        // Keep a descriptor of our own: closing the stream tries once more to write what its buffer still holds.
        let descriptor = pcap_dump_file(dumper).map { dup(fileno($0)) } ?? -1
        pcap_dump_close(dumper)
        if descriptor >= 0 {
            var status = stat()
            if fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG,
                Int(status.st_size) > self.committedBytes,
                ftruncate(descriptor, off_t(self.committedBytes)) == 0
            {
                Diagnostics.note(
                    "cut the \(Int(status.st_size) - self.committedBytes) bytes of a partly written packet from the "
                        + "end of \(Self.rotatedName(self.options.writePath ?? "", index: self.fileIndex))"
                )
            }
            close(descriptor)
        }
    }

    /// Closes the current `-w` file and opens the next, between two packets, so none is lost or split.
    private func rotate() throws(WSSniffError) {
        self.closeDumper()
        self.fileIndex += 1
        if let count = self.options.rotateCount, count > 0 {
            self.fileIndex %= count
        }
        try self.openDumpFile()
    }

    deinit {
        if let dumper = self.dumper {
            pcap_dump_close(dumper)
        }
        pcap_close(self.handle)
    }

    /// Routes SIGINT and SIGTERM to a graceful stop of `run`.
    package static func installSignalHandlers() {
        stopRequested.store(false, ordering: .relaxed)
        let handler: @convention(c) (Int32) -> Void = { _ in
            stopRequested.store(true, ordering: .relaxed)
        }
        SignalHandlers.install([SIGINT, SIGTERM], keepIgnored: false, handler)
    }

    /// Asks a running capture loop to stop, as a signal would.
    package static func requestStop() {
        stopRequested.store(true, ordering: .relaxed)
    }

    /// Pulls packets until a signal, `--count` or `--duration` stops it, handing each to `body` as it arrives.
    ///
    /// Every packet is written and flushed to the `-w` file before `body` sees it, so whatever stops the loop, the
    /// file holds every packet captured so far.
    ///
    /// A failure after the capture started (a write error, the device going away) ends the loop too: it is returned
    /// in `failure`, with the counts up to it, and the `-w` file ends with the last whole packet written.
    ///
    /// `idle` is called after each wait for packets (at most every 100 ms while none come) with the time, as packets
    /// are stamped: work that waits for the capture to move on can go on while it does not.
    package func run(
        idle: (Timestamp) -> Void = { _ in },
        _ body: (CaptureRecordInfo, RawSpan) -> Void
    ) -> LiveCaptureStatistics {
        var statistics = LiveCaptureStatistics()
        do {
            try self.pump(&statistics, idle, body)
        } catch {
            statistics.stopReason = "error"
            statistics.failure = error
            self.abandonDumper()
        }
        var kernel = pcap_stat()
        if pcap_stats(self.handle, &kernel) == 0 {
            statistics.kernelReceived = kernel.ps_recv
            statistics.kernelDropped = kernel.ps_drop
            statistics.interfaceDropped = kernel.ps_ifdrop
        }
        statistics.files = self.filesWritten
        return statistics
    }

    private func pump(
        _ statistics: inout LiveCaptureStatistics,
        _ idle: (Timestamp) -> Void,
        _ body: (CaptureRecordInfo, RawSpan) -> Void
    ) throws(WSSniffError) {
        statistics.linkType = self.linkType
        var monotonicStart = timespec()
        clock_gettime(CLOCK_MONOTONIC, &monotonicStart)
        // Poll the capture descriptor ourselves, with a timeout, and read in non-blocking mode: libpcap's own blocking
        // wait would restart after a signal instead of returning, and --duration needs a bounded wait.
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        if pcap_setnonblock(self.handle, 1, &errorBuffer) != 0 {
            throw WSSniffError(.captureUnavailable, "cannot switch the capture to non-blocking mode")
        }
        let descriptor = pcap_get_selectable_fd(self.handle)
        loop: while true {
            var reason: String?
            if stopRequested.load(ordering: .relaxed) {
                reason = "signal"
            } else if let limit = self.options.count, statistics.captured >= limit {
                reason = "count"
            } else if let duration = self.options.duration {
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                let elapsed =
                    Double(now.tv_sec - monotonicStart.tv_sec)
                    + Double(now.tv_nsec - monotonicStart.tv_nsec) / 1e9
                if elapsed >= duration { reason = "duration" }
            }
            if let reason {
                statistics.stopReason = reason
                // What the kernel already accepted is part of the capture: read it before stopping (for at most
                // two seconds, in case traffic keeps coming).
                if reason != "count" {
                    // The kernel hands a block over when it fills or its timer fires, which can take up to twice
                    // the 50 ms timeout plus scheduling delay: read until a quarter second brings nothing new.
                    let deadline = Self.now() + 2
                    repeat {
                        let before = statistics.captured
                        var pending = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                        _ = poll(&pending, 1, 250)
                        try self.drain(until: deadline, &statistics, body)
                        if statistics.captured == before { break }
                    } while Self.now() < deadline
                }
                break loop
            }
            var waitMilliseconds: Int32 = 100
            if let duration = self.options.duration {
                let elapsed = Self.now() - (Double(monotonicStart.tv_sec) + Double(monotonicStart.tv_nsec) / 1e9)
                let remaining = ((duration - elapsed) * 1_000).rounded(.up)
                waitMilliseconds = Int32(max(1, min(Double(waitMilliseconds), remaining)))
            }
            var pollDescriptor = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pollDescriptor, 1, max(waitMilliseconds, 1))
            if ready < 0 && errno != EINTR {
                throw WSSniffError(.captureUnavailable, "capture failed: \(String(cString: strerror(errno)))")
            }
            // Read what is there (a signal is noticed between packets), then go back to waiting.
            try self.drain(until: nil, &statistics, body)
            var clock = timespec()
            clock_gettime(CLOCK_REALTIME, &clock)
            idle(Timestamp(seconds: Int64(clock.tv_sec), nanoseconds: Int64(clock.tv_nsec)))
        }
        if let dumper = self.dumper, pcap_dump_flush(dumper) != 0 {
            throw WSSniffError(
                .cannotWrite,
                "cannot flush \(self.options.writePath ?? "the capture file"): \(String(cString: strerror(errno)))"
            )
        }
        self.closeDumper()
    }

    /// Reads every packet libpcap has ready, writing each to the `-w` file before `body` sees it. Stops when none is
    /// left, at `--count`, at a signal (unless `deadline` is set: the final drain after a stop), or at `deadline`.
    private func drain(
        until deadline: Double?,
        _ statistics: inout LiveCaptureStatistics,
        _ body: (CaptureRecordInfo, RawSpan) -> Void
    ) throws(WSSniffError) {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while true {
            if let limit = self.options.count, statistics.captured >= limit { return }
            if let deadline {
                if Self.now() >= deadline { return }
            } else if stopRequested.load(ordering: .relaxed) {
                return
            }
            let status = pcap_next_ex(self.handle, &header, &data)
            guard status == 1 else {
                if status == 0 { return }
                let detail = String(cString: pcap_geterr(self.handle))
                throw WSSniffError(.captureUnavailable, "capture failed: \(detail)")
            }
            guard let header, let data else { continue }
            statistics.captured += 1
            if let limit = self.options.rotateSize, self.dumper != nil,
                self.dumpedBytes + 16 + Int(header.pointee.caplen) > limit, self.dumpedBytes > 24
            {
                try self.rotate()
            }
            if let dumper = self.dumper {
                self.dumpedBytes += 16 + Int(header.pointee.caplen)
                pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), header, data)
                // A write that fails inside pcap_dump only sets the stream's error flag: check it as well.
                let failed = pcap_dump_flush(dumper) != 0 || pcap_dump_file(dumper).map({ ferror($0) != 0 }) == true
                if failed {
                    let reason = String(cString: strerror(errno))
                    let path = Self.rotatedName(self.options.writePath ?? "", index: self.fileIndex)
                    throw WSSniffError(
                        .cannotWrite,
                        "cannot write \(path): \(reason); capture stopped after \(TextRenderer.count(statistics.written, "packet")) "
                            + "written, and the file ends with the last whole one"
                    )
                }
                self.committedBytes = self.dumpedBytes
                statistics.written += 1
            }
            let info = CaptureRecordInfo(
                number: statistics.captured,
                linkType: self.linkType,
                timestamp: Timestamp(
                    seconds: Int64(header.pointee.ts.tv_sec),
                    nanoseconds: Int64(header.pointee.ts.tv_usec) * 1_000
                ),
                capturedLength: Int(header.pointee.caplen),
                originalLength: Int(header.pointee.len)
            )
            let bytes = UnsafeRawBufferPointer(start: data, count: Int(header.pointee.caplen))
            body(info, bytes.bytes)
        }
    }

    /// Monotonic seconds.
    private static func now() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    private func closeDumper() {
        if let dumper = self.dumper {
            pcap_dump_close(dumper)
            self.dumper = nil
        }
    }

    /// The libpcap version string, for reports.
    package static var libraryVersion: String {
        String(cString: pcap_lib_version())
    }
}
