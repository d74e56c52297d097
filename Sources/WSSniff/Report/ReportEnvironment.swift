import Glibc

/// Where the evidence came from: the tools' versions, the machine, and the input.
package struct ReportEnvironment: Sendable {
    package var wssniffVersion: String
    package var libpcapVersion: String
    /// `uname -s`, `-r`, `-v`, `-m`.
    package var system: String
    package var kernel: String
    package var kernelBuild: String
    package var machine: String
    /// The `PRETTY_NAME` of /etc/os-release, when there is one.
    package var distribution: String?

    /// The environment of this process.
    package static func current() -> ReportEnvironment {
        var names = utsname()
        uname(&names)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return ReportEnvironment(
            wssniffVersion: WSSniffVersion.string,
            libpcapVersion: LiveCapture.libraryVersion,
            system: field(names.sysname),
            kernel: field(names.release),
            kernelBuild: field(names.version),
            machine: field(names.machine),
            distribution: Self.distribution()
        )
    }

    private static func distribution() -> String? {
        guard let bytes = try? ReportFiles.readAll("/etc/os-release") else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
            var value = line.dropFirst("PRETTY_NAME=".count)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
            return String(value)
        }
        return nil
    }

    /// `Linux 6.8.0-45-generic x86_64 (Debian GNU/Linux 12 (bookworm))`.
    package var operatingSystem: String {
        "\(self.system) \(self.kernel) \(self.machine)" + (self.distribution.map { " (\($0))" } ?? "")
    }
}
