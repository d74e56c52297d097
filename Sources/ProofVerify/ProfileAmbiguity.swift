/// A prediction that hangs on the gateway's version when nothing in the capture says it: the connect of a client
/// newer than 2026.3.13 (a range only a later gateway admits, a field only its schema knows), which 2026.3.13
/// refuses and a later gateway may accept. wssniff then does not guess: it says what each profile would answer and
/// how to name the version. A connect of 2026.3.13's own kind keeps the 2026.3.13 prediction.
enum ProfileAmbiguity {
    /// `predicted` as it stands when the profile is known, or when every profile predicts the same cause; otherwise
    /// `incomplete-capture` naming both answers.
    static func resolve(
        _ predicted: GatewayVerdict,
        _ facts: HandshakeFacts,
        predict: (HandshakeFacts) -> GatewayVerdict
    ) -> GatewayVerdict {
        guard facts.source == .capture, facts.profileChoice.basis == .assumed, !predicted.observed,
            predicted.cause != .incompleteCapture, predicted.cause != .notGateway, let params = facts.connect,
            Self.isFromALaterClient(params)
        else { return predicted }
        var other = facts
        let profile = GatewayProfile.current
        other.profileChoice = GatewayProfile.Choice(
            profile: profile,
            basis: .option,
            reason: "a gateway after 2026.3.13"
        )
        other.gatewayProtocol = profile.protocolVersion
        other.handshakeTimeoutMilliseconds = profile.handshakeTimeoutMilliseconds
        let alternative = predict(other)
        guard alternative.cause != predicted.cause else { return predicted }
        let later =
            alternative.cause == .incompleteCapture
            ? "a later gateway (protocol 4) finds nothing wrong on the wire and decides on the token and pairing"
            : "a later gateway (protocol 4) would answer `\(alternative.cause.rawValue)`"
        return GatewayVerdict(
            cause: .incompleteCapture,
            observed: false,
            summary: "What the gateway answers depends on its version, which the capture does not show: as 2026.3.13 "
                + "it would be `\(predicted.cause.rawValue)` (\(Self.lowercasedStart(predicted.summary)))"
                + "; \(later). Capture the gateway's answer, or give its version with `--gateway-version`.",
            predictionReason: (predicted.predictionReason ?? "the gateway's answer is not in the capture")
                + "; the gateway's version is not known"
        )
    }

    /// Whether the connect is a later client's: a protocol range the current profile admits and 2026.3.13 does not,
    /// or a connect field only the current schema knows.
    static func isFromALaterClient(_ params: ConnectParams) -> Bool {
        let old = GatewayProfile.v2026_3_13
        let current = GatewayProfile.current
        if current.schemaFindings(params).count < old.schemaFindings(params).count {
            return true
        }
        guard let minimum = params.minProtocol, let maximum = params.maxProtocol else { return false }
        return current.admits(params, minimum, maximum, gatewayProtocol: current.protocolVersion)
            && !old.admits(params, minimum, maximum, gatewayProtocol: old.protocolVersion)
    }

    /// "The client closed ..." as "the client closed ...", without its final period, for use inside a sentence.
    static func lowercasedStart(_ text: String) -> String {
        var body = Substring(text)
        if body.hasSuffix(".") { body = body.dropLast() }
        guard let first = body.first else { return "" }
        return first.lowercased() + body.dropFirst()
    }
}
