import Dissect
import Testing
import WSSniff

/// Whether the gateway counts a client as local (silent pairing): a loopback address, a loopback Host, no forwarding
/// header in its upgrade.
@Suite struct ClientLocalityTests {
    static func upgrade(_ headers: [(String, String)]) -> WebSocketHandshake {
        WebSocketHandshake(
            request: HTTPRequestHead(method: "GET", target: "/", version: "HTTP/1.1", headers: HTTPHeaders(headers)),
            response: nil
        )
    }

    static let loopback = Endpoint(ip: .v4(0x7f00_0001), port: 50_000)

    @Test func loopbackWithALoopbackHostIsLocal() {
        let locality = ClientLocality(client: Self.loopback, handshake: Self.upgrade([("Host", "127.0.0.1:18789")]))
        #expect(locality.isLocal == true)
        let v6 = Endpoint(ip: .v6(0, 1), port: 50_000)
        #expect(ClientLocality(client: v6, handshake: Self.upgrade([("Host", "[::1]:18789")])).isLocal == true)
        let mapped = Endpoint(ip: .v6(0, 0xffff_7f00_0001), port: 50_000)
        #expect(ClientLocality(client: mapped, handshake: Self.upgrade([("Host", "localhost")])).isLocal == true)
    }

    @Test func aBridgeAddressIsNotLocal() {
        let bridge = Endpoint(ip: .v4(0xac11_0001), port: 50_000)  // 172.17.0.1, Docker's bridge gateway
        let locality = ClientLocality(client: bridge, handshake: nil)
        #expect(locality.isLocal == false)
        #expect(locality.reason == "its address 172.17.0.1 is not loopback")
        #expect(locality.address == "172.17.0.1")
    }

    @Test func aForwardingHeaderOrAnotherHostIsNotLocal() {
        let proxied = ClientLocality(
            client: Self.loopback,
            handshake: Self.upgrade([("Host", "127.0.0.1"), ("X-Forwarded-For", "203.0.113.7")])
        )
        #expect(proxied.isLocal == false)
        #expect(proxied.reason?.contains("`x-forwarded-for: 203.0.113.7`") == true)
        let named = ClientLocality(client: Self.loopback, handshake: Self.upgrade([("Host", "gateway.lan:18789")]))
        #expect(named.isLocal == false)
        #expect(named.reason?.contains("gateway.lan:18789") == true)
    }

    @Test func withoutTheUpgradeALoopbackClientIsUnknown() {
        #expect(ClientLocality(client: Self.loopback, handshake: nil).isLocal == nil)
        #expect(ClientLocality(client: nil, handshake: nil).isLocal == nil)
    }
}
