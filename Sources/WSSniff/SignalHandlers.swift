import Glibc

/// Installs wssniff's signal handlers: the live capture's graceful stop, the removal of staged output files.
enum SignalHandlers {
    /// Routes `numbers` to `handler` and unblocks them: a parent may have started wssniff with them blocked (the mask
    /// survives exec), and then they would never reach the handler. With `keepIgnored`, a signal the parent told
    /// wssniff to ignore (`nohup`) stays ignored.
    static func install(_ numbers: [Int32], keepIgnored: Bool, _ handler: @convention(c) (Int32) -> Void) {
        for number in numbers {
            if keepIgnored {
                var current = sigaction()
                sigaction(number, nil, &current)
                if unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == 1 { continue }
            }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = handler
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(number, &action, nil)
        }
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for number in numbers { sigaddset(&unblock, number) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }
}
