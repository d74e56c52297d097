import ProofVerify

/// How `wssniff probe` shows its result: a table and a one-line conclusion, or JSON (docs/json-output.md).
package enum ProbeReport {
    // MARK: - Conclusion

    /// One sentence: the protocol, the forms the proof check accepts, and what else blocks the device.
    package static func conclusion(_ result: ProbeRun.Result) -> String {
        var parts: [String] = []
        let admitted = result.admittedProtocols
        let server = result.serverVersion.map { " (server version \($0))" } ?? ""
        if admitted.isEmpty {
            if case .some(let stop) = result.stop {
                return Self.stopSentence(stop)
            }
            if !result.protocolChecks.isEmpty
                && result.protocolChecks.allSatisfy({ $0.failure != nil && $0.error == nil && $0.cause == nil })
            {
                let failure = result.protocolChecks[0].failure ?? ""
                return "this server sends connect.challenge but did not answer the connect (\(failure)): "
                    + "not an OpenClaw gateway, or one that is stuck"
            }
            let expected = result.expectedProtocol.map { "; it expects protocol \($0)" } ?? ""
            let offered = result.protocolChecks.map { String($0.protocolVersion) }.joined(separator: ", ")
            return "this gateway\(server) admits none of the protocols offered (\(offered))\(expected)"
        }
        let era = result.serverVersion == nil ? Self.era(admitted.max() ?? 0) : ""
        parts.append("this gateway\(server) speaks protocol \(Self.list(admitted.map(String.init)))\(era)")
        if let profile = Self.profile(result) {
            parts.append("wssniff reads it with its \(profile.label) gateway profile")
        }
        let verified = result.acceptedForms.map(\.rawValue)
        let rejected = result.attempts.filter { $0.judgement == .rejected }.compactMap { $0.form?.rawValue }
        if !verified.isEmpty {
            var sentence = "its proof check accepts \(Self.list(verified)) from this device"
            if result.stoppedAtFirstAccepted {
                sentence += " (the first accepted form; --all tries the others)"
            }
            parts.append(sentence)
        } else if !result.attempts.isEmpty {
            parts.append("its proof check accepts none of the forms tried from this device")
        }
        if !rejected.isEmpty && (verified.isEmpty || result.attempts.count > 1) {
            parts.append("it rejects \(Self.list(rejected))")
        }
        let blockers = Set(result.attempts.compactMap(\.blockedBy))
        if result.attempts.contains(where: \.helloOK) {
            parts.append("the device connects")
        } else if blockers.contains(GatewayVerdict.Cause.pairingRequired.rawValue) {
            parts.append("pairing is required")
        }
        if blockers.contains(GatewayVerdict.Cause.unauthorized.rawValue) {
            let message =
                result.attempts.lazy.filter { $0.blockedBy == GatewayVerdict.Cause.unauthorized.rawValue }
                .compactMap { $0.error?.message }.first ?? "unauthorized"
            let short = message.split(separator: " (", maxSplits: 1).first.map(String.init) ?? message
            parts.append("shared auth fails (\(short))")
        }
        let undecided = result.attempts.filter { $0.judgement == .undecided }
        if !undecided.isEmpty {
            let names = undecided.compactMap { $0.form?.rawValue }
            parts.append("undecided: \(Self.list(names)) (refused before the signature check)")
        }
        if let stop = result.stop {
            parts.append(Self.stopSentence(stop))
        }
        return parts.joined(separator: "; ")
    }

    /// The gateway profile (docs/gateway-versions.md) of what the probe learned: from `hello-ok`'s server version,
    /// else from the highest protocol the gateway admitted.
    private static func profile(_ result: ProbeRun.Result) -> GatewayProfile? {
        if let version = result.serverVersion,
            let choice = GatewayProfile.forVersion(version, basis: .serverVersion, source: "server.version")
        {
            return choice.profile
        }
        switch result.admittedProtocols.max() {
        case 3: return .v2026_3_13
        case 4: return .current
        default: return nil
        }
    }

    /// The releases a protocol version belongs to, when no hello-ok gave the server's version: 3 from 2026-01 until
    /// about release 2026.5.9 (2026.3.13 among them), 4 after (docs/gateway-protocol.md sections 1 and 7, from
    /// upstream `packages/gateway-protocol/src/schema/frames.ts`).
    private static func era(_ version: Int) -> String {
        switch version {
        case 3: " (OpenClaw up to about 2026.5.9, such as 2026.3.13)"
        case 4: " (OpenClaw after about 2026.5.9)"
        default: ""
        }
    }

    private static func stopSentence(_ stop: ProbeRun.Stop) -> String {
        switch stop {
        case .rateLimited(let retry):
            return "the gateway rate-limited the probe (AUTH_RATE_LIMITED) and the probe stopped; retry "
                + Self.retryText(retry)
        case .unavailable(let message, let retry):
            return "the gateway is unavailable (UNAVAILABLE \(message)) and the probe stopped; retry "
                + Self.retryText(retry)
        case .failed(let message):
            return "the probe stopped: \(message)"
        }
    }

    private static func retryText(_ milliseconds: Int64?) -> String {
        guard let milliseconds, milliseconds > 0 else { return "later" }
        let seconds = (milliseconds + 999) / 1000
        return "in \(seconds) s"
    }

    /// `a`, `a and b`, `a, b and c`.
    static func list(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + items[items.count - 1]
    }

    // MARK: - Text

    /// The table (one row per connection) and the conclusion.
    package static func text(_ result: ProbeRun.Result) -> String {
        var rows: [[String]] = [["step", "protocol", "port", "proof", "answer", "close"]]
        for attempt in result.protocolChecks + result.attempts {
            let step = attempt.form.map { "form \($0.rawValue)" } ?? "protocol check"
            let proof: String
            if attempt.form == nil {
                proof = attempt.protocolRefused ? "-" : "(no device)"
            } else {
                switch attempt.judgement {
                case .verified: proof = attempt.helloOK ? "accepted" : "verified, blocked"
                case .rejected: proof = "rejected"
                case .undecided: proof = "undecided"
                }
            }
            rows.append([
                step, String(attempt.protocolVersion), attempt.localPort.map(String.init) ?? "-", proof,
                attempt.answer, Self.closeText(attempt),
            ])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = ["probe of \(result.target.url) as device \(result.deviceId)"]
        for row in rows {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }
            lines.append(cells.joined(separator: "  "))
        }
        lines.append("conclusion: " + Self.conclusion(result))
        return lines.joined(separator: "\n")
    }

    private static func closeText(_ attempt: ProbeAttempt) -> String {
        guard let close = attempt.close else { return attempt.closedBy == nil ? "-" : "(no close frame)" }
        let code = close.code.map(String.init) ?? "(no code)"
        let by = attempt.closedBy.map { " by \($0)" } ?? ""
        // The gateway's close reason is its error message (cut to 120 bytes): shown once, in the answer column.
        let repeated = attempt.error?.message.map { $0.hasPrefix(close.reason) } ?? false
        return close.reason.isEmpty || repeated ? "\(code)\(by)" : "\(code) \"\(close.reason)\"\(by)"
    }

    // MARK: - JSON

    /// The document of docs/json-output.md, "wssniff probe".
    package static func json(_ result: ProbeRun.Result) -> JSON {
        var stopped: JSON = .null
        if let stop = result.stop {
            switch stop {
            case .rateLimited(let retry):
                stopped = .object([
                    ("reason", .string("rate-limited")), ("retryAfterMs", retry.map { .int($0) } ?? .null),
                ])
            case .unavailable(_, let retry):
                stopped = .object([
                    ("reason", .string("unavailable")), ("retryAfterMs", retry.map { .int($0) } ?? .null),
                ])
            case .failed(let message):
                stopped = .object([
                    ("reason", .string("failed")), ("retryAfterMs", .null), ("message", .string(message)),
                ])
            }
        }
        return .object([
            ("url", .string(result.target.url)),
            ("deviceId", .string(result.deviceId)),
            ("serverVersion", .optional(result.serverVersion)),
            ("protocol", result.protocolVersion.map { .integer($0) } ?? .null),
            ("admittedProtocols", .array(result.admittedProtocols.map { .integer($0) })),
            ("acceptedForms", .array(result.acceptedForms.map { .string($0.rawValue) })),
            ("stopped", stopped),
            ("conclusion", .string(Self.conclusion(result))),
            ("protocolChecks", .array(result.protocolChecks.map { Self.attemptJSON($0) })),
            ("results", .array(result.attempts.map { Self.attemptJSON($0) })),
        ])
    }

    private static func attemptJSON(_ attempt: ProbeAttempt) -> JSON {
        var members: [(String, JSON)] = []
        if let form = attempt.form {
            members.append(("form", .string(form.rawValue)))
        }
        members.append(("protocol", .integer(attempt.protocolVersion)))
        if attempt.form != nil {
            members.append(("accepted", .bool(attempt.judgement == .verified)))
            members.append(("proof", .string(attempt.judgement.rawValue)))
            members.append(("blockedBy", .optional(attempt.blockedBy)))
        } else {
            members.append(("admitted", .bool(attempt.admitsProtocol)))
        }
        members += [
            ("helloOk", .bool(attempt.helloOK)),
            ("cause", .optional(attempt.cause)),
            ("localPort", attempt.localPort.map { .integer($0) } ?? .null),
            (
                "error",
                attempt.error.map { error in
                    .object([
                        ("code", .optional(error.code)), ("message", .optional(error.message)),
                        ("detailsCode", .optional(error.detailsCode)),
                    ])
                } ?? .null
            ),
            (
                "close",
                attempt.close.map { close in
                    .object([("code", close.code.map { .integer($0) } ?? .null), ("reason", .string(close.reason))])
                } ?? .null
            ),
            ("closedBy", .optional(attempt.closedBy)),
            ("failure", .optional(attempt.failure)),
        ]
        return .object(members)
    }
}
