package import Dissect

extension HostEvent {
    /// The clock time of a timestamp, `HH:MM:SS.mmm` UTC, as the text lines show it.
    package static func clock(_ time: Timestamp) -> String {
        let text = time.rfc3339
        guard let t = text.firstIndex(of: "T") else { return text }
        let rest = text[text.index(after: t)...].dropLast()
        // HH:MM:SS plus at most 3 fraction digits.
        let cut = rest.prefix(12)
        return String(cut) + (cut.count == 8 ? ".000" : String(repeating: "0", count: max(0, 12 - cut.count)))
    }

    /// The changes of a `config-change`, one phrase each: `gateway.auth.token added <redacted sha256:...>`.
    package var changePhrases: [String] {
        self.diff.map { entry in
            switch entry.change {
            case .added: return "\(entry.path) added \(entry.after ?? "")"
            case .removed: return "\(entry.path) removed (was \(entry.before ?? ""))"
            case .changed: return "\(entry.path) \(entry.before ?? "") -> \(entry.after ?? "")"
            case .rewritten: return "\(entry.path) rewritten, same value \(entry.after ?? "")"
            }
        }
    }

    /// The event as one line of the text output (without the time).
    package var sentence: String {
        switch self.kind {
        case .configWatch:
            if let error, self.size == nil { return "watching config \(self.path ?? "?"): \(error)" }
            return "watching config \(self.path ?? "?") (\(self.fileSummary))"
                + (self.error.map { ": \($0)" } ?? "")
        case .configChange:
            var line = "config \(self.path ?? "?") \(self.change?.rawValue ?? "changed")"
            if self.change != .deleted { line += " (\(self.fileSummary))" }
            if let error { line += ": \(error)" }
            let phrases = self.changePhrases
            if !phrases.isEmpty {
                line += ": " + phrases.joined(separator: "; ")
            } else if self.parsed == true && self.change != .deleted {
                line += ": no key changed"
            }
            return line
        case .gatewayDown:
            return "gateway down: a connect to \(self.server ?? "port \(self.port ?? 0)") was refused (RST)"
        case .gatewayUp:
            let since = self.downSince.map { " (down since \(Self.clock($0)), \(self.refused ?? 0) refused)" } ?? ""
            return "gateway up: \(self.server ?? "port \(self.port ?? 0)") answers connects again" + since
        case .processRestart:
            let name = self.process ?? "?"
            switch (self.oldPid, self.newPid) {
            case (let old?, let new?): return "process \(name) restarted: pid \(old) -> \(new)"
            case (let old?, nil): return "process \(name) pid \(old) exited"
            case (nil, let new?): return "process \(name) started: pid \(new)"
            case (nil, nil): return "process \(name)"
            }
        }
    }

    /// `0600 openclaw, 412 bytes`.
    private var fileSummary: String {
        var parts: [String] = []
        if let mode { parts.append(mode) }
        if let owner = self.owner ?? self.uid.map({ "uid \($0)" }) { parts.append(owner) }
        var text = parts.joined(separator: " ")
        if let size { text += (text.isEmpty ? "" : ", ") + "\(size) bytes" }
        return text
    }

    /// The text line: time, then the sentence.
    package var textLine: String {
        "\(Self.clock(self.time)) \(self.sentence)"
    }
}
