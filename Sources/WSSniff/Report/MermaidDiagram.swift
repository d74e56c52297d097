package import Dissect
import ProofVerify

/// A Mermaid `sequenceDiagram` of one connection's handshake, as GitHub renders it in issues: the upgrade, the 101,
/// the challenge (nonce shortened), the connect (protocol range, proof form), the response, the closes and how TCP
/// ended. Only two statement forms are emitted, `A->>B: text` and `Note over A,B: text`, with text limited to
/// characters Mermaid never reads as syntax.
package enum MermaidDiagram {
    package static func sequence(_ report: ConnectionReport, redactor: Redactor) -> String {
        var lines = ["sequenceDiagram", "    participant C as Client", "    participant G as Gateway"]
        func send(_ direction: Direction, _ text: String) {
            let arrow = direction == .client ? "C->>G" : "G->>C"
            lines.append("    \(arrow): \(Self.text(text))")
        }
        func note(_ text: String) {
            lines.append("    Note over C,G: \(Self.text(text))")
        }
        note("\(report.client) to \(report.server), connection \(report.index)")
        let websocket = report.websocket
        if let handshake = websocket.handshake {
            send(.client, "\(handshake.method ?? "GET") \(handshake.path ?? "/") Upgrade websocket")
            if let status = handshake.status {
                send(.server, "\(status) \(handshake.reason ?? "")")
            }
        } else if case .midStream = websocket.kind {
            note("capture started after the upgrade")
        }
        let gateway = report.gateway
        if let challenge = gateway.challenge {
            let nonce = challenge.nonce.map { $0.count > 8 ? String($0.prefix(8)) + "..." : $0 } ?? "none"
            send(.server, "event connect.challenge nonce \(nonce)")
        }
        if let connect = gateway.connect {
            let range = "\(connect.minProtocol.map(String.init) ?? "?")..\(connect.maxProtocol.map(String.init) ?? "?")"
            var text = "req connect protocol \(range)"
            if let client = connect.client?.id?.stringValue { text += " client \(client)" }
            if connect.device != nil {
                text += ", proof " + (gateway.proof?.signedForm ?? gateway.proof?.nearMiss?.name ?? "unverified")
            } else {
                text += ", no device"
            }
            send(.client, text)
        } else if let first = gateway.firstClientMessage {
            send(.client, "first message \(JSONRenderer.messageKind(first))")
        }
        for violation in websocket.violations.prefix(3) {
            send(
                violation.direction,
                "frame \(violation.frame.map(String.init) ?? "?") breaks \(violation.rule.rawValue)"
            )
        }
        if let response = gateway.response {
            if response.ok == true {
                send(.server, "res ok hello-ok protocol \(response.helloOK?.protocolVersion.map(String.init) ?? "?")")
            } else {
                let error = response.error
                send(.server, "res error \(error?.code ?? "?") \(redactor.jsonText(error?.message ?? ""))")
            }
        }
        for close in websocket.closes.prefix(4) {
            let code = close.record.code.map(String.init) ?? "no status"
            let reason = close.record.reason.isEmpty ? "" : " \(redactor.jsonText(close.record.reason))"
            send(close.record.direction, "close \(code)\(reason)")
        }
        for ending in websocket.tcpEndings.prefix(2) {
            let who = ending.direction == .client ? "client" : "gateway"
            note("TCP \(ending.end.rawValue.uppercased()) from \(who)")
        }
        if report.tcp.end == .open { note("capture ends with the connection open") }
        return lines.joined(separator: "\n")
    }

    /// Message text safe in Mermaid: letters, digits, spaces and `.,_-+/()'=*` ; anything else becomes a space.
    static func text(_ raw: String) -> String {
        let allowed = Set(" .,_-+/()'=*".unicodeScalars)
        var output = String.UnicodeScalarView()
        for scalar in raw.unicodeScalars {
            if (scalar.properties.isAlphabetic && scalar.isASCII) || ("0"..."9").contains(scalar)
                || allowed.contains(scalar)
            {
                output.append(scalar)
            } else if scalar == "<" {
                output.append("(")
            } else if scalar == ">" {
                output.append(")")
            } else {
                output.append(" ")
            }
        }
        var text = String(output)
        while text.contains("  ") { text = text.replacingDoubleSpaces() }
        text = text.trimmingSpaces()
        return text.isEmpty ? "-" : text
    }
}

extension String {
    fileprivate func replacingDoubleSpaces() -> String {
        var output = ""
        var previousSpace = false
        for character in self {
            if character == " " && previousSpace { continue }
            previousSpace = character == " "
            output.append(character)
        }
        return output
    }

    fileprivate func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
