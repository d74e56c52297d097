import Glibc

/// `wssniff probe --capture FILE`: the capture code of `wssniff capture`, on its own thread, recording the probe's
/// connections on the loopback interface while the probe runs.
package final class ProbeCapture: @unchecked Sendable {
    private let capture: LiveCapture
    private var thread: pthread_t?
    private var statistics = LiveCaptureStatistics()

    /// Opens the capture (needs root or CAP_NET_RAW) on `interface` for TCP port `port`, written to `path`.
    package init(path: String, interface: String, port: UInt16, owner: CaptureUser?) throws(WSSniffError) {
        var options = LiveCaptureOptions()
        options.interface = interface
        options.filter = "tcp port \(port)"
        options.writePath = path
        options.fileOwner = owner
        self.capture = try LiveCapture(options: options)
    }

    /// Starts capturing. The device is already open: packets from here on are kept by the kernel until read.
    package func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(
            &thread,
            nil,
            { raw in
                guard let raw else { return nil }
                let capture = Unmanaged<ProbeCapture>.fromOpaque(raw).takeRetainedValue()
                capture.statistics = capture.capture.run { _, _ in }
                return nil
            },
            context
        )
        if status == 0 {
            self.thread = thread
        } else {
            Unmanaged<ProbeCapture>.fromOpaque(context).release()
        }
    }

    /// Stops after the packets already on the wire are read, and returns the counts.
    package func stop() -> LiveCaptureStatistics {
        guard let thread = self.thread else { return self.statistics }
        LiveCapture.requestStop()
        pthread_join(thread, nil)
        self.thread = nil
        return self.statistics
    }
}
