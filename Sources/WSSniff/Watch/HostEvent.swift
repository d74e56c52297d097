package import Dissect
import ProofVerify

/// Something the host did while a capture ran, on the same clock as the packets (`CLOCK_REALTIME`, UTC): a watched
/// config file changed, the gateway stopped or started answering on its port, a watched process got a new PID.
///
/// Written one per line (`--format jsonl`, and the `FILE.events.jsonl` side file), read back by `wssniff report`.
package struct HostEvent: Sendable, Equatable {
    /// The `event` field.
    package enum Kind: String, Sendable {
        /// A watched config file as it was when the watch started (or could not be read).
        case configWatch = "config-watch"
        /// A watched config file changed.
        case configChange = "config-change"
        /// The first connect refused on the gateway port (nothing listening).
        case gatewayDown = "gateway-down"
        /// The first connect answered again after refused ones (a listener is back).
        case gatewayUp = "gateway-up"
        /// A watched process appeared with a new PID, or went away.
        case processRestart = "process-restart"
    }

    /// How a config file changed (`config-change`), as inotify shows it on the file's directory.
    package enum Change: String, Sendable {
        /// Written in place (same inode).
        case modified
        /// Another file renamed over it (a new inode: write to a temporary, then rename).
        case replaced
        /// Removed (or renamed away).
        case deleted
        /// Appeared where there was no file.
        case created
    }

    package var kind: Kind
    package var time: Timestamp
    // config-watch, config-change
    package var path: String?
    package var change: Change?
    /// The file's size, mode (octal text) and owner after the change (nil when deleted or unreadable).
    package var size: Int64?
    package var mode: String?
    package var uid: UInt32?
    package var owner: String?
    /// Whether the file (or its new version) parsed as JSON5; nil when there was nothing to parse.
    package var parsed: Bool?
    /// Why the file could not be read or parsed.
    package var error: String?
    package var diff: [ConfigDiff.Entry] = []
    // gateway-down, gateway-up
    package var port: UInt16?
    /// The server endpoint (address:port) the refused or answered connects went to.
    package var server: String?
    /// gateway-up: when the gateway went down (the first refused connect) and how many connects it refused.
    package var downSince: Timestamp?
    package var refused: Int?
    // process-restart
    package var process: String?
    package var oldPid: Int?
    package var newPid: Int?

    package init(kind: Kind, time: Timestamp) {
        self.kind = kind
        self.time = time
    }

    /// One line of `--format jsonl` and of the side file.
    package func json() -> JSON {
        var members: [(String, JSON)] = [("event", .string(self.kind.rawValue)), ("time", .string(self.time.rfc3339))]
        switch self.kind {
        case .configWatch, .configChange:
            members.append(("path", .optional(self.path)))
            if self.kind == .configChange { members.append(("kind", .optional(self.change?.rawValue))) }
            members.append(("size", self.size.map { .int($0) } ?? .null))
            members.append(("mode", .optional(self.mode)))
            members.append(("uid", self.uid.map { .integer($0) } ?? .null))
            members.append(("owner", .optional(self.owner)))
            members.append(("parsed", self.parsed.map { .bool($0) } ?? .null))
            members.append(("error", .optional(self.error)))
            if self.kind == .configChange {
                members.append(("changes", .array(self.diff.map(Self.json))))
            }
        case .gatewayDown, .gatewayUp:
            members.append(("port", self.port.map { .integer($0) } ?? .null))
            members.append(("server", .optional(self.server)))
            if self.kind == .gatewayUp {
                members.append(("downSince", .optional(self.downSince?.rfc3339)))
                members.append(("refused", self.refused.map { .integer($0) } ?? .null))
            }
        case .processRestart:
            members.append(("process", .optional(self.process)))
            members.append(("oldPid", self.oldPid.map { .integer($0) } ?? .null))
            members.append(("newPid", self.newPid.map { .integer($0) } ?? .null))
        }
        return .object(members)
    }

    private static func json(_ entry: ConfigDiff.Entry) -> JSON {
        .object([
            ("path", .string(entry.path)),
            ("change", .string(entry.change.rawValue)),
            ("before", .optional(entry.before)),
            ("after", .optional(entry.after)),
            ("secret", .bool(entry.secret)),
        ])
    }

    /// Reads one line written by ``json()``; nil for a line that is not a host event (another `event`, or not JSON).
    package static func parse(line: String) -> HostEvent? {
        guard let value = try? JSONParser.parse(line), let object = value.objectValue,
            let kind = object["event"]?.stringValue.flatMap(Kind.init(rawValue:)),
            let time = object["time"]?.stringValue.flatMap(Self.timestamp)
        else { return nil }
        var event = HostEvent(kind: kind, time: time)
        event.path = object["path"]?.stringValue
        event.change = object["kind"]?.stringValue.flatMap(Change.init(rawValue:))
        event.size = object["size"]?.int64Value
        event.mode = object["mode"]?.stringValue
        event.uid = object["uid"]?.int64Value.flatMap { UInt32(exactly: $0) }
        event.owner = object["owner"]?.stringValue
        event.parsed = object["parsed"]?.boolValue
        event.error = object["error"]?.stringValue
        event.diff = (object["changes"]?.arrayValue ?? []).compactMap { entry in
            guard let path = entry["path"]?.stringValue,
                let change = entry["change"]?.stringValue.flatMap(ConfigDiff.Entry.Change.init(rawValue:))
            else { return nil }
            return ConfigDiff.Entry(
                path: path,
                change: change,
                before: entry["before"]?.stringValue,
                after: entry["after"]?.stringValue,
                secret: entry["secret"]?.boolValue ?? false
            )
        }
        event.port = object["port"]?.int64Value.flatMap { UInt16(exactly: $0) }
        event.server = object["server"]?.stringValue
        event.downSince = object["downSince"]?.stringValue.flatMap(Self.timestamp)
        event.refused = object["refused"]?.int64Value.map { Int($0) }
        event.process = object["process"]?.stringValue
        event.oldPid = object["oldPid"]?.int64Value.map { Int($0) }
        event.newPid = object["newPid"]?.int64Value.map { Int($0) }
        return event
    }

    /// Parses the RFC 3339 UTC form `Timestamp.rfc3339` writes (`2026-03-14T10:00:00.123456789Z`, fraction optional).
    package static func timestamp(_ text: String) -> Timestamp? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[range] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var nanoseconds: Int64 = 0
        if bytes[19] == UInt8(ascii: ".") {
            let digits = bytes[20..<(bytes.count - 1)]
            guard !digits.isEmpty, digits.count <= 9, let fraction = number(20..<(bytes.count - 1)) else { return nil }
            nanoseconds = fraction
            for _ in digits.count..<9 { nanoseconds *= 10 }
        } else if bytes.count != 20 {
            return nil
        }
        // Days from the civil date (proleptic Gregorian), as in Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Timestamp(seconds: days * 86_400 + hour * 3_600 + minute * 60 + second, nanoseconds: nanoseconds)
    }
}
