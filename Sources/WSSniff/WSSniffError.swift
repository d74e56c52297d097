/// Why a wssniff command could not do its job, in words a user can act on.
///
/// Each code maps to one documented process exit status (see `README.md`, "Exit codes").
package struct WSSniffError: Error, CustomStringConvertible, Sendable {
    package enum Code: Hashable, Sendable {
        /// The command line asked for something impossible (EX_USAGE, 64).
        case usage
        /// An input file is not a capture wssniff can read, or is corrupt at its start (EX_DATAERR, 65).
        case invalidCapture
        /// An input file could not be opened (EX_NOINPUT, 66).
        case cannotOpenInput
        /// The capture device or filter is unavailable (EX_UNAVAILABLE, 69).
        case captureUnavailable
        /// Writing an output file failed (EX_IOERR, 74).
        case cannotWrite
        /// Live capture needs privileges the process does not have (EX_NOPERM, 77).
        case captureNotPermitted
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { self.message }

    /// The process exit status documented for this error.
    package var exitStatus: Int32 {
        switch self.code {
        case .usage: return 64
        case .invalidCapture: return 65
        case .cannotOpenInput: return 66
        case .captureUnavailable: return 69
        case .cannotWrite: return 74
        case .captureNotPermitted: return 77
        }
    }

    static func == (lhs: WSSniffError, rhs: WSSniffError) -> Bool { lhs.code == rhs.code }
}
