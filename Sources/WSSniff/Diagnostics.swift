import Glibc

/// Diagnostics go to standard error, results to standard output, so `wssniff ... | jq` always works.
package enum Diagnostics {
    package static func error(_ message: String) {
        Self.write("wssniff: error: \(message)\n")
    }

    package static func warning(_ message: String) {
        Self.write("wssniff: warning: \(message)\n")
    }

    package static func note(_ message: String) {
        Self.write("wssniff: \(message)\n")
    }

    /// Output text sent to standard error as it is, when standard output carries something else (`capture -w -`).
    package static func text(_ text: String) {
        Self.write(text)
    }

    private static func write(_ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }
}

/// Pushes buffered standard output out now (live output is read as it happens, often through a pipe).
package func flushStandardOutput() {
    fflush(nil)
}

/// The version `--version` prints.
package enum WSSniffVersion {
    package static let string = "0.1.0"
}
