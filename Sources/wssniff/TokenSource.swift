import Glibc
import WSSniff

/// Where a command takes the gateway token from: `--token`, else the first line of `--token-file`, else the
/// `OPENCLAW_GATEWAY_TOKEN` environment variable (the name the gateway itself reads), else none (`""`).
enum TokenSource {
    static let variable = "OPENCLAW_GATEWAY_TOKEN"

    /// - Parameter use: what the command does with the token, for the note that says where it came from ("using",
    ///   "signing").
    static func resolve(token: String?, tokenFile: String?, use: String = "using") throws(WSSniffError) -> String {
        if let token {
            return token
        }
        if let path = tokenFile {
            let bytes = try readInput(path, what: "token file")
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw WSSniffError(.invalidCapture, "the token file \(path) is not UTF-8 text")
            }
            // The first line, without its line ending: `echo TOKEN > file` and editors add one.
            let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let token = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            if token.isEmpty {
                throw WSSniffError(.usage, "the token file \(path) is empty: its first line is the token")
            }
            return token
        }
        if let value = getenv(Self.variable), value.pointee != 0 {
            Diagnostics.note("\(use) the token from \(Self.variable)")
            return String(cString: value)
        }
        return ""
    }
}
