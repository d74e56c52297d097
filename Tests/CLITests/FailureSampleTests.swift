import Foundation
import Testing

/// The failures users report most (issue 18), each on a sample recorded against the reference gateway: the cause,
/// whether the gateway said it, and the words of advice the verdict must carry.
@Suite struct FailureSampleTests {
    /// The verdict of the one connection in `file`.
    static func verdict(_ file: String) throws -> [String: Any] {
        let path = TestSupport.samplesDirectory.appendingPathComponent(file).path
        let document = try TestSupport.analyzeJSON([path], extra: ["--port", "0"])
        let connections = try #require(document["connections"] as? [[String: Any]])
        #expect(connections.count == 1, "\(file) holds one connection")
        return try #require(connections.first?["verdict"] as? [String: Any])
    }

    /// The connect went out at once, the gateway closed 1000 at its 3 s timer without answering: an observed
    /// timeout on a busy gateway, with both times and the fix.
    @Test func aBusyGatewaysTimerIsAnObservedTimeout() throws {
        let verdict = try Self.verdict("busy-gateway.pcap")
        #expect(verdict["cause"] as? String == "handshake-timeout")
        #expect(verdict["observed"] as? Bool == true)
        let summary = verdict["summary"] as? String ?? ""
        for words in [
            "which the client sent 3 ms after the challenge", "3.0 s after the challenge without answering",
            "3 s handshake timer fired", "busy", "2026.3.22 wait 10 s", "reduce its startup load",
        ] {
            #expect(summary.contains(words), "\(words): \(summary)")
        }
    }

    /// A connect sent late is still the other timeout: the client's fault, said so.
    @Test func aLateConnectIsTheClientsTimeout() throws {
        let verdict = try Self.verdict("timeout.pcap")
        #expect(verdict["cause"] as? String == "handshake-timeout")
        #expect(!(verdict["summary"] as? String ?? "").contains("busy"))
    }

    @Test func aRefusedOriginNamesTheOriginAndTheKey() throws {
        let verdict = try Self.verdict("origin-not-allowed.pcap")
        #expect(verdict["cause"] as? String == "origin-not-allowed")
        #expect(verdict["observed"] as? Bool == true)
        let summary = verdict["summary"] as? String ?? ""
        #expect(summary.contains("`Origin` is `http://nas.local:18789`"), "\(summary)")
        #expect(summary.contains("`gateway.controlUi.allowedOrigins`"))
        #expect(summary.contains("from the gateway host"))
        #expect(!summary.contains("gateway.auth.token"), "the token is not the problem: \(summary)")
    }

    @Test func aControlUIWithoutASecureContextIsToldToUseHTTPSOrLocalhost() throws {
        let verdict = try Self.verdict("control-ui-no-device.pcap")
        #expect(verdict["cause"] as? String == "device-identity-required")
        #expect(verdict["observed"] as? Bool == true)
        let summary = verdict["summary"] as? String ?? ""
        for words in ["secure context", "HTTPS", "localhost", "`gateway.controlUi.allowInsecureAuth`"] {
            #expect(summary.contains(words), "\(words): \(summary)")
        }
        #expect(!summary.contains("does not know"))
    }

    /// SIGKILL: the kernel ends the gateway's side with a FIN and no close frame, after hello-ok.
    @Test func aKilledGatewayIsADroppedConnection() throws {
        let verdict = try Self.verdict("gateway-killed.pcap")
        #expect(verdict["cause"] as? String == "connection-dropped")
        #expect(verdict["observed"] as? Bool == true)
        let summary = verdict["summary"] as? String ?? ""
        for words in [
            "the gateway's side ended the TCP connection with a FIN",
            "after the last message (the gateway's "
                + "`hello-ok`)", "1006", "restart", "The handshake itself succeeded",
        ] {
            #expect(summary.contains(words), "\(words): \(summary)")
        }
    }

    @Test func aRestartAfterHelloOKIsTheGatewaysClose() throws {
        let path = TestSupport.samplesDirectory.appendingPathComponent("gateway-restart.pcap").path
        let document = try TestSupport.analyzeJSON([path], extra: ["--port", "0"])
        let connection = try #require((document["connections"] as? [[String: Any]])?.first)
        let verdict = try #require(connection["verdict"] as? [String: Any])
        #expect(verdict["cause"] as? String == "gateway-closed")
        #expect(verdict["observed"] as? Bool == true)
        let summary = verdict["summary"] as? String ?? ""
        #expect(summary.contains("1012 \"service restart\""), "\(summary)")
        #expect(summary.contains("s after its `hello-ok`"), "how long the session lasted: \(summary)")
        #expect(summary.contains("reconnects once the gateway is back"))
        // The handshake's success stays in the gateway object.
        let gateway = try #require(connection["gateway"] as? [String: Any])
        let response = try #require(gateway["response"] as? [String: Any], "\(gateway.keys.sorted())")
        #expect(response["ok"] as? Bool == true)
    }

    @Test func theFloodGuardsCloseSaysWhichCallsToFix() throws {
        let verdict = try Self.verdict("repeated-unauthorized.pcap")
        #expect(verdict["cause"] as? String == "gateway-closed")
        let summary = verdict["summary"] as? String ?? ""
        #expect(summary.contains("1008 \"repeated unauthorized calls\""), "\(summary)")
        #expect(summary.contains("more than 10 calls in a row"))
        #expect(summary.contains("sign a `device` proof"))
    }

    @Test func theClientsOwnCloseIsNamedAsTheClients() throws {
        let verdict = try Self.verdict("ui-connect-failed.pcap")
        #expect(verdict["cause"] as? String == "client-closed")
        #expect(verdict["observed"] as? Bool == true)
        let summary = verdict["summary"] as? String ?? ""
        #expect(summary.contains("The client closed the connection first, with 4008 \"connect failed\""), "\(summary)")
        #expect(summary.contains("not the gateway's"))
        #expect(summary.contains("the gateway never sends it"))
        #expect(!summary.contains("The gateway closed with 4008"))
    }

    @Test func aTLSClientOnThePlainPortIsNamedAsTLS() throws {
        let verdict = try Self.verdict("tls-client.pcap")
        #expect(verdict["cause"] as? String == "not-websocket")
        #expect(verdict["observed"] as? Bool == true)
        let summary = verdict["summary"] as? String ?? ""
        #expect(summary.contains("TLS record (a ClientHello)"), "\(summary)")
        #expect(summary.contains("`wss://`"))
        #expect(summary.contains("capture the plaintext proxy-to-gateway leg"))
    }
}
