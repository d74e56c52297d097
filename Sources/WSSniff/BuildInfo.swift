import CBuildInfo
import CCrypto
import CPcap
import CSodium
import CZlib

/// What `wssniff --version` (and `-V`, `wssniff version`) prints: the version, the commit it was built from, and the
/// libraries that do the work, each as that library reports itself at run time and where its code lives.
package enum BuildInfo {
    /// The git commit the binary was built from (see `Sources/CBuildInfo`), or "unknown".
    package static var gitCommit: String { String(cString: wssniff_git_commit()) }

    /// One line per library: its own version string, then `static` when its code is part of this executable (as
    /// `scripts/package.sh` links it) or the shared object it was loaded from.
    package static var libraries: [(name: String, version: String, linkage: String)] {
        [
            ("libpcap", String(cString: pcap_lib_version()), Self.linkage(of: unsafeBitCast(pcap_lib_version))),
            (
                "libsodium", String(cString: sodium_version_string()),
                Self.linkage(of: unsafeBitCast(sodium_version_string))
            ),
            ("zlib", String(cString: zlibVersion()), Self.linkage(of: unsafeBitCast(zlibVersion))),
            (
                "libcrypto", String(cString: OpenSSL_version(Int32(OPENSSL_VERSION))),
                Self.linkage(of: unsafeBitCast(OpenSSL_version))
            ),
        ]
    }

    /// The whole `--version` text, without a final newline.
    package static var versionText: String {
        var lines = ["wssniff \(WSSniffVersion.string)", "commit: \(Self.gitCommit)"]
        for library in Self.libraries {
            lines.append("\(library.name): \(library.version) (\(library.linkage))")
        }
        return lines.joined(separator: "\n")
    }

    /// `static` when `function` is in the executable itself, else the path of the shared object that holds it.
    private static func linkage(of function: UnsafeRawPointer) -> String {
        guard let file = wssniff_object_holding(function) else { return "unknown" }
        let path = String(cString: file)
        return path.contains(".so") ? path : "static"
    }

    private static func unsafeBitCast(_ function: @convention(c) () -> UnsafePointer<CChar>?) -> UnsafeRawPointer {
        Swift.unsafeBitCast(function, to: UnsafeRawPointer.self)
    }

    private static func unsafeBitCast(_ function: @convention(c) (Int32) -> UnsafePointer<CChar>?) -> UnsafeRawPointer {
        Swift.unsafeBitCast(function, to: UnsafeRawPointer.self)
    }
}
