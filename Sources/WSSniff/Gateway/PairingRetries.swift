import Dissect
package import ProofVerify

/// The pairing refusals of each device across a capture's connections, in the order they are reported: a device
/// refused again and again, each time with a new request id, is a client retrying before its request is approved
/// (the scope-upgrade loop of upstream issue reports), and each retry replaces the request an operator would approve.
package struct PairingRetries: Sendable {
    /// Device id -> the request ids of its refusals so far.
    private var requests: [String: [String]] = [:]

    package init() {}

    /// Notes `report`'s refusal, and adds to its summary when the device was refused before with another request id.
    package mutating func note(_ report: inout ConnectionReport) {
        let gateway = report.gateway
        guard gateway.verdict.cause == .pairingRequired,
            let device = gateway.connect?.device?.id?.stringValue,
            let requestId = Self.requestId(gateway, report)
        else { return }
        var ids = self.requests[device] ?? []
        guard !ids.contains(requestId) else { return }
        ids.append(requestId)
        self.requests[device] = ids
        guard ids.count >= 2 else { return }
        let reason = gateway.response?.error?.details?["reason"]?.stringValue
        let loop = reason.map { " (a \($0) loop)" } ?? ""
        report.gateway.verdict.summary +=
            " This device was refused \(ids.count) times in this capture, each time with a new request id "
            + "(\(ids.joined(separator: ", ")))\(loop): the client retries before its request is approved, and each "
            + "retry replaces the pending request; approve the newest right away (`openclaw devices approve "
            + "\(requestId)`), or stop the client's retries until it is approved."
    }

    /// The request id of the refusal: the error's `details.requestId`, else the one in the close reason (perhaps cut).
    private static func requestId(_ gateway: GatewayAnalysis, _ report: ConnectionReport) -> String? {
        if let id = gateway.response?.error?.details?["requestId"]?.stringValue {
            return id
        }
        let reason = report.websocket.closes.first { $0.record.direction == .server }?.record.reason ?? ""
        guard let start = reason.firstRange(of: "(requestId: ") else { return nil }
        let rest = reason[start.upperBound...]
        return String(rest.hasSuffix(")") ? rest.dropLast() : rest)
    }
}
