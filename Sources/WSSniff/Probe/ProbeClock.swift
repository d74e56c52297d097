import Glibc

/// Monotonic time for the probe's timeouts and pacing.
package enum ProbeClock {
    /// A point on the monotonic clock, in milliseconds.
    package struct Instant: Sendable {
        package var milliseconds: Int64

        /// Milliseconds from now until this instant (negative once it passed).
        package var millisecondsLeft: Int64 {
            self.milliseconds - ProbeClock.now.milliseconds
        }
    }

    package static var now: Instant {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Instant(milliseconds: Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000)
    }

    /// `seconds` from now.
    package static func after(seconds: Double) -> Instant {
        Instant(milliseconds: Self.now.milliseconds + Int64(seconds * 1000))
    }

    /// Milliseconds since the epoch (the gateway's clock for `signedAt`).
    package static var wallMilliseconds: Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }

    /// Sleeps `milliseconds`.
    package static func sleep(milliseconds: Int) {
        guard milliseconds > 0 else { return }
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR {
            request = remaining
        }
    }
}
