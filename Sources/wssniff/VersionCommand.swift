import ArgumentParser
import WSSniff

/// `wssniff version`: the same text as `wssniff --version` and `wssniff -V`.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract:
            "Print the version, the git commit built from, and the libpcap, libsodium, zlib and libcrypto linked.",
        discussion: "The same as `wssniff --version` and `wssniff -V`."
    )

    func run() {
        print(BuildInfo.versionText)
    }
}
