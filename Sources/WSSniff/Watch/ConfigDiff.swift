package import ProofVerify

/// The structural difference between two versions of a JSON5 config (`openclaw.json`): the key paths added, removed
/// or changed, each with its value before and after. Secret values (under a key `Redactor.isSecretName` names, such as
/// `gateway.auth.token`) appear only as `<redacted sha256:xxxxxxxx>` fingerprints; a secret present in both versions
/// with the same value is listed as `rewritten` (the file was written again, the secret kept its value).
package enum ConfigDiff {
    /// One key path that differs.
    package struct Entry: Sendable, Equatable {
        /// What happened to the key path.
        package enum Change: String, Sendable {
            case added
            case removed
            case changed
            /// A secret written again with the same value (only listed for secrets).
            case rewritten
        }

        /// Dotted path: `gateway.auth.token`, `plugins[2].name`; a key that is not an identifier is quoted.
        package var path: String
        package var change: Change
        /// The value before (removed, changed, rewritten), as JSON text, or a fingerprint for a secret.
        package var before: String?
        /// The value after (added, changed, rewritten).
        package var after: String?
        /// Whether the key names a secret (its values are fingerprints).
        package var secret: Bool

        package init(path: String, change: Change, before: String?, after: String?, secret: Bool) {
            self.path = path
            self.change = change
            self.before = before
            self.after = after
            self.secret = secret
        }
    }

    /// The differences from `old` to `new`, in document order (the old document's keys first, then keys only the
    /// new one has). A `nil` version is a file that did not exist: every leaf of the other is added or removed.
    package static func compare(_ old: JSONValue?, _ new: JSONValue?) -> [Entry] {
        var entries: [Entry] = []
        Self.compare(old, new, path: "", secret: false, into: &entries)
        return entries
    }

    /// A value as the diff shows it: a fingerprint for a non-empty secret string (or any non-string secret value, by
    /// its JSON text), JSON text otherwise.
    package static func shown(_ value: JSONValue, secret: Bool) -> String {
        guard secret else { return value.jsonText }
        if case .string(let text) = value, text.isEmpty { return "\"\"" }
        if case .null = value { return "null" }
        return Redactor.placeholder(for: value.stringValue ?? value.jsonText)
    }

    private static func compare(
        _ old: JSONValue?,
        _ new: JSONValue?,
        path: String,
        secret: Bool,
        into entries: inout [Entry]
    ) {
        switch (old, new) {
        case (nil, nil):
            return
        case (.object(let before)?, .object(let after)?):
            for member in before.members {
                let child = Self.child(path, key: member.key)
                let childSecret = secret || Redactor.isSecretName(member.key)
                Self.compare(member.value, after[member.key], path: child, secret: childSecret, into: &entries)
            }
            for member in after.members where before[member.key] == nil {
                let child = Self.child(path, key: member.key)
                let childSecret = secret || Redactor.isSecretName(member.key)
                Self.compare(nil, member.value, path: child, secret: childSecret, into: &entries)
            }
        case (.array(let before)?, .array(let after)?):
            for index in 0..<max(before.count, after.count) {
                Self.compare(
                    index < before.count ? before[index] : nil,
                    index < after.count ? after[index] : nil,
                    path: "\(path)[\(index)]",
                    secret: secret,
                    into: &entries
                )
            }
        case (.object(let before)?, nil):
            Self.leaves(of: .object(before), path: path, secret: secret, change: .removed, into: &entries)
        case (.array(let before)?, nil):
            Self.leaves(of: .array(before), path: path, secret: secret, change: .removed, into: &entries)
        case (nil, .some(let after)):
            Self.leaves(of: after, path: path, secret: secret, change: .added, into: &entries)
        case (.some(let before), nil):
            entries.append(
                Entry(
                    path: path,
                    change: .removed,
                    before: Self.shown(before, secret: secret),
                    after: nil,
                    secret: secret
                )
            )
        case (.some(let before), .some(let after)):
            if Self.isContainer(before) || Self.isContainer(after) {
                // A type change (an object that became a string, ...): the old leaves go, the new ones come.
                if before == after { return }
                Self.leaves(of: before, path: path, secret: secret, change: .removed, into: &entries)
                Self.leaves(of: after, path: path, secret: secret, change: .added, into: &entries)
                return
            }
            if before == after {
                guard secret, before.stringValue.map({ !$0.isEmpty }) ?? false else { return }
                let shown = Self.shown(after, secret: true)
                entries.append(Entry(path: path, change: .rewritten, before: shown, after: shown, secret: true))
                return
            }
            entries.append(
                Entry(
                    path: path,
                    change: .changed,
                    before: Self.shown(before, secret: secret),
                    after: Self.shown(after, secret: secret),
                    secret: secret
                )
            )
        }
    }

    private static func isContainer(_ value: JSONValue) -> Bool {
        switch value {
        case .object, .array: true
        default: false
        }
    }

    /// Every leaf under `value` as one entry (an empty object or array is a leaf: `{}`, `[]`).
    private static func leaves(
        of value: JSONValue,
        path: String,
        secret: Bool,
        change: Entry.Change,
        into entries: inout [Entry]
    ) {
        switch value {
        case .object(let object) where !object.members.isEmpty:
            for member in object.members {
                let childSecret = secret || Redactor.isSecretName(member.key)
                Self.leaves(
                    of: member.value,
                    path: Self.child(path, key: member.key),
                    secret: childSecret,
                    change: change,
                    into: &entries
                )
            }
        case .array(let elements) where !elements.isEmpty:
            for (index, element) in elements.enumerated() {
                Self.leaves(of: element, path: "\(path)[\(index)]", secret: secret, change: change, into: &entries)
            }
        default:
            let shown = Self.shown(value, secret: secret)
            entries.append(
                Entry(
                    path: path,
                    change: change,
                    before: change == .removed ? shown : nil,
                    after: change == .added ? shown : nil,
                    secret: secret
                )
            )
        }
    }

    /// `parent.key`, with a key that is not an identifier quoted: `parent["a.b"]`.
    private static func child(_ parent: String, key: String) -> String {
        let identifier =
            !key.isEmpty
            && key.unicodeScalars.allSatisfy {
                ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_"
                    || $0 == "$" || $0 == "-"
            }
        if identifier { return parent.isEmpty ? key : "\(parent).\(key)" }
        return "\(parent)[\(JSONValue.string(key).jsonText)]"
    }
}
