package import Dissect
import Glibc
package import ProofVerify

/// `report --config-history DIR|FILE...`: earlier copies of the config a user saved, in order, and the structural
/// diff between each version and the next (secrets as fingerprints, as in `config-change` events).
package struct ConfigHistory: Sendable {
    /// One copy of the config.
    package struct Version: Sendable {
        package var path: String
        package var modified: Timestamp
        package var size: Int64
        /// nil: it did not parse (`error` says why).
        package var value: JSONValue?
        package var error: String?
    }

    /// The change from one version to the next parsed one.
    package struct Step: Sendable {
        package var from: String
        package var to: String
        package var diff: [ConfigDiff.Entry]
    }

    package var versions: [Version] = []
    package var steps: [Step] = []

    /// Reads the copies: each FILE as given, each DIR's regular files ordered by modification time (then name), in
    /// the order of the arguments.
    package static func read(_ arguments: [String]) throws(WSSniffError) -> ConfigHistory {
        var paths: [String] = []
        for argument in arguments {
            var status = stat()
            guard stat(argument, &status) == 0 else {
                throw WSSniffError(
                    .cannotOpenInput,
                    "--config-history \(argument): \(String(cString: strerror(errno)))"
                )
            }
            if (status.st_mode & S_IFMT) == S_IFDIR {
                paths += try Self.files(in: argument)
            } else {
                paths.append(argument)
            }
        }
        var history = ConfigHistory()
        for path in paths {
            var status = stat()
            _ = stat(path, &status)
            var version = Version(
                path: path,
                modified: Timestamp(seconds: Int64(status.st_mtim.tv_sec), nanoseconds: Int64(status.st_mtim.tv_nsec)),
                size: Int64(status.st_size)
            )
            let bytes = try ReportFiles.readAll(path)
            do {
                version.value = try JSON5Reader.parse(bytes)
            } catch {
                version.error = "not JSON5: \(error)"
            }
            history.versions.append(version)
        }
        var previous: Version?
        for version in history.versions where version.value != nil {
            if let previous {
                history.steps.append(
                    Step(from: previous.path, to: version.path, diff: ConfigDiff.compare(previous.value, version.value))
                )
            }
            previous = version
        }
        return history
    }

    private static func files(in directory: String) throws(WSSniffError) -> [String] {
        guard let handle = opendir(directory) else {
            throw WSSniffError(.cannotOpenInput, "--config-history \(directory): \(String(cString: strerror(errno)))")
        }
        defer { closedir(handle) }
        var found: [(path: String, modified: Int64)] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name != "." && name != ".." else { continue }
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            var status = stat()
            guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { continue }
            found.append((path, Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)))
        }
        return found.sorted { ($0.modified, $0.path) < ($1.modified, $1.path) }.map(\.path)
    }

    /// The Markdown section.
    package func markdown() -> [String] {
        var out = [
            "## Config history (`--config-history`)", "", "| # | file | modified (UTC) | bytes | |",
            "|---|---|---|---|---|",
        ]
        for (number, version) in self.versions.enumerated() {
            out.append(
                "| \(number + 1) | `\(version.path)` | \(version.modified.rfc3339) | \(version.size) | "
                    + "\(version.error.map(EvidenceReport.cell) ?? "") |"
            )
        }
        out.append("")
        for step in self.steps {
            out.append("### `\(step.from)` -> `\(step.to)`")
            out.append("")
            if step.diff.isEmpty {
                out.append("- No key changed.")
            }
            var event = HostEvent(kind: .configChange, time: Timestamp(nanoseconds: 0))
            event.diff = step.diff
            for phrase in event.changePhrases { out.append("- `\(phrase)`") }
            out.append("")
        }
        return out
    }

    /// The JSON twin's `report.configHistory`.
    package func json() -> JSON {
        .object([
            (
                "versions",
                .array(
                    self.versions.map { version in
                        .object([
                            ("path", .string(version.path)),
                            ("modified", .string(version.modified.rfc3339)),
                            ("size", .int(version.size)),
                            ("error", .optional(version.error)),
                        ])
                    }
                )
            ),
            (
                "steps",
                .array(
                    self.steps.map { step in
                        var event = HostEvent(kind: .configChange, time: Timestamp(nanoseconds: 0))
                        event.diff = step.diff
                        guard case .object(let members) = event.json(),
                            let changes = members.first(where: { $0.0 == "changes" })?.1
                        else { return .null }
                        return .object([("from", .string(step.from)), ("to", .string(step.to)), ("changes", changes)])
                    }
                )
            ),
        ])
    }
}
